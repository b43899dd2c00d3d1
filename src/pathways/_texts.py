"""Words the core puts into outcomes and renderers: statuses, kinds, durations, "don't know".

One place, so that the JSON, Markdown, HTML and the timeline say the same thing in the same words.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ._outcome import SourceCitation, TimeLimitOut

__all__ = [
    "DONT_KNOW",
    "EXPORT_LABELS",
    "KIND_LABELS",
    "STAGE_LABELS",
    "STATUS_LABELS",
    "UNIT_LABELS",
    "duration_text",
    "link_kind_text",
    "link_host",
    "time_limit_text",
    "value_text",
]

DONT_KNOW = {"en": "don't know", "zh": "不清楚"}

STATUS_LABELS = {
    "en": {
        "required": "required",
        "to_determine": "to determine",
        "to_be_verified": "to be verified",
        "eligible": "eligible — optional",
        "possibly_eligible": "possibly eligible — optional",
        "for_information": "for information",
    },
    "zh": {
        "required": "必需",
        "to_determine": "待确定",
        "to_be_verified": "待核实",
        "eligible": "符合条件——可选",
        "possibly_eligible": "可能符合条件——可选",
        "for_information": "供参考",
    },
}

KIND_LABELS = {
    "en": {"obligation": "obligation", "option": "option", "guidance": "guidance"},
    "zh": {"obligation": "法定义务", "option": "可选项目", "guidance": "参考信息"},
}

UNIT_LABELS = {
    "en": {
        "working_days": ("working day", "working days"),
        "calendar_days": ("calendar day", "calendar days"),
        "weeks": ("week", "weeks"),
        "months": ("month", "months"),
        "years": ("year", "years"),
    },
    "zh": {
        "working_days": ("个工作日", "个工作日"),
        "calendar_days": ("个日历日", "个日历日"),
        "weeks": ("周", "周"),
        "months": ("个月", "个月"),
        "years": ("年", "年"),
    },
}


def link_kind_text(source: SourceCitation, lang: str) -> str:
    """What a legal-basis link leads to: 'official text', 'summary or translation by CIRS Group', or '' (no link)."""
    if source.url is None or source.link_kind is None:
        return ""
    if source.link_kind == "official":
        return "官方文本" if lang == "zh" else "official text"
    if lang == "zh":
        return f"{source.publisher}的解读或译文" if source.publisher else "解读或译文"
    return f"summary or translation by {source.publisher}" if source.publisher else "summary or translation"


def link_host(url: str) -> str:
    """The host a link goes to, as printed beside it ('www.nmpa.gov.cn')."""
    return urlsplit(url).hostname or url


def value_text(value: object, lang: str) -> str:
    """An answer as shown to a reader: yes/no, a list joined, '—' for nothing chosen."""
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, list):
        return ("、" if lang == "zh" else ", ").join(map(str, value)) if value else "—"
    return str(value)


def duration_text(tl: TimeLimitOut, lang: str) -> str:
    """'60 working days', '1–3 years', '60个工作日', '1–3年'."""
    singular, plural = UNIT_LABELS[lang][tl.unit]
    if tl.days is not None:
        amount, word = str(tl.days), singular if tl.days == 1 else plural
    else:
        amount, word = (str(tl.min) if tl.min == tl.max else f"{tl.min}–{tl.max}"), plural
    return f"{amount}{word}" if lang == "zh" else f"{amount} {word}"


def time_limit_text(tl: TimeLimitOut, lang: str) -> str:
    """The duration, what it is of, and whether the law sets it."""
    if lang == "zh":
        kind = "法定" if tl.statutory else ("通常范围，非法定" if tl.days is None else "非法定，通常或公布的平均时长")
        text = f"{duration_text(tl, lang)}：{tl.of}（{kind}）"
        return text + (f"；{tl.note}" if tl.note else "")
    kind = (
        "statutory"
        if tl.statutory
        else ("typical range, not statutory" if tl.days is None else "not statutory: typical or announced average")
    )
    text = f"{duration_text(tl, lang)} — {tl.of} ({kind})"
    return text + (f"; {tl.note}" if tl.note else "")


def _summary_en(
    *,
    product: str,
    yes: str,
    maybe: str,
    required: int,
    to_determine: int,
    to_verify: int,
    options: int,
    info: int,
    days: int,
    in_practice: str,
    open: int,
) -> str:
    parts = [f"For {product}: " if product else ""]
    if yes:
        parts.append(f"the routes that apply are {yes}")
    if maybe:
        parts.append(("; " if yes else "") + f"{maybe} may apply, depending on answers still open")
    if not yes and not maybe:
        parts.append("no approval route applies on these answers")
    if not product:  # the sentence starts here
        parts[1] = parts[1][:1].upper() + parts[1][1:]
    parts.append(
        f". The checklist holds {required} required step{'s' if required != 1 else ''}, "
        f'{to_determine} to determine (they hang on answers not given or answered "don\'t know"), '
        f"{to_verify} to be verified before relying on them, {options} option{'s' if options != 1 else ''} "
        f"the company may choose and {info} item{'s' if info != 1 else ''} for information."
    )
    if days:
        parts.append(f" The statutory clocks along the critical path add up to {days} working days")
        parts.append(f"; in practice the whole takes at least {in_practice}." if in_practice else ".")
    elif in_practice:
        parts.append(f" In practice the whole takes at least {in_practice}.")
    if open:
        parts.append(f" {open} question{'s are' if open != 1 else ' is'} still open (listed at the end).")
    return "".join(parts)


def _summary_zh(
    *,
    product: str,
    yes: str,
    maybe: str,
    required: int,
    to_determine: int,
    to_verify: int,
    options: int,
    info: int,
    days: int,
    in_practice: str,
    open: int,
) -> str:
    parts = [f"就{product}而言，" if product else ""]
    if yes:
        parts.append(f"适用的路径为{yes}")
    if maybe:
        parts.append(("；" if yes else "") + f"{maybe}可能适用，取决于尚未确定的答案")
    if not yes and not maybe:
        parts.append("根据所填答案，没有适用的审批路径")
    parts.append(
        f"。清单共有必需事项{required}项，待确定{to_determine}项（取决于未填写或回答“不清楚”的问题），"
        f"依赖前须核实的{to_verify}项，企业可自愿选择的可选项目{options}项，供参考信息{info}项。"
    )
    if days:
        parts.append(f"关键路径上的法定时限合计{days}个工作日")
        parts.append(f"；实际整体至少需要{in_practice}。" if in_practice else "。")
    elif in_practice:
        parts.append(f"实际整体至少需要{in_practice}。")
    if open:
        parts.append(f"尚有{open}个问题未回答（列于文末）。")
    return "".join(parts)


# The words of exported documents (Markdown, HTML, PDF, XLSX), one table per language.
# the stages of a checklist by their ids (pathways.STAGES), as every output and the wizard name them
STAGE_LABELS = {
    "en": {
        "preparation": "Preparation",
        "classification": "Classification",
        "testing": "Testing",
        "clinical": "Clinical",
        "registration": "Registration",
        "manufacturing": "Manufacturing",
        "post_market": "Post-market",
        "incentive": "Incentives and support",
    },
    "zh": {
        "preparation": "准备",
        "classification": "分类界定",
        "testing": "检验",
        "clinical": "临床",
        "registration": "注册/备案",
        "manufacturing": "生产",
        "post_market": "上市后",
        "incentive": "激励与支持政策",
    },
}

EXPORT_LABELS: dict[str, dict[str, Any]] = {
    "en": {
        "colon": ": ",  # after a label; Chinese uses the full-width colon
        "title": "Regulatory checklist",
        "rulebase": "Rule base",
        "as_of": "Rules as of",
        "product": "Product",
        "company": "Company",
        "case_date": "Case date",
        "generated_by": "Prepared with",
        "summary_heading": "Summary",
        "summary": _summary_en,
        "disclaimer_heading": "Not legal advice.",
        "disclaimer": "This checklist is a starting point for regulatory work, not legal advice. It was drawn "
        "from the answers below and the rule base named above, as the rules stood on {as_of}. "
        'Items marked "to be verified" rest on rules not confirmed from a primary source. Read the '
        "legal basis and confirm with the authority or a qualified adviser before acting on it.",
        "answers": "Answers given",
        "question": "Question",
        "answer": "Answer",
        "dont_know": "don't know",
        "not_used": "not used: the question does not apply to this case",
        "no_answers": "No answers given yet.",
        "routes": "Routes",
        "applies": {"yes": "applies", "maybe": "may apply"},
        "status": STATUS_LABELS["en"],
        "kind": KIND_LABELS["en"],
        "stage": STAGE_LABELS["en"],
        "checklist": "Checklist",
        "number": "No.",
        "route": "Route",
        "stage_label": "Stage",
        "item": "Item",
        "status_label": "Status",
        "kind_label": "Kind",
        "authority": "Authority",
        "documents": "Documents",
        "time_limit": "Time limit",
        "sources": "Legal basis",
        "depends_on": "After",
        "in_force": "In force",
        "why": "Why",
        "because": "Because",
        "if": "If",
        "open": "still open",
        "conditional": "if this question applies",
        "more_open": "; and {n} more open question(s) (see the end)",
        "always": "Applies to every case on this route.",
        "done": "Done",
        "not_done": "Open",
        "note": "Note",
        "owner": "Owner",
        "due": "Due date",
        "progress": "Progress",
        "ticked_off": "ticked off in the wizard",
        "upcoming": "Coming into force later",
        "from": "from",
        "until": "until",
        "timeline": "Timeline",
        "critical": "Statutory working days along the critical path",
        "in_practice": "In practice the whole takes at least",
        "typical": "Other time limits and typical durations (not added up)",
        "may_add": "May add time (to determine, or optional; not added up)",
        "unanswered": "Questions still open",
        "no_items": "No checklist items for these answers.",
        "appendix": "Appendix: technical trace",
        "appendix_note": "For consultants and auditors: the rule "
        "behind each item (rule base file and line, its condition) and the facts it derived.",
        "rule": "Rule",
        "derived": "Derived facts",
        "ignored": "Answers not used",
        "conflicts": "Conflicts in the rule base",
        "maybe_values": "possibly",
        "legend": "Obligations (steps the law requires): required — applies on these answers; to determine — "
        "depends on an answer that is unknown or missing; to be verified — the underlying rule is not "
        "yet confirmed from a primary source and must be verified before you rely on it. Options "
        "(programmes and incentives you may choose to apply for): eligible — optional, or possibly "
        "eligible — optional. Guidance: for information.",
        "page": "Page {page} of {pages}",
        "yes": "yes",
        "no": "no",
        "sheet_checklist": "Checklist",
        "sheet_answers": "Answers",
        "sheet_open": "Open questions",
        "sheet_about": "About",
    },
    "zh": {
        "colon": "：",
        "title": "法规准入清单",
        "rulebase": "规则库",
        "as_of": "规则适用日期",
        "product": "产品",
        "company": "企业",
        "case_date": "填写日期",
        "generated_by": "生成工具",
        "summary_heading": "概要",
        "summary": _summary_zh,
        "disclaimer_heading": "非法律意见。",
        "disclaimer": "本清单是法规工作的起点，不构成法律意见。清单根据下列答案和上述规则库生成，规则截至{as_of}。"
        "标为“待核实”的事项所依据的规则尚未得到一手来源确认。采取行动前，请阅读法律依据，"
        "并向主管部门或专业顾问确认。",
        "answers": "已填答案",
        "question": "问题",
        "answer": "答案",
        "dont_know": "不清楚",
        "not_used": "未采用：该问题不适用于本案",
        "no_answers": "尚未填写答案。",
        "routes": "适用路径",
        "applies": {"yes": "适用", "maybe": "可能适用"},
        "status": STATUS_LABELS["zh"],
        "kind": KIND_LABELS["zh"],
        "stage": STAGE_LABELS["zh"],
        "checklist": "清单",
        "number": "序号",
        "route": "路径",
        "stage_label": "阶段",
        "item": "事项",
        "status_label": "状态",
        "kind_label": "性质",
        "authority": "主管部门",
        "documents": "所需资料",
        "time_limit": "时限",
        "sources": "法律依据",
        "depends_on": "前置事项",
        "in_force": "有效期",
        "why": "原因",
        "because": "依据",
        "if": "如果",
        "open": "尚未确定",
        "conditional": "如该问题适用",
        "more_open": "；另有{n}个待回答问题（见文末）",
        "always": "本路径下的每个案例均适用。",
        "done": "已完成",
        "not_done": "未完成",
        "note": "备注",
        "owner": "负责人",
        "due": "截止日期",
        "progress": "进度",
        "ticked_off": "已在向导中勾选完成",
        "upcoming": "将来生效",
        "from": "自",
        "until": "至",
        "timeline": "时间线",
        "critical": "关键路径上的法定工作日",
        "in_practice": "实际整体至少需要",
        "typical": "其他时限和通常时长（不计入合计）",
        "may_add": "可能增加的时间（待确定或可选事项，不计入合计）",
        "unanswered": "尚未回答的问题",
        "no_items": "根据所填答案，没有清单事项。",
        "appendix": "附录：技术追溯",
        "appendix_note": "供顾问和审核人员使用：每个事项所依据的规则（规则库文件及行号、条件）及其推导的事实。",
        "rule": "规则",
        "derived": "推导事实",
        "ignored": "未采用的答案",
        "conflicts": "规则库冲突",
        "maybe_values": "可能",
        "legend": "法定义务：必需——根据答案适用；待确定——取决于未知或未填写的答案；待核实——该规则尚未得到一手来源确认，"
        "依赖前须核实。可选项目（可自愿申请的程序和激励政策）：符合条件——可选，或可能符合条件——可选。"
        "参考信息：供参考。",
        "page": "第{page}页，共{pages}页",
        "yes": "是",
        "no": "否",
        "sheet_checklist": "清单",
        "sheet_answers": "答案",
        "sheet_open": "待回答问题",
        "sheet_about": "说明",
    },
}
