"""Building the checklist (an ``Outcome``) from what the engine concluded for a case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

from ._answers import UNKNOWN
from ._bounded import keep
from ._conditions import And, Atom, Cond, Not, Or, facts_of, from_engine_date
from ._engine import Firing
from ._loader import ItemDef, RuleBase
from ._models import STAGES, SourceRef, Text
from ._outcome import (
    AnswerGiven,
    AnswerUsed,
    AuthorityRef,
    Conflict,
    DerivedFact,
    IgnoredAnswer,
    ItemResult,
    ItemStatus,
    Lang,
    OpenQuestion,
    Outcome,
    RouteResult,
    RuleBaseRef,
    SourceCitation,
    TimeLimitOut,
    Timeline,
    TimelineStep,
    Trace,
    TraceFact,
    outcome_labels,
)
from ._run import Run, needed_questions
from ._texts import DONT_KNOW, time_limit_text

__all__ = ["build_outcome", "cite", "condition_text", "display_value", "item_status", "route_results", "rulebase_ref"]


def rulebase_ref(rb: RuleBase) -> RuleBaseRef:
    return RuleBaseRef(id=rb.id, version=rb.version, hash=rb.content_hash)


def _cache(rb: RuleBase, name: str) -> dict[Any, Any]:
    """A cache kept on the loaded rule base: what depends only on it (and the language) is built once."""
    caches: dict[str, dict[Any, Any]] | None = rb.__dict__.get("_checklist_caches")
    if caches is None:
        caches = rb.__dict__.setdefault("_checklist_caches", {})
    found = caches.get(name)
    return found if found is not None else caches.setdefault(name, {})


def cite(rb: RuleBase, refs: list[SourceRef], lang: str) -> list[SourceCitation]:
    """Citations of ``refs``; immutable, so built once per rule base and language."""
    cache: dict[tuple[str, str | None, str], SourceCitation] = _cache(rb, "citations")
    out = []
    for ref in refs:
        key = (ref.id, ref.article, lang)
        citation = cache.get(key)
        if citation is None:
            source = rb.sources[ref.id]
            publisher = None
            if source.url is not None and source.kind == "secondary":
                named = source.publisher or _host_publisher(rb, source.url)
                publisher = named.get(lang) if named else None
            citation = cache[key] = SourceCitation(
                id=source.id,
                title=source.title.get(lang),
                number=source.number,
                article=ref.article,
                url=source.url,
                link_kind=source.kind if source.url else None,
                publisher=publisher,
                effective=source.effective,
                checked=source.checked,
                unconfirmed=source.status == "unconfirmed",
            )
        out.append(citation)
    return out


def _host_publisher(rb: RuleBase, url: str) -> Text | None:
    policy = rb.manifest.sources_policy
    entry = policy.secondary(policy.host_of(url))
    return entry.publisher if entry else None


def display_value(rb: RuleBase, name: str, value: Any, lang: str) -> Any:
    """An engine value as the user would read it (option labels, dates, yes/no)."""
    if value is UNKNOWN:
        return DONT_KNOW[lang]
    qdef = rb.questions.get(name)
    if qdef is not None:
        q = qdef.model
        if q.type in ("choice", "multi"):
            labels = _labels(rb, name, lang)
            if isinstance(value, list):  # in option order, whatever order they were given in
                rank = {v: i for i, v in enumerate(labels)}
                return [labels.get(v, v) for v in sorted(value, key=lambda v: rank.get(v, len(rank)))]
            return labels.get(value, value)
        if q.type == "date" and isinstance(value, int):
            return from_engine_date(value)
        if isinstance(value, dt.date):
            return value.isoformat()
    return value


def _labels(rb: RuleBase, qid: str, lang: str) -> dict[Any, str]:
    """A choice question's option labels by value, in option order (once per rule base and language)."""
    cache: dict[tuple[str, str], dict[Any, str]] = _cache(rb, "labels")
    labels = cache.get((qid, lang))
    if labels is None:
        labels = cache[(qid, lang)] = {o.value: o.label.get(lang) for o in rb.questions[qid].model.options or ()}
    return labels


