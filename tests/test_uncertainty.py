"""Interviews under uncertainty: "don't know" never ends an interview early, an answer never makes a
result more certain than the facts allow, and a checklist tells duties from options."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

import pathways
from pathways.authoring.scenarios import load_scenarios

from .conftest import AS_OF, REPO

DEVICE_ACTIVE_UNKNOWN = {"kind": "device", "made_in": "tianjin", "active": "unknown", "features": []}


def status(outcome: pathways.Outcome) -> dict[str, str]:
    return {i.id: i.status for i in outcome.items}


def item(outcome: pathways.Outcome, iid: str) -> pathways.ItemResult:
    return next(i for i in outcome.items if i.id == iid)


# ---- the planner asks what may still matter ----------------------------------------------------


def test_after_dont_know_the_questions_of_the_other_branch_are_asked(mini: pathways.RuleBase) -> None:
    # 'implant' is asked only for active devices; 'active' is "don't know", so it may be asked and
    # its answer can still rule class III in or out
    step = pathways.next_question(mini, DEVICE_ACTIVE_UNKNOWN, as_of=AS_OF)
    assert step.question is not None and step.question.id == "implant"
    before = pathways.evaluate(mini, DEVICE_ACTIVE_UNKNOWN, as_of=AS_OF)
    assert before.unanswered == ["implant"]
    assert [q.text for q in before.unanswered_questions] == ["Implant"]


def test_an_answer_whose_question_only_may_apply_decides_nothing_for_certain(mini: pathways.RuleBase) -> None:
    outcome = pathways.evaluate(mini, {**DEVICE_ACTIVE_UNKNOWN, "implant": True}, as_of=AS_OF)
    # class III needs active = yes, still open: registration stays to determine, Class I filing too
    assert status(outcome)["reg"] == "to_determine" and status(outcome)["filing"] == "to_determine"
    reg = item(outcome, "reg")
    assert [(a.question, a.value, a.conditional) for a in reg.trace.answers] == [
        ("active", "don't know", False),
        ("implant", True, True),
    ]
    assert [(q.question, q.text, q.if_values) for q in reg.trace.open_questions] == [("active", "Active", [True])]
    assert pathways.next_question(mini, {**DEVICE_ACTIVE_UNKNOWN, "implant": True}, as_of=AS_OF).question is None
    assert outcome.unanswered == []


def test_an_answer_that_rules_a_branch_out_decides_it(mini: pathways.RuleBase) -> None:
    # not an implant: class III is ruled out whether or not the device is active -> Class I for certain
    outcome = pathways.evaluate(mini, {**DEVICE_ACTIVE_UNKNOWN, "implant": False}, as_of=AS_OF)
    assert status(outcome)["filing"] == "required"
    assert "reg" not in status(outcome)
    assert {f.fact: (f.values, f.certain) for f in outcome.facts}["dev_class"] == (["I"], True)


def test_a_conditional_answer_is_dropped_once_its_question_cannot_apply(mini: pathways.RuleBase) -> None:
    outcome = pathways.evaluate(mini, {**DEVICE_ACTIVE_UNKNOWN, "active": False, "implant": True}, as_of=AS_OF)
    assert [a.question for a in outcome.ignored_answers] == ["implant"]
    assert status(outcome)["filing"] == "required"


def test_open_questions_are_named_by_text_with_the_deciding_answer(mini: pathways.RuleBase) -> None:
    open_case = pathways.evaluate(mini, {"kind": "device", "made_in": "tianjin", "features": []}, as_of=AS_OF)
    reg = item(open_case, "reg")
    assert reg.status == "to_determine"
    assert [(q.question, q.if_values) for q in reg.trace.open_questions] == [("active", [True]), ("implant", [True])]
    md = pathways.render(open_case, "md")
    assert "If: Active — yes" in md
    assert "Because: Active" not in md
    assert "`active`" not in md.split("## Questions still open")[1]


# ---- the issue's wrong result, on the shipped rules -----------------------------------------------


def _example(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / "examples" / name).read_text(encoding="utf-8"))["answers"]


def test_an_answer_resting_on_dont_know_does_not_make_an_expedited_route_certain(shipped: pathways.RuleBase) -> None:
    answers = {**_example("drug_imported_original_foreign_mah.yaml"), "originator_or_copy": "unknown"}
    answers.pop("rare_urgent_abroad", None)
    rare = "nda_priority_rare_abroad"
    without = status(pathways.evaluate(shipped, answers, as_of=AS_OF))
    with_answer = pathways.evaluate(shipped, {**answers, "rare_urgent_abroad": True}, as_of=AS_OF)
    assert without.get(rare) in ("to_determine", "possibly_eligible")
    assert status(with_answer)[rare] in ("to_determine", "possibly_eligible")
    # the standard review stays as it was without the answer
    assert status(with_answer)["nda_standard"] == without["nda_standard"]
    why = pathways.explain(shipped, {**answers, "rare_urgent_abroad": True}, rare, as_of=AS_OF)
    assert why.on_checklist and "does not hold" not in why.reason
    assert "originator_or_copy" in item(with_answer, rare).trace.undetermined_by


def test_device_class_unknown_example_goes_on_to_the_class_questions(shipped: pathways.RuleBase) -> None:
    answers = _example("device_class_unknown.yaml")
    step = pathways.next_question(shipped, answers, as_of=AS_OF)
    assert step.question is not None
    assert step.question.id in shipped.feeders()["device_class"]


# ---- every shipped case, with each "don't know" ------------------------------------------------


def _cases(rb: pathways.RuleBase) -> list[tuple[str, dict[str, Any], dt.date]]:
    cases = [(f"{s.file}:{s.line}", dict(s.answers), s.as_of or AS_OF) for s in load_scenarios(rb)]
    for path in sorted((REPO / "examples").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        cases.append((f"examples/{path.name}", dict(doc["answers"]), doc.get("as_of") or AS_OF))
    return cases


def _dont_know_variants(rb: pathways.RuleBase) -> list[tuple[str, dict[str, Any], dt.date]]:
    out = []
    for name, answers, as_of in _cases(rb):
        for qid, value in answers.items():
            q = rb.questions.get(qid)
            if q is not None and q.model.unknown == "allowed" and value != "unknown":
                out.append((f"{name} {qid}=unknown", {**answers, qid: "unknown"}, as_of))
    return out


def _default_answer(question: pathways._outcome.QuestionOut) -> Any:
    """An answer for a question the case does not answer: the first option, no, the minimum."""
    if question.type == "yes_no":
        return False
    if question.type == "choice":
        return question.options[0].value
    if question.type == "multi":
        return []
    if question.type == "number":
        return question.min if question.min is not None else 0
    if question.type == "date":
        return "2026-01-01"
    return "x"


def _in_workers(work: Any, chunks: list[Any]) -> list[str]:
    """``work`` over ``chunks`` in two processes (each loads the shipped rule base once); these
    replays are the slowest tests, and each case is independent of the others."""
    import multiprocessing

    workers = max(1, min(2, os.cpu_count() or 1, len(chunks)))
    if workers == 1:
        return [line for chunk in chunks for line in work(chunk)]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        return [line for part in pool.map(work, chunks, chunksize=1) for line in part]


_SHIPPED: list[pathways.RuleBase] = []


def _shipped() -> pathways.RuleBase:
    if not _SHIPPED:
        _SHIPPED.append(pathways.load_rule_base())
    return _SHIPPED[0]


def _replay(variants: list[tuple[str, dict[str, Any], dt.date]]) -> list[str]:
    """Complete each variant's interview with the planner; what went wrong, as lines."""
    rb = _shipped()
    failures = []
    steps: dict[Any, pathways.NextQuestion] = {}  # variants of one case share their first steps
    for name, case, as_of in variants:
        given: dict[str, Any] = {}
        promised: list[int] = []
        for _ in range(len(rb.questions) + 1):
            key = (as_of, tuple((q, tuple(v) if isinstance(v, list) else v) for q, v in given.items()))
            step = steps.get(key)
            if step is None:
                step = steps[key] = pathways.next_question(rb, given, as_of=as_of)
            promised.append(step.progress.remaining_at_most)
            if step.question is None:
                break
            qid = step.question.id
            if qid in given:
                failures.append(f"{name}: asked '{qid}' twice")
                break
            given[qid] = case[qid] if qid in case else _default_answer(step.question)
        else:
            failures.append(f"{name}: the interview did not end")
            continue
        # progress is honest: "at most N to go" is never exceeded
        broken = [i for i, n in enumerate(promised) if len(promised) - 1 - i > n]
        if broken:
            failures.append(
                f"{name}: at step {broken[0]} at most {promised[broken[0]]} questions were left, "
                f"but {len(promised) - 1 - broken[0]} were asked"
            )
        outcome = pathways.evaluate(rb, given, as_of=as_of)
        if outcome.unanswered:
            failures.append(f"{name}: the planner stopped with {outcome.unanswered} unanswered")
        for it in outcome.items:
            never_asked = [q for q in it.trace.undetermined_by if q not in given]
            if never_asked:
                failures.append(f"{name}: {it.id} waits on {never_asked}, never asked")
    return failures


