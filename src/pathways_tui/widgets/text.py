"""Text that wraps as Chinese is set: no closing bracket or full stop at the start of a line.

Textual wraps text at spaces only; Chinese has none, so a Chinese sentence is folded wherever the
width ends, and a lone ``）`` or ``。`` can start a line of its own. ``Wrapped`` breaks lines itself
(between any two Chinese characters, at spaces elsewhere) and never before closing punctuation nor
after opening punctuation (the rule Chinese and Japanese typesetting call kinsoku): the character
before a ``）`` moves down with it. Text without wide characters is left to Textual as it is.

A line given as ``keep`` (a link, on a line of its own) is never broken: in a pane that scrolls
sideways (``TextPane``) it can be read, clicked and copied whole.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from rich.cells import cell_len
from textual.containers import VerticalScroll
from textual.content import Content
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual

__all__ = ["TextPane", "Wrapped", "break_offsets", "link_line"]

# never at the start of a line (closing brackets, stops, commas, colons and the like)
NO_START = frozenset("!%),.:;?]}¢°’”‰′″℃、。〃々〉》」』】〕〗〙〛〞〟ー・！％），．：；？］｝｡｣､･ｰ…‥")
# never at the end of a line (opening brackets and quotes)
NO_END = frozenset("([{£¥‘“〈《「『【〔〖〘〚〝（［｛｢￡￥")


@lru_cache(maxsize=4096)
def _wide(ch: str) -> bool:
    return cell_len(ch) == 2


def _breakable(prev: str, cur: str) -> bool:
    """May a line end between ``prev`` and ``cur``?"""
    if cur.isspace():
        return False  # (spaces stay at the end of the line before; they are dropped there)
    if prev.isspace():
        return True
    if cur in NO_START or prev in NO_END:
        return False
    return _wide(prev) or _wide(cur)  # between Chinese characters; never inside a Latin word


def break_offsets(text: str, width: int) -> list[int]:
    """Where lines of at most ``width`` cells begin in ``text`` (one paragraph, no newlines).

    A run with no break in it (a long word, a URL) that is wider than ``width`` is left whole.
    """
    offsets: list[int] = []
    width = max(width, 2)
    start = 0  # where the current line begins
    used = 0  # cells on the current line before ``i`` (spaces at its end may overhang)
    last = -1  # the last place after ``start`` where the line may end
    for i, ch in enumerate(text):
        if i > start and _breakable(text[i - 1], ch):
            last = i
        size = cell_len(ch)
        if ch.isspace():
            used += size
            continue
        if used + size > width and last > start:
            offsets.append(last)
            start = last
            used = cell_len(text[start:i])
            last = -1
            for j in range(start + 1, i):  # (a break left between the new start and here)
                if _breakable(text[j - 1], text[j]):
                    last = j
            if i > start and _breakable(text[i - 1], ch):
                last = i
        used += size
    return offsets


def _lines(content: Content, width: int, keep: Callable[[str], bool]) -> Content:
    """``content`` with line breaks where ``break_offsets`` puts them (spaces before a break dropped)."""
    plain = content.plain
    cuts: list[int] = []
    position = 0
    for paragraph in plain.split("\n"):
        if not keep(paragraph) and cell_len(paragraph) > width:
            cuts += [position + offset for offset in break_offsets(paragraph, width)]
        position += len(paragraph) + 1
    if not cuts:
        return content
    pieces = content.divide(cuts)
    return Content("\n").join([piece.rstrip(" ") for piece in pieces[:-1]] + [pieces[-1]])


def _never(paragraph: str) -> bool:
    return False


class Wrapped(Visual):
    """``content`` wrapped with Chinese line-breaking rules (see the module's docstring).

    ``wrap_width``: wrap at this many cells even when the widget is wider (a pane that scrolls
    sideways for its long links; ``TextPane`` sets it). ``keep``: paragraphs never broken.
    """

    def __init__(
        self, content: Content, *, wrap_width: int | None = None, keep: Callable[[str], bool] = _never
    ) -> None:
        self.content = content
        self.wrap_width = wrap_width
        self.keep = keep
        # (text without wide characters in an ordinary widget: Textual's own wrapping is the same)
        self._own = wrap_width is not None or any(_wide(ch) for ch in content.plain)
        self._cache: dict[int, Content] = {}

    def __str__(self) -> str:
        return self.content.plain

    @property
    def plain(self) -> str:
        return self.content.plain

    def at(self, width: int) -> Content:
        """The content as it is drawn ``width`` cells wide (its lines broken)."""
        if self.wrap_width is not None:
            width = min(width, self.wrap_width)
        if not self._own or width <= 0:
            return self.content
        found = self._cache.get(width)
        if found is None:
            if len(self._cache) > 8:
                self._cache.clear()
            found = self._cache[width] = _lines(self.content, width, self.keep)
        return found

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        pad = options.rules.get("line_pad", 0) * 2
        return self.at(width - pad).render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        if self.wrap_width is None:
            return self.content.get_optimal_width(rules, container_width)
        # as wide as the wrapped text, or as its longest unbroken line
        lines = self.at(self.wrap_width).plain.split("\n")
        return max([self.wrap_width, *(cell_len(line) for line in lines)]) + rules.get("line_pad", 0) * 2

    def get_minimal_width(self, rules: RulesMap) -> int:
        return self.content.get_minimal_width(rules)

    def get_height(self, rules: RulesMap, width: int) -> int:
        pad = rules.get("line_pad", 0) * 2
        return self.at(width - pad).get_height(rules, width)


def _is_link_line(paragraph: str) -> bool:
    return "://" in paragraph and " " not in paragraph.strip()


class TextPane(VerticalScroll):
    """A scrolling pane of text whose links sit on lines of their own, never broken: the text wraps
    at the pane's width, and a link longer than that makes the pane scroll sideways instead.

    Subclasses show their text with ``show_text(static, content)``; a link is a line holding only
    its URL (``link_line``).
    """

    DEFAULT_CSS = """
    TextPane { overflow-x: auto; scrollbar-gutter: stable; }
    TextPane .pane-text { width: auto; min-width: 100%; text-wrap: nowrap; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._texts: dict[str, Content] = {}
        self._wrapped_at: int | None = None  # the width the texts were last wrapped for

    @property
    def wrap_width(self) -> int:
        return max(self.scrollable_content_region.width, 10)

    def show_text(self, selector: str, content: Content) -> None:
        from textual.widgets import Static

        self._texts[selector] = content
        self._wrapped_at = width = self.wrap_width
        static = self.query_one(selector, Static)
        static.update(Wrapped(content, wrap_width=width - static.styles.gutter.width, keep=_is_link_line))

    def on_resize(self) -> None:
        # wrapped again only for a new width: a new height (the wizard's help pane, with nearly
        # every question) changes nothing in the text, and wrapping it again cost a second frame
        if self.wrap_width == self._wrapped_at:
            return
        for selector, content in self._texts.items():
            self.show_text(selector, content)


def link_line(url: str, indent: str = "  ") -> Content:
    """A URL as a line of its own: underlined, and a link the terminal can open."""
    return Content.assemble(indent, Content.styled(url, Style(link=url, underline=True)))
