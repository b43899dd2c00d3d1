"""Loading a rule base: files → validated models → checked cross-references and graphs.

Every problem is collected (not just the first) as a RuleIssue with file, line, column and a
stable code; the caller gets a RuleBaseError listing them all.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import typing
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic
from pydantic import BaseModel

from ._conditions import Cond, FactInfo, facts_of, negated_facts_of, parse_condition
from ._errors import RuleBaseError, RuleIssue, suggest
from ._models import (
    DUPLICATE_OPTION,
    MAX_NUMBER,
    Authority,
    FactRule,
    FileName,
    Item,
    Manifest,
    Question,
    Route,
    RuleFile,
    Source,
    SourceRef,
)
from ._yaml import LocDict, LocList, YamlFailure, load_yaml_file, position

if TYPE_CHECKING:
    from ._run import Compiled

__all__ = [
    "FactRuleDef",
    "ItemDef",
    "LoadReport",
    "QuestionDef",
    "RouteDef",
    "RuleBase",
    "check_rule_base",
    "load_rule_base",
    "default_rules_dir",
    "CORE",
]

CORE = "__core__"  # the partition holding common questions, common facts and route applicability


@dataclass(frozen=True)
class QuestionDef:
    model: Question
    file: str
    line: int
    partition: str
    ask_when: Cond | None


@dataclass(frozen=True)
class FactRuleDef:
    model: FactRule
    file: str
    line: int
    partition: str
    when: Cond


@dataclass(frozen=True)
class RouteDef:
    model: Route
    file: str
    line: int
    when: Cond


@dataclass(frozen=True)
class ItemDef:
    model: Item
    route: str
    file: str
    line: int
    when: Cond | None


@dataclass
class RuleBase:
    """A loaded, checked rule base. Immutable in use; compile it with ``pathways.compile``."""

    root: Path
    manifest: Manifest
    content_hash: str
    questions: dict[str, QuestionDef]
    fact_rules: list[FactRuleDef]
    derived: dict[str, FactInfo]
    routes: dict[str, RouteDef]
    items: dict[str, ItemDef]
    authorities: dict[str, Authority]
    sources: dict[str, Source]
    symbols: dict[str, FactInfo]
    partitions: list[str]  # evaluation order: CORE first, then routes by dependency
    partition_needs: dict[str, set[str]] = field(default_factory=dict)
    scenario_files: list[Path] = field(default_factory=list)
    _compiled: Compiled | None = None

    @property
    def id(self) -> str:
        return self.manifest.id

    @functools.cached_property
    def question_rank(self) -> dict[str, int]:
        """Each question's place in the wizard (file order)."""
        return {qid: i for i, qid in enumerate(self.questions)}

    @functools.cached_property
    def item_rank(self) -> dict[str, int]:
        return {iid: i for i, iid in enumerate(self.items)}

    @functools.cached_property
    def route_items(self) -> dict[str, frozenset[str]]:
        """route -> the ids of its items."""
        out: dict[str, set[str]] = {rid: set() for rid in self.routes}
        for iid, d in self.items.items():
            out.setdefault(d.route, set()).add(iid)
        return {rid: frozenset(ids) for rid, ids in out.items()}

    @functools.cached_property
    def route_rank(self) -> dict[str, int]:
        return {rid: i for i, rid in enumerate(self.routes)}

    @functools.cached_property
    def fact_rule_index(self) -> dict[str, FactRuleDef]:
        return {r.model.id: r for r in self.fact_rules}

    @property
    def version(self) -> str:
        return self.manifest.version

    def kinds(self) -> dict[str, str]:
        """closed (yes/no and choice questions), open (number, date, text) or derived."""
        return {
            name: (
                "derived"
                if info.kind == "derived"
                else "closed"
                if info.value_type in ("yes_no", "choice", "multi")
                else "open"
            )
            for name, info in self.symbols.items()
        }

    def possible_values(self, qid: str) -> tuple[object, ...]:
        """Every value a closed question's answer can put into the engine."""
        q = self.questions[qid].model
        if q.type == "yes_no":
            return (True, False)
        if q.type == "multi":
            return (*q.option_values, "__none__")
        return q.option_values

    def feeders(self) -> dict[str, tuple[str, ...]]:
        """For each derived fact (and route flag), the questions it is derived from, transitively."""
        direct: dict[str, set[str]] = {}
        for rule in self.fact_rules:
            for name in rule.model.set:
                direct.setdefault(name, set()).update(facts_of(rule.when))
        for rid, route in self.routes.items():
            direct.setdefault(f"route.{rid}", set()).update(facts_of(route.when))
        out: dict[str, tuple[str, ...]] = {}

        def close(name: str, trail: frozenset[str]) -> set[str]:
            found: set[str] = set()
            for dep in direct.get(name, ()):
                if dep in self.questions:
                    found.add(dep)
                elif dep not in trail:
                    found |= close(dep, trail | {dep})
            return found

        order = list(self.questions)
        for name in direct:
            out[name] = tuple(sorted(close(name, frozenset({name})), key=order.index))
        return out

    def fact_partition(self, name: str) -> str:
        if name in self.questions:
            return self.questions[name].partition
        if name.startswith("route."):
            return CORE
        for rule in self.fact_rules:
            if name in rule.model.set:
                return rule.partition
        return CORE


