"""Fixes for Textual (pinned at 8.2.8) that the wizard needs, applied once when the app is imported.

``StylesCache.get_inner_outer`` is an instance method under ``functools.lru_cache(1024)``: the
cache key holds ``self``, so the last 1,024 style caches stay alive after their widgets are gone,
each with its rendered lines (Textualize/textual#6665, open). In the wizard every new case builds
new screens, so the objects the garbage collector must scan grew by ~40,000 a case here and a
full collection went from 28 ms to over 400 ms within a dozen cases (measured with the shipped
rule base), landing between an answer and the next question. The colours alone determine the
result, so the cache is kept, keyed by the colours only.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["apply"]


def apply() -> None:
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
