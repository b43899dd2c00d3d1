"""The checklist document as an Excel tracker (XLSX), drawn with openpyxl.

One row per item with empty owner / due date / done / notes columns for the company to fill in, a
sheet of the answers given, a sheet of the questions still open, and a sheet saying what the file is.
XLSX stores text as Unicode XML, so Chinese opens correctly in Excel on Chinese Windows and in
LibreOffice (the encoding traps of CSV do not arise). Imported only when an XLSX is asked for.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

from ._document import DocItem, Document

__all__ = ["render_xlsx"]

HEADER_FILL = "FFE9EAF2"
STATUS_FILLS = {  # the same scheme as the HTML and PDF: nothing green for "required", nothing red
    "required": "FFE5E7EB",
    "to_determine": "FFFEF3C7",
    "to_be_verified": "FFEDE9FE",
    "eligible": "FFDBEAFE",
    "possibly_eligible": "FFDBEAFE",
    "for_information": "FFF3F4F6",
}
# (label key, width) of the checklist sheet's columns, in order
COLUMNS = (
    ("number", 6),
    ("route", 22),
    ("stage_label", 14),
    ("item", 48),
    ("status_label", 16),
    ("kind_label", 12),
    ("authority", 28),
    ("time_limit", 36),
    ("sources", 60),
    ("depends_on", 28),
    ("owner", 14),
    ("due", 12),
    ("done", 10),
    ("note", 30),
)


def _openpyxl() -> Any:
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency; a broken install says so
        raise RuntimeError("XLSX export needs the openpyxl package (pip install openpyxl)") from exc
    return openpyxl


def _sources(item: DocItem) -> str:
    lines = []
    for s in item.sources:
        line = s.text
        if s.url:
            line += f" — {s.link_text}: {s.url}"
        lines.append(line)
    return "\n".join(lines)


def render_xlsx(doc: Document) -> bytes:
    """The document as XLSX bytes (see the module's docstring)."""
    openpyxl = _openpyxl()
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    w = doc.words
    book = openpyxl.Workbook()
    wrap = Alignment(wrap_text=True, vertical="top")
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)

    def header(sheet: Any, labels: list[str], widths: list[int]) -> None:
        sheet.append(labels)
        for index, width in enumerate(widths, 1):
            cell = sheet.cell(row=1, column=index)
            cell.font, cell.fill, cell.alignment = bold, header_fill, wrap
            sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"

    sheet = book.active
    sheet.title = w["sheet_checklist"]
    header(sheet, [w[key] for key, _ in COLUMNS], [width for _, width in COLUMNS])
    done_column = [key for key, _ in COLUMNS].index("done") + 1
    due_column = [key for key, _ in COLUMNS].index("due") + 1
    yes, no = w["yes"], w["no"]
    for item in [*doc.items, *doc.upcoming]:
        progress = item.progress
        row = [
            item.number or None,
            item.route_title,
            item.stage_title,
            item.title,
            item.status_text,
            item.kind_text,
            item.authority,
            item.time_limit,
            _sources(item),
            "\n".join(item.depends_on),
            None,
            None,
            (yes if progress.done else no) if progress is not None else None,
            progress.note if progress is not None and progress.note else None,
        ]
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            cell.alignment = wrap
        sheet.cell(row=sheet.max_row, column=5).fill = PatternFill("solid", fgColor=STATUS_FILLS[item.status])
        sheet.cell(row=sheet.max_row, column=due_column).number_format = "yyyy-mm-dd"
    last = sheet.max_row
    sheet.auto_filter.ref = f"A1:{openpyxl.utils.get_column_letter(len(COLUMNS))}{last}"
    if last > 1:
        choice = DataValidation(type="list", formula1=f'"{yes},{no}"', allow_blank=True)
        sheet.add_data_validation(choice)
        letter = openpyxl.utils.get_column_letter(done_column)
        choice.add(f"{letter}2:{letter}{last}")
        dates = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True)
        sheet.add_data_validation(dates)
        letter = openpyxl.utils.get_column_letter(due_column)
        dates.add(f"{letter}2:{letter}{last}")
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddHeader.left.text = doc.running_header.replace("&", "&&")
    sheet.oddFooter.right.text = "&P / &N"

    answers = book.create_sheet(w["sheet_answers"])
    header(answers, [w["question"], w["answer"], w["dont_know"], w["not_used"]], [70, 40, 12, 30])
    for a in doc.answers:
        answers.append([a.text, a.answer, yes if a.unknown else None, None if a.used else yes])
        for cell in answers[answers.max_row]:
            cell.alignment = wrap

    open_sheet = book.create_sheet(w["sheet_open"])
    header(open_sheet, [w["question"]], [100])
    for question in doc.open_questions:
        open_sheet.append([question])
        open_sheet.cell(row=open_sheet.max_row, column=1).alignment = wrap

    about = book.create_sheet(w["sheet_about"])
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 20, 100
    about.append([doc.title])
    about.cell(row=1, column=1).font = Font(bold=True, size=14)
    for key, value in [
        *doc.meta_rows(),
        (w["summary_heading"], doc.summary),
        (w["disclaimer_heading"], doc.disclaimer),
        (w["status_label"], doc.legend),
    ]:
        about.append([key, value])
        about.cell(row=about.max_row, column=1).font = bold
        about.cell(row=about.max_row, column=2).alignment = wrap

    props = book.properties
    props.title, props.creator, props.subject = doc.title, "pathways", doc.product or None
    when = doc.case_date or doc.as_of  # fixed, so the same case gives the same file
    props.created = props.modified = dt.datetime(when.year, when.month, when.day)
    props.lastModifiedBy = "pathways"
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_times(buffer.getvalue(), (when.year, when.month, when.day, 0, 0, 0))


def _fixed_times(data: bytes, stamp: tuple[int, int, int, int, int, int]) -> bytes:
    """The same archive with every entry dated ``stamp``: openpyxl stamps entries with the time of
    saving (and its core properties the time as "modified"), and the same case should give the same
    bytes (and a diff of two exports only its changes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            # a ZIP entry's date is a DOS date (1980 to 2107); core.xml keeps the case's own date
            entry = zipfile.ZipInfo(
                info.filename, date_time=min(max(stamp, (1980, 1, 1, 0, 0, 0)), (2107, 12, 31, 0, 0, 0))
            )
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl sets "modified" to the time of saving
                fixed = "%04d-%02d-%02dT%02d:%02d:%02dZ" % stamp
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + fixed.encode() + rb"\g<2>",
                    content,
                )
            target.writestr(entry, content)
    return out.getvalue()
