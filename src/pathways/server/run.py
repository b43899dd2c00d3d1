"""``pathways serve``: uvicorn with N workers, each holding its own compiled rule base.

The supervisor process checks the rule base once (parse + compile in a subprocess) before any
worker starts, so a broken rule base stops ``serve`` with its file:line issues and exit code 2.
Each worker then loads and compiles it itself (the inference engine is per process; threads give
no parallelism because the engine holds the GIL).

Reload: SIGHUP to the supervisor (``systemctl reload``) is forwarded to every worker, which
reloads in place (``State.reload``): no worker is restarted and no request fails. With one worker
there is no supervisor: the worker handles SIGHUP itself. ``POST /v1/admin/reload`` reloads the
worker that received it and then signals the supervisor, which tells all the others.

Workers end with their supervisor, even one killed with SIGKILL (``worker.WorkerProcess``: a
parent-death signal on Linux, and a parent-pid watch everywhere): no orphan keeps listening.
"""

from __future__ import annotations

import copy
import logging
import os
import signal
import socket
import sys
from typing import Any

from .._errors import RuleBaseError
from .._loader import load_rule_base
from .settings import Settings, SettingsError, deprecation_warnings
from .state import RuleBaseRefused, check_in_subprocess, rules_dir_of

__all__ = ["log_config", "serve"]

log = logging.getLogger("pathways.server")


