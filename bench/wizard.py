"""Benchmark of the Textual wizard: startup to the first question, and answer -> next question.

    .venv/bin/python bench/wizard.py [--rules DIR] [--runs N] [--think S] [--scenarios N] [--json FILE] [--no-floor]

Startup: a fresh interpreter per run (``--child``) starts as ``pathways wizard`` does (imports
``pathways.cli``, holds garbage collection as ``pathways_tui.run()`` does), builds the app
headless at 80x24, waits until the rule base is loaded, presses Ctrl+N (new case) at once and
reports when the first question has been painted. The parent measures from process launch to that
report line (not to the child's exit), so the number includes interpreter start, imports, loading
and compiling the rule base and the first paint (a person would spend longer than that reading
the start screen).

Latency: one app walks every scenario of the rule base (``scenarios:`` in its manifest) through the
UI. For each answer the navigation keys (arrows, Space) go first; the clock then runs from the key
that answers (Enter, Ctrl+D) until the compositor has drawn the next question (or the checklist).
That covers the autosave, the planner (in the engine thread) and the screen update. ``--think``
waits that long after each question appears before answering, as a person reading it would; the
wizard uses the time to work out the next question for each likely answer in advance, so run it
also with ``--think 0`` for the worst case (answers typed ahead without reading).

Beside the walk (unless ``--no-floor``): the same steps replayed on the same screen built from
Textual's own widgets, with no pathways code (``wizard_floor.py``), stock and with the wizard's
tuning of Textual and the collector. Their times, and the wizard's ratio to each from the same run,
say how much of an answer is the wizard's own and how much is Textual's on this machine.

Targets (issue 5): startup <= 1.5 s; answer -> next question <= 50 ms at p99.
"""

from __future__ import annotations

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import bisect  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.tui.helpers (the same key-driving code as the tests)
sys.path.insert(0, str(ROOT / "bench"))  # for speed (the machine's speed, printed beside the results)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


_PAINTS: list[float] = []   # when the screen was last drawn (the compositor wrote an update)
_SHOWN: list[float] = []    # when the wizard last finished putting a question on screen


def _instrument() -> None:
    """Time-stamp every screen update and every question shown (benchmark only)."""
    from textual.screen import Screen

    from pathways_tui.screens.wizard import WizardScreen

    refresh = Screen._compositor_refresh

    def compositor_refresh(self: Any) -> None:
        refresh(self)
        _PAINTS.append(time.perf_counter())

    show = WizardScreen.show_question

    async def show_question(self: Any, qid: str) -> None:
        await show(self, qid)
        _SHOWN.append(time.perf_counter())

    Screen._compositor_refresh = compositor_refresh  # type: ignore[method-assign]
    WizardScreen.show_question = show_question  # type: ignore[method-assign]


async def first_paint_after(paints: list[float], since: float) -> float:
    """The first of ``paints`` (screen update times, in order) after ``since``; waits for it."""
    while True:
        # (a search, not a scan: this polls in the app's own event loop, and a walk's list holds
        # every update, ~14,000 by its end, which a scan took 0.2 ms a poll to read)
        index = bisect.bisect_right(paints, since)
        if index < len(paints):
            return paints[index]
        await asyncio.sleep(0.0005)


async def _painted(after: float | None = None) -> float:
    """The time of the wizard's first screen update after ``after`` (default: now)."""
    return await first_paint_after(_PAINTS, time.perf_counter() if after is None else after)


def _step(screen: Any, first: bool) -> dict[str, Any]:
    """What the wizard shows for its current question, as ``wizard_floor.py`` replays it."""
    from textual.widgets import Label, ProgressBar

    from pathways_tui.widgets.preview import RoutePreview
    from pathways_tui.widgets.question import ChoiceList, HelpPanel

    view, session = screen.question_view, screen.session
    choice = view.query_one(ChoiceList)
    bar = screen.query_one(ProgressBar)
    return {
        "first": first,
        "title": str(view.parent.border_title or ""),
        "text": view._texts.get("#q-text", ""),
        "hint": view._texts.get("#q-hint", ""),
        "note": view._texts.get("#q-note", ""),
        "options": ([str(choice.get_option_at_index(i).prompt) for i in range(choice.option_count)]
                    if choice.display else None),
        "dont_know": view.query_one("#dont-know").display,
        "help": str(screen.query_one(HelpPanel)._content()),
        "routes": str(screen.query_one(RoutePreview).visual),
        "answers": [[session.question(q, screen.lang).text, session.value_text(q, screen.lang)]
                    for q in session.answered_in_order()],
        "progress_text": str(screen.query_one("#progress-text", Label).content),
        "progress_total": bar.total,
        "progress": bar.progress,
    }