def default_rules_dir() -> Path:
    """The shipped rule base: packaged with the wheel, or ``rules/`` in a source checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "_rules"
    if (packaged / "rulebase.yaml").is_file():
        return packaged
    return here.parent.parent / "rules"


# ---- pydantic errors → positioned issues ----------------------------------------------------


def _unwrap(annotation: Any) -> Any:
    """The model class (if any) behind Optional/list/Annotated wrappers."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (list, typing.Union) or str(origin) == "<class 'types.UnionType'>":
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            if models:
                annotation = models[0]
            elif args and origin is list:
                annotation = args[0]
            else:
                return annotation
        else:
            import types

            if isinstance(annotation, types.UnionType):
                args = [a for a in typing.get_args(annotation) if a is not type(None)]
                models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
                annotation = models[0] if models else args[0]
                continue
            return annotation


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    current: Any = model
    for step in loc:
        if isinstance(step, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        fields = {f.alias or name: f for name, f in current.model_fields.items()}
        if step not in fields:
            return None
        current = _unwrap(fields[step].annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


_SINGULAR = {
    "questions": "question",
    "facts": "fact rule",
    "items": "item",
    "sources": "source",
    "authorities": "authority",
    "options": "option",
    "scenarios": "scenario",
    "documents": "document",
    "after": "after",
    "files": "file",
}


def entry_label(section: str, entry: Any, index: int) -> str:
    """How a consultant finds an entry: by its id, else by its 1-based number."""
    kind = _SINGULAR.get(section, section)
    if isinstance(entry, dict):
        ident = entry.get("id", entry.get("value", entry.get("name")))
        if isinstance(ident, str):
            return f"{kind} '{ident}'"
    return f"{kind} #{index + 1}"


def human_path(root: Any, loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    node = root
    section = ""
    for step in loc:
        if isinstance(step, str) and step[:1].isupper():
            continue  # a union member's name, not a place in the file
        if isinstance(step, int):
            entry = node[step] if isinstance(node, list) and 0 <= step < len(node) else None
            label = entry_label(section, entry, step)
            if parts and parts[-1] == section:
                parts[-1] = label
            else:
                parts.append(label)
        else:
            parts.append(str(step))
            section = str(step)
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            node = None
    return " > ".join(parts)


def _message(err: Any) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "model_type" and ctx.get("class_name") == "Text":
        return "expected a text in both languages: {zh: ..., en: ...}"
    if kind in ("model_type", "dict_type"):
        return f"expected a mapping, got {_describe_input(err.get('input'))}"
    if kind == "list_type":
        return f"expected a list, got {_describe_input(err.get('input'))}"
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected', '')}, got {_describe_input(err.get('input'))}"
    message: str = err["msg"]
    return message.removeprefix("Value error, ")


def _describe_input(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return f"{type(value).__name__.replace('str', 'text').replace('int', 'number')} {value!r}"


def _literal_suggestion(err: Any) -> str | None:
    if err["type"] != "literal_error":
        return None
    expected = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
    return suggest(str(err.get("input")), expected) if expected else None


def validation_issues(
    exc: pydantic.ValidationError, model: type[BaseModel], root: Any, filename: str, label: str = ""
) -> list[RuleIssue]:
    issues = []
    prefix = f"{label}: " if label else ""
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            parent_loc, key = loc[:-1], loc[-1]
            parent = _walk(root, parent_loc)
            line, col = (
                parent.key_pos.get(key, (parent.line, parent.column))
                if isinstance(parent, LocDict)
                else position(root, loc)
            )
            target = _model_at(model, parent_loc)
            allowed = _field_names(target) if target else []
            where = f" in {human_path(root, parent_loc)}" if parent_loc else ""
            hint = f"; allowed: {', '.join(allowed)}" if allowed else ""
            issues.append(
                RuleIssue(
                    "PW110",
                    f"{prefix}unknown key '{key}'{where}{hint}",
                    filename,
                    line,
                    col,
                    suggest(str(key), allowed),
                )
            )
        elif kind == "missing":
            parent_loc, key = loc[:-1], loc[-1]
            line, col = position(root, parent_loc)
            where = f" in {human_path(root, parent_loc)}" if parent_loc else ""
            issues.append(RuleIssue("PW112", f"{prefix}missing required key '{key}'{where}", filename, line, col))
        else:
            line, col = position(root, loc)
            path = human_path(root, loc)
            message = _message(err)
            issues.append(
                RuleIssue(
                    "PW111",
                    f"{prefix}{path}: {message}" if path else prefix + message,
                    filename,
                    line,
                    col,
                    _literal_suggestion(err),
                )
            )
    # a union failure reports once per alternative; keep one issue per position and code
    unique: dict[tuple[int, int, str], RuleIssue] = {}
    for issue in issues:
        unique.setdefault((issue.line, issue.column, issue.code), issue)
    return list(unique.values())


def _walk(root: Any, loc: tuple[Any, ...]) -> Any:
    node = root
    for step in loc:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _unknown_reference(issue: RuleIssue) -> bool:
    """An issue saying that an id or a derived value is defined nowhere (PW120-PW124, PW131)."""
    return (
        issue.code in ("PW120", "PW121", "PW122", "PW123", "PW124")
        and "unknown" in issue.message
        or issue.code == "PW131"
        and "a value set for" in issue.message
    )


_FILE_NAME: pydantic.TypeAdapter[str] = pydantic.TypeAdapter(FileName)


def _listed(raw_manifest: Any, key: str) -> list[str | None]:
    """The file names under ``key`` of a manifest that failed validation; None in place of a name
    that is not valid (the manifest's own issues already say why)."""
    names = raw_manifest.get(key) if isinstance(raw_manifest, dict) else None
    if not isinstance(names, list):
        return []
    out: list[str | None] = []
    for name in names:
        try:
            out.append(_FILE_NAME.validate_python(name))
        except pydantic.ValidationError:
            out.append(None)
    return out


# ---- the loader ----------------------------------------------------------------------------

_FAILED = object()  # a file that could not be read or parsed (already reported)


class _Loader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.issues: list[RuleIssue] = []
        self.hasher = hashlib.sha256()
        self.failed_ids: set[str] = set()  # entries that failed validation: no follow-on errors
        self.failed_sets: list[tuple[str, Any, str, tuple[int, int]]] = []  # what failed fact rules set
        self.declared: dict[str, set[str]] = defaultdict(set)  # every id written, valid or not
        self.unread_files: list[str] = []  # listed rule files missing, unreadable or not parsable

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent)) if self.root.parent != path else str(path)
        except ValueError:
            return str(path)

    def read(self, path: Path) -> Any:
        try:
            data = load_yaml_file(path, self.rel(path))
        except YamlFailure as failure:
            self.issues.append(failure.issue)
            return _FAILED
        # the content hash names files relative to the rule base, so a copy elsewhere hashes the same
        try:
            name = path.relative_to(self.root).as_posix()
        except ValueError:
            name = path.name
        self.hasher.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
        return data

    def validate(self, model: type[BaseModel], data: Any, filename: str) -> Any:
        if not isinstance(data, dict):
            what = "the file is empty" if data is None else f"got {_describe_input(data)}"
            self.issues.append(RuleIssue("PW111", f"expected a mapping at the top of the file; {what}", filename, 1, 1))
            return None
        try:
            return model.model_validate(data)
        except pydantic.ValidationError as exc:
            self.issues.extend(validation_issues(exc, model, data, filename))
            return None

    def load(self) -> tuple[RuleBase | None, list[Path]]:
        """The rule base (None when anything is wrong: every issue is in ``self.issues``) and the
        scenario files the manifest lists.

        Each file is checked whatever was found in the others, so one run reports every
        independent problem. What truly depends on an earlier step: nothing can be read without
        the directory and a parsable manifest (it lists the files), a file with a YAML syntax
        error has no entries to check, and the cross-file checks see only the entries that
        passed their own validation (see ``without_follow_on_errors``).
        """
        manifest_path = self.root / "rulebase.yaml"
        if not self.root.is_dir():
            what = (
                "not a rule base directory but a file: give the directory that holds rulebase.yaml"
                if self.root.exists()
                else "rule base directory not found"
            )
            self.issues.append(RuleIssue("PW103", what, str(self.root)))
            return None, []
        raw_manifest = self.read(manifest_path)
        if raw_manifest is _FAILED:
            return None, []
        manifest = self.validate(Manifest, raw_manifest, self.rel(manifest_path))
        # a manifest with a typo in its title still lists the files: check them too
        file_names = manifest.files if manifest is not None else _listed(raw_manifest, "files")
        scenario_names = manifest.scenarios if manifest is not None else _listed(raw_manifest, "scenarios")

        files: list[tuple[str, Any, RuleFile]] = []
        for index, name in enumerate(file_names):
            if name is None:
                continue
            path = self.root / name
            if not self.inside(name, path, raw_manifest, ("files", index)):
                continue
            if not path.is_file():
                line, col = position(raw_manifest, ("files", index))
                self.issues.append(
                    RuleIssue(
                        "PW160",
                        f"listed file '{name}' does not exist",
                        self.rel(manifest_path),
                        line,
                        col,
                        suggest(name, [str(p.relative_to(self.root)) for p in self.root.rglob("*.y*ml")]),
                    )
                )
                self.unread_files.append(name)
                continue
            data = self.read(path)
            if data is _FAILED:
                self.unread_files.append(name)
                continue
            checked = self.validate_rule_file(data, self.rel(path))
            if checked is not None:
                files.append((self.rel(path), *checked))
        scenario_files = []
        for index, name in enumerate(scenario_names):
            if name is None:
                continue
            path = self.root / name
            if not self.inside(name, path, raw_manifest, ("scenarios", index)):
                continue
            if not path.is_file():
                line, col = position(raw_manifest, ("scenarios", index))
                self.issues.append(
                    RuleIssue(
                        "PW160", f"listed scenario file '{name}' does not exist", self.rel(manifest_path), line, col
                    )
                )
            else:
                scenario_files.append(path)
        rule_base = self.assemble(manifest, files)
        if self.issues:
            self.issues = self.without_follow_on_errors()
            return None, scenario_files
        assert rule_base is not None
        rule_base.scenario_files = scenario_files
        return rule_base, scenario_files

    def inside(self, name: str, path: Path, raw_manifest: Any, where: tuple[Any, ...]) -> bool:
        """Whether a file the manifest lists lies inside the rule base (else a PW160 at its entry):
        not absolute, no '..', and no symlink out of it."""
        if Path(name).is_absolute() or ".." in Path(name).parts:
            why = "an absolute path" if Path(name).is_absolute() else "a path through '..'"
        else:
            try:
                outside = not path.resolve().is_relative_to(self.root.resolve())
            except (OSError, RuntimeError):  # a symlink loop
                outside = True
            if not outside:
                return True
            why = "a link to a file elsewhere"
        line, col = position(raw_manifest, where)
        self.issues.append(
            RuleIssue(
                "PW160",
                f"'{name}' points outside the rule base ({why}); list files "
                "by their path inside the rule base directory",
                self.rel(self.root / "rulebase.yaml"),
                line,
                col,
            )
        )
        return False

    def without_follow_on_errors(self) -> list[RuleIssue]:
        """Drop "unknown X" errors about entries that are already reported as invalid.

        A listed rule file that could not be read or parsed may define any id: until it parses, a
        reference cannot be told from a typo, so no reference is reported as unknown (a check that
        truly waits for the file's own error to be fixed).
        """
        if self.unread_files:
            return [issue for issue in self.issues if not _unknown_reference(issue)]
        if not self.failed_ids:
            return self.issues
        kept = []
        for issue in self.issues:
            if issue.code in ("PW120", "PW121", "PW122", "PW123", "PW124") and any(
                f"unknown {kind} '{fid}'" in issue.message or f"item '{fid}'" in issue.message
                for fid in self.failed_ids
                for kind in ("fact or question", "source", "authority", "item", "route", "parent")
            ):
                continue
            kept.append(issue)
        return kept

    def validate_rule_file(self, data: Any, filename: str) -> tuple[LocDict, RuleFile] | None:
        """Validate entry by entry, so that one bad entry does not hide the rest of the file.

        Returns the raw data restricted to the valid entries (indices line up with the model's
        lists) and the model.
        """
        if not isinstance(data, dict):
            what = "the file is empty" if data is None else f"got {_describe_input(data)}"
            self.issues.append(
                RuleIssue(
                    "PW111",
                    f"expected a mapping with route, questions, facts or items at the top of the file; {what}",
                    filename,
                    1,
                    1,
                )
            )
            return None
        assert isinstance(data, LocDict)  # the YAML reader makes every mapping a LocDict
        allowed = _field_names(RuleFile)
        kept = LocDict()
        kept.line, kept.column = data.line, data.column
        fields: dict[str, Any] = {}
        for key in data:
            if key not in allowed:
                line, col = data.key_pos.get(key, (1, 1))
                self.issues.append(
                    RuleIssue(
                        "PW110",
                        f"unknown key '{key}' at the top of the file; allowed: {', '.join(allowed)}",
                        filename,
                        line,
                        col,
                        suggest(str(key), allowed),
                    )
                )
        route_failed = False
        self.declare("routes", data.get("route"))
        if "route" in data:
            try:
                fields["route"] = Route.model_validate(data["route"])
                kept["route"] = data["route"]
                kept.value_pos["route"] = data.value_pos["route"]
            except pydantic.ValidationError as exc:
                route_failed = True  # its items are still validated, but kept out of the cross-file checks
                self.issues.extend(validation_issues(exc, Route, data["route"], filename, "route"))
        sections: dict[str, type[BaseModel]] = {
            "authorities": Authority,
            "sources": Source,
            "questions": Question,
            "facts": FactRule,
            "items": Item,
        }
        for section, model in sections.items():
            if section not in data:
                continue
            raw = data[section]
            if raw is None:
                continue
            if not isinstance(raw, list):
                line, col = data.value_pos[section]
                self.issues.append(
                    RuleIssue(
                        "PW111",
                        f"'{section}' must be a list of entries, got {_describe_input(raw)}",
                        filename,
                        line,
                        col,
                    )
                )
                continue
            assert isinstance(raw, LocList)  # and every list a LocList
            good = LocList()
            good.line, good.column = raw.line, raw.column
            models = []
            for index, entry in enumerate(raw):
                label = entry_label(section, entry, index)
                self.declare(section, entry)
                # every entry is validated, so that all of its own errors show in one run; an entry
                # kept out of the cross-file checks (its route broken, an option value twice) is
                # noted as failed, so that references to it are not reported as unknown
                valid = not (section == "items" and route_failed)
                unique = not (
                    isinstance(entry, dict)
                    and section == "questions"
                    and not self.options_unique(entry, filename, label)
                )
                try:
                    entry_model = model.model_validate(entry)
                except pydantic.ValidationError as exc:
                    root = entry if isinstance(entry, (LocDict, LocList)) else raw
                    found = (
                        validation_issues(exc, model, entry, filename, label)
                        if root is entry
                        else validation_issues(exc, model, raw, filename, label)
                    )
                    if not unique:  # said above with the position; the model's own check only says that
                        found = [i for i in found if not i.message.endswith(DUPLICATE_OPTION)]
                    self.issues.extend(found)
                    valid = False
                valid = valid and unique
                if not valid:
                    self.note_failed(entry, filename)
                    continue
                models.append(entry_model)
                good.append(entry)
                good.item_pos.append(raw.item_pos[index])
            kept[section] = good
            kept.value_pos[section] = data.value_pos[section]
            fields[section] = models
        if fields.get("items") and "route" not in fields and not route_failed:
            for index, item in enumerate(fields["items"]):
                if item.route is None:
                    line, col = position(kept, ("items", index))
                    self.issues.append(
                        RuleIssue(
                            "PW112",
                            f"item '{item.id}' is outside a route file and must name its 'route'",
                            filename,
                            line,
                            col,
                        )
                    )
        return kept, RuleFile.model_construct(**fields)

    def declare(self, section: str, entry: Any) -> None:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            self.declared[section].add(entry["id"])
            if section == "routes":
                self.declared["derived"].add(f"route.{entry['id']}")
        if section == "facts" and isinstance(entry, dict) and isinstance(entry.get("set"), dict):
            self.declared["derived"].update(name for name in entry["set"] if isinstance(name, str))

    def note_failed(self, entry: Any, filename: str) -> None:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            self.failed_ids.add(entry["id"])
        # the facts a failed fact rule sets still exist for the conditions that test them: without
        # them a typo in one rule would also be reported as unknown facts or values elsewhere
        assigned = entry.get("set") if isinstance(entry, LocDict) else None
        if isinstance(assigned, LocDict):
            for name, value in assigned.items():
                if isinstance(name, str) and isinstance(value, (bool, int, float, str)):
                    self.failed_sets.append((name, value, filename, assigned.value_pos.get(name, (1, 1))))

    def options_unique(self, entry: Any, filename: str, label: str) -> bool:
        options = entry.get("options")
        if not isinstance(options, LocList):
            return True
        seen: dict[str, int] = {}
        ok = True
        for index, option in enumerate(options):
            value = option.get("value") if isinstance(option, dict) else None
            if value is None:
                continue
            key = str(value)
            if key in seen:
                line, col = (
                    option.value_pos.get("value", options.item_pos[index])
                    if isinstance(option, LocDict)
                    else options.item_pos[index]
                )
                self.issues.append(
                    RuleIssue(
                        "PW125",
                        f"{label}: option value '{key}' appears twice (first as option #{seen[key] + 1})",
                        filename,
                        line,
                        col,
                    )
                )
                ok = False
            else:
                seen[key] = index
        return ok

    # ---- cross-file checks ----

    def error(
        self, code: str, message: str, filename: str, pos: tuple[int, int], suggestion: str | None = None
    ) -> None:
        self.issues.append(RuleIssue(code, message, filename, pos[0], pos[1], suggestion))

    def assemble(self, manifest: Manifest | None, files: list[tuple[str, Any, RuleFile]]) -> RuleBase | None:
        """Cross-file checks over the entries that passed validation; the rule base when no issue was found."""
        authorities: dict[str, Authority] = {}
        sources: dict[str, Source] = {}
        questions: dict[str, tuple[Question, str, Any, int]] = {}
        routes: dict[str, tuple[Route, str, Any]] = {}
        fact_rules: list[tuple[FactRule, str, Any, int, str]] = []
        items: dict[str, tuple[Item, str, str, Any, int]] = {}
        ids_seen: dict[str, tuple[str, str, int]] = {}
        q_partition_of: dict[str, str] = {}
        parent_at: dict[str, tuple[str, tuple[int, int]]] = {}  # authority -> where its parent is named

        def claim(kind: str, ident: str, filename: str, pos: tuple[int, int]) -> bool:
            key = f"{kind}:{ident}"
            if key in ids_seen:
                _, first_file, first_line = ids_seen[key]
                self.error(
                    "PW125",
                    f"duplicate {kind} id '{ident}' (first defined at {first_file}:{first_line})",
                    filename,
                    pos,
                )
                return False
            ids_seen[key] = (kind, filename, pos[0])
            return True

        for filename, data, model in files:
            partition = model.route.id if model.route else CORE
            if model.route:
                pos = position(data, ("route", "id"))
                if claim("route", model.route.id, filename, pos):
                    routes[model.route.id] = (model.route, filename, data["route"])
            for i, a in enumerate(model.authorities):
                if claim("authority", a.id, filename, position(data, ("authorities", i, "id"))):
                    authorities[a.id] = a
                    parent_at[a.id] = (filename, position(data, ("authorities", i, "parent")))
            for i, s in enumerate(model.sources):
                if claim("source", s.id, filename, position(data, ("sources", i, "id"))):
                    sources[s.id] = s
            for i, q in enumerate(model.questions):
                pos = position(data, ("questions", i, "id"))
                if claim("question", q.id, filename, pos):
                    questions[q.id] = (q, filename, data["questions"][i], pos[0])
                    q_partition_of[q.id] = partition
            for i, r in enumerate(model.facts):
                pos = position(data, ("facts", i, "id"))
                if claim("fact rule", r.id, filename, pos):
                    fact_rules.append((r, filename, data["facts"][i], pos[0], partition))
            for i, it in enumerate(model.items):
                pos = position(data, ("items", i, "id"))
                route_id = it.route or partition
                if it.route and model.route and it.route != model.route.id:
                    self.error(
                        "PW124",
                        f"item '{it.id}' names route '{it.route}' but sits in the "
                        f"file of route '{model.route.id}'; move it or drop 'route'",
                        filename,
                        position(data, ("items", i, "route")),
                    )
                if claim("item", it.id, filename, pos):
                    items[it.id] = (it, route_id, filename, data["items"][i], pos[0])

        # symbols: questions, derived facts, route flags
        symbols: dict[str, FactInfo] = {}
        for qid, (q, _filename, _raw, _line) in questions.items():
            symbols[qid] = FactInfo(
                qid,
                "question",
                q.type,
                q.option_values if q.type in ("choice", "multi") else ((True, False) if q.type == "yes_no" else None),
                q.unknown == "allowed",
            )
        derived_values: dict[str, list[tuple[Any, str, Any, tuple[int, int]]]] = defaultdict(list)
        for r, filename, raw, _line, _partition in fact_rules:
            for name, value in r.set.items():
                if (
                    isinstance(value, (int, float))
                    and not isinstance(value, bool)
                    and not (math.isfinite(value) and abs(value) <= MAX_NUMBER)
                ):
                    self.error(
                        "PW132",
                        f"fact rule '{r.id}' sets '{name}' to {value}: a number must be finite "
                        f"and at most {MAX_NUMBER:.0e} in size",
                        filename,
                        position(raw, ("set", name)),
                    )
                    continue
                derived_values[name].append((value, filename, raw, position(raw, ("set", name))))
        for name, value, filename, pos in self.failed_sets:
            if not (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and not (math.isfinite(value) and abs(value) <= MAX_NUMBER)
            ):
                derived_values[name].append((value, filename, None, pos))
        derived: dict[str, FactInfo] = {}
        derived_partition: dict[str, str] = {}
        for name, entries in derived_values.items():
            first_file, first_pos = entries[0][1], entries[0][3]
            if name in questions:
                self.error(
                    "PW125", f"'{name}' is a question; a derived fact cannot share its id", first_file, first_pos
                )
                continue
            types = {
                "bool" if isinstance(v, bool) else "number" if isinstance(v, (int, float)) else "str"
                for v, *_ in entries
            }
            if len(types) > 1:
                self.error(
                    "PW132",
                    f"derived fact '{name}' is set to values of different types "
                    f"({', '.join(sorted(types))}); use one type",
                    first_file,
                    first_pos,
                )
                continue
            values = tuple(dict.fromkeys(v for v, *_ in entries))
            vt = types.pop()
            if vt == "bool":
                values = (True, False)
            derived[name] = FactInfo(name, "derived", vt, values)
        for r, filename, raw, _line, partition in fact_rules:
            for name in r.set:
                first = derived_partition.setdefault(name, partition)
                if first != partition:
                    self.error(
                        "PW126",
                        f"derived fact '{name}' is set in two places ({first} and {partition}); set it in one file",
                        filename,
                        position(raw, ("set", name)),
                    )
        for route_id in routes:
            derived[f"route.{route_id}"] = FactInfo(f"route.{route_id}", "derived", "bool", (True, False))
        symbols.update(derived)

        # conditions
        question_defs: dict[str, QuestionDef] = {}
        for qid, (q, filename, raw, line) in questions.items():
            cond = None
            if q.ask_when is not None:
                cond = parse_condition(q.ask_when, position(raw, ("ask_when",)), symbols, filename, self.issues)
            question_defs[qid] = QuestionDef(q, filename, line, q_partition_of[qid], cond)
        route_defs: dict[str, RouteDef] = {}
        for rid, (route, filename, raw) in routes.items():
            cond = parse_condition(route.when, position(raw, ("when",)), symbols, filename, self.issues)
            if cond is not None:
                route_defs[rid] = RouteDef(route, filename, raw.line, cond)
        fact_defs: list[FactRuleDef] = []
        for r, filename, raw, line, partition in fact_rules:
            cond = parse_condition(r.when, position(raw, ("when",)), symbols, filename, self.issues)
            if cond is not None:
                fact_defs.append(FactRuleDef(r, filename, line, partition, cond))
        item_defs: dict[str, ItemDef] = {}
        for iid, (it, route_id, filename, raw, line) in items.items():
            if route_id not in routes:
                self.error(
                    "PW124",
                    f"item '{iid}' names unknown route '{route_id}'",
                    filename,
                    position(raw, ("route",)),
                    suggest(route_id, routes),
                )
                continue
            cond = None
            if it.when is not None:
                cond = parse_condition(it.when, position(raw, ("when",)), symbols, filename, self.issues)
                if cond is None:
                    continue
            item_defs[iid] = ItemDef(it, route_id, filename, line, cond)

        # references: sources, authorities, after
        def check_sources(refs: list[SourceRef], filename: str, raw: Any, base: tuple[Any, ...]) -> None:
            for i, ref in enumerate(refs):
                if ref.id not in sources:
                    self.error(
                        "PW121",
                        f"unknown source '{ref.id}'",
                        filename,
                        position(raw, (*base, i)),
                        suggest(ref.id, sources),
                    )

        for q, filename, raw, _line in questions.values():
            check_sources(q.sources, filename, raw, ("sources",))
        for r, filename, raw, _line, _partition in fact_rules:
            check_sources(r.sources, filename, raw, ("sources",))
        for route, filename, raw in routes.values():
            check_sources(route.sources, filename, raw, ("sources",))
        for a in authorities.values():
            if a.parent and a.parent not in authorities:
                self.error(
                    "PW122",
                    f"authority '{a.id}' names unknown parent '{a.parent}'",
                    *parent_at[a.id],
                    suggest(a.parent, authorities),
                )
        for iid, (it, _route_id, filename, raw, _line) in items.items():
            check_sources(it.sources, filename, raw, ("sources",))
            if it.authority and it.authority not in authorities:
                self.error(
                    "PW122",
                    f"unknown authority '{it.authority}'",
                    filename,
                    position(raw, ("authority",)),
                    suggest(it.authority, authorities),
                )
            for i, dep in enumerate(it.after):
                if dep not in items:
                    self.error(
                        "PW123",
                        f"item '{iid}' comes after unknown item '{dep}'",
                        filename,
                        position(raw, ("after", i)),
                        suggest(dep, items),
                    )
                elif dep == iid:
                    self.error("PW142", f"item '{iid}' cannot come after itself", filename, position(raw, ("after", i)))
            for i, old_id in enumerate(it.replaces):
                if old_id not in items:
                    self.error(
                        "PW123",
                        f"item '{iid}' replaces unknown item '{old_id}'",
                        filename,
                        position(raw, ("replaces", i)),
                        suggest(old_id, items),
                    )
                elif old_id == iid:
                    self.error("PW123", f"item '{iid}' cannot replace itself", filename, position(raw, ("replaces", i)))

        self.check_fact_graph(question_defs, fact_defs, route_defs)
        self.check_after_graph(items)
        partitions, needs = self.partition(question_defs, fact_defs, route_defs, item_defs, derived_partition)
        if self.issues or manifest is None:
            return None
        return RuleBase(
            root=self.root,
            manifest=manifest,
            content_hash=self.hasher.hexdigest(),
            questions=question_defs,
            fact_rules=fact_defs,
            derived=derived,
            routes=route_defs,
            items=item_defs,
            authorities=authorities,
            sources=sources,
            symbols=symbols,
            partitions=partitions,
            partition_needs=needs,
        )

    def check_fact_graph(
        self, questions: dict[str, QuestionDef], facts: list[FactRuleDef], routes: dict[str, RouteDef]
    ) -> None:
        """Derived facts (and questions through ask_when) must not depend on themselves."""
        deps: dict[str, set[str]] = defaultdict(set)
        negs: dict[str, set[str]] = defaultdict(set)
        where: dict[str, tuple[str, int]] = {}
        for q in questions.values():
            if q.ask_when is not None:
                deps[q.model.id] |= facts_of(q.ask_when)
                negs[q.model.id] |= negated_facts_of(q.ask_when)
                where.setdefault(q.model.id, (q.file, q.line))
        for r in facts:
            for name in r.model.set:
                deps[name] |= facts_of(r.when)
                negs[name] |= negated_facts_of(r.when)
                where.setdefault(name, (r.file, r.line))
        for rid, route in routes.items():
            deps[f"route.{rid}"] |= facts_of(route.when)
            negs[f"route.{rid}"] |= negated_facts_of(route.when)
            where.setdefault(f"route.{rid}", (route.file, route.line))
        for cycle in _cycles(deps):
            negated = any(cycle[(i + 1) % len(cycle)] in negs[cycle[i]] for i in range(len(cycle)))
            path = " -> ".join(cycle + [cycle[0]])
            filename, line = where.get(cycle[0], ("?", 0))
            if negated:
                self.error(
                    "PW141",
                    f"negation through a cycle: {path}; the result would depend on the order of evaluation",
                    filename,
                    (line, 1),
                )
            else:
                self.error("PW140", f"derived facts depend on themselves: {path}", filename, (line, 1))

    def check_after_graph(self, items: dict[str, tuple[Item, str, str, Any, int]]) -> None:
        deps = {iid: {d for d in it.after if d in items and d != iid} for iid, (it, *_) in items.items()}
        for cycle in _cycles(deps):
            it, route_id, filename, raw, line = items[cycle[0]]
            self.error(
                "PW142", "items wait for each other in a cycle: " + " -> ".join(cycle + [cycle[0]]), filename, (line, 1)
            )

    def partition(
        self,
        questions: dict[str, QuestionDef],
        facts: list[FactRuleDef],
        routes: dict[str, RouteDef],
        items: dict[str, ItemDef],
        derived_partition: dict[str, str],
    ) -> tuple[list[str], dict[str, set[str]]]:
        """Order the partitions (core, then routes) so each runs after those it reads from."""

        def owner(name: str) -> str:
            if name in questions:
                return questions[name].partition
            if name.startswith("route."):
                return CORE
            return derived_partition.get(name, CORE)

        needs: dict[str, set[str]] = {CORE: set()}
        for rid in routes:
            needs.setdefault(rid, set())

        def use(partition: str, cond: Cond | None, filename: str, line: int, what: str) -> None:
            if cond is None:
                return
            for name in facts_of(cond):
                other = owner(name)
                if other == partition:
                    continue
                if partition == CORE:
                    self.error(
                        "PW127",
                        f"{what} in a common file uses '{name}' of route '{other}'; "
                        "common questions and facts may only use common ones",
                        filename,
                        (line, 1),
                    )
                else:
                    needs.setdefault(partition, set()).add(other)

        for q in questions.values():
            use(q.partition, q.ask_when, q.file, q.line, f"ask_when of '{q.model.id}'")
        for r in facts:
            use(r.partition, r.when, r.file, r.line, f"fact rule '{r.model.id}'")
        for rid, route in routes.items():
            use(CORE, route.when, route.file, route.line, f"the 'when' of route '{rid}'")
        for it in items.values():
            use(it.route, it.when, it.file, it.line, f"item '{it.model.id}'")
        order: list[str] = [CORE]
        for cycle in _cycles({k: v - {CORE} for k, v in needs.items() if k != CORE}):
            route = routes[cycle[0]]
            self.error(
                "PW128",
                "routes read each other's facts in a cycle: " + " -> ".join(cycle + [cycle[0]]),
                route.file,
                (route.line, 1),
            )
        placed = {CORE}
        remaining = [rid for rid in routes]
        while remaining:
            ready = [rid for rid in remaining if needs[rid] <= placed]
            if not ready:
                break  # cycle, reported above
            for rid in ready:
                order.append(rid)
                placed.add(rid)
                remaining.remove(rid)
        return order, needs


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One representative cycle per strongly connected component with a cycle (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            members = set(component)
            if len(component) > 1 or node in graph.get(node, ()):
                result.append(_one_cycle(graph, min(members), members))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return result


def _one_cycle(graph: dict[str, set[str]], start: str, members: set[str]) -> list[str]:
    path, seen = [start], {start}
    node = start
    while True:
        nexts = sorted(n for n in graph.get(node, ()) if n in members)
        if start in nexts:
            return path
        step = next((n for n in nexts if n not in seen), None)
        if step is None:
            return path
        path.append(step)
        seen.add(step)
        node = step


@dataclass(frozen=True)
class LoadReport:
    """What loading a rule base found: the rule base (None when anything is wrong), every issue,
    and the scenario files the manifest lists (readable even when the rule files are not)."""

    root: Path
    rule_base: RuleBase | None
    issues: list[RuleIssue]
    scenario_files: list[Path]
    # the ids written in the rule files, valid entries or not, by kind (routes, questions, derived,
    # items, authorities, sources): what scenario files may name even while the rule base is broken
    # (None when a listed rule file could not be read: its ids are not known)
    declared: dict[str, set[str]] | None = None


def check_rule_base(path: str | Path | None = None) -> LoadReport:
    """Load and check the rule base in ``path`` (default: the shipped one), collecting every issue."""
    root = Path(path) if path is not None else default_rules_dir()
    loader = _Loader(root.resolve() if root.exists() else root)
    rule_base, scenario_files = loader.load()
    # ids in a file that could not be parsed are unknown: scenarios are then checked for their form only
    declared = None if loader.unread_files else dict(loader.declared)
    return LoadReport(loader.root, rule_base, loader.issues, scenario_files, declared)


def load_rule_base(path: str | Path | None = None) -> RuleBase:
    """Load and check the rule base in ``path`` (default: the shipped one).

    Raises RuleBaseError listing every problem found.
    """
    report = check_rule_base(path)
    if report.rule_base is None:
        raise RuleBaseError(report.issues, root=report.root)
    return report.rule_base
