"""Live preview: the routes already determined from the answers so far."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from pathways import RouteResult

from ..i18n import t
from .text import Wrapped

__all__ = ["RoutePreview"]


class RoutePreview(Static):
    def __init__(self, lang: str, *, id: str | None = "routes") -> None:
        super().__init__("", id=id)
        self.lang = lang
        self.border_title = t(lang, "routes_preview")
        self.routes: list[RouteResult] = []

    def show(self, routes: list[RouteResult]) -> None:
        if self.routes == list(routes) and self.visual is not None and str(self.visual):
            return
        self.routes = list(routes)
        lang = self.lang
        if not routes:
            self.update(Content.styled(t(lang, "no_routes"), "dim"))
            return
        lines = []
        # determined routes first; the mark goes after the title, so that a long Chinese title
        # wraps in place instead of leaving the mark alone on a line
        for r in sorted(routes, key=lambda r: r.applies != "yes"):
            if r.applies == "yes":
                lines.append(
                    Content.assemble(Content.styled(r.title, "bold"), "\n", ("✓ " + t(lang, "applies_yes"), "$success"))
                )
            else:
                lines.append(Content.assemble(Content(r.title), "\n", ("? " + t(lang, "applies_maybe"), "$warning")))
        self.update(Wrapped(Content("\n").join(lines)))
