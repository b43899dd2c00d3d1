"""The rule base could not be loaded: say where (file:line) and what, never a traceback."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static


from ..widgets.footer import Footer
from ..i18n import localize_bindings, t

__all__ = ["RuleBaseErrorScreen"]


class RuleBaseErrorScreen(Screen[None]):
    DEFAULT_CSS = """
    RuleBaseErrorScreen #error-title { background: $error; color: $text; text-style: bold; padding: 0 1; }
    RuleBaseErrorScreen #error-intro { padding: 1 1 0 1; }
    RuleBaseErrorScreen #error-list { padding: 1 1; }
    """
    BINDINGS = [Binding("q,escape,ctrl+q", "app.quit", "Quit", priority=True)]

    def __init__(self, lines: list[str], lang: str) -> None:
        super().__init__()
        self.lines = lines
        self.lang = lang

    def compose(self) -> ComposeResult:
        yield Static(t(self.lang, "rb_error_title"), id="error-title", markup=False)
        yield Static(Content(t(self.lang, "rb_error_intro")), id="error-intro")
        with VerticalScroll(id="error-scroll"):
            yield Static(Content("\n").join(Content.assemble(("- ", "$error"), Content(line)) for line in self.lines),
                         id="error-list")
        yield Footer()

    def on_mount(self) -> None:
        localize_bindings(self, self.lang)
