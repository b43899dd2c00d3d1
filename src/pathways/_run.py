"""Running one case through the engine: answers in, the rules that fired out.

A case runs partition by partition (common router first, then each route that may apply), each in
its own short engine session. Answers to questions whose ``ask_when`` cannot hold are not used, and
reported, never silently used.

An answer to a question whose ``ask_when`` only *may* hold (it rests on a "don't know" or a missing
answer) is *conditional*: it narrows what may be (its 'm' facts) but decides nothing for certain (no
'a' fact), so more answers never make a result more certain than the facts allow. This is decided
inside the engine, in one run: the answer to a question with an ``ask_when`` goes in as given
('gv'), and the question's own rules, staged after everything its ``ask_when`` reads, turn it into a
certain answer, a conditional one, or nothing (the answer is then reported as not used).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._answers import UNKNOWN
from ._bounded import keep
from ._compiler import Partition, compile_rules, engine_units
from ._conditions import to_engine_value
from ._engine import EncodedFact, Engine, Firing, encode, produced_facts
from ._loader import CORE, RuleBase

__all__ = ["Compiled", "Run", "compiled", "engine_facts", "new_engine", "run_case"]


@dataclass
class Compiled:
    partitions: dict[str, Partition]
    engine: Engine
    # each partition in the parts the engine runs apart (``engine_units``), by partition
    units: dict[str, list[Partition]] = field(default_factory=dict)
    # next_question() with no answers, by (as_of, lang): the same for every user of this rule base
    first_questions: dict[tuple[Any, str], Any] = field(default_factory=dict)
    # per engine unit: the questions it reads, in rule-base order, and whether each has an ask_when
    questions_read: dict[str, tuple[tuple[str, bool], ...]] = field(default_factory=dict)
    # what a non-answer rule asserts when it fires, by (id of the rule, certain), encoded once
    # (the rules live as long as this object)
    emitted: dict[tuple[int, bool], tuple[EncodedFact, ...]] = field(default_factory=dict)
    # the engine facts of an answer, by (question, answer identity), and of a question waiting (by
    # (question, pending)): encoded once; bounded (text answers are open-ended)
    answer_facts: dict[tuple[str, Any], tuple[EncodedFact, ...]] = field(default_factory=dict)
    # the facts a condition of the rule base mentions, by the condition's id (they live as long)
    mentions: dict[int, frozenset[str]] = field(default_factory=dict)


def _questions_read(rb: RuleBase, units: dict[str, list[Partition]]) -> dict[str, tuple[tuple[str, bool], ...]]:
    return {
        unit.name: tuple((q, d.ask_when is not None) for q, d in rb.questions.items() if q in unit.reads)
        for parts in units.values()
        for unit in parts
    }


def _units(partitions: dict[str, Partition]) -> dict[str, list[Partition]]:
    return {name: engine_units(part) for name, part in partitions.items()}


_DONT_KNOW_KEY = ("\x00dk",)
_PENDING_KEY = ("\x00pending",)


def _answer_key(value: Any) -> Any:
    """A hashable identity of a checked answer (its type and value: its engine facts follow)."""
    if value is UNKNOWN:
        return _DONT_KNOW_KEY
    if isinstance(value, list):
        return ("list", *map(_answer_key, value))
    return (type(value).__name__, value)


_compile_lock = threading.Lock()
ANSWER_FACTS_CACHED = 50_000  # (question, answer) entries kept before the table is emptied


def _encoded_answer(comp: Compiled, rb: RuleBase, qid: str, value: Any, ident: Any) -> tuple[EncodedFact, ...]:
    """The encoded engine facts of answer ``value`` (``UNKNOWN``, a value, or ``_PENDING_KEY``'s
    stand-in: no answer and waiting), remembered by ``(qid, ident)``."""
    table = comp.answer_facts
    found = table.get((qid, ident))
    if found is None:
        facts = pending_facts(rb, qid) if ident is _PENDING_KEY else engine_facts(rb, qid, value)
        found = keep(table, (qid, ident), tuple(map(encode, facts)), ANSWER_FACTS_CACHED)
    return found


def new_engine(
    rb: RuleBase,
    partitions: dict[str, Partition],
    sessions: str | None = None,
    units: dict[str, list[Partition]] | None = None,
) -> Engine:
    """An engine for compiled partitions of ``rb``, each run in its ``units`` (default: worked out
    here, ``engine_units``); ``sessions``: "reuse" or "fresh" (see ``Engine``)."""
    kinds = rb.kinds()
    by_name = {unit.name: unit for parts in (units or _units(partitions)).values() for unit in parts}
    return Engine(
        by_name, values=lambda q: rb.possible_values(q) if kinds.get(q) == "closed" else (), sessions=sessions
    )


def compiled(rb: RuleBase) -> Compiled:
    """The rule base compiled into the engine (once per loaded rule base)."""
    if rb._compiled is None:
        with _compile_lock:
            if rb._compiled is None:
                partitions = compile_rules(rb)
                units = _units(partitions)
                rb._compiled = Compiled(
                    partitions,
                    new_engine(rb, partitions, units=units),
                    units,
                    questions_read=_questions_read(rb, units),
                )
    return rb._compiled


@dataclass
class Run:
    """What the engine concluded for one case."""

    answers: dict[str, Any]  # the answers used (relevant ones)
    ignored: dict[str, Any]  # answers dropped as not relevant
    firings: list[Firing] = field(default_factory=list)
    partitions_run: list[str] = field(default_factory=list)
    certain: bool = False  # only strict rules ran: possible == strict
    conditional: frozenset[str] = frozenset()  # answers whose question only may be asked

    def __post_init__(self) -> None:
        self.strict: dict[str, set[str]] = defaultdict(set)  # kind -> targets
        self.possible: dict[str, set[str]] = defaultdict(set)
        self.derived: dict[str, dict[Any, list[str]]] = defaultdict(lambda: defaultdict(list))
        self.maybe_derived: dict[str, dict[Any, list[str]]] = defaultdict(lambda: defaultdict(list))
        self._by_target: dict[tuple[str, str, str], list[Firing]] | None = None
        both = ("strict", "possible")
        for firing in self.firings:
            action = firing.rule.action
            for mode in both if self.certain else (action.mode,):
                (self.strict if mode == "strict" else self.possible)[action.kind].add(action.target)
                if action.kind == "derive":
                    table = self.derived if mode == "strict" else self.maybe_derived
                    for name, value in action.sets:
                        targets = table[name][value]
                        if action.target not in targets:
                            targets.append(action.target)

    @property
    def by_target(self) -> dict[tuple[str, str, str], list[Firing]]:
        """(kind, mode, target) -> the firings, in order: built when first read (the checklist's traces)."""
        if self._by_target is None:
            by_target: dict[tuple[str, str, str], list[Firing]] = defaultdict(list)
            both = ("strict", "possible")
            for firing in self.firings:
                action = firing.rule.action
                for mode in both if self.certain else (action.mode,):
                    by_target[(action.kind, mode, action.target)].append(firing)
            self._by_target = by_target
        return self._by_target

    def route_possible(self, route: str) -> bool:
        return f"route.{route}" in self.possible["derive"]


def engine_facts(rb: RuleBase, qid: str, value: Any) -> list[dict[str, Any]]:
    """The engine facts of one answer: 'n' (answered) and

    * for a question with an ``ask_when``: 'gv', the answer as given, which the engine turns into
      answer facts only as far as the ``ask_when`` holds (``_engine.answer_facts``);
    * otherwise the answer facts: 'a' (the answer), 'm' (the values it may take: the answer itself,
      or every option of a closed question while unknown), 'u' for "don't know".
    """
    q = rb.questions[qid].model
    closed = q.type in ("yes_no", "choice", "multi")
    facts: list[dict[str, Any]] = [{"t": "n", "q": qid}]
    gated = rb.questions[qid].ask_when is not None
    if value is UNKNOWN:
        if gated:
            return facts + [{"t": "gv", "q": qid, "w": "dk"}]
        facts.append({"t": "u", "q": qid, "w": "dk"})
        if closed:
            facts += [{"t": "m", "q": qid, "v": v} for v in rb.possible_values(qid)]
        return facts
    if q.type == "multi":
        values = list(value) or ["__none__"]
    else:
        values = [to_engine_value(q.type, value)]
    if gated:
        return facts + [{"t": "gv", "q": qid, "v": v} for v in values]
    return facts + [{"t": "a", "q": qid, "v": v} for v in values] + [{"t": "m", "q": qid, "v": v} for v in values]


def pending_facts(rb: RuleBase, qid: str) -> list[dict[str, Any]]:
    """A question to be asked and not answered yet: undetermined, and waiting."""
    facts: list[dict[str, Any]] = [{"t": "u", "q": qid, "w": "pending"}, {"t": "w", "q": qid}]
    if rb.questions[qid].model.type in ("yes_no", "choice", "multi"):
        facts += [{"t": "m", "q": qid, "v": v} for v in rb.possible_values(qid)]
    return facts


def _closed_values(rb: RuleBase, qid: str) -> tuple[Any, ...]:
    return rb.possible_values(qid) if rb.questions[qid].model.type in ("yes_no", "choice", "multi") else ()


def _run_unit(
    rb: RuleBase,
    comp: Compiled,
    unit: Partition,
    certain: bool,
    day: int,
    answer_keys: dict[str, Any],
    base: Callable[[], list[EncodedFact]],
    produced: list[EncodedFact],
    now: EncodedFact,
) -> list[Firing]:
    """Run one engine unit (memo first); add the facts its firings make to ``produced``."""
    questions_read = comp.questions_read[unit.name]
    # the unit's facts, identified without building most of them: its answers (or "waiting"), the
    # facts earlier units produced that it reads, and the date
    reads = unit.reads
    from_earlier = [f for f in produced if f.fact["q"] in reads]
    key = (
        day,
        tuple(
            (q, answer_keys[q]) if q in answer_keys else (q, _PENDING_KEY)
            for q, has_ask_when in questions_read
            if q in answer_keys or not has_ask_when
        ),
        tuple(f.key for f in from_earlier),
    )

    def inputs() -> list[EncodedFact]:
        return [f for f in base() if f.fact["q"] in reads] + from_earlier + [now]

    unit_firings = comp.engine.run(unit.name, inputs, certain, key=key)
    for firing in unit_firings:
        rule = firing.rule
        action = rule.action
        if action.kind == "answer":
            produced.extend(comp.engine.answer_emits(firing))
        else:
            emitted = comp.emitted.get((id(rule), certain))
            if emitted is None:
                values = _closed_values(rb, action.target) if action.kind == "ask" else ()
                emitted = comp.emitted[(id(rule), certain)] = tuple(map(encode, produced_facts(rule, certain, values)))
            produced.extend(emitted)
    return unit_firings


def run_case(rb: RuleBase, answers: dict[str, Any], as_of: dt.date, try_certain: bool = True) -> Run:
    """Evaluate checked answers (see ``check_answers``) as of a date.

    ``try_certain``: first try the strict rules alone (right for complete answers; the planner,
    whose answers are usually incomplete, passes False to skip a pass that would be thrown away).
    """
    comp = compiled(rb)
    now = encode({"t": "now", "v": to_engine_value("date", as_of)})
    built: list[list[EncodedFact]] = []

    def base() -> list[EncodedFact]:
        """Every answer's engine facts, and those of the questions waiting: built on the first memo miss."""
        if not built:
            facts: list[EncodedFact] = []
            for qid, qdef in rb.questions.items():
                if qid in answers:
                    facts.extend(_encoded_answer(comp, rb, qid, answers[qid], answer_keys[qid]))
                elif qdef.ask_when is None:
                    facts.extend(_encoded_answer(comp, rb, qid, None, _PENDING_KEY))
            built.append(facts)
        return built[0]

    gated = [q for q in answers if rb.questions[q].ask_when is not None]
    # no unknown or missing answer in sight (no "don't know", no question without an ask_when left
    # unanswered: those are the facts that say "undetermined"): try running the strict rules only
    certain = (
        try_certain
        and not any(v is UNKNOWN for v in answers.values())
        and all(q in answers for q, d in rb.questions.items() if d.ask_when is None)
    )
    day = as_of.toordinal()
    answer_keys = {q: _answer_key(v) for q, v in answers.items()}
    while True:
        produced: list[EncodedFact] = []
        firings: list[Firing] = []
        ran: list[str] = []
        possible_routes: set[str] = set()
        for name in rb.partitions:
            if name != CORE and name not in possible_routes:
                continue
            for unit in comp.units[name]:
                unit_firings = _run_unit(rb, comp, unit, certain, day, answer_keys, base, produced, now)
                firings.extend(unit_firings)
                for firing in unit_firings:
                    action = firing.rule.action
                    if name == CORE and action.kind == "derive" and action.target.startswith("route."):
                        possible_routes.add(action.target[len("route.") :])
            ran.append(name)
        run = Run({}, {}, firings, ran, certain)
        ran_set = set(ran)
        # an answer whose question's rules ran: certain where its ask_when certainly holds,
        # conditional where it only may hold, not used where it cannot
        dropped = {
            q
            for q in gated
            if rb.questions[q].partition in ran_set
            and q not in run.possible["answer"]
            and (not certain or q in run.strict["irrelevant"])
        }
        conditional = {
            q
            for q in gated
            if rb.questions[q].partition in ran_set and q not in dropped and q not in run.strict["answer"]
        }
        if certain and (conditional or run.strict["ask"]):
            certain = False  # an answer only may count, or a question waits: undetermined after all
            continue
        run.answers = {q: v for q, v in answers.items() if q not in dropped}
        run.ignored = {q: answers[q] for q in rb.questions if q in dropped}  # rule-base order
        run.conditional = frozenset(conditional)
        # an item applies for certain only where its route does
        for iid in list(run.strict["item"]):
            if f"route.{rb.items[iid].route}" not in run.strict["derive"]:
                run.strict["item"].discard(iid)
        return run


def undecided_conditions(rb: RuleBase, run: Run) -> list[Any]:
    """Conditions that may still hold or fail: what further answers could change."""
    conds: list[Any] = []
    for kind in ("item", "derive", "ask"):
        for target in run.possible[kind] - run.strict[kind]:
            if kind == "item":
                conds.append(rb.items[target].when)
            elif kind == "ask":
                conds.append(rb.questions[target].ask_when)
            elif target.startswith("route."):
                conds.append(rb.routes[target[len("route.") :]].when)
            else:
                rule = rb.fact_rule_index[target]
                # a rule that can only set what is already certain changes nothing
                if not all(
                    _engine_value(rb, name, value) in run.derived.get(name, {})
                    for name, value in rule.model.set.items()
                ):
                    conds.append(rule.when)
    return [c for c in conds if c is not None]


def _engine_value(rb: RuleBase, name: str, value: Any) -> Any:
    return to_engine_value(rb.derived[name].value_type, value)


def needed_questions(rb: RuleBase, run: Run) -> list[str]:
    """Unanswered questions that may be asked and that some undecided condition mentions."""
    from ._conditions import facts_of

    mentioned: set[str] = set()
    cache = compiled(rb).mentions
    for cond in undecided_conditions(rb, run):
        facts = cache.get(id(cond))
        if facts is None:
            facts = cache[id(cond)] = frozenset(facts_of(cond))
        mentioned |= facts
    maybe_asked = run.possible["ask"]
    return [
        q
        for q, d in rb.questions.items()
        if q not in run.answers and q in mentioned and (d.ask_when is None or q in maybe_asked)
    ]