def condition_text(cond: Cond | None, lang: str = "en") -> str:
    """A condition as one readable line (ids, not labels: it is for explaining rules)."""
    if cond is None:
        return "always" if lang == "en" else "总是"
    if isinstance(cond, Atom):
        values = ", ".join(_fmt(v, cond.date) for v in cond.values) if cond.test != "cmp" else ""
        if cond.test == "eq":
            return f"{cond.fact} = {values}" if len(cond.values) == 1 else f"{cond.fact} in [{values}]"
        if cond.test == "neq":
            return f"{cond.fact} ≠ {values}" if len(cond.values) == 1 else f"{cond.fact} not in [{values}]"
        if cond.test == "has":
            return (
                f"{cond.fact} includes {values}" if len(cond.values) == 1 else f"{cond.fact} includes any of [{values}]"
            )
        if cond.test == "cmp":
            signs = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<"}
            return " and ".join(f"{cond.fact} {signs[op]} {_fmt(v, cond.date)}" for op, v in cond.values)
        return f"{cond.fact} is {cond.test}"
    if isinstance(cond, Not):
        return f"not ({condition_text(cond.part, lang)})"
    joiner = " and " if isinstance(cond, And) else " or "
    return joiner.join(
        f"({condition_text(p, lang)})" if isinstance(p, (And, Or)) else condition_text(p, lang) for p in cond.parts
    )


def _fmt(value: Any, date: bool = False) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if date and isinstance(value, int):
        return from_engine_date(value)
    return str(value)


class _Walk:
    """The answers, derived facts and open questions one trace rests on, found by walking the facts
    its firings matched and, for a derived fact, the firings that derived it.

    An object, not a recursive closure: a nested function that calls itself is a reference cycle,
    and it kept the run, the builder and the items alive until the garbage collector found them."""

    def __init__(self, builder: _Builder) -> None:
        self.b = builder
        self.answers: dict[str, Any] = {}
        self.facts: dict[tuple[str, Any, str], TraceFact] = {}
        self.undetermined: set[str] = set()
        self.if_values: dict[str, list[Any]] = {}
        self.seen_rules: set[tuple[str, str]] = set()

    def visit(self, matched: tuple[dict[str, Any], ...]) -> None:
        run = self.b.run
        for fact in matched:
            kind: Any = fact.get("t")  # engine facts: untyped JSON
            name: Any = fact.get("q")
            if kind == "a":
                value = run.answers.get(name)
                self.answers[name] = value
            elif kind in ("u", "m"):
                given = run.answers.get(name)
                if kind == "m" and given is not None and given is not UNKNOWN:
                    self.answers[name] = given  # a possible value that is the real answer
                    if name in run.conditional:
                        self.undetermined.update(self.b.opening(name))
                    continue
                if given is UNKNOWN:
                    self.answers[name] = UNKNOWN
                    if name in run.conditional:
                        self.undetermined.update(self.b.opening(name))
                if kind == "m":  # the item applies if the open question takes this value
                    values = self.if_values.setdefault(name, [])
                    if fact.get("v") not in values:
                        values.append(fact.get("v"))
                self.undetermined.add(name)
            elif kind in ("d", "p"):
                self.derived(name, fact.get("v"), "strict" if kind == "d" else "possible")

    def derived(self, name: str, value: Any, mode: str) -> None:
        """A derived fact the trace rests on: the rules that derived it, and what they matched."""
        if name.startswith("route."):
            return  # every item of a route needs its route: not news in a trace
        b = self.b
        run = b.run
        if mode == "possible" and value in run.derived.get(name, {}):
            # certain already: the ways it might also have been derived decide nothing
            mode = "strict"
        for target in (run.derived if mode == "strict" else run.maybe_derived)[name].get(value, []):
            if (target, mode) in self.seen_rules:
                continue
            self.seen_rules.add((target, mode))
            shared = (name, type(value).__name__, value, target)  # one model per outcome
            fact = b._trace_facts.get(shared)
            if fact is None:
                parts = b._rule_parts(target)
                fact = b._trace_facts[shared] = TraceFact.built(
                    fact=name,
                    value=value,
                    rule=target,
                    sources=list(parts["sources"]),
                    **{k: v for k, v in parts.items() if k != "sources"},
                )
            self.facts[(name, value, target)] = fact
            for firing in run.by_target[("derive", mode, target)]:
                self.visit(firing.matched)


