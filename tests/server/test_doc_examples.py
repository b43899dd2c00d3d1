"""Every shell and Python example in README.md and docs/*.md runs against the shipped rule base.

The ```sh and ```python blocks are extracted and run, one command at a time (a line continued with
``\\`` is one command), in a scratch directory that has ``examples/`` and ``rules/`` of the checkout,
with this environment's ``pathways`` on PATH and a real server (``shipped_live``) standing in for the
one the examples start: ``http://127.0.0.1:8000`` and ``:8080`` (and the Python client's
``https://pathways.example.com``) are that server, ``$TOKEN`` / ``TOKEN`` / ``$PATHWAYS_TOKEN`` its
token. ``curl`` runs with ``--fail-with-body``, so an HTTP error fails the example. Commands the test
cannot run are skipped by the reasons in ``SKIP``, and each skip must still match a line in the docs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import ROOT, Live, clean_env

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELLS = ("sh", "bash", "shell", "console")

#: command prefix → why the test does not run it
SKIP = {
    "python3 -m venv": "creates a virtual environment and installs from the package index",
    "source .venv/bin/activate": "the test runs with this environment's `pathways` on PATH instead",
    "pathways serve": "runs until stopped; the test's own server (conftest.start_server) is this command",
    "pathways wizard": "the interactive wizard; tests/tui runs it in a real terminal",
    ".venv/bin/pathways wizard": "the wizard (here served to a browser until stopped); tests/tui/test_browser.py "
    "and tests/tui/test_web.py run it",
    "pathways test": "runs every shipped scenario (minutes); tests/test_rules_shipped.py runs each of them and "
    "tests/test_cli.py runs `pathways test` itself",
    "npx openapi-typescript": "downloads from the npm registry; tests/server/test_generated_clients.py runs it "
    "(pinned) when node and npm are installed",
    # the systemd installation: root, systemd and /etc (tests/server/test_deploy.py checks the unit)
    "useradd": "needs root",
    "install -d": "needs root (/etc/pathways)",
    "chgrp": "needs root",
    "python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > /etc/": "writes to /etc",
    "cp deploy/pathways.service /etc/": "needs root and systemd",
    "systemctl": "needs root and systemd",
}


@dataclass(frozen=True)
class Example:
    where: str  # file:line
    language: str  # "sh" or "python"
    code: str

    def __str__(self) -> str:
        return self.where


def blocks(path: Path) -> list[tuple[int, str, str]]:
    """(first line, language, text) of every fenced block of ``path``."""
    out, lines = [], path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[index])
        if fence:
            end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
            out.append((index + 2, fence.group(1), "\n".join(lines[index + 1 : end])))
            index = end
        index += 1
    return out


def commands(text: str, first: int) -> list[tuple[int, str]]:
    """The commands of a shell block with their line numbers, continuation lines joined."""
    out: list[tuple[int, str]] = []
    pending, start = "", first
    for number, line in enumerate(text.splitlines(), first):
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        command = (pending + line).strip()
        pending = ""
        if command and not command.startswith("#"):
            out.append((start, command))
    return out


def examples() -> tuple[list[Example], list[tuple[str, str, str]]]:
    run, skipped = [], []
    for path in DOCS:
        name = path.relative_to(ROOT).as_posix()
        for first, language, text in blocks(path):
            if language in SHELLS:
                for line, command in commands(text, first):
                    prefix = next((p for p in SKIP if command.startswith(p)), None)
                    if prefix:
                        skipped.append((f"{name}:{line}", prefix, SKIP[prefix]))
                    else:
                        run.append(Example(f"{name}:{line}", "sh", command))
            elif language == "python":
                run.append(Example(f"{name}:{first}", "python", text))
    return run, skipped


RUN, SKIPPED = examples()


def test_the_docs_have_examples_and_every_skip_is_used() -> None:
    assert len([e for e in RUN if e.language == "sh"]) >= 15 and len([e for e in RUN if e.language == "python"]) >= 2
    assert {prefix for _, prefix, _ in SKIPPED} == set(SKIP), "a SKIP entry matches no line of the docs any more"
    print("\nnot run:\n" + "\n".join(f"  {where}: {prefix}… ({why})" for where, prefix, why in SKIPPED))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("doc-examples")
    for name in ("examples", "rules", "deploy"):
        (directory / name).symlink_to(ROOT / name)
    return directory


def localised(code: str, live: Live) -> str:
    for url in ("http://127.0.0.1:8000", "http://127.0.0.1:8080", "https://pathways.example.com"):
        code = code.replace(url, live.url)
    return code


@pytest.mark.parametrize("example", RUN, ids=str)
def test_example_runs(example: Example, shipped_live: Live, scratch: Path) -> None:
    assert shipped_live.token
    env = clean_env(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        TOKEN=shipped_live.token,
        PATHWAYS_TOKEN=shipped_live.token,
    )
    code = localised(example.code, shipped_live)
    if example.language == "sh":
        script = f'set -euo pipefail\ncurl() {{ command curl --fail-with-body "$@"; }}\n{code}\n'
        argv = ["bash", "-c", script]
    else:
        argv = [sys.executable, "-c", f"TOKEN = {shipped_live.token!r}\n{code}\n"]
    run = subprocess.run(
        argv, cwd=scratch, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL, check=False
    )
    assert run.returncode == 0, (
        f"{example.where} failed ({run.returncode}):\n{code}\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}"
    )
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
