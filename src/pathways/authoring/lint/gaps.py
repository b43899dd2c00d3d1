"""Validity gaps (PW318): a dated fact rule or item that leaves its branch with nothing in force
for a period on or after the rule base's ``in_force_from``, found by a bounded covering search
over the static analysis."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from ..._conditions import Lit, to_engine_value
from ..._loader import CORE, RuleBase
from .analysis import Analysis, GiveUp, fmt_value, passes, witness_text

__all__ = ["Gaps"]


DAY = dt.timedelta(days=1)
GAP_NODES = 2_000  # branches of the covering search per period (beyond: assume covered)
GAP_LEAVES = 8  # complete candidate cases checked per period (a gap is found at the first)
LEAF_BUDGET = 3_000  # literal-set expansions to check one of them
TOTAL_LEAVES = 1_000  # ... and in one lint, so that lint stays fast on any rule base


def overlaps(valid: Any, first: dt.date, end: dt.date | None) -> bool:
    """Whether a valid range meets the stretch [first, end) (end None: open)."""
    starts_in_time = valid.from_ is None or end is None or valid.from_ < end
    ends_in_time = valid.to is None or valid.to >= first
    return starts_in_time and ends_in_time


class Gaps:
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
                active = [c for c in closers if self.valid_of(c) is None or overlaps(self.valid_of(c), day, day + DAY)]
                sig = ([id(c[1]) for c in active], [overlaps(v, day, day + DAY) for v in dated])
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
                    if not passes(lit.pattern[2], value):
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
            except GiveUp:
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
            raise GiveUp
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
                if passes(test, value):
                    more.extend(strict_conjs if kind == "d" else possible_conjs)
        if more:
            return self.search(state, tuple(more), frozenset(done))
        self.leaves -= 1
        self.spent += 1
        if self.leaves < 0 or self.spent > TOTAL_LEAVES:
            raise GiveUp
        a.budget = LEAF_BUDGET
        try:
            ok, _, final = a._sat(state, frozenset())
        except GiveUp:
            return None  # too long to tell: not a witness
        if not ok:
            return None
        return self.example(final)

    def example(self, conj: frozenset[Lit]) -> str:
        """Answers under which a conjunction holds: its required answers, plus a value for each
        closed question it only requires not to take some values."""
        text = witness_text(conj, self.analysis.dates)
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
            fit = next((v for v in domain if all(passes(lit.pattern[2], v) != lit.negated for lit in lits)), None)
            if fit is not None:
                extra.append(f"{qid}: {fmt_value(fit)}")
        return ", ".join(p for p in [text, *extra] if p) or "any answers"


def _option_order(lit: Lit) -> tuple[int, str]:
    """Try first what constrains least: an answer not taken, then a derived fact not holding, then
    one that must hold (its rules must fire)."""
    kind = lit.pattern[0]
    rank = 0 if kind in ("a", "m", "u", "now") else 1 if lit.negated else 2
    return (rank, repr(lit.pattern))
