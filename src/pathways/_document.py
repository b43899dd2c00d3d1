"""The exported checklist as a document: what a regulatory manager forwards to a boss or a client.

An ``Outcome`` is what the engine concluded; a ``Document`` is that outcome put in reading order for
one case: a title block (product, company, case date, the rules' date and version), a summary in one
paragraph, the answers given, the disclaimer, the checklist numbered by route and stage with a
plain-language "why", the timeline and the questions still open, and an appendix with the technical
trace. Every exported format (Markdown, HTML, PDF, XLSX) is drawn from it, so they say the same thing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._dates import parse_date
from ._models import STAGES
from ._outcome import ItemResult, Outcome
from ._texts import (
    EXPORT_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
    duration_text,
    link_host,
    link_kind_text,
    time_limit_text,
    value_text,
)

__all__ = [
    "CaseDetails",
    "DocItem",
    "DocSource",
    "Document",
    "ItemProgress",
    "build_document",
    "items_by_route_and_stage",
]


def _route_order(outcome: Outcome) -> list[str]:
    """The outcome's routes in order, then routes that only items name (sorted)."""
    titles = {r.id for r in outcome.routes}
    return [r.id for r in outcome.routes] + sorted({i.route for i in outcome.items} - titles)


def items_by_route_and_stage(outcome: Outcome) -> list[tuple[str, str, str, list[ItemResult]]]:
    """The checklist in reading order: ``(route id, route title, stage, items)`` for each route (in
    the outcome's order) and stage (in ``STAGES`` order) that has items. Every export numbers the
    items in this order, and the wizard lists them so."""
    titles = {r.id: r.title for r in outcome.routes}
    groups = []
    for route in _route_order(outcome):
        for stage in STAGES:
            chosen = [i for i in outcome.items if i.route == route and i.stage == stage]
            if chosen:
                groups.append((route, titles.get(route, route), stage, chosen))
    return groups


@dataclass(frozen=True)
class ItemProgress:
    """What the company has done about one item: ticked off in the wizard, and its own note."""

    done: bool = False
    note: str = ""


@dataclass(frozen=True)
class CaseDetails:
    """What the export knows of the case beyond its answers. Everything is optional."""

    product: str = ""
    company: str = ""
    case_date: dt.date | None = None
    progress: Mapping[str, ItemProgress] = field(default_factory=dict)

    @classmethod
    def from_case_metadata(
        cls,
        meta: Mapping[str, Any] | None,
        *,
        product: str | None = None,
        company: str | None = None,
        case_date: dt.date | None = None,
    ) -> CaseDetails:
        """From the ``case:`` block the wizard writes into a saved case (product, company, updated or
        created, ticked, notes); the keyword arguments override it. Malformed entries are skipped:
        metadata never stops an export."""
        meta = meta if isinstance(meta, Mapping) else {}

        def text(value: Any) -> str:
            return value.strip() if isinstance(value, str) else ""

        when = case_date
        if when is None:
            for key in ("updated", "created"):
                raw = meta.get(key)
                if isinstance(raw, (str, dt.date)):
                    try:
                        when = parse_date(raw if isinstance(raw, dt.date) else raw[:10])
                        break
                    except ValueError:
                        continue
        progress: dict[str, ItemProgress] = {}
        ticked = meta.get("ticked")
        notes = meta.get("notes")
        notes = notes if isinstance(notes, Mapping) else {}
        for item in ticked if isinstance(ticked, list) else ():
            if isinstance(item, str):
                progress[item] = ItemProgress(done=True, note=text(notes.get(item)))
        for item, note in notes.items():
            if isinstance(item, str) and item not in progress and text(note):
                progress[item] = ItemProgress(done=False, note=text(note))
        return cls(
            product=product if product is not None else text(meta.get("product")),
            company=company if company is not None else text(meta.get("company")),
            case_date=when,
            progress=progress,
        )


@dataclass(frozen=True)
class DocSource:
    text: str  # title, number and article: '医疗器械监督管理条例 国务院令第739号 第15条'
    url: str | None
    link_text: str  # 'official text', 'summary or translation by CIRS Group', '' without a link
    link_kind: str | None
    host: str
    unconfirmed: bool


