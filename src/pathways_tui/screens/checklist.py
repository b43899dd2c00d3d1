"""The checklist: items by route and stage, a detail pane with the trace, the timeline, tick-off."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, OptionList, Static, TabbedContent, TabPane

import pathways
from pathways import ItemResult, Outcome

from ..i18n import failure_text, localize_bindings, separator, t
from ..session import CaseSession
from ..widgets.checklist import ChecklistList, ItemDetail, SummaryView, TimelineView
from ..widgets.footer import Footer
from ..widgets.text import Wrapped

if TYPE_CHECKING:
    from ..app import PathwaysApp

__all__ = ["ChecklistScreen"]


class ChecklistScreen(Screen[None]):
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]
    AUTO_FOCUS = "#items"

    BINDINGS = [
        Binding("space", "tick", "Done"),
        Binding("n", "note", "Note"),
        Binding("e", "export", "Export"),
        Binding("s", "save_answers", "Save answers"),
        Binding("t", "next_tab", "Timeline, summary"),
        Binding("escape", "questions", "Questions", key_display="esc"),
        Binding("f1,question_mark", "app.help", "Help", key_display="F1"),
        Binding("f2", "app.rename_case", "Rename", show=False),
    ]

    def __init__(self, session: CaseSession) -> None:
        super().__init__()
        self.session = session
        self.lang = session.lang
        self.outcome: Outcome | None = None

    @property
    def papp(self) -> PathwaysApp:
        return self.app  # type: ignore[return-value]

    def title_text(self) -> str:
        product = self.session.case.product
        return "pathways  |  " + t(self.lang, "checklist_title") + (f"  |  {product}" if product else "")

    def refresh_title(self) -> None:
        """The case was renamed."""
        self.query_one("#title-bar", Static).update(self.title_text())

    def compose(self) -> ComposeResult:
        lang = self.lang
        yield Static(self.title_text(), id="title-bar", markup=False)
        yield Static(t(lang, "evaluating"), id="status-line")
        with TabbedContent(id="tabs"):
            with TabPane(t(lang, "tab_items"), id="tab-items"):
                with Horizontal(id="items-row"):
                    yield ChecklistList(lang)
                    yield ItemDetail(lang)
            with TabPane(t(lang, "tab_timeline"), id="tab-timeline"):
                yield TimelineView(lang)
            with TabPane(t(lang, "tab_summary"), id="tab-summary"):
                yield SummaryView(lang)
        yield Footer()

    def on_mount(self) -> None:
        localize_bindings(self, self.lang)
        self._evaluate()

    @work(exclusive=True, group="evaluate")
    async def _evaluate(self) -> None:
        """Evaluate in the engine thread (never on the UI thread), then show the checklist."""
        session = self.session
        answers = dict(session.answers)
        try:
            outcome = await self.papp.planner.run(session.backend.evaluate, answers, session.day, self.lang)
        except pathways.PathwaysError as exc:
            self.app.notify(failure_text(self.lang, exc), severity="error", timeout=10)
            return
        if self.is_attached:
            self.show_outcome(outcome)
        if session.answers == answers and session.record_outcome(outcome):
            self.papp.autosave()  # what it leaves open, for the saved-cases list

    def show_outcome(self, outcome: Outcome) -> None:
        self.outcome = outcome
        session = self.session
        ticked = set(session.case.ticked)
        self.query_one(ChecklistList).show(outcome, ticked)
        self.query_one(TimelineView).show(outcome)
        self.query_one(SummaryView).show(outcome, self.question_texts(), self.answer_texts())
        self._status()
        self._show_detail()
        self.refresh_bindings()

    def question_texts(self) -> dict[str, str]:
        return {q: self.session.question(q, self.lang).text for q in self.session.backend.question_ids}

    def answer_texts(self) -> dict[str, str]:
        return {q: self.session.value_text(q, self.lang) for q in self.session.answers}

    def _status(self) -> None:
        outcome = self.outcome
        if outcome is None:
            return
        lang = self.lang
        ids = {i.id for i in outcome.items}
        done = len(ids & set(self.session.case.ticked))
        state = t(lang, "complete" if outcome.complete else "incomplete")
        parts: list[Content | str] = [
            Content.styled(t(lang, "ticked_n", done=done, total=len(ids)), "bold"),
            separator(lang),
            Content(state),
        ]
        self.query_one("#status-line", Static).update(Wrapped(Content.assemble(*parts)))

    # -- items ----------------------------------------------------------------------------------
    @property
    def current_item(self) -> ItemResult | None:
        """The item highlighted in the list (None while another tab is shown)."""
        if self.outcome is None or self.query_one(TabbedContent).active not in ("", "tab-items"):
            return None
        option = self.query_one(ChecklistList).highlighted_option
        if option is None or option.id is None:
            return None
        return next((i for i in self.outcome.items if i.id == option.id), None)

    def _show_detail(self) -> None:
        if self.outcome is None:
            return
        item = self.current_item
        done = item is not None and item.id in self.session.case.ticked
        note = self.session.case.notes.get(item.id, "") if item is not None else ""
        self.query_one(ItemDetail).show(item, self.outcome, done, self.question_texts(), note)

    @on(OptionList.OptionHighlighted, "#items")
    def _highlighted(self) -> None:
        self._show_detail()
        self.refresh_bindings()

    @on(OptionList.OptionSelected, "#items")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._show_detail()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("tick", "note"):
            return True if self.current_item is not None else None
        if action in ("export", "save_answers"):
            return True if self.outcome is not None else None
        return True

    def action_tick(self) -> None:
        item = self.current_item
        if item is None:
            return
        done = self.session.toggle_tick(item.id)
        self.query_one(ChecklistList).update_item(item, done)
        self._show_detail()
        self._status()
        self.papp.autosave()

    def action_note(self) -> None:
        item = self.current_item
        if item is None:
            return
        from .dialogs import NoteScreen

        def saved(text: str | None) -> None:
            if text is not None:
                self.session.set_note(item.id, text)
                self._show_detail()
                self.papp.autosave()

        self.app.push_screen(NoteScreen(self.lang, item.title, self.session.case.notes.get(item.id, "")), saved)

    @on(Button.Pressed, "#tick")
    def _tick_pressed(self) -> None:
        self.action_tick()

    TABS = ("tab-items", "tab-timeline", "tab-summary")

    def action_next_tab(self) -> None:
        tabs = self.query_one(TabbedContent)
        index = self.TABS.index(tabs.active) if tabs.active in self.TABS else 0
        self.show_tab(self.TABS[(index + 1) % len(self.TABS)])

    def show_tab(self, tab: str) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = tab
        self.refresh_bindings()
        target = {"tab-items": "#items", "tab-timeline": "#timeline", "tab-summary": "#summary"}[tab]
        self.query_one(target).focus()

    def action_export(self) -> None:
        self.papp.open_export("pdf")

    def action_save_answers(self) -> None:
        self.papp.open_export("yaml")

    async def action_questions(self) -> None:
        await self.papp.show_questions()
