"""The wizard's screen in Textual's own widgets, without pathways: what Textual itself costs an answer.

    .venv/bin/python bench/wizard_floor.py STEPS.json [--tuned]   (run by ``wizard.py``; prints JSON)

``wizard.py`` records, for every answer of its walk, what the wizard showed next: the question box's
title, the question, hint and note, the options (or an entry field), the help text, the routes, the
answers list and the progress. This script replays those steps in a fresh interpreter: no engine,
no planner, no autosave, no wizard code. The screen has the wizard's layout and styles (the same
ids, borders, sizes and 120x40 cells) built from Textual's own widgets (Static, OptionList, Input,
Button, ProgressBar, Footer), and each Enter puts the next step's texts into them and gives the
answer widget the focus, as the wizard does. The clock runs as in ``wizard.py``: from the Enter to
the first screen update after the step is in the widgets, after the same reading time (``think``
in STEPS.json). What differs from the wizard's screen: no bold or dim styles in the lists, Textual's
own wrapping (the wizard wraps Chinese text itself; the walk is in English), and a question box of
its content's height, where the wizard sizes it to fit its question.

Two variants, both run by ``wizard.py`` after its walk:

- stock: Textual as installed, CPython's collector as it is (imports Textual only);
- ``--tuned``: with what the wizard does to Textual and the collector
  (``pathways_tui._textual_fixes`` and ``pathways_tui._gc.IdleCollector``: strips that make their
  caches when first used; full and middle-generation collections in pauses and at a case's end,
  what start-up built frozen).

The tuned variant's times are the floor under the wizard's answer -> next question on this screen:
what is left once the pathways code is taken away. Their ratio to the wizard's, from the same run,
says how much of an answer's time is ours, and (unlike either figure alone) hardly moves with
this VM's speed from day to day.

Like the wizard, the replay paints as soon as its refresh requests have reached the screen
(``_on_idle``), not at the next 60 Hz tick, or it would be up to 16.7 ms slower than it need be.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, OptionList, ProgressBar, Static

# (wizard.py imports no pathways code at its top; its clock and its key are the ones the walk uses)
from wizard import _send as send_key, first_paint_after

# The wizard's styles (src/pathways_tui/app.tcss and screens/wizard.tcss) for the widgets the floor
# has; the question box holds its content's height here (the wizard sizes it to fit the question).
CSS = """
#title-bar { height: 1; padding: 0 1; background: $primary; color: $text; text-style: bold; }
Button { margin: 0 1 0 0; }
OptionList { scrollbar-size-vertical: 1; scrollbar-size-horizontal: 0; scrollbar-gutter: stable; }
VerticalScroll { scrollbar-size-vertical: 1; }
* { border-title-color: $text-muted; }
*:focus { border-title-color: $text; }
#body { height: 1fr; }
#side { width: 30%; min-width: 24; max-width: 48; }
#answers { height: 1fr; border: round $primary-muted; border-title-color: $text; }
#answers:focus { border: round $primary; }
#routes { height: auto; max-height: 40%; border: round $primary-muted; padding: 0 1; }
#main { width: 1fr; }
#question-box { height: auto; max-height: 70%; min-height: 8; border: round $primary; padding: 0 1; }
#help-panel { height: 1fr; min-height: 5; border: round $primary-muted; padding: 0 1; }
#progress { height: 1; padding: 0 1; }
#progress-text { width: auto; margin-right: 2; }
#progress ProgressBar { width: 1fr; }
#progress ProgressBar Bar { width: 1fr; }
#q-scroll { height: auto; }
#q-text { text-style: bold; }
#q-hint { color: $text-muted; margin-bottom: 1; }
#choice { height: auto; border-top: none; border-bottom: none; }
#entry-row { height: auto; }
#entry { width: 30; }
#q-buttons { height: auto; }
"""


class FloorScreen(Screen[None]):
    BINDINGS = [
        Binding("enter", "next", "Next", priority=True),
        Binding("escape", "back", "Back", key_display="esc"),
        Binding("ctrl+d", "next", "Don't know", priority=True),
        Binding("ctrl+l", "checklist", "Checklist"),
        Binding("f1", "help", "Help", key_display="F1"),
    ]

    def __init__(self, steps: list[dict[str, Any]]) -> None:
        super().__init__()
        self.steps = steps
        self.index = -1
        self.shown = 0
        self.paint_pending = False
        self.answers_shown = 0
        self.shown_at = 0.0

    def compose(self) -> ComposeResult:
        yield Static("pathways  |  floor", id="title-bar", markup=False)
        with Horizontal(id="body"):
            with Vertical(id="side"):
                yield OptionList(id="answers")
                yield Static("", id="routes", markup=False)
            with Vertical(id="main"):
                with Vertical(id="question-box"):
                    with VerticalScroll(id="q-scroll"):
                        yield Static("", id="q-text", markup=False)
                        yield Static("", id="q-hint", markup=False)
                        yield Static("", id="q-note", markup=False)
                    yield OptionList(id="choice")
                    with Horizontal(id="entry-row"):
                        yield Input(id="entry")
                    with Horizontal(id="q-buttons"):
                        yield Button("Don't know", id="dont-know", compact=True)
                        yield Button("< Back", compact=True)
                        yield Button("Next >", variant="primary", compact=True)
                with VerticalScroll(id="help-panel"):
                    yield Static("", id="help-text", markup=False)
        with Horizontal(id="progress"):
            yield Label("", id="progress-text", markup=False)
            yield ProgressBar(total=1, show_eta=False, show_percentage=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#routes").border_title = "Routes"
        self.query_one("#answers").border_title = "Answers"
        self.query_one("#help-panel").border_title = "Help"

    def show_step(self, index: int) -> None:
        step = self.steps[index]
        self.index = index
        self.query_one("#question-box").border_title = step["title"]
        self.query_one("#q-text", Static).update(step["text"])
        self.query_one("#q-hint", Static).update(step["hint"])
        note = self.query_one("#q-note", Static)
        note.update(step["note"])
        note.display = bool(step["note"])
        self.query_one("#dont-know").display = step["dont_know"]
        choice = self.query_one("#choice", OptionList)
        listed = step["options"] is not None
        choice.display = listed
        self.query_one("#entry-row").display = not listed
        if listed:
            choice.clear_options()
            choice.add_options([Content(option) for option in step["options"]])
            choice.highlighted = 0
        # the answer takes the focus, as in the wizard (a no-op from one list question to the next)
        (choice if listed else self.query_one("#entry", Input)).focus(scroll_visible=False)
        self.query_one("#help-text", Static).update(step["help"])
        self.query_one("#help-panel", VerticalScroll).scroll_home(animate=False)
        self.query_one("#routes", Static).update(step["routes"])
        answers = self.query_one("#answers", OptionList)
        entries = step["answers"]
        if len(entries) < self.answers_shown:
            answers.clear_options()
            self.answers_shown = 0
        answers.add_options([Content(f"{q}\n{v}") for q, v in entries[self.answers_shown :]])
        self.answers_shown = len(entries)
        answers.highlighted = None
        self.query_one("#progress-text", Label).update(step["progress_text"])
        self.query_one(ProgressBar).update(total=step["progress_total"], progress=step["progress"])
        self.shown += 1
        self.shown_at = time.perf_counter()
        self.paint_pending = True

    def action_next(self) -> None:
        if self.index + 1 < len(self.steps):
            self.show_step(self.index + 1)

    # (the wizard's other keys, so that the Footer shows the same bindings; nothing to do here)
    def action_back(self) -> None:
        pass

    def action_checklist(self) -> None:
        pass

    def action_help(self) -> None:
        pass

    def _compositor_refresh(self) -> None:
        super()._compositor_refresh()
        PAINTS.append(time.perf_counter())
        self.paint_pending = False

    async def _on_idle(self, event: events.Idle) -> None:
        # as WizardScreen._on_idle: paint once the step's refresh requests are in (Textual 8.2.8)
        if self.paint_pending and (self._layout_required or self._dirty_widgets or self._repaint_required):
            self._on_timer_update()
        await super()._on_idle(event)


PAINTS: list[float] = []


class FloorApp(App[None]):
    CSS = CSS

    def __init__(self, steps: list[dict[str, Any]], collector: Any = None) -> None:
        super().__init__()
        self.steps = steps
        self.collector = collector  # (tuned: pathways_tui._gc.IdleCollector, run as the wizard runs it)

    async def on_event(self, event: events.Event) -> None:
        if self.collector is not None and isinstance(event, events.Key):
            self.collector.user_input()
        await super().on_event(event)

    def on_mount(self) -> None:
        if self.collector is not None:
            self.collector.start()
            self.set_interval(self.collector.TICK, self.collector.tick)
            self.collector.rules_ready()  # (the wizard freezes what it holds once its rules are loaded)
        self.push_screen(FloorScreen(self.steps))

    def on_unmount(self) -> None:
        if self.collector is not None:
            self.collector.stop()


async def replay(
    steps: list[dict[str, Any]], size: tuple[int, int], tuned: bool = False, think: float = 0.0
) -> list[float | None]:
    """Milliseconds from the Enter to the step painted, per step (None for a case's first step)."""
    collector = None
    if tuned:
        from pathways_tui import _textual_fixes
        from pathways_tui._gc import IdleCollector

        _textual_fixes.apply()
        collector = IdleCollector()
    app = FloorApp(steps, collector)
    times: list[float | None] = []
    async with app.run_test(size=size) as pilot:
        while not isinstance(app.screen, FloorScreen):
            await pilot.pause()
        screen = app.screen
        for index, step in enumerate(steps):
            if step["first"]:  # a new case: shown untimed, as the wizard's start of a case is
                if app.collector is not None:
                    app.collector.collect()  # (the wizard collects when a case ends)
                screen.index = index - 1
                screen.show_step(index)
                await first_paint_after(PAINTS, screen.shown_at)
                times.append(None)
                continue
            if think:
                await asyncio.sleep(think)  # (as wizard.py --think: the reading time before the answer)
            before = screen.shown
            t0 = time.perf_counter()
            send_key(app, "enter")
            while screen.shown == before:
                await asyncio.sleep(0.0005)
            times.append((await first_paint_after(PAINTS, screen.shown_at) - t0) * 1000)
    return times


def main() -> None:
    data = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    tuned = "--tuned" in sys.argv[2:]
    times = asyncio.run(replay(data["steps"], tuple(data["size"]), tuned, data.get("think", 0.0)))
    print(json.dumps({"ms": times}))


if __name__ == "__main__":
    main()
