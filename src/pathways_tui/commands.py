"""The command palette (Ctrl+P): jump to a question, save, export, language, theme, help."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .i18n import LANG_NAMES, t

if TYPE_CHECKING:
    from .app import PathwaysApp

__all__ = ["PathwaysCommands", "palette_commands"]

Command = tuple[str, str, Callable[[], object]]


def palette_commands(app: PathwaysApp, screen: object) -> list[Command]:
    """The commands that make sense on ``screen``, in the app's language."""
    from .screens.checklist import ChecklistScreen
    from .screens.wizard import WizardScreen

    lang = app.lang
    commands: list[Command] = []
    session = app.session
    if isinstance(screen, (WizardScreen, ChecklistScreen)) and session is not None:
        for qid in session.answered_in_order():
            text = session.question(qid, lang).text
            commands.append(
                (t(lang, "cmd_jump", text=text), t(lang, "cmd_jump_help"), partial(app.show_questions, qid))
            )
        if isinstance(screen, WizardScreen):
            commands.append((t(lang, "cmd_checklist"), "", app.show_checklist))
        else:
            commands.append((t(lang, "cmd_questions"), "", partial(app.show_questions, None)))
        commands.append((t(lang, "cmd_rename"), session.case.product, app.action_rename_case))
        commands.append((t(lang, "cmd_save"), t(lang, "fmt_yaml"), partial(app.open_export, "yaml")))
        for fmt, name in (("pdf", "PDF"), ("xlsx", "Excel"), ("html", "HTML"), ("md", "Markdown"), ("json", "JSON")):
            commands.append((t(lang, "cmd_export", fmt=name), t(lang, f"fmt_{fmt}"), partial(app.open_export, fmt)))
        commands.append((t(lang, "cmd_start"), "", app.show_start))
    for code, name in LANG_NAMES.items():
        if code != lang:
            commands.append((t(lang, "cmd_lang", name=name), t(lang, "cmd_lang_help"), partial(app.set_language, code)))
    commands.append((t(lang, "cmd_dark"), "", app.action_toggle_dark))
    commands.append((t(lang, "cmd_help"), "", app.action_help))
    return commands


class PathwaysCommands(Provider):
    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in palette_commands(self.app, self.screen):  # type: ignore[arg-type]
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text or None)

    async def discover(self) -> Hits:
        for title, help_text, callback in palette_commands(self.app, self.screen):  # type: ignore[arg-type]
            yield DiscoveryHit(title, callback, text=title, help=help_text or None)
