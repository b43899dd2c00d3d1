"""``pathways lint``: everything the loader and the compiler check, plus warnings for rule authors.

Errors (PW1xx) come from loading and compiling the rule base and its scenario files. Warnings and
notes (PW3xx, see ``CODES``) are found here:

* **reachability, with the engine**: the rule base is run with no answers at all, once for each
  stretch of time in which the same dated fact rules are in force (``valid`` ranges cut time into
  stretches; an item's own ``valid`` range is then checked against the stretches in which it may
  fire). Every question whose ``ask_when`` may hold is then pending and every closed question "may
  take" each of its values, so a rule whose *possible* form did not fire in any of those runs can
  never fire, whatever the answers;
* **contradictions, statically**: what the possible run cannot see because each literal is
  possible on its own - a single-choice question required to take two values in one conjunction
  of a condition's strict form, a derived fact tested for a value no rule sets, or a derived fact
  required together with answers that exclude every rule deriving it (derived facts are expanded
  into the rules that set them). The same analysis finds rules that can set one fact to two
  different values in one case;
* bookkeeping: sources and authorities never used, missing translations, validity of items that
  replace each other, unconfirmed entries, engine limits approached, route provenance, editor
  schema modelines.

This module runs it all and formats what is found; the checks are in ``checks`` (with ``CODES``),
the static analysis of conjunctions in ``analysis``, the validity-gap search in ``gaps``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..._compiler import Limits
from ..._errors import RuleBaseError, RuleIssue
from ..._loader import RuleBase, check_rule_base
from .checks import CODES, ERROR_CODES, Checker

__all__ = ["CODES", "LintResult", "format_issue", "lint", "lint_rule_base", "parse_disable", "summary", "to_json"]


@dataclass
class LintResult:
    rule_base: RuleBase | None
    issues: list[RuleIssue] = field(default_factory=list)

    def count(self, severity: str) -> int:
        return sum(1 for i in self.issues if i.severity == severity)

    @property
    def errors(self) -> int:
        return self.count("error")


def lint(
    path: str | Path | None = None,
    today: dt.date | None = None,
    disable: Iterable[str] = (),
    limits: Limits = Limits(),
    scenarios: bool = True,
) -> LintResult:
    """Load, compile and analyse the rule base in ``path``; every issue found, errors first.

    Every error is reported in one run, as far as the checks are independent: a rule base that
    does not load still has its scenario files checked, against the ids its files declare. What
    needs a loaded rule base (compiling, then the analysis: its warnings and the source-link
    errors PW319 and PW320) waits until it loads. ``disable`` lists PW3xx codes not to report.
    """
    report = check_rule_base(path)
    if report.rule_base is None:
        issues = list(report.issues)
        if scenarios:
            from ..scenarios import read_scenarios

            issues += read_scenarios(report.root, report.scenario_files, report.declared)[1]
        return LintResult(None, _sorted(issues))
    return lint_rule_base(report.rule_base, today=today, disable=disable, limits=limits, scenarios=scenarios)


def lint_rule_base(
    rb: RuleBase,
    today: dt.date | None = None,
    disable: Iterable[str] = (),
    limits: Limits = Limits(),
    scenarios: bool = True,
) -> LintResult:
    from ..._run import compiled

    issues: list[RuleIssue] = []
    if scenarios:  # independent of compiling: both are reported in one run
        from ..scenarios import known_ids, read_scenarios

        issues += read_scenarios(rb.root, rb.scenario_files, known_ids(rb))[1]
    try:
        engine_rb = compiled(rb)
        engine_rb.engine.prepare()  # the engine itself accepts every ruleset
    except RuleBaseError as exc:
        # the analysis runs the compiled rule base: its warnings wait for the compile errors' fix
        return LintResult(rb, _sorted(issues + list(exc.issues)))
    skip = set(disable)
    checker = Checker(rb, engine_rb.partitions, today or dt.date.today(), limits)
    for issue in checker.run():
        if issue.code not in skip or issue.code in ERROR_CODES:
            issues.append(issue)
    return LintResult(rb, _sorted(issues))


def _sorted(issues: list[RuleIssue]) -> list[RuleIssue]:
    unique = list(dict.fromkeys(issues))
    return sorted(unique, key=lambda i: (i.file, i.line, i.column, i.code, i.message))


def format_issue(issue: RuleIssue) -> str:
    """``file:line:col: CODE: message`` for errors; warnings and notes say which they are."""
    where = f"{issue.file}:{issue.line}:{issue.column}" if issue.line else issue.file
    severity = "" if issue.severity == "error" else f"{issue.severity}: "
    text = f"{where}: {issue.code}: {severity}{issue.message}"
    if issue.suggestion is not None:
        text += f" (did you mean '{issue.suggestion}'?)"
    return text


def summary(result: LintResult) -> str:
    head = f"{result.rule_base.id} {result.rule_base.version}: " if result.rule_base is not None else ""
    return f"{head}{result.errors} error(s), {result.count('warning')} warning(s), {result.count('info')} note(s)"


def to_json(result: LintResult) -> dict[str, Any]:
    rb = result.rule_base
    return {
        "rulebase": None if rb is None else {"id": rb.id, "version": rb.version, "hash": rb.content_hash},
        "errors": result.errors,
        "warnings": result.count("warning"),
        "info": result.count("info"),
        "issues": [i.to_dict() for i in result.issues],
    }


def parse_disable(values: Iterable[str]) -> list[str]:
    """``--disable PW301,PW302 --disable PW309`` -> codes; raises ValueError for unknown codes."""
    codes = [c.strip().upper() for v in values for c in v.split(",") if c.strip()]
    for code in codes:
        if code not in CODES or code in ERROR_CODES:
            known = ", ".join(c for c in CODES if c not in ERROR_CODES)
            raise ValueError(
                f"'{code}' is not a lint warning code that can be disabled ({known}); errors (PW1xx) cannot be disabled"
            )
    return codes
