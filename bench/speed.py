"""How fast this machine runs plain Python right now: a reference printed beside every benchmark.

The benchmarks' targets are absolute (milliseconds, requests per second), but the 2-core VM they
run on changes speed from day to day and from minute to minute: the same wizard code gave a p50
of 27 ms one night and 55 ms the next morning, and this loop took 0.40 to 0.67 s within a few
minutes on 2026-12-07. Results from different runs compare only through this figure, and only
roughly; the comparisons that matter are made within one run (medians and ratios side by side).

(The notes of 2026-12-07 quote 0.89-1.23 s for "10 million additions": that loop ran at module
level, where every name is a global; it takes about 2.5x this one, which runs in a function.)

    .venv/bin/python bench/speed.py
"""

from __future__ import annotations

import statistics
import time
from typing import Any

__all__ = ["describe", "reference"]


def _loop(n: int) -> float:
    t = time.perf_counter()
    total = 0
    for i in range(n):
        total += i
    return time.perf_counter() - t


def reference(repeat: int = 3) -> dict[str, Any]:
    """Seconds for 10 million integer additions in a Python function's loop (median of ``repeat``)."""
    runs = [_loop(10_000_000) for _ in range(repeat)]
    return {"loop_10M_additions_s": round(statistics.median(runs), 3), "runs_s": [round(r, 3) for r in runs]}


def describe(ref: dict[str, Any]) -> str:
    runs = ", ".join(f"{r:.2f}" for r in ref["runs_s"])
    return f"machine speed: 10M additions in a Python loop, median {ref['loop_10M_additions_s']:.2f} s ({runs})"


if __name__ == "__main__":
    print(describe(reference()))
