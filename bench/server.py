"""Load benchmark of the HTTP API on loopback: requests/s, p50/p99 latency, RSS per worker.

    .venv/bin/python bench/server.py                       # defaults: mini rule base, ~3 minutes
    .venv/bin/python bench/server.py --rules rules --duration 10 --rss-requests 100000

For each worker count (1, 2) it starts ``pathways serve`` on 127.0.0.1 and a free port, then loads
``POST /v1/checklist`` at 1, 8 and 32 concurrent connections for ``--duration`` seconds each (after
a warm-up), every request carrying one of many distinct answer sets (the mini rule base's whole
answer space, both languages). Then a long run of ``--rss-requests`` requests against the
2-worker server samples the resident memory of each worker as it goes (it must stay flat).

The load generator is ``wrk`` when installed (``apt-get install wrk``; one thread, so it leaves
the second core to the server), else an httpx asyncio client (which needs much more CPU itself,
so the figures are lower). Traffic goes to 127.0.0.1 only; every run is bounded in time and count
and the servers are stopped at the end. It is a benchmark, not a test: it prints a table.

"CPU ms/req" is the CPU time the workers spent per request (from /proc): it does not depend on
what else runs on the machine, so 1000 / (CPU ms/req) is the capacity of one core however busy
the machine was; "load" is the 1-minute load average at the end of the cell.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"
TOKEN = "bench-token-0123456789abcdefghij"


# ---- requests --------------------------------------------------------------------------------

def mini_bodies() -> list[dict[str, Any]]:
    """Distinct request bodies: every answer combination of the mini rule base × 2 languages."""
    bodies = []
    for kind, made, active, implant, features, lang in itertools.product(
            ["device", "food", "unknown", None], ["tianjin", "abroad", None], [True, False, "unknown", None],
            [True, False, None], [[], ["sterile"], ["measuring"], ["sterile", "measuring"], None], ["en", "zh"]):
        answers = {"kind": kind, "made_in": made, "active": active, "implant": implant, "features": features}
        bodies.append({"answers": {k: v for k, v in answers.items() if v is not None}, "lang": lang,
                       "as_of": "2026-11-24"})
    return bodies


def generic_bodies(rules: Path) -> list[dict[str, Any]]:
    """For another rule base: the next-question walk from {} gives a few distinct, valid cases."""
    import pathways

    rb = pathways.load_rule_base(rules)
    bodies = [{"answers": {}, "lang": "en", "as_of": "2026-11-24"}]
    answers: dict[str, Any] = {}
    for _ in range(40):
        step = pathways.next_question(rb, answers)
        if step.question is None:
            break
        q = step.question
        answers = {**answers, q.id: (q.options[0].value if q.options else "unknown" if q.unknown_allowed
                                     else True if q.type == "yes_no" else 1 if q.type == "number"
                                     else "2026-01-01" if q.type == "date" else "x")}
        if q.type == "multi":
            answers[q.id] = [q.options[0].value]
        bodies.append({"answers": dict(answers), "lang": "en", "as_of": "2026-11-24"})
    return bodies


# ---- the server ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, rules: Path, workers: int, log_level: str, tmp: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        tokens = tmp / "tokens"
        tokens.write_text(TOKEN + "\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS")}
        self.log = (tmp / f"server-{workers}.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pathways.cli", "serve", "--rules", str(rules), "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(workers), "--token-file", str(tokens),
             "--log-level", log_level],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            self.stop()
            raise SystemExit("the server did not become ready within 120 s")
        self.workers = self.worker_pids() if workers > 1 else [self.proc.pid]

    def worker_pids(self) -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
                if ppid == self.proc.pid and b"spawn_main" in (stat.parent / "cmdline").read_bytes():
                    pids.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                continue
        return sorted(pids)

    def rss_mb(self) -> list[float]:
        out = []
        for pid in self.workers:
            try:
                text = Path(f"/proc/{pid}/status").read_text()
                out.append(int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024)  # type: ignore[union-attr]
            except (OSError, AttributeError):
                out.append(float("nan"))
        return out

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the worker processes."""
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for pid in self.workers:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
            except (OSError, ValueError, IndexError):
                pass
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


