"""The "raw" baseline: the same durable-rules work a call to ``evaluate()`` makes, without the wrapper.

How it is built (see bench/README.md, "What raw includes"):

1. ``RawEngine(comp)`` registers, in its own background-free Host, the very rule dicts the wrapper
   registers (``Engine._ruleset`` of each partition: same patterns, same gate joins, same
   ``open__`` and ``keeper__`` rules) with trivial actions: count the firing, assert the facts
   the wrapper's action for that rule asserts in that run mode (learned in step 2, prebuilt dicts
   with the wrapper's ids), ignore "already observed".
2. ``RawEngine.record(fn)`` runs ``fn`` (one ``evaluate()`` call) once with the wrapper spied on,
   and keeps every session it ran: the ruleset, the run mode, every top-level host call with its
   payload (the ``open`` fact, the deduplicated input batch with its ids, each stage gate, in
   order) and how many rules fired; and, per rule and mode, the facts its action asserted.
3. ``RawEngine.replay(sessions)`` repeats those host calls with only the session id replaced, then
   deletes the session. Nothing else: no ``get_state``, no fact keys, no Firing records.
   ``check`` replays once and compares the number of firings with the wrapper's.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
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


class RawEngine:
    """The compiled rulesets of one rule base, registered directly in durable-rules.

    ``record`` learns, from the wrapper's own run, which sessions it runs and which facts each of
    its rule actions asserts (per run mode); ``replay`` then does the same engine work with
    actions that only assert those facts.
    """

    def __init__(self, comp: Any) -> None:
        self.comp = comp
        self.fired = 0
        self.certain = False
        self._seq = itertools.count()
        # (ruleset, rule) -> {certain: [facts with ids]}, filled by record()
        self.emits: dict[tuple[str, str], dict[bool, list[dict[str, Any]]]] = {}
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
                if rule_name in compiled_rules:
                    table = self.emits.setdefault((ruleset, rule_name), {})
                    action = self._action(table)
                else:                                 # open__ / keeper__
                    action = self._noop
                rules[rule_name] = {"all": copy.deepcopy(rule_def["all"]), "run": action}
            definitions[ruleset] = rules
        self.host = BareHost()
        self.host.register_rulesets(definitions)

    @staticmethod
    def _noop(c: Any) -> None:
        return None

    def _action(self, table: dict[bool, list[dict[str, Any]]]) -> Callable[[Any], None]:
        observed = durable_engine.MessageObservedException

        def run(c: Any) -> None:
            self.fired += 1
            for fact in table.get(self.certain, ()):
                try:
                    c.assert_fact(dict(fact))
                except observed:
                    pass

        return run

    # ---- learning from the wrapper ----

    def record(self, fn: Callable[[], Any]) -> list[Session]:
        """Run ``fn`` once; return the sessions the wrapper ran, as the host calls it made.

        Wrapped for the duration: ``Engine.run`` (partition, run mode, number of firings), the
        engine Host's ``assert_fact``/``assert_facts`` (every top-level call with its payload: the
        open fact, the input batch with its ids, each stage gate, in order), each rule action of the
        wrapper's rulesets (which rule is firing) and ``Closure.assert_fact`` (what that action
        asserts). ``get_state`` and ``delete_state`` are not recorded: replay deletes each session.
        """
        engine = self.comp.engine
        host = engine._host
        original_run = engine.run
        original_fact, original_facts = host.assert_fact, host.assert_facts
        original_closure_assert = durable_engine.Closure.assert_fact
        calls: list[Session] = []
        state: dict[str, Any] = {"ops": None, "certain": False, "rule": None}

        def spy_run(partition: str, facts: Any, *args: Any, **kwargs: Any) -> Any:
            certain = bool(args[0] if args else kwargs.get("certain", False))
            ops: list[tuple[str, Any]] = []
            state["ops"], state["certain"] = ops, certain
            try:
                firings = original_run(partition, facts, *args, **kwargs)
            finally:
                state["ops"] = None
            calls.append(Session(engine._names[partition], ops, certain, len(firings)))
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
            if state["rule"] is not None and fact is None and isinstance(ruleset_name, dict):
                emitted = {k: v for k, v in ruleset_name.items() if k != "sid"}
                table = self.emits.setdefault(state["rule"], {}).setdefault(state["certain"], [])
                if emitted not in table:
                    table.append(emitted)
            return original_closure_assert(c, ruleset_name, fact)

        patched: list[tuple[Any, Any]] = []
        for ruleset_name, ruleset in host._ruleset_directory.items():
            for rule_name, promise in ruleset._actions.items():
                if (ruleset_name, rule_name) not in self.emits:
                    continue

                def spy_action(c: Any, _key: tuple[str, str] = (ruleset_name, rule_name),
                               _func: Any = promise._func) -> Any:
                    state["rule"] = _key
                    try:
                        return _func(c)
                    finally:
                        state["rule"] = None

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

    # ---- the timed part ----

    def replay(self, sessions: list[Session]) -> None:
        host = self.host
        for s in sessions:
            sid = f"x{next(self._seq)}"
            self.certain = s.certain
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
        """Replay once and compare the number of rules fired with what the wrapper saw."""
        before = self.fired
        self.replay(sessions)
        return self.fired - before == sum(s.fired for s in sessions)
