"""Traps a first-time user fell into (issue 17), each as that user met it.

The start screen with saved cases, renaming a case, the question at 80x24, the sidebar's
scrollbar, where exports go, what the case list says of a case with open questions, Chinese
punctuation and line breaks, links in the help pane, the checklist's status line and colours.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from textual.color import Color
from textual.content import Content
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Input

import pathways
from pathways_tui.app import build_app
from pathways_tui.cases import EXPORT_DIR_ENV
from pathways_tui.screens.dialogs import ExportScreen, RenameScreen
from pathways_tui.screens.start import StartScreen
from pathways_tui.screens.wizard import WizardScreen
from pathways_tui.widgets.sidebar import AnswersSidebar
from pathways_tui.widgets.text import NO_END, NO_START, Wrapped

from .helpers import (
    AS_OF,
    answer,
    answer_focused,
    back_to_start,
    checklist,
    example_answers,
    focus,
    new_case,
    notifications,
    open_listed,
    send_keys,
    settle,
    start_screen,
    wait_for,
    walk,
    wizard,
)

DEVICE = example_answers("device_class_ii_tianjin")


@pytest.fixture(scope="module")
def shipped() -> pathways.RuleBase:
    return pathways.load_rule_base()


def region_lines(app: Any, widget: Any) -> list[str]:
    """The terminal lines inside ``widget``'s content region, as a person sees them."""
    region = widget.scrollable_content_region
    strips = app.screen._compositor.render_strips()
    return [strips[y].crop(region.x, region.right).text for y in range(region.y, region.bottom)]


def unspaced(text: str) -> str:
    return "".join(text.split())


async def answer_until(pilot: Pilot[Any], answers: dict[str, Any], qid: str) -> None:
    app = pilot.app
    while wizard(app).qid != qid:
        await answer(pilot, answers[wizard(app).qid])
    await answer_focused(pilot)


# -- 3: the sidebar's last character -------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_sidebar_keeps_every_character_when_its_scrollbar_appears(
    lang: str, shipped: pathways.RuleBase
) -> None:
    """Enough answers for the sidebar to scroll at 80x24: its text must not lose its last column
    (the options were drawn for the width before the scrollbar came and then cut)."""
    app = build_app(lang=lang, as_of=AS_OF, rule_base=shipped)
    async with app.run_test(size=(80, 24)) as pilot:
        await new_case(pilot, "Meter")
        await answer_until(pilot, DEVICE, "tj_priority_categories")
        sidebar = app.screen.query_one(AnswersSidebar)
        await wait_for(pilot, lambda: sidebar.max_scroll_y > 0, "the sidebar scrolling")
        sidebar.scroll_home(animate=False)
        await pilot.pause()
        shown = unspaced("".join(region_lines(app, sidebar)))
        session = app.session
        for qid in session.answered_in_order()[:2]:  # the options at the top, whole on screen
            assert unspaced(session.question(qid, lang).text) in shown
            assert unspaced(session.value_text(qid, lang)) in shown


# -- 1: the start screen with saved cases; renaming ----------------------------------------------
MINI_CASE = {"kind": "device", "made_in": "abroad", "active": True, "implant": True, "features": []}


def case_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "cases").glob("*.yaml"))


def lock_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "locks").glob("*.lock")) if (data_dir / "locks").is_dir() else []


async def saved_case(pilot: Pilot[Any], product: str = "", answers: int = 2) -> Path:
    """A new case with ``answers`` answers, closed again: the start screen lists it."""
    app = pilot.app
    await new_case(pilot, product)
    for qid in list(MINI_CASE)[:answers]:
        await answer(pilot, MINI_CASE[qid])
    path = app.session.case.path
    await back_to_start(pilot)
    return path


async def test_a_name_typed_on_a_start_screen_with_saved_cases_is_kept(data_dir: Path, mini: pathways.RuleBase) -> None:
    """With saved cases the list has the focus (Enter resumes the most recent), yet a name typed
    there is not lost: it goes into the name field, and Enter starts the new case with it."""
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await saved_case(pilot, "Old meter")
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        start = await start_screen(pilot)
        cases = start.query_one("#cases")
        await wait_for(pilot, lambda: app.focused is cases, "the case list focused")
        await pilot.pause()
        assert cases.size.height == 2  # its two lines, no empty row under them
        assert "Rule base: Mini rule base" in "\n".join(region_lines(app, start))
        await send_keys(pilot, *"血糖仪 Glucose meter")  # typed fast, as a person types
        name = start.query_one("#product", Input)
        await wait_for(pilot, lambda: name.value == "血糖仪 Glucose meter", f"the name typed (got {name.value!r})")
        assert app.focused is name
        await send_keys(pilot, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WizardScreen) and not app.screen.busy, "the new case")
        assert app.session.case.product == "血糖仪 Glucose meter"
        assert "血糖仪 Glucose meter" in str(app.screen.query_one("#title-bar").visual)


