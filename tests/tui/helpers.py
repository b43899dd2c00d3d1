"""Driving the wizard as a person would: keys and clicks, never injected answers."""

from __future__ import annotations

import asyncio
import datetime as dt
import unicodedata
from pathlib import Path
from typing import Any

import yaml
from textual import events
from textual.keys import _character_to_key, _get_unicode_name_from_key
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from pathways_tui.app import PathwaysApp
from pathways_tui.screens.checklist import ChecklistScreen
from pathways_tui.screens.start import StartScreen
from pathways_tui.screens.wizard import WizardScreen
from pathways_tui.widgets.question import ChoiceList

AS_OF = dt.date(2026, 11, 24)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example_answers(name: str) -> dict[str, Any]:
    """The answers of ``examples/<name>.yaml``."""
    answers: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))["answers"]
    return answers


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until workers are done and the messages they caused are processed."""
    app = pilot.app
    for _ in range(100):
        await app.workers.wait_for_complete()
        await pilot._wait_for_screen()
        if not any(w.is_running for w in app.workers):
            await asyncio.sleep(0.005)
            await pilot._wait_for_screen()
            if not any(w.is_running for w in app.workers):
                return
    raise AssertionError("workers did not settle")


async def wait_for(pilot: Pilot[Any], condition: Any, what: str, timeout: float = 10.0) -> None:
    """Poll ``condition`` while the app runs (workers included)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if condition():
            return
        await asyncio.sleep(0.002)
    raise AssertionError(f"timed out waiting for {what}")


async def send_keys(pilot: Pilot[Any], *keys: str) -> None:
    """Press keys the way the terminal driver delivers them, as fast typing would.

    Keys that act through bindings (arrows, Enter, Space in a list, Ctrl+K...) travel from the
    focused widget up to the app before they act; printable keys act in the focused input at
    once. So before a printable key that follows a binding key this waits until every queue is
    empty (the order a person's typing is processed in); otherwise keys go out back to back.
    ``Pilot.press`` instead waits for CPU idle after every key (~65 ms a key here).
    """
    app = pilot.app
    driver = app._driver
    assert driver is not None
    after_binding_key = False
    for key in keys:
        char: str | None
        printable = len(key) == 1 and key != " "
        if printable and after_binding_key:
            await drain(pilot)
        if len(key) == 1:
            char = key
            if not key.isalnum():
                key = _character_to_key(key)
        else:
            try:
                char = unicodedata.lookup(_get_unicode_name_from_key(key))
            except KeyError:
                char = None
        event = events.Key(key, char)
        event.set_sender(app)
        driver.send_message(event)
        after_binding_key = not printable
    await drain(pilot)


async def drain(pilot: Pilot[Any]) -> None:
    """Wait until no message is pending anywhere on the screen or in the app (a key that bubbles
    up to the app's bindings hops from queue to queue, so one round is not enough)."""
    app = pilot.app
    quiet = 0
    for _ in range(200):
        await pilot._wait_for_screen()
        nodes = [app, *app.screen.walk_children(with_self=True)]
        if all(node._message_queue.empty() for node in nodes):
            quiet += 1
            if quiet >= 2:
                return
        else:
            quiet = 0


async def start_screen(pilot: Pilot[Any]) -> StartScreen:
    app = pilot.app
    await wait_for(
        pilot,
        lambda: (
            isinstance(app.screen, StartScreen)
            and app.backend is not None
            and not app.screen.query_one("#new").disabled
        ),
        "the start screen with the rule base loaded",
    )
    return app.screen  # type: ignore[return-value]


async def new_case(pilot: Pilot[Any], product: str = "", click: bool = False) -> WizardScreen:
    """On the start screen: type the product name, then start (Enter, or a click on the button)."""
    await start_screen(pilot)
    app = pilot.app
    if product:
        product_input = app.screen.query_one("#product", Input)
        if click:
            await pilot.pause()
            await pilot.click(product_input)
        else:
            await focus(pilot, product_input)
        await send_keys(pilot, *product)
        await wait_for(pilot, lambda: product_input.value == product, "the product name typed")
    if click:
        await pilot.pause()
        await pilot.click("#new")
    else:
        await send_keys(pilot, "enter" if product else "ctrl+n")
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, WizardScreen) and app.screen.question_view is not None and not app.screen.busy,
        "the first question",
    )
    return app.screen  # type: ignore[return-value]


async def focus(pilot: Pilot[Any], widget: Any) -> None:
    """Focus ``widget`` (as Tab or a click would) and wait until it has the focus."""
    widget.focus()
    await wait_for(pilot, lambda: pilot.app.focused is widget, f"{widget} focused")


async def answer_focused(pilot: Pilot[Any]) -> None:
    """Wait until the new question's input has the focus (focus moves after a refresh)."""
    app = pilot.app
    await wait_for(
        pilot,
        lambda: (
            isinstance(app.screen, WizardScreen)
            and app.screen.question_view is not None
            and app.focused is app.screen.question_view.answer_widget
        ),
        "the answer widget focused",
    )


def wizard(app: PathwaysApp) -> WizardScreen:
    screen = app.screen
    assert isinstance(screen, WizardScreen), f"expected the question screen, got {type(screen).__name__}"
    return screen


