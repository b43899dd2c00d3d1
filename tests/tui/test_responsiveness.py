"""What keeps answer -> next question fast: the prefetch gives way to the UI, a new question is
painted as soon as the screen is idle, and nothing is painted between an answer and its next
question. The timings themselves are in bench/wizard.py."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from textual.app import App
from textual.screen import Screen

import pathways
from pathways_tui.app import build_app

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


class Gate:
    """The planner's engine calls wait until the test opens the gate (in the engine thread)."""

    def __init__(self, backend: Any) -> None:
        self.opened = threading.Event()
        inner = backend.next_question

        def next_question(*args: Any, **kwargs: Any) -> Any:
            self.opened.wait(60)  # (the tests open it well before; a test that fails must not hang)
            return inner(*args, **kwargs)

        backend.next_question = next_question


def record_frames(app: App[Any]) -> list[tuple[str, bool]]:
    """The frames that reach the terminal, as (screen, planner at work) each."""
    frames: list[tuple[str, bool]] = []
    display = app._display

    def recording(screen: Screen[Any], renderable: Any) -> None:
        if renderable is not None and not app._batch_count:  # (App._display draws nothing in a batch)
            frames.append((type(screen).__name__, bool(getattr(screen, "busy", False))))
        display(screen, renderable)

    app._display = recording  # type: ignore[method-assign]
    return frames


async def _answer_and_wait_for_the_planner(pilot: Any, hold: float) -> tuple[Any, Gate, list[tuple[str, bool]]]:
    """A case started; the first question answered (Enter) while the planner is held at the gate."""
    app = pilot.app
    screen = await new_case(pilot)
    await answer_focused(pilot)
    screen.HOLD_PAINT = hold
    gate = Gate(screen.session.backend)
    app.planner.forget()  # (no next step worked out in advance: the answer waits for the engine)
    frames = record_frames(app)
    await send_keys(pilot, "enter")
    await wait_for(pilot, lambda: screen.busy, "the planner at work")
    return screen, gate, frames


async def test_nothing_is_painted_while_an_answer_waits_for_its_next_question(mini: pathways.RuleBase) -> None:
    # the moment between (the keys greyed out) is not drawn: the next question is, once
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        screen, gate, frames = await _answer_and_wait_for_the_planner(pilot, hold=30.0)  # any machine's speed
        await asyncio.sleep(0.3)  # some 18 ticks of the screen's 60 Hz updates
        # (a frame drawn before the answer was taken shows what the keys did: not the wait)
        assert ("WizardScreen", True) not in frames
        gate.opened.set()
        await wait_for(pilot, lambda: screen.shown >= 2 and not screen.busy, "the second question")
        await wait_for(pilot, lambda: not screen._paint_pending, "the second question painted")
        assert ("WizardScreen", True) not in frames and frames[-1] == ("WizardScreen", False)
        assert app._batch_count == 0


async def test_a_long_wait_for_the_next_question_is_painted(mini: pathways.RuleBase) -> None:
    # after HOLD_PAINT the screen shows that it is working (Next and Back greyed out)
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        screen, gate, frames = await _answer_and_wait_for_the_planner(pilot, hold=0.05)
        await wait_for(pilot, lambda: ("WizardScreen", True) in frames, "the wait painted")
        assert app._batch_count == 0
        gate.opened.set()
        await wait_for(pilot, lambda: screen.shown >= 2 and not screen.busy, "the second question")
        await wait_for(pilot, lambda: frames[-1] == ("WizardScreen", False), "the second question painted")


async def test_a_screen_opened_during_the_wait_is_painted_at_once(mini: pathways.RuleBase) -> None:
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        screen, gate, frames = await _answer_and_wait_for_the_planner(pilot, hold=30.0)
        await send_keys(pilot, "f1")
        await wait_for(pilot, lambda: any(name == "HelpScreen" for name, _ in frames), "the help painted", timeout=5)
        assert app._batch_count == 0
        gate.opened.set()
        await wait_for(pilot, lambda: screen.shown >= 2 and not screen.busy, "the second question")
        await send_keys(pilot, "escape")
        await wait_for(pilot, lambda: frames[-1] == ("WizardScreen", False), "the second question painted")
