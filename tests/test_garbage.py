"""Answering leaves no reference cycles behind: what a checklist, a next question or an explanation
built is freed as soon as it is dropped, not by the garbage collector.

A recursive closure (a nested function that calls itself) is such a cycle, and it keeps alive
everything it refers to: the run, the builder, the items. Two of them made every checklist cyclic
garbage, ~540 objects the collector had to find, which cost a server worker ~0.2 ms a request
(bench/README.md, "Fifth pass")."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pathways
from pathways.authoring.scenarios import DEFAULT_AS_OF, load_scenarios


@contextmanager
def _collector_off() -> Iterator[None]:
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _cases(rb: pathways.RuleBase) -> list[tuple[dict[str, Any], Any]]:
    scenarios = load_scenarios(rb)
    # every twelfth scenario: routes of every kind, answers with "don't know" and conditional questions
    return [(s.answers, s.as_of or DEFAULT_AS_OF) for s in scenarios[::12]]


def _cycles_left(calls: list[Callable[[], object]]) -> int:
    for call in calls:  # once first: caches kept for good (per rule base and language) are built here
        call()
    with _collector_off():
        for call in calls:
            call()
        return gc.collect()


def test_checklists_leave_no_cycles(shipped: pathways.RuleBase) -> None:
    calls: list[Callable[[], object]] = [
        lambda a=answers, d=day, lang=lang: pathways.evaluate(shipped, a, d, lang).model_dump_json()
        for answers, day in _cases(shipped)
        for lang in ("en", "zh")
    ]
    assert len(calls) >= 60
    assert _cycles_left(calls) == 0


def test_next_questions_and_explanations_leave_no_cycles(shipped: pathways.RuleBase) -> None:
    items = list(shipped.items)
    calls: list[Callable[[], object]] = []
    for n, (answers, day) in enumerate(_cases(shipped)):
        half = dict(list(answers.items())[: len(answers) // 2])
        calls.append(lambda a=half, d=day: pathways.next_question(shipped, a, "en", d).model_dump_json())
        item = items[(n * 37) % len(items)]
        calls.append(lambda a=answers, d=day, i=item: pathways.explain(shipped, a, i, d, "zh").model_dump_json())
    assert _cycles_left(calls) == 0
