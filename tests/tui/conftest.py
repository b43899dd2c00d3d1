"""Fixtures for the wizard's tests: an isolated data directory, rule bases, and async tests.

Async tests run on a fresh event loop each (a tiny hook instead of a pytest-asyncio dependency).
"""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import pytest

import pathways

HERE = Path(__file__).parent
TYPES = HERE / "fixtures" / "types"


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
        return True
    return None


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data directory (a developer's own cases and config never leak in) and
    its own export folder (nothing is written into the developer's documents)."""
    path = tmp_path / "data"
    monkeypatch.setenv("PATHWAYS_DATA_DIR", str(path))
    monkeypatch.setenv("PATHWAYS_EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    return path


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets import Input

    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture(scope="session")
def types_rb() -> pathways.RuleBase:
    return pathways.load_rule_base(TYPES)
