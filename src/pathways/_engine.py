"""The only module that touches durable-rules.

The measured hazards of durable-rules 2.0.28 (shared/engine/durable_rules.md) shape everything here:

* the stock Host starts timer threads that segfault with concurrent sessions → ``_QuietHost``;
* sessions are looked up by a 32-bit hash and capped at 1,024 → at most one live session per
  partition at any time, generated ids, all use under one lock per compiled rule base;
* creating and deleting a session costs more than the matching → by default one session per
  partition is kept and reused (``sessions="reuse"``): after a run the gates are retracted first
  (no rule can complete without its gate, so nothing fires), then every fact the run asserted, by
  id. Any error deletes the session (the next run starts a new one); a session is also deleted and
  renewed after ``recycle_after`` runs, and ``release()`` deletes them all. ``sessions="fresh"``
  (or the environment variable ``PATHWAYS_ENGINE_SESSIONS=fresh``) restores one new session per
  run, deleted in ``finally``, and no memo;
* with reused sessions, the firings of a partition are remembered for the facts it was given
  (``memo_size`` entries, least recently used out): a wizard re-runs the same partitions with the
  same answers at almost every step;
* deleting a session in which no action ran segfaults → every session first fires ``open``;
* a fact no rule matches is dropped with an exception → the ``keeper`` rule matches every fact
  and never fires;
* two derivations of one fact raise "already observed" → caught; a *false* duplicate (fact-id hash
  collision) is detected against our own record and the evaluation is re-run with new ids;
* negation is checked once, when a rule's positive patterns complete → every rule waits for its
  stage gate, asserted after all facts of lower stages are in.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, NamedTuple

import durable_rules_engine as _C
from durable import engine as _durable

from ._bounded import keep
from ._compiler import CompiledRule, Partition
from ._conditions import Pattern
from ._errors import EngineError

# giving_way: the old private name of pathways.giving_way, for callers not yet moved to the public one
from ._scheduling import current_pause, giving_way

__all__ = ["EncodedFact", "Engine", "Firing", "answer_facts", "encode", "fact_key", "giving_way", "produced_facts"]

MAX_COLLISION_RETRIES = 3
_dumps = json.JSONEncoder(ensure_ascii=False).encode  # as durable's own glue encodes
_loads = json.loads
SESSIONS_ENV = "PATHWAYS_ENGINE_SESSIONS"
SESSION_MODES = ("reuse", "fresh")
RECYCLE_AFTER = 500  # runs of one reused session before it is deleted and made anew
MEMO_SIZE = 2048  # partition results remembered (least recently used first out); 0: none
ANSWERS_REMEMBERED = 10_000  # answer firings whose facts are remembered (answer_emits): ~1.2 KB each, 12 MB at most
MATCHED_REMEMBERED = 20_000  # firings' matched facts remembered by message (Firing.matched): ~0.5 KB each

# a message's matched facts, decoded once: the same message, the same facts. Shared, never changed
# by readers; plain dicts of strings and numbers in tuples, so the garbage collector leaves them be
_matched_by_message: dict[str, tuple[dict[str, Any], ...]] = {}


def sessions_setting(value: str | None = None) -> str:
    """The session mode: ``value``, else ``$PATHWAYS_ENGINE_SESSIONS``, else "reuse"."""
    mode = value if value is not None else (os.environ.get(SESSIONS_ENV) or "reuse")
    mode = mode.strip().lower()
    if mode not in SESSION_MODES:
        raise ValueError(
            f"engine sessions must be one of {', '.join(SESSION_MODES)} "
            f"(from {SESSIONS_ENV} or the keyword), not {mode!r}"
        )
    return mode


class _Live:
    """A reused engine session: its id, the runs it served, the ids of the facts it holds now (JSON)."""

    __slots__ = ("sid", "runs", "ids")

    def __init__(self, sid: str) -> None:
        self.sid = sid
        self.runs = 0
        self.ids: list[str] = []


class _QuietHost(_durable.Host):  # type: ignore[misc]  # durable-rules is untyped: Host is Any
    """A Host without the background dispatch/timer threads (they crash the process)."""

    def _run(self) -> None:  # noqa: D401 - overriding the thread starter
        return None


class Firing:
    """One rule that fired, with the engine facts it matched (positive patterns only).

    The reused-session path keeps the engine's message and decodes the matched facts only when
    they are read (traces, answer rules): choosing the next question reads none of them.
    """

    __slots__ = ("rule", "_matched", "_message")

    def __init__(
        self, rule: CompiledRule, matched: tuple[dict[str, Any], ...] | None = None, message: str | None = None
    ) -> None:
        if matched is None and message is None:
            raise ValueError("a firing needs its matched facts or the engine's message")
        self.rule = rule
        self._matched = matched
        self._message = message

    @property
    def matched(self) -> tuple[dict[str, Any], ...]:
        matched = self._matched
        if matched is None:
            message = self._message
            assert message is not None
            matched = _matched_by_message.get(message)
            if matched is None:
                (by_name,) = _loads(message).values()  # one action a message
                facts = tuple(fact for key, fact in sorted(by_name.items()) if key != "g")
                matched = keep(_matched_by_message, message, facts, MATCHED_REMEMBERED)
            self._matched = matched
        return matched

    @property
    def message(self) -> str | None:
        """The engine's message of this firing, when kept (the reused path): the same message for
        the same rule means the same matched facts, so what is made of them can be remembered by it."""
        return self._message

    def __repr__(self) -> str:
        return f"Firing({self.rule.name!r})"


class _Collision(Exception):
    pass


def fact_key(fact: dict[str, Any]) -> str:
    """Our own identity of an engine fact (the engine's is a 32-bit hash)."""
    return f"{fact.get('t')}|{fact.get('q')}|{type(fact.get('v')).__name__}:{fact.get('v')}|{fact.get('w')}"


def _value_tests(test: Any) -> list[dict[str, Any]]:
    if test is None:
        return []
    kind, payload = test
    if kind == "eq":
        (value,) = payload  # one value per pattern: lists became alternative rules
        return [{"v": value}]
    if kind == "neq":
        return [{"$neq": {"v": value}} for value in payload]
    if kind == "cmp":
        return [{"$" + op: {"v": value}} for op, value in payload]
    raise ValueError(f"unknown test {kind}")


@functools.lru_cache(maxsize=65536)
def pattern_expression(pattern: Pattern) -> dict[str, Any]:
    """The engine's expression for a pattern (shared between rules: the engine only reads it)."""
    kind, name, test = pattern
    if kind in ("a", "m", "d", "p", "gv"):
        return {"$and": [{"t": kind}, {"q": name}, *_value_tests(test)]}
    if kind == "u":
        tests: list[dict[str, Any]] = [{"t": "u"}, {"q": name}]
        if test == "dk":
            tests.append({"w": "dk"})
        return {"$and": tests}
    if kind in ("w", "pk", "n"):
        return {"$and": [{"t": kind}, {"q": name}]}
    if kind == "now":
        return {"$and": [{"t": "now"}, *_value_tests(test)]}
    raise ValueError(f"unknown pattern kind {kind}")


def answer_facts(
    rule: CompiledRule, matched: tuple[dict[str, Any], ...], values: tuple[Any, ...] = ()
) -> list[dict[str, Any]]:
    """The answer facts an 'answer' rule makes of the given answer it matched.

    strict (the question is certainly asked): the answer itself ('a'; "don't know": 'u' with
    w = 'dk') and what it may be ('m'); possible (the question only may be asked): what it may be
    only, with "don't know" as w = 'cdk' (undetermined, but not certainly "don't know"). ``values``:
    a closed question's options (what "don't know" may be).
    """
    q = rule.action.target
    given = next(f for f in matched if f.get("t") == "gv" and f.get("q") == q)
    strict = rule.action.mode == "strict"
    if given.get("w") == "dk":
        return [{"t": "u", "q": q, "w": "dk" if strict else "cdk"}, *({"t": "m", "q": q, "v": v} for v in values)]
    value = given["v"]
    return (
        [{"t": "a", "q": q, "v": value}, {"t": "m", "q": q, "v": value}] if strict else [{"t": "m", "q": q, "v": value}]
    )


def produced_facts(rule: CompiledRule, certain: bool, values: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """The engine facts a rule asserts when it fires.

    In certain mode (no answer is unknown or missing) the possible rules are not run: each strict
    derivation also stands for its possible twin, which would derive exactly the same.
    """
    action = rule.action
    if action.kind == "derive":
        kinds = ("d", "p") if certain and action.mode == "strict" else (("d",) if action.mode == "strict" else ("p",))
        return [{"t": kind, "q": name, "v": value} for kind in kinds for name, value in action.sets]
    if action.kind == "ask":
        # possible: the question may take any of its values; strict: it is waiting to be asked
        if action.mode == "possible":
            return [
                {"t": "u", "q": action.target, "w": "pending"},
                *({"t": "m", "q": action.target, "v": v} for v in values),
            ]
        return [{"t": "w", "q": action.target}]
    if action.kind == "pending":
        return [{"t": "pk", "q": action.target}]
    return []


class EncodedFact(NamedTuple):
    """An engine fact with our identity of it and its JSON up to the closing brace (the session
    id and the fact id are appended per run): facts are encoded once, not per run."""

    key: str
    body: str
    fact: dict[str, Any]


def encode(fact: dict[str, Any]) -> EncodedFact:
    """``fact`` ready for the engine (see ``EncodedFact``)."""
    return EncodedFact(fact_key(fact), _dumps(fact)[:-1], fact)


def _noop(c: Any) -> None:
    return None


FactKind = tuple[str, str]  # an engine fact's 't' and 'q' ("" where it has none: the date)


def made_kinds(rule: CompiledRule) -> set[FactKind]:
    """The kinds of the facts a rule may assert when it fires (``produced_facts``, ``answer_facts``)."""
    action = rule.action
    if action.kind == "derive":
        return {(kind, name) for kind in ("d", "p") for name, _ in action.sets}
    if action.kind in ("ask", "answer"):
        return {(kind, action.target) for kind in ("u", "m", "w", "a")}
    if action.kind == "pending":
        return {("pk", action.target)}
    return set()


def stratified(part: Partition) -> bool:
    """True if every rule reads what its partition's rules make only from earlier stages."""
    last_made: dict[FactKind, int] = {}  # the latest stage at which a rule makes facts of a kind
    for rule in part.rules:
        for kind in made_kinds(rule):
            last_made[kind] = max(last_made.get(kind, rule.stage), rule.stage)
    return all(
        last_made.get((lit.pattern[0], lit.pattern[1]), -1) < rule.stage for rule in part.rules for lit in rule.literals
    )


def gate_triggers(part: Partition) -> dict[tuple[int, str, int], frozenset[FactKind] | None]:
    """Per stage gate, fact kinds one of which a session must hold for any rule of the gate to fire.

    A rule fires only if each of its positive literals matches a fact of the literal's kind, so a
    rule whose chosen literal's kind is absent cannot fire. The kind chosen per rule is the one the
    fewest rules of the partition read (a route's own literal, which all its items read, is the
    worst choice: present whenever the route runs). ``None``: a rule of the gate has no positive
    literal, so the gate is always asserted. The reused path skips a gate whose kinds are all
    absent: a rule reads derived facts only from earlier stages (stratification), so none that
    could complete it arrives later. The compiler stages rules that way; should a partition not be
    (``stratified``), every one of its gates is asserted.
    """
    if not stratified(part):
        return {rule.gate: None for rule in part.rules}
    readers: Counter[FactKind] = Counter()
    for rule in part.rules:
        readers.update({(lit.pattern[0], lit.pattern[1]) for lit in rule.literals if not lit.negated})
    triggers: dict[tuple[int, str, int], set[FactKind] | None] = {}
    for rule in part.rules:
        gate = rule.gate
        kinds = [(lit.pattern[0], lit.pattern[1]) for lit in rule.literals if not lit.negated]
        found = triggers.setdefault(gate, set())
        if found is None:
            continue
        if not kinds:
            triggers[gate] = None
            continue
        found.add(min(kinds, key=lambda k: (readers[k], k)))
    return {gate: None if kinds is None else frozenset(kinds) for gate, kinds in triggers.items()}


def _facts_list(facts: Iterable[EncodedFact] | Callable[[], list[EncodedFact]]) -> list[EncodedFact]:
    return facts() if callable(facts) else list(facts)


class Engine:
    """One compiled rule base inside durable-rules: one ruleset per partition, one lock."""

    def __init__(
        self,
        partitions: dict[str, Partition],
        name: str = "pw",
        values: Callable[[str], tuple[Any, ...]] = lambda q: (),
        *,
        sessions: str | None = None,
        recycle_after: int = RECYCLE_AFTER,
        memo_size: int = MEMO_SIZE,
    ) -> None:
        self.sessions = sessions_setting(sessions)
        self.memo_size = max(0, memo_size)
        # a partition's firings by its facts: the engine's messages (strings: the collector never
        # scans them, and a worker's memo holds some 10^5 firings), or Firing objects where a run
        # had none (fresh sessions after a release)
        self._memo: OrderedDict[tuple[str, bool, Hashable], tuple[str, ...] | tuple[Firing, ...]] = OrderedDict()
        self._memo_lock = threading.Lock()
        self.recycle_after = max(1, recycle_after)
        self._live: dict[str, _Live] = {}  # partition -> its reused session (under _lock)
        self._released = False
        self._tables: dict[str, dict[str, Any]] = {}  # partition -> rule name -> what it does
        self._triggers: dict[str, dict[tuple[int, str, int], frozenset[FactKind] | None]] = {}  # gate_triggers
        self.gates_skipped = 0  # stage gates the reused path did not assert (diagnostics, tests)
        self._answered: dict[str, tuple[EncodedFact, ...]] = {}  # answer_emits, by the engine's message
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._salt = itertools.count()
        self._current: list[Firing] | None = None
        self._derived: set[str] | None = None
        self._collided: str | None = None
        self._certain = False
        self._ids: Callable[[dict[str, Any]], str] = self._default_id
        self._own_ids = True  # facts carry our own identities (cached per fact key): see use_ids
        self._salt_value = "0"
        self._id_json: dict[str, str] = {}  # fact key -> its default id, JSON-encoded (this salt)
        self.partitions = partitions
        self._values = values  # the possible values of a closed question, by id
        self._names = {part: f"{name}{index}" for index, part in enumerate(partitions)}
        self._registered: set[str] = set()
        self._host = _QuietHost()

    def prepare(self, partitions: Iterable[str] | None = None) -> None:
        """Register rulesets with the engine now (default: all) instead of on first use.

        A route's ruleset is otherwise registered the first time a case reaches it, so a
        command-line run pays only for the routes its case can reach.
        """
        with self._lock:
            self._register(list(self.partitions) if partitions is None else list(partitions))

    def _register(self, names: list[str]) -> None:
        todo = [n for n in names if n not in self._registered]
        if not todo:
            return
        # built fresh: the engine consumes the definitions (it deletes the 'run' keys)
        definitions = {self._names[n]: self._ruleset(self.partitions[n]) for n in todo}
        try:
            self._host.register_rulesets(definitions)
        except Exception as exc:  # the engine's own refusal, e.g. error 106/108
            raise EngineError(f"the engine refused the compiled rule base: {exc}") from exc
        self._registered.update(todo)
        for n in todo:
            self._tables[n] = self._table(self.partitions[n])
            self._triggers[n] = gate_triggers(self.partitions[n])

    def _table(self, part: Partition) -> dict[str, Any]:
        """rule name -> (rule, facts it derives, the same in certain mode, answer rule?, values)."""
        table: dict[str, Any] = {}
        for rule in part.rules:
            values = self._values(rule.action.target) if rule.action.kind in ("ask", "answer") else ()
            table[rule.name] = (
                rule,
                tuple(map(encode, produced_facts(rule, certain=False, values=values))),
                tuple(map(encode, produced_facts(rule, certain=True, values=values))),
                rule.action.kind == "answer",
                values,
            )
        return table

    # ---- building ----

    def _ruleset(self, part: Partition) -> dict[str, Any]:
        rules: dict[str, Any] = {
            "open__": {"all": [{"m": {"t": "__open__"}}], "run": _noop},
            "keeper__": {"all": [{"m": {"$ex": {"t": 1}}}, {"never__": {"t": "$never$"}}], "run": _noop},
        }
        for rule in part.rules:
            stage, mode, bucket = rule.gate
            patterns: list[dict[str, Any]] = [{"g": {"$and": [{"t": "g"}, {"n": stage}, {"m": mode}, {"b": bucket}]}}]
            for index, lit in enumerate(rule.literals):
                key = f"f{index}$not" if lit.negated else f"f{index}"
                patterns.append({key: pattern_expression(lit.pattern)})
            rules[rule.name] = {"all": patterns, "run": self._action(rule)}
        return rules

    def _action(self, rule: CompiledRule) -> Callable[[Any], None]:
        values = self._values(rule.action.target) if rule.action.kind in ("ask", "answer") else ()
        emits = produced_facts(rule, certain=False, values=values)
        emits_certain = produced_facts(rule, certain=True, values=values)
        answer = rule.action.kind == "answer"

        def run(c: Any) -> None:
            current = self._current
            if current is None:
                return
            pause = current_pause()
            if pause is not None:
                pause()
            matched = tuple(fact for key, fact in sorted(c._m.items()) if key != "g")
            current.append(Firing(rule, matched))
            for fact in answer_facts(rule, matched, values) if answer else emits_certain if self._certain else emits:
                self._assert_in_action(c, fact)

        return run

    def _assert_in_action(self, c: Any, fact: dict[str, Any]) -> None:
        key = fact_key(fact)
        derived = self._derived
        assert derived is not None
        try:
            c.assert_fact(dict(fact, id=self._ids(fact)))
        except _durable.MessageObservedException:
            if key not in derived:
                # a different fact with the same 32-bit identity: it was dropped; re-run re-keyed
                self._collided = key
            return
        derived.add(key)

    def use_ids(self, ids: Callable[[dict[str, Any]], str] | None) -> None:
        """Give facts the identities ``ids`` makes instead of our own (tests: identity collisions);
        ``None``: our own again. Our own are cached per fact; others are asked for every fact."""
        self._ids = ids or self._default_id
        self._own_ids = ids is None
        self._id_json = {}

    def _default_id(self, fact: dict[str, Any]) -> str:
        return f"{self._salt_value}:{fact_key(fact)}"

    # ---- running ----

    def run(
        self,
        partition: str,
        facts: Iterable[EncodedFact] | Callable[[], list[EncodedFact]],
        certain: bool = False,
        key: Hashable | None = None,
    ) -> list[Firing]:
        """Evaluate one partition on ``facts``; return the rules that fired.

        ``certain``: the caller asserts no fact is undetermined; only strict rules run (see
        ``produced_facts``). If a question turns out to be waiting to be asked, the caller must
        re-run without ``certain``.

        ``key``: an identity of ``facts`` the caller vouches for (equal keys, equal facts in the same
        order); it saves building the facts' own identities for the memo, and ``facts`` may then be
        a function that builds them, called only if the memo does not hold the result.
        """
        if self.sessions == "fresh" or not self.memo_size:
            return self._run_keyed(partition, _facts_list(facts), certain)
        # memo: a partition's firings are a function of its rules and the facts it reads (the
        # caller passes only those), in order; the firings are shared, never changed by callers
        if key is None:
            facts = _facts_list(facts)
            key = tuple(f.key for f in facts)
        key = (partition, certain, key)
        with self._memo_lock:
            hit = self._memo.get(key)
            if hit is not None:
                self._memo.move_to_end(key)
        if hit is not None:
            pause = current_pause()
            if pause is not None:
                pause()  # a background evaluation gives way here too, though no action runs
            return self._recalled(partition, hit)
        firings = self._run_keyed(partition, _facts_list(facts), certain)
        messages = [f._message for f in firings]
        entry: tuple[str, ...] | tuple[Firing, ...] = tuple(firings)
        if None not in messages:
            entry = tuple(m for m in messages if m is not None)
        with self._memo_lock:
            self._memo[key] = entry
            while len(self._memo) > self.memo_size:
                self._memo.popitem(last=False)
        return firings

    def _recalled(self, partition: str, entry: tuple[str, ...] | tuple[Firing, ...]) -> list[Firing]:
        """The firings a memo entry stands for (new Firing objects for messages)."""
        if not entry or not isinstance(entry[0], str):
            return [f for f in entry if isinstance(f, Firing)]
        table = self._tables[partition]
        return [Firing(table[m[2 : m.index('"', 2)]][0], message=m) for m in entry if isinstance(m, str)]

    def _run_keyed(self, partition: str, facts: list[EncodedFact], certain: bool) -> list[Firing]:
        for attempt in range(MAX_COLLISION_RETRIES + 1):
            try:
                return self._run_once(partition, facts, certain)
            except _Collision as exc:
                if attempt == MAX_COLLISION_RETRIES:
                    raise EngineError(f"fact identity collision persisted after re-keying: {exc}") from None
                self._salt_value = str(next(self._salt) + 1)
                self._id_json = {}
        raise AssertionError("unreachable")

    def forget(self) -> None:
        """Empty the memo of partition results (benchmarks: time the engine work itself)."""
        with self._memo_lock:
            self._memo.clear()

    def release(self) -> None:
        """Delete the reused sessions (e.g. a rule base that was replaced); later runs use fresh ones."""
        with self._lock:
            self._released = True
            for partition, live in list(self._live.items()):
                self._delete(self._names[partition], live.sid)
            self._live.clear()

    def live_sessions(self) -> dict[str, str]:
        """partition -> the id of its reused session (for tests and diagnostics)."""
        with self._lock:
            return {p: live.sid for p, live in self._live.items()}

    def _delete(self, name: str, sid: str) -> None:
        try:
            self._host.delete_state(name, sid)
        except Exception:  # pragma: no cover - the session is gone either way
            pass

    def _run_once(self, partition: str, facts: list[EncodedFact], certain: bool) -> list[Firing]:
        if self.sessions == "fresh" or self._released:
            return self._run_fresh(partition, facts, certain)
        return self._run_reused(partition, facts, certain)

    def _run_reused(self, partition: str, facts: list[EncodedFact], certain: bool) -> list[Firing]:
        """One run in the partition's reused session; the session is left empty, or deleted.

        Drives durable's C API directly (the rule actions run here, in ``_drain``): no Closure or
        per-action JSON round trip of the session state, which our actions never use. The facts
        one stage gate's rules derive are asserted together once that gate's actions have run:
        rules read derived facts only from a later stage (stratification), so no rule of the same
        gate is waiting for them, and the loop goes on until nothing new is derived.
        """
        name = self._names[partition]
        part = self.partitions[partition]
        with self._lock:
            if self._released:
                return self._run_fresh_locked(partition, facts, certain)
            self._register([partition])
            handle = self._host.get_ruleset(name)._handle
            table = self._tables[partition]
            live = self._live.pop(partition, None)  # back only if it ends clean
            if live is None:
                live = _Live(f"r{next(self._seq)}")
                try:  # an action must have run in a session before it may be deleted
                    self._assert(
                        handle,
                        _C.assert_fact,
                        _dumps({"sid": live.sid, "t": "__open__"}),
                        "open fact",
                        table,
                        certain,
                        [],
                        [],
                    )
                except Exception as exc:  # not deleted: a session where no action ran cannot be
                    raise EngineError(f"the engine failed: {getattr(exc, 'message', exc)}") from exc
            sid = live.sid
            ids = live.ids
            firings: list[Firing] = []
            pending: list[EncodedFact] = []
            seen: set[str] = set()
            present: set[FactKind] = set()  # the kinds of the facts in the session
            triggers = self._triggers[partition]
            gate_ids: list[str] = []
            clean = False
            try:
                batch = self._new_facts(facts, seen, sid, ids, present)
                if batch:
                    self._assert(handle, _C.assert_facts, batch, "input fact", table, certain, firings, pending)
                for stage, mode, bucket in part.gates:
                    if certain and mode == "p":
                        continue
                    kinds = triggers.get((stage, mode, bucket))
                    if kinds is not None and kinds.isdisjoint(present):
                        self.gates_skipped += 1  # no rule of it can fire (gate_triggers)
                        continue
                    gid = f'"g:{stage}:{mode}:{bucket}"'  # JSON: the gate's id
                    gate_ids.append(gid)
                    self._assert(
                        handle,
                        _C.assert_fact,
                        f'{{"sid": "{sid}", "id": {gid}, "t": "g", "n": {stage}, "m": "{mode}", "b": {bucket}}}',
                        "stage gate",
                        table,
                        certain,
                        firings,
                        pending,
                    )
                    while pending:
                        derived = self._new_facts(pending, seen, sid, ids, present)
                        pending.clear()
                        if derived:
                            self._assert(
                                handle, _C.assert_facts, derived, "derived fact", table, certain, firings, pending
                            )
                clean = True
                return firings
            except (_Collision, EngineError):
                raise
            except Exception as exc:  # errors raised by the C engine (e.g. 303, 304)
                raise EngineError(f"the engine failed: {getattr(exc, 'message', exc)}") from exc
            finally:
                live.runs += 1
                if clean and live.runs < self.recycle_after and self._reset(handle, live, gate_ids):
                    self._live[partition] = live
                else:
                    self._delete(name, sid)

    def _new_facts(
        self, facts: Iterable[EncodedFact], seen: set[str], sid: str, ids: list[str], present: set[FactKind]
    ) -> str:
        """The facts not in the session yet (by our own identity), with the session id and an id:
        a JSON array ("" if none). ``ids`` gets each fact's id, JSON-encoded, for the reset;
        ``present`` each fact's kind."""
        out = []
        default = self._own_ids
        cache = self._id_json
        suffix = f', "sid": "{sid}", "id": '
        for key, body, fact in facts:
            if key in seen:
                continue  # an input given twice, or a fact two rules derive: once is enough
            seen.add(key)
            present.add((fact["t"], fact.get("q", "")))
            fid = cache.get(key) if default else None
            if fid is None:
                fid = _dumps(self._ids(fact))
                if default:
                    if len(cache) >= 200_000:  # bounded: text answers are open-ended
                        cache.clear()
                    cache[key] = fid
            out.append(body + suffix + fid + "}")
            ids.append(fid)
        return "[" + ",".join(out) + "]" if out else ""

    def _assert(
        self,
        handle: int,
        assert_: Callable[[int, str], Any],
        payload: str,
        what: str,
        table: dict[str, Any],
        certain: bool,
        firings: list[Firing],
        pending: list[EncodedFact],
    ) -> None:
        """Send ``payload`` (JSON) to the session and run the actions it makes due."""
        code, offset = assert_(handle, payload)
        if code == 2:
            # an id the session holds already: a different fact with the same 32-bit identity
            raise _Collision(what)
        if code != 0:
            raise EngineError(f"the engine did not take a {what} (result {code})")
        self._drain(handle, offset, table, certain, firings, pending)

    def _drain(
        self,
        handle: int,
        offset: int,
        table: dict[str, Any],
        certain: bool,
        firings: list[Firing],
        pending: list[EncodedFact],
    ) -> None:
        """Run the session's pending actions: record each firing and what it derives."""
        result = _C.start_action_for_state(handle, offset)
        if not result:
            return
        message = result[1]
        pause = current_pause()
        while message:
            # '{"<rule name>":{...matched facts...}}': the name is read without decoding the rest
            entry = table.get(message[2 : message.index('"', 2)])  # None: open__ (keeper__ never fires)
            if entry is not None:
                try:
                    if pause is not None:
                        pause()
                    rule, emits, emits_certain, answer, values = entry
                    firing = Firing(rule, message=message)
                    firings.append(firing)
                    pending.extend(self.answer_emits(firing) if answer else emits_certain if certain else emits)
                except BaseException:
                    _C.abandon_action(handle, offset)
                    raise
            message = _C.complete_and_start_action(handle, offset)

    def answer_emits(self, firing: Firing) -> tuple[EncodedFact, ...]:
        """What an answer rule's firing asserts (``answer_facts`` of the answer it matched), encoded;
        remembered by the engine's message where it was kept (bounded: text answers are open-ended)."""
        message = firing.message
        found = self._answered.get(message) if message is not None else None
        if found is None:
            rule = firing.rule
            found = tuple(map(encode, answer_facts(rule, firing.matched, self._values(rule.action.target))))
            if message is not None:
                keep(self._answered, message, found, ANSWERS_REMEMBERED)
        return found

    def _reset(self, handle: int, live: _Live, gate_ids: list[str]) -> bool:
        """Empty a session for its next run: gates first (so no rule can complete), then every fact.

        False (the caller deletes the session) if an action became due meanwhile or anything failed.
        """
        try:
            for ids in (gate_ids, live.ids):
                if not ids:
                    continue
                head = f'{{"sid": "{live.sid}", "id": '
                code, offset = _C.retract_facts(handle, "[" + ",".join(head + i + "}" for i in ids) + "]")
                if code != 0:
                    return False
                due = _C.start_action_for_state(handle, offset)
                if due:
                    _C.abandon_action(handle, offset)
                    return False
        except Exception:
            return False
        live.ids.clear()
        return True

    def _run_fresh(self, partition: str, facts: list[EncodedFact], certain: bool) -> list[Firing]:
        with self._lock:
            return self._run_fresh_locked(partition, facts, certain)

    def _run_fresh_locked(self, partition: str, facts: list[EncodedFact], certain: bool) -> list[Firing]:
        """One run in a new session, deleted at the end (the lock is held)."""
        name = self._names[partition]
        part = self.partitions[partition]
        self._register([partition])
        sid = f"e{next(self._seq)}"
        firings: list[Firing] = []
        self._current = firings
        self._derived = set()
        self._collided = None
        self._certain = certain
        try:
            self._host.assert_fact(name, {"sid": sid, "t": "__open__"})
            batch = []
            seen = self._derived
            for key, _, fact in facts:
                if key in seen:
                    continue
                seen.add(key)
                batch.append(dict(fact, sid=sid, id=self._ids(fact)))
            if batch:
                try:
                    self._host.assert_facts(name, batch)
                except _durable.MessageObservedException:
                    raise _Collision("input fact") from None
            for stage, mode, bucket in part.gates:
                if certain and mode == "p":
                    continue
                self._host.assert_fact(name, {"sid": sid, "t": "g", "n": stage, "m": mode, "b": bucket})
            if self._collided is not None:
                raise _Collision(self._collided)
            state = self._host.get_state(name, sid)
            if state.get("exception"):
                text = str(state["exception"])
                raise EngineError(f"a rule action failed inside the engine: {text[:500]}")
            return firings
        except (_Collision, EngineError):
            raise
        except Exception as exc:  # errors raised by the C engine (e.g. 303, 304)
            raise EngineError(f"the engine failed: {getattr(exc, 'message', exc)}") from exc
        finally:
            self._current = None
            self._derived = None
            try:
                self._host.delete_state(name, sid)
            except Exception:  # pragma: no cover - the session is gone either way
                pass