async def test_a_saved_case_is_renamed_from_the_start_screen(data_dir: Path, mini: pathways.RuleBase) -> None:
    """ctrl+n starts a case with no name; F2 on the list names it later: in its file, in the list."""
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        path = await saved_case(pilot)  # unnamed (ctrl+n)
        start = await start_screen(pilot)
        assert "(no product name)" in start.query_one("#cases").get_option(path.name).prompt.plain
        await focus(pilot, start.query_one("#cases"))
        await send_keys(pilot, "f2")
        await wait_for(pilot, lambda: isinstance(app.screen, RenameScreen), "the rename dialog")
        await send_keys(pilot, *"Blood glucose meter", "enter")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, StartScreen)
                and "Blood glucose meter" in app.screen.query_one("#cases").get_option(path.name).prompt.plain
            ),
            "the new name in the list",
        )
        saved = pathways.read_answers_file(path)
        assert saved.case["product"] == "Blood glucose meter"
        assert saved.answers == {q: MINI_CASE[q] for q in ("kind", "made_in")}  # nothing else changed
        assert case_files(data_dir) == [path] and lock_files(data_dir) == []  # same file, lock let go
        # and it opens as it was, under its new name
        await open_listed(pilot, path.name)
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, WizardScreen) and not app.screen.busy and app.screen.qid == "active",
            "the case open at its next question",
        )
        assert app.session.case.product == "Blood glucose meter"


async def test_a_case_open_in_another_wizard_is_not_renamed_behind_its_back(
    data_dir: Path, mini: pathways.RuleBase
) -> None:
    first = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    second = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with first.run_test(size=(100, 30), notifications=True) as one:
        await new_case(one, "Shared")
        await answer(one, "device")
        path = first.session.case.path
        async with second.run_test(size=(100, 30), notifications=True) as two:
            start = await start_screen(two)
            await focus(two, start.query_one("#cases"))
            await send_keys(two, "f2")
            await wait_for(two, lambda: isinstance(second.screen, RenameScreen), "the rename dialog")
            await send_keys(two, *" two", "enter")
            await wait_for(
                two,
                lambda: any("another pathways wizard" in m for m in notifications(second)),
                "the message that the case is open elsewhere",
            )
            assert pathways.read_answers_file(path).case["product"] == "Shared"
        await answer(one, "abroad")  # the first goes on, its lock and saves intact
        saved = pathways.read_answers_file(path)
        assert saved.case["product"] == "Shared" and saved.answers == {"kind": "device", "made_in": "abroad"}
        assert case_files(data_dir) == [path]


async def test_the_open_case_is_renamed_from_the_wizard(data_dir: Path, mini: pathways.RuleBase) -> None:
    """F2 in the wizard (and the palette's entry): the name is saved with the case, the title shows
    it, and the answers that follow go on into the same file under the same lock."""
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot)
        await answer(pilot, "device")
        path = app.session.case.path
        await send_keys(pilot, "f2")
        await wait_for(pilot, lambda: isinstance(app.screen, RenameScreen), "the rename dialog")
        await send_keys(pilot, *"Implant", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WizardScreen), "back on the question")
        await wait_for(pilot, lambda: pathways.read_answers_file(path).case["product"] == "Implant", "the name saved")
        assert "Implant" in str(app.screen.query_one("#title-bar").visual)
        assert [p.name for p in lock_files(data_dir)] == [f"{path.name}.lock"]  # still held
        await answer(pilot, "abroad")
        saved = pathways.read_answers_file(path)
        assert saved.case["product"] == "Implant" and saved.answers == {"kind": "device", "made_in": "abroad"}
        # the palette has it too
        await send_keys(pilot, "ctrl+p")
        await settle(pilot)
        await send_keys(pilot, *"rename")
        await settle(pilot)
        await pilot.pause(0.3)
        await send_keys(pilot, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RenameScreen), "the rename dialog from the palette")
        dialog_input = app.screen.query_one("#rename-name", Input)
        assert dialog_input.value == "Implant" and dialog_input.selection.is_empty  # typing adds, not replaces
        await send_keys(pilot, *" II", "enter")
        await wait_for(pilot, lambda: pathways.read_answers_file(path).case["product"] == "Implant II", "renamed again")
        assert case_files(data_dir) == [path]  # no conflict copy: the revision check is content