def _by_case(variants: list[tuple[str, dict[str, Any], dt.date]]) -> list[list[tuple[str, dict[str, Any], dt.date]]]:
    chunks: dict[str, list[tuple[str, dict[str, Any], dt.date]]] = {}
    for variant in variants:
        chunks.setdefault(variant[0].rsplit(" ", 1)[0], []).append(variant)
    return list(chunks.values())


def test_interviews_with_dont_know_end_only_when_nothing_unasked_can_change_the_checklist(
    shipped: pathways.RuleBase,
) -> None:
    """Every shipped scenario and example, with each "don't know"-capable answer replaced by
    "don't know", completed by the planner: when it stops, no question is left unanswered, and every
    item still to determine waits only on answers that are "don't know" (never on a question that
    was not asked). Along the way "at most N questions to go" is never exceeded."""
    variants = _dont_know_variants(shipped)
    assert len(variants) > 1000
    failures = _in_workers(_replay, _by_case(variants))
    assert not failures, "\n".join(failures[:30]) + f"\n({len(failures)} in all)"


def _on(outcome: pathways.Outcome) -> tuple[set[str], set[str]]:
    """(items that certainly apply, items that may apply), upcoming ones included."""
    every = [*outcome.items, *outcome.upcoming]
    return {i.id for i in every if i.applies == "yes"}, {i.id for i in every}


