"""The interactive documentation at ``/docs``: Swagger UI served from the package.

FastAPI's default page loads Swagger UI from a CDN (cdn.jsdelivr.net), which is slow or blocked
from mainland China and absent on an offline network; this page loads nothing from another
host. The assets in ``swagger_ui/`` are swagger-ui-dist 5.36.0 from npm (Apache-2.0; its LICENSE
and NOTICE beside them): ``swagger-ui-bundle.js``, ``swagger-ui.css`` and a favicon. To update
them, ``npm pack swagger-ui-dist@<version>``, copy those files and change ``SWAGGER_UI_VERSION``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

__all__ = ["ASSETS_PATH", "DOCS_PATH", "SWAGGER_UI_VERSION", "add_docs"]

SWAGGER_UI_VERSION = "5.36.0"
DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"

_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


@cache
def _asset(name: str) -> bytes:
    return files("pathways.server").joinpath("swagger_ui", name).read_bytes()


def add_docs(app: FastAPI, openapi_url: str) -> None:
    """Serve Swagger UI at ``/docs`` for the document at ``openapi_url``, assets included."""

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API documentation",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
            # no validator badge: by default Swagger UI sends the document to validator.swagger.io
            swagger_ui_parameters={"validatorUrl": None, "displayOperationId": True},
        )

    for name, media_type in _ASSETS.items():
        app.add_api_route(
            f"{ASSETS_PATH}/{name}", _asset_endpoint(name, media_type), methods=["GET", "HEAD"], include_in_schema=False
        )


def _asset_endpoint(name: str, media_type: str) -> Callable[[], Awaitable[Response]]:
    # a closure, not default arguments: FastAPI would read those as query parameters
    async def asset() -> Response:
        return Response(_asset(name), media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})

    return asset
