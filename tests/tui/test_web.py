"""``pathways wizard --web`` without a browser: what it refuses, and what its real server answers.

(The wizard itself in a browser: test_browser.py.)
"""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import urljoin

import aiohttp
import httpx
import pytest
from click.testing import CliRunner

from pathways.cli import cli

from ..conftest import FIXTURES
from .web_server import PATHWAYS, WAIT, WebWizard


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.7", "wizard.example"])
def test_beyond_loopback_is_refused_without_public(host: str) -> None:
    result = CliRunner().invoke(cli, ["wizard", "--web", "--host", host])
    assert result.exit_code == 2
    assert f"--host {host}" in result.output and "--public" in result.output and "no login" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [["--port", "9000"], ["--host", "127.0.0.1"], ["--public"]])
def test_web_options_without_web_are_refused(args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["wizard", *args])
    assert result.exit_code == 2
    assert "only go with --web" in result.output


def test_a_broken_rule_base_is_reported_before_serving(tmp_path: Path) -> None:
    broken = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", broken)
    (broken / "base.yaml").write_text(
        (broken / "base.yaml").read_text(encoding="utf-8").replace("type: choice", "type: choise", 1), encoding="utf-8"
    )
    result = subprocess.run(
        [str(PATHWAYS), "wizard", "--web", "--port", "0", "--rules", str(broken)],
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert result.returncode == 2
    assert re.search(r"base\.yaml:\d+", result.stderr) and "Serving" not in result.stdout
    assert "Traceback" not in result.stderr


def test_a_busy_port_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [str(PATHWAYS), "wizard", "--web", "--port", str(port), "--rules", str(FIXTURES / "mini")],
            capture_output=True,
            text=True,
            timeout=WAIT,
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1 port {port}" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_public_warns_that_there_is_no_authentication() -> None:
    # 192.0.2.7 (a documentation address) is not this machine's: the warning, then the bind fails
    result = subprocess.run(
        [
            str(PATHWAYS),
            "wizard",
            "--web",
            "--public",
            "--host",
            "192.0.2.7",
            "--port",
            "0",
            "--rules",
            str(FIXTURES / "mini"),
        ],
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert "warning: serving the wizard on 192.0.2.7 with no authentication" in result.stderr
    assert result.returncode == 2 and "cannot listen on 192.0.2.7" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def server(tmp_path: Path):
    wizard = WebWizard(tmp_path, tmp_path / "data", "--rules", str(FIXTURES / "mini"), "--lang", "en")
    yield wizard
    wizard.stop()


def test_the_page_loads_nothing_from_elsewhere(server: WebWizard) -> None:
    with httpx.Client(base_url=server.url, timeout=WAIT) as client:
        page = client.get("/")
        assert page.status_code == 200 and 'lang="en"' in page.text
        urls = re.findall(r'(?:src|href)="([^"]*)"', page.text) + re.findall(r'url\("([^"]*)"\)', page.text)
        assert urls and all(url.startswith(("/static/", "data:")) for url in urls), urls
        websocket = re.search(r'data-session-websocket-url="([^"]*)"', page.text)
        assert websocket and websocket.group(1) == urljoin(server.url, "/ws").replace("http:", "ws:")
        for url in urls:
            if url.startswith("/static/"):
                asset = client.get(url)
                assert asset.status_code == 200, url
                if url.endswith((".css", ".js")):
                    # (textual.js names two web sites in comments only: it fetches nothing of its own)
                    assert not re.search(r"""(?:url\(|import |fetch\()\s*["']?https?:""", asset.text), url


def test_only_loopback_names_reach_the_wizard(server: WebWizard) -> None:
    port = server.url.rsplit(":", 1)[1].strip("/")
    with httpx.Client(timeout=WAIT) as client:
        for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
            assert client.get(server.url, headers={"Host": host}).status_code == 200
        # a DNS-rebinding page reaches this port under a name of its own
        refused = client.get(server.url, headers={"Host": f"rebind.example:{port}"})
        assert refused.status_code == 421 and "127.0.0.1" in refused.text


def test_a_websocket_from_another_site_is_refused(server: WebWizard) -> None:
    port = int(server.url.rsplit(":", 1)[1].strip("/"))

    async def handshake(origin: str) -> int:
        async with aiohttp.ClientSession() as session:
            try:
                async with session.ws_connect(urljoin(server.url, "/ws?width=80&height=24"), origin=origin) as ws:
                    await ws.close()
                    return 101
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status

    # any page open in the same browser could otherwise drive the wizard and read the saved cases
    assert asyncio.run(handshake("http://evil.example")) == 403
    assert asyncio.run(handshake(f"http://127.0.0.1:{port + 1 if port < 65535 else port - 1}")) == 403
    # the wizard's own page, opened as 127.0.0.1 or as localhost
    assert asyncio.run(handshake(f"http://localhost:{port}")) == 101
    assert asyncio.run(handshake(server.url.rstrip("/"))) == 101


def test_ctrl_c_ends_the_server(server: WebWizard) -> None:
    assert server.stop() == 0
    assert "Traceback" not in "".join(server.output)
