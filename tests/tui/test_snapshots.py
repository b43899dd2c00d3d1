"""SVG snapshots of the wizard's key screens: a question, the checklist, the detail pane.

The screens are reached as a person reaches them (real keys through the helpers), with the shipped
rule base, a fixed "today" (``AS_OF``) and an empty data directory (the autouse ``data_dir``
fixture). The start screen, the only screen that shows something of "now" (the saved cases' times)
or of the machine (the data directory's path), is never snapshotted. The cursor does not blink
(``no_cursor_blink`` in conftest.py) and NO_COLOR is unset there.

``snap_compare`` is synchronous (it runs the app itself): each test is a plain ``def`` that hands
an async ``run_before`` to it. The SVGs live in ``__snapshots__/test_snapshots/``. A rendering
change is accepted with ``pytest tests/tui/test_snapshots.py --snapshot-update`` after looking at
``snapshot_report.html`` (or at the new SVGs): never blindly. They depend on the exact textual,
rich and pytest-textual-snapshot versions pinned in pyproject.toml.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

import pathways
from pathways_tui.app import build_app
from pathways_tui.screens.checklist import ChecklistScreen
from pathways_tui.screens.wizard import WizardScreen
from pathways_tui.widgets.checklist import ChecklistList, ItemDetail

from .helpers import (
    AS_OF,
    answer,
    answer_focused,
    checklist,
    drain,
    example_answers,
    new_case,
    send_keys,
    settle,
    wait_for,
    walk,
)

DEVICE = example_answers("device_class_ii_tianjin")
PRODUCT = "Glucose meter"

# the first two answers of the device case: the wizard then asks the third (tianjin_zone), the
# sidebar lists both answers and the route preview shows the medical-device route
FIRST_TWO = {"product_kind": DEVICE["product_kind"], "made_in": DEVICE["made_in"]}


@pytest.fixture(scope="module")
def rule_base() -> pathways.RuleBase:
    return pathways.load_rule_base()


async def steady(pilot: Pilot[Any]) -> None:
    """Nothing left to change on screen: workers done, every queue empty, a refresh done."""
    await settle(pilot)
    await drain(pilot)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    await drain(pilot)


async def third_question(pilot: Pilot[Any]) -> None:
    app = pilot.app
    await new_case(pilot, PRODUCT)
    for qid, value in FIRST_TWO.items():
        assert app.screen.qid == qid  # type: ignore[attr-defined]
        await answer(pilot, value)
    screen = app.screen
    assert isinstance(screen, WizardScreen) and screen.qid == "tianjin_zone"
    await answer_focused(pilot)
    await wait_for(pilot, lambda: screen.query_one("#answers").option_count == 2, "both answers in the sidebar")
    await wait_for(pilot, lambda: bool(screen.query_one("#routes").routes), "a route in the preview")  # type: ignore[attr-defined]
    await steady(pilot)


async def device_checklist(pilot: Pilot[Any]) -> ChecklistScreen:
    app = pilot.app
    await new_case(pilot, PRODUCT)
    await walk(pilot, DEVICE)
    screen = await checklist(pilot)
    items = screen.query_one(ChecklistList)
    first = items.item_ids[0]
    await wait_for(
        pilot,
        lambda: app.focused is items and items.highlighted_option is not None and items.highlighted_option.id == first,
        "the first item highlighted in the focused list",
    )
    detail = screen.query_one(ItemDetail)
    await wait_for(pilot, lambda: detail.item is not None and detail.item.id == first, "the first item's detail")
    await steady(pilot)
    return screen


def test_question_screen_en(snap_compare: Any, rule_base: pathways.RuleBase) -> None:
    """The third question in English at 100x30: two answers in the sidebar, the route found so far."""
    app = build_app(lang="en", as_of=AS_OF, rule_base=rule_base)
    assert snap_compare(app, terminal_size=(100, 30), run_before=third_question)


def test_question_screen_zh(snap_compare: Any, rule_base: pathways.RuleBase) -> None:
    """The same question screen in Chinese (CJK text is two cells wide)."""
    app = build_app(lang="zh", as_of=AS_OF, rule_base=rule_base)
    assert snap_compare(app, terminal_size=(100, 30), run_before=third_question)


def test_question_screen_80x24(snap_compare: Any, rule_base: pathways.RuleBase) -> None:
    """The same question screen at 80x24, the smallest supported size."""
    app = build_app(lang="en", as_of=AS_OF, rule_base=rule_base)
    assert snap_compare(app, terminal_size=(80, 24), run_before=third_question)


# the longest question text of the shipped rule base (tests/tui/test_traps.py checks it is), and the
# answers of an imported AI device that lead the wizard to it
LONGEST = "foreign_data_sufficient"
TO_LONGEST = {
    "product_kind": "device",
    "made_in": "abroad",
    "device_category": "ai_software",
    "device_class_settled": "not_settled",
    "ai_algorithm_maturity": "low",
    "ai_assisted_decision": True,
    "clinical_exempt_catalogue": False,
    "clinical_same_variety": False,
    "clinical_foreign_data": ["overseas_trial"],
}


async def longest_question(pilot: Pilot[Any]) -> None:
    app = pilot.app
    await new_case(pilot, "CT AI")
    while app.screen.qid != LONGEST:  # type: ignore[attr-defined]
        await answer(pilot, TO_LONGEST[app.screen.qid])  # type: ignore[attr-defined]
    await answer_focused(pilot)
    await steady(pilot)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_longest_question_80x24(snap_compare: Any, rule_base: pathways.RuleBase, lang: str) -> None:
    """The longest question at 80x24: the question text (scrolling if need be), the options and
    the Back/Next/Don't-know row all in view; its legal sources below, links on lines of their own."""
    app = build_app(lang=lang, as_of=AS_OF, rule_base=rule_base)
    assert snap_compare(app, terminal_size=(80, 24), run_before=longest_question)


