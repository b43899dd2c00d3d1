"""Denial of service before authentication (issue 20 item 6), against real servers on 127.0.0.1.

Each abuse is reproduced on a raw socket: an oversized head, too many headers, a head sent a byte
at a time, a body that never comes, connections that send nothing, more connections than a worker
takes. Each is cut off, while a normal request stays fast. Deadlines are generous (a busy 2-core
machine) and every wait polls a condition; none is a fixed sleep.
"""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import MINI, Live, start_server

TIMEOUT = 2  # --timeout-headers, --timeout-body and --timeout-keep-alive of the server under test
CUT_OFF = 20  # seconds within which a cut-off must be seen (TIMEOUT + a generous margin)
HEAD = 8192  # --max-header-bytes


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("abuse")
    rules = tmp / "mini"
    shutil.copytree(MINI, rules)
    server = start_server(
        tmp,
        rules,
        workers=1,
        admin=False,
        args=[
            "--timeout-headers",
            str(TIMEOUT),
            "--timeout-body",
            str(TIMEOUT),
            "--timeout-keep-alive",
            str(TIMEOUT),
            "--max-header-bytes",
            str(HEAD),
            "--max-connections",
            "200",
            "--response-cache-mb",
            "1",
        ],
    )
    yield server
    server.stop()


def connect(live: Live) -> socket.socket:
    return socket.create_connection(("127.0.0.1", live.port), timeout=10)


def outcome(sock: socket.socket, deadline: float = CUT_OFF) -> tuple[bytes, float]:
    """What the server says before it closes the connection (b"" if nothing), and after how long.

    Fails if the connection is still open after ``deadline`` seconds.
    """
    started = time.monotonic()
    received = b""
    while time.monotonic() - started < deadline:
        sock.settimeout(max(0.1, deadline - (time.monotonic() - started)))
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return received, time.monotonic() - started
        except TimeoutError:
            break
        if not chunk:
            return received, time.monotonic() - started
        received += chunk
    raise AssertionError(f"the connection is still open after {deadline} s (received {received[:200]!r})")


def fast_request(live: Live) -> float:
    started = time.monotonic()
    r = httpx.post(f"{live.url}/v1/checklist", json={"answers": {"kind": "device"}}, headers=live.headers(), timeout=30)
    assert r.status_code == 200
    return time.monotonic() - started


def test_oversized_head_is_refused(guarded: Live) -> None:
    # one large header in one piece, and a 30 MB one streamed: 431, or the connection closed
    with connect(guarded) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (4 * HEAD) + b"\r\n\r\n")
        said, _ = outcome(s)
        assert said == b"" or said.startswith(b"HTTP/1.1 431")
    with connect(guarded) as s:
        sent = 0
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
            while sent < 30 * 1024 * 1024:
                s.sendall(b"a" * 65536)
                sent += 65536
        except OSError:
            pass
        assert sent < 30 * 1024 * 1024, "a 30 MB header was accepted"
    assert fast_request(guarded) < 10


def test_too_many_headers_are_refused(guarded: Live) -> None:
    with connect(guarded) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(300)) + b"\r\n")
        said, _ = outcome(s)
        assert said == b"" or said.startswith(b"HTTP/1.1 431"), said[:100]


def test_head_just_under_the_limits_is_served(guarded: Live) -> None:
    with connect(guarded) as s:
        s.sendall(
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: "
            + b"a" * (HEAD // 2)
            + b"\r\n"
            + b"".join(b"X-%d: 1\r\n" % i for i in range(50))
            + b"Connection: close\r\n\r\n"
        )
        said, _ = outcome(s)
        assert said.startswith(b"HTTP/1.1 200"), said[:100]


def test_slow_head_is_cut_off(guarded: Live) -> None:
    """Slowloris: a header byte every 0.2 s keeps no connection open past the head deadline."""
    with connect(guarded) as s:
        started = time.monotonic()
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        closed = False
        while time.monotonic() - started < CUT_OFF and not closed:
            try:
                s.sendall(b"X")
                s.settimeout(0.2)
                closed = s.recv(65536) is not None  # data (a 408) or b"" (closed): cut off
            except TimeoutError:
                continue
            except OSError:
                closed = True
        assert closed, f"a slow head still open after {CUT_OFF} s"
        assert time.monotonic() - started >= TIMEOUT * 0.5  # the deadline, not an error, cut it


def test_slow_body_is_cut_off(guarded: Live) -> None:
    """A request declaring 1,000 body bytes and sending 10 is answered 408 (or closed)."""
    with connect(guarded) as s:
        s.sendall(
            b"POST /v1/checklist HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + guarded.token.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            + b'{"answers"'
        )
        said, _ = outcome(s)
        assert said == b"" or said.startswith(b"HTTP/1.1 408"), said[:100]


def test_idle_connections_are_closed_and_normal_requests_stay_fast(guarded: Live) -> None:
    idle = [connect(guarded) for _ in range(50)]
    try:
        assert fast_request(guarded) < 10  # served while 50 idle connections are open
        for s in idle:
            said, _ = outcome(s)
            assert said == b""  # closed without a word
    finally:
        for s in idle:
            s.close()
    # a kept-alive connection left idle after its response is closed too
    with connect(guarded) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        said, _ = outcome(s)
        assert said.startswith(b"HTTP/1.1 200")
    assert fast_request(guarded) < 10


def test_connections_beyond_the_cap_are_refused(tmp_path: Path) -> None:
    rules = tmp_path / "mini"
    shutil.copytree(MINI, rules)
    server = start_server(
        tmp_path,
        rules,
        workers=1,
        tokens=False,
        admin=False,
        args=["--max-connections", "5", "--timeout-headers", "120"],
    )
    held: list[socket.socket] = []
    try:
        for _ in range(5):
            held.append(connect(server))
            held[-1].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # an unfinished head
        with connect(server) as s:
            said, _ = outcome(s)
            assert said == b"" or said.startswith(b"HTTP/1.1 503"), said[:100]
        for s in held:
            s.close()
        held.clear()

        def served() -> bool:
            try:
                return httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
            except httpx.HTTPError:
                return False

        deadline = time.monotonic() + CUT_OFF
        while not served():  # once they are closed, new connections are served
            assert time.monotonic() < deadline, "not served again after the held connections closed"
            time.sleep(0.1)
    finally:
        for s in held:
            s.close()
        server.stop()
