"""The plain-Python floor: the engine work of ``evaluate()`` with no engine at all.

A plain-Python evaluator of the same compiled rules (``pathways._run.compiled(rb)``: the engine's
units, ``Engine.partitions``, and their ``CompiledRule``s) replays the sessions ``raw.py``
recorded from the wrapper (``raw.record``): per session the input facts (already deduplicated),
the stage gates in the order they were asserted, and the run mode. It fires rules the way
durable-rules does, as checked on durable 2.0.28 (bench/README.md, "What floor includes"):

* a rule fires once per combination of *distinct* facts matching its positive literals (one fact
  never matches two literals of one rule: with three facts matching both literals of a rule, it
  fires six times);
* a negated literal blocks while any fact matches it; it is checked once, when the gate makes the
  rule complete (a blocking fact derived later does not cancel it);
* a rule is eligible once its gate ``(stage, mode, bucket)`` is asserted; the facts its firings
  assert are added after every rule of that gate has fired. durable matches a derived fact at once,
  against the rules of every gate asserted so far, the current one included; the wrapper's
  stratification means no such rule reads it, and ``check`` verifies that;
* a derived fact equal to one already there (by ``pathways._engine.fact_key``, the wrapper's
  identity: durable sees the same id, "already observed") is not added again.

The facts a firing asserts are computed as the wrapper computes them (``produced_facts``, and
``answer_facts`` of the answer an answer rule matched: pure functions). Values compare with
Python's ``==``, not durable's loose equality (``'42' == 42``); ``check`` would show a session that
depended on the difference.

Each gate's rules are indexed by their first positive literal's ``(kind, name)``; at a gate only the
rules whose first literal has facts are looked at. Measured: matching, firing and deriving, with
the firings kept as rule names. Left out: everything else ``evaluate()`` does (checking answers,
building the engine facts, fact keys of the inputs, ``Firing`` records, the checklist): engine work
only, the floor under it.
"""

from __future__ import annotations

import itertools
import operator
from collections import Counter
from typing import Any, Callable, NamedTuple

from pathways._engine import answer_facts, fact_key, produced_facts

_MISSING = object()
_CMP = {"gte": operator.ge, "gt": operator.gt, "lte": operator.le, "lt": operator.lt}

Fact = dict[str, Any]
Key = tuple[str, str]                             # (kind, name): a fact's 't' and 'q'
Test = Callable[[Fact], bool] | None              # None: every fact of the key passes


def _test(pattern: tuple[str, str, Any]) -> Test:
    """The test a pattern puts on a fact of its (kind, name), as ``_engine.pattern_expression``."""
    kind, _, test = pattern
    if kind == "u":
        return (lambda f: f.get("w") == "dk") if test == "dk" else None
    if kind in ("w", "pk", "n") or test is None:
        return None
    op, payload = test
    if op == "eq":
        (value,) = payload
        return lambda f: f.get("v", _MISSING) == value
    if op == "neq":
        values = tuple(payload)
        return lambda f: "v" in f and all(f["v"] != v for v in values)
    if op == "cmp":
        checks = tuple((_CMP[name], value) for name, value in payload)
        return lambda f: "v" in f and all(cmp(f["v"], value) for cmp, value in checks)
    raise ValueError(f"unknown test {op}")


class Rule(NamedTuple):
    name: str
    positives: tuple[tuple[Key, Test], ...]
    negatives: tuple[tuple[Key, Test], ...]
    emits: tuple[tuple[str, Fact], ...]           # (fact key, fact) it asserts, not certain mode
    emits_certain: tuple[tuple[str, Fact], ...]
    answer: Any                                   # the CompiledRule of an answer rule, else None
    values: tuple[Any, ...]                       # a closed question's options (answer rules)


class Gate(NamedTuple):
    index: dict[Key, list[Rule]]                  # by the first positive literal's (kind, name)
    always: list[Rule]                            # no positive literal


class Prepared(NamedTuple):
    """A recorded session in the floor's terms (built before timing)."""

    gates: dict[tuple[int, str, int], Gate]       # the unit's rules by gate
    inputs: list[tuple[str, Fact]]                # (fact key, fact), as the wrapper asserted them
    order: list[tuple[int, str, int]]             # the gates, in the order they were asserted
    certain: bool
    firings: Counter[str]                         # the wrapper's (for check)


def _keyed(facts: list[Fact]) -> tuple[tuple[str, Fact], ...]:
    return tuple((fact_key(f), f) for f in facts)


