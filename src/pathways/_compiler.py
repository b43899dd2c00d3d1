"""Compiling a loaded rule base into engine rules, stratified and kept inside the engine's limits.

Each partition (the common router, then one per route) becomes one ruleset, so a case pays only for
the routes it can reach. Every condition is compiled twice - strict and possible (see
``_conditions``) - into disjunctive normal form; each conjunction is one engine rule. Rules are
placed in *stages*: a rule runs only after every fact it reads (positively or negated) is complete,
which makes results independent of answer order.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from ._conditions import (
    Cond,
    Lit,
    Pattern,
    TooComplex,
    derived_unknown_tested,
    dnf,
    facts_of,
    pattern_names,
    possible,
    strict,
    to_engine_value,
)
from ._errors import RuleBaseError, RuleIssue
from ._loader import CORE, RuleBase

__all__ = ["Action", "CompiledRule", "Limits", "Partition", "PatternUsage", "compile_rules", "engine_units"]


@dataclass(frozen=True)
class Limits:
    """Engine limits measured on durable-rules 2.0.28 (shared/engine/durable_rules.md), with margin."""

    rules_per_ruleset: int = 4000  # engine: 4,096 (error 106)
    rules_per_pattern: int = 240  # engine: 256 rules sharing one pattern (error 108)
    tests_per_node: int = 480  # engine: > 512 distinct tests under one node HANGS
    tests_per_fact: int = 56  # engine: a fact passing > ~63 unshared tests (error 303)
    facts_per_join: int = 15  # engine: 16 facts per join (error 304 at assert time)
    gate_bucket: int = 200  # rules per stage gate, below rules_per_pattern


@dataclass(frozen=True)
class Action:
    """What a rule does when it fires."""

    kind: str  # derive | item | ask | answer | irrelevant | pending
    mode: str  # strict | possible
    target: str  # fact rule id, item id, route id or question id
    sets: tuple[tuple[str, Any], ...] = ()  # for derive: (fact, engine value) pairs


@dataclass(frozen=True)
class CompiledRule:
    name: str
    stage: int
    bucket: int
    literals: tuple[Lit, ...]
    action: Action
    origin: tuple[str, int]  # file, line of the rule-file entry

    @property
    def gate(self) -> tuple[int, str, int]:
        """The stage gate the rule waits for: (stage, "s" strict or "p" possible, bucket)."""
        return (self.stage, _gate_mode(self.action), self.bucket)


def _gate_mode(action: Action) -> str:
    return "p" if action.mode == "possible" else "s"


@dataclass
class Partition:
    name: str
    rules: list[CompiledRule] = field(default_factory=list)
    gates: list[tuple[int, str, int]] = field(default_factory=list)  # (stage, mode, bucket)
    reads: set[str] = field(default_factory=set)  # fact names whose engine facts it needs
    own_questions: list[str] = field(default_factory=list)


def _stage_of(
    node: str,
    node_deps: dict[str, set[str]],
    owned: set[str],
    stage: dict[str, int],
    trail: frozenset[str] = frozenset(),
) -> int:
    """The stage of ``node`` in its partition: 1 + the deepest owned node it reads; inputs are stage 0
    (remembered in ``stage``)."""
    if node in stage:
        return stage[node]
    if node in trail:  # cycles were rejected by the loader
        return 0
    deps = [d for d in node_deps.get(node, ()) if d in owned or d.startswith("item:")]
    value = (
        1 + max((_stage_of(d, node_deps, owned, stage, trail | {node}) for d in deps), default=0)
        if node in node_deps
        else 0
    )
    stage[node] = value
    return value


def compile_rules(rb: RuleBase, limits: Limits = Limits()) -> dict[str, Partition]:
    """Compile every partition; raise RuleBaseError if a condition or ruleset exceeds the limits."""
    kinds = rb.kinds()
    feeders = rb.feeders()
    unknown_tested: dict[str, set[str]] = defaultdict(set)  # partition -> derived facts tested 'unknown'
    issues: list[RuleIssue] = []
    entries: dict[str, list[tuple[str, Cond | None, Action, tuple[str, int], list[Lit]]]] = defaultdict(list)

    def add(
        partition: str,
        node: str,
        cond: Cond | None,
        action: Action,
        origin: tuple[str, int],
        extra: list[Lit] | None = None,
    ) -> None:
        entries[partition].append((node, cond, action, origin, extra or []))
        if cond is not None:
            unknown_tested[partition] |= {k for k in derived_unknown_tested(cond) if kinds[k] == "derived"}

    for q in rb.questions.values():
        if q.ask_when is None:
            continue
        qid = q.model.id
        origin = (q.file, q.line)
        unanswered = [Lit(True, ("n", qid, None))]
        given = [Lit(False, ("gv", qid, None))]
        add(q.partition, qid, q.ask_when, Action("ask", "strict", qid), origin, unanswered)
        add(q.partition, qid, q.ask_when, Action("ask", "possible", qid), origin, unanswered)
        # an answer counts for certain only where its question is certainly asked, and narrows what
        # may be where it only may be asked: the engine turns the given answer ('gv') into the
        # answer facts ('a', 'm', 'u') in the question's own stage (see _engine.answer_facts)
        add(q.partition, qid, q.ask_when, Action("answer", "strict", qid), origin, given)
        add(q.partition, qid, q.ask_when, Action("answer", "possible", qid), origin, given)
        add(q.partition, qid, q.ask_when, Action("irrelevant", "strict", qid), origin, [Lit(False, ("n", qid, None))])
    for r in rb.fact_rules:
        sets = tuple((name, to_engine_value(rb.derived[name].value_type, value)) for name, value in r.model.set.items())
        extra = []
        if r.model.valid is not None:
            extra.append(Lit(False, ("now", "", _valid_test(r.model.valid))))
        for mode in ("strict", "possible"):
            add(
                r.partition,
                ",".join(r.model.set),
                r.when,
                Action("derive", mode, r.model.id, sets),
                (r.file, r.line),
                extra,
            )
    for rid, route in rb.routes.items():
        for mode in ("strict", "possible"):
            add(
                CORE,
                f"route.{rid}",
                route.when,
                Action("derive", mode, f"route.{rid}", ((f"route.{rid}", True),)),
                (route.file, route.line),
            )
    # an item's route is not part of its rules: a route's partition runs only when the route may
    # apply, and items of a route that only may apply are downgraded afterwards (see _run)
    for item in rb.items.values():
        for mode in ("strict", "possible"):
            add(
                item.route,
                f"item:{item.model.id}",
                item.when,
                Action("item", mode, item.model.id),
                (item.file, item.line),
            )
    # 'k: unknown' is definite only when no question feeding k waits to be asked: one helper rule
    # per feeding question marks k as pending
    for partition, names in list(unknown_tested.items()):
        for k in sorted(names):
            for feeder in feeders.get(k, ()):
                entries[partition].append(
                    (
                        f"pk:{k}",
                        None,
                        Action("pending", "strict", k),
                        (rb.questions[feeder].file, rb.questions[feeder].line),
                        [Lit(False, ("w", feeder, None))],
                    )
                )

    partitions: dict[str, Partition] = {}
    for name in rb.partitions:
        part = Partition(name)
        part.own_questions = [q for q, d in rb.questions.items() if d.partition == name]
        owned = {n for n in rb.symbols if rb.fact_partition(n) == name} | {
            f"pk:{k}" for k in unknown_tested.get(name, ())
        }
        # stage of each node owned here: 1 + the deepest owned node it reads; inputs are stage 0
        node_deps: dict[str, set[str]] = defaultdict(set)
        for node, cond, action, _origin, extra in entries[name]:
            reads = (facts_of(cond) if cond is not None else set()) | {
                n for lit in extra for n in pattern_names(lit.pattern)
            }
            if cond is not None:
                reads |= {f"pk:{k}" for k in derived_unknown_tested(cond) if kinds[k] == "derived"}
            if action.kind in ("ask", "answer", "irrelevant"):
                reads -= {node}
            node_deps[node] |= reads
        stage: dict[str, int] = {}

        counters: Counter[tuple[int, str]] = Counter()
        for node, cond, action, origin, extra in entries[name]:
            try:
                if cond is None:
                    conjunctions = [tuple(extra)]
                else:
                    formula = strict(cond, kinds) if action.mode == "strict" else possible(cond, kinds)
                    if action.kind == "irrelevant":
                        # the answer is not relevant when its ask_when cannot hold
                        formula = _negate_formula(possible(cond, kinds))
                    conjunctions = [tuple(c) + tuple(extra) for c in dnf(formula)]
            except TooComplex:
                issues.append(
                    RuleIssue(
                        "PW134",
                        "condition too complex: more than 64 alternatives "
                        "after expansion; move parts into derived facts",
                        origin[0],
                        origin[1],
                        1,
                    )
                )
                continue
            node_stage = _stage_of(node, node_deps, owned, stage)
            for conj in conjunctions:
                if any(Lit(not lit.negated, lit.pattern) in conj for lit in conj):
                    continue
                gate_mode = _gate_mode(action)
                bucket = counters[(node_stage, gate_mode)] // limits.gate_bucket
                counters[(node_stage, gate_mode)] += 1
                rule = CompiledRule(
                    f"r{len(part.rules)}",
                    node_stage,
                    bucket,
                    tuple(sorted(set(conj), key=lambda lit: (lit.negated, repr(lit.pattern)))),
                    action,
                    origin,
                )
                part.rules.append(rule)
                part.reads |= {n for lit in conj for n in pattern_names(lit.pattern)}
        part.reads |= set(part.own_questions)
        part.gates = sorted({r.gate for r in part.rules})
        issues.extend(check_limits(part, limits))
        partitions[name] = part
    if issues:
        # the strict and the possible form of one condition hit the same limit: report it once
        raise RuleBaseError(list(dict.fromkeys(issues)), root=rb.root)
    return partitions


UNIT_MIN_RULES = 50  # a partition is run in parts only where two independent parts have this many rules


def engine_units(part: Partition, min_rules: int = UNIT_MIN_RULES) -> list[Partition]:
    """``part`` in parts the engine can run apart: no rule of one part reads a fact another part
    derives, asks or answers, and every rule setting one fact is in one part (so each part's
    firings, and the facts it makes, are what the same rules make in the whole partition).

    An answer then re-runs only the parts that read it: the common partition holds the router
    and the cross-cutting duties, whose questions mostly touch one of them. Parts with fewer than
    ``min_rules`` rules run together; a partition without two larger parts stays whole.
    """
    if len(part.rules) < 2 * min_rules:
        return [part]
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    made_by: dict[str, list[str]] = defaultdict(list)  # fact -> the rules here that make it
    for rule in part.rules:
        action = rule.action
        made = [name for name, _ in action.sets] if action.kind == "derive" else []
        if action.kind in ("ask", "answer", "irrelevant"):
            made.append(action.target)
        elif action.kind == "pending":
            made.append("pk:" + action.target)
        for name in made:
            made_by[name].append(rule.name)
    # a rule joins the rules that make a fact it reads, and those that make the same fact; an
    # input (an answer, a fact of an earlier partition) links nothing: each part gets it
    for makers in made_by.values():
        for maker in makers[1:]:
            union(makers[0], maker)
    for rule in part.rules:
        find(rule.name)
        for lit in rule.literals:
            for name in pattern_names(lit.pattern):
                if name in made_by:
                    union(rule.name, made_by[name][0])  # its makers are one part already
    groups: dict[str, list[CompiledRule]] = defaultdict(list)
    for rule in part.rules:
        groups[find(rule.name)].append(rule)
    large = [rules for rules in groups.values() if len(rules) >= min_rules]
    if len(large) < 2:
        return [part]
    rest = [rule for rules in groups.values() if len(rules) < min_rules for rule in rules]
    order = {rule.name: index for index, rule in enumerate(part.rules)}
    units = []
    for index, rules in enumerate([*large, rest] if rest else large):
        rules.sort(key=lambda r: order[r.name])
        reads = {n for rule in rules for lit in rule.literals for n in pattern_names(lit.pattern)}
        unit = Partition(
            part.name if index == 0 else f"{part.name}#{index}",
            rules=rules,
            gates=sorted({r.gate for r in rules}),
            reads=reads & part.reads,
            own_questions=[q for q in part.own_questions if q in reads],
        )
        units.append(unit)
    return units


def _negate_formula(formula: Any) -> Any:
    if isinstance(formula, Lit):
        return Lit(not formula.negated, formula.pattern)
    op, parts = formula
    return ("or" if op == "and" else "and", tuple(_negate_formula(p) for p in parts))


def _valid_test(valid: Any) -> tuple[str, tuple[tuple[str, int], ...]]:
    ops = []
    if valid.from_ is not None:
        ops.append(("gte", to_engine_value("date", valid.from_)))
    if valid.to is not None:
        ops.append(("lte", to_engine_value("date", valid.to)))
    return ("cmp", tuple(ops))


def pattern_key(pattern: Pattern) -> str:
    return json.dumps([pattern[0], pattern[1], repr(pattern[2])])


@dataclass
class PatternUsage:
    """How a compiled ruleset uses engine patterns: what the engine's limits count."""

    fan: Counter[str] = field(default_factory=Counter)  # rules per pattern
    first: dict[str, tuple[str, int]] = field(default_factory=dict)  # pattern -> first origin
    names_per_kind: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    tests_per_fact: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    first_use: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, part: Partition) -> PatternUsage:
        usage = cls()
        for rule in part.rules:
            for lit in rule.literals:
                kind, name, test = lit.pattern
                key = pattern_key(lit.pattern)
                usage.fan[key] += 1
                usage.first.setdefault(key, rule.origin)
                usage.names_per_kind[kind].add(name)
                usage.first_use.setdefault((kind, name), rule.origin)
                if test is not None and not isinstance(test, str):
                    usage.tests_per_fact[(kind, name)].add(repr(test))
        return usage


