"""One question at a time, with the answers so far, progress and the routes determined."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Input, OptionList, Static

import pathways
from pathways import NextQuestion

from .._textual_fixes import frame_owed
from ..i18n import failure_text, localize_bindings, t
from ..planner import Planner, likely_answers
from ..session import CaseSession
from ..widgets.footer import Footer
from ..widgets.preview import RoutePreview
from ..widgets.progress import ProgressPanel
from ..widgets.question import ChoiceList, HelpPanel, QuestionView
from ..widgets.sidebar import AnswersSidebar

if TYPE_CHECKING:
    from ..app import PathwaysApp

__all__ = ["WizardScreen"]


class WizardScreen(Screen[None]):
    """Asks the planner's questions one by one; Back and the sidebar revisit earlier answers."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (40, "-tall")]
    AUTO_FOCUS = None
    PREFETCH_AFTER = 0.05  # seconds a question is on screen before the likely answers are worked out
    # seconds the planner may work before the Footer greys out Back, Don't know and Checklist (and
    # Next where it shows): an answer typed ahead takes a few milliseconds, and greying the keys for
    # that long only made them flicker (and restyled each key twice per answer). The keys refuse to
    # act while busy all the same.
    BUSY_SHOWN_AFTER = 0.15

    BINDINGS = [
        Binding("enter", "next", "Next"),
        Binding("escape", "back", "Back", key_display="esc"),
        Binding("ctrl+d", "dont_know", "Don't know", priority=True),
        Binding("ctrl+l", "checklist", "Checklist"),
        Binding("f1,question_mark", "app.help", "Help", key_display="F1"),
        Binding("f2", "app.rename_case", "Rename", show=False),
    ]

    def __init__(self, session: CaseSession, qid: str | None = None, *, open_checklist: bool = False) -> None:
        super().__init__()
        self.session = session
        self.lang = session.lang
        self.qid: str | None = qid  # the question on screen
        self.open_checklist = open_checklist  # when the case turns out complete on mount (a resumed case)
        self._busy = False
        self._busy_timer: Timer | None = None  # set while busy and the keys are not greyed out yet
        self._view: QuestionView | None = None
        self._prefetch_timer: Timer | None = None
        self._binding_state: tuple[object, ...] | None = None
        self.shown = 0  # questions shown so far (for tests and the benchmark)
        self._paint_pending = False  # a question shown, not yet painted
        self._progress_owed = False  # a step's progress to save once its question is painted

    @property
    def papp(self) -> PathwaysApp:
        return self.app  # type: ignore[return-value]

    @property
    def planner(self) -> Planner:
        """The app's engine work: the next question, worked out in advance where it can be."""
        return self.papp.planner

    # -- layout ---------------------------------------------------------------------------------
    def title_text(self) -> str:
        product = self.session.case.product
        return "pathways  |  " + self.session.backend.title(self.lang) + (f"  |  {product}" if product else "")

    def refresh_title(self) -> None:
        """The case was renamed."""
        self.query_one("#title-bar", Static).update(self.title_text())

    def compose(self) -> ComposeResult:
        lang = self.lang
        yield Static(self.title_text(), id="title-bar", markup=False)
        with Horizontal(id="body"):
            with Vertical(id="side"):
                yield AnswersSidebar(lang)
                yield RoutePreview(lang)
            with Vertical(id="main"):
                with Vertical(id="question-box"):
                    yield QuestionView(lang)
                yield HelpPanel(None, lang)
        yield ProgressPanel(lang)
        yield Footer()

    def on_mount(self) -> None:
        localize_bindings(self, self.lang)
        self.planner.forget()  # (what an earlier screen worked out in advance)
        step = self.session.step
        if step is None or self.session.step_lang != self.lang:
            self.busy = True
            self._plan(self.session.revision, self.qid, self.open_checklist)
        else:
            self.call_later(self._show_step, step, self.qid, self.open_checklist)

    # -- showing --------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """True while the planner works out the next question (Next and Back are greyed out)."""
        return self._busy

    @busy.setter
    def busy(self, value: bool) -> None:
        was, self._busy = self._busy, value
        if value:
            if not was:
                self._busy_timer = self.set_timer(self.BUSY_SHOWN_AFTER, self._show_busy)
            return
        if self._busy_timer is not None:
            self._busy_timer.stop()
            self._busy_timer = None
        self.sync_bindings()

    def _show_busy(self) -> None:
        self._busy_timer = None
        self.sync_bindings()

    def sync_bindings(self) -> None:
        """Refresh the Footer only when what it shows changes (each refresh restyles its keys)."""
        if self._busy_timer is not None:
            return  # busy for less than BUSY_SHOWN_AFTER: the keys stay as they are
        view = self.question_view
        valid = view.read().ok if view is not None else None
        state = (valid, *(self.check_action(a, ()) for a in ("next", "back", "dont_know", "checklist")))
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()

    @property
    def question_view(self) -> QuestionView | None:
        """The question view, once a question has been loaded into it."""
        view = self._view
        if view is None:
            views = self.query(QuestionView)
            if not views:
                return None
            view = self._view = views.first()
        return view if view.question is not None else None

    async def _show_step(self, step: NextQuestion, qid: str | None = None, open_checklist: bool = True) -> None:
        """Show the planner's result; ``qid`` overrides the question to show (a revisit).

        When no question is left, the last answer stays on screen and (if ``open_checklist``) the
        checklist opens over it: Esc on the checklist comes back here.
        """
        session = self.session
        session.apply_step(step, self.lang)
        self.query_one(RoutePreview).show(step.routes)
        self.query_one(ProgressPanel).show(step.progress, step.question is None)
        target = qid or (step.question.id if step.question else None) or self.qid or session.previous(None)
        if target is not None:
            await self.show_question(target)
        else:
            self.query_one(AnswersSidebar).show(session, None)
        self.busy = False
        if step.question is None and open_checklist:
            self.papp.show_checklist()

    async def show_question(self, qid: str) -> None:
        session, lang = self.session, self.lang
        self.qid = qid
        question = session.question(qid, lang)
        value = session.answers.get(qid)
        note = None
        if qid in session.ignored and qid in session.answers:
            note = t(lang, "not_used_note", reason=t(lang, "not_relevant"))
        order = session.answered_in_order()
        number = order.index(qid) + 1 if qid in order else len([q for q in order if q not in session.ignored]) + 1
        self.query_one(QuestionView).load(question, value, number, note)
        self.query_one(HelpPanel).show(question)
        self.query_one(AnswersSidebar).show(session, qid)
        self.query_one("#back", Button).disabled = session.previous(qid) is None
        self.shown += 1
        self.sync_bindings()
        self.call_after_refresh(self._schedule_prefetch)
        self._paint_pending = True

    def _compositor_refresh(self) -> None:
        super()._compositor_refresh()
        if self._paint_pending and not frame_owed(self):  # the question is on the terminal: background work may go on
            self._paint_pending = False
            self.planner.ui_free()
            self._save_owed_progress()

    def _save_owed_progress(self) -> None:
        if self._progress_owed:
            self._progress_owed = False
            self._save_now(None)  # (the session's case holds the progress of the step shown)

    def on_screen_suspend(self) -> None:
        self._save_owed_progress()  # (another screen on top: this one may not paint again soon)

    def on_unmount(self) -> None:
        self._save_owed_progress()

    async def _on_idle(self, event: events.Idle) -> None:
        # A new question is painted as soon as its refresh requests have reached the screen (they
        # may come after its first idle moment), not at the next tick of the screen's 60 Hz update
        # timer (up to 16.7 ms later). Textual 8.2.8 (pinned) internals, which
        # tests/tui/test_responsiveness.py checks are still there.
        if (
            self._paint_pending
            and self.is_current
            and not self.app._batch_count
            and (self._layout_required or self._dirty_widgets or self._repaint_required)
        ):
            self._on_timer_update()  # (paints: _compositor_refresh clears _paint_pending)
        await super()._on_idle(event)

    # -- actions --------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next":
            # (the answer widgets grey out their own Enter while their value is invalid; here Enter
            # stays available so that pressing it says what is wrong)
            return None if self.busy or self.question_view is None else True
        if action == "back":
            if self.busy:
                return None
            return True if self.session.previous(self.qid) is not None else None
        if action == "dont_know":
            # greyed out (not hidden) where a question does not accept it: the Footer keeps its keys
            view = self.question_view
            return (
                None
                if self.busy or view is None or view.question is None or not view.question.unknown_allowed
                else True
            )
        if action == "checklist":
            return None if self.busy else True
        return True

    async def action_next(self) -> None:
        """Enter where the focused widget does not answer by itself (the help pane, nothing focused).

        Enter is deliberately not a priority binding: keys reach bindings in the order they were
        typed only if they all take the same path, so Down then Enter always picks the option
        below, however fast they come (type-ahead, paste, tmux send-keys).
        """
        await self.submit()

    async def submit(self, value: Any = None, *, unknown: bool = False, given: bool = False) -> None:
        """Take the answer on screen (or ``value`` if ``given``, or "don't know") and move on."""
        view = self.question_view
        if view is None or self.busy or self.qid is None:
            return
        if unknown:
            value = "unknown"
        elif given:
            pass
        else:
            reading = view.read()
            if not reading.ok:
                view.show_error(reading.error)
                return
            value = reading.value
        view.show_error(None)
        # until the next question is on screen, the prefetch in the engine thread gives way
        self.planner.ui_busy()
        shown = self.shown
        try:
            await self._take_answer(value)
        finally:
            if self.shown == shown and not self.busy:  # no new question (the checklist, an error)
                self.planner.ui_free()

    async def _take_answer(self, value: Any) -> None:
        qid = self.qid
        assert qid is not None
        session = self.session
        changed = session.set_answer(qid, value)
        if not changed:
            following = session.following(qid)
            if following is not None:
                await self.show_question(following)
                return
            if session.step is not None and session.step.question is not None and session.step.question.id != qid:
                await self.show_question(session.step.question.id)
                return
            if session.step is not None and session.step.question is None:
                self.papp.show_checklist()
                return
        step = self.planner.ready(session.answers, self.lang, session.day) if changed else None
        if step is not None:
            # worked out while the question was being read: no engine call on the way
            self._save_now(step)
            await self._show_step(step, None, True)
            return
        if changed:
            self._save_now(None)  # on disk before anything else happens
        self.busy = True
        self._plan(session.revision, None, True)

    def _save_now(self, step: NextQuestion | None) -> None:
        """Autosave the case (atomic; about a millisecond): the answer is on disk before the next
        question appears, so a killed terminal loses nothing already answered."""
        session = self.session
        if not session.answers:
            return
        snapshot, revision = session.snapshot()
        if step is not None:
            snapshot.answered = step.progress.answered
            snapshot.remaining_at_most = step.progress.remaining_at_most
            snapshot.complete = step.question is None
        try:
            moved = session.save(snapshot, revision)
        except OSError as exc:
            self.app.notify(t(self.lang, "save_failed", error=exc), severity="error", timeout=10)
            return
        self.papp.saved_elsewhere(snapshot.path, moved)

    # -- prefetch: the next question for each likely answer, while the question is being read ---
    def _schedule_prefetch(self) -> None:
        if self._prefetch_timer is not None:
            self._prefetch_timer.stop()
        self._prefetch_timer = self.set_timer(self.PREFETCH_AFTER, self._prefetch)

    def _prefetch(self) -> None:
        """Have the planner work out the next question for each answer the question on screen may
        get, so that answering shows it without waiting for the engine."""
        view, qid, session = self.question_view, self.qid, self.session
        if view is None or view.question is None or qid is None or self.busy:
            return
        reading = view.read()
        values = likely_answers(view.question, reading.value, valid=reading.ok)
        self.planner.prefetch(session.backend, session.answers, qid, values, self.lang, session.day)

    async def action_dont_know(self) -> None:
        await self.submit(unknown=True)

    async def action_back(self) -> None:
        if self.busy:
            return
        previous = self.session.previous(self.qid)
        if previous is not None:
            await self.show_question(previous)

    async def jump_to(self, qid: str) -> None:
        if self.busy:
            return
        await self.show_question(qid)

    def action_checklist(self) -> None:
        if not self.busy:
            self.papp.show_checklist()

    # -- events ---------------------------------------------------------------------------------
    @on(Button.Pressed, "#next")
    async def _next_pressed(self) -> None:
        await self.submit()

    @on(Button.Pressed, "#back")
    async def _back_pressed(self) -> None:
        await self.action_back()

    @on(Button.Pressed, "#dont-know")
    async def _dont_know_pressed(self) -> None:
        await self.submit(unknown=True)

    @on(OptionList.OptionSelected, "ChoiceList")
    async def _choice_selected(self, event: OptionList.OptionSelected) -> None:
        # Enter or a click on an option: the option it was on (the highlight may have moved on
        # since, if keys were typed ahead)
        event.stop()
        view = self.question_view
        if view is None or view.question is None or event.option.id is None:
            return
        value: Any = event.option.id == "yes" if view.question.type == "yes_no" else event.option.id
        await self.submit(value, given=True)

    @on(ChoiceList.Submitted)
    async def _multi_submitted(self, event: ChoiceList.Submitted) -> None:
        event.stop()
        view = self.question_view
        if view is None:
            return
        await self.submit(list(event.selected), given=True)  # (in option order)

    @on(OptionList.OptionSelected, "AnswersSidebar")
    async def _answer_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id in self.session.answers:
            await self.jump_to(event.option.id)

    @on(Input.Submitted)
    async def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        await self.submit()  # says why if the value is not valid

    @on(Input.Changed)
    @on(ChoiceList.SelectedChanged)
    @on(ChoiceList.OptionHighlighted)
    def _value_changed(self, event: Message) -> None:
        view = self.question_view
        if view is not None:
            view.show_error(None)
            if isinstance(event, (Input.Changed, ChoiceList.SelectedChanged)):
                self._schedule_prefetch()  # the ticks or the text typed so far
        self.sync_bindings()

    def on_descendant_focus(self) -> None:
        self.sync_bindings()

    # -- the planner, off the UI thread ---------------------------------------------------------
    @work(exclusive=True, group="planner")
    async def _plan(self, revision: int, qid: str | None, open_checklist: bool) -> None:
        """Ask the planner for the next question (in the engine thread), then show it."""
        session = self.session
        try:
            step = await self.planner.next_step(session.backend, session.answers, self.lang, session.day)
        except pathways.PathwaysError as exc:
            self._failed(exc)
            return
        if revision != session.revision or not self.is_attached:
            return
        if revision:
            # the progress that goes with the answers (for the saved-cases list). The answers are on
            # disk already (_take_answer): the progress is written once the question is painted,
            # where the write (about half a millisecond) no longer holds the question up
            if step.question is None:
                self._save_now(step)
            else:
                self._progress_owed = True
        await self._show_step(step, qid, open_checklist)

    def _failed(self, exc: pathways.PathwaysError) -> None:
        self.busy = False
        self.app.notify(failure_text(self.lang, exc), severity="error", timeout=10)
