"""How the wizard writes the core's values: answers, statuses, stages, time limits, legal sources.

The words themselves come from the core where it has them: an outcome's stage titles and status
words from the outcome itself (``outcome.labels``, so the wizard on a remote server shows the
server's words, as its exports do), the rest from ``pathways`` (``STATUS_LABELS``,
``time_limit_text``, ``duration_text``, ``link_kind_text``); and from ``i18n`` (the wizard's own
words). Here they are put together for the screen. The grouping of a checklist is the core's
(``pathways.items_by_route_and_stage``), as in every export.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from textual.content import Content

import pathways
from pathways import STATUS_LABELS, ItemResult, Labels, QuestionOut, SourceCitation, duration_text, link_kind_text

from .i18n import list_sep, paren, t
from .widgets.text import link_line

__all__ = [
    "STATUS_STYLE",
    "UNKNOWN_TEXT",
    "cite_text",
    "display_value",
    "item_status_text",
    "short_time_limit",
    "stage_name",
    "status_text",
    "value_text",
]

UNKNOWN_TEXT = "unknown"  # "don't know", as an answers file holds it

# "required" in the text colour, as in the exports: green would say "done" (a tick is green here)
STATUS_STYLE = {
    "required": "$foreground",
    "to_determine": "$warning",
    "to_be_verified": "$error",
    "eligible": "$accent",
    "possibly_eligible": "$accent",
    "for_information": "$foreground-muted",
}


def _words(lang: str) -> str:
    return "zh" if lang == "zh" else "en"


def display_value(question: QuestionOut, value: Any, lang: str) -> str:
    """An answer (as an answers file holds it) as the user would say it: option labels, yes/no,
    the unit, "don't know" as the button that gives it says it.

    (The core's ``display_value`` reads engine values for the outcome's trace and returns labels,
    not a sentence part: the two differ in more than their input.)
    """
    if value is None:
        return ""
    if value == UNKNOWN_TEXT or value is pathways.UNKNOWN:
        return t(lang, "dont_know")
    labels = {o.value: o.label for o in question.options}
    if question.type == "yes_no":
        return t(lang, "yes") if value is True else t(lang, "no")
    if question.type == "choice":
        return labels.get(str(value), str(value))
    if question.type == "multi":
        chosen = [labels.get(str(v), str(v)) for v in value] if isinstance(value, list) else [str(value)]
        if not chosen:
            return t(lang, "none_selected")
        return ("、" if lang == "zh" else ", ").join(chosen)
    if question.type == "number":
        text = f"{value:g}" if isinstance(value, float) else str(value)
        return f"{text} {question.unit}" if question.unit else text
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def value_text(value: object, lang: str) -> str:
    """A value of the outcome's trace (an answer given, a derived fact): yes/no, a list joined."""
    if isinstance(value, bool):
        return t(lang, "yes") if value else t(lang, "no")
    if isinstance(value, list):
        return list_sep(lang).join(map(str, value)) if value else t(lang, "none_selected")
    return str(value)


def _word(words: Mapping[Any, str], code: str) -> str:
    """A code's word in one of an outcome's labels (the code itself if they lack it)."""
    return words.get(code, code)


def stage_name(stage: str, labels: Labels) -> str:
    """A stage's title as the outcome gives it (``outcome.labels``)."""
    return _word(labels.stages, stage)


def status_text(status: str, labels: Labels) -> Content:
    """A status word as the outcome gives it (``outcome.labels``), in the status's colour."""
    return Content.styled(_word(labels.statuses, status), f"bold {STATUS_STYLE[status]}")


def item_status_text(item: ItemResult, labels: Labels, lang: str) -> Content:
    """The status; an option or guidance resting on an unconfirmed rule says so beside it (the
    words: the outcome's ``labels``; ``lang``: the wizard's, for the brackets)."""
    text = status_text(item.status, labels)
    if item.kind != "obligation" and not item.confirmed:
        text = Content.assemble(
            text,
            Content.styled(
                paren(lang, _word(labels.statuses, "to_be_verified")),
                f"bold {STATUS_STYLE['to_be_verified']}",
            ),
        )
    return text


def short_time_limit(item: ItemResult, lang: str) -> str | None:
    """An item's time limit in a few characters, for its line in the list ("60 wd", "60个工作日");
    the detail pane gives it in full (``pathways.time_limit_text``)."""
    tl = item.time_limit
    if tl is None:
        return None
    if tl.days is None:
        return duration_text(tl, lang)
    if lang == "zh":
        return f"{tl.days}{'个工作日' if tl.unit == 'working_days' else '天'}"
    return f"{tl.days} {'wd' if tl.unit == 'working_days' else 'days'}"


def cite_text(source: SourceCitation, lang: str) -> Content:
    """One legal source: title, number, article and "to be verified"; below it what its link leads
    to, and the link on a line of its own (never broken: ``TextPane`` scrolls sideways for it)."""
    parts: list[Content | str | tuple[str, str]] = [Content(source.title)]
    if source.number:
        parts.append(Content(" " + source.number))
    if source.article:
        parts.append(Content(" " + t(lang, "article", a=source.article)))
    if source.unconfirmed:
        parts.append((paren(lang, STATUS_LABELS[_words(lang)]["to_be_verified"], en="  [{}]"), "$warning"))
    line = Content.assemble(*parts)
    if source.url:
        line = Content.assemble(
            line, "\n  ", Content.styled(link_kind_text(source, lang), "italic"), "\n", link_line(source.url)
        )
    return line
