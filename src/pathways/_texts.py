"""Words the core puts into outcomes and renderers: statuses, kinds, durations, "don't know".

One place, so that the JSON, Markdown, HTML and the timeline say the same thing in the same words.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ._outcome import SourceCitation, TimeLimitOut

__all__ = ["DONT_KNOW", "KIND_LABELS", "STATUS_LABELS", "UNIT_LABELS", "duration_text", "link_kind_text",
           "link_host", "time_limit_text", "value_text"]

DONT_KNOW = {"en": "don't know", "zh": "不清楚"}

STATUS_LABELS = {
    "en": {"required": "required", "to_determine": "to determine", "to_be_verified": "to be verified",
           "eligible": "eligible — optional", "possibly_eligible": "possibly eligible — optional",
           "for_information": "for information"},
    "zh": {"required": "必需", "to_determine": "待确定", "to_be_verified": "待核实",
           "eligible": "符合条件——可选", "possibly_eligible": "可能符合条件——可选",
           "for_information": "供参考"},
}

KIND_LABELS = {
    "en": {"obligation": "obligation", "option": "option", "guidance": "guidance"},
    "zh": {"obligation": "法定义务", "option": "可选项目", "guidance": "参考信息"},
}

UNIT_LABELS = {
    "en": {"working_days": ("working day", "working days"), "calendar_days": ("calendar day", "calendar days"),
           "weeks": ("week", "weeks"), "months": ("month", "months"), "years": ("year", "years")},
    "zh": {"working_days": ("个工作日", "个工作日"), "calendar_days": ("个日历日", "个日历日"),
           "weeks": ("周", "周"), "months": ("个月", "个月"), "years": ("年", "年")},
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
    kind = "statutory" if tl.statutory else ("typical range, not statutory" if tl.days is None
                                             else "not statutory: typical or announced average")
    text = f"{duration_text(tl, lang)} — {tl.of} ({kind})"
    return text + (f"; {tl.note}" if tl.note else "")
