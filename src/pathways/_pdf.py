"""The checklist document as a PDF: A4, searchable, Chinese included, with nothing but pip packages.

Drawn with fpdf2, which embeds (a subset of) the TrueType font in ``_fonts/`` (Noto Sans CJK SC cut
to GB 2312 and every character of the rule base; SIL Open Font License), so the PDF reads the same on
a machine without any Chinese font, and its text can be searched and copied. Imported only when a
PDF is asked for.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ._document import DocItem, Document

__all__ = ["render_pdf"]

FONT_DIR = Path(__file__).parent / "_fonts"
FONT = "NotoSansSC"
# Colours by status (text, rule at the item's left): dark for required, amber, violet, blue, grey;
# never green for "required" or red for "to be verified", so neither reads as "fine" or "bad".
STATUS_COLOURS = {
    "required": (31, 41, 55),
    "to_determine": (146, 64, 14),
    "to_be_verified": (91, 33, 182),
    "eligible": (30, 64, 175),
    "possibly_eligible": (30, 64, 175),
    "for_information": (75, 85, 99),
}
GREY = (85, 85, 85)
INK = (29, 29, 31)
LINK = (30, 58, 138)
# a word with the spaces after it, one Chinese character (or full-width sign), or one other character
_TOKEN = re.compile(r"[A-Za-z0-9\u00C0-\u024F.,;:!?%()\[\]/'\"+\-_&@#*=<>~$]+\s*|[\u2E80-\uFFEF]|\s+|.")
_NO_LINE_START = set("，。、；：？！）》」』】〕…—,.;:?!)]")
MISSING = "\u25a1"  # □, drawn for a character the embedded font does not have
KEEP_WITH_NEXT = 28  # mm: a heading with less room than this below it starts a new page
KEEP_ITEM_MAX = 95  # mm: an item up to this tall is never split over two pages
SPLIT_ITEM_MIN = 40  # mm: a taller one starts on a page only with this much room left


def _fpdf() -> Any:
    try:
        from fpdf import FPDF
    except ImportError as exc:  # pragma: no cover - fpdf2 is a dependency; a broken install says so
        raise RuntimeError("PDF export needs the fpdf2 package (pip install fpdf2)") from exc
    return FPDF


def render_pdf(doc: Document) -> bytes:
    """The document as PDF bytes (see the module's docstring)."""
    pdf = _Pdf(doc)
    pdf.draw()
    return bytes(pdf.pdf.output())


class _Pdf:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.words = doc.words
        base = _fpdf()
        outer = self

        class Page(base):  # type: ignore[misc, valid-type]
            def header(self) -> None:
                if self.page_no() > 1:
                    self.set_font(FONT, size=8)
                    self.set_text_color(*GREY)
                    self.cell(0, 5, outer.drawable(outer.doc.running_header), new_x="LMARGIN", new_y="NEXT")
                    self.ln(2)

            def footer(self) -> None:
                self.set_y(-12)
                self.set_font(FONT, size=8)
                self.set_text_color(*GREY)
                self.cell(0, 5, outer.words["page"].format(page=self.page_no(), pages="{nb}"), align="R")

        self.pdf = pdf = Page(format="A4", unit="mm")
        pdf.set_margins(16, 16, 16)
        pdf.set_auto_page_break(True, margin=18)
        pdf.alias_nb_pages("{nb}")
        pdf.add_font(FONT, "", str(FONT_DIR / "NotoSansCJKsc-Regular-subset.ttf"))
        pdf.add_font(FONT, "B", str(FONT_DIR / "NotoSansCJKsc-Bold-subset.ttf"))
        pdf.set_title(doc.title)
        pdf.set_subject(doc.summary[:200])
        pdf.set_author(doc.company or "")
        pdf.set_creator("pathways")
        pdf.set_lang("zh-CN" if doc.lang == "zh" else "en")
        pdf.set_creation_date(_creation(doc))
        self.wrap = "CHAR" if doc.lang == "zh" else "WORD"
        pdf.set_font(FONT)
        self.glyphs = frozenset(pdf.current_font.cmap)
        self._widths: dict[tuple[bool, float], dict[str, float]] = {}
        self._heights: dict[str, float] = {}

    # -- primitives ------------------------------------------------------------------------------
    def text(
        self,
        text: str,
        size: float = 10,
        bold: bool = False,
        colour: tuple[int, int, int] = INK,
        height: float | None = None,
        indent: float = 0,
        link: str = "",
    ) -> None:
        """A paragraph, wrapped here (see ``lines``) and drawn line by line."""
        pdf = self.pdf
        text = self.drawable(text)
        pdf.set_font(FONT, "B" if bold else "", size=size)
        pdf.set_text_color(*colour)
        step = height or size * 0.5
        for line in self.lines(text, size, bold, pdf.w - pdf.r_margin - pdf.l_margin - indent):
            if pdf.get_y() + step > pdf.page_break_trigger:
                pdf.add_page()
                pdf.set_font(FONT, "B" if bold else "", size=size)
                pdf.set_text_color(*colour)
            pdf.set_x(pdf.l_margin + indent)
            pdf.cell(0, step, line, new_x="LMARGIN", new_y="NEXT", link=link)

    def drawable(self, text: str) -> str:
        """Text the embedded font can draw: tabs and control characters become spaces, and a character
        the font lacks (a rare ideograph outside GB 2312, an emoji) a visible □ rather than nothing."""
        glyphs = self.glyphs
        return "".join(
            ch if ord(ch) in glyphs or ch == "\n" else (" " if ch.isspace() or not ch.isprintable() else MISSING)
            for ch in text
        )

    def lines(self, text: str, size: float, bold: bool, width: float) -> list[str]:
        """Greedy line breaking: between words, and between any two Chinese characters; a line never
        starts with closing punctuation. fpdf2's own wrapping re-measures each line for every character
        added (seconds for a long checklist); this measures every character once per font size."""
        widths = self._widths.setdefault((bold, size), {})

        def width_of(chars: str) -> float:
            total = 0.0
            for ch in chars:
                w = widths.get(ch)
                if w is None:
                    w = widths[ch] = self.pdf.get_string_width(ch)
                total += w
            return total

        out: list[str] = []
        for paragraph in text.split("\n"):
            line, used = "", 0.0
            for token in _TOKEN.findall(paragraph):
                tw = width_of(token)
                if used + tw <= width or not line or (token[0] in _NO_LINE_START and used + tw <= width * 1.04):
                    if tw > width and not line:  # a word longer than the line: split it
                        for ch in token:
                            cw = width_of(ch)
                            if used + cw > width and line:
                                out.append(line)
                                line, used = "", 0.0
                            line, used = line + ch, used + cw
                        continue
                    line, used = line + token, used + tw
                else:
                    out.append(line.rstrip())
                    token = token.lstrip()
                    line, used = token, width_of(token)
            out.append(line.rstrip())
        return out

    def measure(
        self,
        text: str,
        size: float = 10,
        bold: bool = False,
        colour: Any = INK,
        height: float | None = None,
        indent: float = 0,
        link: str = "",
    ) -> float:
        pdf = self.pdf
        text = self.drawable(text)
        pdf.set_font(FONT, "B" if bold else "", size=size)
        return len(self.lines(text, size, bold, pdf.w - pdf.r_margin - pdf.l_margin - indent)) * (height or size * 0.5)

    def heading(self, text: str, size: float, keep: float = KEEP_WITH_NEXT) -> None:
        pdf = self.pdf
        if pdf.get_y() + keep > pdf.page_break_trigger:
            pdf.add_page()
        pdf.ln(size * 0.25)
        self.text(text, size=size, bold=True)
        if size >= 13:
            pdf.set_draw_color(200, 200, 215)
            pdf.set_line_width(0.4)
            pdf.line(pdf.l_margin, pdf.get_y() + 0.5, pdf.w - pdf.r_margin, pdf.get_y() + 0.5)
            pdf.ln(2)
        pdf.ln(1)

    def field(self, label: str, value: str, indent: float = 4) -> None:
        self.text(f"{label}{self.words['colon']}{value}", size=9, indent=indent, height=4.6)

    def table(
        self,
        rows: list[tuple[str, str]],
        header: tuple[str, str] | None = None,
        widths: tuple[int, int] = (2, 3),
        styles: list[tuple[int, int, int] | None] | None = None,
    ) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, size=9)
        pdf.set_text_color(*INK)
        pdf.set_draw_color(210, 210, 220)
        with pdf.table(
            col_widths=widths,
            text_align="LEFT",
            line_height=4.8,
            wrapmode=self.wrap,
            first_row_as_headings=header is not None,
            headings_style=_heading_style(),
            padding=1.2,
        ) as table:
            if header:
                table.row(header)
            for index, (left, right) in enumerate(rows):
                left, right = self.drawable(left), self.drawable(right)
                row = table.row()
                row.cell(left)
                colour = styles[index] if styles else None
                if colour:
                    from fpdf.fonts import FontFace

                    row.cell(right, style=FontFace(color=colour))
                else:
                    row.cell(right)
        pdf.ln(2)

    # -- the document ----------------------------------------------------------------------------
    def draw(self) -> None:
        doc, w, pdf = self.doc, self.words, self.pdf
        pdf.add_page()
        self.text(doc.title, size=18, bold=True, height=9)
        pdf.ln(2)
        self.table(doc.meta_rows(), widths=(1, 3))
        self.heading(w["summary_heading"], 13)
        self.text(doc.summary, size=10, height=5.2)
        pdf.ln(2)
        self.box(w["disclaimer_heading"], doc.disclaimer)
        self.text(doc.legend, size=8, colour=GREY, height=4)
        self.heading(w["answers"], 13)
        if doc.answers:
            rows, styles = [], []
            for a in doc.answers:
                answer = a.answer if a.used else f"{a.answer} ({w['not_used']})"
                rows.append((a.text, answer))
                styles.append(STATUS_COLOURS["to_determine"] if a.unknown else (GREY if not a.used else None))
            self.table(rows, header=(w["question"], w["answer"]), widths=(3, 2), styles=styles)
        else:
            self.text(w["no_answers"])
        self.heading(w["routes"], 13)
        for route in doc.routes:
            self.text(f"• {route.title}{w['colon']}{route.applies_text}", size=10, height=5.2)
        if not doc.routes:
            self.text(w["no_items"])
        for route in doc.routes:
            # a heading never ends a page: it goes with the first item below it
            first = self.need(route.stages[0][1][0]) if route.stages else 0
            self.heading(route.title, 14, keep=first + 22)
            for stage_title, items in route.stages:
                self.heading(stage_title, 11.5, keep=self.need(items[0]) + 10)
                for item in items:
                    self.item(item)
        if doc.upcoming:
            self.heading(w["upcoming"], 14, keep=40)
            for item in doc.upcoming:
                self.item(item)
        self.heading(w["timeline"], 13)
        self.text(f"{w['critical']}{w['colon']}{doc.statutory_working_days}", size=10, bold=True, height=5.2)
        if doc.critical_path:
            self.text(" → ".join(doc.critical_path), size=9, height=4.6)
        if doc.in_practice:
            self.text(f"{w['in_practice']} {doc.in_practice} ({doc.in_practice_step})", size=10, height=5.2)
        self.text(doc.timeline_note, size=8, colour=GREY, height=4)
        for key, lines in (("typical", doc.typical), ("may_add", doc.may_add)):
            if lines:
                pdf.ln(1)
                self.text(f"{w[key]}:", size=9.5, bold=True, height=5)
                for line in lines:
                    self.text(f"• {line}", size=9, height=4.6, indent=3)
        if doc.open_questions:
            self.heading(w["unanswered"], 13)
            for question in doc.open_questions:
                self.text(f"• {question}", size=9.5, height=4.8, indent=2)

    def box(self, title: str, body: str) -> None:
        pdf = self.pdf
        pdf.set_draw_color(150, 150, 150)
        pdf.set_font(FONT, size=9)
        pdf.set_text_color(*INK)
        pdf.multi_cell(
            0,
            4.8,
            f"**{title}** {body}",
            border=1,
            padding=2,
            markdown=True,
            wrapmode=self.wrap,
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(2)

    def need(self, item: DocItem) -> float:
        """The room an item needs at the bottom of a page: all of it when it is short enough to keep
        together, else its opening lines (a long item may run on to the next page)."""
        height = self._heights.get(item.id)
        if height is None:  # asked for a route's heading, its stage's heading and the item itself
            height = self._heights[item.id] = 3 + sum(self.measure(*block) for block in self._item_blocks(item))
        return height if height <= KEEP_ITEM_MAX else SPLIT_ITEM_MIN

    def item(self, item: DocItem) -> None:
        """One item: kept on one page when short, else started only where its opening lines fit."""
        pdf = self.pdf
        blocks = self._item_blocks(item)
        if self.need(item) > pdf.page_break_trigger - pdf.get_y():
            pdf.add_page()
        colour = STATUS_COLOURS.get(item.status, INK)
        top, page = pdf.get_y() + 1, pdf.page_no()
        pdf.ln(1)
        for block in blocks:
            self.text(*block)
        bottom = pdf.get_y() + 1
        if pdf.page_no() != page:  # a long item split over pages: mark its part on the last page
            top = pdf.t_margin + 7
        pdf.set_draw_color(*colour)
        pdf.set_line_width(1.2)
        if bottom > top:
            pdf.line(pdf.l_margin + 0.6, top, pdf.l_margin + 0.6, bottom)
        pdf.set_line_width(0.2)
        pdf.ln(2)

    def _item_blocks(self, item: DocItem) -> list[tuple[Any, ...]]:
        """The item as text blocks: (text, size, bold, colour, line height, indent, link)."""
        w = self.words
        colour = STATUS_COLOURS.get(item.status, INK)
        blocks: list[tuple[Any, ...]] = []

        def field(label: str, value: str) -> None:
            blocks.append((f"{label}{w['colon']}{value}", 9, False, INK, 4.6, 4))

        number = f"{item.number}. " if item.number else "• "
        blocks.append((number + item.title, 10.5, True, INK, 5.4, 3))
        blocks.append((f"{item.status_text} · {item.kind_text}", 9, True, colour, 4.8, 3))
        if item.detail:
            blocks.append((item.detail, 9, False, INK, 4.6, 3))
        if item.authority:
            field(w["authority"], item.authority)
        if item.time_limit:
            field(w["time_limit"], item.time_limit)
        if item.depends_on:
            field(w["depends_on"], "; ".join(item.depends_on))
        if item.in_force:
            field(w["in_force"], item.in_force)
        if item.documents:
            field(w["documents"], "")
            blocks += [(f"• {document}", 9, False, INK, 4.6, 7) for document in item.documents]
        field(w["sources"], "")
        for source in item.sources:
            flag = f" ({w['status']['to_be_verified']})" if source.unconfirmed else ""
            blocks.append((f"• {source.text}{flag}", 9, False, INK, 4.6, 7))
            if source.url:
                blocks.append((f"{source.link_text} · {source.host}", 8, False, LINK, 4.2, 10, source.url))
        field(w["why"], "")
        blocks += [(line, 8.5, False, GREY, 4.3, 7) for line in item.why]
        if item.progress is not None:
            state = ("✓ " + w["done"]) if item.progress.done else ("□ " + w["not_done"])
            field(w["progress"], state + (f" — {item.progress.note}" if item.progress.note else ""))
        return blocks


def _heading_style() -> Any:
    from fpdf.fonts import FontFace

    return FontFace(emphasis="BOLD", fill_color=(243, 243, 247))


def _creation(doc: Document) -> Any:
    """The PDF's creation date: the case's date (or the rules' date), so the same case gives the same bytes."""
    import datetime as dt

    when = doc.case_date or doc.as_of
    return dt.datetime(when.year, when.month, when.day, tzinfo=dt.timezone.utc)
