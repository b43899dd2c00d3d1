"""Whatever is in the cases folder, the wizard starts (issue 20, item 1).

A user's plain copy of a case file (same id inside), metadata of the wrong kind, nesting deeper
than Python's recursion limit, a FIFO: each once crashed the wizard at every start, every case
unreachable. Now a readable case is listed and opens, a copy is a case of its own, anything else
is listed as unreadable with the reason and left exactly as it was; a crash report never prints
the values of local variables (the user's answers).
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import OptionList

import pathways
from pathways_tui.app import build_app
from pathways_tui.screens.start import StartScreen
from pathways_tui.screens.wizard import WizardScreen

from .helpers import AS_OF, answer, back_to_start, new_case, open_listed, start_screen, wait_for, wizard

DEEP = 5_000  # (Python's recursion limit is 1,000)


def case_text(case_id: str, answered: str = "1", extra: str = "") -> str:
    return (
        f"rulebase: {{id: mini, version: '1'}}\n"
        f"answers: {{kind: device}}\n"
        f"case:\n  format: 1\n  id: {case_id}\n  product: Odd {case_id}\n"
        f"  updated: '2026-01-01T10:00:00'\n"
        f"  progress: {{answered: {answered}, remaining_at_most: 4, complete: false}}\n{extra}"
    )


async def make_case(data_dir: Path, mini: pathways.RuleBase, product: str, *answers: str) -> Path:
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot, product)
        for value in answers:
            await answer(pilot, value)
        path = app.session.case.path
    assert path is not None and path.parent == data_dir / "cases"
    return path


async def test_odd_files_in_the_cases_folder_are_listed_and_never_stop_the_wizard(
    data_dir: Path, mini: pathways.RuleBase
) -> None:
    good = await make_case(data_dir, mini, "Good", "device")
    cases = good.parent
    copy = cases / f"{good.stem} copy.yaml"  # a user's plain backup copy: the same id inside
    shutil.copyfile(good, copy)
    files = {
        "answered-list.yaml": case_text("answered-list", "[1, 2]"),
        "answered-inf.yaml": case_text("answered-inf", ".inf"),
        "odd-meta.yaml": case_text("odd-meta", "1", "  order: {a: 1}\n  ticked: 7\n  lang: [en]\n"),
        "deep-case.yaml": case_text("deep-case", "1", "  extra: " + "[" * DEEP + "]" * DEEP + "\n"),
        "deep-answers.yaml": "rulebase: {id: mini, version: '1'}\nanswers: {kind: " + "[" * DEEP + "]" * DEEP + "}\n",
        "broken.yaml": "rulebase: {id: mini\nanswers: [unclosed\n",
        "wrong.yaml": "just a string\n",
        "no-rulebase.yaml": "answers: {kind: device}\n",
    }
    for name, text in files.items():
        (cases / name).write_text(text, encoding="utf-8")
    (cases / "latin1.yaml").write_bytes(b"answers: {kind: d\xe9vice}\n")
    (cases / "folder.yaml").mkdir()
    (cases / "notes.txt").write_text("not a case\n", encoding="utf-8")
    if hasattr(os, "mkfifo"):
        os.mkfifo(cases / "fifo.yaml")  # reading it would wait for ever
    before = {p.name: (p.read_bytes() if p.is_file() and not p.is_fifo() else None) for p in cases.iterdir()}

    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(120, 50)) as pilot:
        start = await start_screen(pilot)
        listed = {c.key: c for c in start.cases}
        assert set(listed) == {good.name, copy.name, "answered-list.yaml", "answered-inf.yaml", "odd-meta.yaml"}
        assert listed[copy.name].id != listed[good.name].id  # a distinct identity for the copy
        assert listed["answered-list.yaml"].answered == listed["answered-inf.yaml"].answered == 0
        unreadable = {u.key: u.reason for u in start.unreadable}
        expected = {
            "deep-case.yaml",
            "deep-answers.yaml",
            "broken.yaml",
            "wrong.yaml",
            "no-rulebase.yaml",
            "latin1.yaml",
            "folder.yaml",
        } | ({"fifo.yaml"} if hasattr(os, "mkfifo") else set())
        assert set(unreadable) == expected
        # the core's reader names where the nesting goes too deep (PA200 with its line and column)
        for deep in ("deep-case.yaml", "deep-answers.yaml"):
            assert unreadable[deep].startswith("PA200: line ") and "nesting deeper than 64 levels" in unreadable[deep]
        assert "not UTF-8" in unreadable["latin1.yaml"] and "rulebase.id" in unreadable["no-rulebase.yaml"]
        assert unreadable["folder.yaml"] == "not a regular file"
        # every file has a line: a case to open, or the reason it cannot be opened
        options = start.query_one("#cases", OptionList)
        lines = {options.get_option_at_index(i).id: options.get_option_at_index(i) for i in range(options.option_count)}
        assert set(lines) == set(listed) | set(unreadable)
        assert f"file {copy.name}" in lines[copy.name].prompt.plain  # which of the two this is
        assert f"file {good.name}" not in lines[good.name].prompt.plain
        broken = lines["broken.yaml"]
        assert broken.disabled and "broken.yaml: not a case the wizard can open" in broken.prompt.plain
        assert "YAML syntax error" in broken.prompt.plain and "fix the file or remove it" in broken.prompt.plain

        # the copy opens as a case of its own; what is answered there is saved there
        await open_listed(pilot, copy.name)
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, WizardScreen) and app.screen.qid == "made_in" and not app.screen.busy,
            "the copy opened at its next question",
        )
        assert app.session.case.path == copy
        await answer(pilot, "abroad")
        saved = pathways.read_answers_file(copy)
        assert saved.answers == {"kind": "device", "made_in": "abroad"}
        assert saved.case["id"] == listed[copy.name].id != listed[good.name].id
        assert pathways.read_answers_file(good).answers == {"kind": "device"}  # the original untouched

        # a case with progress.answered: .inf opens too (the progress is worked out again)
        await back_to_start(pilot)
        await open_listed(pilot, "answered-inf.yaml")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, WizardScreen) and app.screen.qid == "made_in" and not app.screen.busy,
            "the case with an odd progress opened",
        )
        assert wizard(app).session.case.answered == 1

    # nothing was moved, renamed or rewritten but the copy the user answered in
    after = {p.name: (p.read_bytes() if p.is_file() and not p.is_fifo() else None) for p in cases.iterdir()}
    assert set(after) == set(before)
    assert {name for name in before if before[name] != after[name]} == {copy.name}


async def test_the_wizard_starts_with_every_odd_file_a_user_reported(data_dir: Path, mini: pathways.RuleBase) -> None:
    # the three files of issue 20, one at a time (each was enough to crash every start)
    cases = data_dir / "cases"
    for name, text in (
        ("answered-list.yaml", case_text("a1", "[1, 2]")),
        ("answered-inf.yaml", case_text("a2", ".inf")),
        (
            "deep.yaml",
            "rulebase: {id: mini, version: '1'}\nanswers: {}\ncase: {x: " + "{a: " * DEEP + "1" + "}" * DEEP + "}\n",
        ),
    ):
        shutil.rmtree(cases, ignore_errors=True)
        cases.mkdir(parents=True)
        (cases / name).write_text(text, encoding="utf-8")
        app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
        async with app.run_test(size=(100, 30)) as pilot:
            start = await start_screen(pilot)
            assert [c.key for c in start.cases] + [u.key for u in start.unreadable] == [name]
            await new_case(pilot, "Still works")
            await answer(pilot, "food")


async def test_a_crash_report_shows_no_case_data(
    data_dir: Path, mini: pathways.RuleBase, monkeypatch: pytest.MonkeyPatch
) -> None:
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


def test_item_notes_survive_a_save_and_odd_entries_are_left_out(tmp_path: Path) -> None:
    from pathways_tui.cases import MAX_NOTE, Case, _case_from_text, case_document, dump_yaml

    case = Case(
        id="c1",
        rulebase={"id": "mini", "version": "1"},
        answers={"kind": "device"},
        notes={"testing": "sent to the lab 2026-12-01"},
    )
    path = tmp_path / "c1.yaml"
    text = dump_yaml(case_document(case))
    assert _case_from_text(path, text).notes == {"testing": "sent to the lab 2026-12-01"}
    odd = text.replace(
        "testing: sent to the lab 2026-12-01",
        f"testing: sent\n    other: 3\n    '7': ''\n    long: {'x' * (MAX_NOTE + 5)}",
    )
    assert _case_from_text(path, odd).notes == {"testing": "sent", "long": "x" * MAX_NOTE}
    assert _case_from_text(path, text.replace("notes:", "notes: [1]\n  was:")).notes == {}
