"""Start: choose the language, start a new case (optionally naming the product) or resume one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Input, Label, OptionList, RadioButton, RadioSet, Static
from textual.widgets.option_list import Option

from ..cases import Case, UnreadableCase
from ..i18n import LANG_NAMES, LANGS, colon, counted, localize_bindings, t
from ..widgets.footer import Footer

if TYPE_CHECKING:
    from ..app import PathwaysApp

__all__ = ["StartScreen"]


def _date(text: str) -> str:
    return text.replace("T", " ")[:16] if text else ""


def _one_line(text: str, limit: int = 300) -> str:
    """A file's name, or why it cannot be read (which may quote it), as one printable line of
    reasonable length: nothing from a file reaches the terminal as a control character."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _progress_text(case: Case, lang: str) -> str:
    """Where a saved case stands: questions to go, or, once there are none, what its checklist left
    open when it was last worked out ("complete" only if nothing is)."""
    if not case.complete:
        return t(lang, "to_go", n=case.remaining_at_most if case.remaining_at_most is not None else "?")
    if case.to_determine is None or case.open_questions is None:
        return t(lang, "no_more_questions")  # (its checklist not worked out since the last answer)
    if case.to_determine == 0 and case.open_questions == 0:
        return t(lang, "done")
    return t(
        lang,
        "open_state",
        items=counted(lang, case.to_determine, "item"),
        questions=counted(lang, case.open_questions, "question"),
    )


class CaseList(OptionList):
    """The saved cases. A returning user most likely resumes (Enter on the most recent case), so
    the list has the focus when there are cases; but what is typed there is a product name for a
    new case: it goes into the name field, which takes the focus."""

    def on_key(self, event: events.Key) -> None:
        if not event.is_printable or event.character is None:
            return
        event.stop()
        event.prevent_default()
        name = self.screen.query_one("#product", Input)
        name.cursor_position = len(name.value)
        name.insert_text_at_cursor(event.character)
        # at once, not after a refresh (``focus``): the next key typed must reach the field
        self.screen.set_focus(name)


