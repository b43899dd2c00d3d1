"""What the wizard draws reaches the terminal: no frame is drawn and then thrown away (issue 17, item 4).

The blank-screen failure: on a busy machine the tmux tests saw the question pane (or the rule-base
error screen) stay blank while the Footer was painted. Textual 8.2.8 (pinned) draws a screen's
frame and then drops it when the app is inside a batch (``App._display`` writes nothing while
``_batch_count`` > 0), after the frame has used up what was waiting to be painted; nothing repaints
those parts until something else changes them. Batches are frequent here: the app's start-up runs in
one, and every Footer rebuild (``Widget.recompose``) is one. On a quiet machine a later refresh
usually covers the loss; under load the order of events differs and the parts stay blank.
``pathways_tui._textual_fixes`` keeps the frame for after the batch instead.

The app runs here with a driver that writes into a terminal emulator (pyte): the test reads what a
person would see, and counts the frames that Textual drew and dropped.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyte
import pytest
from textual.app import App
from textual.drivers.headless_driver import HeadlessDriver

import pathways
from pathways_tui.app import build_app
from pathways_tui.screens.dialogs import HelpScreen
from pathways_tui.screens.errors import RuleBaseErrorScreen
from pathways_tui.screens.wizard import WizardScreen
from pathways_tui.widgets.options import OptionList
from pathways_tui.widgets.question import HelpPanel
from pathways_tui.widgets.sidebar import AnswersSidebar

from ..conftest import FIXTURES
from .helpers import (
    AS_OF,
    answer,
    checklist,
    example_answers,
    new_case,
    send_keys,
    start_screen,
    wait_for,
    walk,
    wizard,
)

SIZE = (100, 30)


class TerminalDriver(HeadlessDriver):
    """Textual's output into a terminal emulator instead of nowhere: ``terminal`` is what is on screen."""

    terminal: pyte.Screen

    @property
    def is_headless(self) -> bool:
        return False  # (so that the app writes its frames)

    def write(self, data: str) -> None:
        TerminalDriver.stream.feed(data)


@pytest.fixture
def dropped(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The frames the app drew and did not write (drawn during a batch), by screen."""
    TerminalDriver.terminal = pyte.Screen(*SIZE)
    TerminalDriver.stream = pyte.Stream(TerminalDriver.terminal)
    lost: list[str] = []
    display = App._display

    def recording_display(app: App[Any], screen: Any, renderable: Any) -> None:
        if renderable is not None and app._batch_count:
            lost.append(type(screen).__name__)
        display(app, screen, renderable)

    monkeypatch.setattr(App, "_display", recording_display)
    yield lost


def on_terminal() -> str:
    return "\n".join(line.rstrip() for line in TerminalDriver.terminal.display)


def drawn(app: Any) -> str:
    """What the app's compositor holds for the screen now (what the terminal should show)."""
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips())


async def reaches_the_terminal(pilot: Any, *texts: str) -> None:
    """Wait until ``texts`` are on the terminal and it shows what the app drew, then one more moment:
    nothing may be left to paint once the app is idle."""
    app = pilot.app
    await wait_for(
        pilot,
        lambda: all(text in on_terminal() for text in texts),
        f"{texts} on the terminal; it shows:\n{on_terminal()}",
    )
    # an animation under way (a tab's underline slides for 0.3 s, started after the next refresh)
    # is frames still to come: compare once none runs, so that what is checked is that the last
    # frame reached the terminal
    for _ in range(100):
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.2)
        if not app.animator._animations:
            break
    assert on_terminal() == drawn(app), f"the terminal shows:\n{on_terminal()}\nthe app drew:\n{drawn(app)}"


def terminal_app(*args: Any, **kwargs: Any) -> Any:
    app = build_app(*args, **kwargs)
    app.driver_class = TerminalDriver
    return app


async def drawn_afresh(pilot: Any, *texts: str) -> str:
    """The terminal once every option list and the help pane are drawn from scratch (what was drawn
    bit by bit must look the same)."""
    screen = pilot.app.screen
    for options in screen.query(OptionList):
        options._clear_caches()
    for help_pane in screen.query(HelpPanel):
        help_pane._wrapped_at = None
        help_pane.on_resize()
    await reaches_the_terminal(pilot, *texts)
    return on_terminal()


async def test_the_rule_base_error_screen_reaches_the_terminal_whole(tmp_path: Path, dropped: list[str]) -> None:
    broken = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", broken)
    (broken / "base.yaml").write_text(
        (broken / "base.yaml").read_text(encoding="utf-8").replace("type: choice", "type: choise", 1), encoding="utf-8"
    )
    app = terminal_app(broken, lang="en")
    async with app.run_test(headless=False, size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RuleBaseErrorScreen), "the rule-base error screen")
        await reaches_the_terminal(pilot, "The rule base could not be loaded", "base.yaml:", "Quit")
    assert dropped == []


