"""Progress that tells the truth: answered, and at most how many relevant questions remain."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

from pathways import Progress

from ..i18n import t

__all__ = ["ProgressPanel"]


class ProgressPanel(Horizontal):
    DEFAULT_CSS = """
    ProgressPanel { height: 1; }
    ProgressPanel #progress-text { width: auto; margin-right: 2; }
    ProgressPanel ProgressBar { width: 1fr; }
    ProgressPanel ProgressBar Bar { width: 1fr; }
    """

    def __init__(self, lang: str, *, id: str | None = "progress") -> None:
        super().__init__(id=id)
        self.lang = lang

    def compose(self) -> ComposeResult:
        yield Label("", id="progress-text")
        yield ProgressBar(total=1, show_eta=False, show_percentage=False)

    def show(self, progress: Progress | None, done: bool) -> None:
        if progress is None:
            return
        answered, remaining = progress.answered, progress.remaining_at_most
        if (answered, remaining, done) == getattr(self, "_shown", None):
            return
        self._shown = (answered, remaining, done)
        key = "progress_done" if done or remaining == 0 else "progress"
        self.query_one("#progress-text", Label).update(t(self.lang, key, answered=answered, remaining=remaining))
        bar = self.query_one(ProgressBar)
        bar.update(total=max(answered + remaining, 1), progress=answered if not done else max(answered, 1))
