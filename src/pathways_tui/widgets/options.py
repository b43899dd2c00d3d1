"""An option list that keeps its drawn options when only its height changes."""

from __future__ import annotations

from textual import events
from textual.widgets import OptionList as TextualOptionList

__all__ = ["OptionList"]


class OptionList(TextualOptionList):
    """Textual's ``OptionList``, minus a redraw at every resize.

    Textual 8.2.8 (pinned) drops every option it has drawn, and draws the list again, whenever the
    list is resized. How an option is drawn depends on the list's width only, and in the wizard the
    answers sidebar and the question's options change height with nearly every question: every
    option was drawn again, in a frame after the question was on screen. Here the options are
    dropped only when the width changes (a scrollbar appearing narrows it too); the lines are
    repainted all the same when the size changes.
    """

    _drawn_width: int | None = None  # the content width the options were drawn for

    def on_resize(self, event: events.Resize) -> None:
        # (runs before OptionList's _on_resize: Textual calls the handlers of a subclass first)
        width = self.scrollable_content_region.width
        if width == self._drawn_width:
            event.prevent_default()  # (OptionList's own handler would drop the options)
            return
        self._drawn_width = width