class _Builder:
    def __init__(self, rb: RuleBase, run: Run, lang: str) -> None:
        self.rb = rb
        self.run = run
        self.lang = lang
        self.rule_defs = rb.fact_rule_index
        self._needed: set[str] | None = None
        # the parts of one outcome that many of its items' traces share: built once per outcome
        self._trace_facts: dict[tuple[str, str, Any, str], TraceFact] = {}
        self._answers_used: dict[tuple[str, str, Any, bool], AnswerUsed] = {}

    def trace(self, item: ItemDef, firings: list[Firing], condition: str) -> Trace:
        walk = _Walk(self)
        for firing in firings:
            walk.visit(firing.matched)
        answers, facts, undetermined, if_values = walk.answers, walk.facts, walk.undetermined, walk.if_values
        lang = self.lang
        open_ids = sorted(undetermined, key=self._qorder)
        return Trace.built(
            rule=item.model.id,
            file=item.file,
            line=item.line,
            condition=condition,
            answers=[self.answer_used(q, v) for q, v in sorted(answers.items(), key=lambda kv: self._qorder(kv[0]))],
            facts=sorted(facts.values(), key=lambda f: (f.fact, str(f.value), f.rule)),
            undetermined_by=open_ids,
            open_questions=[
                OpenQuestion.built(
                    question=q,
                    text=self.question_text(q),
                    if_values=[display_value(self.rb, q, v, lang) for v in if_values.get(q, ()) if v != "__none__"],
                )
                for q in open_ids
            ],
        )

    def answer_used(self, qid: str, value: Any) -> AnswerUsed:
        """An answer in a trace: one model per answer and outcome where the answer is one value (a
        multi answer, a list, gets its own model each time: its shown value is a list too)."""
        conditional = qid in self.run.conditional
        key = None if isinstance(value, list) else (qid, type(value).__name__, value, conditional)
        found = self._answers_used.get(key) if key is not None else None
        if found is None:
            found = AnswerUsed.built(
                question=qid,
                text=self.question_text(qid),
                value=display_value(self.rb, qid, value, self.lang),
                conditional=conditional,
            )
            if key is not None:
                self._answers_used[key] = found
        return found

    def question_text(self, qid: str) -> str:
        return self.rb.questions[qid].model.text.get(self.lang)

    def opening(self, qid: str) -> set[str]:
        """The open questions that leave a conditional answer's ``ask_when`` undecided."""
        found: set[str] = set()
        todo = [qid]
        seen = {qid}
        feeders = _feeders(self.rb)
        while todo:
            cond = self.rb.questions[todo.pop()].ask_when
            names = facts_of(cond) if cond is not None else set()
            for name in names:
                for q in (name,) if name in self.rb.questions else feeders.get(name, ()):
                    if q in seen:
                        continue
                    seen.add(q)
                    given = self.run.answers.get(q)
                    if q in self.run.conditional:
                        todo.append(q)
                    elif given is UNKNOWN or (q not in self.run.answers and q in self.needed):
                        found.add(q)
        return found

    @property
    def needed(self) -> set[str]:
        if self._needed is None:
            self._needed = set(needed_questions(self.rb, self.run))
        return self._needed

    def _rule_parts(self, target: str) -> dict[str, Any]:
        """A fact rule's trace entry parts that do not depend on the case (once per rule base and language)."""
        cache: dict[tuple[str, str], dict[str, Any]] = _cache(self.rb, "rule_parts")
        parts = cache.get((target, self.lang))
        if parts is None:
            rule = self.rule_defs[target]
            parts = cache[(target, self.lang)] = {
                "explain": rule.model.explain.get(self.lang) if rule.model.explain else None,
                "file": rule.file,
                "line": rule.line,
                "unconfirmed": rule.model.status == "unconfirmed",
                "sources": tuple(cite(self.rb, rule.model.sources, self.lang)),
            }
        return parts

    def _item_parts(self, item: ItemDef) -> dict[str, Any]:
        """An item's checklist parts that do not depend on the case (once per rule base and language).

        The models in it are frozen and shared; its sequences are tuples, copied into each result."""
        cache: dict[tuple[str, str], dict[str, Any]] = _cache(self.rb, "item_parts")
        lang = self.lang
        parts = cache.get((item.model.id, lang))
        if parts is not None:
            return parts
        m = item.model
        time_limit = None
        if m.time_limit is not None:
            tl = m.time_limit
            common: dict[str, Any] = {
                "of": tl.of.get(lang),
                "statutory": tl.statutory,
                "note": tl.note.get(lang) if tl.note else None,
            }
            if tl.range is not None:
                time_limit = TimeLimitOut.built(
                    days=None, min=tl.range.min, max=tl.range.max, unit=tl.range.unit, **common
                )
            elif tl.working_days is not None:
                time_limit = TimeLimitOut.built(days=tl.working_days, min=None, max=None, unit="working_days", **common)
            else:
                time_limit = TimeLimitOut.built(
                    days=tl.calendar_days, min=None, max=None, unit="calendar_days", **common
                )
        authority = None
        if m.authority:
            a = self.rb.authorities[m.authority]
            authority = AuthorityRef.built(id=a.id, name=a.name.get(lang))
        parts = cache[(m.id, lang)] = {
            "id": m.id,
            "route": item.route,
            "stage": m.stage,
            "title": m.title.get(lang),
            "detail": m.detail.get(lang) if m.detail else None,
            "authority": authority,
            "documents": tuple(d.get(lang) for d in m.documents),
            "time_limit": time_limit,
            "sources": tuple(cite(self.rb, m.sources, lang)),
            "valid_from": m.valid.from_ if m.valid else None,
            "valid_to": m.valid.to if m.valid else None,
            "condition": condition_text(item.when, lang),  # the trace's
        }
        # the result's fields taken as they are (the sequences are copied into each result)
        parts["fields"] = {k: v for k, v in parts.items() if k not in ("condition", "documents", "sources")}
        return parts

    def _qorder(self, qid: str) -> int:
        return self.rb.question_rank.get(qid, 10**6)

    def item(self, item: ItemDef, certain: bool, present: set[str]) -> ItemResult:
        m = item.model
        mode = "strict" if certain else "possible"
        firings = self.run.by_target[("item", mode, m.id)]
        parts = self._item_parts(item)
        trace = self.trace(item, firings, parts["condition"])
        # an item resting on an unconfirmed rule is only as sure as that rule
        unconfirmed = m.status == "unconfirmed" or any(f.unconfirmed for f in trace.facts)
        kind = m.kind or "obligation"
        return ItemResult.built(
            **parts["fields"],
            documents=list(parts["documents"]),
            sources=list(parts["sources"]),
            kind=kind,
            status=item_status(kind, certain, unconfirmed),
            applies="yes" if certain else "maybe",
            confirmed=not unconfirmed,
            after=[a for a in m.after if a in present],
            trace=trace,
        )


