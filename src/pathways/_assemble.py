"""Cross-references: from the validated rule files to the checked definitions of a rule base.

In order, each step appending the issues it finds to one list:

1. **claim** every valid entry under its id (a duplicate id is an error);
2. **symbols**: the questions, the derived facts with their value types, the route flags;
3. **conditions**: every ``when`` and ``ask_when`` parsed against the symbols, giving the
   ``*Def`` definitions;
4. **references**: sources, authorities and the items named in ``after`` and ``replaces``;
5. **graphs**: no fact depends on itself, no items wait for each other in a cycle, and the
   partitions (the common one, then the routes) are ordered so each runs after those it reads.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from pydantic import BaseModel

from ._conditions import Cond, FactInfo, facts_of, negated_facts_of, parse_condition
from ._errors import RuleIssue, suggest
from ._graphs import cycles, layered_order
from ._models import MAX_NUMBER, Authority, FactRule, Item, Question, Route, Source, SourceRef
from ._validate import CheckedFile, FailedSet
from ._yaml import position

__all__ = ["CORE", "Assembled", "FactRuleDef", "ItemDef", "QuestionDef", "RouteDef", "assemble"]

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


M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Entry(Generic[M]):
    """A valid entry claimed under its id, its conditions not yet parsed."""

    model: M
    file: str
    raw: Any  # the entry as read (a LocDict): where its keys stand
    line: int
    partition: str  # CORE or a route's id; for an item, the route it names


class Assignment(NamedTuple):
    """A value a fact rule sets a derived fact to, and where."""

    value: Any
    file: str
    pos: tuple[int, int]


@dataclass
class Assembled:
    """The checked definitions: a rule base's content (valid only when no issue was found).

    ``RuleBase`` extends it with where the content came from (root, manifest, hash)."""

    questions: dict[str, QuestionDef]
    fact_rules: list[FactRuleDef]
    derived: dict[str, FactInfo]
    routes: dict[str, RouteDef]
    items: dict[str, ItemDef]
    authorities: dict[str, Authority]
    sources: dict[str, Source]
    symbols: dict[str, FactInfo]
    partitions: list[str]  # evaluation order: CORE first, then routes by dependency
    partition_needs: dict[str, set[str]]


def assemble(files: list[CheckedFile], failed_sets: list[FailedSet], issues: list[RuleIssue]) -> Assembled:
    """Cross-file checks over the entries that passed validation, appending to ``issues``.

    ``failed_sets``: the facts set by fact rules that failed validation (they still exist for
    the conditions that test them).
    """
    return _Assembler(failed_sets, issues).run(files)


def _out_of_range(value: Any) -> bool:
    """A number too large (or not finite) for a derived fact's value."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and not (math.isfinite(value) and abs(value) <= MAX_NUMBER)
    )


