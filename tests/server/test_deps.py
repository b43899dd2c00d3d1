"""The installed dependencies satisfy the bounds pyproject.toml declares (issue 20 item 9).

The floors exclude versions with known advisories (h11, Starlette) and the uvicorn range is tight
because the server subclasses uvicorn internals; this catches an environment, or a bound, that
drifted from what is declared.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = Path(__file__).parent.parent.parent / "pyproject.toml"


def declared() -> dict[str, Requirement]:
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    return {Requirement(r).name.lower(): Requirement(r) for r in data["project"]["dependencies"]}


@pytest.mark.parametrize("name", sorted(declared()))
def test_installed_version_satisfies_the_declared_bounds(name: str) -> None:
    req = declared()[name]
    if req.marker is not None and not req.marker.evaluate():
        pytest.skip(f"{name} is not for this platform")
    installed = metadata.version(name)
    assert req.specifier.contains(installed, prereleases=True), f"{name} {installed} is not {req.specifier}"


@pytest.mark.parametrize(
    ("name", "vulnerable", "fixed"),
    [
        ("h11", "0.15.0", "0.16.0"),  # CVE-2025-43859
        ("starlette", "0.39.2", "0.47.2"),  # CVE-2024-47874
        ("starlette", "0.47.1", "0.47.2"),  # CVE-2025-54121
    ],
)
def test_floors_exclude_the_advisories(name: str, vulnerable: str, fixed: str) -> None:
    spec = declared()[name].specifier
    assert not spec.contains(vulnerable) and spec.contains(fixed)


def test_uvicorn_range_is_one_minor_version() -> None:
    """The server subclasses uvicorn internals: the range covers the tested minor version only."""
    spec = declared()["uvicorn"].specifier
    installed = Version(metadata.version("uvicorn"))
    nxt = f"{installed.major}.{installed.minor + 1}.0"
    assert spec.contains(str(installed)) and not spec.contains(nxt)
