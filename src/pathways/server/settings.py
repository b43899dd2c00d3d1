"""Server settings: where the rules are, who may call, how much a request may carry.

Tokens come from a file (``--token-file``: one token per line, ``#`` comments and blank lines
ignored) and/or the environment variable ``PATHWAYS_SERVER_TOKENS`` (tokens separated by commas or
whitespace; the old name ``PATHWAYS_TOKENS``, one letter from the client's ``PATHWAYS_TOKEN``, still
works with a warning). Admin tokens (for ``POST /v1/admin/reload``) come from ``--admin-token-file`` and
``PATHWAYS_ADMIN_TOKENS`` the same way. Tokens never appear in ``repr``, logs or errors.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from .._answers import MAX_ANSWERS, MAX_TEXT
from .._errors import PathwaysError

__all__ = ["MIN_TOKEN_LENGTH", "Settings", "SettingsError", "deprecation_warnings", "is_loopback", "read_tokens"]

MIN_TOKEN_LENGTH = 16
TOKENS_ENV = "PATHWAYS_SERVER_TOKENS"
DEPRECATED_TOKENS_ENV = "PATHWAYS_TOKENS"  # until 2026.12: too close to the client's PATHWAYS_TOKEN
ADMIN_TOKENS_ENV = "PATHWAYS_ADMIN_TOKENS"
_TOKEN_CHARS = re.compile(r"^[\x21-\x7e]+$")  # visible ASCII: what an Authorization header carries


class SettingsError(PathwaysError):
    """The server cannot start with these settings (the message says why and what to do)."""


def is_loopback(host: str) -> bool:
    """True if ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _split_tokens(text: str, where: str) -> list[str]:
    tokens: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        tokens.extend(t for t in re.split(r"[\s,]+", line) if t)
    for index, token in enumerate(tokens, 1):
        if len(token) < MIN_TOKEN_LENGTH:
            raise SettingsError(
                f"{where}: token {index} is shorter than {MIN_TOKEN_LENGTH} characters; "
                "use long random tokens (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'`)"
            )
        if not _TOKEN_CHARS.match(token):
            raise SettingsError(f"{where}: token {index} has characters other than visible ASCII")
    return tokens


def deprecation_warnings(environ: Mapping[str, str] | None = None) -> list[str]:
    """What to tell an operator whose environment still uses an old variable name."""
    environ = os.environ if environ is None else environ
    if not environ.get(DEPRECATED_TOKENS_ENV):
        return []
    return [
        f"${DEPRECATED_TOKENS_ENV} is deprecated: name it ${TOKENS_ENV} (the tokens the server accepts; "
        "$PATHWAYS_TOKEN, singular, is the token a client sends). Both are read for now."
    ]


def read_tokens(file: Path | None, env_var: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """Tokens from ``file`` (if given) and the environment variable ``env_var`` (if set)."""
    environ = os.environ if environ is None else environ
    tokens: list[str] = []
    if file is not None:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise SettingsError(f"cannot read token file {file}: {exc.strerror}") from None
        tokens += _split_tokens(text, str(file))
    if environ.get(env_var):
        tokens += _split_tokens(environ[env_var], f"${env_var}")
    return list(dict.fromkeys(tokens))


class Settings(BaseModel):
    """Everything ``create_app`` and ``pathways serve`` need. Defaults are the safe choice."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    rules_dir: Path | None = Field(None, description="rule base directory (default: the shipped rules/)")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=64)
    token_file: Path | None = None
    admin_token_file: Path | None = None
    tokens: list[SecretStr] = Field(
        default_factory=list, description="explicit tokens (added to those from files and environment)"
    )
    admin_tokens: list[SecretStr] = Field(default_factory=list)
    allow_anonymous: bool = Field(False, description="serve beyond loopback without tokens (unsafe)")
    max_body_bytes: int = Field(64 * 1024, ge=256, le=16 * 1024 * 1024)
    max_answers: int = Field(MAX_ANSWERS, ge=1, le=MAX_ANSWERS)
    max_text: int = Field(MAX_TEXT, ge=1, le=MAX_TEXT, description="longest answer text accepted")
    cors_origins: list[str] = Field(default_factory=list, description="CORS is off unless origins are named")
    check_in_subprocess: bool = Field(True, description="compile each rule base in a subprocess first")
    check_timeout: float = Field(120.0, gt=0, description="seconds the subprocess compile may take")
    check_command: list[str] | None = Field(
        None,
        description="argv of the compile check (default: this Python, -m pathways.server.check); "
        "the rules directory is appended",
    )
    log_level: str = "info"
    docs: bool = True
    timeout_keep_alive: int = Field(5, ge=1, le=3600, description="seconds an idle kept-alive connection stays open")
    # limits on connections, before any authentication (server/protocol.py)
    max_header_bytes: int = Field(
        32 * 1024, ge=1024, le=1024 * 1024, description="largest request head (request line and headers), bytes"
    )
    max_headers: int = Field(100, ge=10, le=1000, description="most request headers")
    timeout_headers: float = Field(
        10.0, gt=0, le=3600, description="seconds for a connection to send a complete request head"
    )
    timeout_body: float = Field(30.0, gt=0, le=3600, description="seconds to send the request body")
    max_connections: int = Field(1000, ge=1, le=100_000, description="open connections per worker")
    response_cache_mb: int = Field(
        32,
        ge=0,
        le=4096,
        description="MiB of remembered responses per worker (checklist, next, explain, document; the same "
        "request gets the same bytes); 0: off",
    )
    timeout_graceful_shutdown: int = 30

    # ---- derived ----

    def resolve_tokens(self, environ: Mapping[str, str] | None = None) -> tuple[list[str], list[str]]:
        """(tokens, admin tokens): the explicit ones plus those read now from files and environment.

        Called at start-up and again on every reload, so that a token file can be rotated with a
        SIGHUP.
        """
        tokens = [t.get_secret_value() for t in self.tokens]
        admin = [t.get_secret_value() for t in self.admin_tokens]
        tokens += read_tokens(self.token_file, TOKENS_ENV, environ)
        tokens += read_tokens(None, DEPRECATED_TOKENS_ENV, environ)
        for message in deprecation_warnings(environ):
            warnings.warn(message, DeprecationWarning, stacklevel=2)
        admin += read_tokens(self.admin_token_file, ADMIN_TOKENS_ENV, environ)
        return list(dict.fromkeys(tokens)), list(dict.fromkeys(admin))

    def check_exposure(self, environ: Mapping[str, str] | None = None) -> None:
        """Refuse to listen beyond loopback without tokens, unless explicitly allowed."""
        if is_loopback(self.host) or self.allow_anonymous:
            return
        if not self.resolve_tokens(environ)[0]:
            raise SettingsError(
                f"refusing to listen on {self.host} without bearer tokens: anyone who can reach it "
                f"could use it. Give --token-file FILE or ${TOKENS_ENV}, or --allow-anonymous if a "
                "proxy in front of it authenticates callers."
            )

    def check_argv(self, rules_dir: Path) -> list[str]:
        base = self.check_command or [sys.executable, "-m", "pathways.server.check"]
        return [*base, str(rules_dir)]

    def public_json(self) -> str:
        """The settings without any token (for handing to worker processes)."""
        data: dict[str, Any] = self.model_dump(mode="json", exclude={"tokens", "admin_tokens"})
        return json.dumps(data)

    def __repr_args__(self) -> Any:
        for key, value in super().__repr_args__():
            if key in ("tokens", "admin_tokens"):
                yield key, f"<{len(value)} token(s)>"
            else:
                yield key, value