@dataclass(frozen=True)
class DocItem:
    number: int  # 0 for an item that comes into force later (not numbered)
    id: str
    route: str
    route_title: str
    stage: str
    stage_title: str
    title: str
    detail: str
    status: str
    status_text: str
    kind: str
    kind_text: str
    authority: str
    documents: list[str]
    time_limit: str
    depends_on: list[str]  # '3. Classification of the device'
    in_force: str  # 'from 2026-01-01 until …' or ''
    sources: list[DocSource]
    why: list[str]  # in words: the answers that put it there, and what would keep it
    progress: ItemProgress | None
    rule: str  # the technical trace (appendix, XLSX never)
    derived: list[str]


@dataclass(frozen=True)
class DocRoute:
    id: str
    title: str
    applies_text: str
    stages: list[tuple[str, list[DocItem]]]


@dataclass(frozen=True)
class DocAnswer:
    question: str
    text: str
    answer: str
    unknown: bool
    used: bool


@dataclass(frozen=True)
class Document:
    lang: str
    words: Mapping[str, Any]  # the labels of this language (EXPORT_LABELS[lang])
    title: str
    product: str
    company: str
    case_date: dt.date | None
    as_of: dt.date
    rulebase_id: str
    rulebase_version: str
    rulebase_hash: str
    summary: str
    disclaimer: str
    legend: str
    answers: list[DocAnswer]
    routes: list[DocRoute]
    items: list[DocItem]  # numbered, in reading order
    upcoming: list[DocItem]
    critical_path: list[str]
    statutory_working_days: int
    in_practice: str  # '1–3 years': what the whole takes at least ('' when nothing says)
    in_practice_step: str  # the step that takes it: '3. Apply for new food raw material approval'
    timeline_note: str
    typical: list[str]
    may_add: list[str]
    open_questions: list[str]
    derived_facts: list[str]
    conflicts: list[str]
    ignored_answers: list[str]
    has_progress: bool

    def meta_rows(self) -> list[tuple[str, str]]:
        """The title block: product, company, case date, the rules' date, the rule base."""
        w = self.words
        rows = []
        if self.product:
            rows.append((w["product"], self.product))
        if self.company:
            rows.append((w["company"], self.company))
        if self.case_date:
            rows.append((w["case_date"], self.case_date.isoformat()))
        rows.append((w["as_of"], self.as_of.isoformat()))
        rows.append((w["rulebase"], f"{self.rulebase_id} {self.rulebase_version} (sha256 {self.rulebase_hash[:12]})"))
        rows.append((w["generated_by"], "pathways"))
        return rows

    @property
    def running_header(self) -> str:
        """What heads every printed page: the product (or the title) and the case date."""
        when = self.case_date or self.as_of
        return f"{self.product or self.title} · {when.isoformat()}"


WHY_OPEN_QUESTIONS = 3


def _articles(lang: str, articles: list[str]) -> str:
    """' 第4、5、9条' or ', Arts. 4, 5, 9' (', Art. 4' for one)."""
    if not articles:
        return ""
    if lang == "zh":
        return f" 第{'、'.join(articles)}条"
    return (", Art. " if len(articles) == 1 else ", Arts. ") + ", ".join(articles)


def status_text(lang: str, item: ItemResult) -> str:
    """'required', 'eligible — optional (to be verified)', ..."""
    text = STATUS_LABELS[lang][item.status]
    if item.kind != "obligation" and not item.confirmed:
        verify = STATUS_LABELS[lang]["to_be_verified"]
        text += f"（{verify}）" if lang == "zh" else f" ({verify})"
    return text


