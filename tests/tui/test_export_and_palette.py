"""Export through the dialog (exactly the renderers' output), the command palette, language, help."""

from __future__ import annotations

from pathlib import Path

import pathways
from pathways_tui.app import build_app
from pathways_tui.screens.checklist import ChecklistScreen
from pathways_tui.screens.dialogs import ExportScreen, HelpScreen, NoteScreen
from pathways_tui.screens.wizard import WizardScreen

from .helpers import AS_OF, answer, checklist, new_case, send_keys, settle, wait_for, walk, wizard

DEVICE_II = {"kind": "device", "made_in": "tianjin", "active": False, "features": ["sterile"]}


async def export_through_dialog(pilot, key: str, fmt: str, target: Path) -> None:
    """Open the dialog with ``key``, pick ``fmt`` with the keyboard, type the path, Enter."""
    app = pilot.app
    await send_keys(pilot, key)
    await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), "the export dialog")
    dialog = app.screen
    radios = dialog.query_one("#export-format")
    await pilot.click(f"#fmt-{fmt}")
    await wait_for(pilot, lambda: dialog.fmt == fmt, f"format {fmt} chosen")
    path_input = dialog.query_one("#export-path")
    await pilot.click(path_input)
    assert path_input.value.endswith(
        {"md": ".md", "html": ".html", "json": ".json", "yaml": ".yaml", "pdf": ".pdf", "xlsx": ".xlsx"}[fmt]
    )
    await send_keys(pilot, "home", "ctrl+k")
    await wait_for(pilot, lambda: path_input.value == "", "the path cleared")
    await send_keys(pilot, *str(target), "enter")
    await wait_for(pilot, lambda: not isinstance(app.screen, ExportScreen), "the dialog closed")
    await settle(pilot)
    assert radios is not None


async def test_exports_are_exactly_what_the_renderers_produce(tmp_path: Path, mini: pathways.RuleBase) -> None:
    """Each export is ``pathways.export`` of the case: its product, its date and the items ticked off."""
    app = build_app(lang="zh", as_of=AS_OF, rule_base=mini, export_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot, "血糖仪")
        await walk(pilot, DEVICE_II)
        outcome = (await checklist(pilot)).outcome
        expected = pathways.evaluate(mini, DEVICE_II, AS_OF, "zh")
        assert outcome == expected
        await send_keys(pilot, "space")  # tick the first item off
        await wait_for(pilot, lambda: app.session.case.ticked == [expected.items[0].id], "the first item ticked")
        await send_keys(pilot, "n")  # and add a note to it
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen), "the note dialog")
        await send_keys(pilot, *"寄出 2026-12-01", "enter")
        await wait_for(pilot, lambda: app.session.case.notes == {expected.items[0].id: "寄出 2026-12-01"}, "the note")
        assert "寄出 2026-12-01" in str(app.screen.query_one("#detail-text").render())
        await export_through_dialog(pilot, "s", "yaml", tmp_path / "answers.yaml")
        saved = pathways.read_answers_file(tmp_path / "answers.yaml")
        assert saved.answers == DEVICE_II and saved.as_of == AS_OF
        assert saved.case["product"] == "血糖仪" and saved.case["ticked"] == [expected.items[0].id]
        assert saved.case["notes"] == {expected.items[0].id: "寄出 2026-12-01"}
        assert pathways.evaluate(mini, saved.answers, saved.as_of, "zh") == expected
        case = pathways.CaseDetails.from_case_metadata(saved.case)
        assert case.product == "血糖仪" and case.progress[expected.items[0].id] == pathways.ItemProgress(
            True, "寄出 2026-12-01"
        )
        for fmt in ("pdf", "xlsx", "md", "html", "json"):
            await export_through_dialog(pilot, "e", fmt, tmp_path / f"out.{fmt}")
            assert (tmp_path / f"out.{fmt}").read_bytes() == pathways.export(expected, fmt, case=case)
        assert "✓ 已完成 — 寄出 2026-12-01" in (tmp_path / "out.md").read_text(encoding="utf-8")


async def test_export_default_path_and_cancel(tmp_path: Path, mini: pathways.RuleBase) -> None:
    out = tmp_path / "out"
    out.mkdir()
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini, export_dir=out)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot, "Glucose meter")
        await walk(pilot, DEVICE_II)
        await checklist(pilot)
        await send_keys(pilot, "e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), "the export dialog")
        assert app.screen.query_one("#export-path").value == str(out / "Glucose-meter-checklist.pdf")
        await send_keys(pilot, "escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistScreen), "back on the checklist")
        assert list(out.iterdir()) == []
        # an unwritable path: a clear message, no crash
        app.export("md", Path("/proc/pathways-cannot-write-here.md"))
        await settle(pilot)
        assert any("Could not write" in n.message for n in app._notifications)


async def test_palette_jumps_to_a_question_and_switches_language(mini: pathways.RuleBase) -> None:
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot)
        await answer(pilot, "device")
        await answer(pilot, "abroad")
        assert wizard(app).qid == "active"
        # jump to a question
        await send_keys(pilot, "ctrl+p")
        await settle(pilot)
        await send_keys(pilot, *"jump made")
        await settle(pilot)
        await pilot.pause(0.3)
        await send_keys(pilot, "enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, WizardScreen) and app.screen.qid == "made_in", "the jump to 'made in'"
        )
        # switch the language: the question, its options and the Footer follow
        await send_keys(pilot, "ctrl+p")
        await settle(pilot)
        await send_keys(pilot, *"language")
        await settle(pilot)
        await pilot.pause(0.3)
        await send_keys(pilot, "enter")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, WizardScreen)
                and app.screen.lang == "zh"
                and app.screen.question_view is not None
                and not app.screen.busy
            ),
            "the wizard in Chinese",
        )
        screen = wizard(app)
        assert screen.qid == "made_in"
        assert screen.question_view.question.text == "产地"
        assert [screen.question_view.answer_widget.get_option_at_index(i).prompt.plain for i in range(2)] == [
            "天津",
            "境外",
        ]
        footer = {b.binding.description for b in screen.active_bindings.values() if b.binding.show}
        assert "上一步" in footer
        assert app.session.case.lang == "zh"
        # the checklist follows the language too
        await send_keys(pilot, "ctrl+l")
        outcome = (await checklist(pilot)).outcome
        assert outcome.lang == "zh"
        assert outcome == pathways.evaluate(mini, {"kind": "device", "made_in": "abroad"}, AS_OF, "zh")


async def test_help_opens_and_closes(mini: pathways.RuleBase) -> None:
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(80, 24)) as pilot:
        await new_case(pilot)
        await send_keys(pilot, "f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        await send_keys(pilot, "escape")
        await wait_for(pilot, lambda: isinstance(app.screen, WizardScreen), "back on the question")
        assert app.screen.qid == "kind"
