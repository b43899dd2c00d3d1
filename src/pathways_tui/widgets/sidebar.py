"""The answers so far: select one to go back to it. Answers no longer relevant are struck out."""

from __future__ import annotations

from typing import Self

from textual.content import Content
from textual.geometry import Region
from textual.widgets.option_list import Option

from ..i18n import t
from ..session import CaseSession
from .options import OptionList
from .text import Wrapped

__all__ = ["AnswersSidebar"]


class AnswersSidebar(OptionList):
    """One option per answered question (id = question id), in the order they were answered."""

    _appending = False  # while _append adds options (see refresh)

    def __init__(self, lang: str, *, id: str | None = "answers") -> None:
        super().__init__(id=id)
        self.lang = lang
        self.border_title = t(lang, "answers")
        self.struck: set[str] = set()
        self._shown: tuple[object, ...] | None = None

    def show(self, session: CaseSession, current: str | None) -> None:
        """Rebuild from the session (only if an answer changed); highlight ``current`` if answered."""
        lang = self.lang
        order = session.answered_in_order()
        ignored = session.ignored
        shown = tuple((q, repr(session.answers[q]), q in ignored) for q in order)
        if shown != self._shown:
            previous, self._shown = self._shown, shown
            self.struck = {q for q in order if q in ignored}
            if previous and not self.struck and shown[: len(previous)] == previous:
                # the usual step: one more answer at the end. Appending keeps the options already
                # drawn (the list caches their rendering), where a rebuild would draw them all again
                self._append([self._option(session, qid) for qid in order[len(previous) :]])
            else:
                self.set_options([self._option(session, qid) for qid in order])
                if not order:
                    self.add_option(Option(Content.styled(t(lang, "no_answers"), "dim"), id="_none", disabled=True))
                elif self.struck:
                    self.add_option(None)
                    self.add_option(
                        Option(Content.styled(t(lang, "struck_legend"), "dim italic"), id="_legend", disabled=True)
                    )
        self.highlighted = order.index(current) if current in order else None

    def _append(self, options: list[Option]) -> None:
        """Add ``options`` at the end and repaint only their lines.

        ``OptionList.add_options`` repaints the whole list: every line in view is drawn again
        (24 lines, 5 ms of each answer's 24 ms of drawing, measured at 120x40), though only the
        lines of the new option changed.
        """
        first = len(self._lines)
        self._appending = True
        try:
            self.add_options(options)
        finally:
            self._appending = False
        self.refresh_lines(first, max(len(self._lines) - first, 1))

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Self:
        if self._appending and not regions:
            # (add_options, and the virtual size it grows, ask for the whole list: _append repaints
            # the new lines only; a layout still happens, for the scrollbar)
            repaint = False
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _option(self, session: CaseSession, qid: str) -> Option:
        question = session.question(qid, self.lang)
        value = session.value_text(qid, self.lang)
        if qid in session.ignored:
            prompt = Content.assemble((question.text, "strike dim"), "\n", (value, "strike dim"))
        else:
            prompt = Content.assemble((question.text, "dim"), "\n", (value, "bold"))
        return Option(Wrapped(prompt), id=qid)