def test_checklist_first_item(snap_compare: Any, rule_base: pathways.RuleBase) -> None:
    """The checklist of the complete Class II device case at 120x36, the first item's detail."""
    app = build_app(lang="en", as_of=AS_OF, rule_base=rule_base)
    assert snap_compare(app, terminal_size=(120, 36), run_before=device_checklist)


def test_checklist_detail_after_moving_down(snap_compare: Any, rule_base: pathways.RuleBase) -> None:
    """Down in the list, then Tab into the detail pane and End: the second item's "why is this
    here" (the answers and derived facts behind it, its rule) and its legal sources."""

    async def second_item(pilot: Pilot[Any]) -> None:
        app = pilot.app
        screen = await device_checklist(pilot)
        items = screen.query_one(ChecklistList)
        second = items.item_ids[1]
        await send_keys(pilot, "down")
        detail = screen.query_one(ItemDetail)
        await wait_for(pilot, lambda: detail.item is not None and detail.item.id == second, "the second item's detail")
        await steady(pilot)  # the new text laid out (the pane's height to scroll in)
        await send_keys(pilot, "tab")
        await wait_for(pilot, lambda: app.focused is detail, "the detail pane focused")
        await send_keys(pilot, "end")
        # End scrolls with an animation: wait for its end, not for a time
        await wait_for(
            pilot,
            lambda: (
                detail.max_scroll_y > 0
                and detail.scroll_y == detail.max_scroll_y
                and not app.animator.is_being_animated(detail, "scroll_y")
            ),
            "the detail pane scrolled to its end",
        )
        await steady(pilot)

    app = build_app(lang="en", as_of=AS_OF, rule_base=rule_base)
    assert snap_compare(app, terminal_size=(120, 36), run_before=second_item)


def test_multi_question_with_a_tick(snap_compare: Any, rule_base: pathways.RuleBase) -> None:
    """A multi question (the device case's Tianjin priority categories) with one option ticked:
    the ticks, the cursor on the ticked option, the answers so far."""

    async def ticked(pilot: Pilot[Any]) -> None:
        app = pilot.app
        await new_case(pilot, PRODUCT)
        while app.screen.qid != "tj_priority_categories":  # type: ignore[attr-defined]
            await answer(pilot, DEVICE[app.screen.qid])  # type: ignore[attr-defined]
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        await answer_focused(pilot)
        choice = screen.query_one("#choice")
        index = choice.get_option_index("high_tech_area")  # type: ignore[attr-defined]
        await send_keys(pilot, *["down"] * index, "space")
        await wait_for(pilot, lambda: choice.selected == ["high_tech_area"], "the option ticked")  # type: ignore[attr-defined]
        await steady(pilot)

    app = build_app(lang="en", as_of=AS_OF, rule_base=rule_base)
    assert snap_compare(app, terminal_size=(100, 30), run_before=ticked)