class _Assembler:
    def __init__(self, failed_sets: list[FailedSet], issues: list[RuleIssue]) -> None:
        self.failed_sets = failed_sets
        self.issues = issues
        self.authorities: dict[str, Authority] = {}
        self.sources: dict[str, Source] = {}
        self.questions: dict[str, Entry[Question]] = {}
        self.routes: dict[str, Entry[Route]] = {}
        self.fact_rules: list[Entry[FactRule]] = []
        self.items: dict[str, Entry[Item]] = {}
        self.first_seen: dict[str, tuple[str, int]] = {}  # "kind:id" -> file and line of its first definition
        self.parent_at: dict[str, tuple[str, tuple[int, int]]] = {}  # authority -> where its parent is named

    def error(
        self, code: str, message: str, filename: str, pos: tuple[int, int], suggestion: str | None = None
    ) -> None:
        self.issues.append(RuleIssue(code, message, filename, pos[0], pos[1], suggestion))

    def run(self, files: list[CheckedFile]) -> Assembled:
        for checked in files:
            self.claim_file(checked)
        symbols = self.question_symbols()
        derived = self.derived_facts()
        derived_partition = self.derived_partitions()
        for route_id in self.routes:
            derived[f"route.{route_id}"] = FactInfo(f"route.{route_id}", "derived", "bool", (True, False))
        symbols.update(derived)
        questions = self.question_defs(symbols)
        routes = self.route_defs(symbols)
        fact_rules = self.fact_rule_defs(symbols)
        items = self.item_defs(symbols)
        self.check_references()
        self.check_fact_graph(questions, fact_rules, routes)
        self.check_after_graph()
        needs = self.partition_needs(questions, fact_rules, routes, items, derived_partition)
        partitions = self.order_partitions(routes, needs)
        return Assembled(
            questions=questions,
            fact_rules=fact_rules,
            derived=derived,
            routes=routes,
            items=items,
            authorities=self.authorities,
            sources=self.sources,
            symbols=symbols,
            partitions=partitions,
            partition_needs=needs,
        )

    # ---- 1. claim ----

    def claim(self, kind: str, ident: str, filename: str, pos: tuple[int, int]) -> bool:
        """Whether ``ident`` is the first of its kind (else a PW125)."""
        key = f"{kind}:{ident}"
        if key in self.first_seen:
            first_file, first_line = self.first_seen[key]
            self.error(
                "PW125", f"duplicate {kind} id '{ident}' (first defined at {first_file}:{first_line})", filename, pos
            )
            return False
        self.first_seen[key] = (filename, pos[0])
        return True

    def claim_file(self, checked: CheckedFile) -> None:
        filename, data, model = checked
        partition = model.route.id if model.route else CORE
        if model.route:
            if self.claim("route", model.route.id, filename, position(data, ("route", "id"))):
                raw = data["route"]
                self.routes[model.route.id] = Entry(model.route, filename, raw, raw.line, model.route.id)
        for i, a in enumerate(model.authorities):
            if self.claim("authority", a.id, filename, position(data, ("authorities", i, "id"))):
                self.authorities[a.id] = a
                self.parent_at[a.id] = (filename, position(data, ("authorities", i, "parent")))
        for i, s in enumerate(model.sources):
            if self.claim("source", s.id, filename, position(data, ("sources", i, "id"))):
                self.sources[s.id] = s
        for i, q in enumerate(model.questions):
            pos = position(data, ("questions", i, "id"))
            if self.claim("question", q.id, filename, pos):
                self.questions[q.id] = Entry(q, filename, data["questions"][i], pos[0], partition)
        for i, r in enumerate(model.facts):
            pos = position(data, ("facts", i, "id"))
            if self.claim("fact rule", r.id, filename, pos):
                self.fact_rules.append(Entry(r, filename, data["facts"][i], pos[0], partition))
        for i, it in enumerate(model.items):
            pos = position(data, ("items", i, "id"))
            if it.route and model.route and it.route != model.route.id:
                self.error(
                    "PW124",
                    f"item '{it.id}' names route '{it.route}' but sits in the "
                    f"file of route '{model.route.id}'; move it or drop 'route'",
                    filename,
                    position(data, ("items", i, "route")),
                )
            if self.claim("item", it.id, filename, pos):
                self.items[it.id] = Entry(it, filename, data["items"][i], pos[0], it.route or partition)

    # ---- 2. symbols ----

    def question_symbols(self) -> dict[str, FactInfo]:
        symbols: dict[str, FactInfo] = {}
        for qid, entry in self.questions.items():
            q = entry.model
            symbols[qid] = FactInfo(
                qid,
                "question",
                q.type,
                q.option_values if q.type in ("choice", "multi") else ((True, False) if q.type == "yes_no" else None),
                q.unknown == "allowed",
            )
        return symbols

    def assignments(self) -> dict[str, list[Assignment]]:
        """Every value each derived fact is set to, valid fact rules first (numbers out of range: PW132)."""
        out: dict[str, list[Assignment]] = defaultdict(list)
        for rule in self.fact_rules:
            for name, value in rule.model.set.items():
                if _out_of_range(value):
                    self.error(
                        "PW132",
                        f"fact rule '{rule.model.id}' sets '{name}' to {value}: a number must be finite "
                        f"and at most {MAX_NUMBER:.0e} in size",
                        rule.file,
                        position(rule.raw, ("set", name)),
                    )
                    continue
                out[name].append(Assignment(value, rule.file, position(rule.raw, ("set", name))))
        for failed in self.failed_sets:
            if not _out_of_range(failed.value):
                out[failed.name].append(Assignment(failed.value, failed.file, failed.pos))
        return out

    def derived_facts(self) -> dict[str, FactInfo]:
        """Each derived fact with its value type (one type per fact) and its values."""
        derived: dict[str, FactInfo] = {}
        for name, entries in self.assignments().items():
            first = entries[0]
            if name in self.questions:
                self.error(
                    "PW125", f"'{name}' is a question; a derived fact cannot share its id", first.file, first.pos
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
                    first.file,
                    first.pos,
                )
                continue
            values = tuple(dict.fromkeys(v for v, *_ in entries))
            vt = types.pop()
            if vt == "bool":
                values = (True, False)
            derived[name] = FactInfo(name, "derived", vt, values)
        return derived

    def derived_partitions(self) -> dict[str, str]:
        """derived fact -> the partition of the rules that set it (one only: else PW126)."""
        derived_partition: dict[str, str] = {}
        for rule in self.fact_rules:
            for name in rule.model.set:
                first = derived_partition.setdefault(name, rule.partition)
                if first != rule.partition:
                    self.error(
                        "PW126",
                        f"derived fact '{name}' is set in two places ({first} and {rule.partition}); "
                        "set it in one file",
                        rule.file,
                        position(rule.raw, ("set", name)),
                    )
        return derived_partition

    # ---- 3. conditions ----

    def condition(self, entry: Entry[Any], key: str, value: Any, symbols: dict[str, FactInfo]) -> Cond | None:
        return parse_condition(value, position(entry.raw, (key,)), symbols, entry.file, self.issues)

    def question_defs(self, symbols: dict[str, FactInfo]) -> dict[str, QuestionDef]:
        out: dict[str, QuestionDef] = {}
        for qid, entry in self.questions.items():
            ask_when = entry.model.ask_when
            cond = None if ask_when is None else self.condition(entry, "ask_when", ask_when, symbols)
            out[qid] = QuestionDef(entry.model, entry.file, entry.line, entry.partition, cond)
        return out

    def route_defs(self, symbols: dict[str, FactInfo]) -> dict[str, RouteDef]:
        out: dict[str, RouteDef] = {}
        for rid, entry in self.routes.items():
            cond = self.condition(entry, "when", entry.model.when, symbols)
            if cond is not None:
                out[rid] = RouteDef(entry.model, entry.file, entry.line, cond)
        return out

    def fact_rule_defs(self, symbols: dict[str, FactInfo]) -> list[FactRuleDef]:
        out: list[FactRuleDef] = []
        for entry in self.fact_rules:
            cond = self.condition(entry, "when", entry.model.when, symbols)
            if cond is not None:
                out.append(FactRuleDef(entry.model, entry.file, entry.line, entry.partition, cond))
        return out

    def item_defs(self, symbols: dict[str, FactInfo]) -> dict[str, ItemDef]:
        out: dict[str, ItemDef] = {}
        for iid, entry in self.items.items():
            route_id = entry.partition
            if route_id not in self.routes:
                self.error(
                    "PW124",
                    f"item '{iid}' names unknown route '{route_id}'",
                    entry.file,
                    position(entry.raw, ("route",)),
                    suggest(route_id, self.routes),
                )
                continue
            cond = None
            if entry.model.when is not None:
                cond = self.condition(entry, "when", entry.model.when, symbols)
                if cond is None:
                    continue
            out[iid] = ItemDef(entry.model, route_id, entry.file, entry.line, cond)
        return out

    # ---- 4. references ----

    def check_sources(self, entry: Entry[Any], refs: list[SourceRef]) -> None:
        for i, ref in enumerate(refs):
            if ref.id not in self.sources:
                self.error(
                    "PW121",
                    f"unknown source '{ref.id}'",
                    entry.file,
                    position(entry.raw, ("sources", i)),
                    suggest(ref.id, self.sources),
                )

    def check_references(self) -> None:
        for question in self.questions.values():
            self.check_sources(question, question.model.sources)
        for rule in self.fact_rules:
            self.check_sources(rule, rule.model.sources)
        for route in self.routes.values():
            self.check_sources(route, route.model.sources)
        for a in self.authorities.values():
            if a.parent and a.parent not in self.authorities:
                self.error(
                    "PW122",
                    f"authority '{a.id}' names unknown parent '{a.parent}'",
                    *self.parent_at[a.id],
                    suggest(a.parent, self.authorities),
                )
        for iid, item in self.items.items():
            self.check_item_references(iid, item)

    def check_item_references(self, iid: str, item: Entry[Item]) -> None:
        it, filename, raw = item.model, item.file, item.raw
        self.check_sources(item, it.sources)
        if it.authority and it.authority not in self.authorities:
            self.error(
                "PW122",
                f"unknown authority '{it.authority}'",
                filename,
                position(raw, ("authority",)),
                suggest(it.authority, self.authorities),
            )
        for i, dep in enumerate(it.after):
            if dep not in self.items:
                self.error(
                    "PW123",
                    f"item '{iid}' comes after unknown item '{dep}'",
                    filename,
                    position(raw, ("after", i)),
                    suggest(dep, self.items),
                )
            elif dep == iid:
                self.error("PW142", f"item '{iid}' cannot come after itself", filename, position(raw, ("after", i)))
        for i, old_id in enumerate(it.replaces):
            if old_id not in self.items:
                self.error(
                    "PW123",
                    f"item '{iid}' replaces unknown item '{old_id}'",
                    filename,
                    position(raw, ("replaces", i)),
                    suggest(old_id, self.items),
                )
            elif old_id == iid:
                self.error("PW123", f"item '{iid}' cannot replace itself", filename, position(raw, ("replaces", i)))

    # ---- 5. graphs ----

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
        for cycle in cycles(deps):
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

    def check_after_graph(self) -> None:
        items = self.items
        deps = {iid: {d for d in item.model.after if d in items and d != iid} for iid, item in items.items()}
        for cycle in cycles(deps):
            first = items[cycle[0]]
            self.error(
                "PW142",
                "items wait for each other in a cycle: " + " -> ".join(cycle + [cycle[0]]),
                first.file,
                (first.line, 1),
            )

    def partition_needs(
        self,
        questions: dict[str, QuestionDef],
        facts: list[FactRuleDef],
        routes: dict[str, RouteDef],
        items: dict[str, ItemDef],
        derived_partition: dict[str, str],
    ) -> dict[str, set[str]]:
        """partition -> the partitions whose facts it reads (common entries read only common facts: PW127)."""

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
        return needs

    def order_partitions(self, routes: dict[str, RouteDef], needs: dict[str, set[str]]) -> list[str]:
        """The partitions in evaluation order: the common one, then each route after those it reads
        (routes that read each other in a cycle: PW128)."""
        for cycle in cycles({k: v - {CORE} for k, v in needs.items() if k != CORE}):
            route = routes[cycle[0]]
            self.error(
                "PW128",
                "routes read each other's facts in a cycle: " + " -> ".join(cycle + [cycle[0]]),
                route.file,
                (route.line, 1),
            )
        return layered_order(CORE, routes, needs)
