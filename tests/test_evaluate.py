"""Semantics of evaluate(), next_question() and explain() on a small rule base."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import pathways

from .conftest import AS_OF

DEVICE_III = {"kind": "device", "made_in": "abroad", "active": True, "implant": True, "features": []}
DEVICE_II = {"kind": "device", "made_in": "tianjin", "active": False, "features": ["sterile"]}


def items(outcome: pathways.Outcome) -> dict[str, str]:
    return {i.id: i.status for i in outcome.items}


def test_definite_case(mini: pathways.RuleBase) -> None:
    outcome = pathways.evaluate(mini, DEVICE_III, as_of=AS_OF)
    assert [(r.id, r.applies) for r in outcome.routes] == [("dev", "yes")]
    assert items(outcome) == {"agent": "required", "testing": "required", "reg": "required", "new_gmp": "required"}
    assert {f.fact: f.values for f in outcome.facts}["dev_class"] == ["III"]
    assert outcome.complete and outcome.unanswered == []


def test_dont_know_makes_dependent_items_to_determine(mini: pathways.RuleBase) -> None:
    outcome = pathways.evaluate(
        mini, {"kind": "device", "made_in": "tianjin", "active": "unknown", "features": []}, as_of=AS_OF
    )
    status = items(outcome)
    assert status["determine"] == "required"  # the class cannot be derived
    assert status["reg"] == "to_determine"  # it may be class III (active unknown)
    assert status["filing"] == "to_determine"
    reg = next(i for i in outcome.items if i.id == "reg")
    assert reg.applies == "maybe"
    assert "active" in reg.trace.undetermined_by
    assert not outcome.complete


def test_missing_answers_are_open_not_false(mini: pathways.RuleBase) -> None:
    outcome = pathways.evaluate(mini, {"kind": "device"}, as_of=AS_OF)
    assert items(outcome)["agent"] == "to_determine"  # depends on made_in, not yet answered
    # the class is not "unknown" while questions that decide it are still to be asked
    assert items(outcome)["determine"] == "to_determine"
    assert outcome.unanswered[:1] == ["made_in"]


def test_not_relevant_answers_are_reported_and_not_used(mini: pathways.RuleBase) -> None:
    # 'implant' is asked only for active devices; after changing 'active' to false it must not count
    outcome = pathways.evaluate(mini, {**DEVICE_III, "active": False}, as_of=AS_OF)
    assert [a.question for a in outcome.ignored_answers] == ["implant"]
    assert "reg" not in items(outcome) and "filing" in items(outcome)
    step = pathways.next_question(mini, {**DEVICE_III, "active": False}, as_of=AS_OF)
    assert step.progress.ignored == ["implant"]


def test_answers_of_a_route_that_does_not_apply_are_reported(mini: pathways.RuleBase) -> None:
    outcome = pathways.evaluate(mini, {"kind": "food", "made_in": "tianjin", "active": True}, as_of=AS_OF)
    assert outcome.routes == [] and outcome.items == []
    assert [(a.question, a.reason) for a in outcome.ignored_answers] == [
        ("active", "its route does not apply to this case")
    ]


def test_as_of_selects_the_rules_in_force(mini: pathways.RuleBase) -> None:
    before = pathways.evaluate(mini, DEVICE_III, as_of=dt.date(2026, 10, 31))
    after = pathways.evaluate(mini, DEVICE_III, as_of=dt.date(2026, 11, 1))
    assert "old_gmp" in items(before) and "new_gmp" not in items(before)
    assert [i.id for i in before.upcoming] == ["new_gmp"]
    assert items(before)["old_gmp"] == "to_be_verified"  # status: unconfirmed
    assert "new_gmp" in items(after) and "old_gmp" not in items(after)


def test_items_follow_after_and_stage_order(mini: pathways.RuleBase) -> None:
    order = [i.id for i in pathways.evaluate(mini, DEVICE_III, as_of=AS_OF).items]
    assert order.index("testing") < order.index("reg")
    assert order[0] == "agent"  # preparation first


def test_timeline_counts_statutory_working_days_only(mini: pathways.RuleBase) -> None:
    timeline = pathways.evaluate(mini, DEVICE_III, as_of=AS_OF).timeline
    # testing (30, not statutory) -> reg (60, statutory)
    assert timeline.statutory_working_days == 60
    assert timeline.critical_path == ["reg"]
    assert any("testing" in line and "not statutory" in line for line in timeline.other_limits)


def test_trace_names_rule_answers_and_facts(mini: pathways.RuleBase) -> None:
    reg = next(i for i in pathways.evaluate(mini, DEVICE_III, as_of=AS_OF).items if i.id == "reg")
    assert reg.trace.rule == "reg" and reg.trace.file.endswith("routes/dev.yaml") and reg.trace.line > 0
    assert {f.rule for f in reg.trace.facts} == {"c3", "c3_indicated"}
    assert {a.question for a in reg.trace.answers} == {"active", "implant"}
    assert reg.sources and reg.sources[0].url == "https://example.org/law"


def test_every_item_has_a_source(mini: pathways.RuleBase) -> None:
    for answers in (DEVICE_III, DEVICE_II, {"kind": "device"}):
        for item in pathways.evaluate(mini, answers, as_of=AS_OF).items:
            assert item.sources


def test_json_is_byte_identical_and_versioned(mini: pathways.RuleBase) -> None:
    a = pathways.render(pathways.evaluate(mini, DEVICE_II, as_of=AS_OF, lang="zh"), "json")
    b = pathways.render(pathways.evaluate(mini, dict(reversed(DEVICE_II.items())), as_of=AS_OF, lang="zh"), "json")
    assert a == b
    doc = json.loads(a)
    assert doc["schema_version"] == pathways.SCHEMA_VERSION
    assert doc["rulebase"] == {"id": "mini", "version": "1", "hash": mini.content_hash}
    assert doc["lang"] == "zh" and doc["items"][0]["title"] == "检验"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_outcome_ships_the_core_s_words(mini: pathways.RuleBase, lang: str) -> None:
    from pathways._texts import DONT_KNOW, KIND_LABELS  # (not public: the outcome's labels are)

    answers = {"kind": "device", "made_in": "tianjin", "active": "unknown", "features": []}
    outcome = pathways.evaluate(mini, answers, as_of=AS_OF, lang=lang)
    labels = outcome.labels
    assert list(labels.stages) == list(pathways.STAGES)  # every stage, in stage order
    assert labels.stages == pathways.STAGE_LABELS[lang]
    assert list(labels.statuses) == list(pathways.STATUS_LABELS[lang])
    assert labels.statuses == pathways.STATUS_LABELS[lang]
    assert labels.kinds == KIND_LABELS[lang] and list(labels.kinds) == ["obligation", "option", "guidance"]
    assert labels.dont_know == DONT_KNOW[lang]
    words = {"en": ("Post-market", "to determine", "don't know"), "zh": ("上市后", "待确定", "不清楚")}[lang]
    assert (labels.stages["post_market"], labels.statuses["to_determine"], labels.dont_know) == words
    # the words the outcome and its exports use: "don't know" as an answer, the stage and status in Markdown
    assert next(a.value for a in outcome.answers if a.question == "active") == labels.dont_know
    md = pathways.render(outcome, "md")
    assert all(labels.stages[i.stage] in md and labels.statuses[i.status] in md for i in outcome.items)
    # in the JSON, after everything else; built once per language, not per outcome
    doc = json.loads(pathways.render(outcome, "json"))
    assert list(doc)[-1] == "labels" and doc["labels"] == labels.model_dump()
    assert pathways.evaluate(mini, DEVICE_II, as_of=AS_OF, lang=lang).labels is labels
    # an outcome of schema 2.2 (no labels) is still read, with these words
    del doc["labels"]
    doc["schema_version"] = "2.2"
    assert pathways.Outcome.model_validate(doc).labels == labels
    assert pathways.Outcome.model_validate_json(json.dumps(doc)).labels == labels


def test_the_outcome_schema_requires_the_labels_and_names_their_keys(mini: pathways.RuleBase) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from pathways._schemas import outcome_schema  # (what `pathways schema outcome` prints)

    schema = outcome_schema()
    assert "labels" in schema["required"]
    labels = schema["$defs"]["Labels"]
    assert labels["required"] == ["stages", "statuses", "kinds", "dont_know"] and not labels["additionalProperties"]
    assert labels["properties"]["stages"]["propertyNames"]["enum"] == list(pathways.STAGES)
    assert labels["properties"]["statuses"]["propertyNames"]["enum"] == list(pathways.STATUS_LABELS["en"])
    assert all(prop["description"] for prop in labels["properties"].values())  # documented field by field
    for lang in ("en", "zh"):
        doc = json.loads(pathways.render(pathways.evaluate(mini, DEVICE_II, as_of=AS_OF, lang=lang), "json"))
        jsonschema.Draft202012Validator(schema).validate(doc)
        doc["labels"]["stages"]["nonsense"] = "x"
        assert not jsonschema.Draft202012Validator(schema).is_valid(doc)


def test_markdown_and_html(mini: pathways.RuleBase) -> None:
    outcome = pathways.evaluate(
        mini, {"kind": "device", "made_in": "tianjin", "active": "unknown", "features": []}, as_of=AS_OF
    )
    md = pathways.render(outcome, "md")
    assert "to determine" in md and "Law No. 1" in md and "If: Active — yes" in md
    page = pathways.render(outcome, "html")
    head = page.split("<body>")[0].replace("https://json", "")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "http" not in head
    zh = pathways.render(pathways.evaluate(mini, DEVICE_II, as_of=AS_OF, lang="zh"), "md")
    assert "法规准入清单" in zh and "必需" in zh


def test_every_link_says_whether_it_is_the_official_text_or_whose_summary(mini_copy) -> None:
    base = mini_copy / "base.yaml"
    base.write_text(
        base.read_text().replace(
            "sources:\n",
            'sources:\n  - {id: guide, title: {zh: 指南解读, en: Guide summary}, url: "https://example.com/guide",\n'
            "     kind: secondary}\n",
        )
    )
    dev = mini_copy / "routes" / "dev.yaml"
    dev.write_text(
        dev.read_text().replace(
            '    sources: [{id: law, article: "3"}]\n', '    sources: [{id: law, article: "3"}, guide]\n', 1
        )
    )
    rb = pathways.load_rule_base(mini_copy)
    outcome = pathways.evaluate(
        rb, {"kind": "device", "made_in": "tianjin", "active": False, "features": []}, as_of=AS_OF
    )
    cites = {c.id: c for item in outcome.items for c in item.sources}
    assert cites["law"].link_kind == "official" and cites["law"].publisher is None
    assert cites["guide"].link_kind == "secondary" and cites["guide"].publisher == "Example Law Firm"
    md = pathways.render(outcome, "md")
    assert "— official text <https://example.org/law>" in md
    assert "— summary or translation by Example Law Firm <https://example.com/guide>" in md
    page = pathways.render(outcome, "html")
    assert "official text · example.org</span>" in page
    assert "summary or translation by Example Law Firm · example.com" in page
    zh = pathways.render(
        pathways.evaluate(
            rb, {"kind": "device", "made_in": "tianjin", "active": False, "features": []}, as_of=AS_OF, lang="zh"
        ),
        "md",
    )
    assert "官方文本 <https://example.org/law>" in zh and "示例律师事务所的解读或译文" in zh


def test_html_escapes_rule_text(mini_copy) -> None:
    path = mini_copy / "routes" / "dev.yaml"
    path.write_text(
        path.read_text().replace("title: {zh: 检验, en: Testing}", 'title: {zh: 检验, en: "<script>alert(1)</script>"}')
    )
    rb = pathways.load_rule_base(mini_copy)
    page = pathways.render(pathways.evaluate(rb, DEVICE_II, as_of=AS_OF), "html")
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_next_question_walks_the_relevant_questions(mini: pathways.RuleBase) -> None:
    asked, answers = [], {}
    full = {**DEVICE_III}
    while (step := pathways.next_question(mini, answers, as_of=AS_OF)).question is not None:
        asked.append(step.question.id)
        answers[step.question.id] = full[step.question.id]
    assert asked == ["kind", "made_in", "active", "implant", "features"]
    food = pathways.next_question(mini, {"kind": "food"}, as_of=AS_OF)
    assert food.question.id == "made_in"
    assert pathways.next_question(mini, {"kind": "food", "made_in": "abroad"}).question is None


def test_next_question_reports_progress(mini: pathways.RuleBase) -> None:
    step = pathways.next_question(mini, {"kind": "device"}, as_of=AS_OF)
    assert step.progress.answered == 1
    assert step.progress.remaining_at_most == 4
    assert step.question.options[0].value == "tianjin"


def test_explain_present_absent_and_unknown_item(mini: pathways.RuleBase) -> None:
    yes = pathways.explain(mini, DEVICE_III, "reg", as_of=AS_OF)
    assert yes.on_checklist and yes.status == "required" and yes.trace is not None
    no = pathways.explain(mini, DEVICE_III, "filing", as_of=AS_OF)
    assert not no.on_checklist and "does not hold" in no.reason and no.condition == "dev_class = I"
    route = pathways.explain(mini, {"kind": "food", "made_in": "tianjin"}, "reg", as_of=AS_OF)
    assert "route 'dev' does not apply" in route.reason
    later = pathways.explain(mini, DEVICE_III, "new_gmp", as_of=dt.date(2026, 1, 1))
    assert "takes effect only on 2026-11-01" in later.reason
    with pytest.raises(pathways.AnswersError) as err:
        pathways.explain(mini, DEVICE_III, "regg")
    assert err.value.issues[0].suggestion == "reg"


@pytest.mark.parametrize(
    ("answers", "field", "code"),
    [
        ({"kindd": "device"}, "answers.kindd", "PA201"),
        ({"kind": "devise"}, "answers.kind", "PA203"),
        ({"kind": "device", "made_in": "unknown"}, "answers.made_in", "PA204"),
        ({"kind": "device", "active": "maybe"}, "answers.active", "PA202"),
        ({"kind": "device", "features": ["sterile", "sterlie"]}, "answers.features[1]", "PA203"),
        ({"kind": 3}, "answers.kind", "PA203"),
    ],
)
def test_bad_answers_name_the_field(mini: pathways.RuleBase, answers: dict, field: str, code: str) -> None:
    with pytest.raises(pathways.AnswersError) as err:
        pathways.evaluate(mini, answers, as_of=AS_OF)
    issue = err.value.issues[0]
    assert (issue.field, issue.code) == (field, code)


def test_a_callers_answer_limits_are_checked_with_every_other_answer_rule(mini: pathways.RuleBase) -> None:
    """One answer check for every entry point: a server's lower limits (``AnswerLimits``) reach
    ``evaluate``, ``next_question`` and ``explain`` through ``check_answers``, which names the field."""
    tight = pathways.AnswerLimits(max_answers=2, max_text=8)
    three = {"kind": "device", "made_in": "tianjin", "active": False}
    calls = [
        lambda answers: pathways.evaluate(mini, answers, as_of=AS_OF, limits=tight),
        lambda answers: pathways.next_question(mini, answers, as_of=AS_OF, limits=tight),
        lambda answers: pathways.explain(mini, answers, "reg", as_of=AS_OF, limits=tight),
    ]
    for call in calls:
        with pytest.raises(pathways.AnswersError) as err:
            call(three)
        assert [(i.code, i.field) for i in err.value.issues] == [("PA207", "answers")]
        with pytest.raises(pathways.AnswersError) as err:
            call({"kind": "device-of-some-kind"})  # any text over the limit, before any other check of it
        assert [(i.code, i.field) for i in err.value.issues] == [("PA206", "answers.kind")]
        call({"kind": "device", "made_in": "tianjin"})  # within the limits
    assert pathways.evaluate(mini, three, as_of=AS_OF).model_dump_json()  # the core's own limits
    with pytest.raises(ValueError, match="within"):
        pathways.AnswerLimits(max_answers=pathways.MAX_ANSWERS + 1)


def test_explain_checks_and_evaluates_once(mini: pathways.RuleBase, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathways import _api

    counts = {"check": 0, "run": 0}
    check, run = _api.check_answers, _api.run_case

    def counted_check(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        counts["check"] += 1
        return check(*args, **kwargs)

    def counted_run(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        counts["run"] += 1
        return run(*args, **kwargs)

    monkeypatch.setattr(_api, "check_answers", counted_check)
    monkeypatch.setattr(_api, "run_case", counted_run)
    result = pathways.explain(mini, DEVICE_III, "reg", as_of=AS_OF)
    assert result.on_checklist and counts == {"check": 1, "run": 1}


def test_suggestions_for_bad_answers(mini: pathways.RuleBase) -> None:
    with pytest.raises(pathways.AnswersError) as err:
        pathways.evaluate(mini, {"kindd": "devise"})
    assert err.value.issues[0].suggestion == "kind"


def test_items_resting_on_an_unconfirmed_rule_are_to_be_verified(mini_copy) -> None:
    path = mini_copy / "routes" / "dev.yaml"
    path.write_text(
        path.read_text().replace(
            "    set: {class_iii: true}\n", "    set: {class_iii: true}\n    status: unconfirmed\n"
        )
    )
    rb = pathways.load_rule_base(mini_copy)
    outcome = pathways.evaluate(rb, DEVICE_III, as_of=AS_OF)
    assert items(outcome)["reg"] == "to_be_verified"
    assert items(outcome)["agent"] == "required"  # does not rest on the class
    reg = next(i for i in outcome.items if i.id == "reg")
    assert any(f.rule == "c3_indicated" and f.unconfirmed for f in reg.trace.facts)


def test_planner_skips_questions_that_can_only_confirm_a_certain_fact(mini_copy) -> None:
    path = mini_copy / "routes" / "dev.yaml"
    text = path.read_text()
    text = text.replace(
        "facts:\n",
        """  - id: q_one
    text: {zh: 一, en: One}
    type: yes_no
    ask_when: {kind: device}
  - id: q_two
    text: {zh: 二, en: Two}
    type: yes_no
    ask_when: {kind: device}
