"""What keeps answer -> next question fast: the prefetch gives way to the UI, and a new question is
painted as soon as the screen is idle. The timings themselves are in bench/wizard.py."""

from __future__ import annotations

import threading

from textual.app import App
from textual.screen import Screen

import pathways
from pathways_tui.app import build_app

from .helpers import AS_OF, answer, checklist, new_case, wait_for, walk, wizard

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
