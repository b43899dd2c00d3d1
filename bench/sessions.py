"""The engine paths side by side, interleaved in one process (issue 19).

    .venv/bin/python bench/sessions.py                # every shipped scenario walk, 1 repetition
    .venv/bin/python bench/sessions.py --walks 60 --reps 2

Three ways of running the same rule base, swapped per walk (A, B, C, A, B, C ...), so that other
load on the machine hits them alike:

* ``fresh``: ``PATHWAYS_ENGINE_SESSIONS=fresh``: one new engine session per partition run,
  durable's own Python glue, nothing remembered: the design before issue 19 (the engine module
  keeps this path unchanged);
* ``reuse``: reused sessions driven through durable's C API, no memo and no remembered first
  question: every call does all its engine work;
* ``fast``: the default: ``reuse`` plus the memo of partition results and the first question
  remembered per (rule base, as_of, lang). The memo is emptied at the start of every walk (a new
  case); the first question stays (it is the same for every user).

Per walk: next_question() at every step of the scenario's wizard walk, then evaluate() of the
scenario's answers twice: with the memo emptied first ("new answers": the engine work itself), and,
for ``fast``, right after the walk ("end of the interview": what the wizard's final checklist costs).
Then ``floor`` (``bench/floor.py``): the plain-Python floor replaying the engine sessions of that
scenario's evaluate() with the memo emptied (recorded once, before timing, from the ``fresh`` path
as ``bench/run.py`` records them): the engine work alone, beside "new answers" and "end of walk" of
the same run. Wall and CPU time (``process_time``) per call; the load average at start and end.
Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import floor  # noqa: E402
import raw  # noqa: E402
import speed  # noqa: E402

import pathways  # noqa: E402
import pathways._engine as engine_module  # noqa: E402
from pathways._run import compiled, new_engine  # noqa: E402
from pathways.authoring.scenarios import DEFAULT_AS_OF, load_scenarios  # noqa: E402
from run import wizard_steps  # noqa: E402

VARIANTS = ("fresh", "reuse", "fast")
ROWS = VARIANTS + ("floor",)  # floor: bench/floor.py on the sessions of evaluate_new (engine work only)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(q * len(xs) + 0.999999) - 1))]


def summary(wall: list[float], cpu: list[float]) -> dict[str, Any]:
    if not wall:
        return {"n": 0}
    return {"n": len(wall), "median_ms": round(statistics.median(wall), 3), "p90_ms": round(pct(wall, .9), 3),
            "p99_ms": round(pct(wall, .99), 3), "cpu_median_ms": round(statistics.median(cpu), 3),
            "cpu_p99_ms": round(pct(cpu, .99), 3)}


class _TimedEngineCalls:
    """durable's C module with every call timed (``engine_ns``): how much of a run is the engine."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self.engine_ns = 0

    def __getattr__(self, name: str) -> Any:
        function = getattr(self._module, name)

        def timed(*args: Any) -> Any:
            t = time.perf_counter_ns()
            try:
                return function(*args)
            finally:
                self.engine_ns += time.perf_counter_ns() - t

        return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--walks", type=int, default=None, help="at most this many scenario walks (evenly spread)")
    parser.add_argument("--reps", type=int, default=1, help="repetitions of every walk")
    parser.add_argument("--json", type=Path, default=HERE / "sessions-results.json")
    args = parser.parse_args()

    rb = pathways.load_rule_base()
    comp = compiled(rb)
    engines = {v: new_engine(rb, comp.partitions, sessions="fresh" if v == "fresh" else "reuse") for v in VARIANTS}
    engines["reuse"].memo_size = 0
    for engine in engines.values():
        engine.prepare()
    firsts: dict[str, dict] = {v: {} for v in VARIANTS}
    cases = []
    for sc in load_scenarios(rb):
        as_of = sc.as_of or DEFAULT_AS_OF
        try:
            pathways.evaluate(rb, sc.answers, as_of=as_of)
        except pathways.PathwaysError:
            continue
        cases.append((sc.answers, as_of, wizard_steps(rb, sc.answers, as_of)))
    if args.walks and args.walks < len(cases):
        every = len(cases) / args.walks
        cases = [cases[int(i * every)] for i in range(args.walks)]
    # the floor's sessions: those of each scenario's evaluate() on the fresh path (every partition run)
    comp.engine = engines["fresh"]
    plain = floor.FloorEngine(engines["fresh"])
    recorded = [raw.record(engines["fresh"], lambda a=answers, d=as_of: pathways.evaluate(rb, a, as_of=d))
                for answers, as_of, _ in cases]
    floor_sessions = [plain.prepare(sessions) for sessions in recorded]
    floor_differ = sum(plain.check(sessions, p) for sessions, p in zip(recorded, floor_sessions, strict=True))
    names = ("next_question", "next_question_after_first", "first_question", "evaluate_new", "evaluate_end")
    wall = {v: {n: [] for n in names} for v in ROWS}
    cpu = {v: {n: [] for n in names} for v in ROWS}
    speed_start = speed.reference()
    print(speed.describe(speed_start, "at the start"), flush=True)
    load_start = os.getloadavg()
    t_start = time.time()
    timed_calls = _TimedEngineCalls(engine_module._C)
    in_engine: list[float] = []  # ms inside durable's C calls, per evaluate() on new answers (fast)
    around_engine: list[float] = []  # ms of the same call in all
    wc, pc = time.perf_counter_ns, time.process_time_ns

    def timed(variant: str, *keys: str, fn: Any, keep: bool) -> None:
        w0, c0 = wc(), pc()
        fn()
        w, c = (wc() - w0) / 1e6, (pc() - c0) / 1e6
        if keep:
            for key in keys:
                wall[variant][key].append(w)
                cpu[variant][key].append(c)

    for rep in range(args.reps + 1):   # repetition 0 warms up
        keep = rep > 0
        for (answers, as_of, steps), sessions in zip(cases, floor_sessions, strict=True):
            for v in VARIANTS:
                comp.engine = engines[v]
                comp.first_questions = firsts[v]
                engines[v].forget()
                if v == "reuse":
                    firsts[v].clear()
                for i, step in enumerate(steps):
                    keys = ("next_question", "first_question") if i == 0 else ("next_question", "next_question_after_first")
                    timed(v, *keys, fn=lambda s=step: pathways.next_question(rb, s, as_of=as_of), keep=keep)
                if v == "fast":
                    timed(v, "evaluate_end", fn=lambda: pathways.evaluate(rb, answers, as_of=as_of), keep=keep)
                engines[v].forget()
                timed(v, "evaluate_new", fn=lambda: pathways.evaluate(rb, answers, as_of=as_of), keep=keep)
                if v == "fast" and keep:
                    # once more with durable's calls timed, apart from the rows above (the timing
                    # wrapper costs ~0.2 us a call): the engine's own share of new answers
                    engines[v].forget()
                    timed_calls.engine_ns = 0
                    engine_module._C = timed_calls  # type: ignore[assignment]
                    w0 = wc()
                    try:
                        pathways.evaluate(rb, answers, as_of=as_of)
                    finally:
                        engine_module._C = timed_calls._module
                    around_engine.append((wc() - w0) / 1e6)
                    in_engine.append(timed_calls.engine_ns / 1e6)
            timed("floor", "evaluate_new", fn=lambda s=sessions: plain.replay(s), keep=keep)
    load_end = os.getloadavg()
    speed_end = speed.reference()
    results: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"), "seconds": round(time.time() - t_start),
        "load_average_start": load_start, "load_average_end": load_end, "walks": len(cases),
        "steps": sum(len(c[2]) for c in cases), "repetitions": args.reps,
        "rules": sum(len(p.rules) for p in comp.partitions.values()), "partitions": len(comp.partitions),
        "variants": {v: {n: summary(wall[v][n], cpu[v][n]) for n in names} for v in ROWS},
        "floor_sessions": sum(map(len, recorded)), "floor_sessions_differing": floor_differ,
        "floor_late_derived_facts": plain.late_positive,
        "speed_start": speed_start, "speed_end": speed_end,
        "evaluate_new_in_durable": {
            "n": len(in_engine),
            "durable_c_calls_median_ms": round(statistics.median(in_engine), 3) if in_engine else None,
            "whole_call_median_ms": round(statistics.median(around_engine), 3) if around_engine else None,
            "durable_share_median": (
                round(statistics.median(c / w for c, w in zip(in_engine, around_engine, strict=True)), 3)
                if in_engine else None
            ),
        },
    }
    fresh = results["variants"]["fresh"]
    for v in ROWS:
        for n in names:
            s = results["variants"][v][n]
            base = fresh.get(n if n != "evaluate_end" else "evaluate_new")
            if s.get("n") and base.get("n"):
                s["cpu_speedup_vs_fresh"] = round(base["cpu_median_ms"] / s["cpu_median_ms"], 2)
                s["p99_speedup_vs_fresh"] = round(base["p99_ms"] / s["p99_ms"], 2)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"{results['when']}: {results['walks']} walks, {results['steps']} steps, {args.reps} rep(s), "
          f"{results['rules']} rules in {results['partitions']} partitions, {results['seconds']} s; "
          f"load average {load_start[0]:.2f} at start, {load_end[0]:.2f} at end")
    print(f"| {'measure':28s} | {'path':5s} | {'median':>7s} | {'p90':>7s} | {'p99':>7s} | {'CPU med':>7s} | "
          f"{'CPU x':>6s} | {'n':>5s} |")
    print("|" + "---|" * 8)
    for n in names:
        for v in ROWS:
            s = results["variants"][v][n]
            if not s.get("n"):
                continue
            print(f"| {n:28s} | {v:5s} | {s['median_ms']:7.2f} | {s['p90_ms']:7.2f} | {s['p99_ms']:7.2f} | "
                  f"{s['cpu_median_ms']:7.2f} | {s.get('cpu_speedup_vs_fresh', 1.0):5.2f}x | {s['n']:5d} |")
    fast, low = results["variants"]["fast"], results["variants"]["floor"]["evaluate_new"]
    if low.get("n"):
        results["floor_ratios_cpu"] = {n: round(fast[n]["cpu_median_ms"] / low["cpu_median_ms"], 2)
                                       for n in ("evaluate_new", "evaluate_end") if fast[n].get("n")}
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"fast/floor by CPU median: evaluate_new {results['floor_ratios_cpu'].get('evaluate_new')}x, "
              f"evaluate_end {results['floor_ratios_cpu'].get('evaluate_end')}x")
    dur = results["evaluate_new_in_durable"]
    if dur["n"]:
        print(f"evaluate() on new answers (fast), timed again with durable's C calls timed: median "
              f"{dur['whole_call_median_ms']:.2f} ms, of which durable's C calls "
              f"{dur['durable_c_calls_median_ms']:.2f} ms (median share {dur['durable_share_median']:.0%}, "
              f"{dur['n']} calls)")
    print(speed.describe(speed_end, "at the end"))
    print(f"floor firings same: {'yes' if not floor_differ else 'NO'} ({floor_differ} of "
          f"{results['floor_sessions']} sessions differ)")
    print(f"(CPU x: fresh CPU median / this CPU median, same run; evaluate_end is against fresh evaluate_new; "
          f"floor: bench/floor.py on the sessions of evaluate_new, engine work only)\n"
          f"written to {args.json}")


if __name__ == "__main__":
    main()
