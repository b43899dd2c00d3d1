"""``pathways diff OLD NEW``: what a change of the rule base means for the people who use it.

Two parts:

* **rule changes**: items, questions, fact rules, routes and sources added, removed or changed,
  field by field (title, detail, time limit, sources, validity, status, condition, options ...);
* **checklist changes**: every scenario of either rule base (matched by name) and every saved case
  (answers file) is evaluated with both; items gained and lost are listed with the reason
  (``explain()`` on the side where the item is present), items present on both sides with what
  changed in them (status, time limit, sources ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from .._checklist import condition_text
from .._errors import AnswersError, PathwaysError
from .._loader import RuleBase
from .._outcome import ItemResult, Outcome
from .._positions import Positions

__all__ = ["CaseDiff", "RuleBaseDiff", "RuleChange", "diff_rule_bases", "format_diff"]

CASE_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class RuleChange:
    kind: str  # item | question | fact rule | route | source
    id: str
    change: str  # added | removed | changed
    file: str
    line: int
    title: str = ""
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)  # field -> (old, new), as text

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "change": self.change,
            "file": self.file,
            "line": self.line,
            "title": self.title,
            "fields": {k: {"old": old, "new": new} for k, (old, new) in self.fields.items()},
        }


@dataclass
class CaseDiff:
    kind: str  # scenario | case
    name: str
    file: str
    line: int
    as_of: dt.date | None
    gained: list[dict[str, Any]] = field(default_factory=list)
    lost: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def affected(self) -> bool:
        return bool(self.gained or self.lost or self.changed or self.errors)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "file": self.file,
            "line": self.line,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "affected": self.affected,
            "gained": self.gained,
            "lost": self.lost,
            "changed": self.changed,
            "errors": self.errors,
        }


@dataclass
class RuleBaseDiff:
    old: RuleBase
    new: RuleBase
    rules: list[RuleChange] = field(default_factory=list)
    cases: list[CaseDiff] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.rules) or any(c.affected for c in self.cases)

    def to_dict(self) -> dict[str, Any]:
        def ref(rb: RuleBase) -> dict[str, str]:
            return {"id": rb.id, "version": rb.version, "hash": rb.content_hash, "root": str(rb.root)}

        return {
            "old": ref(self.old),
            "new": ref(self.new),
            "changed": self.changed,
            "rules": [c.to_dict() for c in self.rules],
            "cases": [c.to_dict() for c in self.cases],
            "summary": self.summary(),
        }

    def summary(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.rules:
            key = f"{c.kind.replace(' ', '_')}s_{c.change}"
            out[key] = out.get(key, 0) + 1
        out["cases"] = len(self.cases)
        out["cases_affected"] = sum(1 for c in self.cases if c.affected)
        return out


# ---- rule changes -----------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _short(text: str, width: int = 70) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _text(value: Any) -> str:
    if value is None:
        return "none"
    return _short(f"{value.en} / {value.zh}", 90)


def _time_limit(tl: Any) -> str:
    if tl is None:
        return "none"
    if tl.range is not None:
        days = f"{tl.range.min}-{tl.range.max} {tl.range.unit.replace('_', ' ')}"
    elif tl.working_days is not None:
        days = f"{tl.working_days} working days"
    else:
        days = f"{tl.calendar_days} calendar days"
    return f"{days} ({tl.of.en}{'' if tl.statutory else ', not statutory'})"


def _sources(refs: list[Any]) -> str:
    return ", ".join(f"{r.id}" + (f" art. {r.article}" if r.article else "") for r in refs) or "none"


def _valid(valid: Any) -> str:
    if valid is None:
        return "always"
    return f"{valid.from_ or '…'} to {valid.to or '…'}"


def _list(values: list[Any]) -> str:
    return ", ".join(map(str, values)) or "none"


def _texts(values: list[Any]) -> str:
    return "; ".join(v.en for v in values) or "none"


def _compare(old: Any, new: Any, fields: Mapping[str, Callable[[Any], str]]) -> dict[str, tuple[str, str]]:
    """Field-by-field differences of two models: field -> (old text, new text)."""
    out: dict[str, tuple[str, str]] = {}
    for name, show in fields.items():
        a, b = getattr(old, name), getattr(new, name)
        if _plain(_dump(a)) == _plain(_dump(b)):
            continue
        out[name.rstrip("_")] = (show(a), show(b))
    return out


def _dump(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


ITEM_FIELDS: dict[str, Callable[[Any], str]] = {
    "title": _text,
    "detail": _text,
    "time_limit": _time_limit,
    "sources": _sources,
    "valid": _valid,
    "status": lambda s: s or "confirmed",
    "stage": str,
    "kind": lambda k: k or "obligation (unset)",
    "authority": lambda a: a or "none",
    "documents": _texts,
    "after": _list,
    "replaces": _list,
}
QUESTION_FIELDS: dict[str, Callable[[Any], str]] = {
    "text": _text,
    "type": str,
    "help": _text,
    "unknown": str,
    "unit": _text,
    "min": str,
    "max": str,
    "sources": _sources,
}
FACT_FIELDS: dict[str, Callable[[Any], str]] = {
    "set": lambda s: ", ".join(f"{k}: {v}" for k, v in s.items()),
    "sources": _sources,
    "valid": _valid,
    "status": lambda s: s or "confirmed",
    "explain": _text,
}
ROUTE_FIELDS: dict[str, Callable[[Any], str]] = {
    "title": _text,
    "summary": _text,
    "owner": str,
    "reviewed": str,
    "review_by": str,
    "sources": _sources,
}
SOURCE_FIELDS: dict[str, Callable[[Any], str]] = {
    "title": _text,
    "number": str,
    "issued": str,
    "effective": str,
    "url": str,
    "status": lambda s: s or "confirmed",
}


def _condition_change(old: Any, new: Any) -> tuple[str, str] | None:
    a, b = condition_text(old), condition_text(new)
    return None if a == b else (a, b)


# what else changed in a definition (beyond its model's fields): field -> (old, new), as text


def _condition_changes(old: Any, new: Any) -> dict[str, tuple[str, str]]:
    cond = _condition_change(old.when, new.when)
    return {"condition": cond} if cond else {}


def _item_changes(old: Any, new: Any) -> dict[str, tuple[str, str]]:
    out = _condition_changes(old, new)
    if old.route != new.route:
        out["route"] = (old.route, new.route)
    return out


def _question_changes(old: Any, new: Any) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    old_opts = {op.value: op for op in old.model.options or ()}
    new_opts = {op.value: op for op in new.model.options or ()}
    if set(old_opts) != set(new_opts):
        gone = [v for v in old_opts if v not in new_opts]
        came = [v for v in new_opts if v not in old_opts]
        out["options"] = ("removed: " + _list(gone) if gone else "", "added: " + _list(came) if came else "")
    relabelled = [v for v in new_opts if v in old_opts and _dump(old_opts[v]) != _dump(new_opts[v])]
    if relabelled:
        out["option labels"] = (_list(relabelled), _list(relabelled))
    cond = _condition_change(old.ask_when, new.ask_when)
    if cond:
        out["ask_when"] = cond
    return out


def _sets(d: Any) -> str:
    """A fact rule's title: what it sets."""
    return ", ".join(f"{k} = {v}" for k, v in d.model.set.items())


