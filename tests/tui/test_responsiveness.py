"""What keeps answer -> next question fast: the prefetch gives way to the UI, and a new question is
painted as soon as the screen is idle. The timings themselves are in bench/wizard.py."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from textual.app import App
from textual.screen import Screen
from textual.widgets._footer import FooterKey

import pathways
from pathways_tui.app import PathwaysApp, build_app
from pathways_tui.screens.wizard import WizardScreen

from .helpers import AS_OF, answer, answer_focused, checklist, new_case, send_keys, wait_for, walk, wizard

DEVICE = {"kind": "device", "made_in": "tianjin", "active": False, "features": ["sterile"]}


class RecordingEvent(threading.Event):
    """``ui_idle`` with a log of its changes and what was on screen at each."""

    def __init__(self, app: object) -> None:
        super().__init__()
        self.app = app
        self.log: list[tuple[str, int, bool]] = []  # (change, questions shown, planner running)

    def _state(self) -> tuple[int, bool]:
        screen = getattr(self.app, "screen", None)
        return getattr(screen, "shown", -1), bool(getattr(screen, "busy", False))

    def clear(self) -> None:
        self.log.append(("clear", *self._state()))
        super().clear()

    def set(self) -> None:
        self.log.append(("set", *self._state()))
        super().set()


async def test_background_work_waits_from_each_answer_to_the_next_question(mini: pathways.RuleBase) -> None:
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot)
        idle = app.planner.ui_idle = RecordingEvent(app)
        idle.set()
        idle.log.clear()
        asked = await walk(pilot, DEVICE)
        screen = await checklist(pilot)
        assert screen.outcome == pathways.evaluate(mini, {q: DEVICE[q] for q in asked}, AS_OF, "en")
        clears = [i for i, (what, *_) in enumerate(idle.log) if what == "clear"]
        assert len(clears) == len(asked)  # one per answer
        for i in clears:
            # released by the next change: once the next question is up, or while the UI only
            # waits for the planner, or (the last answer) when the checklist opens
            what, shown, planning = idle.log[i + 1]
            assert what == "set"
            assert shown > idle.log[i][1] or planning or i == clears[-1]
        assert idle.is_set()  # never left held


async def test_a_new_question_is_painted_when_the_screen_is_idle(mini: pathways.RuleBase) -> None:
    # the Textual 8.2.8 internals WizardScreen relies on to paint without waiting for a frame tick
    assert callable(getattr(Screen, "_on_timer_update", None))
    assert callable(getattr(Screen, "_on_idle", None))
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    assert isinstance(app, App)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot)
        screen = wizard(app)
        for name in ("_layout_required", "_repaint_required", "_dirty_widgets"):
            assert hasattr(screen, name), name
        assert isinstance(app._batch_count, int)
        await answer(pilot, DEVICE["kind"])
        await wait_for(pilot, lambda: screen.shown >= 2 and not screen.busy, "the second question")
        await pilot.pause()
        assert screen.shown >= 2 and not screen._paint_pending


def _greyed(screen: Screen[object]) -> set[str]:
    """The actions the Footer shows greyed out."""
    return {key.action for key in screen.query(FooterKey) if key.has_class("-disabled")}


def _hold_planner(app: PathwaysApp, monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Make every answer wait for the planner until the returned event is set (nothing is worked
    out in advance, so each answer asks the planner)."""
    release = asyncio.Event()
    planned = app.planner.next_step

    async def held(*args: Any) -> Any:
        await release.wait()
        return await planned(*args)

    monkeypatch.setattr(app.planner, "next_step", held)
    monkeypatch.setattr(app.planner, "ready", lambda *args: None)
    return release


async def test_the_keys_grey_out_only_when_the_planner_takes_a_while(
    mini: pathways.RuleBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the planner works, Back, Don't know and Checklist refuse to act at once, but the Footer
    greys them out only after ``BUSY_SHOWN_AFTER``: an answer typed ahead takes milliseconds, and
    greying the keys for that long made them flicker at every answer (and restyled each key twice)."""
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await new_case(pilot)
        release = _hold_planner(app, monkeypatch)
        monkeypatch.setattr(WizardScreen, "BUSY_SHOWN_AFTER", 3600.0, raising=False)  # not within this test
        # the first question: nothing to go back to
        await wait_for(pilot, lambda: _greyed(screen) == {"back"}, "the first question's keys")
        # (an Enter before the focus reaches the options answers too, and the focus arriving during
        # the wait makes Textual refresh the Footer, greyed keys included: seen once in a full run)
        await answer_focused(pilot)
        await send_keys(pilot, "enter")  # answers the first question: the planner is held
        await wait_for(pilot, lambda: screen.busy, "the planner at work")
        await send_keys(pilot, "ctrl+l", "ctrl+d")  # refused while busy
        for _ in range(3):
            await pilot.pause()
        assert screen.busy and app.screen is screen and screen.shown == 1
        assert _greyed(screen) == {"back"}  # a short wait: no flicker
        release.set()
        await wait_for(pilot, lambda: screen.shown == 2 and not screen.busy, "the second question")
        await pilot.pause()
        assert not {"back", "checklist"} & _greyed(screen)

        release.clear()
        monkeypatch.setattr(WizardScreen, "BUSY_SHOWN_AFTER", 0.01, raising=False)  # a long wait: greyed out
        await answer_focused(pilot)
        await send_keys(pilot, "enter")
        await wait_for(pilot, lambda: {"back", "checklist"} <= _greyed(screen), "the keys greyed out")
        assert screen.busy
        release.set()
        await wait_for(pilot, lambda: screen.shown == 3 and not screen.busy, "the third question")
        await wait_for(pilot, lambda: "back" not in _greyed(screen), "the keys usable again")


async def test_the_answer_is_saved_before_the_planner_works_and_its_progress_once_painted(
    mini: pathways.RuleBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A killed terminal loses no answer: it is on disk before the planner starts. The progress that
    goes with it (the saved-cases list) is written once the next question is painted, so that the
    write does not hold the question up."""
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await new_case(pilot)
        release = _hold_planner(app, monkeypatch)
        first = screen.qid
        await send_keys(pilot, "enter")
        await wait_for(pilot, lambda: screen.busy, "the planner at work")
        session = screen.session
        assert session.case.path is not None
        saved = pathways.read_answers_file(session.case.path)
        assert list(saved.answers) == [first] and saved.case["progress"]["answered"] == 0
        release.set()
        await wait_for(pilot, lambda: screen.shown == 2 and not screen.busy, "the second question")
        await wait_for(pilot, lambda: not screen._paint_pending, "the second question painted")
        saved = pathways.read_answers_file(session.case.path)
        assert session.step is not None and saved.case["progress"]["answered"] == session.step.progress.answered == 1
        assert saved.case["progress"]["remaining_at_most"] == session.step.progress.remaining_at_most
