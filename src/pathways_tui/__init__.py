"""pathways_tui: the Textual terminal wizard of pathways (``pathways wizard``).

Depends on the core (``pathways``); the core never imports it. Start it with ``run()``, or build
the app with ``build_app(...)`` (what the tests do).
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_app", "run"]


def build_app(*args: Any, **kwargs: Any) -> Any:
    from .app import build_app as _build_app

    return _build_app(*args, **kwargs)


def run(*args: Any, **kwargs: Any) -> int:
    from .app import run as _run

    return _run(*args, **kwargs)
