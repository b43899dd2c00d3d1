"""Fixes for Textual (pinned at 8.2.8) that the wizard needs, applied once when the app is imported.

1. Style caches kept alive. ``StylesCache.get_inner_outer`` is an instance method under
   ``functools.lru_cache(1024)``: the cache key holds ``self``, so the last 1,024 style caches stay
   alive after their widgets are gone, each with its rendered lines (Textualize/textual#6665, open).
   In the wizard every new case builds new screens, so the objects the garbage collector must scan
   grew by ~40,000 a case here and a full collection went from 28 ms to over 400 ms within a dozen
   cases (measured with the shipped rule base), landing between an answer and the next question. The
   colours alone determine the result, so the cache is kept, keyed by the colours only.

2. Frames drawn and thrown away (the blank-screen failure of issue 17). While the app is inside a
   batch (``App.batch_update``: the app's whole start-up, and every ``Widget.recompose``, which the
   Footer does whenever its keys change) ``App._display`` writes nothing. But ``Screen._refresh_layout``
   still draws a frame then (it defers ``_compositor_refresh`` with ``call_later``, which does not
   look at the batch again when it runs): the frame uses up the regions waiting to be painted and is
   dropped, so those parts of the screen are never painted until something changes them again.
   Measured: every start drew the start screen's first frame into a batch, and the rule-base error
   screen often reached the terminal as its title and Footer without the error list (tests/tui/
   test_paint.py counts the dropped frames). Usually a later refresh happens to cover the loss; on a
   busy machine events come in another order, and the tmux tests saw the question pane or the error
   screen blank for 20 s with only the Footer painted. Now a frame asked for during a batch is not
   drawn: the screen owes it, and draws it (the whole screen) when the last batch ends.

3. Seven caches made for every line drawn. ``Strip.__init__`` makes seven ``FIFOCache`` objects
   (one per kind of derived strip: cropped, styled, divided, ...) for every strip, including the
   many intermediate strips whose caches are never used, and the garbage collector tracks each.
   Measured on a typed-ahead walk of the shipped scenarios: they were 46 % of the objects the young
   collections scanned (~5,300 an answer). Now each cache is made when its method first uses it: a
   new strip costs 0.28 us instead of 1.66 us, a cache lookup 0.2 us more.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["apply", "frame_owed"]

_OWED = "_pathways_frame_owed"


def apply() -> None:
    _colour_cache()
    _no_frames_in_batches()
    _strip_caches_when_used()


def frame_owed(screen: Any) -> bool:
    """Whether ``screen`` has a frame to draw that was asked for during a batch."""
    return bool(getattr(screen, _OWED, False))


def _colour_cache() -> None:
    from textual._styles_cache import StylesCache

    original = StylesCache.__dict__.get("get_inner_outer")
    if getattr(original, "__pathways_fixed__", False):
        return
    inner = getattr(original, "__wrapped__", None)  # the undecorated method (lru_cache keeps it)
    if inner is None:  # a Textual that changed this method: nothing to fix here
        return

    @lru_cache(1024)
    def by_colours(base_background: Any, background: Any) -> Any:
        return inner(None, base_background, background)  # it never uses self

    def get_inner_outer(self: StylesCache, base_background: Any, background: Any) -> Any:
        return by_colours(base_background, background)

    get_inner_outer.__pathways_fixed__ = True  # type: ignore[attr-defined]  # a marker on a function object
    # Textual's method is an lru_cache wrapper; ours is a plain function over a cache of its own
    StylesCache.get_inner_outer = get_inner_outer  # type: ignore[method-assign, assignment]


def _no_frames_in_batches() -> None:
    from textual.app import App
    from textual.screen import Screen

    compositor_refresh = Screen.__dict__.get("_compositor_refresh")
    end_batch = App.__dict__.get("_end_batch")
    if compositor_refresh is None or end_batch is None or getattr(compositor_refresh, "__pathways_fixed__", False):
        return

    def _compositor_refresh(self: Screen[Any]) -> None:
        app = self.app
        if app._batch_count and self is app.screen:
            setattr(self, _OWED, True)  # drawn now, it would be dropped: draw it after the batch
            return
        if getattr(self, _OWED, False):
            setattr(self, _OWED, False)
            compositor = self._compositor
            compositor._dirty_regions.add(compositor.size.region)  # all of it: nothing was drawn meanwhile
        compositor_refresh(self)

    def _end_batch(self: App[Any]) -> None:
        end_batch(self)
        if self._batch_count:
            return
        try:
            screen = self.screen
        except Exception:  # (no screen yet, or the app is closing)
            return
        if getattr(screen, _OWED, False):
            screen.refresh()  # now, not whenever something else next changes on the screen

    _compositor_refresh.__pathways_fixed__ = True  # type: ignore[attr-defined]
    _end_batch.__pathways_fixed__ = True  # type: ignore[attr-defined]
    Screen._compositor_refresh = _compositor_refresh  # type: ignore[method-assign]
    App._end_batch = _end_batch  # type: ignore[method-assign]


# Strip's caches and their sizes, as Strip.__init__ (Textual 8.2.8) makes them
_STRIP_CACHES = {
    "_divide_cache": 4,
    "_crop_cache": 16,
    "_style_cache": 16,
    "_filter_cache": 4,
    "_line_length_cache": 4,
    "_crop_extend_cache": 4,
    "_offsets_cache": 4,
}
_STRIP_SLOTS = {*_STRIP_CACHES, "_segments", "_cell_length", "_render_cache", "_link_ids", "_cell_count"}


class _CacheWhenUsed:
    """Stands for one of ``Strip``'s cache slots: the cache is made on first use, then kept in the slot."""

    __slots__ = ("_make", "_size", "_slot")

    def __init__(self, slot: Any, size: int, make: Any) -> None:
        self._slot = slot  # the slot's own member descriptor
        self._size = size
        self._make = make  # Textual's FIFOCache

    def __get__(self, strip: Any, owner: Any = None) -> Any:
        if strip is None:
            return self
        try:
            return self._slot.__get__(strip, owner)
        except AttributeError:  # not used yet
            cache = self._make(self._size)
            self._slot.__set__(strip, cache)
            return cache

    def __set__(self, strip: Any, value: Any) -> None:
        self._slot.__set__(strip, value)


def _strip_caches_when_used() -> None:
    from textual.cache import FIFOCache
    from textual.strip import Strip

    init = Strip.__dict__["__init__"]
    if getattr(init, "__pathways_fixed__", False) or set(Strip.__slots__) != _STRIP_SLOTS:
        return  # done already, or a Textual whose Strip changed: left as it is
    slots = {name: Strip.__dict__[name] for name in _STRIP_CACHES}

    def __init__(self: Strip, segments: Any, cell_length: int | None = None) -> None:
        self._segments = list(segments)
        self._cell_length = cell_length
        self._render_cache = None
        self._link_ids = None
        self._cell_count = None

    for name, size in _STRIP_CACHES.items():
        setattr(Strip, name, _CacheWhenUsed(slots[name], size, FIFOCache))
    __init__.__pathways_fixed__ = True  # type: ignore[attr-defined]
    Strip.__init__ = __init__  # type: ignore[method-assign]
