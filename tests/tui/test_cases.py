"""Saved cases: autosave after every answer, resume after a crash, tick-off, damaged files, config."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

import pathways
from pathways.cli import cli
from pathways_tui.app import build_app
from pathways_tui.cases import CaseStore
from pathways_tui.screens.start import StartScreen
from pathways_tui.screens.wizard import WizardScreen

from .helpers import (
    AS_OF,
    answer,
    back_to_start,
    checklist,
    focus,
    new_case,
    open_listed,
    send_keys,
    settle,
    start_screen,
    wait_for,
    walk,
    wizard,
)

DEVICE_III = {"kind": "device", "made_in": "abroad", "active": True, "implant": True, "features": []}


def case_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "cases").glob("*.yaml"))


async def test_every_answer_is_on_disk_before_the_next_question(data_dir: Path, mini: pathways.RuleBase) -> None:
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot, "Glucose meter")
        assert case_files(data_dir) == []  # nothing answered yet: nothing saved
        await answer(pilot, "device")
        [path] = case_files(data_dir)
        saved = pathways.read_answers_file(path)
        assert saved.answers == {"kind": "device"}
        assert saved.case["product"] == "Glucose meter"
        assert saved.rulebase == {"id": "mini", "version": "1"}
        await answer(pilot, "abroad")
        saved = pathways.read_answers_file(path)
        assert saved.answers == {"kind": "device", "made_in": "abroad"}
        assert saved.case["order"] == ["kind", "made_in"]
        assert not list((data_dir / "cases").glob("*.tmp"))  # atomic writes leave no temporaries


async def test_resume_after_a_crash_gives_the_same_answers(data_dir: Path, mini: pathways.RuleBase) -> None:
    # first run: three answers, then the app dies (no clean exit, nothing saved on the way out)
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot, "Implant")
        for qid in ("kind", "made_in", "active"):
            await answer(pilot, DEVICE_III[qid])
        assert wizard(app).qid == "implant"
        # leaving here ends the app without any saving on the way out (the app has none): what is
        # on disk is what autosave wrote. (test_tmux kills a real process mid-walk.)
    # second run: the case is listed; Enter on it resumes at the next question
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        start = await start_screen(pilot)
        [case] = start.cases
        assert case.product == "Implant" and case.answers == {k: DEVICE_III[k] for k in ("kind", "made_in", "active")}
        cases = start.query_one("#cases")
        prompt = cases.get_option(case.key).prompt.plain
        assert "Implant" in prompt and "3 answered" in prompt and "mini 1" in prompt
        await focus(pilot, cases)
        await send_keys(pilot, "enter")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, WizardScreen) and app.screen.qid == "implant",
            "the resumed case at its next question",
        )
        await settle(pilot)
        screen = wizard(app)
        assert screen.query_one("#answers").option_count == 3
        await walk(pilot, DEVICE_III)
        outcome = (await checklist(pilot)).outcome
        assert app.session.answers == DEVICE_III
        assert outcome == pathways.evaluate(mini, DEVICE_III, AS_OF, "en")
        assert len(case_files(data_dir)) == 1  # the same case, not a new one


async def test_a_case_opened_again_in_the_same_run_saves_every_answer(data_dir: Path, mini: pathways.RuleBase) -> None:
    # (saves used to be ordered by a counter kept per case id for the whole run: a case opened a
    # second time counted from 0 again, and its answers were skipped until it caught up)
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot, "Twice")
        for qid in ("kind", "made_in", "active"):
            await answer(pilot, DEVICE_III[qid])
        [path] = case_files(data_dir)
        await back_to_start(pilot)
        await open_listed(pilot, path.name)
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, WizardScreen) and app.screen.qid == "implant" and not app.screen.busy,
            "the case open again",
        )
        await answer(pilot, True)
        assert pathways.read_answers_file(path).answers == {
            **{q: DEVICE_III[q] for q in ("kind", "made_in", "active")},
            "implant": True,
        }


async def test_a_complete_case_resumes_on_its_checklist_and_ticks_are_saved(
    data_dir: Path, mini: pathways.RuleBase
) -> None:
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot)
        await walk(pilot, DEVICE_III)
        screen = await checklist(pilot)
        items = screen.query_one("#items")
        first = screen.outcome.items[0].id
        assert items.highlighted_option.id == first
        await send_keys(pilot, "space")  # tick the first item
        await pilot.click("#items")  # (focus stays on the list)
        await send_keys(pilot, "down", "space", "space")  # tick and untick the second
        await settle(pilot)
        assert app.session.case.ticked == [first]
        assert "1 of 4 done" in screen.query_one("#status-line").visual.plain
        [path] = case_files(data_dir)
        assert pathways.read_answers_file(path).case["ticked"] == [first]
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        start = await start_screen(pilot)
        assert "complete" in start.query_one("#cases").get_option(start.cases[0].key).prompt.plain
        await focus(pilot, start.query_one("#cases"))
        await send_keys(pilot, "enter")
        screen = await checklist(pilot)
        assert screen.outcome == pathways.evaluate(mini, DEVICE_III, AS_OF, "en")
        prompt = screen.query_one("#items").get_option(first).prompt.plain
        assert prompt.startswith("☑")


async def test_a_damaged_case_file_is_listed_as_it_is_and_the_app_stays_usable(
    data_dir: Path, mini: pathways.RuleBase
) -> None:
    good_app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with good_app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot, "Good")
        await answer(pilot, "food")
    cases = data_dir / "cases"
    (cases / "broken.yaml").write_text("rulebase: {id: mini\nanswers: [unclosed\n", encoding="utf-8")
    (cases / "wrong.yaml").write_text("just a string\n", encoding="utf-8")
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        start = await start_screen(pilot)
        assert [c.product for c in start.cases] == ["Good"]
        assert [u.key for u in start.unreadable] == ["broken.yaml", "wrong.yaml"]
        options = start.query_one("#cases")
        assert options.get_option("broken.yaml").disabled
        assert "line 2" in options.get_option("broken.yaml").prompt.plain  # where, and what
        assert "expected a mapping" in options.get_option("wrong.yaml").prompt.plain
        await new_case(pilot, "Still works")
        await answer(pilot, "device")
    assert len(case_files(data_dir)) == 4  # left as they were, for the user to fix
    assert (cases / "wrong.yaml").read_text(encoding="utf-8") == "just a string\n"
    assert len(CaseStore(data_dir).list_cases()[1]) == 2


async def test_a_case_of_another_rule_base_is_listed_but_not_resumable(
    data_dir: Path, mini: pathways.RuleBase, types_rb: pathways.RuleBase
) -> None:
    app = build_app(lang="en", as_of=AS_OF, rule_base=types_rb)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot, "Other")
        await answer(pilot, "device")
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        start = await start_screen(pilot)
        option = start.query_one("#cases").get_option(start.cases[0].key)
        assert option.disabled and "types 1" in option.prompt.plain


async def test_the_language_choice_is_remembered(data_dir: Path, mini: pathways.RuleBase) -> None:
    app = build_app(rule_base=mini, as_of=AS_OF)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_screen(pilot)
        assert app.lang == "en"  # LANG=C.UTF-8 in the tests
        await pilot.click("#lang-zh")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, StartScreen)
                and app.lang == "zh"
                and app.screen.query_one("#new").label.plain == "开始新案例"
            ),
            "the start screen in Chinese",
        )
    assert yaml.safe_load((data_dir / "config.yaml").read_text(encoding="utf-8"))["lang"] == "zh"
    app = build_app(rule_base=mini, as_of=AS_OF)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot)
        assert wizard(app).question_view.question.text == "类型"


async def test_the_saved_case_is_an_answers_file_for_pathways_checklist(
    data_dir: Path, mini: pathways.RuleBase
) -> None:
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot, "血糖仪")
        await walk(pilot, DEVICE_III)
        outcome = (await checklist(pilot)).outcome
    [path] = case_files(data_dir)
    result = CliRunner().invoke(
        cli, ["checklist", str(path), "--rules", str(mini.root), "--as-of", AS_OF.isoformat(), "--format", "md"]
    )
    assert result.exit_code == 0, result.output
    # the CLI reads the case's own details (product, date) from the file, as the wizard's export does
    case = pathways.CaseDetails.from_case_metadata(pathways.read_answers_file(path).case)
    assert case.product == "血糖仪"
    assert result.output == pathways.render(outcome, "md", case=case)


async def test_theme_toggle_is_remembered(data_dir: Path, mini: pathways.RuleBase) -> None:
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_screen(pilot)
        assert app.current_theme.dark
        app.action_toggle_dark()
        await settle(pilot)
        assert not app.current_theme.dark
    assert yaml.safe_load((data_dir / "config.yaml").read_text(encoding="utf-8"))["theme"] == "textual-light"
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_screen(pilot)
        assert app.theme == "textual-light"