async def answer(pilot: Pilot[Any], value: Any, *, click: bool = False) -> None:
    """Answer the question on screen with ``value`` (answers-file form), through its widget."""
    app: PathwaysApp = pilot.app  # type: ignore[assignment]
    screen = wizard(app)
    view = screen.question_view
    assert view is not None
    question = view.question
    widget = view.answer_widget
    before = screen.shown
    if click:
        await pilot.pause()  # a click needs the layout of the new question
    else:
        await wait_for(pilot, lambda: app.focused is widget, "the answer widget focused")
    if value == "unknown":
        if click:
            await pilot.click("#dont-know")
        else:
            await send_keys(pilot, "ctrl+d")
    elif isinstance(widget, ChoiceList) and widget.multiple:
        wanted = set(value)
        keys: list[str] = []
        current = widget.highlighted or 0
        for index in range(widget.option_count):
            option_value = widget.get_option_at_index(index).id
            if (option_value in wanted) != (option_value in widget.selected):
                keys += ["down"] * (index - current) if index >= current else ["up"] * (current - index)
                keys.append("space")
                current = index
        await send_keys(pilot, *keys)
        await wait_for(
            pilot,
            lambda: set(widget.selected) == wanted,
            f"the options ticked ({keys} -> {widget.selected}, focus {app.focused})",
        )
        if click:
            await pilot.click("#next")
        else:
            await send_keys(pilot, "enter")
    elif isinstance(widget, ChoiceList):
        if question.type == "yes_no":
            target = "yes" if value is True else "no"
        else:
            target = str(value)
        index = widget.get_option_index(target)
        if click:
            widget.scroll_to_highlight()
            top = widget.styles.gutter.top  # (a border or padding above the options)
            await pilot.click(widget, offset=(4, top + index - widget.scroll_offset.y))
        else:
            current = widget.highlighted or 0
            keys = ["down"] * (index - current) if index >= current else ["up"] * (current - index)
            await send_keys(pilot, *keys, "enter")
    else:
        assert isinstance(widget, Input)
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        if widget.value:
            # editing keys go through the bindings (after the widget's queue), printable keys
            # straight into the input: clear first, then type
            await send_keys(pilot, "home", "ctrl+k")
            await wait_for(pilot, lambda: widget.value == "", "the input cleared")
        await send_keys(pilot, *text)
        await wait_for(pilot, lambda: widget.value == text, "the text typed")
        if click:
            await pilot.click("#next")
        else:
            await send_keys(pilot, "enter")
    await wait_for(
        pilot,
        lambda: (
            isinstance(app.screen, ChecklistScreen)
            or (isinstance(app.screen, WizardScreen) and not app.screen.busy and app.screen.shown > before)
        ),
        "the next question or the checklist",
    )


async def walk(pilot: Pilot[Any], answers: dict[str, Any], *, click: bool = False, limit: int = 60) -> list[str]:
    """Answer every question the wizard asks from ``answers`` until the checklist shows."""
    app: PathwaysApp = pilot.app  # type: ignore[assignment]
    asked: list[str] = []
    for _ in range(limit):
        if isinstance(app.screen, ChecklistScreen):
            await wait_for(pilot, lambda: app.screen.outcome is not None, "the checklist")  # type: ignore[union-attr]
            return asked
        screen = wizard(app)
        qid = screen.qid
        assert qid is not None
        assert qid in answers, f"the wizard asks {qid!r}, which the case does not answer (asked: {asked})"
        asked.append(qid)
        await answer(pilot, answers[qid], click=click)
    raise AssertionError(f"no checklist after {limit} answers: {asked}")


async def checklist(pilot: Pilot[Any]) -> ChecklistScreen:
    """The checklist screen, once its evaluation (a worker) has finished."""
    app = pilot.app
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, ChecklistScreen) and app.screen.outcome is not None,
        f"the checklist (on {type(app.screen).__name__})",
    )
    return app.screen  # type: ignore[return-value]


def grouped_ids(outcome: Any) -> list[str]:
    """Item ids in the order the renderers list them: by route (in route order), then by stage."""
    from pathways._document import build_document  # the exports' own order (numbered 1..n)

    return [item.id for item in build_document(outcome).items]


def shown_item_ids(screen: ChecklistScreen) -> list[str]:
    items = screen.query_one("#items", OptionList)
    ids = [items.get_option_at_index(i).id for i in range(items.option_count)]
    return [i for i in ids if i and not i.startswith("_")]


def screen_text(app: PathwaysApp) -> str:
    """All text of Static widgets on screen (for asserting what the user reads)."""
    parts = []
    for widget in app.screen.query(Static):
        visual = widget.visual
        parts.append(str(getattr(visual, "plain", visual)))
    return "\n".join(parts)


async def open_listed(pilot: Pilot[Any], key: str) -> None:
    """On the start screen: move to the saved case ``key`` (its file name) and press Enter."""
    start = await start_screen(pilot)
    cases = start.query_one("#cases", OptionList)
    await focus(pilot, cases)
    index = cases.get_option_index(key)
    for _ in range(cases.option_count):
        if cases.highlighted == index:
            break
        await send_keys(pilot, "down" if (cases.highlighted or 0) < index else "up")
    assert cases.highlighted == index, f"cannot reach {key!r} in the list"
    await send_keys(pilot, "enter")


async def back_to_start(pilot: Pilot[Any]) -> StartScreen:
    """Close the case and go back to the start screen (the palette's "Start screen"), run by the
    app itself: a screen made in the test's context would belong to whichever app ran last there."""
    app = pilot.app
    app.call_later(app.show_start)
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, StartScreen) and app.screen._mounted and app.session is None,
        "the start screen",
    )
    return await start_screen(pilot)


def notifications(app: PathwaysApp) -> list[str]:
    return [n.message for n in app._notifications]