class StartScreen(Screen[None]):
    AUTO_FOCUS = "#product"

    BINDINGS = [
        Binding("ctrl+n", "new_case", "Start a new case", priority=True),
        Binding("f2", "rename", "Rename"),
        Binding("f1", "app.help", "Help"),
        Binding("ctrl+q", "app.quit", "Quit", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.cases: list[Case] = []
        self.unreadable: list[UnreadableCase] = []
        self.in_use: dict[str, str] = {}  # case key -> who has it open (found when it would not open)
        self._mounted = False
        self._focused_once = False

    @property
    def papp(self) -> PathwaysApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        app = self.papp
        lang = app.lang
        yield Static(t(lang, "app_title"), id="title-bar", markup=False)
        with VerticalScroll(id="start-body"):
            yield Static(Content(t(lang, "start_intro")), id="intro")
            with Horizontal(id="lang-row"):
                yield Label(t(lang, "language") + colon(lang).rstrip(), id="lang-label")
                with RadioSet(id="lang"):
                    for code in LANGS:
                        yield RadioButton(LANG_NAMES[code], value=code == lang, id=f"lang-{code}")
            with Vertical(id="new-box"):
                yield Label(t(lang, "product"), id="product-label")
                with Horizontal(id="new-row"):
                    # not selected on focus: what is typed adds to the name (see CaseList), never replaces it
                    yield Input(
                        app.pending_product,
                        placeholder=t(lang, "product_placeholder"),
                        id="product",
                        select_on_focus=False,
                    )
                    yield Button(t(lang, "new_case"), id="new", variant="primary", disabled=app.backend is None)
            yield Label(t(lang, "resume"), id="resume-label")
            yield CaseList(id="cases")
            yield Static(self._status_text(), id="rb-status")
        yield Footer()

    def on_mount(self) -> None:
        localize_bindings(self, self.papp.lang)
        self._mounted = True
        if self.papp.backend is not None:
            self.rules_ready()
        else:
            self.refresh_cases()

    def _status_text(self) -> Content:
        app, lang = self.papp, self.papp.lang
        lines: list[Content] = []
        rb = app.backend
        if rb is None:
            lines.append(
                Content.styled(t(lang, "loading" if not app.server else "connecting", url=app.server), "italic")
            )
        else:
            lines.append(Content(t(lang, "rulebase_line", title=rb.title(lang), id=rb.id, version=rb.version)))
            if rb.location:
                lines.append(Content(t(lang, "server_line", url=rb.location)))
        lines.append(Content.styled(t(lang, "data_dir", path=str(app.store.root)), "dim"))
        return Content("\n").join(lines)

    def rules_ready(self) -> None:
        if not self._mounted:
            return  # on_mount will call again
        self.query_one("#new", Button).disabled = False
        self.query_one("#rb-status", Static).update(self._status_text())
        self.refresh_cases()
        self.refresh_bindings()

    def refresh_cases(self) -> None:
        app, lang = self.papp, self.papp.lang
        cases, unreadable = app.store.list_cases()
        self.cases, self.unreadable = cases, unreadable
        rb = app.backend
        options: list[Option] = []
        for case in cases:
            name = _one_line(case.product, 100) or t(lang, "unnamed")
            progress = _progress_text(case, lang)
            rb_text = f"{case.rulebase.get('id', '?')} {case.rulebase.get('version', '')}".strip()
            other = rb is not None and case.rulebase.get("id") != rb.id
            line2 = t(lang, "case_line", answered=case.answered, progress=progress) + f"  |  {rb_text}"
            if other:
                line2 = t(lang, "other_rulebase", rb=rb_text)
            elif rb is not None and case.rulebase.get("version") != rb.version:
                line2 += f"  ({rb.version})"
            if case.copy_of or case.key != f"{case.id}.yaml":  # a copy, or a renamed file: which one
                line2 += "  |  " + t(lang, "case_file", name=_one_line(case.key))
            prompt = Content.assemble((name, "bold"), "  ", (_date(case.updated), "dim"), "\n  ", (line2, "dim"))
            if case.key in self.in_use:
                prompt = Content.assemble(
                    prompt, "\n  ", (t(lang, "in_use_line", who=self.in_use[case.key]), "$warning")
                )
            options.append(Option(prompt, id=case.key, disabled=other))
        for bad in unreadable:
            # listed, never opened, never moved: the user sees why and decides (issue 20)
            prompt = Content.assemble(
                (t(lang, "unreadable", name=_one_line(bad.key)), "bold $warning"),
                "\n  ",
                (_one_line(bad.reason), "dim"),
                "\n  ",
                (t(lang, "unreadable_hint"), "dim"),
            )
            options.append(Option(prompt, id=bad.key, disabled=True))
        widget = self.query_one("#cases", OptionList)
        highlighted = widget.highlighted_option.id if widget.highlighted_option is not None else None
        widget.set_options(options)
        enabled = [i for i, o in enumerate(options) if not o.disabled]
        # (the same case stays highlighted when the list is read again, else the most recent)
        keep = next((i for i in enabled if options[i].id == highlighted), None)
        first = keep if keep is not None else (enabled[0] if enabled else None)
        widget.highlighted = first
        if first is not None and not self._focused_once:
            # a returning user most likely resumes: Enter on the most recent case does it
            self._focused_once = True
            widget.focus()
        if not options:
            widget.add_option(Option(Content.styled(t(lang, "no_cases"), "dim"), id="_none", disabled=True))

    def mark_in_use(self, key: str, who: str) -> None:
        """The case ``key`` would not open: another wizard has it. Say so on its line too."""
        self.in_use[key] = who
        if self._mounted:
            self.refresh_cases()

    # -- events ---------------------------------------------------------------------------------
    @on(RadioSet.Changed, "#lang")
    def _lang_changed(self, event: RadioSet.Changed) -> None:
        code = (event.pressed.id or "lang-en").removeprefix("lang-")
        if code != self.papp.lang:
            self.papp.pending_product = self.query_one("#product", Input).value
            self.papp.call_later(self.papp.set_language, code)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "new_case":
            return True if self.papp.backend is not None else None
        if action == "rename":
            return True if self.highlighted_case is not None else None
        return True

    @property
    def highlighted_case(self) -> Case | None:
        """The saved case highlighted in the list (the one F2 renames)."""
        found = self.query("#cases")  # (bindings are checked before the screen is composed too)
        option = found.first(OptionList).highlighted_option if found else None
        if option is None or option.disabled:
            return None
        return next((c for c in self.cases if c.key == option.id), None)

    def action_rename(self) -> None:
        case = self.highlighted_case
        if case is not None:
            self.papp.rename_listed_case(case)

    @on(OptionList.OptionHighlighted, "#cases")
    def _case_highlighted(self) -> None:
        self.refresh_bindings()

    def action_new_case(self) -> None:
        if self.papp.backend is None:
            return
        self.papp.start_case(self.query_one("#product", Input).value.strip())

    @on(Button.Pressed, "#new")
    def _new_pressed(self) -> None:
        self.action_new_case()

    @on(Input.Submitted, "#product")
    def _product_submitted(self) -> None:
        self.action_new_case()

    @on(OptionList.OptionSelected, "#cases")
    def _case_selected(self, event: OptionList.OptionSelected) -> None:
        case = next((c for c in self.cases if c.key == event.option.id), None)
        if case is not None and self.papp.backend is not None:
            self.papp.resume_case(case)
