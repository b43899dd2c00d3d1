"""Textual's option list, drawing less: options appended without drawing the others again, and
drawn options kept when only the list's height changes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

from textual import events
from textual.geometry import Region
from textual.widgets import OptionList as TextualOptionList
from textual.widgets.option_list import Option

__all__ = ["OptionList"]


class OptionList(TextualOptionList):
    """Textual's ``OptionList``, minus two redraws (Textual 8.2.8, pinned; tests/tui/test_paint.py
    fails if either comes back).

    ``append_options``: ``add_options`` repaints every line in view, though only the new options'
    lines changed (in the wizard's answers sidebar: 24 lines, 5 of each answer's 24 ms of drawing,
    measured at 120x40).

    Resizing: Textual drops every option it has drawn, and draws the list again, whenever the
    list is resized. How an option is drawn depends on the list's width only, and in the wizard the
    answers sidebar and the question's options change height with nearly every question: every
    option was drawn again, in a frame after the question was on screen. Here the options are
    dropped only when the width changes (a scrollbar appearing narrows it too); the lines are
    repainted all the same when the size changes.
    """

    _drawn_width: int | None = None  # the content width the options were drawn for
    _appending = False  # while append_options adds options (see refresh)

    def append_options(self, options: Iterable[Option]) -> None:
        """Add ``options`` at the end and repaint only their lines."""
        first = len(self._lines)
        self._appending = True
        try:
            self.add_options(options)
        finally:
            self._appending = False
        self.refresh_lines(first, max(len(self._lines) - first, 1))

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Self:
        if self._appending and not regions:
            # (add_options, and the virtual size it grows, ask for the whole list: append_options
            # repaints the new lines only; a layout still happens, for the scrollbar)
            repaint = False
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def on_resize(self, event: events.Resize) -> None:
        # (runs before OptionList's _on_resize: Textual calls the handlers of a subclass first)
        width = self.scrollable_content_region.width
        if width == self._drawn_width:
            event.prevent_default()  # (OptionList's own handler would drop the options)
            return
        self._drawn_width = width