def item_status(kind: str, certain: bool, unconfirmed: bool) -> ItemStatus:
    """Only an obligation is ever 'required': an option is one the company may take up, guidance
    is for information."""
    if kind == "option":
        return "eligible" if certain else "possibly_eligible"
    if kind == "guidance":
        return "for_information"
    if not certain:
        return "to_determine"
    return "to_be_verified" if unconfirmed else "required"


def _order(rb: RuleBase, chosen: list[str]) -> list[str]:
    """Route order, then stage, then a topological order of ``after`` (stable by file order)."""
    present = set(chosen)
    route_rank = rb.route_rank
    file_rank = rb.item_rank

    def key(iid: str) -> tuple[int, int, int]:
        it = rb.items[iid]
        return (route_rank[it.route], STAGES.index(it.model.stage), file_rank[iid])

    waiting = {iid: {d for d in rb.items[iid].model.after if d in present} for iid in chosen}
    done: list[str] = []
    placed: set[str] = set()
    pending = sorted(chosen, key=key)
    while pending:
        ready = (
            next(iid for iid in pending if waiting[iid] <= placed)
            if any(waiting[iid] <= placed for iid in pending)
            else pending[0]
        )
        done.append(ready)
        placed.add(ready)
        pending.remove(ready)
    return done


def _statutory_days(item: ItemResult) -> int:
    """The statutory working days of an item's time limit; 0 for anything else."""
    tl = item.time_limit
    if tl is None or not tl.statutory or tl.unit != "working_days" or tl.days is None:
        return 0
    return tl.days