class _Section(NamedTuple):
    """One kind of definition to compare (``*Def``s with model, file and line)."""

    kind: str
    old: Mapping[str, Any]  # id -> definition
    new: Mapping[str, Any]
    fields: dict[str, Callable[[Any], str]]  # the model's fields to compare, each shown as text
    title: Callable[[Any], str]
    more: Callable[[Any, Any], dict[str, tuple[str, str]]]  # what else changed: conditions, options ...


def _added_removed(
    kind: str,
    old_ids: Mapping[str, Any],
    new_ids: Mapping[str, Any],
    where: Callable[[Any], tuple[str, int]],
    title: Callable[[Any], str],
) -> list[RuleChange]:
    out = []
    for ident in new_ids:
        if ident not in old_ids:
            file, line = where(new_ids[ident])
            out.append(RuleChange(kind, ident, "added", file, line, title(new_ids[ident])))
    for ident in old_ids:
        if ident not in new_ids:
            file, line = where(old_ids[ident])
            out.append(RuleChange(kind, ident, "removed", file, line, title(old_ids[ident])))
    return out


def _file_line(d: Any) -> tuple[str, int]:
    return (d.file, d.line)


def rule_changes(old: RuleBase, new: RuleBase) -> list[RuleChange]:
    """Items, questions, fact rules, routes and sources added, removed or changed, in that order."""
    sections = [
        _Section("item", old.items, new.items, ITEM_FIELDS, lambda d: d.model.title.en, _item_changes),
        _Section(
            "question", old.questions, new.questions, QUESTION_FIELDS, lambda d: d.model.text.en, _question_changes
        ),
        _Section("fact rule", old.fact_rule_index, new.fact_rule_index, FACT_FIELDS, _sets, _condition_changes),
        _Section("route", old.routes, new.routes, ROUTE_FIELDS, lambda d: d.model.title.en, _condition_changes),
    ]
    out: list[RuleChange] = []
    for section in sections:
        out += _added_removed(section.kind, section.old, section.new, _file_line, section.title)
        for ident, n in section.new.items():
            o = section.old.get(ident)
            if o is None:
                continue
            fields = _compare(o.model, n.model, section.fields) | section.more(o, n)
            if fields:
                out.append(RuleChange(section.kind, ident, "changed", n.file, n.line, section.title(n), fields))
    return out + _source_changes(old, new)


