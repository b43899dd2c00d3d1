"""The wizard application: ``build_app(...)`` builds it (tests and ``pathways wizard`` alike)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.theme import Theme

import pathways
from pathways import NextQuestion, Outcome

from . import _textual_fixes
from ._gc import IdleCollector
from .backend import Backend, LocalBackend, RemoteBackend
from .cases import Case, CaseStore, case_document, dump_yaml, export_dir, write_export
from .commands import PathwaysCommands
from .i18n import failure_text, holder_text, localize_bindings, t
from .locks import CaseInUse
from .planner import Planner
from .screens.errors import RuleBaseErrorScreen
from .screens.start import StartScreen
from .screens.wizard import WizardScreen
from .session import CaseSession

if TYPE_CHECKING:
    from .screens.checklist import ChecklistScreen

__all__ = ["PathwaysApp", "build_app", "run"]

_textual_fixes.apply()

LIGHT, DARK = "textual-light", "textual-dark"


def _default_lang() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _checklist_screen() -> type[ChecklistScreen]:
    # (the checklist, the dialogs and what they import load on first use, not at start-up)
    from .screens.checklist import ChecklistScreen as screen

    return screen


class PathwaysApp(App[None]):
    """Questions one at a time, then the checklist; every answer saved as it is given."""

    # All style sheets load at start-up: a screen's own CSS_PATH would be parsed when it is first
    # shown, and adding CSS restyles every widget of the app (that made the first checklist slow).
    CSS_PATH = ["app.tcss", "screens/start.tcss", "screens/wizard.tcss", "screens/checklist.tcss"]
    TITLE = "pathways"
    COMMANDS = App.COMMANDS | {PathwaysCommands}
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True, show=False)]

    def __init__(
        self,
        rules_dir: Path | None = None,
        lang: str | None = None,
        as_of: dt.date | None = None,
        data_dir: Path | None = None,
        rule_base: pathways.RuleBase | None = None,
        export_dir: Path | None = None,
        server: str | None = None,
        token: str | None = None,
    ) -> None:
        super().__init__()
        self.rules_dir = rules_dir
        self.server = server  # a pathways server's URL: evaluate there instead of here
        self._token = token
        self.as_of = as_of
        self.store = CaseStore(data_dir)
        self.config = self.store.load_config()
        self.lang = lang if lang in ("zh", "en") else (self.config.lang or _default_lang())
        self.backend: Backend | None = None  # set once the rule base is loaded (or the server read)
        self._given_rule_base = rule_base
        self.warm_step: tuple[str, NextQuestion] | None = None
        self.session: CaseSession | None = None
        self._opening_case = False  # a saved case is being opened (resume_case)
        self._cases_closing: set[CaseSession] = set()  # cases closed, to be let go after their last save
        self.pending_product = ""
        self.export_dir = export_dir
        self.rule_base_error: list[str] | None = None
        # one thread for all engine work (durable-rules is synchronous C; never on the UI thread),
        # the next questions worked out in advance, and the prefetch giving way to the UI
        self.planner = Planner()
        self.idle_gc = IdleCollector()  # full garbage collections only while the user pauses

    # -- start-up -------------------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self.idle_gc.user_input()  # (full garbage collections wait for a pause: pathways_tui._gc)
        await super().on_event(event)

    def on_mount(self) -> None:
        self.idle_gc.start()
        self.set_interval(self.idle_gc.TICK, self.idle_gc.tick)
        localize_bindings(self, self.lang, {"command_palette": "palette"})
        if self.config.theme and self.config.theme in self.available_themes:
            self.theme = self.config.theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.push_screen(StartScreen())
        if self.config.lang != self.lang:
            self.config.lang = self.lang
            self.store.save_config(self.config)
        self._load_rules()

    @work(thread=True, exclusive=True, group="rules")
    def _load_rules(self) -> None:
        """Load and compile the rule base (or connect to the server) off the UI thread; warm the
        planner for the first question."""
        backend: Backend | None = None
        try:
            if self.server:
                backend = RemoteBackend.connect(self.server, self._token)
            else:
                backend = LocalBackend(self._given_rule_base or pathways.load_rule_base(self.rules_dir))
            lang = self.lang
            warm = backend.next_question({}, lang, self.as_of or dt.date.today())
        except pathways.RuleBaseError as exc:
            # (mypy infers Never for an async callback from Textual's "T | Awaitable[T]")
            self.call_from_thread(self._rules_failed, [str(issue) for issue in exc.issues])  # type: ignore[arg-type]
            return
        except pathways.PathwaysError as exc:
            if backend is not None:
                backend.close()
            self.call_from_thread(self._rules_failed, [str(exc)])  # type: ignore[arg-type]  # as above
            return
        except Exception as exc:  # a bug, but still no traceback on the user's screen
            reasons = [f"internal error (please report it): {type(exc).__name__}: {exc}"]
            self.call_from_thread(self._rules_failed, reasons)  # type: ignore[arg-type]  # as above
            return
        self.call_from_thread(self._rules_ready, backend, (lang, warm))

    def _rules_ready(self, backend: Backend, warm: tuple[str, NextQuestion]) -> None:
        self.backend = backend
        self.warm_step = warm
        self.idle_gc.rules_ready()  # (what is alive now lives as long as the app: frozen)
        screen = self.screen
        if isinstance(screen, StartScreen):
            screen.rules_ready()

    async def _rules_failed(self, lines: list[str]) -> None:
        self.idle_gc.rules_failed()
        self.rule_base_error = lines
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        await self.switch_screen(RuleBaseErrorScreen(lines, self.lang, self.server))

    # -- cases ----------------------------------------------------------------------------------
    def start_case(self, product: str = "") -> None:
        backend = self.backend
        if backend is None:
            return
        case = Case(
            id=Case.new_id(),
            rulebase={"id": backend.id, "version": backend.version},
            product=product,
            lang=self.lang,
            as_of=self.as_of,
            path=None,
        )
        try:
            lock = self.store.lock(case)
        except CaseInUse as exc:  # (a new id: only if the clock and 16 random bits repeat)
            self._in_use(case, exc)
            return
        session = CaseSession(backend, self.store, case, self.lang, self.as_of, lock=lock)
        if self.warm_step is not None and self.warm_step[0] == self.lang:
            session.apply_step(self.warm_step[1], self.lang)
        self.session = session
        self.pending_product = ""
        self.switch_screen(WizardScreen(session))

    def resume_case(self, case: Case) -> None:
        """Open a listed case (one at a time: a second Enter while one opens does nothing)."""
        if self.backend is None or case.path is None or self._opening_case:
            return
        self._opening_case = True
        self._resume(case)

    @work(group="resume")
    async def _resume(self, case: Case) -> None:
        """Take the case's lock, then read it again (another wizard may have changed it since the
        list was read) and leave out answers the rule base no longer takes."""
        try:
            await self._open_case(case)
        finally:
            self._opening_case = False

    async def _open_case(self, case: Case) -> None:
        backend = self.backend
        assert backend is not None and case.path is not None
        lang = self.lang
        path, listed_id = case.path, case.id

        def open_case() -> tuple[CaseSession, list[str]]:
            # In the engine thread: after the saves and the release of a case just closed (the
            # same one, maybe: see close_case), and off the UI thread for reading and parsing.
            lock = self.store.lock(case)
            try:
                fresh = self.store.load(path)
                fresh.id = listed_id  # (the id the list gave a copy of another case: see cases.py)
                fresh.lang = lang
                session = CaseSession(backend, self.store, fresh, lang, self.as_of or fresh.as_of, lock=lock)
                return session, session.drop_invalid_answers()  # (a server is asked over the network)
            except BaseException:
                lock.release()
                raise

        opening = self.planner.run(open_case)
        try:
            session, dropped = await asyncio.shield(opening)
        except asyncio.CancelledError:  # (the app ends meanwhile): the case must not stay locked
            opening.add_done_callback(_close_unopened)
            raise
        except CaseInUse as exc:
            self._in_use(case, exc)
            return
        except pathways.PathwaysError as exc:
            self.notify(failure_text(lang, exc), severity="error", timeout=10)
            return
        except Exception as exc:  # unreadable now, or answers the core trips over: never the end
            reason = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
            self.notify(t(lang, "open_failed", name=path.name, reason=reason[:300]), severity="error", timeout=15)
            if isinstance(self.screen, StartScreen):
                self.screen.refresh_cases()
            return
        if dropped:
            self.notify(t(lang, "answers_dropped", fields=", ".join(dropped)), severity="warning", timeout=10)
        self.session = session
        await self.switch_screen(WizardScreen(session, open_checklist=True))

    def _in_use(self, case: Case, exc: CaseInUse) -> None:
        who = holder_text(self.lang, exc.holder)
        self.notify(t(self.lang, "in_use", who=who), title=t(self.lang, "in_use_title"), severity="warning", timeout=15)
        if isinstance(self.screen, StartScreen):
            self.screen.mark_in_use(case.key, who)

    # -- renaming ---------------------------------------------------------------------------------
    def action_rename_case(self) -> None:
        """F2 (or the palette) in a case: its product name, as the case list and the exports show it."""
        session = self.session
        if session is None:
            return
        from .screens.dialogs import RenameScreen

        def chosen(name: str | None) -> None:
            if name is not None and self.session is session:
                self.rename_current(name)

        self.push_screen(RenameScreen(self.lang, session.case.product), chosen)

    def rename_current(self, name: str) -> None:
        """Rename the case open here: saved like an answer (its lock stays held, its file the same)."""
        session = self.session
        if session is None or name == session.case.product:
            return
        session.set_product(name)
        for screen in self.screen_stack:
            refresh_title = getattr(screen, "refresh_title", None)
            if refresh_title is not None:
                refresh_title()
        if session.case.path is not None or session.answers or name:
            snapshot, revision = session.snapshot()
            self._save(snapshot, revision)
        self.notify(t(self.lang, "renamed", name=name or t(self.lang, "unnamed")))

    def rename_listed_case(self, case: Case) -> None:
        """F2 on the start screen: rename a saved case that is not open here."""
        if case.path is None:
            return
        from .screens.dialogs import RenameScreen

        def chosen(name: str | None) -> None:
            if name is not None and name != case.product:
                self._rename_listed(case, name)

        self.push_screen(RenameScreen(self.lang, case.product), chosen)

    @work(group="rename")
    async def _rename_listed(self, case: Case, name: str) -> None:
        """Take the case's lock (it may be open in another wizard), read it again, change its name
        and save it through the store (which checks the file is the one just read)."""
        path, listed_id = case.path, case.id
        assert path is not None

        def rename() -> None:  # in the engine thread, as opening a case is
            lock = self.store.lock(case)
            try:
                fresh = self.store.load(path)
                fresh.id = listed_id
                fresh.product = name
                fresh.updated = dt.datetime.now().replace(microsecond=0).isoformat()
                self.store.save(fresh)
            finally:
                lock.release()

        try:
            await self.planner.run(rename)
        except CaseInUse as exc:
            self._in_use(case, exc)
            return
        except (OSError, ValueError) as exc:
            self.notify(
                t(self.lang, "open_failed", name=path.name, reason=str(exc)[:300]), severity="error", timeout=15
            )
            return
        self.notify(t(self.lang, "renamed", name=name or t(self.lang, "unnamed")))
        if isinstance(self.screen, StartScreen):
            self.screen.refresh_cases()

    def autosave(self) -> None:
        """Save the case now (after a tick-off, a language change...), off the UI thread."""
        if self.session is None or not self.session.answers and not self.session.case.product:
            return
        snapshot, revision = self.session.snapshot()
        self._save(snapshot, revision)

    @work(group="autosave")
    async def _save(self, snapshot: Case, revision: int) -> None:
        session = self.session
        if session is None:
            return
        try:
            moved = await self.planner.run(session.save, snapshot, revision)
        except OSError as exc:
            self.notify(t(self.lang, "save_failed", error=exc), severity="error", timeout=10)
            return
        self.saved_elsewhere(snapshot.path, moved)

    def saved_elsewhere(self, original: Path | None, moved: Path | None) -> None:
        """Tell the user when a save went to a new file (``CaseSession.save``)."""
        if moved is not None:
            self.notify(
                t(self.lang, "saved_elsewhere", original=original.name if original else "?", name=moved.name),
                title=t(self.lang, "saved_elsewhere_title"),
                severity="warning",
                timeout=20,
            )

    def close_case(self) -> None:
        """The case on screen is closed (back to the start, or the app ends): let it go once the
        saves already queued in the engine thread are written."""
        session, self.session = self.session, None
        if session is None:
            return
        self._cases_closing.add(session)

        def close() -> None:
            session.close()
            self._cases_closing.discard(session)

        try:
            self.planner.submit(close)
        except RuntimeError:  # (the engine is shut down: the app is ending)
            close()

    # -- moving between screens -----------------------------------------------------------------
    def show_checklist(self) -> None:
        ChecklistScreen = _checklist_screen()
        if self.session is None or isinstance(self.screen, ChecklistScreen):
            return
        self.push_screen(ChecklistScreen(self.session))

    async def show_questions(self, qid: str | None = None) -> None:
        if isinstance(self.screen, _checklist_screen()):
            await self.pop_screen()
        screen = self.screen
        if isinstance(screen, WizardScreen) and qid is not None:
            await screen.jump_to(qid)

    async def show_start(self) -> None:
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        self.close_case()
        await self.switch_screen(StartScreen())
        self.call_after_refresh(self.idle_gc.collect)  # the last case's screens are garbage now

    async def set_language(self, lang: str) -> None:
        """Switch the wizard and the checklist to ``lang``; remember the choice."""
        if lang == self.lang or lang not in ("zh", "en"):
            return
        self.lang = lang
        self.config.lang = lang
        self.store.save_config(self.config)
        localize_bindings(self, lang, {"command_palette": "palette"})
        session = self.session
        if session is not None:
            session.set_lang(lang)
            self.autosave()
        top = self.screen
        ChecklistScreen = _checklist_screen()
        if isinstance(top, StartScreen):
            await self.switch_screen(StartScreen())
        elif isinstance(top, WizardScreen) and session is not None:
            await self.switch_screen(WizardScreen(session, top.qid))
        elif isinstance(top, ChecklistScreen) and session is not None:
            await self.pop_screen()
            below = self.screen
            qid = below.qid if isinstance(below, WizardScreen) else None
            await self.switch_screen(WizardScreen(session, qid))
            await self.push_screen(ChecklistScreen(session))

    # -- export ---------------------------------------------------------------------------------
    def open_export(self, fmt: str = "md") -> None:
        session = self.session
        if session is None:
            return

        from .screens.dialogs import ExportScreen

        def chosen(result: tuple[str, Path] | None) -> None:
            if result is not None:
                self.export(*result)

        directory = self.export_dir or export_dir()  # (read now: $PATHWAYS_EXPORT_DIR may be set meanwhile)
        self.push_screen(ExportScreen(self.lang, fmt, session.case.product, session.case.id, directory), chosen)

    @work(group="export")
    async def export(self, fmt: str, path: Path) -> None:
        """Write the checklist (pdf/xlsx/html/md/json, exactly what ``pathways.export`` gives for this case:
        its product, date and tick-offs) or the answers (yaml)."""
        session = self.session
        if session is None:
            return
        lang = self.lang
        snapshot = session.case.snapshot()
        answers = dict(session.answers)

        def write() -> None:  # engine thread: evaluation and file I/O off the UI thread
            document = case_document(snapshot, as_of=session.day)
            data: str | bytes
            if fmt == "yaml":
                data = dump_yaml(document)
            else:
                outcome: Outcome = session.backend.evaluate(answers, session.day, lang)
                data = pathways.export(outcome, fmt, case=pathways.CaseDetails.from_case_metadata(document["case"]))
            write_export(path, data)  # (a document for the user: the usual permissions, not the cases' 0600)

        try:
            await self.planner.run(write)
        except OSError as exc:
            self.notify(t(lang, "write_failed", path=path, error=exc.strerror or exc), severity="error", timeout=10)
            return
        except pathways.PathwaysError as exc:
            self.notify(failure_text(lang, exc), severity="error", timeout=10)
            return
        if self.is_web:  # served to a browser (pathways wizard --web): the file is on the server's disk
            self.deliver_binary(path)
            self.notify(t(lang, "wrote_download", path=path))
        else:
            self.notify(t(lang, "wrote", path=path))

    async def on_unmount(self) -> None:
        self.planner.shutdown()
        # (the process's end would let go too; another app in this process may want the case)
        for session in [self.session, *self._cases_closing]:
            if session is not None:
                session.close()
        if self.backend is not None:
            self.backend.close()
        self.idle_gc.stop()

    # -- crashes --------------------------------------------------------------------------------
    def _fatal_error(self) -> None:
        """Textual's report of an unexpected error, without the values of local variables.

        Textual prints the traceback with every frame's local variables: in the wizard those are
        the user's answers and case files, printed on the terminal and pasted from there into bug
        reports. The frames and the error are what a report needs. (Textual 8.2.8, pinned:
        ``App._fatal_error`` with ``show_locals=False``; tests/tui/test_case_files.py checks it.)
        """
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()

    # -- app-wide actions -----------------------------------------------------------------------
    def action_help(self) -> None:
        from .screens.dialogs import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.lang, str(self.store.root)))

    def action_toggle_dark(self) -> None:
        self.theme = LIGHT if self.current_theme.dark else DARK

    def _theme_changed(self, theme: Theme) -> None:
        if self.config.theme != theme.name:
            self.config.theme = theme.name
            self.store.save_config(self.config)


def _close_unopened(opening: asyncio.Future[tuple[CaseSession, list[str]]]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        opening.result()[0].close()


def build_app(
    rules_dir: Path | str | None = None,
    lang: str | None = None,
    as_of: dt.date | None = None,
    data_dir: Path | str | None = None,
    rule_base: pathways.RuleBase | None = None,
    export_dir: Path | str | None = None,
    server: str | None = None,
    token: str | None = None,
) -> PathwaysApp:
    """The wizard app. ``data_dir`` defaults to ``$PATHWAYS_DATA_DIR`` or the user data directory.

    With ``server`` (a ``pathways serve`` URL, and its bearer ``token`` if it wants one) the
    questions and the checklist come from that server's rule base; nothing is evaluated here.
    """
    return PathwaysApp(
        rules_dir=Path(rules_dir) if rules_dir else None,
        lang=lang,
        as_of=as_of,
        data_dir=Path(data_dir) if data_dir else None,
        rule_base=rule_base,
        export_dir=Path(export_dir) if export_dir else None,
        server=server,
        token=token,
    )


def run(
    rules_dir: Path | str | None = None,
    lang: str | None = None,
    as_of: dt.date | None = None,
    server: str | None = None,
    token: str | None = None,
) -> int:
    """Run the wizard in the terminal; the exit code (0, or 2 if the rule base could not be loaded
    or the server could not be used)."""
    app = build_app(rules_dir, lang, as_of, server=server, token=token)
    app.run()
    if app.rule_base_error:
        for line in app.rule_base_error:
            print(f"error: {line}")
        return 2
    return app.return_code or 0
