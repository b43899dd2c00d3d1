"""The "raw" baseline: the same durable-rules work a call to ``evaluate()`` makes, without the wrapper.

How it is built (see bench/README.md, "What raw includes"):

1. ``RawEngine(comp)`` registers, in its own background-free Host, the very rule dicts the wrapper
   registers (``Engine._ruleset`` of each partition: same patterns, same gate joins, same
   ``open__`` and ``keeper__`` rules) with trivial actions: count the firing, assert the facts
   the wrapper's action asserted at that firing of the recorded session (step 2: prebuilt dicts
   with the wrapper's ids), ignore "already observed".
2. ``record(engine, fn)`` (also ``RawEngine.record``) runs ``fn`` (one ``evaluate()`` call) once
   with the wrapper spied on, and keeps every session it ran: the ruleset, the run mode, every
   top-level host call with its payload (the ``open`` fact, the deduplicated input batch with its
   ids, each stage gate, in order), the rules that fired, and what each firing asserted
   (``Session.emits``: per rule, one list of facts per firing of that rule in that session, in
   firing order). The facts are kept per firing, not per rule, because an ``answer`` rule asserts
   the facts of the answer it matched (``pathways._engine.answer_facts``).
3. ``RawEngine.replay(sessions)`` repeats those host calls with only the session id replaced, then
   deletes the session. A firing of rule R asserts the next recorded entry of R in the session
   being replayed: durable fires deterministically for the same inputs, so the order is the
   wrapper's. Nothing else: no ``get_state``, no fact keys, no Firing records.
   ``check`` replays once and compares, per session, the rules fired (with multiplicity) with the
   wrapper's; a firing for which the session has no recorded entry left counts as a difference.
"""

from __future__ import annotations

import copy
import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from durable import engine as durable_engine


class BareHost(durable_engine.Host):
    """A Host without the dispatcher/timer threads."""

    def _run(self) -> None:
        return None


@dataclass
class Session:
    ruleset: str                                  # engine ruleset name
    ops: list[tuple[str, Any]]                    # top-level host calls: ("fact", dict) | ("facts", [dict])
    certain: bool                                 # the wrapper's run mode for this session
    fired: int                                    # rules the wrapper saw fire (excluding open__)
    firings: list[str] = field(default_factory=list)  # their names, in firing order
    # rule name -> one list per firing of that rule in this session (in order): the facts it asserted
    emits: dict[str, list[list[dict[str, Any]]]] = field(default_factory=dict)


def record(engine: Any, fn: Callable[[], Any]) -> list[Session]:
    """Run ``fn`` once with ``engine`` (a fresh-session ``pathways._engine.Engine``) spied on;
    return the sessions it ran, as the host calls it made and what each firing asserted.

    Wrapped for the duration: ``Engine.run`` (partition, run mode, the firings), the engine
    Host's ``assert_fact``/``assert_facts`` (every top-level call with its payload: the open fact,
    the input batch with its ids, each stage gate, in order), each rule action of the wrapper's
    rulesets (which rule is firing) and ``Closure.assert_fact`` (what that firing asserts).
    ``get_state`` and ``delete_state`` are not recorded: replay deletes each session. Call
    ``engine.prepare()`` first, so that every ruleset's actions are there to be spied on.
    """
    host = engine._host
    original_run = engine.run
    original_fact, original_facts = host.assert_fact, host.assert_facts
    original_closure_assert = durable_engine.Closure.assert_fact
    calls: list[Session] = []
    state: dict[str, Any] = {"ops": None, "emits": None, "firing": None}

    def spy_run(partition: str, facts: Any, *args: Any, **kwargs: Any) -> Any:
        certain = bool(args[0] if args else kwargs.get("certain", False))
        ops: list[tuple[str, Any]] = []
        emits: dict[str, list[list[dict[str, Any]]]] = {}
        state["ops"], state["emits"] = ops, emits
        try:
            firings = original_run(partition, facts, *args, **kwargs)
        finally:
            state["ops"] = state["emits"] = None
        calls.append(Session(engine._names[partition], ops, certain, len(firings),
                             [f.rule.name for f in firings], emits))
        return firings

    def spy_fact(ruleset: str, fact: Any, *args: Any, **kwargs: Any) -> Any:
        if state["ops"] is not None:
            state["ops"].append(("fact", copy.deepcopy(fact)))
        return original_fact(ruleset, fact, *args, **kwargs)

    def spy_facts(ruleset: str, facts: Any, *args: Any, **kwargs: Any) -> Any:
        if state["ops"] is not None:
            state["ops"].append(("facts", copy.deepcopy(facts)))
        return original_facts(ruleset, facts, *args, **kwargs)

    def spy_closure_assert(c: Any, ruleset_name: Any, fact: Any = None) -> Any:
        if state["firing"] is not None and fact is None and isinstance(ruleset_name, dict):
            state["firing"].append({k: v for k, v in ruleset_name.items() if k != "sid"})
        return original_closure_assert(c, ruleset_name, fact)

    compiled_rules = {name: {rule.name for rule in part.rules} for name, part in engine.partitions.items()}
    by_ruleset = {engine._names[name]: rules for name, rules in compiled_rules.items()}
    patched: list[tuple[Any, Any]] = []
    for ruleset_name, ruleset in host._ruleset_directory.items():
        for rule_name, promise in ruleset._actions.items():
            if rule_name not in by_ruleset.get(ruleset_name, ()):
                continue                          # open__ / keeper__

            def spy_action(c: Any, _rule: str = rule_name, _func: Any = promise._func) -> Any:
                emitted: list[dict[str, Any]] = []
                if state["emits"] is not None:
                    state["emits"].setdefault(_rule, []).append(emitted)
                state["firing"] = emitted
                try:
                    return _func(c)
                finally:
                    state["firing"] = None

            patched.append((promise, promise._func))
            promise._func = spy_action

    engine.run = spy_run
    host.assert_fact, host.assert_facts = spy_fact, spy_facts
    durable_engine.Closure.assert_fact = spy_closure_assert
    try:
        fn()
    finally:
        durable_engine.Closure.assert_fact = original_closure_assert
        del engine.run  # back to the class methods
        del host.assert_fact, host.assert_facts
        for promise, func in patched:
            promise._func = func
    return calls


