"""Checklist parts: the grouped item list, the item detail pane, the timeline and the summary."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from pathways import ItemResult, Labels, Outcome, duration_text, items_by_route_and_stage, time_limit_text

from ..format import cite_text, item_status_text, short_time_limit, stage_name, value_text
from ..i18n import bullet, colon as label_colon, gap, list_sep, paren, t
from .text import TextPane, Wrapped

__all__ = ["ChecklistList", "ItemDetail", "SummaryView", "TimelineView"]


class ChecklistList(OptionList):
    """Items grouped by route and stage (headers are disabled options); id of an item option = item id."""

    def __init__(self, lang: str, *, id: str | None = "items") -> None:
        super().__init__(id=id)
        self.lang = lang
        self.item_ids: list[str] = []
        self.labels: Labels | None = None  # the shown outcome's words for stages and statuses

    def show(self, outcome: Outcome, ticked: set[str]) -> None:
        lang = self.lang
        self.labels = labels = outcome.labels
        options: list[Option | None] = []
        self.item_ids = []
        number = 0
        current_route = None
        for route, title, stage, items in items_by_route_and_stage(outcome):
            if route != current_route:
                if current_route is not None:
                    options.append(None)
                options.append(Option(Content.styled(title, "bold $accent"), id=f"_route_{route}", disabled=True))
                current_route = route
            options.append(
                Option(Content.styled(stage_name(stage, labels), "bold"), id=f"_stage_{route}_{stage}", disabled=True)
            )
            for item in items:
                number += 1
                self.item_ids.append(item.id)
                options.append(Option(self.prompt(item, number, item.id in ticked, labels), id=item.id))
        if not self.item_ids:
            options.append(Option(Content.styled(t(lang, "no_items"), "dim"), id="_none", disabled=True))
        self.set_options(options)
        if self.item_ids:
            self.highlighted = self.get_option_index(self.item_ids[0])

    def prompt(self, item: ItemResult, number: int, done: bool, labels: Labels) -> Wrapped:
        lang = self.lang
        box = Content.styled("☑" + gap(lang), "$success") if done else Content("☐" + gap(lang))
        title = Content.styled(item.title, "strike dim" if done else "")
        sep = "｜" if lang == "zh" else "  "
        meta: list[Content | str] = [item_status_text(item, labels, lang)]
        if item.authority:
            meta += [sep, Content.styled(item.authority.name, "dim")]
        limit = short_time_limit(item, lang)
        if limit:
            meta += [sep, Content.styled(limit, "dim")]
        return Wrapped(Content.assemble(box, f"{number}.{gap(lang)}", title, "\n" + "   " * (lang != "zh"), *meta))

    def update_item(self, item: ItemResult, done: bool) -> None:
        number = self.item_ids.index(item.id) + 1
        assert self.labels is not None  # (an item is shown: so is its outcome)
        self.replace_option_prompt(item.id, self.prompt(item, number, done, self.labels))


class ItemDetail(TextPane):
    """Everything about one item: what, who, which documents, how long, why it is here, the law."""

    def __init__(self, lang: str, *, id: str | None = "detail") -> None:
        super().__init__(id=id)
        self.lang = lang
        self.item: ItemResult | None = None

    def compose(self) -> ComposeResult:
        yield Static(Content.styled(t(self.lang, "select_item"), "dim"), id="detail-text", classes="pane-text")
        yield Button(t(self.lang, "mark_done"), id="tick", compact=True)

    def show(
        self, item: ItemResult | None, outcome: Outcome, done: bool, question_text: dict[str, str], note: str = ""
    ) -> None:
        self.item = item
        button = self.query_one("#tick", Button)
        if item is None:
            self.show_text("#detail-text", Content.styled(t(self.lang, "select_item"), "dim"))
            button.display = False
            return
        button.display = True
        button.label = t(self.lang, "mark_undone" if done else "mark_done")
        self.show_text("#detail-text", self.describe(item, outcome, question_text, note))
        self.scroll_home(animate=False)

    def describe(self, item: ItemResult, outcome: Outcome, question_text: dict[str, str], note: str = "") -> Content:
        lang = self.lang
        colon = label_colon(lang)

        def L(key: str) -> Content:  # a label, short as the lines that use it
            return Content.styled(t(lang, key), "bold")

        titles = {i.id: i.title for i in outcome.items + outcome.upcoming}
        route_title = next((r.title for r in outcome.routes if r.id == item.route), item.route)
        blocks: list[Content] = [
            Content.assemble(
                Content.styled(item.title, "bold"),
                "\n",
                item_status_text(item, outcome.labels, lang),
                "  ",
                Content.styled(t(lang, "kind_" + item.kind), "dim"),
                "\n",
                Content.styled(f"{route_title} / {stage_name(item.stage, outcome.labels)}", "dim"),
            ),
        ]
        if note:
            blocks.append(Content.assemble(L("note"), colon, Content.styled(note, "italic")))
        if item.detail:
            blocks.append(Content(item.detail))
        facts: list[Content] = []
        if item.authority:
            facts.append(Content.assemble(L("authority"), colon, item.authority.name))
        if item.time_limit:
            facts.append(Content.assemble(L("time_limit"), colon, time_limit_text(item.time_limit, lang)))
        if item.after:
            facts.append(Content.assemble(L("after"), colon, list_sep(lang).join(titles.get(a, a) for a in item.after)))
        if item.valid_from or item.valid_to:
            facts.append(
                Content.assemble(
                    L("valid"),
                    colon,
                    f"{t(lang, 'from')} {item.valid_from or '...'} {t(lang, 'until')} {item.valid_to or '...'}",
                )
            )
        if facts:
            blocks.append(Content("\n").join(facts))
        if item.documents:
            blocks.append(
                Content("\n").join([L("documents")] + [Content.assemble(bullet(lang), d) for d in item.documents])
            )
        trace = item.trace
        why: list[Content] = [L("why")]
        for a in trace.answers:
            why.append(
                Content.assemble(
                    bullet(lang),
                    (t(lang, "because_answer"), "dim"),
                    colon,
                    question_text.get(a.question, a.text),
                    " = ",
                    (value_text(a.value, lang), "bold"),
                )
            )
        for f in trace.facts:
            line = Content.assemble(
                bullet(lang),
                (t(lang, "because_fact"), "dim"),
                colon,
                f"{f.fact} = ",
                (value_text(f.value, lang), "bold"),
                (f"  ({f.rule}, {f.file}:{f.line})", "dim"),
            )
            if f.explain:
                line = Content.assemble(line, "\n  ", Content.styled(f.explain, "italic"))
            why.append(line)
        for q in trace.open_questions:  # "if X is a", never "because X = a" for an open X
            text = question_text.get(q.question, q.text)
            if q.if_values:
                text += " = " + " / ".join(value_text(v, lang) for v in q.if_values)
            why.append(Content.assemble(bullet(lang), (t(lang, "open_until"), "$warning"), colon, text))
        why.append(
            Content.assemble(
                bullet(lang), (t(lang, "condition"), "dim"), colon, Content.styled(trace.condition, "italic")
            )
        )
        why.append(
            Content.assemble(bullet(lang), (t(lang, "rule"), "dim"), colon, f"{trace.rule} ({trace.file}:{trace.line})")
        )
        blocks.append(Content("\n").join(why))
        blocks.append(
            Content("\n").join(
                [L("sources")] + [Content.assemble(bullet(lang), cite_text(s, lang)) for s in item.sources]
            )
        )
        blocks.append(Content.styled(f"id: {item.id}", "dim"))
        return Content("\n\n").join(blocks)


class TimelineView(VerticalScroll):
    """Statutory working days along the critical path, item by item, with a proportional bar."""

    def __init__(self, lang: str, *, id: str | None = "timeline") -> None:
        super().__init__(id=id)
        self.lang = lang

    def compose(self) -> ComposeResult:
        yield Static("", id="timeline-text")

    def show(self, outcome: Outcome) -> None:
        lang = self.lang
        tl = outcome.timeline
        by_id = {i.id: i for i in outcome.items}
        blocks: list[Content] = [Content.styled(t(lang, "timeline_total", days=tl.statutory_working_days), "bold")]
        lines: list[Content] = []
        total = max(tl.statutory_working_days, 1)
        cumulative = 0
        width = 30
        for number, iid in enumerate(tl.critical_path, 1):
            item = by_id.get(iid)
            title = item.title if item else iid
            days = 0
            if item and item.time_limit and item.time_limit.statutory and item.time_limit.unit == "working_days":
                days = item.time_limit.days or 0
            start = cumulative
            cumulative += days
            lead = round(start / total * width)
            bar = max(round(cumulative / total * width) - lead, 1 if days else 0)
            lines.append(
                Content.assemble(
                    f"{number}.{gap(lang)}",
                    Content(title),
                    "\n   ",
                    (" " * lead, ""),
                    (" " * bar, "on $accent"),
                    (
                        f"  {days}{t(lang, 'wd')}"
                        if lang == "zh"
                        else f"  {days} {t(lang, 'wd') if days != 1 else 'working day'}",
                        "dim",
                    ),
                    (paren(lang, f"{t(lang, 'cumulative')} {cumulative}", en="  ({})"), "dim"),
                )
            )
        if lines:
            blocks.append(Content("\n").join(lines))
        else:
            blocks.append(Content.styled(t(lang, "timeline_none"), "dim"))
        if tl.longest_typical is not None:
            blocks.append(
                Content.assemble(
                    (t(lang, "in_practice"), "bold"),
                    " ",
                    (duration_text(tl.longest_typical.time_limit, lang), "bold $warning"),
                    f" ({tl.longest_typical.title})",
                )
            )
        blocks.append(Content.styled(tl.note, "italic"))
        if tl.other_limits:
            blocks.append(
                Content("\n").join(
                    [Content.styled(t(lang, "other_limits"), "bold")]
                    + [Content.assemble(bullet(lang), o) for o in tl.other_limits]
                )
            )
        self.query_one("#timeline-text", Static).update(Wrapped(Content("\n\n").join(blocks)))


class SummaryView(VerticalScroll):
    """Routes, derived facts, items coming into force later, open questions and unused answers."""

    def __init__(self, lang: str, *, id: str | None = "summary") -> None:
        super().__init__(id=id)
        self.lang = lang

    def compose(self) -> ComposeResult:
        yield Static("", id="summary-text")

    def show(self, outcome: Outcome, question_text: dict[str, str], answer_text: dict[str, str]) -> None:
        lang = self.lang

        def B(key: str) -> Content:  # a label, short as the lines that use it
            return Content.styled(t(lang, key), "bold")

        rb = outcome.rulebase
        blocks: list[Content] = [
            Content.styled(f"{rb.id} {rb.version}  sha256 {rb.hash[:12]}  {outcome.as_of.isoformat()}", "dim"),
            Content(t(lang, "complete" if outcome.complete else "incomplete")),
        ]
        routes = [B("routes")]
        routes += [
            Content.assemble(bullet(lang), r.title, "  ", (t(lang, f"applies_{r.applies}"), "dim"))
            for r in outcome.routes
        ] or [Content.styled(t(lang, "no_routes"), "dim")]
        blocks.append(Content("\n").join(routes))
        if outcome.facts:
            blocks.append(
                Content("\n").join(
                    [B("derived")]
                    + [
                        Content.assemble(
                            bullet(lang),
                            f"{f.fact} = ",
                            ("" if f.certain else "? ", "$warning"),
                            list_sep(lang).join(value_text(v, lang) for v in f.values),
                            (paren(lang, ", ".join(f.rules), en="  ({})"), "dim"),
                        )
                        for f in outcome.facts
                    ]
                )
            )
        if outcome.upcoming:
            blocks.append(
                Content("\n").join(
                    [B("upcoming")]
                    + [
                        Content.assemble(bullet(lang), i.title, (f"  {t(lang, 'from')} {i.valid_from}", "dim"))
                        for i in outcome.upcoming
                    ]
                )
            )
        if outcome.unanswered:
            blocks.append(
                Content("\n").join(
                    [B("unanswered")]
                    + [Content.assemble(bullet(lang), question_text.get(q, q)) for q in outcome.unanswered]
                )
            )
        if outcome.ignored_answers:
            blocks.append(
                Content("\n").join(
                    [B("ignored")]
                    + [
                        Content.assemble(
                            bullet(lang),
                            (
                                f"{question_text.get(a.question, a.question)} = "
                                f"{answer_text.get(a.question, value_text(a.value, lang))}",
                                "strike",
                            ),
                            (f"  {a.reason}", "dim"),
                        )
                        for a in outcome.ignored_answers
                    ]
                )
            )
        if outcome.conflicts:
            blocks.append(
                Content("\n").join(
                    [Content.styled(t(lang, "conflicts"), "bold $error")]
                    + [
                        Content.assemble(
                            bullet(lang),
                            f"{c.fact}{label_colon(lang)}{list_sep(lang).join(map(str, c.values))}"
                            f"{paren(lang, ', '.join(c.rules))}",
                        )
                        for c in outcome.conflicts
                    ]
                )
            )
        self.query_one("#summary-text", Static).update(Wrapped(Content("\n\n").join(blocks)))
