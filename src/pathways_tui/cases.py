"""Saved cases and the wizard's small config file, on disk.

Everything lives in one data directory: ``platformdirs.user_data_path("pathways")``, or the
directory named by the environment variable ``PATHWAYS_DATA_DIR`` (tests point it at a temporary
directory so that a developer's own cases never leak in).

    <data dir>/config.yaml          language and theme
    <data dir>/cases/<id>.yaml      one saved case each
    <data dir>/locks/<file>.lock    the case a running wizard has open (see ``locks``)

Exports (the checklist as PDF, Excel..., the answers as YAML) go elsewhere, where a person looks for
documents: ``export_dir()``.

A saved case *is* a portable answers file (``{rulebase, as_of?, answers, case}``): ``pathways
checklist <file>`` accepts it as it is. The free-form ``case`` mapping carries the wizard's own
metadata (product name, timestamps, language, the order questions were answered in, progress and
the tick-off state of checklist items).

A case is its file. A copy of a case file (a user's backup, ``X copy.yaml``) is a case of its own,
listed, opened and saved on its own; as it carries the same id inside, it is given one of its own
(from its file name). A ``*.yaml`` file that cannot be read as a case is listed as unreadable, with
the reason, and left exactly as it is (to be fixed, or from a newer wizard): no file in the folder
can stop the wizard. Other files are not cases and are left alone.

Every write is atomic (a temporary file in the same directory, then ``os.replace``), so a killed
terminal leaves either the previous or the new version, never half a file. A save also checks that
the file is still the one this wizard last read or wrote there; if something else replaced it
meanwhile, the case is saved beside it instead (``CaseStore.save``), so that neither is lost.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import stat
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import pathways
from pathways import MAX_ANSWERS_BYTES

from .locks import CaseLock

__all__ = [
    "Case",
    "CaseStore",
    "Config",
    "DATA_DIR_ENV",
    "EXPORT_DIR_ENV",
    "UnreadableCase",
    "atomic_write",
    "case_document",
    "data_dir",
    "dump_yaml",
    "export_dir",
    "write_export",
]

DATA_DIR_ENV = "PATHWAYS_DATA_DIR"
EXPORT_DIR_ENV = "PATHWAYS_EXPORT_DIR"
CASE_FORMAT = 1
MAX_NOTE = 2000  # characters of one item note (the HTTP API's document endpoint takes as many)
_ID = re.compile(r"[\w.-]{1,80}")  # an id names a file (``<id>.yaml``): no separators, nothing odd

# A file as this wizard last saw it: device, inode, size, modification time. An atomic write makes a
# new inode, an edit in place changes the size or the time: either way the stamp changes.
Stamp = tuple[int, int, int, int]


def _stamp(st: os.stat_result) -> Stamp:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def data_dir() -> Path:
    """The wizard's data directory (``$PATHWAYS_DATA_DIR`` or the platform's user data dir)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_data_path("pathways", appauthor=False)


def export_dir() -> Path:
    """The folder the wizard proposes for exports: ``$PATHWAYS_EXPORT_DIR``, else ``pathways`` in
    the user's documents folder (``XDG_DOCUMENTS_DIR``, usually ``~/Documents``) if that exists,
    else ``~/pathways-exports``. (Never the current directory: a wizard started from a menu or in
    a browser has none the user would look in.) Created when the first export is written."""
    override = os.environ.get(EXPORT_DIR_ENV)
    if override:
        return Path(override).expanduser().absolute()
    import platformdirs

    documents = platformdirs.user_documents_path()
    if documents.is_dir():
        return documents / "pathways"
    return Path.home() / "pathways-exports"


def write_export(path: Path, data: str | bytes) -> None:
    """Write an export for the user to open, send or print: atomically, with the permissions any
    new file of theirs gets (the umask), creating its folder if need be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pathways.write_file(path, data)


def atomic_write(path: Path, text: str | bytes, *, durable: bool = True) -> os.stat_result:
    """Write ``text`` to ``path`` so that readers see the old or the new file, never a torn one;
    return the new file's status. Case data is private: the file is readable by its owner only.
    ``durable=False`` (autosave) skips the fsync: the rename alone survives a killed process."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return pathways.write_file(path, text, durable=durable, mode=0o600)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Block-style YAML; plain ``dict`` subclasses (the loader's located dicts) dump as mappings."""


