"""uvicorn's httptools protocol with the limits a server reachable before authentication needs.

uvicorn (0.55) alone puts no bound on the size or number of request headers on its httptools
protocol, and no timeout on a connection until its first response: a connection that sends
nothing, a request head sent a byte at a time (slowloris) or a body that never comes all stayed
open indefinitely, and unfinished heads of 30 MB were buffered. ``GuardedHttpToolsProtocol``
adds, per connection:

- a cap on the request head (request line + headers, bytes) and on the number of headers:
  ``431 Request Header Fields Too Large``, then the connection is closed;
- a deadline for the head (``timeout_headers`` seconds from the connection, or from the first
  byte of the next request on a kept-alive connection): an idle or slow connection is closed
  (with ``408`` if it had started a request);
- a deadline for the body (``timeout_body`` seconds from the end of the head): ``408`` and close;
- a cap on the open connections of the worker (``max_connections``): a connection beyond it is
  answered ``503`` and closed at once.

Kept-alive connections between requests are closed after ``timeout_keep_alive`` (uvicorn's own
timer). The limits come from ``Settings``: ``run.serve`` puts a ``Limits`` on the uvicorn
``Config`` as ``pathways_limits`` (the config is pickled to each worker with it).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

__all__ = ["GuardedHttpToolsProtocol", "Limits"]


@dataclass(frozen=True)
class Limits:
    max_head_bytes: int = 32 * 1024
    max_headers: int = 100
    timeout_headers: float = 10.0
    timeout_body: float = 30.0
    max_connections: int = 1000


class _Refused(Exception):
    pass


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits: Limits = getattr(self.config, "pathways_limits", None) or Limits()
        self._head_open = True  # between the start of a request (or the connection) and its head's end
        self._head_bytes = 0  # request line and headers, as the parser hands them over
        self._raw_head_bytes = 0  # bytes of chunks that ended inside the head (a header still incomplete)
        self._header_count = 0
        self._refusal: tuple[int, str] | None = None
        self._deadline: asyncio.TimerHandle | None = None

    # ---- timers ----

    def _arm(self, seconds: float, status: int | None, message: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired, status, message)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self, status: int | None, message: str) -> None:
        self._deadline = None
        if self.transport is None or self.transport.is_closing():
            return
        self.logger.debug("%s: closing the connection", message)
        if status is not None and (self.cycle is None or not self.cycle.response_started):
            self._write_error(status, message)
        self.transport.close()

    def _write_error(self, status: int, message: str) -> None:
        body = message.encode("ascii", "replace")
        self.transport.write(
            b"".join(
                [
                    STATUS_LINE[status],
                    b"content-type: text/plain; charset=utf-8\r\n",
                    b"content-length: ",
                    str(len(body)).encode(),
                    b"\r\n",
                    b"connection: close\r\n\r\n",
                    body,
                ]
            )
        )

    def _refuse(self, status: int, message: str) -> None:
        self.logger.info("%s: refused (%d)", message, status)
        self._disarm()
        if not self.transport.is_closing():
            self._write_error(status, message)
            self.transport.close()

    # ---- protocol ----

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        full = len(self.connections) >= self.limits.max_connections
        super().connection_made(transport)
        if full:
            self._refuse(503, "too many connections to this worker")
            return
        # nothing sent yet: the head deadline also closes an idle connection
        self._arm(self.limits.timeout_headers, None, "no complete request head in time")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        self._unset_keepalive_if_required()
        was_open = self._head_open
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self._refusal is not None:
                self._refuse(*self._refusal)
                return
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self._disarm()
            self.send_400_response(msg)
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():  # pragma: no cover - no websockets here
                self._disarm()
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if was_open and self._head_open:  # all of it was head (it did not end in this chunk)
            self._raw_head_bytes += len(data)
            if self._raw_head_bytes > self.limits.max_head_bytes:
                self._refuse(431, "request head too large")

    # ---- parser callbacks ----

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_open = True
        self._head_bytes = self._raw_head_bytes = self._header_count = 0
        if self._deadline is None:  # a new request on a kept-alive connection
            self._arm(self.limits.timeout_headers, 408, "request head not received in time")

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > self.limits.max_head_bytes:
            self._refusal = (431, "request head too large")
            raise _Refused
        if self._header_count > self.limits.max_headers:
            self._refusal = (431, "too many request headers")
            raise _Refused

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_open = False
        self._arm(self.limits.timeout_body, 408, "request body not received in time")
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()
