"""The wizard's engine work, off the UI thread: the next question, and the next questions it may need.

A ``Planner`` (one per app) owns

* the engine thread: one thread for every backend call (durable-rules is synchronous C, a server
  is a network round trip; neither may run on the UI thread). A persistent thread rather than a
  thread worker per answer: starting a Textual thread worker cost 2-12 ms per answer here;
* the next steps worked out in advance: while a question is read, the planner runs for each likely
  answer (``likely_answers``) and keeps the results, keyed by the answers, so that answering shows
  the next question without waiting for the engine;
* the give-way handshake: from the key that answers until the next question is on the terminal the
  screen calls ``ui_busy()``, and background engine work (the prefetch, inside
  ``pathways.giving_way``) waits before each rule action until ``ui_free()``, at most
  ``GIVE_WAY_AT_MOST`` seconds per call.

No Textual in here: the screens tell the planner what the user does and await its results
(tests/tui/test_planner.py drives it with a backend and a plain asyncio loop).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import pathways
from pathways import NextQuestion, QuestionOut, giving_way

if TYPE_CHECKING:
    from .backend import Backend

__all__ = ["Planner", "likely_answers"]

T = TypeVar("T")
Key = tuple[object, ...]

MULTI_NEIGHBOURS = 12  # a multi question's options whose tick or untick is worked out in advance


def likely_answers(question: QuestionOut, current: Any, *, valid: bool) -> list[Any]:
    """The answers ``question`` is likely to get, likeliest first, given what its input holds now
    (``current``, if ``valid``): every option of a choice, yes and no, "don't know", the current
    ticks or input."""
    if question.type in ("yes_no", "choice"):
        candidates = _options_first(question, current, valid)
    elif question.type == "multi":
        candidates = _ticks_nearby(question, set(current) if valid else set())
    else:
        candidates = [current] if valid else []
    if question.unknown_allowed:
        candidates.append("unknown")
    return candidates


def _options_first(question: QuestionOut, current: Any, valid: bool) -> list[Any]:
    """The option under the cursor first (the likeliest answer), then the others."""
    options: list[Any] = [True, False] if question.type == "yes_no" else [o.value for o in question.options]
    if not valid:
        return options
    return [current] + [o for o in options if o != current]


def _ticks_nearby(question: QuestionOut, ticked: set[Any]) -> list[Any]:
    """The ticks as they are, then each one tick away from them (most answers are a tick or two;
    after every tick this is worked out again from the new ticks), each in option order."""
    neighbours = [ticked ^ {o.value} for o in question.options[:MULTI_NEIGHBOURS]]
    return [[o.value for o in question.options if o.value in chosen] for chosen in (ticked, *neighbours)]


class Planner:
    """The engine thread, the next steps worked out in advance, and background work that gives
    way to the UI (see the module's docstring). Call its methods from the UI thread."""

    GIVE_WAY_AT_MOST = 0.25  # seconds per background engine call, in case the UI never says it is free
    CACHE_LIMIT = 300  # next steps kept; past that the cache starts again

    def __init__(self) -> None:
        self.engine = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pathways-engine")
        # cleared while an answer is being turned into the next question on screen: background
        # engine work (the prefetch) waits meanwhile instead of taking turns with the UI thread
        self.ui_idle = threading.Event()
        self.ui_idle.set()
        self._ready: dict[Key, NextQuestion] = {}
        self._generation = 0  # bumped when queued guesses become moot

    # -- the engine thread ----------------------------------------------------------------------
    def run(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """``fn(*args)`` in the engine thread, awaitable from the event loop."""
        return asyncio.get_running_loop().run_in_executor(self.engine, fn, *args)

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """``fn()`` in the engine thread, after the work queued before it (``RuntimeError`` once
        the planner is shut down)."""
        return self.engine.submit(fn)

    def shutdown(self, *, wait: bool = False) -> None:
        """No more engine work: what is queued is dropped, the call under way finishes."""
        self._generation += 1
        if not self.ui_idle.is_set():
            self.ui_idle.set()  # (a prefetch waiting on the UI stops waiting)
        self.engine.shutdown(wait=wait, cancel_futures=True)

    # -- giving way to the UI -------------------------------------------------------------------
    def ui_busy(self) -> None:
        """An answer is being turned into the next question on screen: background work waits."""
        self.ui_idle.clear()

    def ui_free(self) -> None:
        """The UI is idle (the question painted) or only waits for the planner: background work goes on."""
        self.ui_idle.set()

    def giving_way(self) -> Callable[[], None]:
        """A pause for one background engine call (see ``pathways.giving_way``): it blocks while
        the UI is busy, for ``GIVE_WAY_AT_MOST`` seconds in all."""
        idle = self.ui_idle
        budget = self.GIVE_WAY_AT_MOST

        def pause() -> None:
            nonlocal budget
            if idle.is_set() or budget <= 0:
                return
            started = time.monotonic()
            idle.wait(budget)
            budget -= time.monotonic() - started

        return pause

    # -- next steps -----------------------------------------------------------------------------
    @staticmethod
    def key(answers: Mapping[str, Any], lang: str, day: dt.date) -> Key:
        return (lang, day, tuple((q, repr(v)) for q, v in sorted(answers.items())))

    def ready(self, answers: Mapping[str, Any], lang: str, day: dt.date) -> NextQuestion | None:
        """The next step for ``answers`` if it is already worked out (no engine call)."""
        return self._ready.get(self.key(answers, lang, day))

    @property
    def cached(self) -> int:
        """How many next steps are kept."""
        return len(self._ready)

    def forget(self) -> None:
        """Drop every next step worked out so far and the guesses still queued (a new wizard
        screen; or the backend's rule base changed)."""
        self._ready = {}
        self._generation += 1

    async def next_step(self, backend: Backend, answers: Mapping[str, Any], lang: str, day: dt.date) -> NextQuestion:
        """The planner's next step for ``answers``, from the engine thread.

        Guesses still queued are moot now and dropped: the real request goes first. If a guess of
        these very answers finishes while this request waits for the engine, it is used.
        """
        self._generation += 1
        answers = dict(answers)
        key = self.key(answers, lang, day)
        ready = self._ready

        def plan() -> NextQuestion:
            # a prefetch of these very answers may have finished while this request queued
            step = ready.get(key)
            return step if step is not None else backend.next_question(answers, lang, day)

        self.ui_free()  # the UI only waits now: let a prefetch under way finish
        step = await self.run(plan)
        ready[key] = step
        return step

    def prefetch(
        self,
        backend: Backend,
        answers: Mapping[str, Any],
        qid: str,
        values: Iterable[Any],
        lang: str,
        day: dt.date,
    ) -> int:
        """Queue the next step for each answer ``qid`` may get (``values``, likeliest first) in the
        engine thread, replacing the guesses still queued; returns how many were queued."""
        if len(self._ready) > self.CACHE_LIMIT:
            self._ready.clear()
        self._generation += 1
        generation, ready = self._generation, self._ready
        queued = 0
        for value in values:
            guess = {**answers, qid: value}
            key = self.key(guess, lang, day)
            if key not in ready:
                self.engine.submit(self._prefetch_one, generation, ready, backend, guess, lang, day, key)
                queued += 1
        return queued

    def _prefetch_one(
        self,
        generation: int,
        ready: dict[Key, NextQuestion],
        backend: Backend,
        answers: dict[str, Any],
        lang: str,
        day: dt.date,
        key: Key,
    ) -> None:
        """(engine thread) One planner result into the cache, unless the user has moved on."""
        if generation != self._generation or key in ready:
            return
        try:
            with giving_way(self.giving_way()):
                ready[key] = backend.next_question(answers, lang, day)
        except pathways.PathwaysError:
            pass  # the real request will report it