def _source_changes(old: RuleBase, new: RuleBase) -> list[RuleChange]:
    """Sources (what checklists cite) added, removed or changed; placed by their position in the files."""
    old_pos, new_pos = Positions(old), Positions(new)
    out = _added_removed(
        "source",
        {k: (v, old_pos) for k, v in old.sources.items()},
        {k: (v, new_pos) for k, v in new.sources.items()},
        lambda sp: sp[1].at("sources", sp[0].id)[:2],
        lambda sp: sp[0].title.en,
    )
    for sid, new_source in new.sources.items():
        old_source = old.sources.get(sid)
        if old_source is not None:
            fields = _compare(old_source, new_source, SOURCE_FIELDS)
            if fields:
                file, line, _ = new_pos.at("sources", sid)
                out.append(RuleChange("source", sid, "changed", file, line, new_source.title.en, fields))
    return out


# ---- checklist changes ------------------------------------------------------------------------

ITEM_RESULT_FIELDS = (
    "kind",
    "status",
    "title",
    "detail",
    "authority",
    "documents",
    "time_limit",
    "sources",
    "valid_from",
    "valid_to",
    "stage",
)


def _evaluate(rb: RuleBase, answers: Mapping[str, Any], as_of: dt.date) -> Outcome:
    from .._api import evaluate

    return evaluate(rb, answers, as_of=as_of)


def _reason(rb: RuleBase, answers: Mapping[str, Any], iid: str, as_of: dt.date) -> dict[str, Any]:
    from .._api import explain

    if iid not in rb.items:
        return {"reason": "the item is not in this rule base", "condition": None}
    try:
        why = explain(rb, answers, iid, as_of=as_of)
    except AnswersError as exc:  # pragma: no cover - answers were checked before
        return {"reason": str(exc), "condition": None}
    out: dict[str, Any] = {"reason": why.reason, "condition": why.condition, "status": why.status}
    if why.trace is not None:
        out["because"] = [f"{a.question} = {_value(a.value)}" for a in why.trace.answers] + [
            f"{f.fact} = {_value(f.value)} (rule {f.rule})" for f in why.trace.facts
        ]
    return out


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(map(_value, value)) + "]"
    return str(value)


def _result_fields(item: ItemResult) -> dict[str, Any]:
    dumped = item.model_dump(mode="json")
    return {k: dumped.get(k) for k in ITEM_RESULT_FIELDS}