# -- 2: the question at 80x24 ---------------------------------------------------------------------
# the longest question text of the shipped rule base, and answers that lead the wizard to it
LONGEST = "foreign_data_sufficient"
TO_LONGEST = {
    "product_kind": "device",
    "made_in": "abroad",
    "device_category": "ai_software",
    "device_class_settled": "not_settled",
    "ai_algorithm_maturity": "low",
    "ai_assisted_decision": True,
    "clinical_exempt_catalogue": False,
    "clinical_same_variety": False,
    "clinical_foreign_data": ["overseas_trial"],
}


def test_the_longest_question_is_the_one_tested(shipped: pathways.RuleBase) -> None:
    lengths = {
        q: max(len(shipped.questions[q].model.text.get(lang)) for lang in ("en", "zh")) for q in shipped.questions
    }
    assert max(lengths, key=lengths.__getitem__) == LONGEST


def fully_shown(app: Any, widget: Any) -> bool:
    """``widget`` is drawn whole: inside its container's visible region and on screen."""
    region = widget.region
    box = app.screen.query_one("#question-box").content_region
    return bool(region) and box.contains_region(region) and app.screen.region.contains_region(region)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_at_80x24_the_buttons_stay_and_a_multi_list_shows_several_options(
    lang: str, shipped: pathways.RuleBase
) -> None:
    app = build_app(lang=lang, as_of=AS_OF, rule_base=shipped)
    async with app.run_test(size=(80, 24)) as pilot:
        await new_case(pilot, "CT AI")
        await answer_until(pilot, TO_LONGEST, "clinical_foreign_data")
        await pilot.pause()
        screen = wizard(app)
        view = screen.question_view
        choice = view.answer_widget
        assert view.question.type == "multi"
        shown = choice.scrollable_content_region.height
        needed = sum(choice._heights[i] for i in range(min(3, choice.option_count)))
        assert shown >= needed, f"{shown} rows show fewer than three options ({needed} rows)"
        for button in ("#dont-know", "#back", "#next"):
            assert fully_shown(app, screen.query_one(button)), button
        await answer_until(pilot, TO_LONGEST, LONGEST)
        await pilot.pause()
        assert screen.qid == LONGEST
        for button in ("#dont-know", "#back", "#next"):
            assert fully_shown(app, screen.query_one(button)), button
        assert fully_shown(app, screen.query_one("#choice"))
        # the question is read from its start (what does not fit scrolls)
        first_line = unspaced(view.question.text)[:12]
        assert first_line in unspaced("".join(region_lines(app, screen.query_one("#q-scroll"))))


# -- 4: where exports go, and their permissions ---------------------------------------------------
MINI_DEVICE_II = {"kind": "device", "made_in": "tianjin", "active": False, "features": ["sterile"]}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home of its own (no user-dirs.dirs: the documents folder is ~/Documents), the wizard
    started in another directory, umask 022."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv(EXPORT_DIR_ENV, raising=False)
    (tmp_path / "started-here").mkdir()
    monkeypatch.chdir(tmp_path / "started-here")
    umask = os.umask(0o022)
    yield home
    os.umask(umask)


async def export_default(pilot: Pilot[Any], key: str) -> tuple[Path, str]:
    """Open the export dialog with ``key``, take the path it proposes, write."""
    app = pilot.app
    await send_keys(pilot, key)
    await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), "the export dialog")
    dialog = app.screen
    proposed = Path(dialog.query_one("#export-path", Input).value)
    folder_line = "".join(str(label.visual) for label in dialog.query("#export-folder"))
    await send_keys(pilot, "enter")
    await wait_for(pilot, lambda: proposed.exists(), f"{proposed} written")
    await settle(pilot)
    return proposed, folder_line


