"""The worker processes of ``pathways serve --workers N``: they end when their supervisor ends.

uvicorn's supervisor stops its workers on SIGINT/SIGTERM, but when the supervisor itself dies
without its shutdown (SIGKILL, the OOM killer, a crash) nothing told the workers: they kept
listening with parent 1, serving the old rule base, out of reach of SIGHUP and of the next
``serve`` on the same port (one SO_REUSEPORT socket per worker would share the port with them).

``WorkerProcess`` is uvicorn's worker ``Process`` that calls ``die_with_parent`` first thing in
the worker. This module imports uvicorn: ``run.serve`` imports it when it starts workers.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from typing import Any

from uvicorn.supervisors.multiprocess import Process

__all__ = ["ORPHAN_POLL_SECONDS", "WorkerProcess", "die_with_parent", "set_parent_death_signal"]

log = logging.getLogger("pathways.server")

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
ORPHAN_POLL_SECONDS = 0.5  # how often a worker checks that its supervisor is still its parent


def set_parent_death_signal(sig: int) -> bool:
    """Linux: ask the kernel to send ``sig`` to this process when its parent dies. False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0)
    except (OSError, AttributeError):  # pragma: no cover - no usable libc
        return False


def die_with_parent(parent_pid: int, grace: float) -> threading.Thread:
    """Make this process end when ``parent_pid`` (its supervisor) ends, however it ends.

    Two guards:

    - Linux: the parent-death signal, ``prctl(PR_SET_PDEATHSIG, SIGTERM)``: the kernel sends
      SIGTERM the moment the supervisor dies (strictly: the supervisor thread that started this
      worker, uvicorn's main loop). SIGTERM is uvicorn's graceful shutdown: stop listening, let
      in-flight requests finish.
    - everywhere: a daemon thread checks every ``ORPHAN_POLL_SECONDS`` that the parent pid is
      still ``parent_pid`` (an orphan is re-parented to init or to a subreaper). When it is not, it
      sends SIGTERM itself; if the process is still alive ``grace`` seconds later (a request that
      does not finish, a shutdown that hangs) it ends it with ``os._exit(1)``.

    The thread's first check runs right away, which covers a supervisor that died before the
    signal was set up (the kernel would never send it then).
    """
    if hasattr(signal, "SIGTERM"):
        set_parent_death_signal(signal.SIGTERM)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(ORPHAN_POLL_SECONDS)
        log.warning("worker [%d]: its supervisor [%d] is gone; stopping", os.getpid(), parent_pid)
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        except OSError:  # pragma: no cover
            pass
        time.sleep(grace)
        os._exit(1)

    thread = threading.Thread(target=watch, name="pathways-orphan-guard", daemon=True)
    thread.start()
    return thread


class WorkerProcess(Process):
    """uvicorn's worker process; in the worker, ``die_with_parent`` runs before the server starts."""

    def __init__(self, config: Any, sockets: list[socket.socket]) -> None:
        self.supervisor_pid = os.getpid()  # set before uvicorn pickles this object for the child
        super().__init__(config, sockets)

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # pragma: no cover - in the worker
        grace = float(self.config.timeout_graceful_shutdown or 0) + 5.0
        die_with_parent(self.supervisor_pid, grace)
        super().target(sockets)