def compare_case(
    old: RuleBase,
    new: RuleBase,
    diff: CaseDiff,
    old_answers: Mapping[str, Any],
    new_answers: Mapping[str, Any],
    old_as_of: dt.date,
    new_as_of: dt.date,
) -> CaseDiff:
    outcomes: dict[str, Outcome | None] = {}
    for side, rb, answers, as_of in (("old", old, old_answers, old_as_of), ("new", new, new_answers, new_as_of)):
        try:
            outcomes[side] = _evaluate(rb, answers, as_of)
        except AnswersError as exc:
            outcomes[side] = None
            diff.errors.append(
                f"the answers are not valid for the {side} rule base: " + "; ".join(str(i) for i in exc.issues)
            )
    before, after = outcomes["old"], outcomes["new"]
    if before is None or after is None:
        return diff
    old_items = {i.id: i for i in before.items}
    new_items = {i.id: i for i in after.items}
    for iid, item in new_items.items():
        if iid not in old_items:
            entry = {"id": iid, "title": item.title, "status": item.status, **_reason(new, new_answers, iid, new_as_of)}
            entry["before"] = _reason(old, old_answers, iid, old_as_of)["reason"]
            diff.gained.append(entry)
    for iid, item in old_items.items():
        if iid not in new_items:
            entry = {"id": iid, "title": item.title, "status": item.status, **_reason(old, old_answers, iid, old_as_of)}
            entry["now"] = _reason(new, new_answers, iid, new_as_of)["reason"]
            diff.lost.append(entry)
    for iid, item in new_items.items():
        was = old_items.get(iid)
        if was is None:
            continue
        a, b = _result_fields(was), _result_fields(item)
        fields = {k: {"old": a[k], "new": b[k]} for k in ITEM_RESULT_FIELDS if a[k] != b[k]}
        if fields:
            diff.changed.append({"id": iid, "title": item.title, "fields": fields})
    return diff


def _scenario_cases(old: RuleBase, new: RuleBase, cases: list[CaseDiff]) -> None:
    from .scenarios import DEFAULT_AS_OF, load_scenarios

    olds = {s.name: s for s in load_scenarios(old, check_references=False)}
    news = {s.name: s for s in load_scenarios(new, check_references=False)}
    for name in [*news, *(n for n in olds if n not in news)]:
        o, n = olds.get(name), news.get(name)
        shown = n or o
        before = o or n  # a scenario only in one rule base is compared with itself
        assert shown is not None and before is not None
        label = name if (o and n) else f"{name} (only in the {'new' if n else 'old'} rule base)"
        diff = CaseDiff("scenario", label, shown.file, shown.line, shown.as_of or DEFAULT_AS_OF)
        compare_case(
            old,
            new,
            diff,
            before.answers,
            shown.answers,
            before.as_of or DEFAULT_AS_OF,
            shown.as_of or DEFAULT_AS_OF,
        )
        cases.append(diff)


def case_files(directory: Path) -> list[Path]:
    if directory.is_file():
        return [directory]
    if not directory.is_dir():
        raise PathwaysError(f"--cases: no such directory: {directory}")
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in CASE_SUFFIXES)


def _saved_cases(old: RuleBase, new: RuleBase, directory: Path, as_of: dt.date | None, cases: list[CaseDiff]) -> None:
    from .._answers import read_answers_file

    for path in case_files(directory):
        answer_set = read_answers_file(str(path))
        day = as_of or answer_set.as_of or dt.date.today()
        name = (
            str(answer_set.case.get("name") or answer_set.case.get("product") or path.name)
            if isinstance(answer_set.case, dict)
            else path.name
        )
        diff = CaseDiff("case", name, str(path), 1, day)
        compare_case(old, new, diff, answer_set.answers, answer_set.answers, day, day)
        if len(diff.errors) == 2:  # valid for neither rule base: bad input, not a change
            raise PathwaysError(f"{path}: " + diff.errors[0].replace("for the old rule base", "for either rule base"))
        cases.append(diff)


