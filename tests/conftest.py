from __future__ import annotations

import datetime as dt
import shutil
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
