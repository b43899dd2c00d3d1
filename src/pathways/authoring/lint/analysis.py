"""The static analysis of conjunctions: can a conjunction of engine literals (a strict DNF
conjunction of a condition) hold in some case? Used by the checks for what the engine's possible
run cannot see (contradictions within one conjunction, derived facts no rule can set), and by the
validity-gap search. ``describe_literal`` writes a literal as a consultant reads it."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

from ..._checklist import condition_text
from ..._conditions import Cond, Lit, TooComplex, dnf, from_engine_date, possible, strict, to_engine_value
from ..._loader import RuleBase

__all__ = ["Analysis", "date_facts", "describe_literal"]


SEARCH_BUDGET = 20_000  # literal-set expansions per question asked of the static analysis


class GiveUp(Exception):
    """The search ran out of budget: assume the conjunction may hold (no warning)."""


def passes(test: Any, value: Any) -> bool:
    """Whether an engine value passes a pattern test (values are normalised: no loose equality)."""
    if test is None:
        return True
    kind, payload = test
    if kind == "eq":
        return value == payload[0] and isinstance(value, bool) == isinstance(payload[0], bool)
    if kind == "neq":
        return all(not passes(("eq", (v,)), value) for v in payload)
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


def fmt_value(value: Any, date: bool = False) -> str:
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
        text = "the date is " + " and ".join(f"{_OPS[op]} {fmt_value(v, True)}" for op, v in test[1])
    elif kind == "u":
        text = f"{name} is 'don't know'" if test == "dk" else f"{name} is unanswered or 'don't know'"
    elif kind == "pk":
        text = f"a question feeding {name} waits to be asked"
    else:
        maybe = kind in ("m", "p")
        if test is None:
            text = f"{name} {'may hold a value' if maybe else 'is known'}"
        elif test[0] == "eq":
            text = f"{name} {'may be' if maybe else '='} {fmt_value(test[1][0], date)}"
        elif test[0] == "neq":
            text = f"{name} {'may be' if maybe else 'is'} not " + "/".join(fmt_value(v, date) for v in test[1])
        else:
            text = f"{name} {'may be ' if maybe else ''}" + " and ".join(
                f"{_OPS[op]} {fmt_value(v, date)}" for op, v in test[1]
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
                and not any(passes(wanted[0].pattern[2], v) for v in values)
            ):
                return (
                    f"{describe_literal(wanted[0], self.dates)}, but no rule sets {name} to such a value "
                    f"(rules set it to: {', '.join(map(fmt_value, values)) or 'nothing'})"
                )
        return " and ".join(describe_literal(lit, self.dates) for lit in ordered) + " cannot hold at once"

    def dates_ok(self, lits: list[Lit]) -> bool:
        bounds = [v for lit in lits for _, v in lit.pattern[2][1]]
        candidates = {b + d for b in bounds for d in (-1, 0, 1)} or {0}
        return any(all(passes(lit.pattern[2], c) != lit.negated for lit in lits) for c in candidates)

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
                    return any(passes(test, v) for v in option_domain)
                return False
            if q.type == "multi":
                return any(passes(test, v) for v in value)
            return passes(test, value)

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
            v for v in values for lit in lits if lit.negated and lit.pattern[0] == "p" and passes(lit.pattern[2], v)
        }
        for lit in lits:
            if (
                not lit.negated
                and lit.pattern[0] == "p"
                and not any(passes(lit.pattern[2], v) for v in values if v not in excluded)
            ):
                return False
        for held in [None, *values]:
            if held is not None and held in excluded:
                continue
            ok = True
            for lit in lits:
                if lit.pattern[0] != "d":
                    continue
                holds = held is not None and passes(lit.pattern[2], held)
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
        except GiveUp:
            return True, None, conj

    def _sat(self, conj: frozenset[Lit], expanded: frozenset[Any]) -> tuple[bool, str | None, frozenset[Lit]]:
        self.budget -= 1
        if self.budget < 0:
            raise GiveUp
        reason = self.basic(conj)
        if reason is not None:
            return False, reason, conj
        reason = self.forced_negation(conj)
        if reason is not None:
            return False, reason, conj
        ordered = sorted(conj, key=lambda lit: repr(lit.pattern))
        # a derived fact that holds (or may hold) a value: one of the rules setting it fires
        derived = [
            lit
            for lit in ordered
            if not lit.negated
            and lit.pattern[0] in ("d", "p")
            and lit.pattern[1] in self.providers
            and lit not in expanded
        ]
        # a route's fact last: only when no question's ask_when is left to expand either
        todo = next((lit for lit in derived if not lit.pattern[1].startswith("route.")), None)
        if todo is None and not any(
            not lit.negated
            and lit.pattern[0] in ("a", "m", "u")
            and lit.pattern[1] in self.asked_when
            and ("ask", lit.pattern[1]) not in expanded
            for lit in ordered
        ):
            todo = next(iter(derived), None)
        if todo is not None:
            kind, name, test = todo.pattern
            tried: list[str] = []
            failures: list[str] = []
            for rule, value, strict_conjs, possible_conjs in self.providers[name]:
                if not passes(test, value):
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
                if passes(test, value) and any(c <= conj for c in conjs):
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


def witness_text(conj: frozenset[Lit], dates: Collection[str] = ()) -> str:
    """A few answers under which a conjunction holds (``dates``: see ``describe_literal``)."""
    values: dict[str, list[str]] = defaultdict(list)
    for kind in ("a", "m"):
        for lit in sorted(conj, key=lambda k: repr(k.pattern)):
            k, name, test = lit.pattern
            if k != kind or lit.negated or test is None or test[0] != "eq":
                continue
            if kind == "m" and name in values:
                continue
            value = fmt_value(test[1][0], name in dates)
            if value not in values[name] and not (kind == "m" and values[name]):
                values[name].append(value)
    return ", ".join(
        f"{name}: {vs[0] if len(vs) == 1 else '[' + ', '.join(vs) + ']'}" for name, vs in sorted(values.items())
    )