async def test_exports_go_to_the_documents_folder_with_the_usual_permissions(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mini: pathways.RuleBase
) -> None:
    (home / "Documents").mkdir()
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot, "Glucose meter")
        await walk(pilot, MINI_DEVICE_II)
        await checklist(pilot)
        path, folder_line = await export_default(pilot, "e")
        assert path == home / "Documents" / "pathways" / "Glucose-meter-checklist.pdf"  # the full path, shown
        assert str(home / "Documents" / "pathways") in folder_line and EXPORT_DIR_ENV in folder_line
        assert stat.S_IMODE(path.stat().st_mode) == 0o644  # 0666 less the umask, not 0600
        assert list((tmp_path / "started-here").iterdir()) == []  # nothing where it was started
        # $PATHWAYS_EXPORT_DIR names another folder (read when the dialog opens)
        monkeypatch.setenv(EXPORT_DIR_ENV, str(tmp_path / "exports"))
        path, _ = await export_default(pilot, "s")
        assert path == tmp_path / "exports" / "Glucose-meter-answers.yaml"
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        assert pathways.read_answers_file(path).answers == MINI_DEVICE_II
    saved = case_files(tmp_path / "data")
    assert [stat.S_IMODE(p.stat().st_mode) for p in saved] == [0o600]  # the case itself stays private


async def test_without_a_documents_folder_exports_go_to_pathways_exports(home: Path, mini: pathways.RuleBase) -> None:
    app = build_app(lang="zh", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot)
        await walk(pilot, MINI_DEVICE_II)
        await checklist(pilot)
        path, _ = await export_default(pilot, "e")
        assert path.parent == home / "pathways-exports" and path.name.endswith("-checklist.pdf")


# -- 5: what the case list says of a case with open questions --------------------------------------
async def test_a_case_with_items_to_determine_is_not_listed_as_complete(
    data_dir: Path, mini: pathways.RuleBase
) -> None:
    """No question left, but "don't know" leaves items to determine: the list says so, from the
    checklist worked out for those answers (and "complete" once nothing is open)."""
    answers = {"kind": "device", "made_in": "abroad", "active": "unknown", "implant": True, "features": []}
    expected = pathways.evaluate(mini, answers, AS_OF, "en")
    undetermined = [i for i in expected.items if i.status == "to_determine"]
    assert undetermined and not expected.complete
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot, "Open meter")
        await walk(pilot, answers)
        await checklist(pilot)
        [path] = case_files(data_dir)
        await wait_for(
            pilot,
            lambda: pathways.read_answers_file(path).case["progress"].get("to_determine") == len(undetermined),
            "what is open, saved with the case",
        )
        start = await back_to_start(pilot)
        line = start.query_one("#cases").get_option(path.name).prompt.plain
        assert "complete" not in line
        assert f"no more questions, {len(undetermined)} items to determine (1 question open)" in line
        # the open answer given: the same case is complete, and says so
        await open_listed(pilot, path.name)
        await checklist(pilot)
        await send_keys(pilot, "escape")
        await wait_for(pilot, lambda: isinstance(app.screen, WizardScreen) and not app.screen.busy, "the questions")
        await app.screen.jump_to("active")
        await answer(pilot, True)
        await walk(pilot, answers | {"active": True})
        await checklist(pilot)
        await wait_for(
            pilot,
            lambda: pathways.read_answers_file(path).case["progress"].get("to_determine") == 0,
            "nothing open, saved",
        )
        start = await back_to_start(pilot)
        assert "complete" in start.query_one("#cases").get_option(path.name).prompt.plain


# -- 6: Chinese punctuation, line breaks, links --------------------------------------------------
ASCII_COLON_AFTER_CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]:")


def no_line_starts_with_closing_punctuation(lines: list[str]) -> list[str]:
    return [line for line in lines if line.strip() and line.strip()[0] in NO_START]


async def test_chinese_labels_have_full_width_colons(data_dir: Path, shipped: pathways.RuleBase) -> None:
    app = build_app(lang="zh", as_of=AS_OF, rule_base=shipped)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_screen(pilot)
        text = "\n".join(region_lines(app, app.screen))
        assert "语言：" in text and not ASCII_COLON_AFTER_CHINESE.search(text)
        await new_case(pilot, "血糖仪")
        await answer_focused(pilot)
        help_text = str(app.screen.query_one("#help-text").visual)  # product_kind: its options explained
        assert "选项说明" in help_text and not ASCII_COLON_AFTER_CHINESE.search(help_text)


