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
    """The full and middle (generation 2 and 1) collections started meanwhile; the collector's state
    restored after."""
    seen: list[int] = []

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] > 0:
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
    assert gc.get_threshold() == (before[0], 1_000_000, 1_000_000)  # none on CPython's schedule
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


def test_the_middle_generation_waits_for_a_pause_unless_it_has_waited_too_long(full_collections: list[int]) -> None:
    collector = IdleCollector()
    collector.start()
    collector.IDLE_GC_AFTER = 3600.0  # the user is typing, and goes on typing
    collector.MIDDLE_AFTER = 1_000  # (more young collections than this test makes)
    collector.user_input()
    for _ in range(20):  # CPython's own schedule would have collected the middle generation twice
        gc.collect(0)
        collector.tick()
    assert full_collections == []
    assert gc.get_count()[1] >= 20  # the young collections' survivors wait in the middle generation
    collector.MIDDLE_AFTER = 20  # no pause for that long: collected at the next tick
    collector.tick()
    assert full_collections == [1] and gc.get_count()[1] == 0
    collector.tick()
    assert full_collections == [1]
    collector.IDLE_GC_AFTER = collector.IDLE_GC_EVERY = 0.0  # a pause: everything
    collector.tick()
    assert full_collections == [1, 2]
    collector.stop()


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
import textual.app, textual.screen, textual.strip, textual._styles_cache as sc
def patched():
    return (sc.StylesCache.__dict__["get_inner_outer"], textual.screen.Screen.__dict__["_compositor_refresh"],
            textual.app.App.__dict__["_end_batch"], textual.strip.Strip.__dict__["__init__"])
originals = patched()
crop_slot = textual.strip.Strip.__dict__["_crop_cache"]
import pathways_tui.app
from pathways_tui import _textual_fixes
fixed = patched()
for name, before, after in zip(("get_inner_outer", "_compositor_refresh", "_end_batch", "Strip"), originals, fixed):
    assert after is not before, name
    assert getattr(after, "__pathways_fixed__", False), name
    assert not getattr(before, "__pathways_fixed__", False), name
assert hasattr(originals[0], "cache_info") and not hasattr(fixed[0], "cache_info")  # lru_cache on self: gone
crop_cache = textual.strip.Strip.__dict__["_crop_cache"]
assert crop_cache is not crop_slot and crop_cache._slot is crop_slot  # the slot stands behind the stand-in
_textual_fixes.apply()  # again: nothing wrapped twice
assert fixed == patched() and textual.strip.Strip.__dict__["_crop_cache"] is crop_cache
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_a_strip_makes_a_cache_only_when_a_method_uses_it() -> None:
    from rich.segment import Segment
    from rich.style import Style
    from textual.cache import FIFOCache
    from textual.strip import Strip

    import pathways_tui.app  # noqa: F401 - applies the fixes

    def caches() -> int:
        return sum(isinstance(o, FIFOCache) for o in gc.get_objects())

    enabled = gc.isenabled()
    gc.collect()  # (earlier tests' garbage, and no collection while counting: only what this test makes)
    gc.disable()
    try:
        before = caches()
        strips = [Strip([Segment(f"line {n} of the help text", Style(bold=True))]) for n in range(200)]
        assert caches() == before  # Textual made 7 for each strip: 1,400 here
        cropped = [strip.crop(2, 9) for strip in strips]
        assert caches() == before + 200  # one each: the crop cache
    finally:
        (gc.enable if enabled else gc.disable)()
    assert [strip.crop(2, 9) for strip in strips] == cropped  # and it serves the second crop
    assert all(again is first for again, first in zip((s.crop(2, 9) for s in strips), cropped, strict=True))
    assert [strip.text for strip in cropped] == [f"line {n} of the help text"[2:9] for n in range(200)]
    for size in range(20):  # a cache keeps Textual's size: the 16 latest crops
        strips[0].crop(0, size)
    assert len(strips[0]._crop_cache) == 16
    divided = strips[1].divide([4, 9])
    assert [part.text for part in divided] == ["line", " 1 of"]
    assert strips[1].divide([4, 9]) is divided


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
