"""The rule base a worker serves, and how it is replaced.

A worker holds one ``Loaded`` at a time (``State.current``). Each request takes a reference to it
when it arrives and uses that one to the end, so a reload never changes the rule base under a
request: in-flight requests finish on the old version, and every response names the version it
used. A reload

1. parses the rules directory in-process (pure Python: a broken file is refused with its
   file:line issues, and an unchanged content hash ends the reload there);
2. compiles and exercises it in a throw-away subprocess (``pathways.server.check``): a rule base
   that would hang or crash the inference engine is refused and cannot take the worker down;
3. compiles it in-process (in a thread, while requests go on being served on the old one),
   evaluates one empty case to warm it, and swaps the reference.

Any failure leaves the old rule base serving.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import logging
import os
import signal
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from .._api import evaluate, next_question, question_out
from .._errors import EngineError, PathwaysError, RuleBaseError
from .._loader import RuleBase, default_rules_dir, load_rule_base
from .._outcome import RuleBaseRef
from .._run import compiled
from .._wire import ErrorIssue, QuestionsOut, ReloadResult, RouteInfo, RuleBaseCounts, RuleBaseInfo
from .cache import ResponseCache
from .settings import Settings

__all__ = ["Loaded", "RuleBaseRefused", "State", "check_in_subprocess", "load_checked"]

log = logging.getLogger("pathways.server")


class RuleBaseRefused(PathwaysError):
    """A rule base was not taken into service; ``issues`` say why (the old one keeps serving)."""

    def __init__(self, message: str, issues: list[ErrorIssue] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.issues = issues or []


def _header_value(text: str) -> bytes:
    return quote(text, safe=" !#$&'()*+,/:;=?@[]~-._").encode("ascii")


@dataclass
class Loaded:
    """One compiled rule base, and what the API says about it (computed once)."""

    rb: RuleBase
    loaded_at: dt.datetime
    ref: RuleBaseRef = field(init=False)
    headers: list[tuple[bytes, bytes]] = field(init=False)
    info_json: bytes = field(init=False)
    _questions: dict[str, bytes] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        rb = self.rb
        self.ref = RuleBaseRef(id=rb.id, version=rb.version, hash=rb.content_hash)
        self.headers = [
            (b"x-rulebase-id", _header_value(rb.id)),
            (b"x-rulebase-version", _header_value(rb.version)),
            (b"x-rulebase-hash", _header_value(rb.content_hash)),
        ]
        routes = [
            RouteInfo(
                id=rid, title=route.model.title.en, items=sum(1 for item in rb.items.values() if item.route == rid)
            )
            for rid, route in rb.routes.items()
        ]
        info = RuleBaseInfo(
            id=rb.id,
            version=rb.version,
            hash=rb.content_hash,
            title=rb.manifest.title.en,
            title_zh=rb.manifest.title.zh,
            released=rb.manifest.released,
            loaded_at=self.loaded_at,
            routes=routes,
            counts=RuleBaseCounts(
                questions=len(rb.questions),
                fact_rules=len(rb.fact_rules),
                items=len(rb.items),
                routes=len(rb.routes),
                sources=len(rb.sources),
                authorities=len(rb.authorities),
            ),
        )
        self.info_json = info.model_dump_json().encode()

    def questions_json(self, lang: str) -> bytes:
        cached = self._questions.get(lang)
        if cached is None:
            out = QuestionsOut(
                rulebase=self.ref,
                lang=lang,  # type: ignore[arg-type]
                questions=[question_out(self.rb, qid, lang) for qid in self.rb.questions],
            )
            cached = self._questions[lang] = out.model_dump_json().encode()
        return cached


def _issues_of(exc: RuleBaseError) -> list[ErrorIssue]:
    return [
        ErrorIssue(
            code=i.code,
            message=f"{i}",
            field=f"{i.file}:{i.line}:{i.column}" if i.line else i.file,
            suggestion=i.suggestion,
        )
        for i in exc.issues
    ]


def rules_dir_of(settings: Settings) -> Path:
    return Path(settings.rules_dir) if settings.rules_dir is not None else default_rules_dir()


def check_in_subprocess(settings: Settings, rules_dir: Path) -> str:
    """Compile ``rules_dir`` in a subprocess; its content hash, or RuleBaseRefused."""
    argv = settings.check_argv(rules_dir)
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=settings.check_timeout, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise RuleBaseRefused(
            f"compiling the rule base did not finish within {settings.check_timeout:g} s "
            "(it would hang the engine); refused"
        ) from None
    except OSError as exc:
        raise RuleBaseRefused(f"cannot run the compile check {argv[0]}: {exc.strerror}") from None
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = str(-done.returncode)
        raise RuleBaseRefused(f"the inference engine crashed compiling the rule base ({name}); refused")
    result = None
    for line in reversed(done.stdout.strip().splitlines()):
        try:
            result = json.loads(line)
            break
        except ValueError:
            continue
    if not isinstance(result, dict):
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuleBaseRefused(f"the compile check failed (exit {done.returncode}): {tail[0][:300]}")
    if not result.get("ok"):
        issues = [
            ErrorIssue(
                code=str(i.get("code", "?")),
                message=str(i.get("message", "")),
                field=(f"{i['file']}:{i.get('line', 0)}:{i.get('column', 0)}" if i.get("file") else None),
                suggestion=i.get("suggestion"),
            )
            for i in result.get("issues", [])
        ]
        raise RuleBaseRefused(f"the rule base does not compile ({len(issues)} issue(s))", issues)
    return str(result.get("hash"))


def load_checked(settings: Settings, rb: RuleBase | None = None, checked_hash: str | None = None) -> Loaded:
    """Load (unless given), check in a subprocess (unless ``checked_hash`` matches), compile, warm up."""
    rules_dir = rules_dir_of(settings)
    if rb is None:
        try:
            rb = load_rule_base(rules_dir)
        except RuleBaseError as exc:
            raise RuleBaseRefused(
                f"the rule base in {rules_dir} is invalid ({len(exc.issues)} issue(s))", _issues_of(exc)
            ) from None
    if settings.check_in_subprocess and rb.content_hash != checked_hash:
        checked = check_in_subprocess(settings, rules_dir)
        if checked != rb.content_hash:
            raise RuleBaseRefused("the rule base changed while it was being checked; reload again")
    try:
        compiled(rb).engine.prepare()  # every ruleset up front: no first-request pause
        evaluate(rb, {})
        for lang in ("en", "zh"):  # remembered per rule base, date and language: every interview starts here
            next_question(rb, {}, lang)
    except EngineError as exc:
        raise RuleBaseRefused(f"the inference engine refused the rule base: {exc}") from None
    return Loaded(rb, dt.datetime.now(dt.timezone.utc).replace(microsecond=0))


class State:
    """What one worker serves: the current rule base and the current tokens."""

    def __init__(self, settings: Settings, loaded: Loaded) -> None:
        self.settings = settings
        self.current: Loaded = loaded
        self.tokens: list[bytes] = []
        self.admin_tokens: list[bytes] = []
        self.refresh_tokens()
        self._lock: asyncio.Lock | None = None
        self._thread_lock = threading.Lock()
        self.reloads = 0
        self.responses = ResponseCache(settings.response_cache_mb * 1024 * 1024)

    def refresh_tokens(self) -> None:
        tokens, admin = self.settings.resolve_tokens()
        self.tokens = [t.encode() for t in tokens]
        self.admin_tokens = [t.encode() for t in admin]

    async def reload(self, why: str = "admin") -> ReloadResult:
        """Re-read the rules directory (and the token files); swap atomically if it changed."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            result = await asyncio.to_thread(self._reload_sync, why)
        if result.changed:
            self.responses.clear()  # the keys name the old rule base: never served again, only memory
        if result.changed and gc.is_tracked(self) and gc.get_freeze_count():
            # the old rule base was frozen at start-up (gc.freeze): unfreeze so its cycles can go
            gc.unfreeze()
            gc.collect()
            gc.freeze()
        return result

    def _reload_sync(self, why: str) -> ReloadResult:
        with self._thread_lock:
            previous = self.current
            try:
                self.refresh_tokens()
            except PathwaysError as exc:
                log.error("reload: token files not reloaded, the old tokens stay in force: %s", exc)
            rules_dir = rules_dir_of(self.settings)
            try:
                rb = load_rule_base(rules_dir)
            except RuleBaseError as exc:
                raise RuleBaseRefused(
                    f"the rule base in {rules_dir} is invalid ({len(exc.issues)} issue(s))", _issues_of(exc)
                ) from None
            if rb.content_hash == previous.ref.hash:
                return ReloadResult(changed=False, previous=previous.ref, current=previous.ref)
            loaded = load_checked(self.settings, rb)
            self.current = loaded  # one reference assignment: atomic for every request
            self.reloads += 1
            if previous.rb._compiled is not None:
                # its reused engine sessions go now; requests still on it finish in fresh sessions
                compiled(previous.rb).engine.release()
            log.info(
                "reload (%s): serving rule base %s %s (%s), was %s (%s)",
                why,
                loaded.ref.id,
                loaded.ref.version,
                loaded.ref.hash[:12],
                previous.ref.version,
                previous.ref.hash[:12],
            )
            return ReloadResult(changed=True, previous=previous.ref, current=loaded.ref)

    async def reload_logged(self, why: str) -> ReloadResult | None:
        try:
            result = await self.reload(why)
        except RuleBaseRefused as exc:
            log.error(
                "reload (%s) refused; still serving %s %s %s: %s",
                why,
                self.current.ref.id,
                self.current.ref.version,
                self.current.ref.hash[:12],
                exc.message,
            )
            for issue in exc.issues[:20]:
                log.error("  %s %s", issue.field or "", issue.message)
            return None
        except Exception:  # pragma: no cover - a bug; the old rule base keeps serving
            log.exception("reload (%s) failed; the old rule base keeps serving", why)
            return None
        if not result.changed:
            log.info("reload (%s): rule base unchanged (%s)", why, result.current.hash[:12])
        return result


def supervisor_pid() -> int | None:
    """The pid of the ``pathways serve`` supervisor, when this worker is one of several."""
    value = os.environ.get("PATHWAYS__SUPERVISOR_PID")
    if value and value.isdigit() and int(value) == os.getppid():
        return int(value)
    return None