@pytest.mark.parametrize("size", [(80, 24), (100, 30)], ids=["80x24", "100x30"])
async def test_no_closing_bracket_starts_a_line_in_chinese(size: tuple[int, int], shipped: pathways.RuleBase) -> None:
    app = build_app(lang="zh", as_of=AS_OF, rule_base=shipped)
    async with app.run_test(size=size) as pilot:
        await new_case(pilot, "血糖仪")
        await answer_until(pilot, DEVICE, "innov_patent")  # the longest Chinese question
        await pilot.pause()
        screen = wizard(app)
        for pane in ("#question-box", "#answers", "#routes"):
            lines = region_lines(app, screen.query_one(pane))
            assert no_line_starts_with_closing_punctuation(lines) == [], (pane, lines)


def test_chinese_line_breaks_at_every_width(shipped: pathways.RuleBase) -> None:
    """Every Chinese question text, at every width from 8 to 60 cells: no line starts with closing
    punctuation, none is wider than the width unless it holds one unbreakable word, nothing is lost."""
    from pathways._api import question_out

    for qid in shipped.questions:
        text = question_out(shipped, qid, "zh").text
        for width in range(8, 61):
            lines = Wrapped(Content(text)).at(width).plain.split("\n")
            assert "".join(lines).replace(" ", "") == text.replace(" ", ""), (qid, width)
            assert no_line_starts_with_closing_punctuation(lines[1:]) == [], (qid, width, lines)
            assert all(cell_len(line) <= width or _one_unbreakable_word(line) for line in lines), (qid, width, lines)


def _one_unbreakable_word(line: str) -> bool:
    """A line that may be wider than the pane: one word with no break inside, with the brackets and
    punctuation that may not be parted from it (``（GB 18218）？`` at 8 cells: ``18218）？``)."""
    word = line.strip().lstrip("".join(NO_END)).rstrip("".join(NO_START))
    return " " not in word and not any(cell_len(c) == 2 for c in word)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_links_in_the_help_pane_are_whole_on_their_own_line(lang: str, shipped: pathways.RuleBase) -> None:
    """The first question's source links: each on a line of its own, unbroken and a link (the pane
    scrolls sideways for one longer than it is wide), never folded over two lines."""
    app = build_app(lang=lang, as_of=AS_OF, rule_base=shipped)
    async with app.run_test(size=(80, 24)) as pilot:
        await new_case(pilot)
        await answer_until(pilot, DEVICE, "innov_patent")
        await pilot.pause()
        screen = wizard(app)
        help_pane = screen.query_one("#help-panel")
        static = screen.query_one("#help-text")
        urls = [s.url for s in screen.question_view.question.sources if s.url]
        assert any(len(url) > help_pane.scrollable_content_region.width for url in urls)  # (wider than the pane)
        strips = static.render_lines(Region(0, 0, static.size.width, static.size.height))
        for url in urls:
            [line] = [strip for strip in strips if url in strip.text]
            assert line.text.strip() == url
            assert {segment.style.link for segment in line if url[:10] in segment.text} == {url}
        assert help_pane.max_scroll_x > 0


# -- 7: the checklist's status line and the colour of "required" ----------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_status_line_separates_its_parts_and_required_is_not_green(
    lang: str, mini: pathways.RuleBase
) -> None:
    app = build_app(lang=lang, as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot)
        await walk(pilot, MINI_CASE)
        screen = await checklist(pilot)
        await pilot.pause()
        status = region_lines(app, screen.query_one("#status-line"))[0].strip()
        done = "已完成 0/4" if lang == "zh" else "0 of 4 done"
        complete = "所有问题均已回答。" if lang == "zh" else "All questions answered."
        assert status == done + ("｜" if lang == "zh" else "  |  ") + complete
        required = "必需" if lang == "zh" else "required"
        success = Color.parse(app.current_theme.success).rich_color
        strips = app.screen._compositor.render_strips()
        colours = {segment.style.color for strip in strips for segment in strip if required in segment.text}
        assert colours and success not in colours


def test_rename_is_greyed_out_before_the_start_screen_is_built() -> None:
    """Textual asks which keys work before a screen is composed (this crashed a loaded start)."""
    assert StartScreen().check_action("rename", ()) is None