_Dumper.add_multi_representer(dict, lambda dumper, data: dumper.represent_dict(dict(data).items()))
_Dumper.add_multi_representer(list, lambda dumper, data: dumper.represent_list(list(data)))


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100)


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
        # (not durable: saved on the UI thread, where an fsync on a busy disk stalls every paint;
        # a language or theme lost to a power cut is chosen again)
        atomic_write(path, dump_yaml({"lang": self.lang, "theme": self.theme}), durable=False)


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
    notes: dict[str, str] = field(default_factory=dict)  # item id -> the company's own note
    as_of: dt.date | None = None
    answered: int = 0
    remaining_at_most: int | None = None
    complete: bool = False  # the planner has no question left (items may still be open)
    # from the checklist last worked out for these answers (None: not worked out since they changed)
    to_determine: int | None = None  # items still "to determine"
    open_questions: int | None = None  # the questions they wait for ("don't know", unanswered)
    path: Path | None = None
    copy_of: str | None = None  # the id in the file, when another file has it too (and keeps it)

    @property
    def key(self) -> str:
        """What tells this case from every other: its file's name (two files may hold one id)."""
        return self.path.name if self.path is not None else f"{self.id}.yaml"

    @staticmethod
    def new_id() -> str:
        return dt.datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)

    def snapshot(self) -> Case:
        """A copy safe to hand to another thread (for saving) while the UI keeps editing."""
        return Case(
            id=self.id,
            rulebase=dict(self.rulebase),
            answers=dict(self.answers),
            product=self.product,
            created=self.created,
            updated=self.updated,
            lang=self.lang,
            order=list(self.order),
            ticked=list(self.ticked),
            notes=dict(self.notes),
            as_of=self.as_of,
            answered=self.answered,
            remaining_at_most=self.remaining_at_most,
            complete=self.complete,
            to_determine=self.to_determine,
            open_questions=self.open_questions,
            path=self.path,
        )


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
        "progress": {"answered": case.answered, "remaining_at_most": case.remaining_at_most, "complete": case.complete},
        "ticked": list(case.ticked),
    }
    if case.to_determine is not None and case.open_questions is not None:
        meta["progress"].update(to_determine=case.to_determine, open_questions=case.open_questions)
    if case.notes:
        meta["notes"] = dict(case.notes)
    if case.as_of is not None:
        meta["pinned_as_of"] = True
    doc["case"] = meta
    return doc


def _read_text(path: Path) -> tuple[str, Stamp]:
    """The text of a case file and its stamp; ValueError (with a reason) if it is not a readable
    UTF-8 file of at most 1 MiB. A FIFO or a device named ``*.yaml`` is refused, not read: reading
    one would hang the wizard or never end."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ValueError(f"cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_ANSWERS_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_ANSWERS_BYTES:
        raise ValueError("larger than 1 MiB")
    try:
        return data.decode("utf-8"), _stamp(st)
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start + 1})") from None


def _case_from_text(path: Path, text: str) -> Case:
    """A saved case from its file's text; ValueError (with a reason for the user) if it is none.

    Only what a case cannot do without makes it unreadable: YAML, answers, the rule base's id.
    Metadata of the wrong kind (``progress.answered: [1]`` or ``.inf``, a list for the product
    name) is left out instead: it is what a list line shows, and the wizard works the progress out
    again when the case is opened.
    """
    try:
        answer_set = pathways.read_answers_file(path.name, text)
    except pathways.AnswersError as exc:  # (the list names the file already)
        raise ValueError("; ".join(str(i).removeprefix(f"{path.name}: ") for i in exc.issues)) from None
    meta = answer_set.case
    rulebase = answer_set.rulebase or {}
    if not rulebase.get("id"):
        raise ValueError("no rule base named (rulebase.id)")
    progress = meta.get("progress")
    if not isinstance(progress, Mapping):
        progress = {}
    as_of = answer_set.as_of
    if isinstance(as_of, dt.datetime):  # (a timestamp where the date was expected)
        as_of = as_of.date()
    case_id = meta.get("id")
    return Case(
        id=case_id if isinstance(case_id, str) and _ID.fullmatch(case_id) else _id_from_name(path),
        rulebase=dict(rulebase),
        answers=dict(answer_set.answers),
        product=_text(meta.get("product")),
        created=_text(meta.get("created")),
        updated=_text(meta.get("updated")),
        lang=meta["lang"] if meta.get("lang") in ("zh", "en") else "en",
        order=_names(meta.get("order")),
        ticked=_names(meta.get("ticked")),
        notes=_notes(meta.get("notes")),
        as_of=as_of if meta.get("pinned_as_of") is True else None,
        answered=_count(progress.get("answered")) or 0,
        remaining_at_most=_count(progress.get("remaining_at_most")),
        complete=progress.get("complete") is True,
        to_determine=_count(progress.get("to_determine")),
        open_questions=_count(progress.get("open_questions")),
        path=path,
    )


def _notes(value: Any) -> dict[str, str]:
    """Item notes as saved (item id -> text); entries of the wrong kind are left out."""
    if not isinstance(value, Mapping):
        return {}
    return {k: v[:MAX_NOTE] for k, v in value.items() if isinstance(k, str) and isinstance(v, str) and v.strip()}


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, dt.date)):
        return ""
    return str(value)


def _names(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(v) for v in value if isinstance(v, (str, int)) and not isinstance(v, bool)]


def _count(value: Any) -> int | None:
    """A plain count (``answered``, ``remaining_at_most``...), or None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1_000_000:
        return None
    return value