def _resting_on_dont_know(rb: pathways.RuleBase) -> set[str]:
    """Items whose condition, or a fact rule beneath it, tests 'unknown': "don't know" is itself
    an answer there (e.g. a class determination because the class is not known), so refining it
    may rightly remove them."""
    from pathways._conditions import Atom, facts_of

    def tests_unknown(cond: Any) -> bool:
        if cond is None:
            return False
        if isinstance(cond, Atom):
            return cond.test == "unknown"
        parts = (cond.part,) if hasattr(cond, "part") else cond.parts
        return any(tests_unknown(p) for p in parts)

    cached = _RESTING.get(rb.content_hash)
    if cached is not None:
        return cached
    setters: dict[str, list[Any]] = {}
    for rule in rb.fact_rules:
        for name in rule.model.set:
            setters.setdefault(name, []).append(rule.when)
    # the facts set by a rule that tests 'unknown', or rests on such a fact: a least fixpoint (a
    # recursive search along every path took about a second, once per case, on the grown rule base)
    resting: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, whens in setters.items():
            if name not in resting and any(
                w is not None and (tests_unknown(w) or facts_of(w) & resting) for w in whens
            ):
                resting.add(name)
                changed = True

    def rests(cond: Any) -> bool:
        return cond is not None and (tests_unknown(cond) or bool(facts_of(cond) & resting))

    found = _RESTING[rb.content_hash] = {iid for iid, it in rb.items.items() if rests(it.when)}
    return found


_RESTING: dict[str, set[str]] = {}  # per rule base (content hash), per worker process


