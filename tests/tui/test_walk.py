"""Complete cases walked through the UI; the checklist on screen equals evaluate() on the answers."""

from __future__ import annotations

import pytest
import yaml

import pathways
from pathways_tui.app import build_app

from ..conftest import FIXTURES
from .helpers import (
    AS_OF,
    answer,
    answer_focused,
    checklist,
    focus,
    grouped_ids,
    new_case,
    send_keys,
    settle,
    shown_item_ids,
    walk,
    wizard,
)

MINI_SCENARIOS = yaml.safe_load((FIXTURES / "mini" / "scenarios.yaml").read_text(encoding="utf-8"))


def expected(rb: pathways.RuleBase, answers: dict, lang: str = "en") -> pathways.Outcome:
    return pathways.evaluate(rb, answers, AS_OF, lang)


@pytest.mark.parametrize("scenario", MINI_SCENARIOS, ids=[s["name"] for s in MINI_SCENARIOS])
async def test_mini_scenarios_walked_by_keyboard(scenario: dict, mini: pathways.RuleBase) -> None:
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot, "Glucose meter")
        asked = await walk(pilot, scenario["answers"])
        screen = await checklist(pilot)
        given = {q: scenario["answers"][q] for q in asked}
        assert app.session.answers == given
        assert screen.outcome == expected(mini, given)
        assert shown_item_ids(screen) == grouped_ids(screen.outcome)
        # the planner's own walk asks the same questions in the same order
        from pathways.authoring.scenarios import Scenario, run_scenario

        result = run_scenario(mini, Scenario(name="x", as_of=AS_OF, answers=scenario["answers"], expect={}))
        assert asked == result.asked


async def test_walk_by_mouse_in_chinese(mini: pathways.RuleBase) -> None:
    answers = {"kind": "device", "made_in": "tianjin", "active": False, "features": ["sterile"]}
    app = build_app(FIXTURES / "mini", lang="zh", as_of=AS_OF)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot, "血糖仪", click=True)
        assert wizard(app).query_one("#q-text").visual.plain == "类型"
        asked = await walk(pilot, answers, click=True)
        assert asked == ["kind", "made_in", "active", "features"]
        screen = await checklist(pilot)
        assert screen.outcome == expected(mini, answers, "zh")
        assert screen.outcome.lang == "zh"


async def test_every_question_type(types_rb: pathways.RuleBase) -> None:
    answers = {"kind": "device", "staff": 12, "founded": "2010-05-01", "contact": "张三 Li", "markets": ["cn", "hk"]}
    app = build_app(lang="en", as_of=AS_OF, rule_base=types_rb)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot)
        await walk(pilot, answers)
        screen = await checklist(pilot)
        assert app.session.answers == answers
        assert screen.outcome == expected(types_rb, answers)
        assert {i.id: i.status for i in screen.outcome.items} == {
            "history": "required",
            "contact_file": "required",
            "licence": "required",
            "hk_notice": "required",
            "sme_support": "to_be_verified",
        }


async def test_invalid_input_is_refused_with_a_reason(types_rb: pathways.RuleBase) -> None:
    app = build_app(lang="en", as_of=AS_OF, rule_base=types_rb)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot)
        await answer(pilot, "device")
        screen = wizard(app)
        assert screen.qid == "staff"
        await answer_focused(pilot)
        # empty: Next is shown dimmed, and Enter says why
        assert screen.active_bindings["enter"].enabled is False
        await send_keys(pilot, "enter")
        await settle(pilot)
        assert screen.qid == "staff" and "staff" not in app.session.answers
        error = screen.query_one("#q-error")
        assert error.display and "number" in error.visual.plain
        # out of range
        await send_keys(pilot, *"0")
        await send_keys(pilot, "enter")
        await settle(pilot)
        assert screen.qid == "staff"
        assert "between 1 and 100000" in screen.query_one("#q-error").visual.plain
        await pilot.press("backspace")
        await send_keys(pilot, *"250")
        assert screen.active_bindings["enter"].enabled is True
        await send_keys(pilot, "enter")
        await settle(pilot)
        assert app.session.answers["staff"] == 250
        assert screen.qid == "founded"
        # a date that does not exist
        await send_keys(pilot, *"2026-02-30", "enter")
        await settle(pilot)
        assert screen.qid == "founded"
        assert "YYYY-MM-DD" in screen.query_one("#q-error").visual.plain
        await pilot.press("home", "ctrl+k")
        await send_keys(pilot, *"2019-12-31", "enter")
        await settle(pilot)
        assert app.session.answers["founded"] == "2019-12-31"


