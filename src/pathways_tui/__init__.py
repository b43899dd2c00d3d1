"""pathways_tui: the Textual terminal wizard of pathways (``pathways wizard``).

Depends on the core (``pathways``); the core never imports it. Start it with ``run()``, serve it
to web browsers with ``serve_web(...)``, or build the app with ``build_app(...)`` (what the tests do).
"""

from __future__ import annotations

from typing import Any

from ._gc import hold_gc_for_startup

__all__ = ["build_app", "hold_gc_for_startup", "run", "serve_web"]


def build_app(*args: Any, **kwargs: Any) -> Any:
    from .app import build_app as _build_app

    return _build_app(*args, **kwargs)


def run(*args: Any, **kwargs: Any) -> int:
    hold_gc_for_startup()
    from .app import run as _run

    return _run(*args, **kwargs)


def serve_web(**kwargs: Any) -> int:
    from .web import serve_web as _serve_web

    return _serve_web(**kwargs)
