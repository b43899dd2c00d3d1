"""Garbage collection off the critical path (``pathways_tui._gc``) and the Textual fixes it relies
on (``pathways_tui._textual_fixes``): each replacement really in place on the pinned Textual."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from pathways_tui._gc import IdleCollector, hold_gc_for_startup


@pytest.fixture
def full_collections() -> Iterator[list[int]]:
    """The full (generation 2) collections started meanwhile; the collector's state restored after."""
    seen: list[int] = []

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 2:
            seen.append(info["generation"])

    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    gc.callbacks.append(callback)
    try:
        yield seen
    finally:
        gc.callbacks.remove(callback)
        gc.set_threshold(*thresholds)
        gc.unfreeze()
        (gc.enable if enabled else gc.disable)()


def test_full_collections_wait_for_a_pause(full_collections: list[int]) -> None:
    before = gc.get_threshold()
    collector = IdleCollector()
    collector.start()
    assert gc.get_threshold() == (before[0], before[1], 1_000_000)  # none on CPython's schedule
    collector.IDLE_GC_AFTER = 3600.0  # the user is typing
    collector.IDLE_GC_EVERY = 0.0
    collector.user_input()
    collector.tick()
    assert full_collections == []
    collector.IDLE_GC_AFTER = 0.0  # the user has paused
    collector.tick()
    assert full_collections == [2]
    collector.IDLE_GC_EVERY = 3600.0  # one collected just now: not another one so soon
    collector.tick()
    assert full_collections == [2]
    collector.collect()  # (a case ended)
    assert full_collections == [2, 2]
    collector.stop()
    assert gc.get_threshold() == before and gc.isenabled()


def test_start_up_holds_collection_until_the_rules_are_ready(full_collections: list[int]) -> None:
    hold_gc_for_startup()
    assert not gc.isenabled()
    IdleCollector.rules_ready()
    assert gc.isenabled() and gc.get_freeze_count() > 0  # what start-up built is frozen
    hold_gc_for_startup()
    IdleCollector.rules_failed()
    assert gc.isenabled()
    collector = IdleCollector()
    collector.stop()  # (an app that ends before it was mounted)
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_the_textual_fixes_replace_what_they_patch() -> None:
    # in a fresh interpreter: pathways_tui.app applies them on import, once
    code = """
import textual.app, textual.screen, textual._styles_cache as sc
originals = (sc.StylesCache.__dict__["get_inner_outer"], textual.screen.Screen.__dict__["_compositor_refresh"],
             textual.app.App.__dict__["_end_batch"])
import pathways_tui.app
from pathways_tui import _textual_fixes
fixed = (sc.StylesCache.__dict__["get_inner_outer"], textual.screen.Screen.__dict__["_compositor_refresh"],
         textual.app.App.__dict__["_end_batch"])
for name, before, after in zip(("get_inner_outer", "_compositor_refresh", "_end_batch"), originals, fixed):
    assert after is not before, name
    assert getattr(after, "__pathways_fixed__", False), name
    assert not getattr(before, "__pathways_fixed__", False), name
assert hasattr(originals[0], "cache_info") and not hasattr(fixed[0], "cache_info")  # lru_cache on self: gone
_textual_fixes.apply()  # again: nothing wrapped twice
assert fixed == (sc.StylesCache.__dict__["get_inner_outer"], textual.screen.Screen.__dict__["_compositor_refresh"],
                 textual.app.App.__dict__["_end_batch"])
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_style_caches_are_not_kept_alive_by_the_colour_cache() -> None:
    from textual._styles_cache import Style, StylesCache
    from textual.color import Color

    import pathways_tui.app  # noqa: F401 - applies the fixes

    base, background = Color(10, 20, 30), Color(200, 100, 50, 0.5)
    cache = StylesCache()
    # what Textual 8.2.8's own method gives: it depends on the colours only
    expected = (Style(background=base + background), Style(background=base))
    assert cache.get_inner_outer(base, background) == expected
    assert StylesCache().get_inner_outer(base, background) == expected
    gone = weakref.ref(cache)
    del cache
    gc.collect()
    assert gone() is None  # Textual's lru_cache on the method kept the last 1,024 alive
