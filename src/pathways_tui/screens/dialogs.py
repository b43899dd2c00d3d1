"""Small dialogs: help, and export (the checklist as PDF/Excel/HTML/Markdown/JSON, or the answers as YAML)."""

from __future__ import annotations

import re
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Markdown, RadioButton, RadioSet

from ..cases import EXPORT_DIR_ENV, MAX_NOTE
from ..i18n import help_markdown, localize_bindings, t

__all__ = ["ExportScreen", "HelpScreen", "NoteScreen", "RenameScreen", "FORMAT_SUFFIX", "default_export_path"]

FORMAT_SUFFIX = {
    "pdf": "-checklist.pdf",
    "xlsx": "-tracker.xlsx",
    "html": "-checklist.html",
    "md": "-checklist.md",
    "json": "-checklist.json",
    "yaml": "-answers.yaml",
}


def default_export_path(product: str, case_id: str, fmt: str, directory: Path) -> Path:
    stem = re.sub(r"[^\w.\-]+", "-", product.strip()).strip("-.") or f"case-{case_id}"
    return directory / (stem[:60] + FORMAT_SUFFIX[fmt])


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 90%; max-width: 100; height: 90%; border: thick $primary; background: $surface; }
    HelpScreen Markdown { height: 1fr; }
    HelpScreen #help-close { dock: bottom; margin: 0 1; }
    """
    BINDINGS = [Binding("escape,f1,question_mark,q", "close", "Close", priority=True)]

    def __init__(self, lang: str, data_dir: str) -> None:
        super().__init__()
        self.lang = lang
        self.data_dir = data_dir

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Markdown(help_markdown(self.lang, self.data_dir))
            yield Button(t(self.lang, "close"), id="help-close", compact=True)

    def on_mount(self) -> None:
        localize_bindings(self, self.lang)

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#help-close")
    def _close(self) -> None:
        self.dismiss(None)


class ExportScreen(ModalScreen[tuple[str, Path] | None]):
    """Choose what to write and where; returns (format, path) or None."""

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical { width: 90%; max-width: 90; height: auto; border: thick $primary;
                              background: $surface; padding: 0 1; }
    ExportScreen #export-title { text-style: bold; margin-bottom: 1; }
    ExportScreen RadioSet { width: 100%; }
    ExportScreen #export-folder { color: $text-muted; }
    ExportScreen #export-buttons { height: auto; margin-top: 1; align-horizontal: right; }
    ExportScreen #export-buttons Button { margin-left: 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#export-path"

    def __init__(self, lang: str, fmt: str, product: str, case_id: str, directory: Path) -> None:
        super().__init__()
        self.lang = lang
        self.fmt = fmt
        self.product = product
        self.case_id = case_id
        self.directory = directory  # where exports go unless another path is typed (cases.export_dir)

    def compose(self) -> ComposeResult:
        lang = self.lang
        with Vertical():
            yield Label(t(lang, "export_title"), id="export-title")
            with RadioSet(id="export-format"):
                for fmt in FORMAT_SUFFIX:
                    yield RadioButton(t(lang, f"fmt_{fmt}"), value=fmt == self.fmt, id=f"fmt-{fmt}")
            yield Label(t(lang, "file"))
            # not selected on focus: a typed letter or space must not replace the whole path
            yield Input(
                str(default_export_path(self.product, self.case_id, self.fmt, self.directory)),
                id="export-path",
                select_on_focus=False,
            )
            yield Label(
                t(lang, "export_folder", path=self.directory, env=EXPORT_DIR_ENV), id="export-folder", markup=False
            )
            with Horizontal(id="export-buttons"):
                yield Button(t(lang, "cancel"), id="export-cancel", compact=True)
                yield Button(t(lang, "write"), id="export-write", variant="primary", compact=True)

    def on_mount(self) -> None:
        localize_bindings(self, self.lang)

    @on(RadioSet.Changed, "#export-format")
    def _format_changed(self, event: RadioSet.Changed) -> None:
        fmt = (event.pressed.id or "fmt-md").removeprefix("fmt-")
        path_input = self.query_one("#export-path", Input)
        old_suffix = FORMAT_SUFFIX[self.fmt]
        if path_input.value.endswith(old_suffix):
            path_input.value = path_input.value[: -len(old_suffix)] + FORMAT_SUFFIX[fmt]
        self.fmt = fmt

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-write")
    def _write(self) -> None:
        value = self.query_one("#export-path", Input).value.strip()
        if value:
            self.dismiss((self.fmt, Path(value).expanduser()))

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class NoteScreen(ModalScreen[str | None]):
    """The company's own note on one checklist item; returns the text ('' removes it) or None."""

    DEFAULT_CSS = """
    NoteScreen { align: center middle; }
    NoteScreen > Vertical { width: 90%; max-width: 90; height: auto; border: thick $primary;
                            background: $surface; padding: 0 1; }
    NoteScreen #note-title { text-style: bold; margin-bottom: 1; }
    NoteScreen #note-hint { color: $text-muted; }
    NoteScreen #note-buttons { height: auto; margin-top: 1; align-horizontal: right; }
    NoteScreen #note-buttons Button { margin-left: 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#note-text"

    def __init__(self, lang: str, title: str, note: str) -> None:
        super().__init__()
        self.lang = lang
        self.title_text = title
        self.note = note

    def compose(self) -> ComposeResult:
        lang = self.lang
        with Vertical():
            yield Label(t(lang, "note_title", title=self.title_text), id="note-title", markup=False)
            # the cursor at the end, nothing selected: typing adds to the note instead of replacing it
            yield Input(self.note, id="note-text", max_length=MAX_NOTE, select_on_focus=False)
            yield Label(t(lang, "note_hint"), id="note-hint")
            with Horizontal(id="note-buttons"):
                yield Button(t(lang, "cancel"), id="note-cancel", compact=True)
                yield Button(t(lang, "save_note"), id="note-save", variant="primary", compact=True)

    def on_mount(self) -> None:
        localize_bindings(self, self.lang)

    @on(Input.Submitted, "#note-text")
    @on(Button.Pressed, "#note-save")
    def _save(self) -> None:
        self.dismiss(self.query_one("#note-text", Input).value)

    @on(Button.Pressed, "#note-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class RenameScreen(ModalScreen[str | None]):
    """The case's product name (what the case list and the exports show); returns it or None."""

    DEFAULT_CSS = """
    RenameScreen { align: center middle; }
    RenameScreen > Vertical { width: 90%; max-width: 90; height: auto; border: thick $primary;
                              background: $surface; padding: 0 1; }
    RenameScreen #rename-title { text-style: bold; margin-bottom: 1; }
    RenameScreen #rename-buttons { height: auto; margin-top: 1; align-horizontal: right; }
    RenameScreen #rename-buttons Button { margin-left: 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#rename-name"

    def __init__(self, lang: str, name: str) -> None:
        super().__init__()
        self.lang = lang
        self.name_now = name

    def compose(self) -> ComposeResult:
        lang = self.lang
        with Vertical():
            yield Label(t(lang, "rename_title"), id="rename-title")
            # the cursor at the end, nothing selected: a typed letter adds to the name, it does not replace it
            yield Input(
                self.name_now, placeholder=t(lang, "product_placeholder"), id="rename-name", select_on_focus=False
            )
            with Horizontal(id="rename-buttons"):
                yield Button(t(lang, "cancel"), id="rename-cancel", compact=True)
                yield Button(t(lang, "rename_save"), id="rename-save", variant="primary", compact=True)

    def on_mount(self) -> None:
        localize_bindings(self, self.lang)

    @on(Input.Submitted, "#rename-name")
    @on(Button.Pressed, "#rename-save")
    def _save(self) -> None:
        self.dismiss(self.query_one("#rename-name", Input).value.strip())

    @on(Button.Pressed, "#rename-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