class RawEngine:
    """The compiled rulesets of one rule base, registered directly in durable-rules.

    ``record`` keeps, from the wrapper's own run, the sessions it runs and what each firing
    asserted; ``replay`` then does the same engine work with actions that only assert those facts.
    """

    def __init__(self, comp: Any) -> None:
        self.comp = comp
        self.fired = 0
        self.missing = 0                          # firings with no recorded entry left (check)
        self.log: list[str] | None = None         # names of the rules fired, while checking
        self._emits: dict[str, list[list[dict[str, Any]]]] = {}
        self._cursor: dict[str, Any] = {}
        self._seq = itertools.count()
        engine = comp.engine
        prepare = getattr(engine, "prepare", None)
        if prepare is not None:  # rulesets registered lazily: register all now, so record() sees them
            prepare()
        definitions: dict[str, Any] = {}
        for name, part in engine.partitions.items():  # the engine's units (a partition may run in parts)
            ruleset = engine._names[name]
            wrapped = engine._ruleset(part)           # the wrapper's own rule dicts
            compiled_rules = {rule.name for rule in part.rules}
            rules: dict[str, Any] = {}
            for rule_name, rule_def in wrapped.items():
                action = self._action(rule_name) if rule_name in compiled_rules else self._noop  # open__ / keeper__
                rules[rule_name] = {"all": copy.deepcopy(rule_def["all"]), "run": action}
            definitions[ruleset] = rules
        self.host = BareHost()
        self.host.register_rulesets(definitions)

    @staticmethod
    def _noop(c: Any) -> None:
        return None

    def _action(self, rule: str) -> Callable[[Any], None]:
        observed = durable_engine.MessageObservedException

        def run(c: Any) -> None:
            self.fired += 1
            if self.log is not None:
                self.log.append(rule)
            cursor = self._cursor.get(rule)
            if cursor is None:
                cursor = self._cursor[rule] = iter(self._emits.get(rule, ()))
            facts = next(cursor, None)
            if facts is None:                     # the wrapper's session fired this rule fewer times
                self.missing += 1
                return
            for fact in facts:
                try:
                    c.assert_fact(dict(fact))
                except observed:
                    pass

        return run

    # ---- learning from the wrapper ----

    def record(self, fn: Callable[[], Any]) -> list[Session]:
        """Run ``fn`` once; return the sessions the wrapper ran (``record`` above)."""
        return record(self.comp.engine, fn)

    # ---- the timed part ----

    def replay(self, sessions: list[Session]) -> None:
        host = self.host
        for s in sessions:
            sid = f"x{next(self._seq)}"
            self._emits = s.emits
            self._cursor = {}
            name = s.ruleset
            for kind, payload in s.ops:
                if kind == "fact":
                    payload["sid"] = sid
                    host.assert_fact(name, payload)
                else:
                    for fact in payload:
                        fact["sid"] = sid
                    host.assert_facts(name, payload)
            host.delete_state(name, sid)

    def check(self, sessions: list[Session]) -> bool:
        """Replay each session once; compare the rules it fired (with multiplicity) with the wrapper's."""
        same = True
        for s in sessions:
            self.log, missing = [], self.missing
            try:
                self.replay([s])
                fired = Counter(self.log)
            finally:
                self.log = None
            same &= self.missing == missing and fired == Counter(s.firings)
        return same