async def test_the_start_screen_and_the_questions_reach_the_terminal(
    dropped: list[str], mini: pathways.RuleBase
) -> None:
    app = terminal_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(headless=False, size=SIZE) as pilot:
        await start_screen(pilot)
        await reaches_the_terminal(pilot, "Rule base: Mini rule base", "Start a new case", "Quit")
        await new_case(pilot, "Meter")
        await reaches_the_terminal(pilot, "Question 1", "Kind", "Don't know")
        await answer(pilot, "device")
        assert wizard(app).qid == "made_in"
        await reaches_the_terminal(pilot, "Question 2", "Made in", "Kind")
        assert isinstance(app.screen, WizardScreen)
        # the checklist (its tabs switch in batches), the help (Markdown renders in batches)
        await walk(pilot, {"made_in": "abroad", "active": True, "implant": True, "features": []})
        screen = await checklist(pilot)
        await reaches_the_terminal(pilot, "Regulatory checklist", screen.outcome.items[0].title, "Export")
        await send_keys(pilot, "t")
        await reaches_the_terminal(pilot, "Statutory working days")
        await send_keys(pilot, "f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        await reaches_the_terminal(pilot, "pathways wizard", "Close")
    assert dropped == []


async def test_the_sidebar_draws_only_the_new_answer_and_the_terminal_shows_it_whole(dropped: list[str]) -> None:
    """An answer adds one option at the end of the sidebar: only its lines are drawn again (drawing
    the 20-odd lines already there was a fifth of each answer's drawing), and the terminal shows
    exactly what a sidebar drawn afresh shows, also once the answers overflow and it scrolls."""
    answers = example_answers("device_class_ii_tianjin")
    app = terminal_app(lang="en", as_of=AS_OF, rule_base=pathways.load_rule_base())
    async with app.run_test(headless=False, size=SIZE) as pilot:
        await new_case(pilot, "Meter")
        sidebar = app.screen.query_one(AnswersSidebar)
        drawn_lines: list[int] = []
        render_line = sidebar.render_line

        def counting_render_line(y: int) -> Any:
            drawn_lines.append(y)
            return render_line(y)

        sidebar.render_line = counting_render_line  # type: ignore[method-assign]  # (what the styles cache calls)
        appended = 0
        for number in range(1, 13):
            screen = wizard(app)
            qid = screen.qid
            assert qid is not None
            drawn_lines.clear()
            size = sidebar.size
            await answer(pilot, answers[qid])
            if not isinstance(app.screen, WizardScreen):
                break  # (the checklist: the case is complete)
            await reaches_the_terminal(pilot, f"Question {number + 1}")
            new_lines = sidebar._heights[sidebar.get_option_index(qid)]
            # (the first answer replaces the "no answers yet" line; a sidebar whose height changed,
            # as the routes below it grow or shrink, is drawn again whole)
            if number > 1 and sidebar.size == size:
                appended += 1
                assert len(drawn_lines) <= new_lines, f"answer {number}: drew sidebar lines {drawn_lines}"
            incremental = on_terminal()
            fresh = await drawn_afresh(pilot, f"Question {number + 1}")
            assert fresh == incremental, f"answer {number}: the terminal differs from a fresh drawing"
        assert sidebar.max_scroll_y > 0  # (the answers overflowed: the scrollbar came on the way)
        assert appended >= 6
    assert dropped == []


async def test_a_new_height_keeps_the_drawn_options_and_help_and_a_new_width_redraws_them(
    dropped: list[str], mini: pathways.RuleBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual's option lists drop every drawn option at any resize, and the help pane wrapped its
    text again: in the wizard the lists and the help pane change height with nearly every question,
    and each answer cost a second frame. Only a new width (how they are drawn) redraws them; either
    way the terminal shows what a fresh drawing shows."""
    dropped_options: list[str] = []
    clear_caches = OptionList._clear_caches
    wrapped: list[str] = []
    show_text = HelpPanel.show_text

    def counting_clear(self: OptionList) -> None:
        dropped_options.append(type(self).__name__)
        clear_caches(self)

    def counting_show_text(self: HelpPanel, selector: str, content: Any) -> None:
        wrapped.append(selector)
        show_text(self, selector, content)

    monkeypatch.setattr(OptionList, "_clear_caches", counting_clear)
    monkeypatch.setattr(HelpPanel, "show_text", counting_show_text)
    app = terminal_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(headless=False, size=SIZE) as pilot:
        await new_case(pilot, "Meter")
        await answer(pilot, "device")
        await reaches_the_terminal(pilot, "Question 2", "Made in")

        async def resize(width: int, height: int) -> str:
            dropped_options.clear()
            wrapped.clear()
            TerminalDriver.terminal.resize(lines=height, columns=width)
            await pilot.resize_terminal(width, height)
            await reaches_the_terminal(pilot, "Question 2", "Made in")
            return on_terminal()

        taller = await resize(SIZE[0], SIZE[1] + 6)
        assert dropped_options == [] and wrapped == []  # (the same width: nothing drawn anew)
        fresh = await drawn_afresh(pilot, "Question 2", "Made in")
        assert fresh == taller, "a new height: the terminal differs from a fresh drawing"

        await resize(SIZE[0] + 20, SIZE[1] + 6)
        assert "ChoiceList" in dropped_options and "AnswersSidebar" in dropped_options
        assert wrapped  # the help text wrapped for the new width
    assert dropped == []
