"""The conventional files of a Python project, kept true: licence, changelog, typing marker,
``python -m pathways``, the environment-variable reference and shell completion (issue 16)."""

from __future__ import annotations

import importlib.resources
import os
import re
import subprocess
import sys
import tomllib

import pathways

from .conftest import REPO, pathways_command

ENVIRONMENT_DOC = (REPO / "docs" / "environment.md").read_text(encoding="utf-8")


def test_the_licence_is_the_one_declared() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["license"]
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert declared == "Apache-2.0"
    assert re.search(r"Apache License\s+Version 2\.0, January 2004", text)
    # the whole standard text: its nine sections and the appendix
    assert all(f"\n   {n}. " in text for n in range(1, 10)) and "END OF TERMS AND CONDITIONS" in text


def test_the_changelog_has_the_shipped_versions() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    rb = pathways.load_rule_base()
    assert f"### [{rb.version}] - {rb.manifest.released.isoformat()}" in changelog
    version = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert f"### [{version}]" in changelog
    assert f"schema {pathways.SCHEMA_VERSION}" in changelog


def test_the_package_is_typed() -> None:
    assert (importlib.resources.files("pathways") / "py.typed").is_file()


def test_python_m_pathways_runs_the_command_line() -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    version = subprocess.run(
        [sys.executable, "-m", "pathways", "--version"], capture_output=True, text=True, timeout=60, env=env
    )
    assert version.returncode == 0 and "version" in version.stdout, version.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "pathways", "lint", str(REPO / "no-such-rules")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert bad.returncode == 2 and "PW103" in bad.stdout, (bad.stdout, bad.stderr)
    # importing the package does not run (or import) the command line: tests/test_imports.py


def _names_read(root: str) -> set[str]:
    """Environment variables named in the code under ``root``: read with os.environ / getenv, or
    named as a PATHWAYS_* or locale string (constants, loops over several names)."""
    names: set[str] = set()
    for path in (REPO / root).rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"(?:environ(?:\.get)?|getenv)\(?\[?\s*[\"']([A-Z][A-Z0-9_]*)[\"']", text))
        names |= set(re.findall(r"[\"'](PATHWAYS_[A-Z0-9_]*[A-Z0-9]|LC_[A-Z]+|LANG)[\"']", text))
    return names


def test_every_environment_variable_is_documented() -> None:
    read = _names_read("src") | _names_read("tests")
    assert {"PATHWAYS_TOKEN", "PATHWAYS_SERVER_TOKENS", "PATHWAYS_DATA_DIR", "LANG"} <= read  # the scan works
    undocumented = sorted(name for name in read if f"`{name}`" not in ENVIRONMENT_DOC)
    assert undocumented == []


def test_shell_completion_as_documented() -> None:
    for shell, needle in (
        ("bash", "complete -o nosort -F _pathways_completion pathways"),
        ("zsh", "#compdef pathways"),
        ("fish", "complete --no-files --command pathways"),
    ):
        assert f"_PATHWAYS_COMPLETE={shell}_source pathways" in ENVIRONMENT_DOC
        script = subprocess.run(
            pathways_command(),
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "_PATHWAYS_COMPLETE": f"{shell}_source"},
        )
        assert script.returncode == 0 and needle in script.stdout, (shell, script.stdout[:300])
    # and the completion itself: the commands after "pathways "
    words = subprocess.run(
        pathways_command(),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "_PATHWAYS_COMPLETE": "bash_complete", "COMP_WORDS": "pathways li", "COMP_CWORD": "1"},
    )
    assert words.stdout.split() == ["plain,lint"], words.stdout