def _timeline(items: list[ItemResult], lang: str) -> Timeline:
    """Statutory working days along the longest ``after`` chain of the obligations that apply;
    what may add time (steps to determine, options) and typical durations are listed, never summed."""
    duties = {it.id: it for it in items if it.kind == "obligation" and it.applies == "yes"}
    best: dict[str, tuple[int, list[str]]] = {}
    total, path = max((_longest(i, duties, best) for i in duties), default=(0, []), key=lambda t: t[0])
    path = [i for i in path if _statutory_days(duties[i])]

    def step(it: ItemResult) -> TimelineStep:
        assert it.time_limit is not None
        return TimelineStep.built(item=it.id, title=it.title, status=it.status, time_limit=it.time_limit)

    typical = [step(it) for it in duties.values() if it.time_limit and not _statutory_days(it)]
    longest_step = max(typical, key=lambda s: _rough_days(s.time_limit), default=None)
    may_add = [step(it) for it in items if it.time_limit and it.id not in duties and it.kind != "guidance"]
    if lang == "zh":
        note = (
            "法定时限仅计算主管部门的工作日；申请人准备和补正资料、检验检测、专家评审、现场检查等时间"
            "通常不计入法定时限。关键路径只计入根据答案必须办理的事项；待确定事项和可选项目单列，不计入合计。"
        )
        lines = [f"{s.title}：{time_limit_text(s.time_limit, lang)}" for s in typical] + [
            f"{s.title}（{'待确定' if s.status == 'to_determine' else '可选'}，可能增加时间）："
            f"{time_limit_text(s.time_limit, lang)}"
            for s in may_add
        ]
    else:
        note = (
            "Statutory limits count the authorities' working days only; time the applicant spends preparing "
            "or supplementing documents, and testing, expert review and on-site inspection, are usually "
            "not counted against statutory clocks. The critical path counts only the obligations that "
            "apply on these answers; steps still to determine and options are listed apart and not added."
        )
        lines = [f"{s.title}: {time_limit_text(s.time_limit, lang)}" for s in typical] + [
            f"{s.title} ({'to determine' if s.status == 'to_determine' else 'optional'}, may add time): "
            f"{time_limit_text(s.time_limit, lang)}"
            for s in may_add
        ]
    if longest_step is not None and _rough_days(longest_step.time_limit) <= total * 1.4:
        longest_step = None  # the statutory path is longer: no step says more about the whole
    return Timeline.built(
        critical_path=path,
        statutory_working_days=total,
        note=note,
        typical=typical,
        longest_typical=longest_step,
        may_add=may_add,
        other_limits=lines,
    )


def _longest(iid: str, duties: dict[str, ItemResult], best: dict[str, tuple[int, list[str]]]) -> tuple[int, list[str]]:
    """The statutory working days along the longest ``after`` chain of duties ending at ``iid``, and
    that chain (remembered in ``best``)."""
    if iid not in best:
        it = duties[iid]
        prev = max((_longest(d, duties, best) for d in it.after if d in duties), default=(0, []), key=lambda t: t[0])
        best[iid] = (prev[0] + _statutory_days(it), prev[1] + [iid])
    return best[iid]


def _rough_days(tl: TimeLimitOut) -> float:
    """Calendar days, roughly, to compare durations of different units (the upper end of a range)."""
    per = {"working_days": 1.4, "calendar_days": 1, "weeks": 7, "months": 30.4, "years": 365}[tl.unit]
    return (tl.days if tl.days is not None else tl.max or 0) * per


def route_results(rb: RuleBase, run: Run, lang: Lang, items: Callable[[str], int]) -> list[RouteResult]:
    """The routes that apply ("yes") or may apply ("maybe"), in rule-base order, with ``items(route)``."""
    routes = []
    for rid, route in rb.routes.items():
        applies: Literal["yes", "maybe"]
        if f"route.{rid}" in run.strict["derive"]:
            applies = "yes"
        elif f"route.{rid}" in run.possible["derive"]:
            applies = "maybe"
        else:
            continue
        routes.append(
            RouteResult.built(
                id=rid,
                title=route.model.title.get(lang),
                summary=route.model.summary.get(lang) if route.model.summary else None,
                applies=applies,
                items=items(rid),
            )
        )
    return routes