def _id_from_name(path: Path) -> str:
    return re.sub(r"[^\w.-]+", "-", path.stem).strip("-.")[:80] or "case"


def _read_case(path: Path) -> tuple[Case, Stamp]:
    """Read a case file; ValueError with the reason for whatever makes it no case.

    A file may trip the core's reader in ways it does not report as an answers error (nesting
    deeper than Python's recursion limit, an impossible date): that too is the file's reason,
    never the wizard's end (issue 20).
    """
    try:
        text, stamp = _read_text(path)
        return _case_from_text(path, text), stamp
    except ValueError as exc:
        raise ValueError(str(exc) or type(exc).__name__) from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except Exception as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from None


def _give_distinct_ids(cases: list[Case]) -> None:
    """Two files with one id (a copy): the file named after the id keeps it, the others get one
    from their file names. Only in memory, until such a case is saved."""
    owners = [c for c in cases if c.path is not None and c.path.stem == c.id]
    owned = {id(c) for c in owners}
    others = sorted((c for c in cases if id(c) not in owned), key=lambda c: c.key)
    taken: set[str] = set()
    for case in owners + others:
        if case.id in taken:
            base = _id_from_name(case.path) if case.path is not None else case.id
            new, n = base, 1
            while new in taken:
                n += 1
                new = f"{base}-{n}"
            case.copy_of, case.id = case.id, new
        taken.add(case.id)


@dataclass(frozen=True)
class UnreadableCase:
    """A file in the cases folder that is not a case the wizard can open, and why."""

    path: Path
    reason: str

    @property
    def key(self) -> str:
        return self.path.name


class CaseStore:
    """The saved cases in ``<data dir>/cases``."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else data_dir()
        self.cases_dir = self.root / "cases"
        self.config_path = self.root / "config.yaml"
        self._lock = threading.Lock()
        self._on_disk: dict[Path, Stamp] = {}  # each case file as this wizard last read or wrote it

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

    def list_cases(self) -> tuple[list[Case], list[UnreadableCase]]:
        """The readable cases, newest first, and the files that are not (by name). Nothing on disk
        changes: an unreadable file stays where it is, for the user to fix or remove."""
        cases: list[Case] = []
        unreadable: list[UnreadableCase] = []
        try:
            paths = sorted(self.cases_dir.glob("*.yaml")) if self.cases_dir.is_dir() else []
        except OSError as exc:
            return cases, [UnreadableCase(self.cases_dir, f"cannot read the folder: {exc.strerror or exc}")]
        for path in paths:
            try:
                cases.append(_read_case(path)[0])
            except ValueError as exc:
                unreadable.append(UnreadableCase(path, str(exc)))
        _give_distinct_ids(cases)
        cases.sort(key=lambda c: c.updated, reverse=True)
        return cases, unreadable

    def load(self, path: Path) -> Case:
        """Read the case in ``path`` to open it (ValueError if it cannot be read): what is on disk
        now, which another wizard may have changed since the list was read."""
        case, stamp = _read_case(path)
        with self._lock:
            self._on_disk[path] = stamp
        return case

    def lock(self, case: Case) -> CaseLock:
        """Take the lock on ``case`` (raises ``locks.CaseInUse`` if another wizard has it open)."""
        return CaseLock.acquire(self.root / "locks" / f"{case.key}.lock")

    def save(self, case: Case) -> Path:
        """Write ``case`` atomically to its file; return the file written.

        If the file is not the one this wizard last read or wrote there (replaced by an editor, a
        sync tool, or a second wizard where there is no lock), it is left alone and the case is
        written beside it as ``<name>-conflict-N.yaml``: the user keeps both versions. (The lock
        makes this rare; the check is what still holds where there is no lock.)
        """
        path = case.path or self.path_for(case.id)
        text = dump_yaml(case_document(case))
        with self._lock:
            try:
                on_disk: Stamp | None = _stamp(os.stat(path))
            except FileNotFoundError:
                on_disk = None  # (a new case, or removed meanwhile: written again)
            if on_disk is not None and on_disk != self._on_disk.get(path):
                path = self._free_path(path, "conflict")
            self._on_disk[path] = _stamp(atomic_write(path, text, durable=False))
        return path

    def _free_path(self, path: Path, label: str) -> Path:
        n = 1
        while True:
            candidate = path.with_name(f"{path.stem}-{label}{'' if n == 1 else f'-{n}'}{path.suffix}")
            if not candidate.exists():
                return candidate
            n += 1

    def delete(self, case: Case) -> None:
        path = case.path or self.path_for(case.id)
        try:
            path.unlink()
        except FileNotFoundError:
            pass
