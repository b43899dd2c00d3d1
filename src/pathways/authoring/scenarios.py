"""Scenario files: the rule base's own tests, written by consultants next to the rules.

A scenario is a complete wizard walk: the planner is run from no answers, each question it asks
is answered from the scenario, and the final checklist is compared with ``expect``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from .._answers import check_answers
from .._api import evaluate_run, next_question
from .._errors import AnswersError, RuleBaseError, RuleIssue, suggest
from .._loader import RuleBase
from .._outcome import ItemStatus, Outcome, TimeLimitOut
from .._validate import validation_issues
from .._yaml import LocDict, LocList, YamlFailure, load_yaml_file

__all__ = ["Scenario", "ScenarioResult", "load_scenarios", "read_scenarios", "run_scenario", "run_scenarios"]


class ExpectedTimeLimit(BaseModel):
    """The parts of an item's time limit a scenario pins down; parts left out are not compared."""

    model_config = ConfigDict(extra="forbid")

    working_days: int | None = None
    calendar_days: int | None = None
    min: int | None = None
    max: int | None = None
    unit: Literal["working_days", "calendar_days", "weeks", "months", "years"] | None = None
    statutory: bool | None = None

    def mismatches(self, got: TimeLimitOut | None) -> list[str]:
        """What differs from ``got``, in words (empty when it matches)."""
        if got is None:
            return ["it has no time limit"]
        wanted: dict[str, Any] = {}
        if self.working_days is not None:
            wanted.update(days=self.working_days, unit="working_days")
        if self.calendar_days is not None:
            wanted.update(days=self.calendar_days, unit="calendar_days")
        wanted.update(
            {
                k: v
                for k, v in (("min", self.min), ("max", self.max), ("unit", self.unit), ("statutory", self.statutory))
                if v is not None
            }
        )
        return [
            f"{key} is {getattr(got, key)}, expected {value}"
            for key, value in wanted.items()
            if getattr(got, key) != value
        ]


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    routes: list[str] = []
    not_routes: list[str] = []
    facts: dict[str, Any] = {}
    items: list[str] = []
    to_determine: list[str] = []
    not_items: list[str] = []
    upcoming: list[str] = []
    kinds: dict[str, Literal["obligation", "option", "guidance"]] = {}  # item -> kind (item present)
    statuses: dict[str, ItemStatus] = {}  # item -> status (item present)
    time_limits: dict[str, ExpectedTimeLimit | None] = {}  # item -> clock (None: no clock)
    authorities: dict[str, str] = {}  # item -> authority id
    asked: list[str] = []
    not_asked: list[str] = []


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    as_of: dt.date | None = None
    answers: dict[str, Any]
    expect: Expect
    file: str = ""
    line: int = 0


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenarios: list[Scenario]


@dataclass
class ScenarioResult:
    scenario: Scenario
    failures: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    wrong_items: list[str] = field(default_factory=list)  # items whose presence or status differs
    run: Any = None  # the final engine Run (for coverage)

    @property
    def passed(self) -> bool:
        return not self.failures


DEFAULT_AS_OF = dt.date(2026, 11, 24)


def load_scenarios(rb: RuleBase, paths: list[Path] | None = None, check_references: bool = True) -> list[Scenario]:
    """Read scenario files (default: those the manifest lists); check their references (unless told
    not to: ``pathways diff`` compares scenarios whose expectations may name removed items)."""
    scenarios, issues = read_scenarios(
        rb.root, rb.scenario_files if paths is None else paths, known_ids(rb) if check_references else None
    )
    if issues:
        raise RuleBaseError(issues, root=rb.root)
    return scenarios


def known_ids(rb: RuleBase) -> dict[str, Collection[str]]:
    """The ids of a loaded rule base that scenarios may name, by kind."""
    return {
        "routes": rb.routes,
        "items": rb.items,
        "questions": rb.questions,
        "derived": rb.derived,
        "authorities": rb.authorities,
    }


