"""How fast this machine runs Python right now: a reference printed beside every benchmark.

The benchmarks' targets are absolute (milliseconds, requests per second), but the 2-core VM they
run on changes speed from day to day and within the hour: the same wizard code gave a p50 of
27 ms one night and 55 ms the next morning. Two probes, because the slowdowns differ:

* ``loop``: 10 million integer additions in a function's loop. It runs from the CPU's first-level
  cache, so it shows the core's clock. On 2026-12-07 it read 0.35-0.69 s while the engine
  benchmarks ran about 2.4x slower than on 2026-12-06 (same code): it does not see a slowdown of
  the memory system.
* ``memory``: 1.5 million reads, in a fixed random order, of 300,000 small dicts (~80 MB with
  their strings and ints): cache misses, as in the engine's and Textual's work on their object
  graphs. It read 1.1-1.5 s on that slow day; no reading from a fast day exists yet.

Results from different runs compare only through these figures, and only roughly; the
comparisons that matter are made within one run (medians and ratios side by side). (The notes of
2026-12-07 quote 0.89-1.23 s for "10 million additions": that loop ran at module level, where
every name is a global, and takes about 2.5x this one.)

    .venv/bin/python bench/speed.py
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

__all__ = ["describe", "reference"]


def _loop(n: int = 10_000_000) -> float:
    t = time.perf_counter()
    total = 0
    for i in range(n):
        total += i
    return time.perf_counter() - t


def _dicts(n: int = 300_000) -> list[dict[str, Any]]:
    return [{"k": i, "v": str(i)} for i in range(n)]


def _memory(data: list[dict[str, Any]], reads: int = 1_500_000) -> float:
    order = random.Random(19).choices(range(len(data)), k=reads)
    t = time.perf_counter()
    total = 0
    for i in order:
        total += data[i]["k"]
    return time.perf_counter() - t


def reference(repeat: int = 3) -> dict[str, Any]:
    """The probes' seconds, median of ``repeat`` runs each (the memory probe's dicts built once)."""
    loop = [_loop() for _ in range(repeat)]
    data = _dicts()
    memory = [_memory(data) for _ in range(repeat)]
    return {
        "loop_10M_additions_s": round(statistics.median(loop), 3),
        "memory_1_5M_reads_s": round(statistics.median(memory), 3),
        "runs_s": {"loop": [round(r, 3) for r in loop], "memory": [round(r, 3) for r in memory]},
    }


def describe(ref: dict[str, Any], when: str = "") -> str:
    """One line for a benchmark's output; ``when``: e.g. "at the start"."""
    return (
        f"machine speed{' ' + when if when else ''}: loop {ref['loop_10M_additions_s']:.2f} s, memory "
        f"{ref['memory_1_5M_reads_s']:.2f} s (bench/speed.py; medians of {len(ref['runs_s']['loop'])})"
    )


if __name__ == "__main__":
    print(describe(reference()))
