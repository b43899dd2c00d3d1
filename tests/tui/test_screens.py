"""Rule-base errors, layout at 80x24 and 200x60 in both languages, CJK alignment."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import pathways
from pathways_tui.app import build_app
from pathways_tui.screens.errors import RuleBaseErrorScreen
from pathways_tui.screens.wizard import WizardScreen

from ..conftest import FIXTURES
from .conftest import TYPES
from .helpers import AS_OF, answer, checklist, new_case, send_keys, wait_for, walk, wizard


def screen_lines(app) -> list[str]:
    """The terminal lines the app draws now (what a person sees, without colour)."""
    strips = app.screen._compositor.render_strips()
    assert all(strip.cell_length == app.size.width for strip in strips), "a line is not the screen's width"
    return [strip.text for strip in strips]


async def test_a_broken_rule_base_shows_file_and_line_not_a_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", broken)
    dev = broken / "routes" / "dev.yaml"
    dev.write_text(
        dev.read_text(encoding="utf-8").replace("when: {dev_class: I}", "when: {dev_clas: I}"), encoding="utf-8"
    )
    with pytest.raises(pathways.RuleBaseError) as caught:
        pathways.load_rule_base(broken)
    issue = caught.value.issues[0]
    app = build_app(broken, lang="en")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RuleBaseErrorScreen), "the rule-base error screen")
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "The rule base could not be loaded" in text
        assert f"{issue.file}:{issue.line}:{issue.column}: {issue.code}" in text
        assert "dev_clas" in text and "Traceback" not in text
        await send_keys(pilot, "q")
        await wait_for(pilot, lambda: not app.is_running, "the app to quit")
    assert app.rule_base_error == [str(i) for i in caught.value.issues]


@pytest.mark.parametrize("size", [(80, 24), (200, 60)], ids=["80x24", "200x60"])
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_layout_at_both_sizes_and_languages(
    size: tuple[int, int], lang: str, types_rb: pathways.RuleBase
) -> None:
    app = build_app(lang=lang, as_of=AS_OF, rule_base=types_rb)
    async with app.run_test(size=size) as pilot:
        await new_case(pilot, "血糖仪 Meter")
        screen = wizard(app)
        assert screen.has_class("-wide") == (size[0] >= 140)
        await pilot.pause()
        lines = screen_lines(app)  # every line exactly the screen's width
        text = "\n".join(lines)
        question = screen.question_view.question
        assert question.text in text
        for option in question.options:
            assert option.label in text
        assert ("下一步" if lang == "zh" else "Next") in lines[-1]  # the Footer
        await answer(pilot, "device")
        await answer(pilot, 12)
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert ("人" if lang == "zh" else "people") in text  # the unit beside the number
        await walk(pilot, {"founded": "2010-05-01", "contact": "张三", "markets": ["hk"]})
        screen = await checklist(pilot)
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        title = next(i.title for i in screen.outcome.items)
        assert title in text
        assert ("法规准入清单" if lang == "zh" else "Regulatory checklist") in text


async def test_chinese_walk_with_typed_chinese_text(types_rb: pathways.RuleBase) -> None:
    answers = {"kind": "food", "staff": 3, "founded": "2021-01-01", "contact": "王小明", "markets": []}
    app = build_app(lang="zh", as_of=AS_OF, rule_base=types_rb)
    async with app.run_test(size=(80, 24)) as pilot:
        await new_case(pilot, "营养粉")
        await walk(pilot, answers)
        outcome = (await checklist(pilot)).outcome
        assert app.session.answers == answers
        assert outcome == pathways.evaluate(types_rb, answers, AS_OF, "zh")
        await send_keys(pilot, "escape")
        await wait_for(pilot, lambda: isinstance(app.screen, WizardScreen), "back on the questions")
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "王小明" in text  # in the answers sidebar


def test_types_fixture_is_sane() -> None:
    rb = pathways.load_rule_base(TYPES)
    assert [q.model.type for q in rb.questions.values()] == ["choice", "number", "date", "text", "multi"]
