"""Renderers: an Outcome as JSON, Markdown or one self-contained, printable HTML file."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

from ._models import STAGES
from ._outcome import ItemResult, Outcome
from ._texts import (KIND_LABELS, STATUS_LABELS, duration_text, link_host, link_kind_text, time_limit_text,
                     value_text)

__all__ = ["FORMATS", "render", "render_json", "render_markdown", "render_html"]

FORMATS = ("json", "md", "html")

_L = {
    "en": {
        "title": "Regulatory checklist", "rulebase": "Rule base", "as_of": "As of",
        "routes": "Routes", "applies": {"yes": "applies", "maybe": "may apply"},
        "status": STATUS_LABELS["en"], "kind": KIND_LABELS["en"],
        "stage": {"preparation": "Preparation", "classification": "Classification", "testing": "Testing",
                  "clinical": "Clinical", "registration": "Registration", "manufacturing": "Manufacturing",
                  "post_market": "Post-market", "incentive": "Incentives and support"},
        "authority": "Authority", "documents": "Documents", "time_limit": "Time limit",
        "sources": "Legal basis", "article": "Art.",
        "why": "Why", "facts": "derived",
        "upcoming": "Coming into force later", "from": "from", "until": "until",
        "derived": "Derived facts", "timeline": "Timeline", "critical": "Statutory working days along the critical path",
        "ignored": "Answers not used", "unanswered": "Questions still open", "conflicts": "Conflicts in the rule base",
        "no_items": "No checklist items for these answers.",
        "legend": "Obligations (steps the law requires): **required** — applies on these answers; **to determine** "
                  "— depends on an answer that is unknown or missing; **to be verified** — the underlying rule is "
                  "not yet confirmed from a primary source and must be verified before you rely on it. "
                  "Options (programmes and incentives you may choose to apply for): **eligible — optional** or "
                  "**possibly eligible — optional**. Guidance: **for information**.",
        "after": "after", "maybe_values": "possibly",
        "because": "Because", "if": "If", "open": "still open", "conditional": "if this question applies",
        "rule": "Rule", "kind_label": "Kind", "typical": "Other time limits and typical durations (not added up)",
        "in_practice": "In practice the whole takes at least",
        "may_add": "May add time (to determine, or optional; not added up)",
    },
    "zh": {
        "title": "法规准入清单", "rulebase": "规则库", "as_of": "评估日期",
        "routes": "适用路径", "applies": {"yes": "适用", "maybe": "可能适用"},
        "status": STATUS_LABELS["zh"], "kind": KIND_LABELS["zh"],
        "stage": {"preparation": "准备", "classification": "分类界定", "testing": "检验",
                  "clinical": "临床", "registration": "注册/备案", "manufacturing": "生产",
                  "post_market": "上市后", "incentive": "激励与支持政策"},
        "authority": "主管部门", "documents": "所需资料", "time_limit": "时限",
        "sources": "法律依据", "article": "第",
        "why": "原因", "facts": "推导",
        "upcoming": "将来生效", "from": "自", "until": "至",
        "derived": "推导事实", "timeline": "时间线", "critical": "关键路径上的法定工作日",
        "ignored": "未采用的答案", "unanswered": "尚未回答的问题", "conflicts": "规则库冲突",
        "no_items": "根据所填答案，没有清单事项。",
        "legend": "法定义务：**必需**——根据答案适用；**待确定**——取决于未知或未填写的答案；**待核实**——该规则尚未得到一手来源确认，"
                  "依赖前须核实。可选项目（可自愿申请的程序和激励政策）：**符合条件——可选**或**可能符合条件——可选**。"
                  "参考信息：**供参考**。",
        "after": "在其后", "maybe_values": "可能",
        "because": "依据", "if": "如果", "open": "尚未确定", "conditional": "如该问题适用",
        "rule": "规则", "kind_label": "性质", "typical": "其他时限和通常时长（不计入合计）",
        "in_practice": "实际整体至少需要", "may_add": "可能增加的时间（待确定或可选事项，不计入合计）",
    },
}


def render_json(outcome: Outcome) -> str:
    return outcome.model_dump_json(indent=2) + "\n"


def _article(lang: str, article: str | None) -> str:
    if not article:
        return ""
    return f" 第{article}条" if lang == "zh" else f", Art. {article}"


def _time_limit(lang: str, item: ItemResult) -> str | None:
    return time_limit_text(item.time_limit, lang) if item.time_limit else None


def _status_text(lang: str, item: ItemResult) -> str:
    """'required', 'eligible — optional (to be verified)', ..."""
    text = _L[lang]["status"][item.status]
    if item.kind != "obligation" and not item.confirmed:
        text += "（" + _L[lang]["status"]["to_be_verified"] + "）" if lang == "zh" else \
            f" ({_L[lang]['status']['to_be_verified']})"
    return text


def _why(lang: str, item: ItemResult) -> list[str]:
    """Why an item is there, in words: the answers that put it there, and for an item that hinges on
    open questions, 'if' those questions take the values that would keep it."""
    L = _L[lang]
    sep = "；" if lang == "zh" else "; "
    colon = "：" if lang == "zh" else ": "
    lines = []
    given = [f"{a.text} — {_value(a.value, lang)}" + (f" ({L['conditional']})" if a.conditional else "")
             for a in item.trace.answers]
    if given:
        lines.append(L["because"] + colon + sep.join(given))
    open_q = [f"{q.text} — {' / '.join(_value(v, lang) for v in q.if_values)}" if q.if_values
              else f"{q.text} ({L['open']})" for q in item.trace.open_questions]
    if open_q:
        lines.append(L["if"] + colon + sep.join(open_q))
    return lines


def _rule_line(lang: str, item: ItemResult) -> str:
    L = _L[lang]
    text = f"{L['rule']}: `{item.trace.condition}`"
    if item.trace.facts:
        text += " · " + L["facts"] + ": " + "; ".join(f"{f.fact} = {_value(f.value)} ({f.rule})" for f in item.trace.facts)
    return text


def _grouped(outcome: Outcome, items: list[ItemResult]) -> Iterator[tuple[str, str, list[ItemResult]]]:
    titles = {r.id: r.title for r in outcome.routes}
    for route in [r.id for r in outcome.routes] + sorted({i.route for i in items} - set(titles)):
        for stage in STAGES:
            chosen = [i for i in items if i.route == route and i.stage == stage]
            if chosen:
                yield titles.get(route, route), stage, chosen


def _value(value: Any, lang: str = "en") -> str:
    return value_text(value, lang)


def render_markdown(outcome: Outcome) -> str:
    lang = outcome.lang
    L = _L[lang]
    rb = outcome.rulebase
    out = [f"# {L['title']}", "",
           f"{L['rulebase']}: `{rb.id}` {rb.version} (sha256 `{rb.hash[:12]}`) · {L['as_of']}: {outcome.as_of}", "",
           L["legend"], ""]
    out += [f"## {L['routes']}", ""]
    for r in outcome.routes:
        out.append(f"- **{r.title}** (`{r.id}`): {L['applies'][r.applies]}")
    if not outcome.routes:
        out.append(f"- {L['no_items']}")
    out.append("")

    def item_md(item: ItemResult, number: str) -> list[str]:
        lines = [f"#### {number} {item.title} — *{_status_text(lang, item)}*", ""]
        if item.detail:
            lines += [item.detail, ""]
        if item.authority:
            lines.append(f"- {L['authority']}: {item.authority.name}")
        tl = _time_limit(lang, item)
        if tl:
            lines.append(f"- {L['time_limit']}: {tl}")
        if item.after:
            lines.append(f"- {L['after']}: " + ", ".join(f"`{a}`" for a in item.after))
        if item.valid_from or item.valid_to:
            lines.append(f"- {L['from']} {item.valid_from or '…'} {L['until']} {item.valid_to or '…'}")
        if item.documents:
            lines.append(f"- {L['documents']}:")
            lines += [f"  - {d}" for d in item.documents]
        lines.append(f"- {L['sources']}:")
        for s in item.sources:
            flag = f" ({L['status']['to_be_verified']})" if s.unconfirmed else ""
            number_text = f" {s.number}" if s.number else ""
            link = f" — {link_kind_text(s, lang)} <{s.url}>" if s.url else ""
            lines.append(f"  - {s.title}{number_text}{_article(lang, s.article)}{flag}{link}")
        lines.append(f"- {L['why']}:")
        lines += [f"  - {w}" for w in _why(lang, item)]
        lines.append(f"  - {_rule_line(lang, item)}")
        lines.append(f"- {L['kind_label']}: {L['kind'][item.kind]}")
        lines.append(f"- id: `{item.id}`")
        lines.append("")
        return lines

    count = 0
    current_route = None
    for route_title, stage, items in _grouped(outcome, outcome.items):
        if route_title != current_route:
            out += [f"## {route_title}", ""]
            current_route = route_title
        out += [f"### {L['stage'][stage]}", ""]
        for item in items:
            count += 1
            out += item_md(item, f"{count}.")
    if not outcome.items:
        out += [L["no_items"], ""]
    if outcome.upcoming:
        out += [f"## {L['upcoming']}", ""]
        for item in outcome.upcoming:
            out += item_md(item, "•")
    t = outcome.timeline
    titles = {i.id: i.title for i in outcome.items}
    out += [f"## {L['timeline']}", "",
            f"{L['critical']}: **{t.statutory_working_days}** "
            + (" → ".join(titles.get(i, i) for i in t.critical_path) or "—"), ""]
    if t.longest_typical:
        out += [f"{L['in_practice']} **{duration_text(t.longest_typical.time_limit, lang)}** "
                f"({t.longest_typical.title})", ""]
    out += [t.note, ""]
    for key, steps in (("typical", t.typical), ("may_add", t.may_add)):
        if steps:
            out += [f"{L[key]}:", ""]
            out += [f"- {s.title}: {time_limit_text(s.time_limit, lang)}" for s in steps]
            out.append("")
    if outcome.facts:
        out += [f"## {L['derived']}", ""]
        for f in outcome.facts:
            prefix = "" if f.certain else f"{L['maybe_values']} "
            out.append(f"- `{f.fact}` = {prefix}{', '.join(map(_value, f.values))} ({', '.join(f.rules)})")
        out.append("")
    if outcome.conflicts:
        out += [f"## {L['conflicts']}", ""]
        out += [f"- `{c.fact}`: {', '.join(map(_value, c.values))} ({', '.join(c.rules)})" for c in outcome.conflicts]
        out.append("")
    if outcome.unanswered_questions:
        out += [f"## {L['unanswered']}", ""] + [f"- {q.text}" for q in outcome.unanswered_questions] + [""]
    if outcome.ignored_answers:
        out += [f"## {L['ignored']}", ""]
        out += [f"- `{a.question}` = {_value(a.value)}: {a.reason}" for a in outcome.ignored_answers]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


_CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;max-width:60rem;
margin:2rem auto;padding:0 1rem;color:#1d1d1f;line-height:1.5}
h1{font-size:1.6rem}h2{border-bottom:2px solid #ccd;padding-bottom:.2rem;margin-top:2rem}
.meta{color:#555;font-size:.9rem}.legend{background:#f5f5fa;padding:.6rem .8rem;border-radius:6px;font-size:.9rem}
.item{border:1px solid #dde;border-radius:6px;padding:.6rem .9rem;margin:.7rem 0;page-break-inside:avoid}
.item h4{margin:.1rem 0 .4rem 0}.badge{font-size:.75rem;padding:.1rem .45rem;border-radius:4px;margin-left:.4rem;
white-space:nowrap}.required{background:#e3f2e5;color:#1b5e20}.to_determine{background:#fff4d6;color:#7a5200}
.to_be_verified{background:#fde2e1;color:#8b1a13}.eligible,.possibly_eligible{background:#e4eefb;color:#12467a}
.for_information{background:#eeeeee;color:#444}.kind{font-size:.75rem;color:#666;margin-left:.4rem}
.source-kind{font-size:.75rem;color:#555;margin-left:.4rem;white-space:nowrap}.source-kind.official{color:#12467a}
.why{color:#444;font-size:.88rem}.why p{margin:.1rem 0}code{font-size:.85em}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;margin:.3rem 0}dt{color:#555}dd{margin:0}
@media print{body{margin:0;max-width:none}a{color:inherit;text-decoration:none}}
"""


