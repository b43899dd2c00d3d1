"""Validating the rule files: pydantic's errors as positioned issues, and entry by entry.

``validation_issues`` turns a pydantic ``ValidationError`` into RuleIssues that name the file,
line and column, the entry (by id or number) and, for a typo, what was meant. ``Validator``
checks a rule file entry by entry, so that one bad entry does not hide the rest: each bad entry
is reported and left out, and what the cross-file checks must still know of it (its id, the
facts it sets) is noted.
"""

from __future__ import annotations

import re
import typing
from collections import defaultdict
from typing import Any, NamedTuple

import pydantic
from pydantic import BaseModel

from ._errors import RuleIssue, suggest
from ._models import DUPLICATE_OPTION, Authority, FactRule, Item, Question, Route, RuleFile, Source
from ._yaml import LocDict, LocList, position

__all__ = ["CheckedFile", "FailedSet", "Validator", "entry_label", "human_path", "validation_issues"]


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


# ---- entry by entry ----------------------------------------------------------------------------

# the sections of a rule file that list entries, each validated on its own
SECTIONS: dict[str, type[BaseModel]] = {
    "authorities": Authority,
    "sources": Source,
    "questions": Question,
    "facts": FactRule,
    "items": Item,
}


class CheckedFile(NamedTuple):
    """A rule file with its valid entries."""

    file: str  # its name as shown in issues
    data: LocDict  # the raw data restricted to the valid entries (indices line up with the model's lists)
    model: RuleFile


class FailedSet(NamedTuple):
    """A fact that a fact rule which failed validation sets: the fact still exists for the
    conditions that test it (without it, a typo in one rule would also be reported as unknown
    facts or values elsewhere)."""

    name: str
    value: bool | int | float | str
    file: str
    pos: tuple[int, int]


class Validator:
    """Validates the manifest and the rule files, appending every issue found to ``issues``."""

    def __init__(self, issues: list[RuleIssue]) -> None:
        self.issues = issues
        self.failed_ids: set[str] = set()  # entries that failed validation: no follow-on errors
        self.failed_sets: list[FailedSet] = []  # what failed fact rules set
        self.declared: dict[str, set[str]] = defaultdict(set)  # every id written, valid or not

    def model(self, model: type[BaseModel], data: Any, filename: str) -> Any:
        """A whole file as one model (the manifest); None when it is not valid."""
        if not isinstance(data, dict):
            what = "the file is empty" if data is None else f"got {_describe_input(data)}"
            self.issues.append(RuleIssue("PW111", f"expected a mapping at the top of the file; {what}", filename, 1, 1))
            return None
        try:
            return model.model_validate(data)
        except pydantic.ValidationError as exc:
            self.issues.extend(validation_issues(exc, model, data, filename))
            return None

    def rule_file(self, data: Any, filename: str) -> CheckedFile | None:
        """Validate entry by entry, so that one bad entry does not hide the rest of the file."""
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
        self.top_level_keys(data, filename)
        kept = LocDict()
        kept.line, kept.column = data.line, data.column
        fields: dict[str, Any] = {}
        route_failed = self.route(data, filename, kept, fields)
        for section, model in SECTIONS.items():
            valid = self.section(data, section, model, filename, route_failed)
            if valid is not None:
                kept[section], fields[section] = valid
                kept.value_pos[section] = data.value_pos[section]
        if fields.get("items") and "route" not in fields and not route_failed:
            self.items_name_a_route(kept, fields["items"], filename)
        return CheckedFile(filename, kept, RuleFile.model_construct(**fields))

    def top_level_keys(self, data: LocDict, filename: str) -> None:
        allowed = _field_names(RuleFile)
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

    def route(self, data: LocDict, filename: str, kept: LocDict, fields: dict[str, Any]) -> bool:
        """Validate the file's route (kept in ``kept`` and ``fields`` when valid); whether it failed:
        its items are then still validated, but kept out of the cross-file checks."""
        self.declare("routes", data.get("route"))
        if "route" not in data:
            return False
        try:
            fields["route"] = Route.model_validate(data["route"])
        except pydantic.ValidationError as exc:
            self.issues.extend(validation_issues(exc, Route, data["route"], filename, "route"))
            return True
        kept["route"] = data["route"]
        kept.value_pos["route"] = data.value_pos["route"]
        return False

    def section(
        self, data: LocDict, section: str, model: type[BaseModel], filename: str, route_failed: bool
    ) -> tuple[LocList, list[BaseModel]] | None:
        """A section's valid entries: as read (with their positions) and as models."""
        if section not in data:
            return None
        raw = data[section]
        if raw is None:
            return None
        if not isinstance(raw, list):
            line, col = data.value_pos[section]
            self.issues.append(
                RuleIssue(
                    "PW111", f"'{section}' must be a list of entries, got {_describe_input(raw)}", filename, line, col
                )
            )
            return None
        assert isinstance(raw, LocList)  # and every list a LocList
        good = LocList()
        good.line, good.column = raw.line, raw.column
        models = []
        for index, entry in enumerate(raw):
            entry_model = self.entry(raw, index, section, model, filename, route_failed)
            if entry_model is not None:
                models.append(entry_model)
                good.append(entry)
                good.item_pos.append(raw.item_pos[index])
        return good, models

    def entry(
        self, raw: LocList, index: int, section: str, model: type[BaseModel], filename: str, route_failed: bool
    ) -> BaseModel | None:
        """One entry as a model; None when it is left out of the cross-file checks.

        Every entry is validated, so that all of its own errors show in one run; an entry kept
        out of the cross-file checks (its route broken, an option value twice) is noted as
        failed, so that references to it are not reported as unknown.
        """
        entry = raw[index]
        label = entry_label(section, entry, index)
        self.declare(section, entry)
        unique = not (
            isinstance(entry, dict) and section == "questions" and not self.options_unique(entry, filename, label)
        )
        entry_model: BaseModel | None
        try:
            entry_model = model.model_validate(entry)
        except pydantic.ValidationError as exc:
            root = entry if isinstance(entry, (LocDict, LocList)) else raw
            found = validation_issues(exc, model, root, filename, label)
            if not unique:  # said above with the position; the model's own check only says that
                found = [i for i in found if not i.message.endswith(DUPLICATE_OPTION)]
            self.issues.extend(found)
            entry_model = None
        if entry_model is None or not unique or (section == "items" and route_failed):
            self.note_failed(entry, filename)
            return None
        return entry_model

    def items_name_a_route(self, kept: LocDict, items: list[Item], filename: str) -> None:
        """Items in a file without a route (a common file) must say which route they belong to."""
        for index, item in enumerate(items):
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
        # the facts a failed fact rule sets still exist for the conditions that test them
        assigned = entry.get("set") if isinstance(entry, LocDict) else None
        if isinstance(assigned, LocDict):
            for name, value in assigned.items():
                if isinstance(name, str) and isinstance(value, (bool, int, float, str)):
                    self.failed_sets.append(FailedSet(name, value, filename, assigned.value_pos.get(name, (1, 1))))

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