def read_scenarios(
    root: Path, paths: list[Path], known: Mapping[str, Collection[str]] | None
) -> tuple[list[Scenario], list[RuleIssue]]:
    """The scenarios of ``paths`` and every issue found in them; the ids their expectations name
    are checked against ``known`` (by kind, as ``known_ids`` gives them; None: not checked).

    ``pathways lint`` checks the scenario files of a rule base that failed to load against the
    ids its files declare, so that a scenario's typo shows in the same run as the rules' errors."""
    issues: list[RuleIssue] = []
    scenarios: list[Scenario] = []
    for path in paths:
        name = str(path.relative_to(root.parent)) if path.is_relative_to(root.parent) else str(path)
        try:
            data = load_yaml_file(path, name)
        except YamlFailure as failure:
            issues.append(failure.issue)
            continue
        wrapper = LocDict()
        wrapper["scenarios"] = data
        wrapper.value_pos["scenarios"] = (getattr(data, "line", 1), getattr(data, "column", 1))
        try:
            parsed = _File.model_validate(wrapper)
        except pydantic.ValidationError as exc:
            issues.extend(validation_issues(exc, _File, wrapper, name))
            continue
        for index, scenario in enumerate(parsed.scenarios):
            line = data.item_pos[index][0] if isinstance(data, LocList) else 0
            scenario = scenario.model_copy(update={"file": name, "line": line})
            if known is not None:
                issues.extend(_unknown_references(known, scenario, name, line))
            scenarios.append(scenario)
    return scenarios, issues


_EXPECTED_KIND = {
    "routes": "routes",
    "not_routes": "routes",
    "items": "items",
    "to_determine": "items",
    "not_items": "items",
    "upcoming": "items",
    "asked": "questions",
    "not_asked": "questions",
    "facts": "derived",
    "kinds": "items",
    "statuses": "items",
    "time_limits": "items",
    "authorities": "items",
}


def _unknown_references(
    known: Mapping[str, Collection[str]], scenario: Scenario, name: str, line: int
) -> list[RuleIssue]:
    issues = []
    authorities = known.get("authorities", ())
    for key, kind in _EXPECTED_KIND.items():
        table = known.get(kind, ())
        for ref in getattr(scenario.expect, key):
            if ref not in table:
                issues.append(
                    RuleIssue(
                        "PW129",
                        f"scenario '{scenario.name}': expect.{key} names unknown '{ref}'",
                        name,
                        line,
                        1,
                        suggest(ref, table),
                    )
                )
    for iid, authority in scenario.expect.authorities.items():
        if authority not in authorities:
            issues.append(
                RuleIssue(
                    "PW129",
                    f"scenario '{scenario.name}': expect.authorities.{iid} names unknown authority '{authority}'",
                    name,
                    line,
                    1,
                    suggest(authority, authorities),
                )
            )
    return issues


def run_scenario(rb: RuleBase, scenario: Scenario) -> ScenarioResult:
    """Walk the wizard on the scenario's answers, evaluate them as ``evaluate`` does (English), and
    compare the checklist with what the scenario expects: every mismatch is a failure."""
    result = ScenarioResult(scenario)
    as_of = scenario.as_of or DEFAULT_AS_OF
    try:
        _walk(rb, scenario, as_of, result)
        result.run, outcome = evaluate_run(rb, check_answers(rb, scenario.answers), as_of, "en")
    except AnswersError as exc:
        result.failures.extend(f"answer {issue}" for issue in exc.issues)
        return result
    result.items = [i.id for i in outcome.items]
    for check in _CHECKS:
        check(scenario.expect, outcome, result)
    return result


def _walk(rb: RuleBase, scenario: Scenario, as_of: dt.date, result: ScenarioResult) -> None:
    """The wizard's questions, from no answers, each answered from the scenario (``result.asked``)."""
    given: dict[str, Any] = {}
    for _ in range(len(rb.questions) + 1):
        step = next_question(rb, given, as_of=as_of)
        if step.question is None:
            return
        qid = step.question.id
        result.asked.append(qid)
        if qid not in scenario.answers:
            result.failures.append(f"the wizard asks '{qid}', which the scenario does not answer")
            return
        given[qid] = scenario.answers[qid]


def _item_failure(result: ScenarioResult, iid: str, message: str) -> None:
    result.failures.append(message)
    result.wrong_items.append(iid)


def _check_routes(exp: Expect, outcome: Outcome, result: ScenarioResult) -> None:
    routes = {r.id: r.applies for r in outcome.routes}
    for r in exp.routes:
        if routes.get(r) != "yes":
            result.failures.append(f"route '{r}' should apply; it is {routes.get(r, 'not applicable')}")
    for r in exp.not_routes:
        if r in routes:
            does = "applies" if routes[r] == "yes" else "may apply"
            result.failures.append(f"route '{r}' should not apply; it {does}")