def render_html(outcome: Outcome) -> str:
    lang = outcome.lang
    L = _L[lang]
    e = html.escape
    rb = outcome.rulebase
    legend = e(L["legend"]).replace("**", "")
    parts = [f"<!DOCTYPE html><html lang=\"{'zh-CN' if lang == 'zh' else 'en'}\"><head><meta charset=\"utf-8\">",
             f"<title>{e(L['title'])}</title><style>{_CSS}</style></head><body>",
             f"<h1>{e(L['title'])}</h1>",
             f"<p class=\"meta\">{e(L['rulebase'])}: <code>{e(rb.id)}</code> {e(rb.version)} (sha256 "
             f"<code>{e(rb.hash[:12])}</code>) · {e(L['as_of'])}: {outcome.as_of}</p>",
             f"<p class=\"legend\">{legend}</p>", f"<h2>{e(L['routes'])}</h2><ul>"]
    parts += [f"<li><strong>{e(r.title)}</strong> (<code>{e(r.id)}</code>): {e(L['applies'][r.applies])}</li>"
              for r in outcome.routes]
    parts.append("</ul>")

    def item_html(item: ItemResult) -> str:
        rows = []
        if item.authority:
            rows.append((L["authority"], e(item.authority.name)))
        tl = _time_limit(lang, item)
        if tl:
            rows.append((L["time_limit"], e(tl)))
        if item.valid_from or item.valid_to:
            rows.append(("", e(f"{L['from']} {item.valid_from or '…'} {L['until']} {item.valid_to or '…'}")))
        if item.documents:
            rows.append((L["documents"], "<ul>" + "".join(f"<li>{e(d)}</li>" for d in item.documents) + "</ul>"))
        cites = []
        for s in item.sources:
            title = e(s.title) + (f" {e(s.number)}" if s.number else "") + e(_article(lang, s.article))
            if s.url:
                title = f"<a href=\"{e(s.url)}\">{title}</a>"
            if s.unconfirmed:
                title += f" <span class=\"badge to_be_verified\">{e(L['status']['to_be_verified'])}</span>"
            if s.url:
                title += (f" <span class=\"source-kind {e(s.link_kind or '')}\">{e(link_kind_text(s, lang))}"
                          f" · {e(link_host(s.url))}</span>")
            cites.append(f"<li>{title}</li>")
        rows.append((L["sources"], "<ul>" + "".join(cites) + "</ul>"))
        why = "".join(f"<p>{e(w)}</p>" for w in _why(lang, item))
        rule = e(_rule_line(lang, item)).replace(f"`{e(item.trace.condition)}`",
                                                 f"<code>{e(item.trace.condition)}</code>")
        body = "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in rows)
        detail = f"<p>{e(item.detail)}</p>" if item.detail else ""
        return (f"<div class=\"item {item.kind}\" id=\"{e(item.id)}\"><h4>{e(item.title)}<span class=\"badge "
                f"{item.status}\">{e(_status_text(lang, item))}</span><span class=\"kind\">{e(L['kind'][item.kind])}"
                f"</span></h4>{detail}<dl>{body}</dl>"
                f"<div class=\"why\"><p><strong>{e(L['why'])}</strong></p>{why}<p>{rule}</p></div></div>")

    current = None
    for route_title, stage, items in _grouped(outcome, outcome.items):
        if route_title != current:
            parts.append(f"<h2>{e(route_title)}</h2>")
            current = route_title
        parts.append(f"<h3>{e(L['stage'][stage])}</h3>")
        parts += [item_html(i) for i in items]
    if not outcome.items:
        parts.append(f"<p>{e(L['no_items'])}</p>")
    if outcome.upcoming:
        parts.append(f"<h2>{e(L['upcoming'])}</h2>")
        parts += [item_html(i) for i in outcome.upcoming]
    t = outcome.timeline
    titles = {i.id: i.title for i in outcome.items}
    parts.append(f"<h2>{e(L['timeline'])}</h2><p>{e(L['critical'])}: <strong>{t.statutory_working_days}</strong> "
                 + e(" → ".join(titles.get(i, i) for i in t.critical_path)) + "</p>")
    if t.longest_typical:
        parts.append(f"<p>{e(L['in_practice'])} <strong>{e(duration_text(t.longest_typical.time_limit, lang))}"
                     f"</strong> ({e(t.longest_typical.title)})</p>")
    parts.append(f"<p class=\"meta\">{e(t.note)}</p>")
    for key, steps in (("typical", t.typical), ("may_add", t.may_add)):
        if steps:
            parts.append(f"<p>{e(L[key])}:</p><ul>" + "".join(
                f"<li>{e(s.title)}: {e(time_limit_text(s.time_limit, lang))}</li>" for s in steps) + "</ul>")
    if outcome.facts:
        parts.append(f"<h2>{e(L['derived'])}</h2><ul>" + "".join(
            f"<li><code>{e(f.fact)}</code> = {'' if f.certain else e(L['maybe_values']) + ' '}"
            f"{e(', '.join(map(_value, f.values)))}</li>" for f in outcome.facts) + "</ul>")
    if outcome.unanswered_questions:
        parts.append(f"<h2>{e(L['unanswered'])}</h2><ul>" + "".join(
            f"<li>{e(q.text)}</li>" for q in outcome.unanswered_questions) + "</ul>")
    if outcome.ignored_answers:
        parts.append(f"<h2>{e(L['ignored'])}</h2><ul>" + "".join(
            f"<li><code>{e(a.question)}</code> = {e(_value(a.value))}: {e(a.reason)}</li>"
            for a in outcome.ignored_answers) + "</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def render(outcome: Outcome, fmt: str = "json") -> str:
    """Render an outcome as ``json``, ``md`` (Markdown) or ``html``."""
    if fmt == "json":
        return render_json(outcome)
    if fmt in ("md", "markdown"):
        return render_markdown(outcome)
    if fmt == "html":
        return render_html(outcome)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