def log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn's logging configuration plus the pathways loggers (access lines without bodies)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["pathways"] = {"format": "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"}
    config["handlers"]["pathways"] = {
        "formatter": "pathways",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["pathways"] = {"handlers": ["pathways"], "level": level.upper(), "propagate": False}
    return config


def preflight(settings: Settings) -> str:
    """Check what a worker would refuse, in the supervisor: tokens, exposure, the rule base.

    Returns the checked content hash. Raises SettingsError, RuleBaseError or RuleBaseRefused.
    """
    for message in deprecation_warnings():
        print(f"warning: {message}", file=sys.stderr)
    settings.check_exposure()
    settings.resolve_tokens()  # a bad token file fails here, with its message
    rules_dir = rules_dir_of(settings)
    rb = load_rule_base(rules_dir)  # RuleBaseError with file:line issues
    if settings.check_in_subprocess:
        checked = check_in_subprocess(settings, rules_dir)
        if checked != rb.content_hash:
            raise RuleBaseRefused("the rule base changed while it was being checked; start again")
    return rb.content_hash


def worker_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """One listening socket per worker on ``host:port``, all with SO_REUSEPORT (the kernel then
    spreads connections over them); [] where that cannot be had (no SO_REUSEPORT, port 0)."""
    if count < 2 or port == 0 or not hasattr(socket, "SO_REUSEPORT"):
        return []
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    made: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            made.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
    except OSError as exc:
        for sock in made:
            sock.close()
        raise SettingsError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    log.info("listening on %s:%d with %d sockets (SO_REUSEPORT, one per worker)", host, port, count)
    return made


def serve(settings: Settings) -> int:
    """Run the server until SIGINT/SIGTERM. Returns an exit code (0; 3 if workers failed to start)."""
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors.multiprocess import Multiprocess

    from .protocol import GuardedHttpToolsProtocol, Limits
    from .worker import WorkerProcess

    checked = preflight(settings)
    env = os.environ
    env["PATHWAYS__SETTINGS"] = settings.public_json()
    env["PATHWAYS__CHECKED_HASH"] = checked
    if settings.tokens:
        env["PATHWAYS__EXPLICIT_TOKENS"] = "\n".join(t.get_secret_value() for t in settings.tokens)
    config = uvicorn.Config(
        "pathways.server.app:worker_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=log_config(settings.log_level),
        log_level=settings.log_level,
        access_log=False,
        server_header=False,
        timeout_keep_alive=settings.timeout_keep_alive,
        timeout_graceful_shutdown=settings.timeout_graceful_shutdown,
        http=GuardedHttpToolsProtocol,
        h11_max_incomplete_event_size=settings.max_header_bytes,
    )
    # the connection limits (server/protocol.py); the config, with them, is pickled to each worker
    config.pathways_limits = Limits(  # type: ignore[attr-defined]
        max_head_bytes=settings.max_header_bytes,
        max_headers=settings.max_headers,
        timeout_headers=settings.timeout_headers,
        timeout_body=settings.timeout_body,
        max_connections=settings.max_connections,
    )

    if settings.workers == 1:
        env.pop("PATHWAYS__SUPERVISOR_PID", None)
        server = uvicorn.Server(config)
        server.run()
        return 0 if server.started else 3

    class Supervisor(Multiprocess):
        """uvicorn's supervisor, but SIGHUP reloads the rule base in every worker in place, and
        (where the system has SO_REUSEPORT) each worker listens on a socket of its own.

        With one listening socket shared by all workers, the worker that wakes first accepts every
        connection waiting (uvloop accepts until the queue is empty): a burst of keep-alive
        connections from a load balancer or a client pool could all land on one worker and stay
        there while the other core idles (measured: 32 of 32 connections on one worker in 2 of 6
        runs; bench/README.md). With one SO_REUSEPORT socket per worker the kernel spreads new
        connections over the workers. A worker that dies is replaced on the same socket, which
        the supervisor keeps open meanwhile, so no connection is refused.
        """

        def __init__(self, config: uvicorn.Config, slots: list[Any]) -> None:
            super().__init__(config, sockets=slots[:1])
            self.slots = slots

        def _process(self, index: int) -> WorkerProcess:
            # a worker that ends with the supervisor, even a SIGKILLed one (worker.die_with_parent)
            sockets = [self.slots[index]] if len(self.slots) == self.processes_num else self.slots
            return WorkerProcess(self.config, sockets)

        def init_processes(self) -> None:
            for index in range(self.processes_num):
                process = self._process(index)
                process.start()
                self.processes.append(process)

        def keep_subprocess_alive(self) -> None:  # uvicorn's, with the worker's own socket
            if self.should_exit.is_set():
                return
            for index, process in enumerate(self.processes):
                if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                    continue
                process.kill()
                process.join()
                if process.exitcode == STARTUP_FAILURE:
                    log.error("worker [%s] failed to start; stopping", process.pid)
                    self.should_exit.set()
                    return
                if self.should_exit.is_set():  # pragma: no cover
                    return
                log.info("worker [%s] died; starting another", process.pid)
                replacement = self._process(index)
                replacement.start()
                self.processes[index] = replacement

        def handle_ttin(self) -> None:  # the worker count is fixed: each worker has its socket
            log.info("SIGTTIN ignored: the number of workers is set with --workers")

        def handle_ttou(self) -> None:
            log.info("SIGTTOU ignored: the number of workers is set with --workers")

        def handle_hup(self) -> None:
            log.info("SIGHUP: telling %d worker(s) to reload the rule base", len(self.processes))
            for process in self.processes:
                if process.pid is not None and process.exitcode is None:
                    try:
                        os.kill(process.pid, signal.SIGHUP)
                    except ProcessLookupError:  # pragma: no cover - died meanwhile; it is restarted
                        pass

    env["PATHWAYS__SUPERVISOR_PID"] = str(os.getpid())
    slots = worker_sockets(settings.host, settings.port, settings.workers) or [config.bind_socket()]
    try:
        Supervisor(config, slots).run()
    except KeyboardInterrupt:  # pragma: no cover
        pass
    return 0


def main_errors(settings: Settings) -> int:  # pragma: no cover - used by the CLI
    """``serve`` with every expected failure turned into a message; returns the exit code."""
    try:
        return serve(settings)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RuleBaseError as exc:
        for issue in exc.issues:
            print(f"error: {issue}", file=sys.stderr)
        print(f"the rule base has {len(exc.issues)} error(s)", file=sys.stderr)
        return 2
    except RuleBaseRefused as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for refused in exc.issues:
            print(f"  {refused.field or ''} {refused.message}", file=sys.stderr)
        return 2