def _check_facts(exp: Expect, outcome: Outcome, result: ScenarioResult) -> None:
    facts = {f.fact: f for f in outcome.facts}
    for name, value in exp.facts.items():
        f = facts.get(name)
        if f is None or not f.certain or f.values != [value]:
            got = "nothing" if f is None else (("possibly " if not f.certain else "") + ", ".join(map(str, f.values)))
            result.failures.append(f"fact '{name}' should be {value}; it is {got}")


def _check_items(exp: Expect, outcome: Outcome, result: ScenarioResult) -> None:
    """Which items are on the checklist, certain or to be determined, as what kind and status."""
    status = {i.id: i.status for i in outcome.items}
    applies = {i.id: i.applies for i in outcome.items}
    kinds = {i.id: i.kind for i in outcome.items}
    for iid in exp.items:
        if applies.get(iid) != "yes":
            _item_failure(result, iid, f"item '{iid}' should be on the checklist; it is {status.get(iid, 'absent')}")
    for iid in exp.to_determine:
        if applies.get(iid) != "maybe":
            _item_failure(result, iid, f"item '{iid}' should be 'to determine'; it is {status.get(iid, 'absent')}")
    for iid, kind in exp.kinds.items():
        if iid not in kinds:
            _item_failure(result, iid, f"item '{iid}' should be on the checklist as {kind}; it is absent")
        elif kinds[iid] != kind:
            _item_failure(result, iid, f"item '{iid}' should be {kind}; it is {kinds[iid]}")
    for iid, wanted in exp.statuses.items():
        if status.get(iid) != wanted:
            _item_failure(result, iid, f"item '{iid}' should be {wanted}; it is {status.get(iid, 'absent')}")


def _check_item_details(exp: Expect, outcome: Outcome, result: ScenarioResult) -> None:
    """Time limits and authorities of the items the scenario names."""
    by_id = {i.id: i for i in outcome.items}
    for iid, clock in exp.time_limits.items():
        if iid not in by_id:
            _item_failure(
                result, iid, f"item '{iid}' should be on the checklist (its time limit is checked); it is absent"
            )
            continue
        got_limit = by_id[iid].time_limit
        problems = (
            (["it has a time limit, expected none"] if got_limit is not None else [])
            if clock is None
            else clock.mismatches(got_limit)
        )
        if problems:
            _item_failure(result, iid, f"item '{iid}' time limit: {'; '.join(problems)}")
    for iid, authority in exp.authorities.items():
        got_item = by_id.get(iid)
        got_authority = got_item.authority.id if got_item is not None and got_item.authority else None
        if got_authority != authority:
            _item_failure(
                result,
                iid,
                f"item '{iid}' should be handled by '{authority}'; it is "
                f"{'absent' if iid not in by_id else repr(got_authority)}",
            )


def _check_absent_and_upcoming(exp: Expect, outcome: Outcome, result: ScenarioResult) -> None:
    by_id = {i.id: i for i in outcome.items}
    for iid in exp.not_items:
        if iid in by_id:
            _item_failure(
                result,
                iid,
                f"item '{iid}' should not be on the checklist; it is {by_id[iid].status}"
                f" (because {by_id[iid].trace.condition})",
            )
    upcoming = {i.id for i in outcome.upcoming}
    for iid in exp.upcoming:
        if iid not in upcoming:
            _item_failure(result, iid, f"item '{iid}' should be listed as coming into force later")


def _check_asked(exp: Expect, outcome: Outcome, result: ScenarioResult) -> None:
    for q in exp.asked:
        if q not in result.asked:
            result.failures.append(f"the wizard should ask '{q}'; it asked: {', '.join(result.asked)}")
    for q in exp.not_asked:
        if q in result.asked:
            result.failures.append(f"the wizard should not ask '{q}'")


# in this order: the failures are listed as a consultant reads a checklist
_CHECKS: tuple[Callable[[Expect, Outcome, ScenarioResult], None], ...] = (
    _check_routes,
    _check_facts,
    _check_items,
    _check_item_details,
    _check_absent_and_upcoming,
    _check_asked,
)


def run_scenarios(rb: RuleBase, scenarios: list[Scenario]) -> list[ScenarioResult]:
    return [run_scenario(rb, s) for s in scenarios]