def _refinements(cases: list[tuple[str, dict[str, Any], dt.date]]) -> list[str]:
    """For each answer of each case: the case with that answer "don't know" (where allowed) or
    missing, against the case with each value it can take; what went wrong, as lines."""
    rb = _shipped()
    exempt = _resting_on_dont_know(rb)
    failures = []
    for name, answers, as_of in cases:
        for qid, value in answers.items():
            q = rb.questions.get(qid)
            if q is None or value == "unknown":
                continue
            coarse_cases = [({**answers, qid: "unknown"}, "unknown")] if q.model.unknown == "allowed" else []
            coarse_cases.append(({k: v for k, v in answers.items() if k != qid}, "unanswered"))
            fine_values = (
                list(q.model.option_values)
                if q.model.type == "choice"
                else ([True, False] if q.model.type == "yes_no" else [value])
            )
            for coarse_answers, how in coarse_cases:
                coarse_sure, coarse_maybe = _on(pathways.evaluate(rb, coarse_answers, as_of=as_of))
                for fine in fine_values:
                    sure, maybe = _on(pathways.evaluate(rb, {**coarse_answers, qid: fine}, as_of=as_of))
                    lost = coarse_sure - sure - exempt
                    gained = maybe - coarse_maybe
                    if lost or gained:
                        failures.append(
                            f"{name}: {qid} {how} -> {fine!r}: certain items lost {sorted(lost)}, "
                            f"impossible items gained {sorted(gained)}"
                        )
    return failures


def test_more_information_never_makes_a_result_more_certain_than_the_facts(shipped: pathways.RuleBase) -> None:
    """Refining a "don't know" or a missing answer to any value it can take keeps every item that
    certainly applied (except those that apply because something is not known) and adds no item
    that could not apply, over every answer of every shipped scenario and example. (With the old
    semantics an answer resting on a "don't know" turned a priority review into a certainty that
    the refinement then removed.)"""
    cases = _cases(shipped)
    assert len(cases) > 150
    failures = _in_workers(_refinements, [[case] for case in cases])
    assert not failures, "\n".join(failures[:30]) + f"\n({len(failures)} in all)"


# ---- kinds and the timeline ----------------------------------------------------------------------

_KIND_ITEMS = """
  - id: priority_review
    stage: registration
    kind: option
    when: {dev_class: III}
    title: {zh: 优先审批, en: Priority review}
    after: [testing]
    time_limit: {working_days: 20, of: {zh: 审核, en: review}, statutory: true}
    sources: [law]
  - id: service_window
    stage: preparation
    kind: guidance
    title: {zh: 服务窗口, en: Service window}
    sources: [law]
  - id: expert_review
    stage: registration
    kind: obligation
    when: {dev_class: [II, III]}
    title: {zh: 专家评审, en: Expert review}
    after: [testing]
    time_limit: {range: {min: 1, max: 3, unit: years}, of: {zh: 评审, en: expert review}, statutory: false}
    sources: [law]
"""


@pytest.fixture
def kinds_rb(mini_copy: Path) -> pathways.RuleBase:
    with (mini_copy / "routes" / "dev.yaml").open("a", encoding="utf-8") as handle:
        handle.write(_KIND_ITEMS)
    return pathways.load_rule_base(mini_copy)


def test_options_and_guidance_are_never_required(kinds_rb: pathways.RuleBase) -> None:
    sure = pathways.evaluate(
        kinds_rb, {"kind": "device", "made_in": "abroad", "active": True, "implant": True, "features": []}, as_of=AS_OF
    )
    assert {i.id: (i.kind, i.status) for i in sure.items if i.id in ("priority_review", "service_window", "reg")} == {
        "priority_review": ("option", "eligible"),
        "service_window": ("guidance", "for_information"),
        "reg": ("obligation", "required"),
    }
    maybe = pathways.evaluate(
        kinds_rb, {"kind": "device", "made_in": "tianjin", "active": "unknown", "features": []}, as_of=AS_OF
    )
    assert status(maybe)["priority_review"] == "possibly_eligible"
    md = pathways.render(sure, "md")
    assert "Priority review — *eligible — optional*" in md and "Service window — *for information*" in md
    html = pathways.render(
        pathways.evaluate(
            kinds_rb,
            {"kind": "device", "made_in": "abroad", "active": True, "implant": True, "features": []},
            as_of=AS_OF,
            lang="zh",
        ),
        "html",
    )
    assert "符合条件——可选" in html and "供参考" in html


