"""Saved cases and the wizard's small config file, on disk.

Everything lives in one data directory: ``platformdirs.user_data_path("pathways")``, or the
directory named by the environment variable ``PATHWAYS_DATA_DIR`` (tests point it at a temporary
directory so that a developer's own cases never leak in).

    <data dir>/config.yaml          language and theme
    <data dir>/cases/<id>.yaml      one saved case each

A saved case *is* a portable answers file (``{rulebase, as_of?, answers, case}``): ``pathways
checklist <file>`` accepts it as it is. The free-form ``case`` mapping carries the wizard's own
metadata (product name, timestamps, language, the order questions were answered in, progress and
the tick-off state of checklist items).

Every write is atomic (a temporary file in the same directory, then ``os.replace``), so a killed
terminal leaves either the previous or the new version, never half a file. A case file that cannot
be read is moved aside to ``<name>.corrupt`` and reported; the other cases stay usable.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import pathways

__all__ = [
    "Case",
    "CaseStore",
    "Config",
    "CorruptCase",
    "DATA_DIR_ENV",
    "atomic_write",
    "case_document",
    "data_dir",
    "dump_yaml",
]

DATA_DIR_ENV = "PATHWAYS_DATA_DIR"
CASE_FORMAT = 1


def data_dir() -> Path:
    """The wizard's data directory (``$PATHWAYS_DATA_DIR`` or the platform's user data dir)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_data_path("pathways", appauthor=False)


def atomic_write(path: Path, text: str, *, durable: bool = True) -> None:
    """Write ``text`` to ``path`` so that readers see the old or the new file, never a torn one.

    ``durable`` also fsyncs the data before the rename (survives a power cut, costs 10-50 ms
    here). Autosave skips it: the rename alone already survives a killed process or terminal.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Block-style YAML; plain ``dict`` subclasses (the loader's located dicts) dump as mappings."""


_Dumper.add_multi_representer(dict, lambda dumper, data: dumper.represent_dict(dict(data).items()))
_Dumper.add_multi_representer(list, lambda dumper, data: dumper.represent_list(list(data)))


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False,
                     width=100)


def _now() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat()


@dataclass
class Config:
    """What the wizard remembers between runs."""

    lang: str | None = None
    theme: str | None = None

    @classmethod
    def load(cls, path: Path) -> Config:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return cls()
        if not isinstance(data, Mapping):
            return cls()
        lang = data.get("lang")
        theme = data.get("theme")
        return cls(lang=lang if lang in ("zh", "en") else None, theme=theme if isinstance(theme, str) else None)

    def save(self, path: Path) -> None:
        atomic_write(path, dump_yaml({"lang": self.lang, "theme": self.theme}))


@dataclass
class Case:
    """One case being answered: the answers (as an answers file holds them) and metadata."""

    id: str
    rulebase: dict[str, str]
    answers: dict[str, Any] = field(default_factory=dict)
    product: str = ""
    created: str = field(default_factory=_now)
    updated: str = field(default_factory=_now)
    lang: str = "en"
    order: list[str] = field(default_factory=list)
    ticked: list[str] = field(default_factory=list)
    as_of: dt.date | None = None
    answered: int = 0
    remaining_at_most: int | None = None
    complete: bool = False
    path: Path | None = None

    @staticmethod
    def new_id() -> str:
        return dt.datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)

    def snapshot(self) -> Case:
        """A copy safe to hand to another thread (for saving) while the UI keeps editing."""
        return Case(id=self.id, rulebase=dict(self.rulebase), answers=dict(self.answers), product=self.product,
                    created=self.created, updated=self.updated, lang=self.lang, order=list(self.order),
                    ticked=list(self.ticked), as_of=self.as_of, answered=self.answered,
                    remaining_at_most=self.remaining_at_most, complete=self.complete, path=self.path)


def case_document(case: Case, as_of: dt.date | None = None) -> dict[str, Any]:
    """The answers document for ``case`` (what a saved case and "Save answers as" write)."""
    doc: dict[str, Any] = {"rulebase": dict(case.rulebase)}
    when = as_of or case.as_of
    if when is not None:
        doc["as_of"] = when.isoformat()
    doc["answers"] = {q: (list(v) if isinstance(v, list) else v) for q, v in case.answers.items()}
    meta: dict[str, Any] = {
        "format": CASE_FORMAT,
        "id": case.id,
        "product": case.product,
        "created": case.created,
        "updated": case.updated,
        "lang": case.lang,
        "order": list(case.order),
        "progress": {"answered": case.answered, "remaining_at_most": case.remaining_at_most,
                     "complete": case.complete},
        "ticked": list(case.ticked),
    }
    if case.as_of is not None:
        meta["pinned_as_of"] = True
    doc["case"] = meta
    return doc


