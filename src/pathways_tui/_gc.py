"""Garbage collection off the wizard's critical path.

Measured with the shipped rule base: a full (generation 2) collection took 300-450 ms and, left to
CPython's own schedule, landed between an answer and the next question every ~20 answers (the p99
of answer -> next question). So full collections run only while the user is not typing: after a
reader's pause, and when a case ends (back on the start screen). Even after freezing what start-up
built, one takes 35-170 ms (the screens' and Textual's caches); started after 0.3 s without input
(a pause between choosing and pressing Enter), one now and then held up the key that answered
(bench/wizard.py at a 0.5 s reading time: max 153 ms). Hence ``IDLE_GC_AFTER``.

The middle generation waits too. Drawing a question leaves thousands of objects alive for a while
(the lines drawn, their caches, layout records); each young collection moves the survivors to the
middle generation, and CPython collected that one every tenth young collection: typed ahead, about
once an answer, 3-4 ms on average and up to 20-37 ms in an answer's window (bench/wizard.py
--think 0, shipped scenarios). A pause collects everything anyway, so the middle generation is
collected only in pauses too, unless ``MIDDLE_AFTER`` young collections pass without one (someone
answering for minutes without a second's pause): then at the next tick, bounding its memory.

Start-up: no collection at all until the rule base is loaded (``hold_gc_for_startup``); the app
then freezes what it holds (``IdleCollector.rules_ready``).

No Textual in here: the app calls ``IdleCollector.tick`` from a timer and ``user_input`` on keys
and clicks.
"""

from __future__ import annotations

import gc
import time

__all__ = ["IdleCollector", "hold_gc_for_startup"]


def hold_gc_for_startup() -> None:
    """No garbage collection until the rule base is loaded (the app then freezes what it holds).

    While Textual and the rule base load, the collector's full passes find nothing to free and
    cost about 0.1 s of the start-up here; ``run()`` calls this before its imports and
    ``PathwaysApp`` turns collection back on once the rule base is ready (or failed to load).
    """
    gc.disable()


class IdleCollector:
    """Full collections, and those of the middle generation, only in the user's pauses; CPython's own
    schedule keeps the young ones."""

    IDLE_GC_AFTER = 1.0  # seconds without input
    IDLE_GC_EVERY = 2.0  # at most one full collection per this many seconds
    TICK = 0.25  # seconds between two looks (the app's timer)
    MIDDLE_AFTER = 300  # young collections (~25 answers typed ahead) before the middle one is due anyway

    def __init__(self) -> None:
        self._last_input = self._last_gc = time.monotonic()
        self._thresholds: tuple[int, int, int] | None = None

    def start(self) -> None:
        """The app is mounted: from now on full and middle-generation collections are ours to start."""
        self._last_input = self._last_gc = time.monotonic()
        self._thresholds = gc.get_threshold()
        gc.set_threshold(self._thresholds[0], 1_000_000, 1_000_000)

    def user_input(self) -> None:
        """A key or a click."""
        self._last_input = time.monotonic()

    def tick(self) -> None:
        """(every ``TICK`` seconds) A full collection if the user has paused long enough; else the middle
        generation, if it has waited ``MIDDLE_AFTER`` young collections."""
        now = time.monotonic()
        if now - self._last_input >= self.IDLE_GC_AFTER and now - self._last_gc >= self.IDLE_GC_EVERY:
            self.collect()
        elif gc.get_count()[1] >= self.MIDDLE_AFTER:
            gc.collect(1)  # no pause for a long while: the young and middle generations, not the old

    def collect(self) -> None:
        gc.collect()
        self._last_gc = time.monotonic()

    @staticmethod
    def rules_ready() -> None:
        """Everything alive now (Textual, the compiled rule base) lives as long as the app: keep it
        out of the full passes, and collect again (held since start-up: ``hold_gc_for_startup``)."""
        gc.freeze()
        gc.enable()

    @staticmethod
    def rules_failed() -> None:
        gc.enable()

    def stop(self) -> None:
        """The app ends: the collector as it was (another app may run in this process)."""
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
        gc.unfreeze()
        gc.enable()  # (if the app ends before the rule base is loaded)
