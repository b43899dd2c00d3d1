"""A crash report never prints the values of local variables: in the wizard they hold the user's
answers and case files (issue 20)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

import pathways
from pathways_tui.app import build_app
from pathways_tui.screens.start import StartScreen

from .helpers import AS_OF, answer, new_case, wait_for


async def make_case(data_dir: Path, mini: pathways.RuleBase, product: str, *answers: str) -> Path:
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot, product)
        for value in answers:
            await answer(pilot, value)
        path = app.session.case.path
    assert path is not None and path.parent == data_dir / "cases"
    return path


async def test_a_crash_report_shows_no_case_data(data_dir: Path, mini: pathways.RuleBase,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    await make_case(data_dir, mini, "Secret product 4711", "device")

    def buggy_refresh(self: StartScreen) -> None:  # a bug, with the user's case in its local variables
        cases, _ = self.papp.store.list_cases()
        case = cases[0]
        product = case.product
        raise RuntimeError(f"a bug in the start screen ({len(product)})")

    monkeypatch.setattr(StartScreen, "refresh_cases", buggy_refresh)
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    report = io.StringIO()
    app.error_console = Console(file=report, width=160, color_system=None)
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app._exception is not None, "the crash")
    text = report.getvalue()
    assert "RuntimeError" in text and "a bug in the start screen (19)" in text and "buggy_refresh" in text
    assert "Secret product 4711" not in text and "device" not in text
