"""The HTTP API of pathways (FastAPI on uvicorn): ``pathways serve``.

    >>> from pathways.server import Settings, create_app
    >>> app = create_app(Settings(rules_dir="rules"))        # an ASGI app

Importing ``pathways`` never imports this package; importing this package imports fastapi only
when ``create_app``/``serve`` are first used (the compile check, ``pathways.server.check``, runs
without it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .settings import Settings, SettingsError

if TYPE_CHECKING:  # pragma: no cover
    from .app import create_app
    from .run import serve

__all__ = ["Settings", "SettingsError", "create_app", "serve"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "serve":
        from .run import serve

        return serve
    raise AttributeError(name)
