"""The condition language: parsing and type-checking conditions, and their three-valued expansion.

A condition is data (see docs/rule-language.md). ``parse_condition`` turns it into a small tree and
checks every test against what the fact can take. ``strict`` and ``possible`` expand a tree into
formulas over engine *patterns*:

* strict(c)   - c is definitely true given the answers so far;
* possible(c) - c may be true once "don't know" and not-yet-answered questions are resolved.

``not`` swaps the two (strict(not c) = not possible(c)), which is how "undetermined" propagates
without any evaluator of our own: the engine decides both, and an item is "to determine" when only
its possible form holds. ``dnf`` flattens a formula into the conjunctions the engine's rules take.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Literal, Union

from ._errors import RuleIssue, suggest
from ._models import MAX_NUMBER
from ._yaml import LocDict, LocList

__all__ = [
    "Atom",
    "Cond",
    "FactInfo",
    "Lit",
    "MAX_DISJUNCTS",
    "Pattern",
    "dnf",
    "facts_of",
    "from_engine_date",
    "parse_condition",
    "possible",
    "strict",
    "to_engine_value",
]

MAX_DISJUNCTS = 64
COMPARISONS = ("gte", "gt", "lte", "lt")


@dataclass(frozen=True)
class FactInfo:
    """What a name in a condition refers to and which values it can take."""

    name: str
    kind: Literal["question", "derived"]
    value_type: str  # yes_no | choice | multi | number | date | text | bool | str
    values: tuple[Any, ...] | None = None  # the closed set of values, or None if open
    unknown_allowed: bool = False


# ---- the parsed tree ------------------------------------------------------------------------


@dataclass(frozen=True)
class Atom:
    fact: str
    test: str  # eq | neq | cmp | has | known | unknown
    values: tuple[Any, ...] = ()  # engine values; for cmp: ((op, value), ...)
    date: bool = False  # the fact is a date: its engine values are YYYYMMDD numbers (see from_engine_date)


@dataclass(frozen=True)
class And:
    parts: tuple[Cond, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Cond, ...]


@dataclass(frozen=True)
class Not:
    part: Cond


Cond = Union[Atom, And, Or, Not]


def to_engine_value(value_type: str, value: Any) -> Any:
    """The one representation a value has inside the engine (its equality is loosely typed)."""
    if value_type == "date":
        if isinstance(value, dt.date):
            return value.year * 10000 + value.month * 100 + value.day
        raise TypeError("not a date")
    return value


def from_engine_date(value: int) -> str:
    """A date's engine value (YYYYMMDD) as the date it stands for, YYYY-MM-DD."""
    return f"{value // 10000:04d}-{value // 100 % 100:02d}-{value % 100:02d}"