def check_limits(part: Partition, limits: Limits) -> list[RuleIssue]:
    """Refuse a ruleset the engine would reject, crash on or hang on - before it sees it."""
    issues: list[RuleIssue] = []
    where = part.rules[0].origin if part.rules else ("rulebase.yaml", 1)
    label = "the common files" if part.name == CORE else f"route '{part.name}'"
    total = len(part.rules) + 2
    if total > limits.rules_per_ruleset:
        issues.append(
            RuleIssue(
                "PW150",
                f"{label} compiles to {total} engine rules; the engine takes "
                f"at most {limits.rules_per_ruleset} per route: split the route",
                where[0],
                where[1],
                1,
            )
        )
    for rule in part.rules:
        if len(rule.literals) + 1 > limits.facts_per_join:
            issues.append(
                RuleIssue(
                    "PW151",
                    f"a condition joins {len(rule.literals)} facts; the engine "
                    f"joins at most {limits.facts_per_join - 1}: move parts into a "
                    "derived fact",
                    rule.origin[0],
                    rule.origin[1],
                    1,
                )
            )
    usage = PatternUsage.of(part)
    fan, first, names_per_kind = usage.fan, usage.first, usage.names_per_kind
    tests_per_fact, first_use = usage.tests_per_fact, usage.first_use
    for key, count in fan.items():
        if count > limits.rules_per_pattern:
            kind, name, _ = json.loads(key)
            origin = first[key]
            issues.append(
                RuleIssue(
                    "PW152",
                    f"{count} rules in {label} test '{name}' the same way; the "
                    f"engine allows {limits.rules_per_pattern}: put the shared test into "
                    "a derived fact",
                    origin[0],
                    origin[1],
                    1,
                )
            )
    for names in names_per_kind.values():
        if len(names) > limits.tests_per_node:
            issues.append(
                RuleIssue(
                    "PW153",
                    f"{label} tests {len(names)} different facts; above "
                    f"{limits.tests_per_node} the engine hangs: split the route",
                    where[0],
                    where[1],
                    1,
                )
            )
    worst: dict[str, tuple[int, str]] = {}
    for (kind, name), tests in tests_per_fact.items():
        if len(tests) > worst.get(name, (0, ""))[0]:
            worst[name] = (len(tests), kind)
    for name, (count, kind) in worst.items():
        # point at the question (its ask rules come first) or the fact's first rule
        at = next((first_use[(k, name)] for k in ("n", "a", "d", kind) if (k, name) in first_use), where)
        if count > limits.tests_per_node:
            issues.append(
                RuleIssue(
                    "PW153",
                    f"'{name}' is tested {count} different ways in {label}; "
                    f"above {limits.tests_per_node} the engine hangs",
                    at[0],
                    at[1],
                    1,
                )
            )
        elif count > limits.tests_per_fact:
            label_name = "validity dates" if kind == "now" else f"'{name}'"
            issues.append(
                RuleIssue(
                    "PW154",
                    f"{count} different tests on {label_name} in {label}; "
                    f"the engine fails when one fact passes more than "
                    f"{limits.tests_per_fact}: group values into a derived fact",
                    at[0],
                    at[1],
                    1,
                )
            )
    return issues
