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
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._checklist import condition_text
from ._compiler import Limits, Partition, PatternUsage
from ._conditions import Cond, Lit, TooComplex, dnf, facts_of, from_engine_date, possible, strict, to_engine_value
from ._errors import RuleBaseError, RuleIssue
from ._loader import CORE, RuleBase, check_rule_base
from ._models import STAGES
from ._positions import Positions, raw_files
from ._yaml import LocDict, LocList

__all__ = ["CODES", "LintResult", "lint", "lint_rule_base", "raw_files"]

# code -> (severity, what it means). Stable: never reuse a code for something else.
CODES: dict[str, tuple[str, str]] = {
    "PW301": ("warning", "a question can never be asked: its ask_when can never hold, or its route never applies"),
    "PW302": ("warning", "a question no condition uses: the wizard never asks it"),
    "PW303": ("warning", "an item can never be on a checklist"),
    "PW304": ("warning", "a derived-fact rule can never fire"),
    "PW305": ("warning", "a route can never apply"),
    "PW306": ("warning", "two rules can set one derived fact to different values in the same case"),
    "PW307": ("warning", "a source no question, fact rule, route or item cites"),
    "PW308": ("warning", "an authority no item names (directly or as a parent)"),
    "PW309": ("warning", "a missing translation: zh and en are identical, or zh has no Chinese character"),
    "PW310": ("warning", "items that replace each other have validity ranges that overlap or leave a gap"),
    "PW311": ("info", "an entry marked status: unconfirmed (shown to users as 'to be verified')"),
    "PW312": ("warning", "a route or the common files use more than 75 % of an engine limit"),
    "PW313": ("warning", "a route file without owner, reviewed or review_by"),
    "PW314": ("warning", "a route file whose review_by date has passed"),
    "PW315": ("info", "a rule file without the yaml-language-server schema modeline (or pointing to a missing schema)"),
    "PW316": (
        "warning",
        "an item comes 'after' an item of its route in a later stage: the checklist lists stages "
        "in order, so it would be listed before the step it follows",
    ),
    "PW317": ("warning", "an item without 'kind' (obligation, option or guidance): it is shown as an obligation"),
    "PW318": (
        "warning",
        "a validity gap: a dated fact rule or item leaves its branch with nothing in force for a "
        "period on or after the rule base's in_force_from",
    ),
    "PW319": ("error", "a source links to a host on neither allow-list of the manifest's sources_policy"),
    "PW320": (
        "error",
        "a linked source is not classified: 'kind' missing, 'official' on a host that is not an "
        "official one, or 'secondary' without a publisher",
    ),
    "PW321": ("warning", "an item whose legal basis cites only secondary sources (summaries, translations)"),
    "PW322": ("warning", "a source whose text was last checked longer ago than the review period"),
    "PW323": ("info", "a linked source without a 'checked' date"),
    "PW324": ("warning", "a route with no items: when it applies, the checklist shows it with nothing to do"),
}
ERROR_CODES = frozenset(code for code, (severity, _) in CODES.items() if severity == "error")

SCHEMA_FILE = "rules.schema.json"
MODELINE = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)\s*$")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
APPROACH = 0.75
FAR_PAST = dt.date(1900, 1, 1)
SEARCH_BUDGET = 20_000  # literal-set expansions per question asked of the static analysis


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
            from ._scenarios import read_scenarios

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
    from ._run import compiled

    issues: list[RuleIssue] = []
    if scenarios:  # independent of compiling: both are reported in one run
        from ._scenarios import known_ids, read_scenarios

        issues += read_scenarios(rb.root, rb.scenario_files, known_ids(rb))[1]
    try:
        engine_rb = compiled(rb)
        engine_rb.engine.prepare()  # the engine itself accepts every ruleset
    except RuleBaseError as exc:
        # the analysis runs the compiled rule base: its warnings wait for the compile errors' fix
        return LintResult(rb, _sorted(issues + list(exc.issues)))
    skip = set(disable)
    checker = _Checker(rb, engine_rb.partitions, today or dt.date.today(), limits)
    for issue in checker.run():
        if issue.code not in skip or issue.code in ERROR_CODES:
            issues.append(issue)
    return LintResult(rb, _sorted(issues))