class _Parser:
    def __init__(self, symbols: dict[str, FactInfo], filename: str, issues: list[RuleIssue]):
        self.symbols = symbols
        self.filename = filename
        self.issues = issues

    def error(self, code: str, message: str, pos: tuple[int, int], suggestion: str | None = None) -> None:
        self.issues.append(RuleIssue(code, message, self.filename, pos[0], pos[1], suggestion))

    def parse(self, data: Any, pos: tuple[int, int]) -> Cond | None:
        if isinstance(data, dict):
            if not data:
                self.error("PW130", "an empty condition; write the facts it tests", pos)
                return None
            parts: list[Cond] = []
            for key, value in data.items():
                kpos = data.key_pos.get(key, pos) if isinstance(data, LocDict) else pos
                vpos = data.value_pos.get(key, pos) if isinstance(data, LocDict) else pos
                part = self.parse_entry(str(key), value, kpos, vpos)
                if part is not None:
                    parts.append(part)
            if len(parts) != len(data):
                return None
            return parts[0] if len(parts) == 1 else And(tuple(parts))
        self.error(
            "PW130", f"a condition must be a mapping such as {{product_kind: device}}, not {_describe(data)}", pos
        )
        return None

    def parse_list(self, key: str, value: Any, pos: tuple[int, int]) -> list[Cond] | None:
        if not isinstance(value, list) or not value:
            self.error("PW130", f"'{key}' takes a non-empty list of conditions", pos)
            return None
        parts = []
        for index, entry in enumerate(value):
            epos = value.item_pos[index] if isinstance(value, LocList) else pos
            part = self.parse(entry, epos)
            if part is None:
                return None
            parts.append(part)
        return parts

    def parse_entry(self, key: str, value: Any, kpos: tuple[int, int], vpos: tuple[int, int]) -> Cond | None:
        if key == "all":
            parts = self.parse_list(key, value, vpos)
            return None if parts is None else (parts[0] if len(parts) == 1 else And(tuple(parts)))
        if key == "any":
            parts = self.parse_list(key, value, vpos)
            return None if parts is None else (parts[0] if len(parts) == 1 else Or(tuple(parts)))
        if key == "not":
            part = self.parse(value, vpos)
            return None if part is None else Not(part)
        info = self.symbols.get(key)
        if info is None:
            self.error(
                "PW120",
                f"unknown fact or question '{key}'",
                kpos,
                suggest(key, list(self.symbols) + ["all", "any", "not"]),
            )
            return None
        return self.parse_test(info, value, vpos)

    # ---- tests on one fact ----

    def parse_test(self, info: FactInfo, value: Any, pos: tuple[int, int]) -> Atom | None:
        if value == "known" or value == "unknown":
            if value == "unknown" and info.kind == "question" and not info.unknown_allowed:
                self.error(
                    "PW131",
                    f"'{info.name}' does not allow the answer \"don't know\" "
                    "(add 'unknown: allowed' to the question), so it is never unknown",
                    pos,
                )
                return None
            return Atom(info.name, value)
        if isinstance(value, dict):
            return self.parse_operator(info, value, pos)
        if info.value_type == "multi":
            self.error("PW133", f"'{info.name}' is a multi-choice question: test it with {{has: value}}", pos)
            return None
        if isinstance(value, list):
            if not value:
                self.error("PW130", "an empty list of values never matches", pos)
                return None
            values = self.values(info, value, pos)
            return None if values is None else Atom(info.name, "eq", values, _is_date(info))
        values = self.values(info, [value], pos)
        return None if values is None else Atom(info.name, "eq", values, _is_date(info))

    def parse_operator(self, info: FactInfo, value: dict[str, Any], pos: tuple[int, int]) -> Atom | None:
        keys = set(value)
        if keys <= set(COMPARISONS):
            if info.value_type not in ("number", "date"):
                self.error(
                    "PW133",
                    f"'{info.name}' is {_type_name(info)}: only numbers and dates can be compared with gte/gt/lte/lt",
                    pos,
                )
                return None
            ops = []
            for op in COMPARISONS:
                if op in value:
                    checked = self.values(info, [value[op]], pos)
                    if checked is None:
                        return None
                    ops.append((op, checked[0]))
            return Atom(info.name, "cmp", tuple(ops), _is_date(info))
        if keys == {"not"}:
            if info.value_type == "multi":
                self.error(
                    "PW133",
                    f"'{info.name}' is multi-choice: write not: {{{info.name}: "
                    "{has: value}} instead of {not: value}",
                    pos,
                )
                return None
            raw = value["not"]
            values = self.values(info, raw if isinstance(raw, list) else [raw], pos)
            return None if values is None else Atom(info.name, "neq", values, _is_date(info))
        if keys == {"has"}:
            if info.value_type != "multi":
                self.error("PW133", f"'has' tests a multi-choice question; '{info.name}' is {_type_name(info)}", pos)
                return None
            raw = value["has"]
            values = self.values(info, raw if isinstance(raw, list) else [raw], pos)
            return None if values is None else Atom(info.name, "has", values)
        unknown = sorted(keys - set(COMPARISONS) - {"not", "has"})
        self.error(
            "PW130",
            f"unknown test '{unknown[0] if unknown else sorted(keys)[0]}' on "
            f"'{info.name}'; expected one of not, has, gte, gt, lte, lt",
            pos,
            suggest(unknown[0], ["not", "has", *COMPARISONS]) if unknown else None,
        )
        return None

    def values(self, info: FactInfo, raw: list[Any], pos: tuple[int, int]) -> tuple[Any, ...] | None:
        out = []
        for item in raw:
            checked = self.value(info, item, pos)
            if checked is _BAD:
                return None
            out.append(checked)
        return tuple(dict.fromkeys(out))

    def value(self, info: FactInfo, item: Any, pos: tuple[int, int]) -> Any:
        vt = info.value_type
        if vt == "yes_no" or vt == "bool":
            if isinstance(item, bool):
                return item
            self.error("PW132", f"'{info.name}' is yes/no: test it with true or false, not {_describe(item)}", pos)
            return _BAD
        if vt == "number":
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                if not math.isfinite(item) or abs(item) > MAX_NUMBER:
                    self.error(
                        "PW132",
                        f"'{info.name}' is a number: compare it with a finite number of at "
                        f"most {MAX_NUMBER:.0e} in size (as answers are), not {item}",
                        pos,
                    )
                    return _BAD
                return item
            self.error("PW132", f"'{info.name}' is a number: cannot compare it with {_describe(item)}", pos)
            return _BAD
        if vt == "date":
            if isinstance(item, dt.date) and not isinstance(item, dt.datetime):
                return to_engine_value("date", item)
            self.error("PW132", f"'{info.name}' is a date: expected YYYY-MM-DD, got {_describe(item)}", pos)
            return _BAD
        if vt in ("choice", "multi", "str"):
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                self.error("PW132", f"'{info.name}' takes text values, not {_describe(item)}", pos)
                return _BAD
            text = str(item)
            if info.values is not None and text not in info.values:
                what = "an option of" if info.kind == "question" else "a value set for"
                self.error(
                    "PW131",
                    f"'{text}' is not {what} '{info.name}'; it can be: " + ", ".join(map(str, info.values)),
                    pos,
                    suggest(text, map(str, info.values)),
                )
                return _BAD
            return text
        if vt == "text":
            if isinstance(item, str):
                return item
            self.error("PW132", f"'{info.name}' is free text: compare it with text, not {_describe(item)}", pos)
            return _BAD
        if info.values is not None and item not in info.values:  # derived numbers
            self.error(
                "PW131",
                f"{item!r} is not a value set for '{info.name}'; it can be: " + ", ".join(map(str, info.values)),
                pos,
            )
            return _BAD
        return item


