"""/docs works without the internet: Swagger UI comes from the package, not from a CDN.

FastAPI's default page loads Swagger UI from cdn.jsdelivr.net (slow or blocked from mainland China).
Checked twice: the page and the assets it names are all on the server itself, and a real browser
(Debian's chromium, headless, every other host sent to a dead proxy) renders every operation.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from importlib.resources import files

import httpx
import pytest

from pathways.server.docs import ASSETS_PATH

from .conftest import Live


def test_docs_page_names_no_other_host(live: Live) -> None:
    with httpx.Client(base_url=live.url, timeout=30) as c:
        page = c.get("/docs")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "SwaggerUIBundle" in page.text
        assert not re.search(r"(?i)(https?:)?//[a-z0-9]", page.text), "the page names another host"
        linked = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert len(linked) == 3 and all(link.startswith(ASSETS_PATH + "/") for link in linked), linked
        for link in linked:
            asset = c.get(link)
            assert asset.status_code == 200, link
            name = link.rsplit("/", 1)[1]
            assert asset.content == files("pathways.server").joinpath("swagger_ui", name).read_bytes()
        assert c.get(f"{ASSETS_PATH}/LICENSE").status_code == 404  # only the three assets are served
        assert (
            c.get(f"{ASSETS_PATH}/swagger-ui-bundle.js", params={"name": "../app.py"}).content
            == files("pathways.server").joinpath("swagger_ui", "swagger-ui-bundle.js").read_bytes()
        )


def test_docs_page_renders_offline_in_a_browser(live: Live, tmp_path_factory: pytest.TempPathFactory) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium not installed: /docs is not rendered in a browser")
    profile = tmp_path_factory.mktemp("chromium-profile")
    # loopback bypasses the proxy; any other host goes to a port where nothing listens
    run = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={profile}",
            "--proxy-server=http://127.0.0.1:9",
            "--virtual-time-budget=20000",
            "--dump-dom",
            f"{live.url}/docs",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    paths = re.findall(r'class="opblock-summary-path" data-path="([^"]+)"', run.stdout)
    assert sorted(paths) == sorted(
        [
            "/v1/checklist",
            "/v1/document",
            "/v1/next",
            "/v1/explain",
            "/v1/rulebase",
            "/v1/questions",
            "/v1/admin/reload",
            "/healthz",
            "/readyz",
        ]
    ), run.stdout[-3000:]
    assert "nextQuestion" in run.stdout  # operation ids are shown
    assert "Unable to render" not in run.stdout
