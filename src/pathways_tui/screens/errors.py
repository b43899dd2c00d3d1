"""The rule base could not be loaded (or the server used): say where (file:line) and what, never a traceback."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from ..i18n import localize_bindings, t
from ..widgets.footer import Footer

__all__ = ["RuleBaseErrorScreen"]


class RuleBaseErrorScreen(Screen[None]):
    DEFAULT_CSS = """
    RuleBaseErrorScreen #error-title { background: $error; color: $text; text-style: bold; padding: 0 1; }
    RuleBaseErrorScreen #error-intro { padding: 1 1 0 1; }
    RuleBaseErrorScreen #error-list { padding: 1 1; }
    """
    BINDINGS = [Binding("q,escape,ctrl+q", "app.quit", "Quit", priority=True)]

    def __init__(self, lines: list[str], lang: str, server: str | None = None) -> None:
        super().__init__()
        self.lines = lines
        self.lang = lang
        self.server = server  # the URL, when the rule base was to come from a pathways server

    def compose(self) -> ComposeResult:
        kind = "server_error" if self.server else "rb_error"
        yield Static(t(self.lang, f"{kind}_title"), id="error-title", markup=False)
        yield Static(Content(t(self.lang, f"{kind}_intro", url=self.server)), id="error-intro")
        with VerticalScroll(id="error-scroll"):
            yield Static(
                Content("\n").join(Content.assemble(("- ", "$error"), Content(line)) for line in self.lines),
                id="error-list",
            )
        yield Footer()

    def on_mount(self) -> None:
        localize_bindings(self, self.lang)
