"""Traps a first-time user fell into (issue 17), each as that user met it.

The start screen with saved cases, renaming a case, the question at 80x24, the sidebar's
scrollbar, where exports go, what the case list says of a case with open questions, Chinese
punctuation and line breaks, links in the help pane, the checklist's status line and colours.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from textual.pilot import Pilot

import pathways
from pathways_tui.app import build_app
from pathways_tui.widgets.sidebar import AnswersSidebar

from .helpers import AS_OF, answer, answer_focused, new_case, wait_for, wizard

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEVICE = yaml.safe_load((EXAMPLES / "device_class_ii_tianjin.yaml").read_text(encoding="utf-8"))["answers"]


@pytest.fixture(scope="module")
def shipped() -> pathways.RuleBase:
    return pathways.load_rule_base()


def region_lines(app: Any, widget: Any) -> list[str]:
    """The terminal lines inside ``widget``'s content region, as a person sees them."""
    region = widget.scrollable_content_region
    strips = app.screen._compositor.render_strips()
    return [strips[y].crop(region.x, region.right).text for y in range(region.y, region.bottom)]


def unspaced(text: str) -> str:
    return "".join(text.split())


async def answer_until(pilot: Pilot[Any], answers: dict[str, Any], qid: str) -> None:
    app = pilot.app
    while wizard(app).qid != qid:
        await answer(pilot, answers[wizard(app).qid])
    await answer_focused(pilot)


# -- 3: the sidebar's last character -------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_sidebar_keeps_every_character_when_its_scrollbar_appears(lang: str,
                                                                            shipped: pathways.RuleBase) -> None:
    """Enough answers for the sidebar to scroll at 80x24: its text must not lose its last column
    (the options were drawn for the width before the scrollbar came and then cut)."""
    app = build_app(lang=lang, as_of=AS_OF, rule_base=shipped)
    async with app.run_test(size=(80, 24)) as pilot:
        await new_case(pilot, "Meter")
        await answer_until(pilot, DEVICE, "tj_priority_categories")
        sidebar = app.screen.query_one(AnswersSidebar)
        await wait_for(pilot, lambda: sidebar.max_scroll_y > 0, "the sidebar scrolling")
        sidebar.scroll_home(animate=False)
        await pilot.pause()
        shown = unspaced("".join(region_lines(app, sidebar)))
        session = app.session
        for qid in session.answered_in_order()[:2]:   # the options at the top, whole on screen
            assert unspaced(session.question(qid, lang).text) in shown
            assert unspaced(session.value_text(qid, lang)) in shown