facts:
  - {id: flag_from_one, when: {q_one: true}, set: {flag: true}}
  - {id: flag_from_two, when: {q_two: true}, set: {flag: true}}
""",
        1,
    )
    text += """  - id: flagged
    stage: preparation
    when: {flag: true}
    title: {zh: 标记, en: Flagged}
    sources: [law]
"""
    path.write_text(text)
    rb = pathways.load_rule_base(mini_copy)
    answers = {"kind": "device", "made_in": "tianjin", "active": False, "features": [], "q_one": True}
    assert pathways.next_question(rb, answers, as_of=AS_OF).question is None  # q_two cannot matter
    assert pathways.next_question(rb, {**answers, "q_one": False}, as_of=AS_OF).question.id == "q_two"


@pytest.mark.parametrize("value", [1e308, float("inf"), -1e16])
def test_numbers_the_engine_cannot_compare_are_refused(mini_copy, value: float) -> None:
    path = mini_copy / "base.yaml"
    path.write_text(
        path.read_text().replace(
            "facts:\n",
            """  - id: staff
    text: {zh: 员工人数, en: Staff}
    type: number
facts:
""",
            1,
        )
    )
    rb = pathways.load_rule_base(mini_copy)
    with pytest.raises(pathways.AnswersError) as err:
        pathways.evaluate(rb, {"kind": "food", "staff": value}, as_of=AS_OF)
    assert err.value.issues[0].field == "answers.staff"


def test_text_that_is_not_unicode_is_refused(mini_copy) -> None:
    path = mini_copy / "base.yaml"
    path.write_text(
        path.read_text().replace(
            "facts:\n",
            """  - id: note
    text: {zh: 备注, en: Note}
    type: text
facts:
""",
            1,
        )
    )
    rb = pathways.load_rule_base(mini_copy)
    with pytest.raises(pathways.AnswersError) as err:
        pathways.evaluate(rb, {"kind": "food", "note": "bad \ud800 text"}, as_of=AS_OF)
    assert err.value.issues[0].code == "PA202"