async def test_dont_know_by_key_and_by_button(mini: pathways.RuleBase) -> None:
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot)
        await answer(pilot, "device")
        await answer(pilot, "tianjin")
        screen = wizard(app)
        assert screen.qid == "active"
        await answer(pilot, "unknown", click=True)  # the "Don't know" button
        assert app.session.answers["active"] == "unknown"
        assert screen.qid == "features"
        await answer(pilot, [])
        # 'implant' is asked only for active devices; with 'active' unknown it may apply and can
        # still rule class III out, so it is asked too
        assert screen.qid == "implant"
        await answer(pilot, True)
        outcome = (await checklist(pilot)).outcome
        assert outcome == expected(
            mini, {"kind": "device", "made_in": "tianjin", "active": "unknown", "features": [], "implant": True}
        )
        status = {i.id: i.status for i in outcome.items}
        assert status["reg"] == "to_determine" and status["determine"] == "required"


async def test_dont_know_is_offered_only_where_allowed(mini: pathways.RuleBase) -> None:
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot)
        screen = wizard(app)
        assert screen.qid == "kind"  # unknown: allowed
        assert screen.active_bindings["ctrl+d"].enabled and screen.query_one("#dont-know").display
        await answer(pilot, "device")
        assert screen.qid == "made_in"  # unknown: forbidden
        assert screen.active_bindings["ctrl+d"].enabled is False and not screen.query_one("#dont-know").display
        await send_keys(pilot, "ctrl+d")
        await settle(pilot)
        assert screen.qid == "made_in" and "made_in" not in app.session.answers


async def test_back_and_change_strikes_out_an_answer_that_no_longer_applies(mini: pathways.RuleBase) -> None:
    first = {"kind": "device", "made_in": "abroad", "active": True, "implant": True, "features": []}
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot)
        screen = wizard(app)
        assert screen.check_action("back", ()) is None  # nothing to go back to
        assert screen.active_bindings["escape"].enabled is False
        await walk(pilot, first)
        assert "reg" in {i.id for i in (await checklist(pilot)).outcome.items}
        await send_keys(pilot, "escape")  # back to the questions
        await settle(pilot)
        screen = wizard(app)
        assert screen.qid == "features"
        await send_keys(pilot, "escape", "escape")  # Back, Back: to "active"
        await settle(pilot)
        assert screen.qid == "active"
        await answer(pilot, False)  # change it
        sidebar = screen.query_one("#answers")
        assert sidebar.struck == {"implant"}
        prompt = sidebar.get_option("implant").prompt
        assert any("strike" in str(span.style) for span in prompt.content.spans)
        # the planner needs nothing new: the checklist shows without 'implant'
        await walk(pilot, first)
        outcome = (await checklist(pilot)).outcome
        answers = app.session.answers
        assert answers["implant"] is True and answers["active"] is False  # kept, but not used
        assert outcome == expected(mini, answers)
        assert [a.question for a in outcome.ignored_answers] == ["implant"]
        assert "reg" not in {i.id for i in outcome.items} and "filing" in {i.id for i in outcome.items}


async def test_sidebar_jumps_back_to_an_answer(mini: pathways.RuleBase) -> None:
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot)
        await answer(pilot, "device")
        await answer(pilot, "abroad")
        screen = wizard(app)
        assert screen.qid == "active"
        sidebar = screen.query_one("#answers")
        await pilot.click(sidebar, offset=(3, 1))  # the first answer: "kind"
        await settle(pilot)
        assert screen.qid == "kind"
        assert screen.question_view.answer_widget.highlighted_option.id == "device"
        assert "Device" in screen.query_one("#q-note").visual.plain
        # unchanged: Next steps forward through the answers given
        await answer(pilot, "device")
        assert screen.qid == "made_in"
        await answer(pilot, "abroad")
        assert screen.qid == "active"
        # keyboard: focus the sidebar, move, Enter
        await focus(pilot, sidebar)
        assert sidebar.highlighted is None  # "active" is not answered yet
        await send_keys(pilot, "down", "down", "enter")
        await settle(pilot)
        assert screen.qid == "made_in"


async def test_progress_and_route_preview_follow_the_answers(mini: pathways.RuleBase) -> None:
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot)
        screen = wizard(app)
        step = pathways.next_question(mini, {}, "en", AS_OF)
        text = screen.query_one("#progress-text").visual.plain
        assert text == f"0 answered, up to {step.progress.remaining_at_most} more"
        assert [r.id for r in screen.query_one("#routes").routes] == [r.id for r in step.routes]
        await answer(pilot, "device")
        step = pathways.next_question(mini, {"kind": "device"}, "en", AS_OF)
        assert screen.query_one("#progress-text").visual.plain == (
            f"1 answered, up to {step.progress.remaining_at_most} more"
        )
        assert [(r.id, r.applies) for r in screen.query_one("#routes").routes] == [("dev", "yes")]
