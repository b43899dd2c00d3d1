from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pathways

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent
AS_OF = dt.date(2026, 11, 24)


@pytest.fixture(scope="session")
def mini() -> pathways.RuleBase:
    return pathways.load_rule_base(FIXTURES / "mini")


@pytest.fixture(scope="session")
def shipped() -> pathways.RuleBase:
    return pathways.load_rule_base()


@pytest.fixture
def mini_copy(tmp_path: Path) -> Path:
    target = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", target)
    return target


def pathways_command() -> list[str]:
    """The installed console script (as a user runs it), or the module when none is installed."""
    script = Path(sys.executable).with_name("pathways")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "pathways.cli"]  # pragma: no cover - no console script installed


def run_cli(*args: str, cwd: Path = REPO, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``pathways ARGS`` in a subprocess, UTF-8 in and out."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [*pathways_command(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        cwd=cwd,
    )
