"""pathways performance benchmark.

    .venv/bin/python bench/run.py            # full run (~5 min on 2 quiet cores, more when busy)
    .venv/bin/python bench/run.py --quick    # smoke check (< 60 s)

Prints a table (medians, p90, ratios against the targets) and writes the same results to
bench/results.json. Not a test: nothing here asserts on time. See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import json
import os
import platform
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import floor  # noqa: E402
import gen  # noqa: E402
import raw  # noqa: E402
import speed  # noqa: E402

import pathways  # noqa: E402
from pathways._answers import check_answers  # noqa: E402
from pathways._checklist import build_outcome  # noqa: E402
from pathways._run import compiled, run_case  # noqa: E402
from pathways.authoring.scenarios import DEFAULT_AS_OF, load_scenarios  # noqa: E402

TARGETS = {
    "load_compile_ms": 300.0,
    "evaluate_median_ms": 3.0,
    "wrapper_ratio": 1.5,
    "isolation_ratio": 2.0,
}


# ---- timing helpers ------------------------------------------------------------------------

def stats(samples_ns: list[int]) -> dict[str, Any]:
    xs = sorted(samples_ns)
    n = len(xs)
    if n == 0:
        return {"n": 0, "median_ms": None, "p90_ms": None, "min_ms": None, "max_ms": None}

    def rank(q: float) -> float:  # nearest-rank percentile
        return xs[min(n - 1, max(0, int(q * n + 0.999999) - 1))] / 1e6

    mid = n // 2
    median = xs[mid] if n % 2 else (xs[mid - 1] + xs[mid]) / 2
    return {"n": n, "median_ms": round(median / 1e6, 4), "p90_ms": round(rank(0.9), 4),
            "min_ms": round(xs[0] / 1e6, 4), "max_ms": round(xs[-1] / 1e6, 4)}


class Series:
    """Wall-clock and CPU-time samples of one measure (CPU time is robust to other load on the box)."""

    def __init__(self) -> None:
        self.wall: list[int] = []
        self.cpu: list[int] = []

    def time(self, fn: Callable[[], Any], keep: bool = True) -> Any:
        c0, w0 = time.process_time_ns(), time.perf_counter_ns()
        result = fn()
        w1, c1 = time.perf_counter_ns(), time.process_time_ns()
        if keep:
            self.wall.append(w1 - w0)
            self.cpu.append(c1 - c0)
        return result

    def stats(self) -> dict[str, Any]:
        out = stats(self.wall)
        cpu = stats(self.cpu)
        out["mean_ms"] = round(sum(self.wall) / len(self.wall) / 1e6, 4) if self.wall else None
        out["cpu_median_ms"], out["cpu_p90_ms"] = cpu["median_ms"], cpu["p90_ms"]
        return out


class GcTimer:
    """Time spent in the cyclic garbage collector while active."""

    def __init__(self) -> None:
        self.total_ns = 0
        self._t0 = 0
        self.active = False

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if not self.active:
            return
        if phase == "start":
            self._t0 = time.perf_counter_ns()
        else:
            self.total_ns += time.perf_counter_ns() - self._t0

    def __enter__(self) -> GcTimer:
        gc.callbacks.append(self)
        self.active = True
        return self

    def __exit__(self, *exc: Any) -> None:
        self.active = False
        gc.callbacks.remove(self)


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---- the shipped rule base -----------------------------------------------------------------

def shipped_rule_base() -> tuple[pathways.RuleBase, str | None, Path | None]:
    """The shipped rule base; if it does not load yet, a copy without its missing scenario files."""
    try:
        return pathways.load_rule_base(), None, None
    except pathways.RuleBaseError as exc:
        note = f"shipped rule base does not load as-is ({exc.issues[0]})"
    src = pathways.default_rules_dir()
    tmp = Path(tempfile.mkdtemp(prefix="pw-bench-rules-")) / "rules"
    shutil.copytree(src, tmp)
    manifest = (tmp / "rulebase.yaml").read_text().splitlines()
    kept, skipping = [], False
    for line in manifest:
        if line.startswith("scenarios:"):
            skipping = True
            kept.append("scenarios: [" + ", ".join(
                p.relative_to(src).as_posix() for p in sorted((src / "scenarios").glob("*.yaml"))) + "]")
            continue
        if skipping and line.startswith(("  ", "-")):
            continue
        skipping = False
        kept.append(line)
    (tmp / "rulebase.yaml").write_text("\n".join(kept) + "\n")
    return pathways.load_rule_base(tmp), note + "; benchmarked a copy listing only existing scenario files", tmp


def prepare_engine(comp: Any) -> None:
    """Register every ruleset now (the engine registers a route's ruleset on first use otherwise)."""
    prepare = getattr(comp.engine, "prepare", None)
    if prepare is not None:
        prepare()


def bench_load(n: int, path: Path | None) -> dict[str, Any]:
    """``n`` fresh loads, each building a fresh engine.

    Per sample: load_rule_base(); compiled(rb) (compile; the engine registers rulesets lazily, on
    a case's first use of a route); engine.prepare() (register every ruleset in the new durable
    Host: what a server pays before its first request, and all a cold evaluate() can pay).
    """
    load, comp, prep, total, lazy = Series(), Series(), Series(), Series(), Series()
    rules, first = 0, None
    for i in range(n + 1):  # the first is a warm-up (lazy imports, pydantic and regex caches)
        gc.collect()
        keep = i > 0
        c0, w0 = time.process_time_ns(), time.perf_counter_ns()
        rb = load.time(lambda: pathways.load_rule_base() if path is None else pathways.load_rule_base(path), keep)
        c = comp.time(lambda: compiled(rb), keep)
        w1, c1 = time.perf_counter_ns(), time.process_time_ns()
        prep.time(lambda: prepare_engine(c), keep)
        w2, c2 = time.perf_counter_ns(), time.process_time_ns()
        if keep:
            lazy.wall.append(w1 - w0)
            lazy.cpu.append(c1 - c0)
            total.wall.append(w2 - w0)
            total.cpu.append(c2 - c0)
        else:
            first = round((w2 - w0) / 1e6, 3)
        rules = sum(len(p.rules) for p in c.partitions.values())
    return {"rules": rules, "first_in_process_ms": first, "load": load.stats(), "compile": comp.stats(),
            "register_all": prep.stats(), "total": total.stats(), "total_without_register": lazy.stats()}


COLD = r"""
import sys, time, json
t0 = time.perf_counter()
import pathways
from pathways._run import compiled
t1 = time.perf_counter()
rb = pathways.load_rule_base(*sys.argv[1:])
t2 = time.perf_counter()
c = compiled(rb)
t3 = time.perf_counter()
getattr(c.engine, "prepare", lambda: None)()
t4 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "compile": t3 - t2, "register": t4 - t3}))
"""


def bench_cold(n: int, path: Path | None) -> dict[str, Any]:
    """The same, each in a new Python process: the first load of a process, as a CLI call or a
    server start pays it. (Repeated loads in one process get slower: durable-rules never frees a
    registered ruleset, and registering the next engine costs more.)"""
    parts: dict[str, list[int]] = {"import": [], "load": [], "compile": [], "register": [],
                                   "load_compile_register": [], "total": []}
    for _ in range(n):
        args = [sys.executable, "-c", COLD] + ([str(path)] if path else [])
        out = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
        for key in ("import", "load", "compile", "register"):
            parts[key].append(int(out[key] * 1e9))
        parts["load_compile_register"].append(int((out["load"] + out["compile"] + out["register"]) * 1e9))
        parts["total"].append(int(sum(out.values()) * 1e9))
    return {key: stats(values) for key, values in parts.items()}


def wizard_steps(rb: pathways.RuleBase, answers: dict[str, Any], as_of: dt.date) -> list[dict[str, Any]]:
    """The answer sets next_question() sees along the scenario's wizard walk."""
    given: dict[str, Any] = {}
    steps = [dict(given)]
    for _ in range(len(rb.questions) + 1):
        q = pathways.next_question(rb, given, as_of=as_of).question
        if q is None or q.id not in answers:
            break
        given[q.id] = answers[q.id]
        steps.append(dict(given))
    return steps


def median(xs: list[float]) -> float | None:
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    mid = len(xs) // 2
    return round(xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2, 3)


Case = tuple[str, pathways.RuleBase, dict[str, Any], dt.date]  # name, rule base, answers, as_of


def forget(rb: pathways.RuleBase) -> None:
    """Empty the engine's memo of partition results (the remembered first question stays)."""
    forget_ = getattr(compiled(rb).engine, "forget", None)
    if forget_ is not None:
        forget_()


def bench_cases(cases: list[Case], reps: int, with_next: bool = True, next_budget: int | None = None,
                max_walks: int | None = None) -> dict[str, Any]:
    """evaluate(), its phases, the raw durable replay, the plain-Python floor and next_question() on ``cases``.

    Every repetition runs every case once, each measure right after the other (interleaved), so
    that drift and other load on the machine hit all measures and all cases alike (cases may be on
    different rule bases: that is how isolation compares two bases). Two warm-up rounds first.
    next_question() is timed at every step of each case's wizard walk, on every repetition or,
    with ``next_budget``, on every n-th one so that about that many calls are timed (a walk is
    10-20 calls, so this keeps the full run short).
    """
    engines: dict[int, raw.RawEngine] = {}
    floors: dict[int, floor.FloorEngine] = {}
    prepared = []
    walk_every = max(1, -(-len(cases) // max_walks)) if max_walks else 1
    for index, (name, rb, answers, as_of) in enumerate(cases):
        engine = engines.get(id(rb))
        if engine is None:
            engine = engines[id(rb)] = raw.RawEngine(compiled(rb))
            floors[id(rb)] = floor.FloorEngine(compiled(rb).engine)
        plain = floors[id(rb)]
        # raw replays the sessions of the fresh-session path (durable's own glue, one new session
        # per partition run: the engine work of the design before sessions were reused)
        wrapper = compiled(rb).engine
        mode, wrapper.sessions = wrapper.sessions, "fresh"
        try:
            sessions = engine.record(lambda r=rb, a=answers, d=as_of: pathways.evaluate(r, a, as_of=d))
        finally:
            wrapper.sessions = mode
        steps = wizard_steps(rb, answers, as_of) if with_next and index % walk_every == 0 else []
        # the floor replays the same recorded sessions (in its own terms, prepared before timing)
        prepared.append((name, rb, answers, as_of, engine, sessions, steps, plain, plain.prepare(sessions)))
    steps_total = sum(len(p[6]) for p in prepared)
    next_every = max(1, -(-reps * steps_total // next_budget)) if next_budget else 1
    consistent = True
    floor_differ = 0
    for *_, engine, sessions, _, plain, plain_sessions in prepared:
        consistent &= engine.check(sessions)
        floor_differ += plain.check(sessions, plain_sessions)
    late = sum(fl.late_positive for fl in floors.values())
    measures = ("evaluate", "raw", "floor", "floor_warm", "check_answers", "run_case", "build_outcome", "next_question")
    per_case = [{m: Series() for m in measures} for _ in prepared]
    evaluate_wall = evaluate_gc = 0
    with GcTimer() as gct:
        for rep in range(reps + 2):
            keep = rep >= 2
            for index, (name, rb, answers, as_of, engine, sessions, steps, plain, plain_sessions) in enumerate(
                    prepared):
                mine = per_case[index]
                w0 = time.perf_counter_ns()
                gc0 = gct.total_ns
                forget(rb)  # no memo hit: each evaluate() does its engine work (new answers)
                mine["evaluate"].time(lambda: pathways.evaluate(rb, answers, as_of=as_of), keep)
                if keep:
                    evaluate_wall += time.perf_counter_ns() - w0
                    evaluate_gc += gct.total_ns - gc0
                mine["raw"].time(lambda: engine.replay(sessions), keep)
                mine["floor"].time(lambda: plain.replay(plain_sessions), keep)
                # the same again at once: its data in the CPU caches (the row above reads about 2x this
                # right after evaluate() and raw; not the garbage collector: the same with it off)
                mine["floor_warm"].time(lambda: plain.replay(plain_sessions), keep)
                checked = mine["check_answers"].time(lambda: check_answers(rb, answers), keep)
                forget(rb)
                run = mine["run_case"].time(lambda: run_case(rb, checked, as_of), keep)
                mine["build_outcome"].time(lambda: build_outcome(rb, run, as_of, "en"), keep)
                if keep and (rep - 2) % next_every == 0:
                    forget(rb)  # each walk starts with an empty memo, as a new case would
                    for step in steps:
                        mine["next_question"].time(lambda: pathways.next_question(rb, step, as_of=as_of))
    pooled = {m: Series() for m in measures}
    for series in per_case:
        for m in measures:
            pooled[m].wall += series[m].wall
            pooled[m].cpu += series[m].cpu
    per = []
    for (name, *_, sessions, _, _, _), series in zip(prepared, per_case):
        st = {m: series[m].stats() for m in measures}
        per.append({"name": name, "sessions": len(sessions), **st,
                    "wrapper_ratio": ratio(st["evaluate"]["median_ms"], st["raw"]["median_ms"]),
                    "wrapper_ratio_cpu": ratio(st["evaluate"]["cpu_median_ms"], st["raw"]["cpu_median_ms"]),
                    "run_case_ratio": ratio(st["run_case"]["median_ms"], st["raw"]["median_ms"]),
                    "floor_ratio": ratio(st["evaluate"]["median_ms"], st["floor"]["median_ms"]),
                    "floor_ratio_cpu": ratio(st["evaluate"]["cpu_median_ms"], st["floor"]["cpu_median_ms"]),
                    "raw_floor_ratio": ratio(st["raw"]["median_ms"], st["floor"]["median_ms"]),
                    "raw_floor_ratio_cpu": ratio(st["raw"]["cpu_median_ms"], st["floor"]["cpu_median_ms"])})
    ev, rw, fl = pooled["evaluate"].stats(), pooled["raw"].stats(), pooled["floor"].stats()
    return {
        "cases": len(cases),
        "sessions_per_evaluate": round(sum(len(p[5]) for p in prepared) / max(1, len(prepared)), 2),
        "raw_replay_consistent": consistent,
        "floor_consistent": floor_differ == 0,
        "floor_sessions_differing": floor_differ,
        "floor_sessions": sum(len(p[5]) for p in prepared),
        "floor_late_derived_facts": late,  # derived facts a rule of an asserted gate reads: 0 if stratified
        "evaluate": ev, "raw": rw, "floor": fl, "floor_warm": pooled["floor_warm"].stats(),
        "phases": {m: pooled[m].stats() for m in ("check_answers", "run_case", "build_outcome")},
        "next_question": pooled["next_question"].stats() if with_next else None,
        "repetitions": reps, "next_question_every": next_every,
        "wizard_walks": sum(1 for p in prepared if p[6]), "wizard_steps": steps_total,
        "wrapper_ratio": median([c["wrapper_ratio"] for c in per]),          # headline: paired, per case
        "wrapper_ratio_of_pooled_medians": ratio(ev["median_ms"], rw["median_ms"]),
        "wrapper_ratio_of_means": ratio(ev["mean_ms"], rw["mean_ms"]),
        "wrapper_ratio_cpu": median([c["wrapper_ratio_cpu"] for c in per]),
        "run_case_ratio": median([c["run_case_ratio"] for c in per]),
        "floor_ratio": median([c["floor_ratio"] for c in per]),                  # evaluate()/floor, per case
        "floor_ratio_cpu": median([c["floor_ratio_cpu"] for c in per]),
        "raw_floor_ratio": median([c["raw_floor_ratio"] for c in per]),          # raw/floor, per case
        "raw_floor_ratio_cpu": median([c["raw_floor_ratio_cpu"] for c in per]),
        "gc_share_of_evaluate": round(evaluate_gc / evaluate_wall, 3) if evaluate_wall else None,
        "per_case": per,
    }


def profile_evaluate(rb: pathways.RuleBase, cases: list[tuple[str, dict[str, Any], dt.date]],
                     loops: int) -> dict[str, Any]:
    for _, answers, as_of in cases:  # warm
        pathways.evaluate(rb, answers, as_of=as_of)

    def work() -> None:
        for _ in range(loops):
            for _, answers, as_of in cases:
                forget(rb)
                pathways.evaluate(rb, answers, as_of=as_of)

    return profile(work, loops * len(cases))


def profile_load(path: Path | None, loops: int) -> dict[str, Any]:
    def work() -> None:
        for _ in range(loops):
            prepare_engine(compiled(pathways.load_rule_base() if path is None else pathways.load_rule_base(path)))

    return profile(work, loops)


def profile(work: Callable[[], None], calls: int, top: int = 25) -> dict[str, Any]:
    """cProfile ``work`` (``calls`` operations); report per operation."""
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    work()
    prof.disable()
    wall = time.perf_counter() - t0
    st = pstats.Stats(prof)
    total = st.total_tt  # type: ignore[attr-defined]

    def rows(key: int) -> list[dict[str, Any]]:
        entries = sorted(st.stats.items(), key=lambda kv: kv[1][key], reverse=True)[:top]  # type: ignore[attr-defined]
        out = []
        for (file, line, fn), (cc, nc, tt, ct, _) in entries:
            where = fn if file == "~" else f"{Path(file).name}:{line}:{fn}"
            out.append({"function": where, "calls_per_call": round(nc / calls, 1),
                        "tottime_us_per_call": round(tt / calls * 1e6, 1),
                        "tottime_share": round(tt / total, 3),
                        "cumtime_us_per_call": round(ct / calls * 1e6, 1),
                        "cumtime_share": round(ct / total, 3)})
        return out

    groups: dict[str, float] = {}
    for (file, line, fn), (cc, nc, tt, ct, _) in st.stats.items():  # type: ignore[attr-defined]
        group = category(file, fn)
        groups[group] = groups.get(group, 0.0) + tt
    by_group = [{"category": g, "us_per_call": round(t / calls * 1e6, 1), "share": round(t / total, 3)}
                for g, t in sorted(groups.items(), key=lambda kv: kv[1], reverse=True)]
    selected = []
    for (file, line, fn), (cc, nc, tt, ct, _) in st.stats.items():  # type: ignore[attr-defined]
        if "pathways" in file and fn in SELECTED:
            selected.append({"function": f"{Path(file).name}:{fn}", "calls_per_call": round(nc / calls, 1),
                             "cumtime_us_per_call": round(ct / calls * 1e6, 1),
                             "cumtime_share": round(ct / total, 3)})
    selected.sort(key=lambda r: r["cumtime_us_per_call"], reverse=True)
    return {"calls": calls, "profiled_us_per_call": round(total / calls * 1e6, 1),
            "wall_us_per_call_under_profiler": round(wall / calls * 1e6, 1),
            "by_category": by_group, "selected": selected,
            "by_tottime": rows(2), "by_cumtime": rows(3)}


SELECTED = {"check_answers", "run_case", "build_outcome", "_run_once", "fact_key", "_assert_in_action",
            "run", "trace", "item", "needed_questions", "_qorder", "__post_init__", "_order", "_timeline",
            "cite", "engine_facts", "get_state"}


def category(file: str, fn: str) -> str:
    """Exclusive-time buckets for the profile: who does the work."""
    if file == "~":
        if "durable_rules_engine" in fn:
            return "durable C engine (assert/delete/state calls)"
        if "pydantic_core" in fn or "SchemaValidator" in fn:
            return "pydantic (validating/building models)"
        if "json" in fn or "_json" in fn:
            return "json (de)serialisation"
        return "other builtins"
    path = file.replace("\\", "/")
    if "/yaml/" in path:
        return "PyYAML pure-Python scanner/parser/composer"
    if "/json/" in path:
        return "json (de)serialisation"
    if "/durable/" in path:
        return "durable Python glue (Closure, callbacks, state JSON)"
    if "/pydantic" in path:
        return "pydantic (validating/building models)"
    if "/pathways/" in path:
        name = Path(path).name
        return {"_checklist.py": "pathways checklist/trace building (_checklist)",
                "_engine.py": "pathways engine wrapper (_engine)",
                "_run.py": "pathways case runner (_run)",
                "_answers.py": "pathways answer checking (_answers)",
                "_yaml.py": "pathways located-YAML builder (_yaml)",
                "_loader.py": "pathways loader checks (_loader)",
                "_validate.py": "pathways loader checks (_loader)",
                "_assemble.py": "pathways loader checks (_loader)",
                "_graphs.py": "pathways loader checks (_loader)",
                "_compiler.py": "pathways compiler (_compiler)",
                "_conditions.py": "pathways conditions/DNF (_conditions)"}.get(name, f"pathways {name}")
    if "datetime" in path or "_strptime" in path:
        return "datetime"
    return "other Python"


# ---- generated rule bases ------------------------------------------------------------------

def load_generated(root: Path, blocks: list[int]) -> tuple[pathways.RuleBase, dict[str, Any]]:
    gen.generate(root, blocks)
    t0 = time.perf_counter_ns()
    rb = pathways.load_rule_base(root)
    t1 = time.perf_counter_ns()
    comp = compiled(rb)
    prepare_engine(comp)
    t2 = time.perf_counter_ns()
    parts = {name: len(p.rules) for name, p in comp.partitions.items()}
    info = {"routes": len(blocks), "blocks_per_route": sorted(set(blocks)), "rules": sum(parts.values()),
            "largest_partition": max(parts.values()), "core_partition": parts.get("__core__"),
            "questions": len(rb.questions), "fact_rules": len(rb.fact_rules), "items": len(rb.items),
            "load_ms": round((t1 - t0) / 1e6, 1), "compile_and_register_ms": round((t2 - t1) / 1e6, 1)}
    return rb, info


SIZES = [  # (label, target compiled rules, routes); the case selects every route
    ("~100 rules", 100, 1),
    ("~1,000 rules", 1000, 4),
    ("~4,000 rules", 4000, 16),
]
ISOLATION = (10000, 40)  # ~10,000 compiled rules in 40 routes


def bench_generated(tmp: Path, reps: int) -> list[dict[str, Any]]:
    out = []
    for label, target, routes in SIZES:
        blocks = gen.plan(tmp, target, routes)
        log(f"  generated {label}: {routes} route(s), {sum(blocks)} blocks")
        rb, info = load_generated(tmp / f"g{target}", blocks)
        answers = gen.case(list(range(routes)), blocks)
        res = bench_cases([(label, rb, answers, DEFAULT_AS_OF)], reps, with_next=False)
        out.append({"label": label, "target_rules": target, **info, "answers": len(answers),
                    "sessions": res["sessions_per_evaluate"],
                    "raw_replay_consistent": res["raw_replay_consistent"],
                    "floor_consistent": res["floor_consistent"],
                    "floor_sessions_differing": res["floor_sessions_differing"],
                    "evaluate": res["evaluate"], "raw": res["raw"], "floor": res["floor"], "phases": res["phases"],
                    "wrapper_ratio": res["wrapper_ratio"], "run_case_ratio": res["run_case_ratio"],
                    "floor_ratio": res["floor_ratio"], "raw_floor_ratio": res["raw_floor_ratio"],
                    "gc_share_of_evaluate": res["gc_share_of_evaluate"]})
    return out


def bench_isolation(tmp: Path, reps: int) -> dict[str, Any]:
    target, routes = ISOLATION
    blocks = gen.plan(tmp, target, routes)
    log(f"  isolation: {routes} routes, {sum(blocks)} blocks vs route r00 alone ({blocks[0]} blocks)")
    big, big_info = load_generated(tmp / "iso_big", blocks)
    small, small_info = load_generated(tmp / "iso_small", blocks[:1])
    answers = gen.case([0], blocks)
    res = bench_cases([("big", big, answers, DEFAULT_AS_OF), ("small", small, answers, DEFAULT_AS_OF)],
                      reps, with_next=True)
    b, s = res["per_case"]

    def side(info: dict[str, Any], st: dict[str, Any]) -> dict[str, Any]:
        return {**info, "sessions": st["sessions"], "evaluate": st["evaluate"], "raw": st["raw"], "floor": st["floor"],
                "next_question": st["next_question"],
                "phases": {m: st[m] for m in ("check_answers", "run_case", "build_outcome")}}

    return {
        "big": side(big_info, b), "small": side(small_info, s), "answers": len(answers),
        "raw_replay_consistent": res["raw_replay_consistent"],
        "floor_consistent": res["floor_consistent"],
        "gc_share_of_evaluate": res["gc_share_of_evaluate"],
        "ratio_evaluate": ratio(b["evaluate"]["median_ms"], s["evaluate"]["median_ms"]),
        "ratio_evaluate_cpu": ratio(b["evaluate"]["cpu_median_ms"], s["evaluate"]["cpu_median_ms"]),
        "ratio_raw": ratio(b["raw"]["median_ms"], s["raw"]["median_ms"]),
        "ratio_next_question": ratio(b["next_question"]["median_ms"], s["next_question"]["median_ms"]),
        "ratio_phases": {m: ratio(b[m]["median_ms"], s[m]["median_ms"])
                         for m in ("check_answers", "run_case", "build_outcome")},
    }


# ---- report --------------------------------------------------------------------------------

def fmt(x: Any, digits: int = 2) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def verdict(value: float | None, target: float) -> str:
    if value is None:
        return "-"
    return f"{value / target:.2f}x of target, {'MET' if value <= target else 'MISSED'}"


def same_firings(res: dict[str, Any]) -> str:
    """Whether raw's and the floor's replays fired the wrapper's rules (their checks, before timing)."""
    raw_same, floor_same = res["raw_replay_consistent"], res["floor_consistent"]
    return f"same firings: raw {'yes' if raw_same else 'NO'}, floor {'yes' if floor_same else 'NO'}; "


def table(res: dict[str, Any]) -> str:
    """The results as a Markdown table (also pasted into bench/README.md)."""
    rows: list[tuple[str, ...]] = []

    def row(name: str, s: dict[str, Any] | None, note: str = "") -> None:
        s = s or {}
        rows.append((name, fmt(s.get("median_ms")), fmt(s.get("p90_ms")), fmt(s.get("cpu_median_ms")),
                     fmt(s.get("n")), note))

    def ratio_row(name: str, value: float | None, note: str) -> None:
        rows.append((name, fmt(value) + "x" if value is not None else "-", "", "", "", note))

    def target(value: float | None, key: str, unit: str = " ms", cpu: float | None = None) -> str:
        text = f"target <= {TARGETS[key]:g}{unit}: " + verdict(value, TARGETS[key])
        if cpu is not None:
            text += f" (by CPU time: {verdict(cpu, TARGETS[key])})"
        return text

    lc = res["load_compile"]
    parts = res["meta"].get("shipped_partitions") or {}
    row(f"1  load+compile+register, shipped ({lc['rules']} rules, {max(0, len(parts) - 1)} routes)", lc["total"],
        target(lc["total"]["median_ms"], "load_compile_ms", cpu=lc["total"]["cpu_median_ms"])
        + "; repeated fresh loads in one process")
    row("   - load_rule_base()", lc["load"])
    row("   - compiled(): compile", lc["compile"])
    row("   - engine.prepare(): register every ruleset", lc["register_all"])
    row("   load + compile without registering (lazy)", lc["total_without_register"],
        "what a CLI call pays before its case registers the routes it reaches")
    if res.get("cold"):
        c = res["cold"]
        row("   new process: load + compile + register (first load)", c["load_compile_register"],
            target(c["load_compile_register"]["median_ms"], "load_compile_ms") + "; wall clock only")
        row("   new process: import pathways", c["import"])
        row("   new process: import + load + compile + register", c["total"])
    sh = res.get("shipped")
    if sh:
        row(f"2  evaluate(), shipped, {sh['cases']} scenarios", sh["evaluate"],
            target(sh["evaluate"]["median_ms"], "evaluate_median_ms", cpu=sh["evaluate"]["cpu_median_ms"])
            + f"; GC {sh['gc_share_of_evaluate']:.0%} of evaluate time")
        row("   - check_answers()", sh["phases"]["check_answers"])
        row("   - run_case(): facts + engine sessions", sh["phases"]["run_case"])
        row("   - build_outcome()", sh["phases"]["build_outcome"])
        row("   next_question(), every step of the wizard walks", sh["next_question"],
            f"{sh['wizard_walks']} walks, {sh['wizard_steps']} steps")
        row("3  raw durable-rules, same sessions", sh["raw"],
            f"{sh['sessions_per_evaluate']} sessions per evaluate(); same firings as the wrapper: "
            f"{'yes' if sh['raw_replay_consistent'] else 'NO'}")
        ratio_row("   wrapper ratio evaluate()/raw", sh["wrapper_ratio"],
                  target(sh["wrapper_ratio"], "wrapper_ratio", "x", cpu=sh["wrapper_ratio_cpu"])
                  + f"; median of per-scenario ratios (ratio of pooled medians {fmt(sh['wrapper_ratio_of_pooled_medians'])}x, "
                    f"of means {fmt(sh['wrapper_ratio_of_means'])}x)")
        ratio_row("   engine-side ratio run_case()/raw", sh["run_case_ratio"],
                  "answers to firings only: no answer checking, no Outcome")
        row("   plain-Python floor, same sessions", sh["floor"],
            f"engine work only (matching, firing, deriving); floor firings same: "
            f"{'yes' if sh['floor_consistent'] else 'NO'} ({sh['floor_sessions_differing']} of "
            f"{sh['floor_sessions']} sessions differ)"
            + (f"; {sh['floor_late_derived_facts']} derived facts read by rules of gates already asserted"
               if sh["floor_late_derived_facts"] else ""))
        row("   plain-Python floor, replayed again at once", sh["floor_warm"],
            "warm CPU caches: the floor's own data was just used (the row above runs right after raw)")
        ratio_row("   evaluate()/floor", sh["floor_ratio"],
                  f"median of per-scenario ratios (by CPU time {fmt(sh['floor_ratio_cpu'])}x)")
        ratio_row("   raw/floor", sh["raw_floor_ratio"],
                  f"median of per-scenario ratios (by CPU time {fmt(sh['raw_floor_ratio_cpu'])}x)")
    for g in res.get("generated", []):
        row(f"4  evaluate(), {g['rules']} rules in {g['routes']} route{'s' if g['routes'] > 1 else ''}",
            g["evaluate"], same_firings(g) + f"case selects every route ({g['answers']} answers, {g['sessions']:g} sessions); "
                           f"raw {fmt(g['raw']['median_ms'])} ms, ratio {fmt(g['wrapper_ratio'])}x; "
                           f"floor {fmt(g['floor']['median_ms'])} ms, evaluate()/floor {fmt(g['floor_ratio'])}x; "
                           f"build_outcome {fmt(g['phases']['build_outcome']['median_ms'])} ms; "
                           f"load {g['load_ms']:.0f} ms + compile+register {g['compile_and_register_ms']:.0f} ms")
    iso = res.get("isolation")
    if iso:
        b, s = iso["big"], iso["small"]
        row(f"5  one-route case on {b['rules']} rules / {b['routes']} routes", b["evaluate"],
            same_firings(iso) + f"raw {fmt(b['raw']['median_ms'])} ms; floor {fmt(b['floor']['median_ms'])} ms; "
            f"next_question {fmt(b['next_question']['median_ms'])} ms; "
            f"load {b['load_ms']:.0f} ms + compile+register {b['compile_and_register_ms']:.0f} ms")
        row(f"   same case on {s['rules']} rules / 1 route", s["evaluate"],
            f"raw {fmt(s['raw']['median_ms'])} ms; floor {fmt(s['floor']['median_ms'])} ms; "
            f"next_question {fmt(s['next_question']['median_ms'])} ms")
        ratio_row("   isolation ratio", iso["ratio_evaluate"],
                  target(iso["ratio_evaluate"], "isolation_ratio", "x", cpu=iso["ratio_evaluate_cpu"])
                  + f"; raw {fmt(iso['ratio_raw'])}x; "
                    f"build_outcome {fmt(iso['ratio_phases']['build_outcome'])}x; "
                    f"next_question {fmt(iso['ratio_next_question'])}x")
    head = ("measure", "median ms", "p90 ms", "CPU median ms", "n", "notes / target")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
    lines = ["| " + " | ".join(h.ljust(widths[i]) if i < 5 else h for i, h in enumerate(head)) + " |",
             "|" + "|".join(("-" * (widths[i] + 1) + (":" if i else "-")) if i < 5 else "---"
                            for i in range(6)) + "|"]
    for r in rows:
        cells = [r[0].ljust(widths[0])] + [r[i].rjust(widths[i]) for i in (1, 2, 3, 4)] + [r[5]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def profile_text(title: str, prof: dict[str, Any], n: int = 15) -> str:
    lines = [f"cProfile of {title} ({prof['calls']} calls, "
             f"{prof['profiled_us_per_call']:.0f} us/call under the profiler)",
             "", "exclusive time by category:"]
    for r in prof["by_category"]:
        lines.append(f"  {r['us_per_call']:8.1f} us {r['share']:6.1%}  {r['category']}")
    lines += ["", "top by own time (tottime):",
             f"  {'us/call':>8} {'share':>6} {'calls/call':>10}  function"]
    for r in prof["by_tottime"][:n]:
        lines.append(f"  {r['tottime_us_per_call']:8.1f} {r['tottime_share']:6.1%} "
                     f"{r['calls_per_call']:10.1f}  {r['function']}")
    lines += ["", "top by cumulative time:", f"  {'us/call':>8} {'share':>6} {'calls/call':>10}  function"]
    for r in prof["by_cumtime"][:n]:
        lines.append(f"  {r['cumtime_us_per_call']:8.1f} {r['cumtime_share']:6.1%} "
                     f"{r['calls_per_call']:10.1f}  {r['function']}")
    return "\n".join(lines)


def tree_state() -> dict[str, Any]:
    """Which code and rules were measured: git HEAD, whether the tree was dirty, content hashes."""
    import hashlib

    root = HERE.parent
    out: dict[str, Any] = {}
    try:
        out["git_head"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, text=True,
                                         capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "rules"], cwd=root, text=True,
                               capture_output=True, check=True).stdout.splitlines()
        out["uncommitted_changes_in_src_rules"] = len(dirty)
    except (OSError, subprocess.CalledProcessError):
        pass
    for name, folder, pattern in (("src_hash", root / "src" / "pathways", "*.py"), ("rules_hash", root / "rules", "*.yaml")):
        h = hashlib.sha256()
        for f in sorted(folder.rglob(pattern)):
            h.update(f.relative_to(folder).as_posix().encode() + b"\0" + f.read_bytes())
        out[name] = h.hexdigest()[:12]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="few repetitions: a smoke check under a minute")
    ap.add_argument("--out", default=str(HERE / "results.json"), help="where to write the JSON results")
    ap.add_argument("--skip-generated", action="store_true", help="only the shipped rule base")
    args = ap.parse_args(argv)
    quick = args.quick
    # the shipped base's scenario count grows: budgets are in samples, not repetitions
    reps: dict[str, int] = {"load": 3 if quick else 15, "cold": 1 if quick else 10,
                            "evaluate_samples": 300 if quick else 5000, "next_question_samples": 300 if quick else 4000,
                            "walks": 10 if quick else 0,
                            "profile_samples": 60 if quick else 600, "generated": 3 if quick else 60,
                            "isolation": 5 if quick else 100, "profile_load": 2 if quick else 5}
    started = time.perf_counter()
    res: dict[str, Any] = {
        "meta": {"date": dt.datetime.now().isoformat(timespec="seconds"), "quick": quick,
                 "loadavg_at_start": os.getloadavg(), "speed_at_start": speed.reference(), **tree_state(),
                 "python": platform.python_version(), "platform": platform.platform(),
                 "cpus": os.cpu_count(), "pathways": pathways.__version__, "repetitions": reps,
                 "targets": TARGETS},
    }
    log("shipped rule base ...")
    rb, note, path = shipped_rule_base()
    res["meta"]["shipped_note"] = note
    if note:
        log(f"  NOTE: {note}")
    res["load_compile"] = bench_load(reps["load"], path)
    res["cold"] = bench_cold(reps["cold"], path)
    res["profile_load"] = profile_load(path, reps["profile_load"])
    scenarios = load_scenarios(rb)
    res["meta"]["scenarios"] = len(scenarios)
    cases = []
    skipped = []
    for sc in scenarios:
        try:
            pathways.evaluate(rb, sc.answers, as_of=sc.as_of or DEFAULT_AS_OF)
        except pathways.PathwaysError as exc:  # a scenario the rule base does not accept (yet)
            skipped.append(f"{sc.file}:{sc.line} {sc.name}: {exc}"[:300])
            continue
        cases.append((sc.name, rb, sc.answers, sc.as_of or DEFAULT_AS_OF))
    res["meta"]["scenarios_skipped"] = skipped
    comp = compiled(rb)
    res["meta"]["shipped_partitions"] = {name: len(p.rules) for name, p in comp.partitions.items()}
    if cases:
        shipped_reps = min(200, max(3 if quick else 20, -(-reps["evaluate_samples"] // len(cases))))
        log(f"  {len(cases)} scenarios x {shipped_reps} repetitions")
        res["shipped"] = bench_cases(cases, shipped_reps, next_budget=reps["next_question_samples"],
                                     max_walks=reps["walks"] or None)
        log("  profiling evaluate() ...")
        res["profile"] = profile_evaluate(rb, [(n, a, d) for n, _, a, d in cases],
                                          max(1, -(-reps["profile_samples"] // len(cases))))
    if not args.skip_generated:
        log("generated rule bases ...")
        with tempfile.TemporaryDirectory(prefix="pw-bench-") as tmp:
            res["generated"] = bench_generated(Path(tmp), reps["generated"])
            res["isolation"] = bench_isolation(Path(tmp), reps["isolation"])
    res["meta"]["seconds"] = round(time.perf_counter() - started, 1)
    res["meta"]["loadavg_at_end"] = os.getloadavg()
    res["meta"]["speed_at_end"] = speed.reference()
    if path is not None:
        shutil.rmtree(path.parent, ignore_errors=True)
    Path(args.out).write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n")
    print(f"pathways benchmark {res['meta']['date']} ({'quick' if quick else 'full'}; "
          f"{res['meta']['cpus']} CPUs; Python {res['meta']['python']}; {res['meta']['seconds']} s; "
          "load average at start/end "
          f"{res['meta']['loadavg_at_start'][0]:.2f}/{res['meta']['loadavg_at_end'][0]:.2f})")
    print(speed.describe(res["meta"]["speed_at_start"], "at the start"))
    print(speed.describe(res["meta"]["speed_at_end"], "at the end"))
    if note:
        print(f"NOTE: {note}")
    print()
    print(table(res))
    if res.get("profile"):
        print()
        print(profile_text("evaluate() on the shipped scenarios", res["profile"]))
    if res.get("profile_load"):
        print()
        print(profile_text("load_rule_base() + compiled() of the shipped rule base", res["profile_load"], n=10))
    print(f"\nresults written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