def why_lines(lang: str, item: ItemResult) -> list[str]:
    """Why an item is there, in words: the answers that put it there, and for an item that hinges on
    open questions, 'if' those questions take the values that would keep it."""
    words = EXPORT_LABELS[lang]
    sep = "；" if lang == "zh" else "; "
    colon = "：" if lang == "zh" else ": "
    lines = []
    given = [
        f"{a.text} — {value_text(a.value, lang)}" + (f" ({words['conditional']})" if a.conditional else "")
        for a in item.trace.answers
    ]
    if given:
        lines.append(words["because"] + colon + sep.join(given))
    # the first few deciding questions: a reader needs to know what to answer next, not every branch
    open_q = [
        f"{q.text} — {' / '.join(value_text(v, lang) for v in q.if_values)}"
        if q.if_values
        else f"{q.text} ({words['open']})"
        for q in item.trace.open_questions[:WHY_OPEN_QUESTIONS]
    ]
    if open_q:
        more = len(item.trace.open_questions) - len(open_q)
        lines.append(words["if"] + colon + sep.join(open_q) + (words["more_open"].format(n=more) if more else ""))
    if not lines:
        lines.append(words["always"])
    return lines


def _summary(outcome: Outcome, product: str) -> str:
    lang = outcome.lang
    words = EXPORT_LABELS[lang]
    yes = [r.title for r in outcome.routes if r.applies == "yes"]
    maybe = [r.title for r in outcome.routes if r.applies == "maybe"]
    count = {key: 0 for key in STATUS_LABELS["en"]}
    for item in outcome.items:
        count[item.status] += 1
    options = count["eligible"] + count["possibly_eligible"]
    t = outcome.timeline
    in_practice = duration_text(t.longest_typical.time_limit, lang) if t.longest_typical else ""
    join = "、" if lang == "zh" else ", "
    summary: Callable[..., str] = words["summary"]
    return summary(
        product=product,
        yes=join.join(yes),
        maybe=join.join(maybe),
        required=count["required"],
        to_determine=count["to_determine"],
        to_verify=count["to_be_verified"],
        options=options,
        info=count["for_information"],
        days=t.statutory_working_days,
        in_practice=in_practice,
        open=len(outcome.unanswered_questions),
    )


def plain_text(text: str) -> str:
    """A company's own words made safe for every format: control characters (which XLSX cannot hold
    and a terminal would obey) become spaces, and a lone surrogate (not encodable as UTF-8) '\ufffd'."""
    if text.isprintable():
        return text
    cleaned = "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch if ch.isprintable() else " " for ch in text)
    return " ".join(cleaned.split())


