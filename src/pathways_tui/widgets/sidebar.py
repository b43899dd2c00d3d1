"""The answers so far: select one to go back to it. Answers no longer relevant are struck out."""

from __future__ import annotations

from textual.content import Content
from textual.widgets.option_list import Option

from ..i18n import t
from ..session import CaseSession
from .options import OptionList
from .text import Wrapped

__all__ = ["AnswersSidebar"]


class AnswersSidebar(OptionList):
    """One option per answered question (id = question id), in the order they were answered."""

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
                # drawn, where a rebuild would draw them all again
                self.append_options([self._option(session, qid) for qid in order[len(previous) :]])
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

    def _option(self, session: CaseSession, qid: str) -> Option:
        question = session.question(qid, self.lang)
        value = session.value_text(qid, self.lang)
        if qid in session.ignored:
            prompt = Content.assemble((question.text, "strike dim"), "\n", (value, "strike dim"))
        else:
            prompt = Content.assemble((question.text, "dim"), "\n", (value, "bold"))
        return Option(Wrapped(prompt), id=qid)