def test_the_critical_path_counts_required_obligations_only(kinds_rb: pathways.RuleBase) -> None:
    sure = pathways.evaluate(
        kinds_rb, {"kind": "device", "made_in": "abroad", "active": True, "implant": True, "features": []}, as_of=AS_OF
    )
    t = sure.timeline
    # registration (60 statutory working days) after testing (not statutory); the option's 20 days
    # and the expert review's 1-3 years are listed, never added
    assert t.statutory_working_days == 60 and t.critical_path == ["reg"]
    assert [
        (s.item, s.time_limit.min, s.time_limit.max, s.time_limit.unit) for s in t.typical if s.item == "expert_review"
    ] == [("expert_review", 1, 3, "years")]
    assert [s.item for s in t.may_add] == ["priority_review"]
    assert t.longest_typical is not None and t.longest_typical.item == "expert_review"
    assert any("1–3 years" in line for line in t.other_limits)
    open_case = pathways.evaluate(
        kinds_rb, {"kind": "device", "made_in": "tianjin", "active": "unknown", "features": []}, as_of=AS_OF
    )
    # Class I filing or Class II/III registration: to determine, so nothing is on the critical path
    assert open_case.timeline.statutory_working_days == 0
    assert {"reg", "filing"} <= {s.item for s in open_case.timeline.may_add}


def test_the_2fl_timeline_shows_the_realistic_range_not_only_the_acceptance_days(shipped: pathways.RuleBase) -> None:
    answers = _example("food_hmo_infant_formula_cosmetic.yaml")
    outcome = pathways.evaluate(shipped, answers, as_of=AS_OF)
    t = outcome.timeline
    assert t.longest_typical is not None
    assert (t.longest_typical.time_limit.min, t.longest_typical.time_limit.max, t.longest_typical.time_limit.unit) == (
        1,
        3,
        "years",
    )
    assert not t.longest_typical.time_limit.statutory
    md = pathways.render(outcome, "md")
    assert "In practice the whole takes at least **1–3 years**" in md
    zh = pathways.render(pathways.evaluate(shipped, answers, as_of=AS_OF, lang="zh"), "html")
    assert "1–3年" in zh


def test_a_range_must_not_claim_to_be_statutory(mini_copy: Path) -> None:
    with (mini_copy / "routes" / "dev.yaml").open("a", encoding="utf-8") as handle:
        handle.write(_KIND_ITEMS.replace("statutory: false}", "statutory: true}"))
    with pytest.raises(pathways.RuleBaseError) as err:
        pathways.load_rule_base(mini_copy)
    assert any("range" in issue.message and "statutory: false" in issue.message for issue in err.value.issues)


def test_lint_asks_for_the_kind_of_every_item(mini_copy: Path) -> None:
    from pathways.authoring.lint import lint

    assert not [i for i in lint(mini_copy).issues if i.code == "PW317"]
    dev = mini_copy / "routes" / "dev.yaml"
    text = dev.read_text(encoding="utf-8")
    dev.write_text(
        text.replace("    stage: registration\n    kind: obligation\n", "    stage: registration\n"), encoding="utf-8"
    )
    found = [i for i in lint(mini_copy).issues if i.code == "PW317"]
    assert sorted(i.message.split("'")[1] for i in found) == ["filing", "reg"]
    line = text.splitlines().index("  - id: filing") + 1
    assert [(i.file, i.line) for i in found if "'filing'" in i.message] == [("mini/routes/dev.yaml", line)]


def test_every_shipped_item_has_a_kind(shipped: pathways.RuleBase) -> None:
    assert [iid for iid, it in shipped.items.items() if it.model.kind is None] == []