# ---- load generators -------------------------------------------------------------------------

WRK_SCRIPT = """
local bodies = {}
local f = io.open("%(bodies)s", "r")
for line in f:lines() do bodies[#bodies + 1] = line end
f:close()
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
request = function()
  i = i + 1
  return wrk.format(nil, "/v1/checklist", nil, bodies[(i %% #bodies) + 1])
end
"""


def parse_wrk(text: str) -> dict[str, float]:
    def ms(value: str) -> float:
        number, unit = re.match(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    out: dict[str, float] = {}
    out["requests"] = float(re.search(r"(\d+) requests in", text).group(1))  # type: ignore[union-attr]
    out["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", text, re.M)
        out[f"p{pct}"] = ms(m.group(1)) if m else float("nan")
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors += int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errors += sum(int(g) for g in m.groups()) if m else 0
    out["errors"] = errors
    return out


def run_wrk(url: str, script: Path, connections: int, seconds: float) -> dict[str, float]:
    assert url.startswith("http://127.0.0.1:"), "loopback only"
    done = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
                           "--latency", "-s", str(script), url], capture_output=True, text=True,
                          timeout=seconds + 60)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed: {done.stderr}")
    return parse_wrk(done.stdout)


async def _httpx_load(url: str, bodies: list[bytes], connections: int, seconds: float | None,
                      count: int | None) -> dict[str, float]:
    assert url.startswith("http://127.0.0.1:"), "loopback only"
    latencies: list[float] = []
    errors = 0
    counter = itertools.count()
    stop_at = time.monotonic() + seconds if seconds else None
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    async def worker() -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=url, timeout=30, headers=headers,
                                     limits=httpx.Limits(max_connections=1)) as client:
            while True:
                n = next(counter)
                if (count is not None and n >= count) or (stop_at is not None and time.monotonic() >= stop_at):
                    return
                started = time.perf_counter()
                try:
                    r = await client.post("/v1/checklist", content=bodies[n % len(bodies)])
                    if r.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.perf_counter() - started) * 1000)

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")

    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "p50": pct(0.50), "p99": pct(0.99),
            "errors": errors}


def run_httpx(url: str, bodies: list[bytes], connections: int, seconds: float | None = None,
              count: int | None = None) -> dict[str, float]:
    return asyncio.run(_httpx_load(url, bodies, connections, seconds, count))