def build_document(outcome: Outcome, case: CaseDetails | None = None) -> Document:
    """Put an outcome in reading order for one case (see the module's docstring)."""
    case = case or CaseDetails()
    case = CaseDetails(
        product=plain_text(case.product),
        company=plain_text(case.company),
        case_date=case.case_date,
        progress={k: ItemProgress(v.done, plain_text(v.note)) for k, v in case.progress.items()},
    )
    lang = outcome.lang
    words = EXPORT_LABELS[lang]
    route_titles = {r.id: r.title for r in outcome.routes}
    order = _route_order(outcome)
    numbered = [item for *_, items in items_by_route_and_stage(outcome) for item in items]
    numbers = {item.id: n for n, item in enumerate(numbered, 1)}
    titles = {i.id: i.title for i in [*outcome.items, *outcome.upcoming]}

    def ref(iid: str) -> str:
        return f"{numbers[iid]}. {titles.get(iid, iid)}" if iid in numbers else titles.get(iid, iid)

    def doc_item(item: ItemResult, number: int) -> DocItem:
        sources = []
        # one line per instrument, its cited articles together, in the order first cited
        cited: dict[str, list[str]] = {}
        first: dict[str, Any] = {}
        for s in item.sources:
            first.setdefault(s.id, s)
            articles = cited.setdefault(s.id, [])
            if s.article and s.article not in articles:
                articles.append(s.article)
        for sid, s in first.items():
            text = s.title + (f" {s.number}" if s.number else "") + _articles(lang, cited[sid])
            sources.append(
                DocSource(
                    text=text,
                    url=s.url,
                    link_text=link_kind_text(s, lang),
                    link_kind=s.link_kind,
                    host=link_host(s.url) if s.url else "",
                    unconfirmed=s.unconfirmed,
                )
            )
        in_force = ""
        if item.valid_from or item.valid_to:
            in_force = f"{words['from']} {item.valid_from or '…'} {words['until']} {item.valid_to or '…'}"
        derived = [f"{f.fact} = {value_text(f.value, lang)} ({f.rule})" for f in item.trace.facts]
        return DocItem(
            number=number,
            id=item.id,
            route=item.route,
            route_title=route_titles.get(item.route, item.route),
            stage=item.stage,
            stage_title=words["stage"][item.stage],
            title=item.title,
            detail=item.detail or "",
            status=item.status,
            status_text=status_text(lang, item),
            kind=item.kind,
            kind_text=KIND_LABELS[lang][item.kind],
            authority=item.authority.name if item.authority else "",
            documents=list(item.documents),
            time_limit=time_limit_text(item.time_limit, lang) if item.time_limit else "",
            depends_on=[ref(a) for a in item.after],
            in_force=in_force,
            sources=sources,
            why=why_lines(lang, item),
            # a case that tracks progress shows it on every item: ticked off, or still open
            progress=case.progress.get(item.id, ItemProgress()) if case.progress else None,
            rule=f"{item.trace.rule} ({item.trace.file}:{item.trace.line}): {item.trace.condition}",
            derived=derived,
        )

    items = [doc_item(item, numbers[item.id]) for item in numbered]
    routes = []
    for route in order:
        stages = [
            (words["stage"][stage], [i for i in items if i.route == route and i.stage == stage]) for stage in STAGES
        ]
        applies = next((r.applies for r in outcome.routes if r.id == route), "yes")
        routes.append(
            DocRoute(
                id=route,
                title=route_titles.get(route, route),
                applies_text=words["applies"][applies],
                stages=[(title, chosen) for title, chosen in stages if chosen],
            )
        )
    t = outcome.timeline
    answers = [
        DocAnswer(question=a.question, text=a.text, answer=value_text(a.value, lang), unknown=a.unknown, used=a.used)
        for a in outcome.answers
    ]
    asked = {a.question: a.text for a in outcome.answers}
    rb = outcome.rulebase
    title = (
        words["title"] + (f"：{case.product}" if lang == "zh" else f": {case.product}")
        if case.product
        else words["title"]
    )
    return Document(
        lang=lang,
        words=words,
        title=title,
        product=case.product,
        company=case.company,
        case_date=case.case_date,
        as_of=outcome.as_of,
        rulebase_id=rb.id,
        rulebase_version=rb.version,
        rulebase_hash=rb.hash,
        summary=_summary(outcome, case.product),
        disclaimer=words["disclaimer"].format(as_of=outcome.as_of.isoformat()),
        legend=words["legend"],
        answers=answers,
        routes=routes,
        items=items,
        upcoming=[doc_item(item, 0) for item in outcome.upcoming],
        critical_path=[ref(i) for i in t.critical_path],
        statutory_working_days=t.statutory_working_days,
        in_practice=duration_text(t.longest_typical.time_limit, lang) if t.longest_typical else "",
        in_practice_step=ref(t.longest_typical.item) if t.longest_typical else "",
        timeline_note=t.note,
        typical=[f"{ref(s.item)}{words['colon']}{time_limit_text(s.time_limit, lang)}" for s in t.typical],
        may_add=[f"{ref(s.item)}{words['colon']}{time_limit_text(s.time_limit, lang)}" for s in t.may_add],
        # two questions may share a text (asked in different branches): the reader sees it once
        open_questions=list(dict.fromkeys(q.text for q in outcome.unanswered_questions)),
        derived_facts=[
            (
                f"{f.fact} = "
                + ("" if f.certain else words["maybe_values"] + " ")
                + ", ".join(value_text(v, lang) for v in f.values)
                + f" ({', '.join(f.rules)})"
            )
            for f in outcome.facts
        ],
        conflicts=[
            f"{c.fact}: {', '.join(value_text(v, lang) for v in c.values)} ({', '.join(c.rules)})"
            for c in outcome.conflicts
        ],
        ignored_answers=[
            f"{asked.get(a.question, a.question)} — {value_text(a.value, lang)}{words['colon']}{a.reason}"
            for a in outcome.ignored_answers
        ],
        has_progress=bool(case.progress),
    )
