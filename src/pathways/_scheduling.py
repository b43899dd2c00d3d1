"""Background evaluations that give way to another thread: ``pathways.giving_way``.

A scheduling hook for interfaces (the wizard works out the next question for each likely answer
while the user reads one), kept out of the engine wrapper: the engine only asks ``current_pause()``
before each rule action.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["current_pause", "giving_way"]

_thread = threading.local()


@contextmanager
def giving_way(pause: Callable[[], None]) -> Iterator[None]:
    """Within the block, evaluations on this thread call ``pause()`` before each rule action.

    For work done in the background while a user waits on another thread: the engine's actions
    are Python and hold the GIL, so a background evaluation of 10-100 ms would halve the speed of
    the user's thread. ``pause`` blocks while that thread is busy; it must return soon, since the
    engine's lock for the rule base is held meanwhile. Blocks nest: the inner pause applies within
    the inner block, and other threads are never paused.

        >>> with pathways.giving_way(lambda: ui_idle.wait(0.25)):
        ...     pathways.next_question(rule_base, answers)
    """
    previous = getattr(_thread, "pause", None)
    _thread.pause = pause
    try:
        yield
    finally:
        _thread.pause = previous


def current_pause() -> Callable[[], None] | None:
    """The pause set by ``giving_way`` on this thread, if any."""
    pause: Callable[[], None] | None = getattr(_thread, "pause", None)
    return pause
