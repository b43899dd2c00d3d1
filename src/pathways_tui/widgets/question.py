"""The current question: its text, the input its type calls for, validation, and the help beside it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static
from textual.widgets.option_list import Option

from pathways import MAX_TEXT, QuestionOut

from ..format import cite_text, display_value
from ..i18n import bullet, colon, localize_bindings, t
from .options import OptionList
from .text import TextPane, Wrapped

__all__ = ["AnswerInput", "ChoiceList", "HelpPanel", "QuestionView", "Reading"]


TALL_LIST_ROWS = 20  # the option list's largest height on tall terminals
LIST_ROWS = 6  # rows the options keep however long the question (several options stay in view)
TEXT_ROWS = 3  # rows the question text keeps however many options there are (it scrolls)
BOX_SHARE = 0.7  # on tall terminals, the question box's largest share of its column


class ChoiceList(OptionList):
    """The options of a yes/no, choice or multi question: one list for all three.

    One answer (``multiple`` False): Enter or a click answers with the option under the cursor
    (``OptionList.OptionSelected``). Any number (``multiple`` True): Space or a click ticks and
    unticks (``SelectedChanged``), Enter answers with the ticked options (``Submitted``). One
    widget rather than an OptionList and a SelectionList: going from a choice question to a multi
    question then changes no focus and shows or hides nothing, which cost 10-15 ms an answer.
    """

    BINDINGS = [
        Binding("enter", "answer", "Next"),
        Binding("space", "toggle", "Tick", show=False),
    ]

    class SelectedChanged(Message):
        """An option was ticked or unticked."""

    class Submitted(Message):
        """Enter on a multi question: the ticked options (in option order) are the answer."""

        def __init__(self, selected: list[str]) -> None:
            super().__init__()
            self.selected = selected

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.multiple = False
        self._labels: list[Content] = []
        self._ticked: set[str] = set()

    def show_options(
        self,
        options: list[tuple[str, Content]],
        *,
        multiple: bool,
        ticked: set[str] | None = None,
        highlighted: int = 0,
    ) -> None:
        """Put ``options`` (id, label) in the list; ``ticked``: the ones ticked (multi questions)."""
        self.multiple = multiple
        self._labels = [label for _, label in options]
        self._ticked = set(ticked or ()) if multiple else set()
        self.set_options([Option(self._prompt(i, oid), id=oid) for i, (oid, _) in enumerate(options)])
        self.highlighted = highlighted if options else None
        self.scroll_to_highlight()

    @property
    def selected(self) -> list[str]:
        """The ticked options' ids, in option order (multi questions)."""
        return [o.id for o in self.options if o.id in self._ticked]

    def _prompt(self, index: int, option_id: str) -> Wrapped:
        label = self._labels[index]
        if not self.multiple:
            return Wrapped(label)
        mark = Content.styled("[x] ", "bold $success") if option_id in self._ticked else Content("[ ] ")
        return Wrapped(Content.assemble(mark, label))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle":
            return self.multiple
        return True

    def action_answer(self) -> None:
        if self.multiple:
            self.post_message(self.Submitted(self.selected))
        else:
            self.action_select()

    def action_select(self) -> None:
        # (also what a click does) a multi question ticks; a single answer is given
        if self.multiple:
            self.action_toggle()
        else:
            super().action_select()

    def action_toggle(self) -> None:  # type: ignore[override]  # space ticks; not DOMNode's attribute toggle
        # at once, not through a posted message: a Down typed right after Space must not move the
        # cursor first and tick the option below
        index = self.highlighted
        if not self.multiple or index is None:
            return
        option = self.get_option_at_index(index)
        if option.disabled or option.id is None:
            return
        self._ticked ^= {option.id}
        self.replace_option_prompt_at_index(index, self._prompt(index, option.id))
        self.post_message(self.SelectedChanged())


class AnswerInput(Input):
    """Numbers, dates and text. Enter answers; it is greyed out in the Footer while the value is invalid."""

    # the action is named as ChoiceList's Enter: the Footer then shows the same keys whichever of
    # the two has the focus, and going from a list question to an input question does not rebuild
    # it (a rebuild is a batch, and the whole screen is drawn again after a batch)
    BINDINGS = [Binding("enter", "answer", "Next")]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "answer":
            view = next((a for a in self.ancestors if isinstance(a, QuestionView)), None)
            return True if view is None or view.read().ok else None
        return True

    async def action_answer(self) -> None:
        await self.action_submit()


