"""The public operations: evaluate a case, choose the next question, explain an item."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ._answers import CORE_LIMITS, AnswerLimits, check_answers
from ._checklist import build_outcome, cite, condition_text, display_value, route_results, rulebase_ref
from ._conditions import facts_of
from ._dates import parse_date
from ._errors import AnswerIssue, AnswersError
from ._loader import RuleBase
from ._outcome import (
    ItemStatus,
    Lang,
    NextQuestion,
    OptionOut,
    Outcome,
    Progress,
    QuestionOut,
    Trace,
)
from ._run import Run, compiled, needed_questions, run_case
from ._texts import value_text

__all__ = ["Explanation", "evaluate", "evaluate_run", "explain", "next_question", "question_out"]

LANGS: tuple[Lang, ...] = ("zh", "en")


def _lang(lang: str) -> Lang:
    for known in LANGS:
        if lang == known:
            return known
    raise AnswersError([AnswerIssue("PA208", f"unsupported language {lang!r}; use zh or en", "lang")])


def _day(as_of: object) -> dt.date:
    """``as_of`` checked (a date, never a timestamp or a number), or today."""
    if as_of is None:
        return dt.date.today()
    try:
        return parse_date(as_of)
    except ValueError as exc:
        raise AnswersError([AnswerIssue("PA202", str(exc), "as_of")]) from None


def evaluate(
    rule_base: RuleBase,
    answers: Mapping[str, Any],
    as_of: dt.date | None = None,
    lang: str = "en",
    *,
    limits: AnswerLimits = CORE_LIMITS,
) -> Outcome:
    """The checklist for ``answers`` as the rule base stood on ``as_of`` (default: today).

    A pure function of its inputs: the same rule base, answers, date and language give a
    byte-identical JSON document. Raises AnswersError for invalid answers (``limits``: how many
    answers and how long a text a caller accepts, the core's own by default).
    """
    lang = _lang(lang)
    day = _day(as_of)
    return evaluate_run(rule_base, check_answers(rule_base, answers, limits), day, lang)[1]


def evaluate_run(rule_base: RuleBase, checked: dict[str, Any], day: dt.date, lang: Lang) -> tuple[Run, Outcome]:
    """``evaluate`` on answers already checked (``check_answers``), keeping the engine's run: for
    ``explain`` and the scenario runner, which must not check or evaluate twice."""
    run = run_case(rule_base, checked, day)
    return run, build_outcome(rule_base, run, day, lang)


def question_out(rule_base: RuleBase, qid: str, lang: str) -> QuestionOut:
    """Question ``qid`` as ``next_question`` shows it (texts in ``lang``): for asking it out of turn."""
    q = rule_base.questions[qid].model
    return QuestionOut(
        id=q.id,
        text=q.text.get(lang),
        type=q.type,
        help=q.help.get(lang) if q.help else None,
        options=[
            OptionOut(value=o.value, label=o.label.get(lang), help=o.help.get(lang) if o.help else None)
            for o in q.options or ()
        ],
        unknown_allowed=q.unknown == "allowed",
        unit=q.unit.get(lang) if q.unit else None,
        min=q.min,
        max=q.max,
        sources=cite(rule_base, q.sources, lang),
    )


def next_question(
    rule_base: RuleBase,
    answers: Mapping[str, Any],
    lang: str = "en",
    as_of: dt.date | None = None,
    *,
    limits: AnswerLimits = CORE_LIMITS,
) -> NextQuestion:
    """The next question to ask, and progress.

    A question is asked while its answer can still change the outcome: its ``ask_when`` may hold
    (not only certainly holds: after a "don't know", the questions that decide the other branches
    are asked too) and some undecided route, item, fact or ``ask_when`` mentions it. Questions
    that certainly apply come first. The interview ends when no unasked question can change the
    checklist. Answers that are no longer relevant are listed in ``progress.ignored``. ``limits``:
    as for ``evaluate``.
    """
    lang = _lang(lang)
    day = _day(as_of)
    if not answers:
        comp = compiled(rule_base)
        if comp.engine.sessions != "fresh":  # "fresh": the plain path, nothing remembered
            first = comp.first_questions.get((day, lang))
            if first is None:
                first = _next_question(rule_base, {}, lang, day)
                if len(comp.first_questions) >= 64:  # bounded: a server sees few dates
                    comp.first_questions.clear()
                comp.first_questions[(day, lang)] = first
            return first.model_copy(deep=True)  # callers may change theirs
    return _next_question(rule_base, answers, lang, day, limits)


def _next_question(
    rule_base: RuleBase, answers: Mapping[str, Any], lang: Lang, day: dt.date, limits: AnswerLimits = CORE_LIMITS
) -> NextQuestion:
    checked = check_answers(rule_base, answers, limits)
    run = run_case(rule_base, checked, day, try_certain=False)
    needed = needed_questions(rule_base, run)
    # stable: questions certainly asked first, each group in rule-base order
    ordered = sorted(needed, key=lambda q: rule_base.questions[q].ask_when is not None and q not in run.strict["ask"])
    # a route's items so far: those that certainly apply
    routes = route_results(rule_base, run, lang, lambda rid: len(run.strict["item"] & rule_base.route_items[rid]))
    return NextQuestion.built(
        rulebase=rulebase_ref(rule_base),
        question=question_out(rule_base, ordered[0], lang) if ordered else None,
        progress=Progress.built(answered=len(run.answers), remaining_at_most=len(needed), ignored=list(run.ignored)),
        routes=routes,
    )


class Explanation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    item: str
    title: str
    on_checklist: bool
    status: ItemStatus | None
    reason: str
    route: str
    route_applies: Literal["yes", "maybe", "no"]
    condition: str
    answers: dict[str, Any]
    trace: Trace | None = None


def explain(
    rule_base: RuleBase,
    answers: Mapping[str, Any],
    item_id: str,
    as_of: dt.date | None = None,
    lang: str = "en",
    *,
    limits: AnswerLimits = CORE_LIMITS,
) -> Explanation:
    """Why ``item_id`` is, or is not, on the checklist for ``answers`` (``limits``: as for ``evaluate``)."""
    from ._errors import suggest

    lang = _lang(lang)
    if item_id not in rule_base.items:
        raise AnswersError(
            [AnswerIssue("PA209", f"unknown item '{item_id}'", "item", suggest(item_id, rule_base.items))]
        )
    day = _day(as_of)
    checked = check_answers(rule_base, answers, limits)
    outcome = evaluate_run(rule_base, checked, day, lang)[1]
    item = rule_base.items[item_id]
    route_status: Literal["yes", "maybe", "no"] = next((r.applies for r in outcome.routes if r.id == item.route), "no")
    found = next((i for i in outcome.items if i.id == item_id), None)
    upcoming = next((i for i in outcome.upcoming if i.id == item_id), None)
    mentioned = facts_of(item.when) if item.when is not None else set()
    relevant = {q: display_value(rule_base, q, v, lang) for q, v in checked.items() if q in mentioned}
    en = lang == "en"
    if found is not None:
        # an open question by its text, and the answers that would keep the item: "if X is a"
        opens = [
            q.text + (" — " + " / ".join(value_text(v, lang) for v in q.if_values) if q.if_values else "")
            for q in found.trace.open_questions
        ]
        sure = {
            "required": "its condition holds for these answers" if en else "根据所填答案，其条件成立",
            "to_be_verified": "its condition holds; the rule itself is marked unconfirmed and must be verified"
            if en
            else "其条件成立；该规则尚未确认，需核实",
            "eligible": "the product is eligible on these answers; applying is the company's choice"
            if en
            else "根据所填答案符合条件；是否申请由企业自行决定",
            "for_information": "it is guidance for information on these answers" if en else "根据所填答案，供参考",
        }
        if found.applies == "yes":
            reason = sure.get(found.status, sure["required"])
        else:
            reason = (
                "its condition may hold: it applies only if " + "; ".join(opens) + " (still open)"
                if en
                else "其条件可能成立：仅当" + "；".join(opens) + "时适用（尚未确定）"
            )
    elif upcoming is not None:
        reason = (
            f"it applies, but takes effect only on {upcoming.valid_from}"
            if en
            else f"适用，但自 {upcoming.valid_from} 起才生效"
        )
    elif route_status == "no":
        reason = (
            f"its route '{item.route}' does not apply ({condition_text(rule_base.routes[item.route].when)})"
            if en
            else f"所属路径“{item.route}”不适用"
        )
    elif item.model.valid and not item.model.valid.holds_on(outcome.as_of):
        reason = (
            f"it is not in force on {outcome.as_of} (valid {item.model.valid.from_ or '…'} to "
            f"{item.model.valid.to or '…'})"
            if en
            else f"{outcome.as_of} 时不在有效期内"
        )
    else:
        reason = "its condition does not hold for these answers" if en else "根据所填答案，其条件不成立"
    return Explanation(
        item=item_id,
        title=item.model.title.get(lang),
        on_checklist=found is not None,
        status=found.status if found else None,
        reason=reason,
        route=item.route,
        route_applies=route_status,
        condition=condition_text(item.when, lang),
        answers=relevant,
        trace=found.trace if found else (upcoming.trace if upcoming else None),
    )