def _months_before(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _sorted(issues: list[RuleIssue]) -> list[RuleIssue]:
    unique = list(dict.fromkeys(issues))
    return sorted(unique, key=lambda i: (i.file, i.line, i.column, i.code, i.message))


# ---- the static analysis of conjunctions -----------------------------------------------------


class _GiveUp(Exception):
    """The search ran out of budget: assume the conjunction may hold (no warning)."""


def _passes(test: Any, value: Any) -> bool:
    """Whether an engine value passes a pattern test (values are normalised: no loose equality)."""
    if test is None:
        return True
    kind, payload = test
    if kind == "eq":
        return value == payload[0] and isinstance(value, bool) == isinstance(payload[0], bool)
    if kind == "neq":
        return all(not _passes(("eq", (v,)), value) for v in payload)
    if kind == "cmp":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        checks = {
            "gte": lambda a, b: a >= b,
            "gt": lambda a, b: a > b,
            "lte": lambda a, b: a <= b,
            "lt": lambda a, b: a < b,
        }
        return all(checks[op](value, bound) for op, bound in payload)
    return False  # pragma: no cover


def _fmt_value(value: Any, date: bool = False) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if date and isinstance(value, int):
        return from_engine_date(value)
    return str(value)


def date_facts(rb: RuleBase) -> frozenset[str]:
    """The facts whose engine values are dates (YYYYMMDD numbers): the date questions."""
    return frozenset(name for name, info in rb.symbols.items() if info.value_type == "date")


def describe_literal(lit: Lit, dates: Collection[str] = ()) -> str:
    """One engine literal as a consultant reads it: ``made_in = abroad``, ``device_class may be III``.

    ``dates``: the facts whose values are dates (``date_facts``); other numbers are numbers.
    """
    kind, name, test = lit.pattern
    date = name in dates
    if kind == "now":
        text = "the date is " + " and ".join(f"{_OPS[op]} {_fmt_value(v, True)}" for op, v in test[1])
    elif kind == "u":
        text = f"{name} is 'don't know'" if test == "dk" else f"{name} is unanswered or 'don't know'"
    elif kind == "pk":
        text = f"a question feeding {name} waits to be asked"
    else:
        maybe = kind in ("m", "p")
        if test is None:
            text = f"{name} {'may hold a value' if maybe else 'is known'}"
        elif test[0] == "eq":
            text = f"{name} {'may be' if maybe else '='} {_fmt_value(test[1][0], date)}"
        elif test[0] == "neq":
            text = f"{name} {'may be' if maybe else 'is'} not " + "/".join(_fmt_value(v, date) for v in test[1])
        else:
            text = f"{name} {'may be ' if maybe else ''}" + " and ".join(
                f"{_OPS[op]} {_fmt_value(v, date)}" for op, v in test[1]
            )
    return f"not ({text})" if lit.negated else text


_OPS = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<"}


class Analysis:
    """Can a conjunction of engine literals (a strict DNF conjunction) hold in some case?"""

    def __init__(self, rb: RuleBase) -> None:
        self.rb = rb
        self.kinds = rb.kinds()
        self.dates = date_facts(rb)
        self.settable: dict[str, list[Any]] = defaultdict(list)
        # derived fact -> (rule, value, strict conjunctions, possible conjunctions)
        self.providers: dict[str, list[tuple[str, Any, tuple[frozenset[Lit], ...], tuple[frozenset[Lit], ...]]]] = (
            defaultdict(list)
        )
        for r in rb.fact_rules:
            conjs = self.conjunctions(r.when, valid=r.model.valid)
            maybe = self.conjunctions(r.when, valid=r.model.valid, mode="possible")
            for name, value in r.model.set.items():
                value = to_engine_value(rb.derived[name].value_type, value)
                if value not in self.settable[name]:
                    self.settable[name].append(value)
                self.providers[name].append((r.model.id, value, conjs, maybe))
        for rid, route in rb.routes.items():
            name = f"route.{rid}"
            self.settable[name] = [True]
            self.providers[name].append(
                (
                    f"the 'when' of route '{rid}'",
                    True,
                    self.conjunctions(route.when),
                    self.conjunctions(route.when, mode="possible"),
                )
            )
        # a question with an answer, a "don't know" or waiting to be asked: its ask_when may hold
        self.asked_when = {
            qid: self.conjunctions(q.ask_when, mode="possible")
            for qid, q in rb.questions.items()
            if q.ask_when is not None
        }
        self.budget = 0
        self._name_ok: dict[tuple[str, frozenset[Lit]], bool] = {}

    def conjunctions(
        self, cond: Cond | None, valid: Any = None, extra: Iterable[Lit] = (), mode: str = "strict"
    ) -> tuple[frozenset[Lit], ...]:
        lits = set(extra)
        if valid is not None:
            ops = []
            if valid.from_ is not None:
                ops.append(("gte", to_engine_value("date", valid.from_)))
            if valid.to is not None:
                ops.append(("lte", to_engine_value("date", valid.to)))
            if ops:
                lits.add(Lit(False, ("now", "", ("cmp", tuple(ops)))))
        if cond is None:
            return (frozenset(lits),)
        expand = strict if mode == "strict" else possible
        try:
            return tuple(frozenset(c) | lits for c in dnf(expand(cond, self.kinds)))
        except TooComplex:  # pragma: no cover - the compiler refuses these
            return (frozenset(lits),)

    # -- one conjunction, literal by literal --

    def basic(self, conj: frozenset[Lit]) -> str | None:
        """Why the literals on one name cannot hold together, or None."""
        by_name: dict[str, list[Lit]] = defaultdict(list)
        for lit in conj:
            if lit.pattern[0] != "pk":
                by_name[lit.pattern[1]].append(lit)
        for name, lits in by_name.items():
            if not self.name_ok(name, frozenset(lits)):
                return self.why(name, lits)
        return None

    def consistent(self, conj: frozenset[Lit]) -> bool:
        """``basic(conj) is None``, without saying why."""
        by_name: dict[str, set[Lit]] = defaultdict(set)
        for lit in conj:
            if lit.pattern[0] != "pk":
                by_name[lit.pattern[1]].add(lit)
        return all(self.name_ok(name, frozenset(lits)) for name, lits in by_name.items())

    def name_ok(self, name: str, lits: frozenset[Lit]) -> bool:
        """Whether the literals on one name can hold together (remembered: searches ask again)."""
        key = (name, lits)
        ok = self._name_ok.get(key)
        if ok is None:
            if name == "":
                ok = self.dates_ok(list(lits))
            elif self.kinds.get(name) == "derived":
                ok = self.derived_ok(name, list(lits))
            elif name in self.rb.questions:
                ok = self.question_ok(name, list(lits))
            else:  # pragma: no cover
                ok = True
            self._name_ok[key] = ok
        return ok

    def why(self, name: str, lits: list[Lit]) -> str:
        ordered = sorted(lits, key=lambda lit: (lit.negated, repr(lit.pattern)))
        if self.kinds.get(name) == "derived" and any(not lit.negated and lit.pattern[0] == "d" for lit in lits):
            wanted = [lit for lit in lits if not lit.negated and lit.pattern[0] == "d"]
            values = self.settable.get(name, [])
            if (
                len(wanted) == 1
                and len(lits) == 1
                and wanted[0].pattern[2] is not None
                and not any(_passes(wanted[0].pattern[2], v) for v in values)
            ):
                return (
                    f"{describe_literal(wanted[0], self.dates)}, but no rule sets {name} to such a value "
                    f"(rules set it to: {', '.join(map(_fmt_value, values)) or 'nothing'})"
                )
        return " and ".join(describe_literal(lit, self.dates) for lit in ordered) + " cannot hold at once"

    def dates_ok(self, lits: list[Lit]) -> bool:
        bounds = [v for lit in lits for _, v in lit.pattern[2][1]]
        candidates = {b + d for b in bounds for d in (-1, 0, 1)} or {0}
        return any(all(_passes(lit.pattern[2], c) != lit.negated for lit in lits) for c in candidates)

    def question_ok(self, qid: str, lits: list[Lit]) -> bool:
        q = self.rb.questions[qid].model
        states: list[tuple[str, Any]] = [("pending", None), ("absent", None)]
        if q.unknown == "allowed":
            states.append(("dk", None))
        domain: list[Any]
        if q.type == "multi":
            required = {
                lit.pattern[2][1][0]
                for lit in lits
                if not lit.negated
                and lit.pattern[0] in ("a", "m")
                and lit.pattern[2] is not None
                and lit.pattern[2][0] == "eq"
            }
            states.append(("answered", frozenset(required) or frozenset({"__none__"})))
            domain = list(q.option_values)
        else:
            if q.type == "yes_no":
                domain = [True, False]
            elif q.type == "choice":
                domain = list(q.option_values)
            else:
                domain = self.open_candidates(q, lits)
            states.extend(("answered", v) for v in domain)
        option_domain = list(self.rb.possible_values(qid)) if q.type in ("yes_no", "choice", "multi") else []

        def holds(lit: Lit, state: tuple[str, Any]) -> bool:
            kind, _, test = lit.pattern
            status, value = state
            if kind == "u":
                return status == "dk" if test == "dk" else status in ("dk", "pending")
            if status != "answered":
                if kind == "m" and status in ("dk", "pending"):
                    return any(_passes(test, v) for v in option_domain)
                return False
            if q.type == "multi":
                return any(_passes(test, v) for v in value)
            return _passes(test, value)

        return any(all(holds(lit, s) != lit.negated for lit in lits) for s in states)

    def open_candidates(self, q: Any, lits: list[Lit]) -> list[Any]:
        constants: list[Any] = []
        for lit in lits:
            test = lit.pattern[2]
            if test is None or isinstance(test, str):
                continue
            if test[0] == "cmp":
                constants.extend(v for _, v in test[1])
            else:
                constants.extend(test[1])
        if q.type == "text":
            return [*dict.fromkeys(constants), "\x00other"]
        numbers = sorted({c for c in constants if isinstance(c, (int, float)) and not isinstance(c, bool)})
        step = 1 if q.type == "date" else 0.5
        candidates = set(numbers)
        for c in numbers:
            candidates |= {c - step, c + step}
        candidates |= {(a + b) / 2 for a, b in itertools.pairwise(numbers)} if q.type == "number" else set()
        if q.type == "number":
            if q.min is not None:
                candidates.add(q.min)
            if q.max is not None:
                candidates.add(q.max)
            candidates = {c for c in candidates if (q.min is None or c >= q.min) and (q.max is None or c <= q.max)}
        return sorted(candidates) or [0]

    def derived_ok(self, name: str, lits: list[Lit]) -> bool:
        values = self.settable.get(name, [])
        excluded = {
            v for v in values for lit in lits if lit.negated and lit.pattern[0] == "p" and _passes(lit.pattern[2], v)
        }
        for lit in lits:
            if (
                not lit.negated
                and lit.pattern[0] == "p"
                and not any(_passes(lit.pattern[2], v) for v in values if v not in excluded)
            ):
                return False
        for held in [None, *values]:
            if held is not None and held in excluded:
                continue
            ok = True
            for lit in lits:
                if lit.pattern[0] != "d":
                    continue
                holds = held is not None and _passes(lit.pattern[2], held)
                if holds == lit.negated:
                    ok = False
                    break
            if ok:
                return True
        return False

    # -- whole conjunctions, derived facts expanded --

    def satisfiable(self, conj: frozenset[Lit]) -> tuple[bool, str | None, frozenset[Lit]]:
        """(may hold, why not, the conjunction after expansion). Gives up as 'may hold'."""
        self.budget = SEARCH_BUDGET
        try:
            return self._sat(conj, frozenset())
        except _GiveUp:
            return True, None, conj

    def _sat(self, conj: frozenset[Lit], expanded: frozenset[Any]) -> tuple[bool, str | None, frozenset[Lit]]:
        self.budget -= 1
        if self.budget < 0:
            raise _GiveUp
        reason = self.basic(conj)
        if reason is not None:
            return False, reason, conj
        reason = self.forced_negation(conj)
        if reason is not None:
            return False, reason, conj
        ordered = sorted(conj, key=lambda lit: repr(lit.pattern))
        # a derived fact that holds (or may hold) a value: one of the rules setting it fires
        todo = next(
            (
                lit
                for lit in ordered
                if not lit.negated
                and lit.pattern[0] in ("d", "p")
                and lit.pattern[1] in self.providers
                and lit not in expanded
                and not lit.pattern[1].startswith("route.")
            ),
            None,
        )
        if todo is None and not any(
            not lit.negated
            and lit.pattern[0] in ("a", "m", "u")
            and lit.pattern[1] in self.asked_when
            and ("ask", lit.pattern[1]) not in expanded
            for lit in ordered
        ):
            todo = next(
                (
                    lit
                    for lit in ordered
                    if not lit.negated
                    and lit.pattern[0] in ("d", "p")
                    and lit.pattern[1] in self.providers
                    and lit not in expanded
                ),
                None,
            )
        if todo is not None:
            kind, name, test = todo.pattern
            tried: list[str] = []
            failures: list[str] = []
            for rule, value, strict_conjs, possible_conjs in self.providers[name]:
                if not _passes(test, value):
                    continue
                tried.append(rule)
                for c in strict_conjs if kind == "d" else possible_conjs:
                    ok, why, final = self._sat(conj | c, expanded | {todo})
                    if ok:
                        return True, None, final
                    failures.append(why or "")
            if not tried:
                return False, self.why(name, [todo]), conj
            if name.startswith("route."):
                need = f"route '{name[len('route.') :]}' must {'apply' if kind == 'd' else 'be able to apply'}"
            else:
                names = list(dict.fromkeys(tried))
                rules = (
                    f"rule '{names[0]}'"
                    if len(names) == 1
                    else "one of the rules " + ", ".join(f"'{n}'" for n in names)
                )
                need = f"{describe_literal(todo, self.dates)} needs {rules}"
            return False, need + ", but then " + _first(failures), conj
        # a question that is answered, unknown or waiting: its ask_when may hold
        todo = next(
            (
                lit
                for lit in ordered
                if not lit.negated
                and lit.pattern[0] in ("a", "m", "u")
                and lit.pattern[1] in self.asked_when
                and ("ask", lit.pattern[1]) not in expanded
            ),
            None,
        )
        if todo is not None:
            qid = todo.pattern[1]
            failures = []
            for c in self.asked_when[qid]:
                ok, why, final = self._sat(conj | c, expanded | {("ask", qid)})
                if ok:
                    return True, None, final
                failures.append(why or "")
            return (
                False,
                (
                    f"{qid} is asked only when {condition_text(self.rb.questions[qid].ask_when)}, "
                    "but then " + _first(failures)
                ),
                conj,
            )
        return True, None, conj

    def forced_negation(self, conj: frozenset[Lit]) -> str | None:
        """not (k may be v), while the conjunction already contains a rule that sets k to v."""
        for lit in conj:
            if not (lit.negated and lit.pattern[0] == "p"):
                continue
            name, test = lit.pattern[1], lit.pattern[2]
            for rule, value, conjs, _ in self.providers.get(name, ()):
                if _passes(test, value) and any(c <= conj for c in conjs):
                    return (
                        f"{describe_literal(lit, self.dates)}, but the rest of the condition makes rule {rule} set it"
                    )
        return None

    def never(self, conjs: Iterable[frozenset[Lit]]) -> str | None:
        """Why none of the conjunctions can hold, or None if one may."""
        reasons = []
        for conj in conjs:
            ok, reason, _ = self.satisfiable(conj)
            if ok:
                return None
            reasons.append(reason or "")
        if not reasons:
            return None
        return _first(reasons)


def _first(reasons: list[str]) -> str:
    unique = list(dict.fromkeys(r for r in reasons if r))
    if not unique:
        return "it cannot hold"
    more = len(unique) - 1
    return unique[0] + (
        f" (and {more} other alternative{'s' if more > 1 else ''} fail{'' if more > 1 else 's'} too)" if more else ""
    )


def _witness(conj: frozenset[Lit], dates: Collection[str] = ()) -> str:
    """A few answers under which a conjunction holds (``dates``: see ``describe_literal``)."""
    values: dict[str, list[str]] = defaultdict(list)
    for kind in ("a", "m"):
        for lit in sorted(conj, key=lambda k: repr(k.pattern)):
            k, name, test = lit.pattern
            if k != kind or lit.negated or test is None or test[0] != "eq":
                continue
            if kind == "m" and name in values:
                continue
            value = _fmt_value(test[1][0], name in dates)
            if value not in values[name] and not (kind == "m" and values[name]):
                values[name].append(value)
    return ", ".join(
        f"{name}: {vs[0] if len(vs) == 1 else '[' + ', '.join(vs) + ']'}" for name, vs in sorted(values.items())
    )


# ---- the checks -------------------------------------------------------------------------------


class _Checker:
    def __init__(self, rb: RuleBase, partitions: dict[str, Partition], today: dt.date, limits: Limits) -> None:
        self.rb = rb
        self.partitions = partitions
        self.today = today
        self.limits = limits
        self.pos = Positions(rb)

    def issue(self, code: str, message: str, where: tuple[str, int, int], suggestion: str | None = None) -> RuleIssue:
        return RuleIssue(code, message, where[0], where[1], where[2], suggestion, CODES[code][0])

    def run(self) -> Iterator[RuleIssue]:
        yield from self.reachability()
        yield from self.conflicts()
        yield from self.unused()
        yield from self.translations()
        yield from self.replacements()
        yield from self.unconfirmed()
        yield from self.engine_limits()
        yield from self.provenance()
        yield from self.modelines()
        yield from self.stage_order()
        yield from self.item_kinds()
        yield from self.validity_gaps()
        yield from self.source_links()
        yield from self.empty_routes()

    # -- reachability --

    def boundary_dates(self) -> list[dt.date]:
        """One date per stretch of time in which the same fact rules are in force.

        Only fact rules carry their dates into the engine (an item's ``valid`` is applied to the
        engine's result), so their ``valid`` ranges cut time into the stretches to run.
        """
        bounds: set[dt.date] = set()
        for r in self.rb.fact_rules:
            valid = r.model.valid
            if valid is None:
                continue
            if valid.from_ is not None:
                bounds.add(valid.from_)
            if valid.to is not None and valid.to < dt.date.max:
                bounds.add(valid.to + dt.timedelta(days=1))
        if not bounds:
            return [self.rb.manifest.released]
        return sorted({min(bounds) - dt.timedelta(days=1), *bounds})

    def reachability(self) -> Iterator[RuleIssue]:
        from ._run import run_case

        rb = self.rb
        ask: set[str] = set()
        derive: set[str] = set()
        item_stretches: dict[str, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
        ran: set[str] = set()
        days = self.boundary_dates()
        for index, day in enumerate(days):
            run = run_case(rb, {}, day)
            ask |= run.possible["ask"]
            derive |= run.possible["derive"]
            ran |= set(run.partitions_run)
            # the stretch this run stands for: from its day (or the beginning of time) to the next
            stretch = (dt.date.min if index == 0 else day, days[index + 1] if index + 1 < len(days) else None)
            for iid in run.possible["item"]:
                item_stretches[iid].append(stretch)
        analysis = Analysis(rb)
        used: set[str] = set()
        for cond in self.all_conditions():
            used |= facts_of(cond)

        for rid, route in rb.routes.items():
            where = self.pos.at("route", rid, "when")
            reason = analysis.never(analysis.conjunctions(route.when))
            if f"route.{rid}" not in derive:
                yield self.issue(
                    "PW305",
                    f"route '{rid}' can never apply: " + (reason or "its 'when' cannot hold for any answers"),
                    where,
                )
                continue
            if reason:
                yield self.issue("PW305", f"route '{rid}' can never apply: {reason}", where)
        for qid, q in rb.questions.items():
            where = self.pos.at("questions", qid)
            if q.partition != CORE and q.partition not in ran:
                yield self.issue(
                    "PW301", f"question '{qid}' is never asked: its route '{q.partition}' never applies", where
                )
                continue
            if q.ask_when is not None:
                reason = analysis.never(analysis.conjunctions(q.ask_when, extra=self.partition_runs(q.partition)))
                if qid not in ask:
                    yield self.issue(
                        "PW301",
                        f"question '{qid}' is never asked: its ask_when cannot hold"
                        + (f": {reason}" if reason else " for any answers"),
                        self.pos.at("questions", qid, "ask_when"),
                    )
                    continue
                if reason:
                    yield self.issue(
                        "PW301",
                        f"question '{qid}' is never asked: its ask_when can never hold: {reason}",
                        self.pos.at("questions", qid, "ask_when"),
                    )
                    continue
            if qid not in used:
                yield self.issue(
                    "PW302",
                    f"question '{qid}' is used by no condition, so the wizard never "
                    "asks it; test it in a 'when', or remove it",
                    where,
                )
        for r in rb.fact_rules:
            rid = r.model.id
            where = self.pos.at("facts", rid, "when")
            reason = analysis.never(
                analysis.conjunctions(r.when, valid=r.model.valid, extra=self.partition_runs(r.partition))
            )
            if rid not in derive:
                why = reason or (
                    "its route never applies"
                    if r.partition != CORE and r.partition not in ran
                    else f"its condition cannot hold while the rule is in force ({_valid_text(r.model.valid)})"
                    if r.model.valid
                    else "its condition cannot hold for any answers"
                )
                yield self.issue("PW304", f"fact rule '{rid}' can never fire: {why}", where)
                continue
            if reason:
                yield self.issue("PW304", f"fact rule '{rid}' can never fire: {reason}", where)
        for iid, item in rb.items.items():
            where = self.pos.at("items", iid, "when") if item.when is not None else self.pos.at("items", iid)
            valid = item.model.valid
            stretches = item_stretches.get(iid, [])
            route_lit = Lit(False, ("d", f"route.{item.route}", ("eq", (True,))))
            reason = analysis.never(analysis.conjunctions(item.when, valid=valid, extra=[route_lit]))
            if not stretches:
                why = reason or (
                    "its route never applies" if item.route not in ran else "its condition cannot hold for any answers"
                )
                yield self.issue("PW303", f"item '{iid}' can never be on a checklist: {why}", where)
                continue
            if valid is not None and not any(_overlaps(valid, first, end) for first, end in stretches):
                yield self.issue(
                    "PW303",
                    f"item '{iid}' can never be on a checklist: its condition can hold "
                    f"only on dates when the item is not in force ({_valid_text(valid)})",
                    where,
                )
                continue
            if reason:
                yield self.issue("PW303", f"item '{iid}' can never be on a checklist: {reason}", where)

    @staticmethod
    def partition_runs(partition: str) -> list[Lit]:
        """A route's questions and fact rules are evaluated only when the route may apply."""
        return [] if partition == CORE else [Lit(False, ("p", f"route.{partition}", ("eq", (True,))))]

    def all_conditions(self) -> Iterator[Cond]:
        rb = self.rb
        for q in rb.questions.values():
            if q.ask_when is not None:
                yield q.ask_when
        for r in rb.fact_rules:
            yield r.when
        for route in rb.routes.values():
            yield route.when
        for item in rb.items.values():
            if item.when is not None:
                yield item.when

    # -- conflicting derivations --

    def conflicts(self) -> Iterator[RuleIssue]:
        analysis = Analysis(self.rb)
        by_fact: dict[str, list[tuple[Any, Any, tuple[frozenset[Lit], ...]]]] = defaultdict(list)
        for r in self.rb.fact_rules:
            conjs = analysis.conjunctions(r.when, valid=r.model.valid, extra=self.partition_runs(r.partition))
            for name, value in r.model.set.items():
                by_fact[name].append((r, value, conjs))
        for name, rules in by_fact.items():
            for i, (r1, v1, c1s) in enumerate(rules):
                for r2, v2, c2s in rules[i + 1 :]:
                    if v1 == v2 and type(v1) is type(v2):
                        continue
                    witness = None
                    for c1 in c1s:
                        for c2 in c2s:
                            ok, _, final = analysis.satisfiable(c1 | c2)
                            if ok:
                                witness = final
                                break
                        if witness is not None:
                            break
                    if witness is None:
                        continue
                    example = _witness(witness, analysis.dates)
                    yield self.issue(
                        "PW306",
                        f"rules '{r1.model.id}' ({r1.file}:{r1.line}) and '{r2.model.id}' can set "
                        f"'{name}' to {_fmt_value(v1)} and {_fmt_value(v2)} in the same case"
                        + (f", e.g. with {example}" if example else "")
                        + "; make their conditions exclusive (add not: to one of them)",
                        self.pos.at("facts", r2.model.id, "when"),
                    )

    # -- bookkeeping --

    def unused(self) -> Iterator[RuleIssue]:
        rb = self.rb
        cited: set[str] = set()
        for q in rb.questions.values():
            cited |= {s.id for s in q.model.sources}
        for r in rb.fact_rules:
            cited |= {s.id for s in r.model.sources}
        for route in rb.routes.values():
            cited |= {s.id for s in route.model.sources}
        for item in rb.items.values():
            cited |= {s.id for s in item.model.sources}
        for sid in rb.sources:
            if sid not in cited:
                yield self.issue(
                    "PW307",
                    f"source '{sid}' is cited by no question, fact rule, route or item",
                    self.pos.at("sources", sid),
                )
        named: set[str] = set()
        for item in rb.items.values():
            authority = item.model.authority
            while authority and authority not in named:
                named.add(authority)
                parent = rb.authorities.get(authority)
                authority = parent.parent if parent is not None else None
        for aid in rb.authorities:
            if aid not in named:
                yield self.issue(
                    "PW308",
                    f"authority '{aid}' is named by no item (directly or as a parent)",
                    self.pos.at("authorities", aid),
                )

    def translations(self) -> Iterator[RuleIssue]:
        for display, (_, data) in self.pos.files.items():
            yield from self._texts(display, data, [], None)

    def _texts(self, display: str, node: Any, path: list[str], owner: str | None) -> Iterator[RuleIssue]:
        if isinstance(node, LocDict):
            if set(node) == {"zh", "en"} and all(isinstance(v, str) for v in node.values()):
                where = (display, node.line, node.column)
                label = path[-1] if path else "text"
                of = f" of {owner}" if owner else ""
                zh, en = node["zh"].strip(), node["en"].strip()
                if zh == en:
                    yield self.issue(
                        "PW309", f"{label}{of}: zh and en are identical ('{_short(zh)}'); translate one of them", where
                    )
                elif not CJK.search(zh):
                    yield self.issue(
                        "PW309",
                        f"{label}{of}: zh has no Chinese character ('{_short(zh)}'); is it untranslated?",
                        where,
                    )
                return
            ident = node.get("id") if isinstance(node.get("id"), str) else None
            if ident is not None and path:
                owner = f"{_KIND.get(path[-1], path[-1])} '{ident}'"
            elif path and path[-1] == "options" and "value" in node:
                owner = f"option '{node['value']}' of {owner}"
            for key, value in node.items():
                yield from self._texts(display, value, [*path, str(key)], owner)
        elif isinstance(node, LocList):
            for value in node:
                yield from self._texts(display, value, path, owner)

    def replacements(self) -> Iterator[RuleIssue]:
        items = self.rb.items
        for iid, item in items.items():
            for index, old_id in enumerate(item.model.replaces):
                old = items.get(old_id)
                if old is None:
                    continue
                where = self.pos.at("items", iid, "replaces", index)
                new_from = item.model.valid.from_ if item.model.valid else None
                old_to = old.model.valid.to if old.model.valid else None
                if new_from is None:
                    yield self.issue(
                        "PW310",
                        f"item '{iid}' replaces '{old_id}' but has no start date; give it valid: {{from: DATE}}",
                        where,
                    )
                elif old_to is None:
                    yield self.issue(
                        "PW310",
                        f"'{old_id}' has no end date, so it overlaps '{iid}' (valid from "
                        f"{new_from}) which replaces it; give '{old_id}' valid: {{to: "
                        f"{new_from - dt.timedelta(days=1)}}}",
                        where,
                    )
                elif old_to >= new_from:
                    yield self.issue(
                        "PW310",
                        f"'{old_id}' (valid to {old_to}) and '{iid}' (valid from {new_from}) "
                        f"overlap from {new_from} to {old_to}: both would be on one checklist",
                        where,
                    )
                elif old_to + dt.timedelta(days=1) < new_from:
                    yield self.issue(
                        "PW310",
                        f"'{old_id}' (valid to {old_to}) and '{iid}' (valid from {new_from}) "
                        f"leave a gap from {old_to + dt.timedelta(days=1)} to "
                        f"{new_from - dt.timedelta(days=1)}: neither would be on a checklist",
                        where,
                    )

    def unconfirmed(self) -> Iterator[RuleIssue]:
        rb = self.rb
        for iid, item in rb.items.items():
            if item.model.status == "unconfirmed":
                yield self.issue(
                    "PW311",
                    f"item '{iid}' is unconfirmed: users see it as 'to be verified'",
                    self.pos.key_at("items", iid, "status"),
                )
        for r in rb.fact_rules:
            if r.model.status == "unconfirmed":
                yield self.issue(
                    "PW311",
                    f"fact rule '{r.model.id}' is unconfirmed: items resting on it are 'to be verified'",
                    self.pos.key_at("facts", r.model.id, "status"),
                )
        for sid, source in rb.sources.items():
            if source.status == "unconfirmed":
                yield self.issue(
                    "PW311",
                    f"source '{sid}' is unconfirmed: the instrument itself needs verification",
                    self.pos.key_at("sources", sid, "status"),
                )

    def source_links(self) -> Iterator[RuleIssue]:
        """Legal-basis links go where a regulatory professional trusts them: the issuing body's own
        text, or a named publisher's summary; the allow-lists live in the manifest, not here."""
        rb = self.rb
        policy = rb.manifest.sources_policy
        for sid, source in rb.sources.items():
            if source.url is None:
                continue
            host = policy.host_of(source.url)
            official, secondary = policy.official(host), policy.secondary(host)
            where = self.pos.at("sources", sid, "url")
            if not official and secondary is None:
                yield self.issue(
                    "PW319",
                    f"source '{sid}' links to '{host}', which is on neither allow-list of "
                    "rulebase.yaml (sources_policy): link the official text, or a reputable "
                    "publisher's summary added to secondary_hosts with its name, or give no url "
                    "(the number, issuer and dates identify the instrument)",
                    where,
                )
                continue
            if source.kind is None:
                guess = "official" if official else "secondary"
                yield self.issue(
                    "PW320",
                    f"source '{sid}' has a url but no 'kind': say whether it leads to the "
                    f"official text or to a summary (its host '{host}' suggests kind: {guess})",
                    where,
                )
            elif source.kind == "official" and not official:
                yield self.issue(
                    "PW320",
                    f"source '{sid}' is 'official' but '{host}' is not an official host: a summary is kind: secondary",
                    self.pos.at("sources", sid, "kind"),
                )
            elif source.kind == "secondary" and source.publisher is None and secondary is None:
                yield self.issue(
                    "PW320",
                    f"source '{sid}' is 'secondary' but names no publisher: add 'publisher' (who wrote the summary)",
                    self.pos.at("sources", sid, "kind"),
                )
            if source.checked is None:
                yield self.issue(
                    "PW323",
                    f"source '{sid}' has no 'checked' date: when was its text last read against the rules?",
                    where,
                )
            elif _months_before(self.today, policy.review_months) > source.checked:
                yield self.issue(
                    "PW322",
                    f"source '{sid}' was last checked on {source.checked}, more than "
                    f"{policy.review_months} months ago: re-read it and update 'checked'",
                    self.pos.at("sources", sid, "checked"),
                )
        for iid, item in rb.items.items():
            cited = [rb.sources[ref.id] for ref in item.model.sources if ref.id in rb.sources]
            if cited and all(src.kind == "secondary" for src in cited):
                yield self.issue(
                    "PW321",
                    f"item '{iid}' rests only on secondary sources "
                    f"({', '.join(src.id for src in cited)}): cite the instrument itself",
                    self.pos.key_at("items", iid, "sources"),
                )

    def engine_limits(self) -> Iterator[RuleIssue]:
        for name, part in self.partitions.items():
            label = "the common files" if name == CORE else f"route '{name}'"
            for what, value, limit, origin in limit_usage(part, self.limits):
                if value > APPROACH * limit:
                    yield self.issue(
                        "PW312",
                        f"{label}: {what}: {value} of at most {limit} "
                        f"({100 * value // limit} %); split the route or move shared tests "
                        "into derived facts before it fails",
                        (origin[0], origin[1], 1),
                    )

    def provenance(self) -> Iterator[RuleIssue]:
        for rid, route in self.rb.routes.items():
            m = route.model
            missing = [k for k in ("owner", "reviewed", "review_by") if getattr(m, k) in (None, "")]
            if missing:
                yield self.issue(
                    "PW313",
                    f"route '{rid}' does not record {', '.join(missing)}: say who owns the "
                    "file, when it was last checked against the regulations and when it must be "
                    "checked again",
                    self.pos.at("route", rid),
                )
            if m.review_by is not None and m.review_by < self.today:
                yield self.issue(
                    "PW314",
                    f"route '{rid}' was due for review by {m.review_by} "
                    f"({(self.today - m.review_by).days} days ago); review it against the "
                    "regulations and update 'reviewed' and 'review_by'",
                    self.pos.at("route", rid, "review_by"),
                )

    def stage_order(self) -> Iterator[RuleIssue]:
        """A checklist is grouped by route, then stage (in STAGES order): an ``after`` that points
        to a later stage of the same route reads backwards (step 1 "after" step 12)."""
        rb = self.rb
        for iid, item in rb.items.items():
            own = STAGES.index(item.model.stage)
            for index, dep in enumerate(item.model.after):
                other = rb.items.get(dep)
                if other is None or other.route != item.route or STAGES.index(other.model.stage) <= own:
                    continue
                yield self.issue(
                    "PW316",
                    f"item '{iid}' (stage {item.model.stage}) comes after '{dep}', which is in "
                    f"the later stage {other.model.stage}: the checklist would list it first; put '{dep}' "
                    f"in stage {item.model.stage} or earlier, or '{iid}' in stage {other.model.stage} "
                    "or later, whichever is when the step is done",
                    self.pos.at("items", iid, "after", index),
                )

    def item_kinds(self) -> Iterator[RuleIssue]:
        """An item read as "required" must be a duty in law: an expedited programme or a support
        policy shown that way misleads, so every item says what it is."""
        for iid, item in self.rb.items.items():
            if item.model.kind is None:
                yield self.issue(
                    "PW317",
                    f"item '{iid}' has no 'kind': say whether it is an obligation (the law "
                    "requires it), an option (a programme or incentive the company may apply for) or "
                    "guidance (for information); until then it is shown as an obligation",
                    self.pos.at("items", iid),
                )

    def empty_routes(self) -> Iterator[RuleIssue]:
        """A route no item belongs to (its items forgotten, or all moved to another route)."""
        used = {item.route for item in self.rb.items.values()}
        for rid in self.rb.routes:
            if rid not in used:
                yield self.issue(
                    "PW324",
                    f"route '{rid}' has no items: when it applies, the checklist names it "
                    "with nothing to do; add its items (with 'route: " + rid + "' outside its "
                    "file) or remove the route",
                    self.pos.at("route", rid),
                )

    # -- validity gaps --

    def in_force_from(self) -> dt.date | None:
        """The first case date the rule base supports: the manifest's ``in_force_from``, else the
        earliest ``valid.from`` of a fact rule or item (None: nothing is dated)."""
        declared: dt.date | None = getattr(self.rb.manifest, "in_force_from", None)
        if declared is not None:
            return declared
        starts = [v.from_ for v in self.valid_ranges() if v.from_ is not None]
        return min(starts) if starts else None

    def valid_ranges(self) -> Iterator[Any]:
        for r in self.rb.fact_rules:
            if r.model.valid is not None:
                yield r.model.valid
        for item in self.rb.items.values():
            if item.model.valid is not None:
                yield item.model.valid

    def validity_gaps(self) -> Iterator[RuleIssue]:
        """PW318: a dated fact rule or item whose branch has nothing else in force for a while.

        Checked: each fact rule with a ``valid`` range that sets a fact which rules set to two or
        more values (a classification such as ``device_class``: without a rule the case has no
        class; a fact only ever set to one value, such as ``eligible: true``, reads as "no" without
        one), and each item with a ``valid`` range that is not ``kind: guidance``. The *branch* is the
        rule's condition (the item's condition and its route's) read without the dates, as it holds
        for certain; the *gap periods* are the days on or after ``in_force_from`` on which the rule
        is not in force. On such a day the branch is covered when, for every case in it, something
        may hold: another rule setting the same fact (for an item: another item of the same route
        and stage, even as "to determine"), or a ``kind: guidance`` item of any route and stage.
        Every period not covered is reported with answers under which nothing holds. An item that
        ``replaces`` another is not checked before its start, nor an item another one replaces after
        its end: PW310 checks where they meet.
        """
        rb = self.rb
        first = self.in_force_from()
        if first is None or not any(True for _ in self.valid_ranges()):
            return
        gaps = _Gaps(rb, Analysis(rb), first)
        guidance: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        for item in rb.items.values():
            if item.model.kind == "guidance":
                guidance[item.route].append(("item", item))
                guidance[CORE].append(("item", item))
        by_fact: dict[str, list[Any]] = defaultdict(list)
        values: dict[str, set[Any]] = defaultdict(set)
        for r in rb.fact_rules:
            for name, value in r.model.set.items():
                by_fact[name].append(r)
                values[name].add((type(value), value))
        for r in rb.fact_rules:
            if r.model.valid is None:
                continue
            for name in r.model.set:
                if len(values[name]) < 2:
                    continue
                closers = [("rule", o) for o in by_fact[name] if o is not r] + guidance[r.partition]
                for start, end, example in gaps.uncovered(("rule", r), closers, before=True, after=True):
                    yield self.issue(
                        "PW318",
                        f"validity gap: no rule sets fact '{name}' {_period(start, end)} for cases "
                        f"where rule '{r.model.id}' ({_valid_phrase(r.model.valid)}) applies: "
                        f"{condition_text(r.when)}; e.g. {example}. Encode the regime in "
                        f"force then for these cases, or add a kind: guidance item "
                        f"{_guidance_valid(start, end)} whose condition covers them, saying that it is not "
                        "encoded",
                        self.pos.at("facts", r.model.id, "valid"),
                    )
        replaced = {old for item in rb.items.values() for old in item.model.replaces}
        for iid, item in rb.items.items():
            if item.model.valid is None or item.model.kind == "guidance":
                continue
            closers = [
                ("item", other)
                for oid, other in rb.items.items()
                if oid != iid
                and other.route == item.route
                and (other.model.kind == "guidance" or other.model.stage == item.model.stage)
            ]
            for start, end, example in gaps.uncovered(
                ("item", item), closers, before=not item.model.replaces, after=iid not in replaced
            ):
                branch = (
                    f"its condition holds ({condition_text(item.when)})"
                    if item.when is not None
                    else f"route '{item.route}' applies"
                )
                yield self.issue(
                    "PW318",
                    f"validity gap: item '{iid}' is {_valid_phrase(item.model.valid)}, and "
                    f"{_period(start, end)} cases where {branch} get no item of route '{item.route}' in "
                    f"stage {item.model.stage} in its place; e.g. {example}. Encode the "
                    f"regime in force then, or add a kind: guidance item {_guidance_valid(start, end)} whose "
                    "condition covers these cases, saying that it is not encoded",
                    self.pos.at("items", iid, "valid"),
                )

    def modelines(self) -> Iterator[RuleIssue]:
        schema = self.rb.root / SCHEMA_FILE
        for display, (path, _) in self.pos.files.items():
            try:
                first = path.read_text(encoding="utf-8").split("\n", 1)[0]
            except OSError:  # pragma: no cover
                continue
            match = MODELINE.match(first.strip())
            relative = (
                Path(*([".."] * (len(path.relative_to(self.rb.root).parts) - 1)), SCHEMA_FILE)
                if path.is_relative_to(self.rb.root)
                else Path(SCHEMA_FILE)
            )
            prefix = "./" if str(relative) == SCHEMA_FILE else ""
            wanted = f"# yaml-language-server: $schema={prefix}{relative.as_posix()}"
            if match is None:
                yield self.issue(
                    "PW315",
                    f"no schema modeline: add '{wanted}' as the first line so that "
                    "editors complete and check this file",
                    (display, 1, 1),
                )
                continue
            target = match.group(1)
            if "://" in target:
                continue
            if not (path.parent / target).is_file():
                hint = "" if schema.is_file() else f" (generate it: pathways schema rules > {SCHEMA_FILE})"
                yield self.issue(
                    "PW315", f"the schema modeline points to '{target}', which does not exist" + hint, (display, 1, 1)
                )


_KIND = {
    "questions": "question",
    "facts": "fact rule",
    "items": "item",
    "sources": "source",
    "authorities": "authority",
    "options": "option",
}


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _overlaps(valid: Any, first: dt.date, end: dt.date | None) -> bool:
    """Whether a valid range meets the stretch [first, end) (end None: open)."""
    starts_in_time = valid.from_ is None or end is None or valid.from_ < end
    ends_in_time = valid.to is None or valid.to >= first
    return starts_in_time and ends_in_time


def _period(start: dt.date, end: dt.date | None) -> str:
    return f"from {start} on" if end is None else f"from {start} to {end}"


def _valid_phrase(valid: Any) -> str:
    if valid.from_ is not None and valid.to is not None:
        return f"valid from {valid.from_} to {valid.to}"
    return f"valid from {valid.from_}" if valid.from_ is not None else f"valid to {valid.to}"


def _guidance_valid(start: dt.date, end: dt.date | None) -> str:
    if end is None:
        return f"valid: {{from: {start}}}"
    return f"valid: {{to: {end}}}"


DAY = dt.timedelta(days=1)
GAP_NODES = 2_000  # branches of the covering search per period (beyond: assume covered)
GAP_LEAVES = 8  # complete candidate cases checked per period (a gap is found at the first)
LEAF_BUDGET = 3_000  # literal-set expansions to check one of them
TOTAL_LEAVES = 1_000  # ... and in one lint, so that lint stays fast on any rule base


class _Gaps:
    """Whether a branch (a dated rule's condition) has a day on which no closer can hold.

    A branch is the strict form of the rule's condition: a case in which it definitely holds. A
    closer (another rule, another item) covers a case unless its *possible* form is false there,
    so "nothing covers" is the branch plus, for each closer conjunction, one of its literals
    negated: a search over those choices (pruned by the literal checks of ``Analysis.basic``;
    negated derived facts add the negation of the rules that set them), each complete choice then
    checked with ``Analysis`` (derived facts expanded into their rules, questions into their
    ask_when). The search gives up as "covered" past its budget.
    """

    def __init__(self, rb: RuleBase, analysis: Analysis, first: dt.date) -> None:
        self.rb = rb
        self.analysis = analysis
        self.first = first
        self.spent = 0  # complete candidate cases checked in this lint (at most TOTAL_LEAVES)

    @staticmethod
    def valid_of(entry: tuple[str, Any]) -> Any:
        return entry[1].model.valid

    def conjs(self, entry: tuple[str, Any], mode: str) -> tuple[frozenset[Lit], ...]:
        kind, obj = entry
        a = self.analysis
        if kind == "rule":
            route = (
                []
                if obj.partition == CORE
                else [Lit(False, ("d" if mode == "strict" else "p", f"route.{obj.partition}", ("eq", (True,))))]
            )
            return a.conjunctions(obj.when, extra=route, mode=mode)
        route_lit = Lit(False, ("d" if mode == "strict" else "p", f"route.{obj.route}", ("eq", (True,))))
        return a.conjunctions(obj.when, extra=[route_lit], mode=mode)

    def uncovered(
        self, entry: tuple[str, Any], closers: list[tuple[str, Any]], before: bool, after: bool
    ) -> Iterator[tuple[dt.date, dt.date | None, str]]:
        """Maximal periods (first day, last day or None) in which the branch of ``entry`` is not
        covered, each with answers under which it is not."""
        valid = self.valid_of(entry)
        periods: list[tuple[dt.date, dt.date | None]] = []
        if before and valid.from_ is not None and valid.from_ > self.first:
            if valid.to is None or valid.to >= self.first:
                periods.append((self.first, valid.from_ - DAY))
        if after and valid.to is not None and valid.to < dt.date.max and valid.to >= self.first:
            periods.append((max(self.first, valid.to + DAY), None))
        if not periods:
            return
        branch = self.expand(self.conjs(entry, "strict"))
        # a closer none of whose forms can hold together with the branch never covers it
        closers = [
            c
            for c in closers
            if any(self.analysis.consistent(b | c_conj) for b in branch for c_conj in self.conjs(c, "possible"))
        ]
        names = self.names_under([*branch, *(c for closer in closers for c in self.conjs(closer, "possible"))])
        dated = [r.model.valid for r in self.rb.fact_rules if r.model.valid is not None and names & set(r.model.set)]
        for start, end in periods:
            cuts = {start}
            for v in [self.valid_of(c) for c in closers] + dated:
                if v is None:
                    continue
                for day in (v.from_, v.to + DAY if v.to is not None and v.to < dt.date.max else None):
                    if day is not None and day > start and (end is None or day <= end):
                        cuts.add(day)
            days = sorted(cuts)
            # stretches with the same closers and the same dated fact rules in force are one
            stretches: list[tuple[dt.date, dt.date | None, list[tuple[str, Any]]]] = []
            signature: Any = None
            for index, day in enumerate(days):
                last = days[index + 1] - DAY if index + 1 < len(days) else end
                active = [c for c in closers if self.valid_of(c) is None or _overlaps(self.valid_of(c), day, day + DAY)]
                sig = ([id(c[1]) for c in active], [_overlaps(v, day, day + DAY) for v in dated])
                if stretches and sig == signature:
                    stretches[-1] = (stretches[-1][0], last, active)
                else:
                    stretches.append((day, last, active))
                signature = sig
            open_start: dt.date | None = None
            open_example = ""
            for day, last, active in stretches:
                example = self.gap_case(branch, active, day, last)
                if example is not None:
                    if open_start is None:
                        open_start, open_example = day, example
                    continue
                if open_start is not None:
                    yield open_start, day - DAY, open_example
                    open_start = None
            if open_start is not None:
                yield open_start, end, open_example

    def names_under(self, conjs: list[frozenset[Lit]]) -> set[str]:
        """The derived facts these conjunctions read, directly or through the rules that set them."""
        a = self.analysis
        todo = [lit.pattern[1] for c in conjs for lit in c if lit.pattern[0] in ("d", "p", "pk")]
        seen: set[str] = set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            for _rule, _value, strict_conjs, possible_conjs in a.providers.get(name, ()):
                todo.extend(
                    lit.pattern[1]
                    for c in (*strict_conjs, *possible_conjs)
                    for lit in c
                    if lit.pattern[0] in ("d", "p", "pk")
                )
        return seen

    def expand(self, branch: tuple[frozenset[Lit], ...], limit: int = 64) -> tuple[frozenset[Lit], ...]:
        """The branch with the derived facts (and routes) it requires replaced by the rules that set
        them, level by level while that stays small: the search then sees the answers they need."""
        a = self.analysis
        todo: list[tuple[frozenset[Lit], frozenset[Lit]]] = [(conj, frozenset()) for conj in branch]
        for _ in range(4):
            out: list[tuple[frozenset[Lit], frozenset[Lit]]] = []
            grew = False
            for conj, done in todo:
                lit = next(
                    (
                        cand
                        for cand in sorted(conj, key=lambda cand: repr(cand.pattern))
                        if not cand.negated
                        and cand.pattern[0] == "d"
                        and cand.pattern[1] in a.providers
                        and cand not in done
                    ),
                    None,
                )
                if lit is None:
                    out.append((conj, done))
                    continue
                grew = True
                for _rule, value, strict_conjs, _ in a.providers[lit.pattern[1]]:
                    if not _passes(lit.pattern[2], value):
                        continue
                    for c in strict_conjs:
                        if a.consistent(conj | c):
                            out.append((conj | c, done | {lit}))
            if not grew or len(out) > limit:
                break
            todo = out
        return tuple(dict.fromkeys(conj for conj, _ in todo)) or branch

    def gap_case(
        self, branch: tuple[frozenset[Lit], ...], closers: list[tuple[str, Any]], first: dt.date, last: dt.date | None
    ) -> str | None:
        """Answers under which the branch holds and no closer may hold on days first..last, or None."""
        ops: list[tuple[str, int]] = [("gte", to_engine_value("date", first))]
        if last is not None:
            ops.append(("lte", to_engine_value("date", last)))
        now = Lit(False, ("now", "", ("cmp", tuple(ops))))
        clauses: list[frozenset[Lit]] = []
        for closer in closers:
            clauses.extend(self.conjs(closer, "possible"))
        self.nodes = GAP_NODES
        self.leaves = GAP_LEAVES
        for conj in branch:
            try:
                found = self.search(conj | {now}, tuple(clauses), frozenset())
            except _GiveUp:
                return None
            if found is not None:
                return found
        return None

    def search(
        self, state: frozenset[Lit], clauses: tuple[frozenset[Lit], ...], expanded: frozenset[Lit]
    ) -> str | None:
        """Extend ``state`` so that every clause has a false literal; a witness if that may hold."""
        a = self.analysis
        self.nodes -= 1
        if self.nodes < 0:
            raise _GiveUp
        if not a.consistent(state) or a.forced_negation(state) is not None:
            return None
        best: list[Lit] | None = None
        for clause in clauses:
            if any(Lit(not lit.negated, lit.pattern) in state for lit in clause):
                continue  # one of its literals is already false
            if not a.consistent(state | clause):
                continue  # its literals cannot all hold here
            options = sorted((Lit(not lit.negated, lit.pattern) for lit in clause), key=_option_order)
            options = [o for o in options if a.consistent(state | {o})]
            if best is None or len(options) < len(best):
                best = options
                if not best:
                    return None
        if best is not None:
            for option in best:
                found = self.search(state | {option}, clauses, expanded)
                if found is not None:
                    return found
            return None
        # every clause is false: a derived fact required not to hold needs its rules not to fire
        more: list[frozenset[Lit]] = []
        done = set(expanded)
        for lit in sorted(state, key=lambda k: repr(k.pattern)):
            if not lit.negated or lit.pattern[0] not in ("d", "p") or lit in expanded:
                continue
            kind, name, test = lit.pattern
            done.add(lit)
            for _rule, value, strict_conjs, possible_conjs in a.providers.get(name, ()):
                if _passes(test, value):
                    more.extend(strict_conjs if kind == "d" else possible_conjs)
        if more:
            return self.search(state, tuple(more), frozenset(done))
        self.leaves -= 1
        self.spent += 1
        if self.leaves < 0 or self.spent > TOTAL_LEAVES:
            raise _GiveUp
        a.budget = LEAF_BUDGET
        try:
            ok, _, final = a._sat(state, frozenset())
        except _GiveUp:
            return None  # too long to tell: not a witness
        if not ok:
            return None
        return self.example(final)

    def example(self, conj: frozenset[Lit]) -> str:
        """Answers under which a conjunction holds: its required answers, plus a value for each
        closed question it only requires not to take some values."""
        text = _witness(conj, self.analysis.dates)
        named = {lit.pattern[1] for lit in conj if not lit.negated and lit.pattern[0] in ("a", "m")}
        extra: list[str] = []
        for qid in sorted({lit.pattern[1] for lit in conj if lit.negated and lit.pattern[0] in ("a", "m")} - named):
            q = self.rb.questions[qid].model
            lits = [lit for lit in conj if lit.pattern[1] == qid and lit.pattern[0] in ("a", "m")]
            if q.type == "multi":
                extra.append(f"{qid}: []")
                continue
            domain: list[Any] = (
                [True, False] if q.type == "yes_no" else list(q.option_values) if q.type == "choice" else []
            )
            fit = next((v for v in domain if all(_passes(lit.pattern[2], v) != lit.negated for lit in lits)), None)
            if fit is not None:
                extra.append(f"{qid}: {_fmt_value(fit)}")
        return ", ".join(p for p in [text, *extra] if p) or "any answers"


def _option_order(lit: Lit) -> tuple[int, str]:
    """Try first what constrains least: an answer not taken, then a derived fact not holding, then
    one that must hold (its rules must fire)."""
    kind = lit.pattern[0]
    rank = 0 if kind in ("a", "m", "u", "now") else 1 if lit.negated else 2
    return (rank, repr(lit.pattern))


def _valid_text(valid: Any) -> str:
    return f"valid {valid.from_ or '…'} to {valid.to or '…'}"


def limit_usage(part: Partition, limits: Limits) -> list[tuple[str, int, int, tuple[str, int]]]:
    """How close one compiled ruleset comes to each engine limit (the counts of ``check_limits``):
    (what, value, limit, origin of the worst offender)."""
    where = part.rules[0].origin if part.rules else ("rulebase.yaml", 1)
    out: list[tuple[str, int, int, tuple[str, int]]] = [
        ("engine rules in one ruleset", len(part.rules) + 2, limits.rules_per_ruleset, where)
    ]
    if not part.rules:
        return out
    widest = max(part.rules, key=lambda r: len(r.literals))
    out.append(("facts joined by one rule", len(widest.literals) + 1, limits.facts_per_join, widest.origin))
    usage = PatternUsage.of(part)
    fan, first, names = usage.fan, usage.first, usage.names_per_kind
    tests, first_use = usage.tests_per_fact, usage.first_use
    if fan:  # none when every rule is unconditional (a route whose only item has no 'when')
        key, count = max(fan.items(), key=lambda kv: kv[1])
        out.append(("rules sharing one test", count, limits.rules_per_pattern, first[key]))
    if names:
        kind, members = max(names.items(), key=lambda kv: len(kv[1]))
        out.append(("different facts tested", len(members), limits.tests_per_node, where))
    if tests:
        (kind, name), values = max(tests.items(), key=lambda kv: len(kv[1]))
        out.append((f"different tests on '{name}'", len(values), limits.tests_per_fact, first_use[(kind, name)]))
    return out


# ---- output -----------------------------------------------------------------------------------


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
