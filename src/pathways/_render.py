"""Renderers: an Outcome as JSON, or as a document for one case in Markdown, printable HTML, PDF or XLSX.

JSON is the outcome itself (with the technical trace). The other formats draw on one ``Document``
(``_document.py``): the same title block, summary, answers, numbered checklist, timeline and open
questions, in the same words. PDF and XLSX are produced by modules imported only when asked for, so
``import pathways`` stays light.
"""

from __future__ import annotations

import html

from ._document import CaseDetails, DocItem, Document, build_document
from ._outcome import Outcome

__all__ = [
    "BINARY_FORMATS",
    "FORMATS",
    "MEDIA_TYPES",
    "TEXT_FORMATS",
    "export",
    "render",
    "render_html",
    "render_json",
    "render_markdown",
]

TEXT_FORMATS = ("json", "md", "html")
BINARY_FORMATS = ("pdf", "xlsx")
FORMATS = TEXT_FORMATS + BINARY_FORMATS
MEDIA_TYPES = {
    "json": "application/json",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SUFFIXES = {"json": ".json", "md": ".md", "html": ".html", "pdf": ".pdf", "xlsx": ".xlsx"}


def render_json(outcome: Outcome) -> str:
    return outcome.model_dump_json(indent=2) + "\n"


# -- Markdown ----------------------------------------------------------------------------------------


def _md_item(doc: Document, item: DocItem) -> list[str]:
    w = doc.words
    number = f"{item.number}." if item.number else "•"
    lines = [f"#### {number} {item.title} — *{item.status_text}*", ""]
    if item.detail:
        lines += [item.detail, ""]
    lines.append(f"- {w['kind_label']}{w['colon']}{item.kind_text}")
    if item.authority:
        lines.append(f"- {w['authority']}{w['colon']}{item.authority}")
    if item.time_limit:
        lines.append(f"- {w['time_limit']}{w['colon']}{item.time_limit}")
    if item.depends_on:
        lines.append(f"- {w['depends_on']}{w['colon']}" + "; ".join(item.depends_on))
    if item.in_force:
        lines.append(f"- {w['in_force']}{w['colon']}{item.in_force}")
    if item.documents:
        lines.append(f"- {w['documents']}:")
        lines += [f"  - {d}" for d in item.documents]
    lines.append(f"- {w['sources']}:")
    for s in item.sources:
        flag = f" ({w['status']['to_be_verified']})" if s.unconfirmed else ""
        link = f" — {s.link_text} <{s.url}>" if s.url else ""
        lines.append(f"  - {s.text}{flag}{link}")
    lines.append(f"- {w['why']}:")
    lines += [f"  - {line}" for line in item.why]
    if item.progress is not None:
        state = ("✓ " + w["done"]) if item.progress.done else ("□ " + w["not_done"])
        lines.append(
            f"- {w['progress']}{w['colon']}{state}" + (f" — {item.progress.note}" if item.progress.note else "")
        )
    lines.append("")
    return lines


def _markdown(doc: Document) -> str:
    w = doc.words
    out = [f"# {doc.title}", ""]
    out += _meta_rows_md(doc)
    out += [
        f"## {w['summary_heading']}",
        "",
        doc.summary,
        "",
        f"> **{w['disclaimer_heading']}** {doc.disclaimer}",
        "",
        w["legend"],
        "",
    ]
    out += [f"## {w['answers']}", ""]
    if doc.answers:
        out += [f"| {w['question']} | {w['answer']} |", "|---|---|"]
        for a in doc.answers:
            answer = f"*{a.answer}*" if a.unknown else a.answer
            if not a.used:
                answer += f" ({w['not_used']})"
            out.append(f"| {_md_cell(a.text)} | {_md_cell(answer)} |")
    else:
        out.append(w["no_answers"])
    out.append("")
    out += [f"## {w['routes']}", ""]
    out += [f"- **{r.title}**{w['colon']}{r.applies_text}" for r in doc.routes] or [f"- {w['no_items']}"]
    out.append("")
    for route in doc.routes:
        out += [f"## {route.title}", ""]
        for stage_title, items in route.stages:
            out += [f"### {stage_title}", ""]
            for item in items:
                out += _md_item(doc, item)
    if not doc.items:
        out += [w["no_items"], ""]
    if doc.upcoming:
        out += [f"## {w['upcoming']}", ""]
        for item in doc.upcoming:
            out += _md_item(doc, item)
    out += [
        f"## {w['timeline']}",
        "",
        f"{w['critical']}{w['colon']}**{doc.statutory_working_days}** " + (" → ".join(doc.critical_path) or "—"),
        "",
    ]
    if doc.in_practice:
        out += [f"{w['in_practice']} **{doc.in_practice}** ({doc.in_practice_step})", ""]
    out += [doc.timeline_note, ""]
    for key, lines in (("typical", doc.typical), ("may_add", doc.may_add)):
        if lines:
            out += [f"{w[key]}:", ""] + [f"- {line}" for line in lines] + [""]
    if doc.open_questions:
        out += [f"## {w['unanswered']}", ""] + [f"- {q}" for q in doc.open_questions] + [""]
    return "\n".join(out).rstrip() + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _meta_rows_md(doc: Document) -> list[str]:
    return [f"- {k}{doc.words['colon']}{v}" for k, v in doc.meta_rows()] + [""]


def render_markdown(outcome: Outcome, case: CaseDetails | None = None) -> str:
    return _markdown(build_document(outcome, case))


# -- HTML --------------------------------------------------------------------------------------------

# Print first: A4 with margins, a running header (product, date) and page numbers in the page
# margins, headings kept with what follows (an item's title with its first lines; a long item may run
# on to the next page rather than leave half a page blank). Status colours that do not read as
# "fine" (green) or "bad" (red): required is dark and solid, to determine amber, to be verified
# dashed violet, options blue, guidance grey; each badge also says its status in words.
_CSS = """
@page{size:A4;margin:18mm 16mm 18mm 16mm;
@top-left{content:"__RUNNING__";font-size:8pt;color:#555}
@bottom-right{content:counter(page) " / " counter(pages);font-size:8pt;color:#555}}
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",
system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f;line-height:1.5;font-size:11pt}
html[lang=en] body{font-family:system-ui,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans CJK SC",
"PingFang SC","Microsoft YaHei",sans-serif}
h1{font-size:1.6rem;margin:0 0 .6rem}h2{border-bottom:2px solid #ccd;padding-bottom:.2rem;margin-top:1.8rem;
font-size:1.25rem}h3{font-size:1.05rem;margin:1.2rem 0 .4rem;color:#333}h4{font-size:1rem;margin:.1rem 0 .4rem}
h1,h2,h3,h4{break-after:avoid;page-break-after:avoid}
table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{border:1px solid #d8d8e0;padding:.25rem .45rem;
text-align:left;vertical-align:top}th{background:#f3f3f7;font-weight:600}tr{break-inside:avoid}
.meta th{width:11rem}.summary{font-size:1rem}.disclaimer{border:1px solid #999;padding:.5rem .8rem;
border-radius:4px;font-size:.9rem}.legend{color:#444;font-size:.85rem}
.unknown{font-style:italic}.unused{color:#777}
.item{border:1px solid #dde;border-left-width:5px;border-radius:4px;padding:.5rem .8rem;margin:.6rem 0}
.item h4,.item>p,.item dt{break-after:avoid;page-break-after:avoid}.item li,.item dd p{break-inside:avoid}
.item.s-required{border-left-color:#1f2937}.item.s-to_determine{border-left-color:#b45309}
.item.s-to_be_verified{border-left-style:dashed;border-left-color:#6d28d9}
.item.s-eligible,.item.s-possibly_eligible{border-left-color:#1d4ed8}.item.s-for_information{border-left-color:#9ca3af}
.num{color:#555;margin-right:.3rem}
.badge{font-size:.75rem;padding:.05rem .45rem;border-radius:3px;margin-left:.45rem;white-space:nowrap;
font-weight:600;border:1px solid transparent;vertical-align:middle}
.badge.required{background:#1f2937;color:#fff}
.badge.to_determine{background:#fffbeb;color:#92400e;border-color:#b45309}
.badge.to_be_verified{background:#f5f3ff;color:#5b21b6;border:1px dashed #6d28d9}
.badge.eligible,.badge.possibly_eligible{background:#eff6ff;color:#1e40af;border-color:#1d4ed8}
.badge.for_information{background:#f3f4f6;color:#374151;border-color:#9ca3af}
.kind{font-size:.75rem;color:#555;margin-left:.4rem}
.source-kind{font-size:.75rem;color:#555;margin-left:.3rem}.source-kind.official{color:#1e3a8a}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;margin:.3rem 0}dt{color:#555}dd{margin:0}
dd ul{margin:0;padding-left:1.1rem}.why p{margin:.05rem 0}.progress{font-weight:600}
.appendix{font-size:.82rem;color:#333}.appendix code{font-size:.95em;word-break:break-all}
code{font-size:.85em}
@media print{html{font-size:9pt}body{margin:0;padding:0;max-width:none;font-size:1rem;line-height:1.35}
a{color:inherit;text-decoration:none}h2{margin-top:1.1rem}h3{margin:.8rem 0 .3rem}
.item{padding:.3rem .6rem;margin:.4rem 0}dl{gap:.05rem .6rem}
.appendix{break-before:page}}
"""


def _html_item(doc: Document, item: DocItem) -> str:
    e = html.escape
    w = doc.words
    rows: list[tuple[str, str]] = [(w["kind_label"], e(item.kind_text))]
    if item.authority:
        rows.append((w["authority"], e(item.authority)))
    if item.time_limit:
        rows.append((w["time_limit"], e(item.time_limit)))
    if item.depends_on:
        rows.append((w["depends_on"], "; ".join(e(d) for d in item.depends_on)))
    if item.in_force:
        rows.append((w["in_force"], e(item.in_force)))
    if item.documents:
        rows.append((w["documents"], "<ul>" + "".join(f"<li>{e(d)}</li>" for d in item.documents) + "</ul>"))
    cites = []
    for s in item.sources:
        text = e(s.text)
        if s.url:
            text = f'<a href="{e(s.url)}">{text}</a>'
        if s.unconfirmed:
            text += f' <span class="badge to_be_verified">{e(w["status"]["to_be_verified"])}</span>'
        if s.url:
            text += f' <span class="source-kind {e(s.link_kind or "")}">{e(s.link_text)} · {e(s.host)}</span>'
        cites.append(f"<li>{text}</li>")
    rows.append((w["sources"], "<ul>" + "".join(cites) + "</ul>"))
    rows.append((w["why"], '<div class="why">' + "".join(f"<p>{e(line)}</p>" for line in item.why) + "</div>"))
    if item.progress is not None:
        state = ("✓ " + w["done"]) if item.progress.done else ("□ " + w["not_done"])
        note = f" — {e(item.progress.note)}" if item.progress.note else ""
        rows.append((w["progress"], f'<span class="progress">{e(state)}</span>{note}'))
    body = "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in rows)
    detail = f"<p>{e(item.detail)}</p>" if item.detail else ""
    number = f'<span class="num">{item.number}.</span>' if item.number else ""
    anchor = f"item-{item.id}" if item.number else f"upcoming-{item.id}"
    return (
        f'<section class="item s-{item.status}" id="{e(anchor)}"><h4>{number}{e(item.title)}'
        f'<span class="badge {item.status}">{e(item.status_text)}</span></h4>{detail}<dl>{body}</dl></section>'
    )


def _html(doc: Document) -> str:
    e = html.escape
    w = doc.words
    # a CSS string: backslash, quote and line breaks escaped; '<' too, so '</style>' cannot end the block
    running = "".join(c if c.isalnum() or c in " ·-_.,:()（）" else f"\\{ord(c):x} " for c in doc.running_header)
    parts = [
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if doc.lang == "zh" else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(doc.title)}</title><style>{_CSS.replace('__RUNNING__', running)}</style></head><body>",
        f'<header><h1>{e(doc.title)}</h1><table class="meta">'
        + "".join(f'<tr><th scope="row">{e(k)}</th><td>{e(v)}</td></tr>' for k, v in doc.meta_rows())
        + "</table></header>",
        f'<h2>{e(w["summary_heading"])}</h2><p class="summary">{e(doc.summary)}</p>',
        f'<p class="disclaimer"><strong>{e(w["disclaimer_heading"])}</strong> {e(doc.disclaimer)}</p>',
        f'<p class="legend">{e(doc.legend)}</p>',
        f"<h2>{e(w['answers'])}</h2>",
    ]
    if doc.answers:
        rows = []
        for a in doc.answers:
            cls = ' class="unknown"' if a.unknown else (' class="unused"' if not a.used else "")
            note = "" if a.used else f" ({e(w['not_used'])})"
            rows.append(f"<tr><td>{e(a.text)}</td><td{cls}>{e(a.answer)}{note}</td></tr>")
        parts.append(
            f'<table class="answers"><thead><tr><th>{e(w["question"])}</th><th>{e(w["answer"])}</th>'
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )
    else:
        parts.append(f"<p>{e(w['no_answers'])}</p>")
    parts.append(f"<h2>{e(w['routes'])}</h2>")
    if doc.routes:
        parts.append(
            "<ul>"
            + "".join(f"<li><strong>{e(r.title)}</strong>{e(w['colon'])}{e(r.applies_text)}</li>" for r in doc.routes)
            + "</ul>"
        )
    else:
        parts.append(f"<p>{e(w['no_items'])}</p>")
    for route in doc.routes:
        parts.append(f"<h2>{e(route.title)}</h2>")
        for stage_title, items in route.stages:
            parts.append(f"<h3>{e(stage_title)}</h3>")
            parts += [_html_item(doc, i) for i in items]
    if doc.upcoming:
        parts.append(f"<h2>{e(w['upcoming'])}</h2>")
        parts += [_html_item(doc, i) for i in doc.upcoming]
    parts.append(
        f"<h2>{e(w['timeline'])}</h2>"
        f"<p>{e(w['critical'])}{e(w['colon'])}<strong>{doc.statutory_working_days}</strong> "
        + e(" → ".join(doc.critical_path) or "—")
        + "</p>"
    )
    if doc.in_practice:
        parts.append(f"<p>{e(w['in_practice'])} <strong>{e(doc.in_practice)}</strong> ({e(doc.in_practice_step)})</p>")
    parts.append(f'<p class="legend">{e(doc.timeline_note)}</p>')
    for key, lines in (("typical", doc.typical), ("may_add", doc.may_add)):
        if lines:
            parts.append(f"<p>{e(w[key])}:</p><ul>" + "".join(f"<li>{e(line)}</li>" for line in lines) + "</ul>")
    if doc.open_questions:
        parts.append(
            f"<h2>{e(w['unanswered'])}</h2><ul>" + "".join(f"<li>{e(q)}</li>" for q in doc.open_questions) + "</ul>"
        )
    parts.append(_html_appendix(doc))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _html_appendix(doc: Document) -> str:
    e = html.escape
    w = doc.words
    rows = []
    for item in [*doc.items, *doc.upcoming]:
        derived = "".join(f"<li><code>{e(f)}</code></li>" for f in item.derived)
        rows.append(
            f"<tr><td>{item.number or '•'}</td><td><code>{e(item.rule)}</code>"
            + (f"<ul>{derived}</ul>" if derived else "")
            + "</td></tr>"
        )
    parts = [f'<section class="appendix"><h2>{e(w["appendix"])}</h2><p>{e(w["appendix_note"])}</p>']
    if rows:
        parts.append(
            f"<table><thead><tr><th>{e(w['number'])}</th><th>{e(w['rule'])}</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    for key, lines in (("derived", doc.derived_facts), ("conflicts", doc.conflicts), ("ignored", doc.ignored_answers)):
        if lines:
            listed = "".join(f"<li><code>{e(x)}</code></li>" for x in lines)
            parts.append(f"<h3>{e(w[key])}</h3><ul>{listed}</ul>")
    parts.append("</section>")
    return "".join(parts)


def render_html(outcome: Outcome, case: CaseDetails | None = None) -> str:
    return _html(build_document(outcome, case))


# -- dispatch ----------------------------------------------------------------------------------------


def render(outcome: Outcome, fmt: str = "json", *, case: CaseDetails | None = None) -> str:
    """Render an outcome as text: ``json`` (the outcome itself), ``md`` (Markdown) or ``html``.
    ``case`` adds what the export knows of the case (product, company, date, tick-offs).
    PDF and XLSX are binary: use ``export``."""
    if fmt == "json":
        return render_json(outcome)
    if fmt in ("md", "markdown"):
        return render_markdown(outcome, case)
    if fmt == "html":
        return render_html(outcome, case)
    if fmt in BINARY_FORMATS:
        raise ValueError(f"{fmt} is a binary format: use pathways.export(outcome, {fmt!r})")
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def export(outcome: Outcome, fmt: str, *, case: CaseDetails | None = None) -> bytes:
    """The checklist as a file's bytes in any format: json, md, html (UTF-8), pdf or xlsx."""
    if fmt == "pdf":
        from ._pdf import render_pdf

        return render_pdf(build_document(outcome, case))
    if fmt == "xlsx":
        from ._xlsx import render_xlsx

        return render_xlsx(build_document(outcome, case))
    return render(outcome, fmt, case=case).encode("utf-8")
