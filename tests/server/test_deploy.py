"""The deployment examples: the systemd unit (verified and started) and fetch-rules.sh."""

from __future__ import annotations

import configparser
import hashlib
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import httpx
import pytest

import pathways

from .conftest import ADMIN_TOKEN, MINI, TOKEN, clean_env, free_port, serving, start_server

DEPLOY = Path(__file__).parent.parent.parent / "deploy"
UNIT = DEPLOY / "pathways.service"
FETCH = DEPLOY / "fetch-rules.sh"


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    return parser


def local_unit(tmp: Path, port: int) -> tuple[Path, list[str]]:
    """The unit with its paths pointed at this checkout, loopback and a free port."""
    venv_bin = Path(sys.executable).parent
    (tmp / "tokens").write_text(TOKEN + "\n")
    (tmp / "admin-tokens").write_text(ADMIN_TOKEN + "\n")
    rules = tmp / "mini"
    shutil.copytree(MINI, rules)
    text = (
        UNIT.read_text()
        .replace("/opt/pathways/.venv/bin/", f"{venv_bin}/")
        .replace("/opt/pathways/rules", str(rules))
        .replace("/etc/pathways/", f"{tmp}/")
        .replace("--host 0.0.0.0", "--host 127.0.0.1")
        .replace("--port 8000", f"--port {port}")
        .replace("WorkingDirectory=/opt/pathways", f"WorkingDirectory={tmp}")
    )
    path = tmp / "pathways.service"
    path.write_text(text)
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.read_string(text)
    return path, shlex.split(parser["Service"]["ExecStart"])


def test_unit_declares_what_the_docs_promise() -> None:
    service = unit()["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[:2] == ["/opt/pathways/.venv/bin/pathways", "serve"]
    assert "--token-file" in argv and argv[argv.index("--host") + 1] == "0.0.0.0"
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert service["KillSignal"] == "SIGTERM" and service["Restart"] == "on-failure"
    assert unit()["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    path, _ = local_unit(tmp_path, free_port())
    done = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60)
    mine = [line for line in (done.stdout + done.stderr).splitlines() if path.name in line or "Unknown" in line]
    assert done.returncode == 0 and not mine, done.stdout + done.stderr


def test_unit_exec_start_serves_and_exec_reload_reloads(tmp_path: Path) -> None:
    """Run the unit's ExecStart (as systemd would, paths made local) and its ExecReload."""
    port = free_port()
    _, argv = local_unit(tmp_path, port)
    server = start_server(tmp_path, tmp_path / "mini", argv=argv, tokens=False, admin=False)
    server.token = TOKEN
    try:
        r = httpx.post(
            f"{server.url}/v1/checklist", json={"answers": {"kind": "food"}}, headers=server.headers(), timeout=10
        )
        assert r.status_code == 200
        assert httpx.post(f"{server.url}/v1/checklist", json={"answers": {}}, timeout=10).status_code == 401
        manifest = tmp_path / "mini" / "rulebase.yaml"
        manifest.write_text(manifest.read_text().replace('version: "1"', 'version: "7"'))
        expected = pathways.load_rule_base(tmp_path / "mini").content_hash
        reload_cmd = unit()["Service"]["ExecReload"].replace("$MAINPID", str(server.proc.pid))
        subprocess.run(shlex.split(reload_cmd), check=True, timeout=10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and list(serving(server).values()).count(expected[:12]) < 2:
            time.sleep(0.1)
        assert list(serving(server).values()).count(expected[:12]) == 2, server.log_text()
    finally:
        server.stop()
    assert server.proc.returncode in (0, -signal.SIGTERM)


# ---- fetch-rules.sh --------------------------------------------------------------------------


def archive(tmp: Path, version: str = "1") -> tuple[Path, str]:
    src = tmp / f"src-{version}"
    shutil.copytree(MINI, src)
    manifest = src / "rulebase.yaml"
    manifest.write_text(manifest.read_text().replace('version: "1"', f'version: "{version}"'))
    path = tmp / f"rules-{version}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for item in sorted(src.rglob("*")):
            tar.add(item, arcname=str(item.relative_to(src)), recursive=False)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(url: str, sha: str, dest: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(FETCH), url, sha, str(dest)], capture_output=True, text=True, timeout=60, env=clean_env()
    )


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_fetch_rules_pinned_sha256(tmp_path: Path) -> None:
    dest = tmp_path / "var" / "rules"
    one, sha_one = archive(tmp_path, "1")
    done = fetch(one.as_uri(), sha_one, dest)
    assert done.returncode == 0, done.stderr
    assert dest.is_symlink() and pathways.load_rule_base(dest).version == "1"
    two, sha_two = archive(tmp_path, "2")
    bad = fetch(two.as_uri(), sha_one, dest)  # wrong pin: refused, nothing changes
    assert bad.returncode == 1 and "sha256 mismatch" in bad.stderr
    assert pathways.load_rule_base(dest).version == "1"
    assert fetch(two.as_uri(), sha_two.upper(), dest).returncode == 0
    assert pathways.load_rule_base(dest).version == "2"
    assert fetch(two.as_uri(), "abc", dest).returncode == 2
    assert fetch((tmp_path / "missing.tar.gz").as_uri(), sha_two, dest).returncode != 0
    assert pathways.load_rule_base(dest).version == "2"
    assert not list(dest.parent.glob(".fetch-rules.*"))  # no leftovers