def _case_from_file(path: Path) -> Case:
    """Read a saved case; raise ValueError (with a readable reason) if it is not one."""
    try:
        answer_set = pathways.read_answers_file(path)
    except pathways.AnswersError as exc:
        raise ValueError("; ".join(str(i) for i in exc.issues)) from None
    meta = answer_set.case
    rulebase = answer_set.rulebase or {}
    if not rulebase.get("id"):
        raise ValueError("no rule base named (rulebase.id)")
    order = meta.get("order") or []
    ticked = meta.get("ticked") or []
    progress = meta.get("progress") or {}
    if not isinstance(order, list) or not isinstance(ticked, list) or not isinstance(progress, Mapping):
        raise ValueError("case metadata has the wrong shape")
    remaining = progress.get("remaining_at_most")
    return Case(
        id=str(meta.get("id") or path.stem),
        rulebase={k: str(v) for k, v in rulebase.items()},
        answers=dict(answer_set.answers),
        product=str(meta.get("product") or ""),
        created=str(meta.get("created") or ""),
        updated=str(meta.get("updated") or ""),
        lang=meta.get("lang") if meta.get("lang") in ("zh", "en") else "en",
        order=[str(q) for q in order],
        ticked=[str(i) for i in ticked],
        as_of=answer_set.as_of if meta.get("pinned_as_of") else None,
        answered=int(progress.get("answered") or 0),
        remaining_at_most=int(remaining) if isinstance(remaining, int) else None,
        complete=bool(progress.get("complete")),
        path=path,
    )


@dataclass(frozen=True)
class CorruptCase:
    """A case file that could not be read, and where it was moved."""

    original: Path
    moved_to: Path | None
    reason: str


class CaseStore:
    """The saved cases in ``<data dir>/cases``."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else data_dir()
        self.cases_dir = self.root / "cases"
        self.config_path = self.root / "config.yaml"
        self._lock = threading.Lock()
        self._saved_revision: dict[str, int] = {}

    # -- config ---------------------------------------------------------------------------------
    def load_config(self) -> Config:
        return Config.load(self.config_path)

    def save_config(self, config: Config) -> None:
        try:
            config.save(self.config_path)
        except OSError:
            pass  # a read-only home must not stop the wizard; the choice is simply not remembered

    # -- cases ----------------------------------------------------------------------------------
    def path_for(self, case_id: str) -> Path:
        return self.cases_dir / f"{case_id}.yaml"

    def list_cases(self) -> tuple[list[Case], list[CorruptCase]]:
        """The readable cases, newest first, and the unreadable ones (moved aside)."""
        cases: list[Case] = []
        corrupt: list[CorruptCase] = []
        if not self.cases_dir.is_dir():
            return cases, corrupt
        for path in sorted(self.cases_dir.glob("*.yaml")):
            try:
                cases.append(_case_from_file(path))
            except ValueError as exc:
                corrupt.append(self.move_aside(path, str(exc)))
        cases.sort(key=lambda c: c.updated, reverse=True)
        return cases, corrupt

    def load(self, case_id: str) -> Case:
        path = self.path_for(case_id)
        return _case_from_file(path)

    def move_aside(self, path: Path, reason: str) -> CorruptCase:
        target = path.with_name(path.name + ".corrupt")
        n = 1
        while target.exists():
            n += 1
            target = path.with_name(f"{path.name}.{n}.corrupt")
        try:
            os.replace(path, target)
        except OSError:
            return CorruptCase(path, None, reason)
        return CorruptCase(path, target, reason)

    def save(self, case: Case, revision: int = 0) -> Path:
        """Write ``case`` atomically. Older revisions arriving late (from a slower thread) are skipped."""
        path = case.path or self.path_for(case.id)
        with self._lock:
            if revision and self._saved_revision.get(case.id, 0) > revision:
                return path
            atomic_write(path, dump_yaml(case_document(case)), durable=False)
            self._saved_revision[case.id] = revision
        return path

    def delete(self, case: Case) -> None:
        path = case.path or self.path_for(case.id)
        try:
            path.unlink()
        except FileNotFoundError:
            pass
