"""Fixtures for the HTTP API tests: in-process apps (httpx.ASGITransport) and real uvicorn servers.

A real server is ``python -m pathways.cli serve`` on 127.0.0.1 and a free port, started in a
subprocess, waited for on /readyz and terminated at the end. Nothing here talks to any other
address.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

import pathways
from pathways.server.worker import set_parent_death_signal

FIXTURES = Path(__file__).parent.parent / "fixtures"
MINI = FIXTURES / "mini"
TOKEN = "test-token-0123456789abcdef"
OTHER_TOKEN = "test-token-second-abcdefghij"
ADMIN_TOKEN = "admin-token-0123456789abcdef"

#: a complete case of the mini rule base, and one answer set per interesting path
CASE = {"kind": "device", "made_in": "abroad", "active": True, "implant": True, "features": []}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def mini_rb() -> pathways.RuleBase:
    return pathways.load_rule_base(MINI)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS")}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    """A running ``pathways serve``."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    rules: Path
    token: str | None = None
    admin_token: str | None = None
    pids: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def headers(self, token: str | None = "default") -> dict[str, str]:
        token = self.token if token == "default" else token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def hup(self) -> None:
        os.kill(self.proc.pid, signal.SIGHUP)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:  # pragma: no cover - a hung shutdown
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


def start_server(
    tmp: Path,
    rules: Path,
    *,
    workers: int = 1,
    tokens: bool = True,
    admin: bool = True,
    args: list[str] | None = None,
    env: dict[str, str] | None = None,
    argv: list[str] | None = None,
    timeout: float = 60,
) -> Live:
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cmd = argv or [
        sys.executable,
        "-m",
        "pathways.cli",
        "serve",
        "--rules",
        str(rules),
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    token = admin_token = None
    if tokens:
        (tmp / "tokens").write_text(f"# test tokens\n{TOKEN}\n{OTHER_TOKEN}\n")
        cmd += ["--token-file", str(tmp / "tokens")]
        token = TOKEN
    if admin:
        (tmp / "admin-tokens").write_text(ADMIN_TOKEN + "\n")
        cmd += ["--admin-token-file", str(tmp / "admin-tokens")]
        admin_token = ADMIN_TOKEN
    cmd += args or []
    if argv:
        port = int(argv[argv.index("--port") + 1])
    log = tmp / f"server-{port}.log"
    with log.open("wb") as out:
        # its own session (a Ctrl+C to pytest is not its signal), but it ends with pytest: a pytest
        # killed before its teardown (a timeout) left servers running with no parent
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env or clean_env(),
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            preexec_fn=lambda: set_parent_death_signal(signal.SIGTERM),
        )
    live = Live(proc, port, log, rules, token, admin_token)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}:\n{live.log_text()}")
        try:
            if httpx.get(f"{live.url}/readyz", timeout=1).status_code == 200:
                return live
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    live.stop()
    raise AssertionError(f"the server was not ready within {timeout} s:\n{live.log_text()}")


def serving(live: Live) -> dict[int, str]:
    """Per server process (pid), the 12-digit hash of the rule base it last said it serves (its log)."""
    import re

    out: dict[int, str] = {}
    for m in re.finditer(
        r"\[(\d+)\] pathways\.server: .*?serving rule base \S+ \S+ \(([0-9a-f]{12})\)", live.log_text()
    ):
        out[int(m.group(1))] = m.group(2)
    return out


def worker_pids(live: Live) -> list[int]:
    """The pids of the worker processes of a multi-worker server (children of the supervisor)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == live.proc.pid:
            cmdline = (stat.parent / "cmdline").read_bytes()
            if b"spawn_main" in cmdline:
                pids.append(int(stat.parent.name))
    return sorted(pids)


def established_connections(port: int, pids: list[int]) -> list[int]:
    """For each pid, the established TCP connections to ``port`` it holds (from /proc; Linux)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:  # pragma: no cover - no IPv6
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])  # 01: ESTABLISHED
    counts = []
    for pid in pids:
        held = 0
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                held += target.startswith("socket:[") and target[8:-1] in inodes
        except OSError:  # the process is gone
            pass
        counts.append(held)
    return counts


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """Two workers, tokens on, admin tokens on, the mini rule base (never modified)."""
    tmp = tmp_path_factory.mktemp("live")
    rules = tmp / "mini"
    shutil.copytree(MINI, rules)
    server = start_server(tmp, rules, workers=2)
    yield server
    server.stop()


ROOT = Path(__file__).parent.parent.parent


@pytest.fixture(scope="session")
def shipped_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """One worker, tokens and admin tokens on, the shipped rule base (read in place, never modified)."""
    server = start_server(tmp_path_factory.mktemp("shipped-live"), ROOT / "rules", workers=1)
    yield server
    server.stop()