FLOOR_EVERY = 25  # scenarios walked between two replays (so the machine's drift hits both alike)


async def floor(steps: list[dict[str, Any]], size: tuple[int, int], tuned: bool, think: float) -> list[float]:
    """``wizard_floor.py``'s times for ``steps``, ms per answer (a case's first question is untimed).

    Run while the wizard waits on its start screen (its event loop goes on, idle)."""
    with tempfile.TemporaryDirectory(prefix="pathways-floor-") as folder:
        path = Path(folder) / "steps.json"
        path.write_text(json.dumps({"steps": steps, "size": size, "think": think}), encoding="utf-8")
        child = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bench" / "wizard_floor.py"), str(path), *(["--tuned"] if tuned else []),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"wizard_floor.py failed ({child.returncode}):\n{err.decode()}")
    return [x for x in json.loads(out.decode().splitlines()[-1])["ms"] if x is not None]


async def _child_startup(rules: str | None) -> None:
    import pathways.cli  # noqa: F401 - what ``pathways wizard`` imports first
    import pathways_tui

    pathways_tui.hold_gc_for_startup()  # then as pathways_tui.run() does
    from pathways_tui.app import build_app
    from pathways_tui.screens.start import StartScreen
    from pathways_tui.screens.wizard import WizardScreen

    from tests.tui.helpers import send_keys

    t_import = time.perf_counter() - T_START
    _instrument()
    app = build_app(rules, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        t_app = time.perf_counter() - T_START
        while not (isinstance(app.screen, StartScreen) and app.backend is not None):
            await asyncio.sleep(0.001)
        t_rules = time.perf_counter() - T_START
        await send_keys(pilot, "ctrl+n")
        while not (isinstance(app.screen, WizardScreen) and app.screen.question_view is not None):
            await asyncio.sleep(0.001)
        t_question = await _painted(_SHOWN[-1]) - T_START
        print(json.dumps({"import": t_import, "app_running": t_app, "rules_ready": t_rules,
                          "first_question": t_question}), flush=True)


def startup(rules: str | None, runs: int) -> dict[str, Any]:
    walls, inner = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as data:
            env = dict(os.environ, PATHWAYS_DATA_DIR=data)
            t0 = time.perf_counter()
            # timed to the child's report (the first question painted), not to its exit: shutting
            # the app down afterwards is not part of the start-up
            child = subprocess.Popen([sys.executable, __file__, "--child"] + (["--rules", rules] if rules else []),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            assert child.stdout is not None
            line = child.stdout.readline()
            walls.append(time.perf_counter() - t0)
            _, err = child.communicate(timeout=120)
            if child.returncode != 0 or not line:
                raise SystemExit(f"startup child failed ({child.returncode}):\n{err}")
            inner.append(json.loads(line))
    return {
        "runs": runs,
        "launch_to_first_question_s": {"median": statistics.median(walls), "max": max(walls)},
        "inside_the_process_s": {k: statistics.median(r[k] for r in inner) for k in inner[0]},
    }


async def _latency(rules: str | None, max_scenarios: int | None = None, think: float = 0.0,
                   with_floor: bool = True) -> dict[str, Any]:
    import pathways
    from pathways.authoring.scenarios import DEFAULT_AS_OF, load_scenarios, run_scenario
    from pathways_tui.app import build_app
    from pathways_tui.screens.checklist import ChecklistScreen
    from pathways_tui.screens.wizard import WizardScreen
    from pathways_tui.widgets.question import ChoiceList

    from tests.tui.helpers import answer_focused, new_case, send_keys, wait_for

    _instrument()
    rb = pathways.load_rule_base(rules)
    scenarios = load_scenarios(rb)
    samples: list[float] = []
    to_checklist: list[float] = []
    steps: list[dict[str, Any]] = []  # what each answer brought on screen, not yet replayed
    floors: dict[str, list[float]] = {"stock": [], "tuned": []}  # the replays' times, in the walk's order
    walked = 0

    async def replay_steps() -> None:
        # in a child process, in turn with the walk: a drift of the machine's speed over the run
        # then hits the wizard and the replays alike (and the order of the two alternates)
        order = ("stock", "tuned") if walked // FLOOR_EVERY % 2 else ("tuned", "stock")
        for variant in order:
            floors[variant] += await floor(steps, size, tuned=variant == "tuned", think=think)
        steps.clear()
        await asyncio.sleep(1.5)  # (the wizard's collection after a pause, before the next timed answer)

    size = (120, 40)
    app = build_app(lang="en", as_of=DEFAULT_AS_OF, rule_base=rb)
    async with app.run_test(size=size) as pilot:
        skipped = 0
        for scenario in scenarios[:max_scenarios]:
            if scenario.as_of not in (None, DEFAULT_AS_OF) or not run_scenario(rb, scenario).passed:
                skipped += 1  # the rule base's own scenario check fails: not a wizard walk
                continue
            if not isinstance(app.screen, WizardScreen) or app.session is None:
                await app.show_start()
            await new_case(pilot, "")
            first = True
            while isinstance(app.screen, WizardScreen):
                screen = app.screen
                await answer_focused(pilot)
                if first and with_floor:
                    steps.append(_step(screen, first=True))
                first = False
                if think:
                    await asyncio.sleep(think)  # a person reads the question before answering
                view = screen.question_view
                value = scenario.answers[screen.qid]
                widget = view.answer_widget
                if value == "unknown":
                    final = "ctrl+d"
                elif isinstance(widget, ChoiceList) and not widget.multiple:
                    target = ("yes" if value is True else "no") if view.question.type == "yes_no" else str(value)
                    index = widget.get_option_index(target)
                    await send_keys(pilot, *(["down"] * (index - (widget.highlighted or 0))))
                    final = "enter"
                elif isinstance(widget, ChoiceList):
                    keys: list[str] = []
                    current = widget.highlighted or 0
                    for index in range(widget.option_count):
                        if widget.get_option_at_index(index).id in value:
                            keys += ["down"] * (index - current) + ["space"]
                            current = index
                    await send_keys(pilot, *keys)
                    final = "enter"
                else:
                    await send_keys(pilot, *str(value))
                    final = "enter"
                before = screen.shown
                t0 = time.perf_counter()
                _send(app, final)
                while True:
                    if isinstance(app.screen, ChecklistScreen):
                        break
                    if screen.shown > before and not screen.busy:
                        break
                    await asyncio.sleep(0.0005)
                if isinstance(app.screen, ChecklistScreen):
                    await wait_for(pilot, lambda: app.screen.outcome is not None, "checklist")
                    painted = await _painted()
                    to_checklist.append(painted - t0)
                    break
                painted = await _painted(_SHOWN[-1])
                samples.append(painted - t0)
                if with_floor:
                    steps.append(_step(screen, first=False))
            await app.show_start()
            walked += 1
            if with_floor and walked % FLOOR_EVERY == 0:
                await replay_steps()
        if with_floor and steps:
            await replay_steps()
    ms = [x * 1000 for x in samples]
    cl = [x * 1000 for x in to_checklist]
    floor_stats: dict[str, Any] | None = None
    if with_floor:
        floor_stats = {}
        for variant, floor_ms in floors.items():
            if len(floor_ms) != len(ms):
                raise SystemExit(f"the floor replayed {len(floor_ms)} answers, the walk had {len(ms)}")
            floor_stats[variant] = {
                "p50": _percentile(floor_ms, 0.5), "p90": _percentile(floor_ms, 0.9),
                "p99": _percentile(floor_ms, 0.99), "max": max(floor_ms),
                "wizard_ratio_p50": _percentile(ms, 0.5) / _percentile(floor_ms, 0.5),
                "wizard_ratio_p99": _percentile(ms, 0.99) / _percentile(floor_ms, 0.99),
                "wizard_median_ratio": statistics.median(w / f for w, f in zip(ms, floor_ms, strict=True)),
            }
    return {
        "scenarios_walked": len(cl), "scenarios_skipped": skipped,
        "answers": len(ms),
        "answer_to_next_question_ms": {"p50": _percentile(ms, 0.5), "p90": _percentile(ms, 0.9),
                                       "p99": _percentile(ms, 0.99), "max": max(ms)},
        "last_answer_to_checklist_ms": {"n": len(cl), "p50": _percentile(cl, 0.5), "max": max(cl) if cl else None},
        "textual_floor_ms": floor_stats,
    }


def _send(app: Any, key: str) -> None:
    from textual import events

    char = {"enter": "\r"}.get(key)
    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rules", default=None, help="rule base directory (default: the shipped rules/)")
    parser.add_argument("--runs", type=int, default=5, help="startup runs (fresh interpreters)")
    parser.add_argument("--think", type=float, default=0.5,
                        help="seconds between a question appearing and the answer (a person reading it); "
                             "the wizard uses that time to work out the next question for each likely answer")
    parser.add_argument("--scenarios", type=int, default=None, help="walk at most this many scenarios")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this file")
    parser.add_argument("--no-floor", action="store_true",
                        help="skip the replays of the walk's steps in Textual alone (wizard_floor.py)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(_child_startup(args.rules))
        return
    import speed

    speed_start = speed.reference()
    print(speed.describe(speed_start, "at the start"), flush=True)
    with tempfile.TemporaryDirectory(prefix="pathways-bench-") as data:  # (the walks' saved cases)
        os.environ.setdefault("PATHWAYS_DATA_DIR", data)
        results = {"rules": args.rules or "rules/ (shipped)", "startup": startup(args.rules, args.runs),
                   "think_s": args.think, "latency": asyncio.run(_latency(args.rules, args.scenarios, args.think,
                                                                not args.no_floor))}
    results["speed_start"], results["speed_end"] = speed_start, speed.reference()
    s, lat = results["startup"], results["latency"]
    print(speed.describe(results["speed_end"], "at the end"))
    print(f"rule base: {results['rules']}")
    print(f"startup, launch -> first question painted: median {s['launch_to_first_question_s']['median']:.2f} s, "
          f"max {s['launch_to_first_question_s']['max']:.2f} s over {s['runs']} runs (target <= 1.5 s)")
    inner = s["inside_the_process_s"]
    print("  inside the process (median s since interpreter start): "
          + ", ".join(f"{k} {v:.2f}" for k, v in inner.items()))
    a = lat["answer_to_next_question_ms"]
    print(f"walked {lat['scenarios_walked']} scenarios through the UI ({lat['scenarios_skipped']} skipped)")
    print(f"reading time before each answer: {args.think} s")
    print(f"answer -> next question painted: p50 {a['p50']:.1f} ms, p90 {a['p90']:.1f} ms, p99 {a['p99']:.1f} ms, "
          f"max {a['max']:.1f} ms over {lat['answers']} answers (target p99 <= 50 ms)")
    floors = lat["textual_floor_ms"]
    if floors:
        print(f"the same {lat['answers']} steps on the same screen in Textual's own widgets, no pathways code "
              f"(wizard_floor.py, in turn with the walk, every {FLOOR_EVERY} scenarios):")
        for variant, label in (("stock", "stock Textual"), ("tuned", "with the wizard's GC policy and strip fix")):
            f = floors[variant]
            print(f"  {label}: p50 {f['p50']:.1f} ms, p90 {f['p90']:.1f} ms, p99 {f['p99']:.1f} ms, "
                  f"max {f['max']:.1f} ms; wizard / this: p50 {f['wizard_ratio_p50']:.2f}x, "
                  f"p99 {f['wizard_ratio_p99']:.2f}x, per answer (median) {f['wizard_median_ratio']:.2f}x")
    c = lat["last_answer_to_checklist_ms"]
    if c["n"]:
        print(f"last answer -> checklist painted: p50 {c['p50']:.0f} ms, max {c['max']:.0f} ms over {c['n']} cases")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