class FloorEngine:
    """The compiled rules of one engine (``pathways._engine.Engine``) as plain-Python indexes."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.units: dict[str, dict[tuple[int, str, int], Gate]] = {}  # by engine ruleset name
        self.late_positive = 0                    # check: derived facts a rule of an asserted gate reads
        self.late_negated = 0                     # ... or negates (harmless: negation is checked once)
        self._lits: dict[str, dict[Key, list[tuple[tuple[int, str, int], Test, bool]]]] = {}
        for name, part in engine.partitions.items():
            gates: dict[tuple[int, str, int], Gate] = {}
            lits: dict[Key, list[tuple[tuple[int, str, int], Test, bool]]] = {}
            for rule in part.rules:
                gate = rule.gate
                kind = rule.action.kind
                values = engine._values(rule.action.target) if kind in ("ask", "answer") else ()
                positives, negatives = [], []
                for lit in rule.literals:
                    key = (lit.pattern[0], lit.pattern[1])
                    (negatives if lit.negated else positives).append((key, _test(lit.pattern)))
                    lits.setdefault(key, []).append((gate, _test(lit.pattern), lit.negated))
                r = Rule(rule.name, tuple(positives), tuple(negatives),
                         _keyed(produced_facts(rule, False, values)), _keyed(produced_facts(rule, True, values)),
                         rule if kind == "answer" else None, values)
                g = gates.setdefault(gate, Gate({}, []))
                if positives:
                    g.index.setdefault(positives[0][0], []).append(r)
                else:
                    g.always.append(r)
            self.units[engine._names[name]] = gates
            self._lits[engine._names[name]] = lits

    def prepare(self, sessions: list[Any]) -> list[Prepared]:
        """The recorded sessions (``raw.Session``) as the floor replays them."""
        out = []
        for s in sessions:
            inputs: list[tuple[str, Fact]] = []
            order: list[tuple[int, str, int]] = []
            for kind, payload in s.ops:
                for fact in payload if kind == "facts" else (payload,):
                    t = fact.get("t")
                    if t == "__open__":
                        continue
                    if t == "g":
                        order.append((fact["n"], fact["m"], fact["b"]))
                        continue
                    clean = {k: v for k, v in fact.items() if k not in ("sid", "id")}
                    inputs.append((fact_key(clean), clean))
            out.append(Prepared(self.units[s.ruleset], inputs, order, s.certain, Counter(s.firings)))
        return out

    # ---- the timed part ----

    def replay(self, sessions: list[Prepared]) -> list[list[str]]:
        """Run every session; the rules each fired, in order."""
        return [self._run(s) for s in sessions]

    def _run(self, s: Prepared, late: dict[Key, list[Any]] | None = None) -> list[str]:
        store: dict[Key, list[Fact]] = {}
        seen: set[str] = set()
        for key, fact in s.inputs:
            seen.add(key)
            k = (fact["t"], fact.get("q", ""))
            found = store.get(k)
            if found is None:
                store[k] = [fact]
            else:
                found.append(fact)
        fired: list[str] = []
        certain = s.certain
        asserted: set[tuple[int, str, int]] = set()
        for gate_key in s.order:
            gate = s.gates.get(gate_key)
            if gate is None:
                continue
            pending: list[tuple[str, Fact]] = []
            index = gate.index
            if len(index) <= len(store):
                for key, rules in index.items():
                    facts = store.get(key)
                    if facts:
                        for rule in rules:
                            self._fire(rule, facts, store, certain, fired, pending)
            else:
                for key, facts in store.items():
                    rules = index.get(key)
                    if rules:
                        for rule in rules:
                            self._fire(rule, facts, store, certain, fired, pending)
            for rule in gate.always:
                self._fire(rule, None, store, certain, fired, pending)
            if late is not None:
                asserted.add(gate_key)
            for key, fact in pending:
                if key in seen:
                    continue
                seen.add(key)
                k = (fact["t"], fact.get("q", ""))
                if late is not None:
                    self._late(k, fact, asserted, late)
                found = store.get(k)
                if found is None:
                    store[k] = [fact]
                else:
                    found.append(fact)
        return fired

    @staticmethod
    def _fire(rule: Rule, first: list[Fact] | None, store: dict[Key, list[Fact]], certain: bool,
              fired: list[str], pending: list[tuple[str, Fact]]) -> None:
        positives = rule.positives
        if len(positives) == 1:
            test = positives[0][1]
            combos: Any = [(f,) for f in first] if test is None else [(f,) for f in first if test(f)]
            if not combos:
                return
        else:
            candidates = []
            for i, (key, test) in enumerate(positives):
                facts = first if i == 0 else store.get(key)
                if not facts:
                    return
                if test is not None:
                    facts = [f for f in facts if test(f)]
                    if not facts:
                        return
                candidates.append(facts)
            if not candidates:
                combos = [()]                     # only negated literals: fires once
            else:
                combos = [c for c in itertools.product(*candidates) if len({id(f) for f in c}) == len(c)]
                if not combos:
                    return
        for key, test in rule.negatives:
            facts = store.get(key)
            if facts and (test is None or any(test(f) for f in facts)):
                return
        answer = rule.answer
        for combo in combos:
            fired.append(rule.name)
            if answer is not None:
                pending.extend((fact_key(f), f) for f in answer_facts(answer, combo, rule.values))
            else:
                pending.extend(rule.emits_certain if certain else rule.emits)

    def _late(self, key: Key, fact: Fact, asserted: set[tuple[int, str, int]], late: dict[Key, list[Any]]) -> None:
        """Count a derived fact that a literal of a rule of an asserted gate matches."""
        for gate, test, negated in late.get(key, ()):
            if gate in asserted and (test is None or test(fact)):
                if negated:
                    self.late_negated += 1
                else:
                    self.late_positive += 1

    # ---- the check ----

    def check(self, sessions: list[Any], prepared: list[Prepared] | None = None) -> int:
        """Replay each session once; the number of sessions whose firings (rule names, with
        multiplicity) differ from the wrapper's. Also counts ``late_positive``/``late_negated``."""
        prepared = prepared if prepared is not None else self.prepare(sessions)
        differ = 0
        for s, p in zip(sessions, prepared, strict=True):
            fired = self._run(p, self._lits[s.ruleset])
            differ += Counter(fired) != p.firings
        return differ