# ---- main ------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", type=Path, default=MINI, help="rule base (default: tests/fixtures/mini)")
    parser.add_argument("--workers", default="1,2", help="worker counts (default 1,2)")
    parser.add_argument("--connections", default="1,8,32", help="concurrent connections (default 1,8,32)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds measured per cell (default 8)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per cell (default 2)")
    parser.add_argument("--rss-requests", type=int, default=30000,
                        help="requests in the long run that samples RSS (default 30000; the issue asks 100000)")
    parser.add_argument("--rss-connections", type=int, default=8)
    parser.add_argument("--tool", choices=["auto", "wrk", "httpx"], default="auto")
    parser.add_argument("--log-level", default="warning",
                        help="server log level (default warning: no access log lines; 'info' logs each request)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()

    tool = ("wrk" if shutil.which("wrk") else "httpx") if args.tool == "auto" else args.tool
    rules = args.rules.resolve()
    bodies_obj = mini_bodies() if rules == MINI.resolve() else generic_bodies(rules)
    bodies = [json.dumps(b, separators=(",", ":")).encode() for b in bodies_obj]
    workers_list = [int(w) for w in args.workers.split(",")]
    conns = [int(c) for c in args.connections.split(",")]
    results: dict[str, Any] = {"tool": tool, "rules": str(rules), "distinct_bodies": len(bodies),
                               "duration_s": args.duration, "log_level": args.log_level, "cells": [], "rss": []}
    print(f"pathways server benchmark: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; load generator {tool}; rule base {rules.name}; "
          f"{len(bodies)} distinct request bodies; {args.duration:g} s per cell after {args.warmup:g} s warm-up; "
          f"server log level {args.log_level}", flush=True)

    with tempfile.TemporaryDirectory(prefix="pathways-bench-") as tmpdir:
        tmp = Path(tmpdir)
        (tmp / "bodies.jsonl").write_bytes(b"\n".join(bodies) + b"\n")
        script = tmp / "bench.lua"
        script.write_text(WRK_SCRIPT % {"bodies": tmp / "bodies.jsonl", "token": TOKEN})

        def load(url: str, connections: int, seconds: float) -> dict[str, float]:
            if tool == "wrk":
                return run_wrk(url, script, connections, seconds)
            return run_httpx(url, bodies, connections, seconds=seconds)

        print(f"\n{'workers':>7} {'conns':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'errors':>6} "
              f"{'CPU ms/req':>10} {'load':>5}")
        for workers in workers_list:
            server = Server(rules, workers, args.log_level, tmp)
            try:
                for c in conns:
                    load(server.url, c, args.warmup)
                    cpu = server.cpu_seconds()
                    cell = load(server.url, c, args.duration)
                    cell["cpu_ms_per_request"] = (server.cpu_seconds() - cpu) * 1000 / max(cell["requests"], 1)
                    cell["loadavg"] = os.getloadavg()[0]
                    cell.update(workers=workers, connections=c)
                    results["cells"].append(cell)
                    print(f"{workers:>7} {c:>5} {cell['rps']:>8.0f} {cell['p50']:>8.2f} {cell['p99']:>8.2f} "
                          f"{int(cell['requests']):>9} {int(cell['errors']):>6} {cell['cpu_ms_per_request']:>10.2f} "
                          f"{cell['loadavg']:>5.1f}", flush=True)
            finally:
                server.stop()

        if args.rss_requests > 0:
            workers = max(workers_list)
            server = Server(rules, workers, args.log_level, tmp)
            try:
                print(f"\nRSS per worker over {args.rss_requests} requests ({workers} workers, "
                      f"{args.rss_connections} connections):")
                print(f"{'requests':>9} " + " ".join(f"{'worker ' + str(i + 1) + ' MB':>12}" for i in range(len(server.workers))))
                done = 0
                checkpoints = 10
                sample = server.rss_mb()
                results["rss"].append({"requests": 0, "rss_mb": sample})
                print(f"{0:>9} " + " ".join(f"{v:>12.1f}" for v in sample), flush=True)
                started = time.monotonic()
                errors = 0
                rate = 1000.0
                while done < args.rss_requests:
                    step = min(args.rss_requests - done, max(1, args.rss_requests // checkpoints))
                    if tool == "wrk":
                        # wrk is bounded by time: run slices until the count is reached
                        cell = run_wrk(server.url, script, args.rss_connections,
                                       max(1.0, min(step, args.rss_requests - done) / rate))
                        rate = max(cell["rps"], 1.0)
                    else:
                        cell = run_httpx(server.url, bodies, args.rss_connections, count=step)
                    done += int(cell["requests"])
                    errors += int(cell["errors"])
                    sample = server.rss_mb()
                    results["rss"].append({"requests": done, "rss_mb": sample})
                    print(f"{done:>9} " + " ".join(f"{v:>12.1f}" for v in sample), flush=True)
                elapsed = time.monotonic() - started
                first, last = results["rss"][1]["rss_mb"], results["rss"][-1]["rss_mb"]
                growth = [b - a for a, b in zip(first, last)]
                print(f"{done} requests in {elapsed:.0f} s, {errors} errors; RSS change after the first slice: "
                      + ", ".join(f"{g:+.1f} MB" for g in growth))
                results["rss_summary"] = {"requests": done, "seconds": elapsed, "errors": errors, "growth_mb": growth}
            finally:
                server.stop()

    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
