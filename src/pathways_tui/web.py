"""The wizard in a web browser: ``pathways wizard --web``.

textual-serve runs one wizard process per browser tab (its web driver in place of the terminal)
and relays the screen and the keys over a websocket; this module adds what a wizard holding
people's cases needs around it:

- the page is our own (``web.html``): the terminal font comes from textual-serve's static files,
  not from the internet (textual-serve's page loads it from a font service), and nothing else
  outside this server is referenced;
- on loopback, requests must name a loopback host (a DNS-rebinding page cannot reach the wizard),
  and a websocket must come from a page of this server (the ``Origin`` check): any other site
  open in the same browser could otherwise drive the wizard and read the saved cases;
- downloads (the wizard's exports) keep non-ASCII file names (RFC 6266 ``filename*``);
- the port actually bound is printed (``--port 0``), and a busy port is a one-line error;
- Ctrl+C ends each wizard as closing its tab would (its case saved and let go), then the server.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import shlex
import signal
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server
from yarl import URL

from pathways.server.settings import is_loopback

from .cases import CaseStore
from .i18n import t

__all__ = ["WizardServer", "serve_web"]

PAGE = Path(__file__).with_name("web.html")
SHUTDOWN_TIMEOUT = 10.0  # seconds for the wizards to save and end after Ctrl+C


class WizardServer(Server):
    """textual-serve's server with our page, loopback guards and downloads (see the module's doc)."""

    def __init__(self, command: str, *, host: str, port: int, public: bool, lang: str) -> None:
        super().__init__(command, host=host, port=port, title="pathways", templates_path=PAGE.parent)
        self.public = public
        self.lang = lang
        self._sessions: set[asyncio.Task[Any]] = set()

    # -- the aiohttp application ----------------------------------------------------------------
    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._guard)
        app.on_response_prepare.append(_download_name)
        app.on_shutdown.append(self._end_sessions)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not self.public and not is_loopback(_host_of(request.host)):
            raise web.HTTPMisdirectedRequest(text=t(self.lang, "web_wrong_host", host=request.host))
        origin = request.headers.get("Origin")
        if request.path == "/ws" and origin is not None and not self._same_server(origin, request.host):
            raise web.HTTPForbidden(text=t(self.lang, "web_wrong_origin", origin=origin))
        response: web.StreamResponse = await handler(request)
        return response

    def _same_server(self, origin: str, host: str) -> bool:
        """Is ``origin`` a page of this server (as the browser reached it)?"""
        try:
            url = URL(origin)
        except ValueError:
            return False
        if self.public:
            return url.scheme in ("http", "https") and url.raw_authority == host
        # loopback: the page may have been opened as localhost and the socket go to 127.0.0.1
        return url.scheme == "http" and url.host is not None and is_loopback(url.host) and url.port == self.port

    async def on_startup(self, app: web.Application) -> None:
        """(textual-serve prints its banner here; ``_run`` prints the address once it is bound.)"""

    async def handle_index(self, request: web.Request) -> web.Response:
        """The page, with addresses relative to how the browser reached this server."""
        websocket = URL.build(scheme="wss" if request.secure else "ws", authority=request.host, path="/ws")
        context = {
            "lang": self.lang,
            "font_size": _int(request.query.get("fontsize", ""), 16),
            "websocket_url": str(websocket),
            "texts": {key: t(self.lang, f"web_{key}") for key in ("loading", "ended", "restart")},
        }
        return aiohttp_jinja2.render_template(PAGE.name, request, context)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        try:
            return await super().handle_websocket(request)
        finally:
            self._sessions.discard(task)

    async def _end_sessions(self, app: web.Application) -> None:
        """On shutdown: close every tab's websocket; textual-serve then tells its wizard to quit
        (the case is saved and its lock let go) and waits for the process to end."""
        for task in list(self._sessions):
            task.cancel()
        if self._sessions:
            await asyncio.wait(list(self._sessions), timeout=SHUTDOWN_TIMEOUT)

    # -- running --------------------------------------------------------------------------------
    def serve(self, debug: bool = False) -> None:  # pragma: no cover - textual-serve's own loop
        raise NotImplementedError("use run()")

    def run(self) -> int:
        """Serve until Ctrl+C (or SIGTERM); the exit code."""
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
        return asyncio.run(self._run())

    async def _run(self) -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        app = await self._make_app()
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, shutdown_timeout=SHUTDOWN_TIMEOUT)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            print(
                t(self.lang, "web_cannot_listen", host=self.host, port=self.port, error=exc.strerror or exc),
                file=sys.stderr,
            )
            return 2
        self.port = runner.addresses[0][1]
        print(t(self.lang, "web_serving", url=self.url()), flush=True)
        print(t(self.lang, "web_stop"), flush=True)
        await stop.wait()
        await runner.cleanup()
        return 0

    def url(self) -> str:
        """The address to open in a browser."""
        host = self.host
        if host in ("0.0.0.0", "::", ""):
            host = socket.gethostname()
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"


def _host_of(authority: str) -> str:
    """The host of a ``Host`` header (``127.0.0.1:8765``, ``[::1]:8765``, ``localhost``)."""
    try:
        return URL(f"http://{authority}").host or ""
    except ValueError:
        return ""


def _int(text: str, default: int) -> int:
    return int(text) if text.isdigit() and 6 <= int(text) <= 64 else default


async def _download_name(request: web.Request, response: web.StreamResponse) -> None:
    """textual-serve names a download ``filename=<name>`` unquoted: a space or a Chinese product
    name garbles it. Name it as RFC 6266 says, with an ASCII fallback for old clients."""
    value = response.headers.get("Content-Disposition")
    if not value or not request.path.startswith("/download/"):
        return
    disposition, _, name = value.partition("; filename=")
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name) or "download"
    response.headers["Content-Disposition"] = f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def wizard_command(rules_dir: Path | None, lang: str | None, as_of: dt.date | None, server: str | None) -> str:
    """The shell command textual-serve runs for each browser tab: this Python's terminal wizard."""
    argv = [sys.executable, "-m", "pathways_tui"]
    if rules_dir is not None:
        argv += ["--rules", str(Path(rules_dir).resolve())]
    if lang is not None:
        argv += ["--lang", lang]
    if as_of is not None:
        argv += ["--as-of", as_of.isoformat()]
    if server is not None:
        argv += ["--server", server]
    return shlex.join(argv)


def serve_web(
    *,
    host: str,
    port: int,
    public: bool,
    rules_dir: Path | None = None,
    lang: str | None = None,
    as_of: dt.date | None = None,
    server: str | None = None,
) -> int:
    """Serve the wizard to browsers on ``host:port`` until Ctrl+C; the exit code (2: cannot listen)."""
    from .app import _default_lang

    page_lang = lang or CaseStore().load_config().lang or _default_lang()
    command = wizard_command(rules_dir, lang, as_of, server)
    return WizardServer(command, host=host, port=port, public=public, lang=page_lang).run()
