"""``pathways serve``: uvicorn with N workers, each holding its own compiled rule base.

The supervisor process checks the rule base once (parse + compile in a subprocess) before any
worker starts, so a broken rule base stops ``serve`` with its file:line issues and exit code 2.
Each worker then loads and compiles it itself (the inference engine is per process; threads give
no parallelism because the engine holds the GIL).

Reload: SIGHUP to the supervisor (``systemctl reload``) is forwarded to every worker, which
reloads in place (``State.reload``): no worker is restarted and no request fails. With one worker
there is no supervisor: the worker handles SIGHUP itself. ``POST /v1/admin/reload`` reloads the
worker that received it and then signals the supervisor, which tells all the others.
"""

from __future__ import annotations

import copy
import logging
import os
import signal
import sys
from typing import Any

from .._errors import RuleBaseError
from .._loader import load_rule_base
from .settings import Settings, SettingsError
from .state import RuleBaseRefused, check_in_subprocess, rules_dir_of

__all__ = ["log_config", "serve"]

log = logging.getLogger("pathways.server")


def log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn's logging configuration plus the pathways loggers (access lines without bodies)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["pathways"] = {
        "format": "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"}
    config["handlers"]["pathways"] = {"formatter": "pathways", "class": "logging.StreamHandler",
                                      "stream": "ext://sys.stderr"}
    config["loggers"]["pathways"] = {"handlers": ["pathways"], "level": level.upper(), "propagate": False}
    return config


def preflight(settings: Settings) -> str:
    """Check what a worker would refuse, in the supervisor: tokens, exposure, the rule base.

    Returns the checked content hash. Raises SettingsError, RuleBaseError or RuleBaseRefused.
    """
    settings.check_exposure()
    settings.resolve_tokens()          # a bad token file fails here, with its message
    rules_dir = rules_dir_of(settings)
    rb = load_rule_base(rules_dir)     # RuleBaseError with file:line issues
    if settings.check_in_subprocess:
        checked = check_in_subprocess(settings, rules_dir)
        if checked != rb.content_hash:
            raise RuleBaseRefused("the rule base changed while it was being checked; start again")
    return rb.content_hash


def serve(settings: Settings) -> int:
    """Run the server until SIGINT/SIGTERM. Returns an exit code (0; 3 if workers failed to start)."""
    import uvicorn
    from uvicorn.supervisors.multiprocess import Multiprocess

    checked = preflight(settings)
    env = os.environ
    env["PATHWAYS__SETTINGS"] = settings.public_json()
    env["PATHWAYS__CHECKED_HASH"] = checked
    if settings.tokens:
        env["PATHWAYS__EXPLICIT_TOKENS"] = "\n".join(t.get_secret_value() for t in settings.tokens)
    config = uvicorn.Config(
        "pathways.server.app:worker_app", factory=True, host=settings.host, port=settings.port,
        workers=settings.workers, log_config=log_config(settings.log_level), log_level=settings.log_level,
        access_log=False, server_header=False, timeout_keep_alive=settings.timeout_keep_alive,
        timeout_graceful_shutdown=settings.timeout_graceful_shutdown)

    if settings.workers == 1:
        env.pop("PATHWAYS__SUPERVISOR_PID", None)
        server = uvicorn.Server(config)
        server.run()
        return 0 if server.started else 3

    class Supervisor(Multiprocess):
        """uvicorn's supervisor, but SIGHUP reloads the rule base in every worker in place."""

        def handle_hup(self) -> None:
            log.info("SIGHUP: telling %d worker(s) to reload the rule base", len(self.processes))
            for process in self.processes:
                if process.pid is not None and process.exitcode is None:
                    try:
                        os.kill(process.pid, signal.SIGHUP)
                    except ProcessLookupError:  # pragma: no cover - died meanwhile; it is restarted
                        pass

    env["PATHWAYS__SUPERVISOR_PID"] = str(os.getpid())
    sock = config.bind_socket()
    try:
        Supervisor(config, sockets=[sock]).run()
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
        for issue in exc.issues:
            print(f"  {issue.field or ''} {issue.message}", file=sys.stderr)
        return 2