def build_outcome(rb: RuleBase, run: Run, as_of: dt.date, lang: Lang) -> Outcome:
    b = _Builder(rb, run, lang)
    certain = run.strict["item"]
    maybe = run.possible["item"] - certain
    in_force: list[str] = []
    upcoming: list[str] = []
    for iid in sorted(certain | maybe, key=rb.item_rank.__getitem__):  # in file order
        valid = rb.items[iid].model.valid
        if valid is None or valid.holds_on(as_of):
            in_force.append(iid)
        elif valid.from_ is not None and valid.from_ > as_of:
            upcoming.append(iid)
    present = set(in_force)
    items = [b.item(rb.items[iid], iid in certain, present) for iid in _order(rb, in_force)]
    upcoming_items = [b.item(rb.items[iid], iid in certain, present | set(upcoming)) for iid in _order(rb, upcoming)]
    # a route's items: those on the checklist (certain or to be determined)
    routes = route_results(rb, run, lang, lambda rid: sum(1 for i in items if i.route == rid))
    facts = []
    conflicts = []
    for name in rb.derived:
        if name.startswith("route.") or (name not in run.derived and name not in run.maybe_derived):
            continue
        certain_values = run.derived.get(name) or {}
        maybe_values = run.maybe_derived.get(name) or {}
        if certain_values:
            rules = [r for v in certain_values.values() for r in v]
            facts.append(DerivedFact.built(fact=name, values=list(certain_values), certain=True, rules=rules))
            if len(certain_values) > 1:
                conflicts.append(Conflict.built(fact=name, values=list(certain_values), rules=rules))
        elif maybe_values:
            facts.append(
                DerivedFact.built(
                    fact=name,
                    values=list(maybe_values),
                    certain=False,
                    rules=[r for v in maybe_values.values() for r in v],
                )
            )
    ignored = [
        IgnoredAnswer.built(
            question=q,
            value=display_value(rb, q, v, lang),
            reason="其提问条件不成立" if lang == "zh" else "its ask_when does not hold for this case",
        )
        for q, v in run.ignored.items()
    ]
    read_by_run = _read_by(rb, run.partitions_run)
    for q, v in run.answers.items():
        if q not in read_by_run:
            reason = "所属路径不适用" if lang == "zh" else "its route does not apply to this case"
            ignored.append(IgnoredAnswer.built(question=q, value=display_value(rb, q, v, lang), reason=reason))
    unanswered = sorted(b.needed, key=b._qorder)
    not_used = {a.question for a in ignored}
    given = {**run.answers, **run.ignored}
    answers = [
        AnswerGiven.built(
            question=q,
            text=b.question_text(q),
            value=display_value(rb, q, given[q], lang),
            unknown=given[q] is UNKNOWN,
            used=q not in not_used,
        )
        for q in rb.questions
        if q in given
    ]
    return Outcome.built(
        rulebase=rulebase_ref(rb),
        as_of=as_of,
        lang=lang,
        routes=routes,
        items=items,
        upcoming=upcoming_items,
        facts=facts,
        conflicts=conflicts,
        timeline=_timeline(items, lang),
        ignored_answers=ignored,
        unanswered=unanswered,
        unanswered_questions=[OpenQuestion.built(question=q, text=b.question_text(q)) for q in unanswered],
        complete=not any(i.status == "to_determine" for i in items) and not unanswered,
        answers=answers,
        labels=outcome_labels(lang),
    )


def _feeders(rb: RuleBase) -> dict[str, tuple[str, ...]]:
    """``rb.feeders()``, worked out once per loaded rule base."""
    cached = rb.__dict__.get("_feeders")
    if cached is None:
        cached = rb.__dict__["_feeders"] = rb.feeders()
    return cached


READ_BY_REMEMBERED = 4096  # sets of partitions run: one per set of routes reached, few, but not bounded by the rules


def _read_by(rb: RuleBase, partitions_run: list[str]) -> frozenset[str]:
    """The facts the partitions that ran read (once per rule base and set of partitions)."""
    cache: dict[tuple[str, ...], frozenset[str]] = _cache(rb, "read_by")
    key = tuple(partitions_run)
    found = cache.get(key)
    if found is None:
        from ._run import compiled

        parts = compiled(rb).partitions
        read = frozenset().union(*(parts[name].reads for name in partitions_run if name in parts))
        found = keep(cache, key, read, READ_BY_REMEMBERED)
    return found