@dataclass(frozen=True)
class Reading:
    """What the input holds now: a valid answer, or the reason it is not one."""

    ok: bool
    value: Any = None
    error: str | None = None


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return f"{int(value)}" if float(value).is_integer() else f"{value:g}"


class QuestionView(Vertical):
    """Shows one question and reads its answer.

    The view is built once per screen and reconfigured for each question (``load``): one list for
    yes/no, choice and multi questions, one text input for numbers, dates and text.
    Reusing the widgets keeps answer -> next question well under 50 ms (mounting new widgets for
    every question cost 70-150 ms here).
    """

    def __init__(self, lang: str, *, id: str | None = "question") -> None:
        super().__init__(id=id)
        self.lang = lang
        self.question: QuestionOut | None = None
        self.initial: Any = None
        self._error: str | None = None  # the error shown under the answer, if any
        self._texts: dict[str, str] = {}  # what each text line shows (an unchanged one is not redrawn)

    # -- building -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        lang = self.lang
        # the question scrolls when it is long; the answer and the buttons below it stay in view
        with VerticalScroll(id="q-scroll"):
            yield Static("", id="q-text")
            yield Static("", id="q-hint")
            yield Static("", id="q-note")
        yield ChoiceList(id="choice")
        with Horizontal(id="entry-row"):
            yield AnswerInput(id="entry")
            yield Label("", id="unit")
        yield Static("", id="q-error")
        with Horizontal(id="q-buttons"):
            yield Button(t(lang, "dont_know"), id="dont-know", compact=True)
            yield Button("< " + t(lang, "back"), id="back", compact=True)
            yield Button(t(lang, "next") + " >", id="next", variant="primary", compact=True)

    def on_mount(self) -> None:
        for widget in (self.query_one(ChoiceList), self.query_one(AnswerInput)):
            localize_bindings(widget, self.lang, {"answer": "next"})

    def load(self, question: QuestionOut, value: Any, number: int, note: str | None = None) -> None:
        """Show ``question`` with its current answer ``value`` (None if not answered yet)."""
        self.question = question
        self.initial = value
        q, lang = question, self.lang
        if isinstance(self.parent, Widget):
            self.parent.border_title = t(lang, "question_n", n=number)
        self._show_text("#q-text", q.text)
        hint = t(lang, f"hint_{'choice' if q.type in ('yes_no', 'choice') else q.type}")
        if q.unknown_allowed:
            hint += ("" if lang == "zh" else " ") + t(lang, "hint_unknown")
        self._show_text("#q-hint", hint)
        if note is None and value is not None:
            note = t(lang, "current_answer", value=display_value(q, value, lang))
        note_widget = self._show_text("#q-note", note or "")
        note_widget.display = bool(note)
        self.show_error(None)
        self.query_one("#dont-know", Button).display = q.unknown_allowed

        choice = self.query_one(ChoiceList)
        row = self.query_one("#entry-row")
        listed = q.type in ("yes_no", "choice", "multi")
        choice.display = listed
        row.display = not listed
        if q.type == "yes_no":
            current = {True: "yes", False: "no"}.get(value) if isinstance(value, bool) else None
            choice.show_options(
                [("yes", Content(t(lang, "yes"))), ("no", Content(t(lang, "no")))],
                multiple=False,
                highlighted=1 if current == "no" else 0,
            )
        elif q.type == "choice":
            ids = [o.value for o in q.options]
            current = str(value) if value is not None else None
            choice.show_options(
                [(o.value, Content(o.label)) for o in q.options],
                multiple=False,
                highlighted=ids.index(current) if current in ids else 0,
            )
        elif q.type == "multi":
            ticked = set(value) if isinstance(value, list) else set()
            choice.show_options([(o.value, Content(o.label)) for o in q.options], multiple=True, ticked=ticked)
        else:
            entry = self.query_one("#entry", Input)
            unit = self.query_one("#unit", Label)
            text = ""
            if value is not None and value != "unknown":
                text = _num(value) if q.type == "number" and isinstance(value, (int, float)) else str(value)
            unit.display = bool(q.type == "number" and q.unit)
            unit.update(Content(q.unit or ""))
            if q.type == "number":
                entry.type = "number"
                entry.restrict = None
                entry.max_length = 40
                placeholder = ""
                if q.min is not None and q.max is not None:
                    placeholder = t(lang, "range", lo=_num(q.min), hi=_num(q.max))
                entry.placeholder = placeholder
            elif q.type == "date":
                entry.type = "text"
                entry.restrict = r"[0-9\-]*"
                entry.max_length = 10
                entry.placeholder = "YYYY-MM-DD"
            else:
                entry.type = "text"
                entry.restrict = None
                entry.max_length = MAX_TEXT
                entry.placeholder = ""
            entry.set_class(q.type != "text", "short")
            entry.value = text
            entry.cursor_position = len(text)
        # no scrolling to the input: the question text above it must stay in view
        self.answer_widget.focus(scroll_visible=False)
        self.fit_options()

    def _show_text(self, selector: str, text: str) -> Static:
        widget = self.query_one(selector, Static)
        if self._texts.get(selector) != text:
            self._texts[selector] = text
            widget.update(Wrapped(Content(text)))
        return widget

    def on_resize(self) -> None:
        self.fit_options()

    def fit_options(self) -> None:
        """Share the question box's rows between the question, the options and the buttons.

        The buttons (and an error under the answer) always keep their rows. The options get what
        they need, but a long question text never takes them below ``LIST_ROWS`` (several options
        of a multi question stay in view): the question text scrolls instead. On tall terminals a
        long list stops at ``TALL_LIST_ROWS`` and scrolls. When the help pane is below the question
        (not beside it), the box gets only the rows its parts need, at most what leaves the help
        pane its minimum height on short terminals (``BOX_SHARE`` of the column on tall ones).
        """
        q = self.question
        width = self.content_region.width
        if q is None or width <= 0:
            return  # not laid out yet: on_resize comes back
        box = self.parent
        column = box.parent if box is not None else None
        if not isinstance(box, Widget) or not isinstance(column, Widget):
            return
        viewport = self.app.size
        tall = self.screen.has_class("-tall")

        def rows(widget: Widget, inner: int) -> int:
            if not widget.display:
                return 0
            height = widget.get_content_height(self.content_region.size, viewport, inner - widget.styles.gutter.width)
            return height + widget.styles.gutter.height + widget.styles.margin.height

        scroll = self.query_one("#q-scroll", VerticalScroll)
        text_width = width - scroll.styles.scrollbar_size_vertical  # (room kept for its scrollbar)
        text_rows = sum(rows(child, text_width) for child in scroll.children)
        options = self.query_one(ChoiceList)
        list_rows = 0
        if options.display:
            inner = width - options.styles.gutter.width - options.styles.scrollbar_size_vertical
            list_rows = (
                options.get_content_height(self.content_region.size, viewport, inner) + options.styles.gutter.height
            )
            if tall:
                list_rows = min(list_rows, TALL_LIST_ROWS)
        fixed = 0
        for child in self.children:
            if child is scroll or child is options or not child.display:
                continue
            if isinstance(child, Static):
                fixed += rows(child, width)
            else:  # the entry row (an Input is 3 rows) and the buttons (1)
                fixed += (child.outer_size.height or (3 if child.id == "entry-row" else 1)) + child.styles.margin.height

        if self.screen.has_class("-wide"):
            box.styles.height = None  # beside the help pane: the whole column
            room = column.content_region.height - box.styles.gutter.height
        else:
            help_pane = next((c for c in column.children if c is not box), None)
            help_min = help_pane.styles.min_height if help_pane is not None else None
            help_rows = (help_min.cells or 0) if help_min is not None else 0
            column_rows = column.content_region.height
            limit = int(column_rows * BOX_SHARE) if tall else column_rows - help_rows
            room = min(text_rows + list_rows + fixed, max(limit, 8) - box.styles.gutter.height)
        free = max(room - fixed, 2)
        text = min(text_rows, max(free - min(list_rows, LIST_ROWS), TEXT_ROWS))
        shown = min(list_rows, max(free - text, 1)) if options.display else 0
        if scroll.styles.height is None or scroll.styles.height.cells != text:
            scroll.styles.height = text
        if options.display and (options.styles.height is None or options.styles.height.cells != shown):
            options.styles.height = shown
        if not self.screen.has_class("-wide"):
            height = text + shown + fixed + box.styles.gutter.height
            if box.styles.height is None or box.styles.height.cells != height:
                box.styles.height = height

    # -- reading --------------------------------------------------------------------------------
    @property
    def answer_widget(self) -> Widget:
        """The input the current question's type calls for."""
        kind = self.question.type if self.question else "choice"
        if kind in ("yes_no", "choice", "multi"):
            return self.query_one(ChoiceList)
        return self.query_one("#entry", Input)

    def read(self) -> Reading:
        """The answer the input holds now, in answers-file form (validated)."""
        q, lang = self.question, self.lang
        if q is None:
            return Reading(False)
        widget = self.answer_widget
        if isinstance(widget, ChoiceList) and widget.multiple:
            return Reading(True, widget.selected)  # (option ids are the option values, in order)
        if isinstance(widget, ChoiceList):
            option = widget.highlighted_option
            if option is None or option.id is None:
                return Reading(False, error=t(lang, "hint_choice"))
            if q.type == "yes_no":
                return Reading(True, option.id == "yes")
            return Reading(True, option.id)
        assert isinstance(widget, Input)
        text = widget.value.strip()
        if q.type == "number":
            try:
                number: int | float = int(text)
            except ValueError:
                try:
                    number = float(text)
                except ValueError:
                    return Reading(False, error=t(lang, "err_number"))
                if number != number or number in (float("inf"), float("-inf")):
                    return Reading(False, error=t(lang, "err_number"))
            if (q.min is not None and number < q.min) or (q.max is not None and number > q.max):
                lo = _num(q.min) if q.min is not None else "-"
                hi = _num(q.max) if q.max is not None else "-"
                return Reading(False, error=t(lang, "err_range", lo=lo, hi=hi))
            return Reading(True, number)
        if q.type == "date":
            try:
                return Reading(True, dt.date.fromisoformat(text).isoformat())
            except ValueError:
                return Reading(False, error=t(lang, "err_date"))
        if not text:
            return Reading(False, error=t(lang, "err_text"))
        if len(text) > MAX_TEXT:
            return Reading(False, error=t(lang, "err_too_long"))
        return Reading(True, text)

    def show_error(self, message: str | None) -> None:
        # called on every arrow key and keystroke: an unchanged message must not cost a layout
        if message == self._error:
            return
        found = self.query("#q-error")
        if not found:
            return  # still composing
        self._error = message
        error = found.first(Static)
        error.update(Content(message or ""))
        if error.has_class("shown") != bool(message):
            error.set_class(bool(message), "shown")
            self.fit_options()  # (its rows come from the question text's)


