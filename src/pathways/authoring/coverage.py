"""Scenario coverage: which parts of the rule base the scenarios exercise.

* a **question** is covered when the planner asks it in some scenario's wizard walk;
* an **option** (of a choice or multi-choice question) when some scenario chooses it and the answer
  is used (its question is relevant to the case);
* a **fact rule** when it fires for certain (strictly) in some scenario;
* an **item** when it is definitely on some scenario's checklist (required or to be verified, and
  in force on the scenario's date) - "to determine" does not count;
* a **route** when it applies for certain in some scenario.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .._conditions import facts_of
from .._loader import RuleBase
from .._positions import Positions
from .scenarios import DEFAULT_AS_OF, ScenarioResult

__all__ = ["KINDS", "Measure", "coverage", "coverage_json", "coverage_table"]

KINDS = ("questions", "options", "fact_rules", "items", "routes")
LABELS = {
    "questions": "questions asked",
    "options": "options chosen",
    "fact_rules": "fact rules fired",
    "items": "items on a checklist",
    "routes": "routes applied",
}
SINGULAR = {"questions": "question", "options": "option", "fact_rules": "fact rule", "items": "item", "routes": "route"}


@dataclass
class Measure:
    kind: str
    covered: list[str] = field(default_factory=list)
    uncovered: list[tuple[str, str, int]] = field(default_factory=list)  # (id, file, line)

    @property
    def total(self) -> int:
        return len(self.covered) + len(self.uncovered)

    @property
    def percent(self) -> float:
        return 100.0 if not self.total else 100.0 * len(self.covered) / self.total


def coverage(rb: RuleBase, results: list[ScenarioResult]) -> dict[str, Measure]:
    """What the scenario results exercise, per kind (see the module docstring)."""
    asked: set[str] = set()
    chosen: set[tuple[str, str]] = set()
    fired: set[str] = set()
    listed: set[str] = set()
    for result in results:
        asked |= set(result.asked)
        run = result.run
        if run is None:
            continue
        as_of: dt.date = result.scenario.as_of or DEFAULT_AS_OF
        for qid, value in run.answers.items():
            values = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
            chosen |= {(qid, str(v)) for v in values if isinstance(v, str)}
        fired |= run.strict["derive"]
        for iid in run.strict["item"]:
            valid = rb.items[iid].model.valid
            if valid is None or valid.holds_on(as_of):
                listed.add(iid)
    out = {kind: Measure(kind) for kind in KINDS}
    for qid, q in rb.questions.items():
        _put(out["questions"], qid, qid in asked, q.file, q.line)
    positions: Any = None
    for qid, q in rb.questions.items():
        if q.model.type not in ("choice", "multi"):
            continue
        for value in q.model.option_values:
            ident = f"{qid}={value}"
            if (qid, value) in chosen:
                out["options"].covered.append(ident)
            else:
                positions = positions or Positions(rb)
                file, line, _ = positions.option_at(qid, value)
                out["options"].uncovered.append((ident, file, line))
    for r in rb.fact_rules:
        _put(out["fact_rules"], r.model.id, r.model.id in fired, r.file, r.line)
    for iid, item in rb.items.items():
        _put(out["items"], iid, iid in listed, item.file, item.line)
    for rid, route in rb.routes.items():
        _put(out["routes"], rid, f"route.{rid}" in fired, route.file, route.line)
    return out


def _put(measure: Measure, ident: str, covered: bool, file: str, line: int) -> None:
    if covered:
        measure.covered.append(ident)
    else:
        measure.uncovered.append((ident, file, line))


def coverage_table(cov: dict[str, Measure], uncovered: tuple[str, ...] | None = KINDS) -> str:
    """The table, then ``file:line: not covered: ...`` for the kinds in ``uncovered`` (None: all)."""
    lines = ["coverage                 covered   total       %"]
    for kind in KINDS:
        m = cov[kind]
        lines.append(f"  {LABELS[kind]:<22} {len(m.covered):>7} {m.total:>7} {m.percent:>6.1f} %")
    for kind in KINDS if uncovered is None else uncovered:
        for ident, file, line in cov[kind].uncovered:
            lines.append(f"{file}:{line}: not covered: {SINGULAR[kind]} '{ident}'")
    return "\n".join(lines) + "\n"


def coverage_json(cov: dict[str, Measure]) -> dict[str, Any]:
    return {
        kind: {
            "covered": len(m.covered),
            "total": m.total,
            "percent": round(m.percent, 1),
            "uncovered": [{"id": i, "file": f, "line": ln} for i, f, ln in m.uncovered],
        }
        for kind, m in cov.items()
    }


def explain_wrong_items(rb: RuleBase, result: ScenarioResult) -> dict[str, dict[str, Any]]:
    """For each item a failed scenario got wrong: why it is, or is not, on the checklist."""
    from .._api import explain
    from .._errors import PathwaysError

    out: dict[str, dict[str, Any]] = {}
    as_of = result.scenario.as_of or DEFAULT_AS_OF
    for iid in dict.fromkeys(result.wrong_items):
        try:
            why = explain(rb, result.scenario.answers, iid, as_of=as_of)
        except PathwaysError:  # pragma: no cover - the answers were checked by the run
            continue
        lines = [
            f"{iid}: {'ON' if why.on_checklist else 'NOT on'} the checklist"
            + (f" ({why.status})" if why.status else "")
            + f": {why.reason}",
            f"condition: {why.condition}",
        ]
        if why.trace is not None:
            lines += [f"because {a.question} = {_show(a.value)}" for a in why.trace.answers]
            lines += [
                f"because {f.fact} = {_show(f.value)} (rule {f.rule}, {f.file}:{f.line})" for f in why.trace.facts
            ]
            if why.trace.undetermined_by:
                lines.append("open until answered: " + ", ".join(why.trace.undetermined_by))
            lines.append(f"item: {why.trace.file}:{why.trace.line}")
        else:
            item = rb.items[iid]
            lines += [f"answer {q} = {_show(v)}" for q, v in why.answers.items()]
            run = result.run
            if run is not None and item.when is not None:
                for name in sorted(facts_of(item.when)):
                    if name in rb.derived:
                        values = list(run.derived.get(name, {})) or list(run.maybe_derived.get(name, {}))
                        sure = bool(run.derived.get(name))
                        lines.append(
                            f"{name} is "
                            + (", ".join(map(_show, values)) if values else "not derived")
                            + ("" if sure or not values else " (possibly)")
                        )
            lines.append(f"item: {item.file}:{item.line}")
        out[iid] = {
            "on_checklist": why.on_checklist,
            "status": why.status,
            "reason": why.reason,
            "condition": why.condition,
            "trace": lines,
        }
    return out


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(map(_show, value)) + "]"
    return str(value)
