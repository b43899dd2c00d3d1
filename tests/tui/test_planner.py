"""The wizard's engine orchestration without Textual: ``pathways_tui.planner.Planner`` on the real
local backend (the mini rule base), with a backend that records and can hold its calls.

Nothing here assumes a fast machine: every wait is on an event or on the engine thread's queue,
with a generous timeout.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import pathways
from pathways import NextQuestion, OptionOut, QuestionOut
from pathways_tui.backend import LocalBackend
from pathways_tui.planner import Planner, likely_answers

MINI = Path(__file__).parent.parent / "fixtures" / "mini"
AS_OF = dt.date(2026, 11, 24)
LONG = 60.0  # seconds: a timeout no loaded machine reaches


class Recording(LocalBackend):
    """The local backend, recording each planner call; with ``held`` every call waits for ``release()``."""

    def __init__(self, rule_base: pathways.RuleBase, *, held: bool = False) -> None:
        super().__init__(rule_base)
        self.calls: list[dict[str, Any]] = []
        self.started = threading.Event()  # a call has begun
        self._gate = threading.Event()
        if not held:
            self._gate.set()

    def release(self) -> None:
        self._gate.set()

    def next_question(self, answers: Mapping[str, Any], lang: str, as_of: dt.date) -> NextQuestion:
        self.calls.append(dict(answers))
        self.started.set()
        assert self._gate.wait(LONG), "never released"
        return super().next_question(answers, lang, as_of)


class Pausing(Planner):
    """A planner that says when background work has started to give way (``paused``)."""

    def __init__(self) -> None:
        super().__init__()
        self.paused = threading.Event()

    def giving_way(self) -> Callable[[], None]:
        pause = super().giving_way()

        def recorded() -> None:
            self.paused.set()
            pause()

        return recorded


@pytest.fixture
def planner() -> Iterator[Planner]:
    planner = Planner()
    yield planner
    planner.shutdown()


def drain(planner: Planner) -> None:
    """Wait until everything queued in the engine thread so far has run (it runs in order)."""
    planner.submit(lambda: None).result(timeout=LONG)


def engine_thread(planner: Planner) -> threading.Thread:
    return planner.submit(threading.current_thread).result(timeout=LONG)


KIND = ["device", "food", "unknown"]  # mini's first question, likeliest first


def test_the_planner_needs_no_textual() -> None:
    code = "import sys, pathways_tui.planner; print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]"


def test_likely_answers_put_the_one_on_screen_first() -> None:
    options = [OptionOut(value=v, label=v.upper()) for v in ("a", "b", "c")]
    choice = QuestionOut(id="q", text="Q", type="choice", options=options, unknown_allowed=True)
    assert likely_answers(choice, "b", valid=True) == ["b", "a", "c", "unknown"]
    assert likely_answers(choice, None, valid=False) == ["a", "b", "c", "unknown"]
    yes_no = QuestionOut(id="q", text="Q", type="yes_no", unknown_allowed=False)
    assert likely_answers(yes_no, False, valid=True) == [False, True]
    multi = QuestionOut(id="q", text="Q", type="multi", options=options, unknown_allowed=False)
    # the ticks as they are, then each one tick away, in option order
    assert likely_answers(multi, ["c", "a"], valid=True) == [["a", "c"], ["c"], ["a", "b", "c"], ["a"]]
    text = QuestionOut(id="q", text="Q", type="text", unknown_allowed=True)
    assert likely_answers(text, "abc", valid=True) == ["abc", "unknown"]
    assert likely_answers(text, "", valid=False) == ["unknown"]


async def test_a_prefetched_answer_is_served_from_the_cache(mini: pathways.RuleBase, planner: Planner) -> None:
    backend = Recording(mini)
    assert planner.prefetch(backend, {}, "kind", KIND, "en", AS_OF) == 3
    drain(planner)
    assert [c["kind"] for c in backend.calls] == KIND
    for value in KIND:
        expected = pathways.next_question(mini, {"kind": value}, "en", AS_OF)
        assert planner.ready({"kind": value}, "en", AS_OF) == expected
    assert planner.ready({"kind": "device"}, "zh", AS_OF) is None  # the language is part of the key
    step = await planner.next_step(backend, {"kind": "food"}, "en", AS_OF)
    assert step == pathways.next_question(mini, {"kind": "food"}, "en", AS_OF)
    assert len(backend.calls) == 3  # no engine call for an answer worked out in advance
    assert planner.prefetch(backend, {}, "kind", KIND, "en", AS_OF) == 0  # nothing worked out twice


async def test_a_stale_generations_prefetch_is_discarded(mini: pathways.RuleBase, planner: Planner) -> None:
    backend = Recording(mini, held=True)
    planner.prefetch(backend, {}, "kind", KIND, "en", AS_OF)
    assert backend.started.wait(LONG)  # "device" is under way, "food" and "unknown" queued
    # the user moved on to the next question before they ran
    planner.prefetch(backend, {"kind": "device"}, "made_in", ["abroad"], "en", AS_OF)
    backend.release()
    drain(planner)
    assert backend.calls == [{"kind": "device"}, {"kind": "device", "made_in": "abroad"}]
    assert planner.ready({"kind": "device"}, "en", AS_OF) is not None  # (it was under way: kept)
    assert planner.ready({"kind": "food"}, "en", AS_OF) is None
    assert planner.ready({"kind": "device", "made_in": "abroad"}, "en", AS_OF) is not None


async def test_forget_drops_what_was_worked_out_even_under_way(mini: pathways.RuleBase, planner: Planner) -> None:
    backend = Recording(mini, held=True)
    planner.prefetch(backend, {}, "kind", KIND, "en", AS_OF)
    assert backend.started.wait(LONG)
    planner.forget()  # (say the server's rule base changed meanwhile)
    backend.release()
    drain(planner)
    assert len(backend.calls) == 1
    assert all(planner.ready({"kind": v}, "en", AS_OF) is None for v in KIND)


def test_the_cache_is_bounded(mini: pathways.RuleBase, planner: Planner) -> None:
    backend = Recording(mini)
    planner.CACHE_LIMIT = 4
    planner.prefetch(backend, {}, "kind", KIND, "en", AS_OF)
    for day in range(1, 13):  # 2 more answers at a time (the date is part of the key)
        drain(planner)
        planner.prefetch(backend, {"kind": "device"}, "made_in", ["tianjin", "abroad"], "en", AS_OF.replace(day=day))
        assert planner.cached <= planner.CACHE_LIMIT + 2
    drain(planner)
    assert len(backend.calls) == 3 + 24
    assert 0 < planner.cached <= planner.CACHE_LIMIT + 2
    assert planner.ready({"kind": "device"}, "en", AS_OF) is None  # the oldest went with the rest


async def test_the_real_request_goes_first(mini: pathways.RuleBase, planner: Planner) -> None:
    backend = Recording(mini, held=True)
    planner.prefetch(backend, {}, "kind", KIND, "en", AS_OF)
    assert backend.started.wait(LONG)  # "device" under way, "food" and "unknown" queued
    planner.ui_busy()  # the user answers "food"
    request = planner.next_step(backend, {"kind": "food"}, "en", AS_OF)
    backend.release()
    step = await request
    assert step == pathways.next_question(mini, {"kind": "food"}, "en", AS_OF)
    # the guess under way finished; the queued ones were dropped, so the answer was next
    assert backend.calls == [{"kind": "device"}, {"kind": "food"}]
    assert planner.ui_idle.is_set()  # waiting for the engine, the UI lets background work go on


async def test_a_prefetch_of_the_same_answers_finishing_meanwhile_is_used(
    mini: pathways.RuleBase, planner: Planner
) -> None:
    backend = Recording(mini, held=True)
    planner.prefetch(backend, {}, "kind", KIND, "en", AS_OF)
    assert backend.started.wait(LONG)  # "device" under way
    request = planner.next_step(backend, {"kind": "device"}, "en", AS_OF)  # the user answers "device"
    backend.release()
    step = await request
    assert backend.calls == [{"kind": "device"}]  # one engine call for both
    assert step == pathways.next_question(mini, {"kind": "device"}, "en", AS_OF)


def test_a_prefetch_gives_way_while_the_ui_is_busy() -> None:
    rule_base = pathways.load_rule_base(MINI)  # (its own: nothing remembered from other tests)
    planner = Pausing()
    try:
        planner.GIVE_WAY_AT_MOST = LONG
        planner.ui_busy()  # an answer is being turned into the next question on screen
        planner.prefetch(LocalBackend(rule_base), {}, "kind", ["device"], "en", AS_OF)
        assert planner.paused.wait(LONG)  # the engine stopped before a rule action...
        done = planner.submit(lambda: None)
        assert planner.ready({"kind": "device"}, "en", AS_OF) is None  # ...and waits there
        assert not done.done()
        planner.ui_free()  # the question is painted
        done.result(timeout=LONG)
        assert planner.ready({"kind": "device"}, "en", AS_OF) == pathways.next_question(
            rule_base, {"kind": "device"}, "en", AS_OF
        )
    finally:
        planner.shutdown()


def test_a_pause_never_holds_the_engine_longer_than_its_budget() -> None:
    planner = Planner()
    planner.GIVE_WAY_AT_MOST = 0.05
    planner.ui_busy()  # as if the screen never came back
    pause = planner.giving_way()
    worker = threading.Thread(target=lambda: [pause() for _ in range(1000)])
    worker.start()
    worker.join(10)  # 1,000 pauses of 0.05 s each would take 50 s
    assert not worker.is_alive()
    planner.shutdown()


def test_shutdown_leaves_no_thread_running(mini: pathways.RuleBase) -> None:
    planner = Planner()
    thread = engine_thread(planner)
    backend = Recording(mini, held=True)
    planner.prefetch(backend, {}, "kind", KIND, "en", AS_OF)
    assert backend.started.wait(LONG)
    planner.shutdown()  # (as the app does when it ends: without waiting)
    backend.release()
    thread.join(LONG)
    assert not thread.is_alive()
    assert len(backend.calls) == 1  # what was queued was dropped
    with pytest.raises(RuntimeError):
        planner.submit(lambda: None)


def test_shutdown_ends_a_prefetch_that_gives_way(mini: pathways.RuleBase) -> None:
    planner = Pausing()
    planner.GIVE_WAY_AT_MOST = 10 * LONG  # the UI stays busy for longer than the test may take
    thread = engine_thread(planner)
    planner.ui_busy()
    planner.prefetch(LocalBackend(pathways.load_rule_base(MINI)), {}, "kind", ["food"], "en", AS_OF)
    assert planner.paused.wait(LONG)
    planner.shutdown()
    thread.join(LONG)
    assert not thread.is_alive()