class HelpPanel(TextPane):
    """The question's help text, what the options mean, and its legal sources."""

    def __init__(self, question: QuestionOut | None, lang: str, *, id: str | None = "help-panel") -> None:
        super().__init__(id=id)
        self.question = question
        self.lang = lang
        self.border_title = t(lang, "help_title")

    def compose(self) -> ComposeResult:
        yield Static("", id="help-text", classes="pane-text")

    def on_mount(self) -> None:
        self.show_text("#help-text", self._content())

    def show(self, question: QuestionOut | None) -> None:
        self.question = question
        self.show_text("#help-text", self._content())
        self.scroll_home(animate=False)

    def _content(self) -> Content:
        q, lang = self.question, self.lang
        if q is None:
            return Content("")
        blocks: list[Content] = []
        if q.help:
            blocks.append(Content(q.help))
        helped = [o for o in q.options if o.help]
        if helped:
            lines = [Content.styled(t(lang, "options_help"), "bold")]
            lines += [
                Content.assemble(Content.styled(o.label, "bold"), colon(lang), Content(o.help or "")) for o in helped
            ]
            blocks.append(Content("\n").join(lines))
        if q.type == "number":
            facts = []
            if q.unit:
                facts.append(t(lang, "unit", unit=q.unit))
            if q.min is not None and q.max is not None:
                facts.append(t(lang, "range", lo=_num(q.min), hi=_num(q.max)))
            elif q.min is not None:
                facts.append(t(lang, "range_min", lo=_num(q.min)))
            elif q.max is not None:
                facts.append(t(lang, "range_max", hi=_num(q.max)))
            if facts:
                blocks.append(Content("\n".join(facts)))
        if q.sources:
            lines = [Content.styled(t(lang, "sources"), "bold")]
            lines += [Content.assemble(bullet(lang), cite_text(s, lang)) for s in q.sources]
            blocks.append(Content("\n").join(lines))
        if not blocks:
            return Content.styled(t(lang, "no_help"), "dim italic")
        return Content("\n\n").join(blocks)