_BAD = object()


def _is_date(info: FactInfo) -> bool:
    return info.value_type == "date"


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the yes/no value {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "an empty value" if value is None else type(value).__name__


def _type_name(info: FactInfo) -> str:
    return {
        "yes_no": "a yes/no question",
        "choice": "a single-choice question",
        "multi": "a multi-choice question",
        "number": "a number",
        "date": "a date",
        "text": "free text",
        "bool": "a yes/no fact",
        "str": "a fact with text values",
    }.get(info.value_type, info.value_type)


def parse_condition(
    data: Any, pos: tuple[int, int], symbols: dict[str, FactInfo], filename: str, issues: list[RuleIssue]
) -> Cond | None:
    """Parse and type-check one condition; problems go to ``issues`` and give None."""
    return _Parser(symbols, filename, issues).parse(data, pos)


def facts_of(cond: Cond) -> set[str]:
    if isinstance(cond, Atom):
        return {cond.fact}
    if isinstance(cond, Not):
        return facts_of(cond.part)
    return set().union(*(facts_of(p) for p in cond.parts))


def negated_facts_of(cond: Cond, negated: bool = False) -> set[str]:
    """Facts that appear under a negation (for reporting negation through a cycle)."""
    if isinstance(cond, Atom):
        return {cond.fact} if negated or cond.test in ("unknown",) else set()
    if isinstance(cond, Not):
        return negated_facts_of(cond.part, not negated)
    return set().union(*(negated_facts_of(p, negated) for p in cond.parts))


# ---- three-valued expansion ----------------------------------------------------------------

# A pattern matches one engine fact. Patterns are plain conjunctions of tests - never '$or' - so
# that the engine shares their nodes: a fact may pass at most ~63 unshared tests (error 303).
#   ("a", q, test)   an answer to question q whose value passes test (None: any value)
#   ("m", q, test)   question q may take a passing value: its answer (also an answer that is only
#                    conditional, see _run), or, for a closed question, every option while it is
#                    unknown or not yet answered
#   ("n", q, None)   question q has been answered (a value or "don't know")
#   ("gv", q, None)  the answer given to q, a question with an ask_when: the engine makes it an
#                    answer ('a'/'m'/'u') only as far as the ask_when holds
#   ("u", q, w)      question q is undetermined: w = "dk" (answered don't know) or None (dk or pending)
#   ("d", k, test)   derived fact k definitely holds a passing value
#   ("p", k, test)   derived fact k may hold a passing value
#   ("pk", k, None)  a question feeding derived fact k is still waiting to be asked
#   ("now", "", test) the evaluation date passes test
# A test is ("eq", (value,)) | ("neq", values) | ("cmp", ((op, value), ...)) | None.
Pattern = tuple[str, str, Any]


@dataclass(frozen=True)
class Lit:
    negated: bool
    pattern: Pattern


Formula = Union[Lit, tuple[str, tuple["Formula", ...]]]  # ("and"|"or", parts)


def _alternatives(kind: str, name: str, atom: Atom) -> Formula:
    """One literal per accepted value: a value list becomes alternatives, not an '$or' test."""
    if atom.test in ("eq", "has"):
        lits = tuple(Lit(False, (kind, name, ("eq", (v,)))) for v in atom.values)
        return lits[0] if len(lits) == 1 else ("or", lits)
    if atom.test == "neq":
        return Lit(False, (kind, name, ("neq", atom.values)))
    if atom.test == "cmp":
        return Lit(False, (kind, name, ("cmp", atom.values)))
    return Lit(False, (kind, name, None))  # known


def _atom(atom: Atom, kinds: dict[str, str], mode: str) -> Formula:
    kind = kinds[atom.fact]
    name = atom.fact
    if atom.test == "unknown":
        if kind != "derived":
            return Lit(False, ("u", name, "dk" if mode == "strict" else None))
        # a derived fact is unknown when it may hold a value but holds none for certain; that is
        # definite only once no question feeding it is still waiting to be asked
        parts: tuple[Formula, ...] = (Lit(False, ("p", name, None)), Lit(True, ("d", name, None)))
        if mode == "strict":
            parts += (Lit(True, ("pk", name, None)),)
        return ("and", parts)
    if kind == "derived":
        return _alternatives("d" if mode == "strict" else "p", name, atom)
    if mode == "strict":
        return _alternatives("a", name, atom)
    if kind == "closed":
        return _alternatives("m", name, atom)
    # an open-domain question (number, date, text) may take any value while undetermined
    return ("or", (_alternatives("m", name, atom), Lit(False, ("u", name, None))))


def derived_unknown_tested(cond: Cond) -> set[str]:
    """Facts tested with ``unknown`` (they need the 'waiting to be asked' helper)."""
    if isinstance(cond, Atom):
        return {cond.fact} if cond.test == "unknown" else set()
    if isinstance(cond, Not):
        return derived_unknown_tested(cond.part)
    return set().union(*(derived_unknown_tested(p) for p in cond.parts))


def _negate(formula: Formula) -> Formula:
    if isinstance(formula, Lit):
        return Lit(not formula.negated, formula.pattern)
    op, parts = formula
    return ("or" if op == "and" else "and", tuple(_negate(p) for p in parts))


def _expand(cond: Cond, kinds: dict[str, str], mode: str) -> Formula:
    if isinstance(cond, Atom):
        return _atom(cond, kinds, mode)
    if isinstance(cond, Not):
        return _negate(_expand(cond.part, kinds, "possible" if mode == "strict" else "strict"))
    op = "and" if isinstance(cond, And) else "or"
    return (op, tuple(_expand(p, kinds, mode) for p in cond.parts))


def strict(cond: Cond, kinds: dict[str, str]) -> Formula:
    """Definitely true. ``kinds`` maps names to closed | open (questions) or derived."""
    return _expand(cond, kinds, "strict")


def possible(cond: Cond, kinds: dict[str, str]) -> Formula:
    """May become true once open answers are given."""
    return _expand(cond, kinds, "possible")


class TooComplex(Exception):
    pass


def dnf(formula: Formula, limit: int = MAX_DISJUNCTS) -> list[tuple[Lit, ...]]:
    """Disjunctive normal form: a list of conjunctions of literals, contradictions dropped."""
    conjunctions = _dnf(formula, limit)
    out: list[tuple[Lit, ...]] = []
    seen: set[frozenset[Lit]] = set()
    for conj in conjunctions:
        if any(Lit(not lit.negated, lit.pattern) in conj for lit in conj):
            continue
        if conj in seen:
            continue
        seen.add(conj)
        out.append(tuple(sorted(conj, key=_lit_key)))
    # drop conjunctions that contain another one (they can only fire together with it)
    minimal = [c for c in out if not any(set(o) < set(c) for o in out)]
    return minimal


def _dnf(formula: Formula, limit: int) -> list[frozenset[Lit]]:
    if isinstance(formula, Lit):
        return [frozenset([formula])]
    op, parts = formula
    if op == "or":
        result: list[frozenset[Lit]] = []
        for part in parts:
            result.extend(_dnf(part, limit))
            if len(result) > limit:
                raise TooComplex
        return result
    result = [frozenset()]
    for part in parts:
        sub = _dnf(part, limit)
        result = [a | b for a in result for b in sub]
        if len(result) > limit:
            raise TooComplex
    return result


def _lit_key(lit: Lit) -> tuple[Any, ...]:
    return (lit.negated, repr(lit.pattern))


def pattern_names(pattern: Pattern) -> tuple[str, ...]:
    """The facts or questions whose engine facts a pattern reads."""
    if pattern[0] == "now":
        return ()
    if pattern[0] == "pk":
        return ("pk:" + pattern[1],)
    return (pattern[1],)