def diff_rule_bases(
    old: RuleBase, new: RuleBase, cases_dir: Path | None = None, as_of: dt.date | None = None, scenarios: bool = True
) -> RuleBaseDiff:
    """Rule changes, then the checklist changes of every scenario and saved case."""
    result = RuleBaseDiff(old, new, rule_changes(old, new))
    if scenarios:
        _scenario_cases(old, new, result.cases)
    if cases_dir is not None:
        _saved_cases(old, new, cases_dir, as_of, result.cases)
    return result


# ---- text output ------------------------------------------------------------------------------


def format_diff(d: RuleBaseDiff) -> str:
    lines = [f"--- {d.old.root} ({d.old.id} {d.old.version})", f"+++ {d.new.root} ({d.new.id} {d.new.version})"]
    if not d.changed:
        lines.append(
            "no changes: every item, question, rule, route and source is the same, and so is "
            f"every checklist ({len(d.cases)} scenarios and cases)"
        )
        return "\n".join(lines) + "\n"
    sign = {"added": "+", "removed": "-", "changed": "~"}
    kinds = ("item", "question", "fact rule", "route", "source")
    if d.rules:
        lines.append("")
        lines.append("rule changes:")
    for kind in kinds:
        for change in ("added", "removed", "changed"):
            group = [c for c in d.rules if c.kind == kind and c.change == change]
            if not group:
                continue
            lines.append(f"  {kind}s {change} ({len(group)}):")
            for c in group:
                where = f"{c.file}:{c.line}" if c.line else c.file
                lines.append(f"    {sign[change]} {c.id}: {_short(c.title)}  [{where}]")
                for name, (a, b) in c.fields.items():
                    if name == "options":
                        lines.append(f"        options: {'; '.join(x for x in (a, b) if x)}")
                    elif name == "option labels":
                        lines.append(f"        option labels changed: {a}")
                    else:
                        lines.append(f"        {name}: {a}  ->  {b}")
    affected = [case for case in d.cases if case.affected]
    lines.append("")
    lines.append(f"checklists: {len(affected)} of {len(d.cases)} scenarios and cases change")
    for case in affected:
        where = f"{case.file}:{case.line}"
        as_of = f", as of {case.as_of.isoformat()}" if case.as_of else ""
        lines.append(f'  {case.kind} "{case.name}" ({where}{as_of}):')
        for error in case.errors:
            lines.append(f"    ! {error}")
        for g in case.gained:
            lines.append(f"    + {g['id']} ({g['status']}): {_short(g['title'])}")
            lines.append(f"        why: {g['reason']}; condition: {g['condition']}")
            if g.get("because"):
                lines.append(f"        because: {_short(', '.join(g['because']), 110)}")
            lines.append(f"        before: {g['before']}")
        for lost in case.lost:
            lines.append(f"    - {lost['id']} ({lost['status']}): {_short(lost['title'])}")
            lines.append(f"        was there because: {lost['reason']}; condition: {lost['condition']}")
            lines.append(f"        now: {lost['now']}")
        for ch in case.changed:
            lines.append(f"    ~ {ch['id']}: {_short(ch['title'])}")
            for name, values in ch["fields"].items():
                lines.append(f"        {name}: {_brief(values['old'])}  ->  {_brief(values['new'])}")
    unaffected = len(d.cases) - len(affected)
    if unaffected:
        lines.append(f"  unchanged: {unaffected}")
    return "\n".join(lines) + "\n"


def _brief(value: Any) -> str:
    if isinstance(value, dict) and "days" in value:
        amount = value["days"] if value["days"] is not None else f"{value.get('min')}-{value.get('max')}"
        return (
            f"{amount} {value['unit'].replace('_', ' ')} ({value.get('of')}"
            f"{'' if value.get('statutory') else ', not statutory'})"
        )
    if isinstance(value, list) and value and isinstance(value[0], dict) and "id" in value[0]:
        return ", ".join(v["id"] + (f" art. {v['article']}" if v.get("article") else "") for v in value)
    if isinstance(value, dict) and "name" in value:
        return str(value["name"])
    if value is None:
        return "none"
    return _short(str(value))
