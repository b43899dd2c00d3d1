"""The checks behind ``pathways lint``'s warnings and notes (PW3xx, see ``CODES``): reachability
with the engine, contradictions found statically (``analysis``), validity gaps (``gaps``) and the
bookkeeping of sources, authorities, translations, provenance and engine limits."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..._checklist import condition_text
from ..._compiler import Limits, Partition, PatternUsage
from ..._conditions import Cond, Lit, facts_of
from ..._errors import RuleIssue
from ..._loader import CORE, RuleBase
from ..._models import STAGES
from ..._positions import Positions
from ..._validate import _SINGULAR
from ..._yaml import LocDict, LocList
from .analysis import Analysis, fmt_value, witness_text
from .gaps import Gaps, overlaps

__all__ = ["CODES", "ERROR_CODES", "Checker", "limit_usage"]


# code -> (severity, what it means). Stable: never reuse a code for something else.
CODES: dict[str, tuple[str, str]] = {
    "PW301": ("warning", "a question can never be asked: its ask_when can never hold, or its route never applies"),
    "PW302": ("warning", "a question no condition uses: the wizard never asks it"),
    "PW303": ("warning", "an item can never be on a checklist"),
    "PW304": ("warning", "a derived-fact rule can never fire"),
    "PW305": ("warning", "a route can never apply"),
    "PW306": ("warning", "two rules can set one derived fact to different values in the same case"),
    "PW307": ("warning", "a source no question, fact rule, route or item cites"),
    "PW308": ("warning", "an authority no item names (directly or as a parent)"),
    "PW309": ("warning", "a missing translation: zh and en are identical, or zh has no Chinese character"),
    "PW310": ("warning", "items that replace each other have validity ranges that overlap or leave a gap"),
    "PW311": ("info", "an entry marked status: unconfirmed (shown to users as 'to be verified')"),
    "PW312": ("warning", "a route or the common files use more than 75 % of an engine limit"),
    "PW313": ("warning", "a route file without owner, reviewed or review_by"),
    "PW314": ("warning", "a route file whose review_by date has passed"),
    "PW315": ("info", "a rule file without the yaml-language-server schema modeline (or pointing to a missing schema)"),
    "PW316": (
        "warning",
        "an item comes 'after' an item of its route in a later stage: the checklist lists stages "
        "in order, so it would be listed before the step it follows",
    ),
    "PW317": ("warning", "an item without 'kind' (obligation, option or guidance): it is shown as an obligation"),
    "PW318": (
        "warning",
        "a validity gap: a dated fact rule or item leaves its branch with nothing in force for a "
        "period on or after the rule base's in_force_from",
    ),
    "PW319": ("error", "a source links to a host on neither allow-list of the manifest's sources_policy"),
    "PW320": (
        "error",
        "a linked source is not classified: 'kind' missing, 'official' on a host that is not an "
        "official one, or 'secondary' without a publisher",
    ),
    "PW321": ("warning", "an item whose legal basis cites only secondary sources (summaries, translations)"),
    "PW322": ("warning", "a source whose text was last checked longer ago than the review period"),
    "PW323": ("info", "a linked source without a 'checked' date"),
    "PW324": ("warning", "a route with no items: when it applies, the checklist shows it with nothing to do"),
}
ERROR_CODES = frozenset(code for code, (severity, _) in CODES.items() if severity == "error")
SCHEMA_FILE = "rules.schema.json"
MODELINE = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)\s*$")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
APPROACH = 0.75
FAR_PAST = dt.date(1900, 1, 1)


def _months_before(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


class Checker:
    def __init__(self, rb: RuleBase, partitions: dict[str, Partition], today: dt.date, limits: Limits) -> None:
        self.rb = rb
        self.partitions = partitions
        self.today = today
        self.limits = limits
        self.pos = Positions(rb)

    def issue(self, code: str, message: str, where: tuple[str, int, int], suggestion: str | None = None) -> RuleIssue:
        return RuleIssue(code, message, where[0], where[1], where[2], suggestion, CODES[code][0])

    def run(self) -> Iterator[RuleIssue]:
        yield from self.reachability()
        yield from self.conflicts()
        yield from self.unused()
        yield from self.translations()
        yield from self.replacements()
        yield from self.unconfirmed()
        yield from self.engine_limits()
        yield from self.provenance()
        yield from self.modelines()
        yield from self.stage_order()
        yield from self.item_kinds()
        yield from self.validity_gaps()
        yield from self.source_links()
        yield from self.empty_routes()

    # -- reachability --

    def boundary_dates(self) -> list[dt.date]:
        """One date per stretch of time in which the same fact rules are in force.

        Only fact rules carry their dates into the engine (an item's ``valid`` is applied to the
        engine's result), so their ``valid`` ranges cut time into the stretches to run.
        """
        bounds: set[dt.date] = set()
        for r in self.rb.fact_rules:
            valid = r.model.valid
            if valid is None:
                continue
            if valid.from_ is not None:
                bounds.add(valid.from_)
            if valid.to is not None and valid.to < dt.date.max:
                bounds.add(valid.to + dt.timedelta(days=1))
        if not bounds:
            return [self.rb.manifest.released]
        return sorted({min(bounds) - dt.timedelta(days=1), *bounds})

    def reachability(self) -> Iterator[RuleIssue]:
        from ..._run import run_case

        rb = self.rb
        ask: set[str] = set()
        derive: set[str] = set()
        item_stretches: dict[str, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
        ran: set[str] = set()
        days = self.boundary_dates()
        for index, day in enumerate(days):
            run = run_case(rb, {}, day)
            ask |= run.possible["ask"]
            derive |= run.possible["derive"]
            ran |= set(run.partitions_run)
            # the stretch this run stands for: from its day (or the beginning of time) to the next
            stretch = (dt.date.min if index == 0 else day, days[index + 1] if index + 1 < len(days) else None)
            for iid in run.possible["item"]:
                item_stretches[iid].append(stretch)
        analysis = Analysis(rb)
        used: set[str] = set()
        for cond in self.all_conditions():
            used |= facts_of(cond)

        for rid, route in rb.routes.items():
            where = self.pos.at("route", rid, "when")
            reason = analysis.never(analysis.conjunctions(route.when))
            if f"route.{rid}" not in derive:
                yield self.issue(
                    "PW305",
                    f"route '{rid}' can never apply: " + (reason or "its 'when' cannot hold for any answers"),
                    where,
                )
                continue
            if reason:
                yield self.issue("PW305", f"route '{rid}' can never apply: {reason}", where)
        for qid, q in rb.questions.items():
            where = self.pos.at("questions", qid)
            if q.partition != CORE and q.partition not in ran:
                yield self.issue(
                    "PW301", f"question '{qid}' is never asked: its route '{q.partition}' never applies", where
                )
                continue
            if q.ask_when is not None:
                reason = analysis.never(analysis.conjunctions(q.ask_when, extra=self.partition_runs(q.partition)))
                if qid not in ask:
                    yield self.issue(
                        "PW301",
                        f"question '{qid}' is never asked: its ask_when cannot hold"
                        + (f": {reason}" if reason else " for any answers"),
                        self.pos.at("questions", qid, "ask_when"),
                    )
                    continue
                if reason:
                    yield self.issue(
                        "PW301",
                        f"question '{qid}' is never asked: its ask_when can never hold: {reason}",
                        self.pos.at("questions", qid, "ask_when"),
                    )
                    continue
            if qid not in used:
                yield self.issue(
                    "PW302",
                    f"question '{qid}' is used by no condition, so the wizard never "
                    "asks it; test it in a 'when', or remove it",
                    where,
                )
        for r in rb.fact_rules:
            rid = r.model.id
            where = self.pos.at("facts", rid, "when")
            reason = analysis.never(
                analysis.conjunctions(r.when, valid=r.model.valid, extra=self.partition_runs(r.partition))
            )
            if rid not in derive:
                why = reason or (
                    "its route never applies"
                    if r.partition != CORE and r.partition not in ran
                    else f"its condition cannot hold while the rule is in force ({_valid_text(r.model.valid)})"
                    if r.model.valid
                    else "its condition cannot hold for any answers"
                )
                yield self.issue("PW304", f"fact rule '{rid}' can never fire: {why}", where)
                continue
            if reason:
                yield self.issue("PW304", f"fact rule '{rid}' can never fire: {reason}", where)
        for iid, item in rb.items.items():
            where = self.pos.at("items", iid, "when") if item.when is not None else self.pos.at("items", iid)
            valid = item.model.valid
            stretches = item_stretches.get(iid, [])
            route_lit = Lit(False, ("d", f"route.{item.route}", ("eq", (True,))))
            reason = analysis.never(analysis.conjunctions(item.when, valid=valid, extra=[route_lit]))
            if not stretches:
                why = reason or (
                    "its route never applies" if item.route not in ran else "its condition cannot hold for any answers"
                )
                yield self.issue("PW303", f"item '{iid}' can never be on a checklist: {why}", where)
                continue
            if valid is not None and not any(overlaps(valid, first, end) for first, end in stretches):
                yield self.issue(
                    "PW303",
                    f"item '{iid}' can never be on a checklist: its condition can hold "
                    f"only on dates when the item is not in force ({_valid_text(valid)})",
                    where,
                )
                continue
            if reason:
                yield self.issue("PW303", f"item '{iid}' can never be on a checklist: {reason}", where)

    @staticmethod
    def partition_runs(partition: str) -> list[Lit]:
        """A route's questions and fact rules are evaluated only when the route may apply."""
        return [] if partition == CORE else [Lit(False, ("p", f"route.{partition}", ("eq", (True,))))]

    def all_conditions(self) -> Iterator[Cond]:
        rb = self.rb
        for q in rb.questions.values():
            if q.ask_when is not None:
                yield q.ask_when
        for r in rb.fact_rules:
            yield r.when
        for route in rb.routes.values():
            yield route.when
        for item in rb.items.values():
            if item.when is not None:
                yield item.when

    # -- conflicting derivations --

    def conflicts(self) -> Iterator[RuleIssue]:
        analysis = Analysis(self.rb)
        by_fact: dict[str, list[tuple[Any, Any, tuple[frozenset[Lit], ...]]]] = defaultdict(list)
        for r in self.rb.fact_rules:
            conjs = analysis.conjunctions(r.when, valid=r.model.valid, extra=self.partition_runs(r.partition))
            for name, value in r.model.set.items():
                by_fact[name].append((r, value, conjs))
        for name, rules in by_fact.items():
            for i, (r1, v1, c1s) in enumerate(rules):
                for r2, v2, c2s in rules[i + 1 :]:
                    if v1 == v2 and type(v1) is type(v2):
                        continue
                    witness = None
                    for c1 in c1s:
                        for c2 in c2s:
                            ok, _, final = analysis.satisfiable(c1 | c2)
                            if ok:
                                witness = final
                                break
                        if witness is not None:
                            break
                    if witness is None:
                        continue
                    example = witness_text(witness, analysis.dates)
                    yield self.issue(
                        "PW306",
                        f"rules '{r1.model.id}' ({r1.file}:{r1.line}) and '{r2.model.id}' can set "
                        f"'{name}' to {fmt_value(v1)} and {fmt_value(v2)} in the same case"
                        + (f", e.g. with {example}" if example else "")
                        + "; make their conditions exclusive (add not: to one of them)",
                        self.pos.at("facts", r2.model.id, "when"),
                    )

    # -- bookkeeping --

    def unused(self) -> Iterator[RuleIssue]:
        rb = self.rb
        cited: set[str] = set()
        for q in rb.questions.values():
            cited |= {s.id for s in q.model.sources}
        for r in rb.fact_rules:
            cited |= {s.id for s in r.model.sources}
        for route in rb.routes.values():
            cited |= {s.id for s in route.model.sources}
        for item in rb.items.values():
            cited |= {s.id for s in item.model.sources}
        for sid in rb.sources:
            if sid not in cited:
                yield self.issue(
                    "PW307",
                    f"source '{sid}' is cited by no question, fact rule, route or item",
                    self.pos.at("sources", sid),
                )
        named: set[str] = set()
        for item in rb.items.values():
            authority = item.model.authority
            while authority and authority not in named:
                named.add(authority)
                parent = rb.authorities.get(authority)
                authority = parent.parent if parent is not None else None
        for aid in rb.authorities:
            if aid not in named:
                yield self.issue(
                    "PW308",
                    f"authority '{aid}' is named by no item (directly or as a parent)",
                    self.pos.at("authorities", aid),
                )

    def translations(self) -> Iterator[RuleIssue]:
        for display, (_, data) in self.pos.files.items():
            yield from self._texts(display, data, [], None)

    def _texts(self, display: str, node: Any, path: list[str], owner: str | None) -> Iterator[RuleIssue]:
        if isinstance(node, LocDict):
            if set(node) == {"zh", "en"} and all(isinstance(v, str) for v in node.values()):
                where = (display, node.line, node.column)
                label = path[-1] if path else "text"
                of = f" of {owner}" if owner else ""
                zh, en = node["zh"].strip(), node["en"].strip()
                if zh == en:
                    yield self.issue(
                        "PW309", f"{label}{of}: zh and en are identical ('{_short(zh)}'); translate one of them", where
                    )
                elif not CJK.search(zh):
                    yield self.issue(
                        "PW309",
                        f"{label}{of}: zh has no Chinese character ('{_short(zh)}'); is it untranslated?",
                        where,
                    )
                return
            ident = node.get("id") if isinstance(node.get("id"), str) else None
            if ident is not None and path:
                owner = f"{_SINGULAR.get(path[-1], path[-1])} '{ident}'"
            elif path and path[-1] == "options" and "value" in node:
                owner = f"option '{node['value']}' of {owner}"
            for key, value in node.items():
                yield from self._texts(display, value, [*path, str(key)], owner)
        elif isinstance(node, LocList):
            for value in node:
                yield from self._texts(display, value, path, owner)

    def replacements(self) -> Iterator[RuleIssue]:
        items = self.rb.items
        for iid, item in items.items():
            for index, old_id in enumerate(item.model.replaces):
                old = items.get(old_id)
                if old is None:
                    continue
                where = self.pos.at("items", iid, "replaces", index)
                new_from = item.model.valid.from_ if item.model.valid else None
                old_to = old.model.valid.to if old.model.valid else None
                if new_from is None:
                    yield self.issue(
                        "PW310",
                        f"item '{iid}' replaces '{old_id}' but has no start date; give it valid: {{from: DATE}}",
                        where,
                    )
                elif old_to is None:
                    yield self.issue(
                        "PW310",
                        f"'{old_id}' has no end date, so it overlaps '{iid}' (valid from "
                        f"{new_from}) which replaces it; give '{old_id}' valid: {{to: "
                        f"{new_from - dt.timedelta(days=1)}}}",
                        where,
                    )
                elif old_to >= new_from:
                    yield self.issue(
                        "PW310",
                        f"'{old_id}' (valid to {old_to}) and '{iid}' (valid from {new_from}) "
                        f"overlap from {new_from} to {old_to}: both would be on one checklist",
                        where,
                    )
                elif old_to + dt.timedelta(days=1) < new_from:
                    yield self.issue(
                        "PW310",
                        f"'{old_id}' (valid to {old_to}) and '{iid}' (valid from {new_from}) "
                        f"leave a gap from {old_to + dt.timedelta(days=1)} to "
                        f"{new_from - dt.timedelta(days=1)}: neither would be on a checklist",
                        where,
                    )

    def unconfirmed(self) -> Iterator[RuleIssue]:
        rb = self.rb
        for iid, item in rb.items.items():
            if item.model.status == "unconfirmed":
                yield self.issue(
                    "PW311",
                    f"item '{iid}' is unconfirmed: users see it as 'to be verified'",
                    self.pos.key_at("items", iid, "status"),
                )
        for r in rb.fact_rules:
            if r.model.status == "unconfirmed":
                yield self.issue(
                    "PW311",
                    f"fact rule '{r.model.id}' is unconfirmed: items resting on it are 'to be verified'",
                    self.pos.key_at("facts", r.model.id, "status"),
                )
        for sid, source in rb.sources.items():
            if source.status == "unconfirmed":
                yield self.issue(
                    "PW311",
                    f"source '{sid}' is unconfirmed: the instrument itself needs verification",
                    self.pos.key_at("sources", sid, "status"),
                )

    def source_links(self) -> Iterator[RuleIssue]:
        """Legal-basis links go where a regulatory professional trusts them: the issuing body's own
        text, or a named publisher's summary; the allow-lists live in the manifest, not here."""
        rb = self.rb
        policy = rb.manifest.sources_policy
        for sid, source in rb.sources.items():
            if source.url is None:
                continue
            host = policy.host_of(source.url)
            official, secondary = policy.official(host), policy.secondary(host)
            where = self.pos.at("sources", sid, "url")
            if not official and secondary is None:
                yield self.issue(
                    "PW319",
                    f"source '{sid}' links to '{host}', which is on neither allow-list of "
                    "rulebase.yaml (sources_policy): link the official text, or a reputable "
                    "publisher's summary added to secondary_hosts with its name, or give no url "
                    "(the number, issuer and dates identify the instrument)",
                    where,
                )
                continue
            if source.kind is None:
                guess = "official" if official else "secondary"
                yield self.issue(
                    "PW320",
                    f"source '{sid}' has a url but no 'kind': say whether it leads to the "
                    f"official text or to a summary (its host '{host}' suggests kind: {guess})",
                    where,
                )
            elif source.kind == "official" and not official:
                yield self.issue(
                    "PW320",
                    f"source '{sid}' is 'official' but '{host}' is not an official host: a summary is kind: secondary",
                    self.pos.at("sources", sid, "kind"),
                )
            elif source.kind == "secondary" and source.publisher is None and secondary is None:
                yield self.issue(
                    "PW320",
                    f"source '{sid}' is 'secondary' but names no publisher: add 'publisher' (who wrote the summary)",
                    self.pos.at("sources", sid, "kind"),
                )
            if source.checked is None:
                yield self.issue(
                    "PW323",
                    f"source '{sid}' has no 'checked' date: when was its text last read against the rules?",
                    where,
                )
            elif _months_before(self.today, policy.review_months) > source.checked:
                yield self.issue(
                    "PW322",
                    f"source '{sid}' was last checked on {source.checked}, more than "
                    f"{policy.review_months} months ago: re-read it and update 'checked'",
                    self.pos.at("sources", sid, "checked"),
                )
        for iid, item in rb.items.items():
            cited = [rb.sources[ref.id] for ref in item.model.sources if ref.id in rb.sources]
            if cited and all(src.kind == "secondary" for src in cited):
                yield self.issue(
                    "PW321",
                    f"item '{iid}' rests only on secondary sources "
                    f"({', '.join(src.id for src in cited)}): cite the instrument itself",
                    self.pos.key_at("items", iid, "sources"),
                )

    def engine_limits(self) -> Iterator[RuleIssue]:
        for name, part in self.partitions.items():
            label = "the common files" if name == CORE else f"route '{name}'"
            for what, value, limit, origin in limit_usage(part, self.limits):
                if value > APPROACH * limit:
                    yield self.issue(
                        "PW312",
                        f"{label}: {what}: {value} of at most {limit} "
                        f"({100 * value // limit} %); split the route or move shared tests "
                        "into derived facts before it fails",
                        (origin[0], origin[1], 1),
                    )

    def provenance(self) -> Iterator[RuleIssue]:
        for rid, route in self.rb.routes.items():
            m = route.model
            missing = [k for k in ("owner", "reviewed", "review_by") if getattr(m, k) in (None, "")]
            if missing:
                yield self.issue(
                    "PW313",
                    f"route '{rid}' does not record {', '.join(missing)}: say who owns the "
                    "file, when it was last checked against the regulations and when it must be "
                    "checked again",
                    self.pos.at("route", rid),
                )
            if m.review_by is not None and m.review_by < self.today:
                yield self.issue(
                    "PW314",
                    f"route '{rid}' was due for review by {m.review_by} "
                    f"({(self.today - m.review_by).days} days ago); review it against the "
                    "regulations and update 'reviewed' and 'review_by'",
                    self.pos.at("route", rid, "review_by"),
                )

    def stage_order(self) -> Iterator[RuleIssue]:
        """A checklist is grouped by route, then stage (in STAGES order): an ``after`` that points
        to a later stage of the same route reads backwards (step 1 "after" step 12)."""
        rb = self.rb
        for iid, item in rb.items.items():
            own = STAGES.index(item.model.stage)
            for index, dep in enumerate(item.model.after):
                other = rb.items.get(dep)
                if other is None or other.route != item.route or STAGES.index(other.model.stage) <= own:
                    continue
                yield self.issue(
                    "PW316",
                    f"item '{iid}' (stage {item.model.stage}) comes after '{dep}', which is in "
                    f"the later stage {other.model.stage}: the checklist would list it first; put '{dep}' "
                    f"in stage {item.model.stage} or earlier, or '{iid}' in stage {other.model.stage} "
                    "or later, whichever is when the step is done",
                    self.pos.at("items", iid, "after", index),
                )

    def item_kinds(self) -> Iterator[RuleIssue]:
        """An item read as "required" must be a duty in law: an expedited programme or a support
        policy shown that way misleads, so every item says what it is."""
        for iid, item in self.rb.items.items():
            if item.model.kind is None:
                yield self.issue(
                    "PW317",
                    f"item '{iid}' has no 'kind': say whether it is an obligation (the law "
                    "requires it), an option (a programme or incentive the company may apply for) or "
                    "guidance (for information); until then it is shown as an obligation",
                    self.pos.at("items", iid),
                )

    def empty_routes(self) -> Iterator[RuleIssue]:
        """A route no item belongs to (its items forgotten, or all moved to another route)."""
        used = {item.route for item in self.rb.items.values()}
        for rid in self.rb.routes:
            if rid not in used:
                yield self.issue(
                    "PW324",
                    f"route '{rid}' has no items: when it applies, the checklist names it "
                    "with nothing to do; add its items (with 'route: " + rid + "' outside its "
                    "file) or remove the route",
                    self.pos.at("route", rid),
                )

    # -- validity gaps --

    def in_force_from(self) -> dt.date | None:
        """The first case date the rule base supports: the manifest's ``in_force_from``, else the
        earliest ``valid.from`` of a fact rule or item (None: nothing is dated)."""
        declared: dt.date | None = getattr(self.rb.manifest, "in_force_from", None)
        if declared is not None:
            return declared
        starts = [v.from_ for v in self.valid_ranges() if v.from_ is not None]
        return min(starts) if starts else None

    def valid_ranges(self) -> Iterator[Any]:
        for r in self.rb.fact_rules:
            if r.model.valid is not None:
                yield r.model.valid
        for item in self.rb.items.values():
            if item.model.valid is not None:
                yield item.model.valid

    def validity_gaps(self) -> Iterator[RuleIssue]:
        """PW318: a dated fact rule or item whose branch has nothing else in force for a while.

        Checked: each fact rule with a ``valid`` range that sets a fact which rules set to two or
        more values (a classification such as ``device_class``: without a rule the case has no
        class; a fact only ever set to one value, such as ``eligible: true``, reads as "no" without
        one), and each item with a ``valid`` range that is not ``kind: guidance``. The *branch* is the
        rule's condition (the item's condition and its route's) read without the dates, as it holds
        for certain; the *gap periods* are the days on or after ``in_force_from`` on which the rule
        is not in force. On such a day the branch is covered when, for every case in it, something
        may hold: another rule setting the same fact (for an item: another item of the same route
        and stage, even as "to determine"), or a ``kind: guidance`` item of any route and stage.
        Every period not covered is reported with answers under which nothing holds. An item that
        ``replaces`` another is not checked before its start, nor an item another one replaces after
        its end: PW310 checks where they meet.
        """
        rb = self.rb
        first = self.in_force_from()
        if first is None or not any(True for _ in self.valid_ranges()):
            return
        gaps = Gaps(rb, Analysis(rb), first)
        guidance: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        for item in rb.items.values():
            if item.model.kind == "guidance":
                guidance[item.route].append(("item", item))
                guidance[CORE].append(("item", item))
        by_fact: dict[str, list[Any]] = defaultdict(list)
        values: dict[str, set[Any]] = defaultdict(set)
        for r in rb.fact_rules:
            for name, value in r.model.set.items():
                by_fact[name].append(r)
                values[name].add((type(value), value))
        for r in rb.fact_rules:
            if r.model.valid is None:
                continue
            for name in r.model.set:
                if len(values[name]) < 2:
                    continue
                closers = [("rule", o) for o in by_fact[name] if o is not r] + guidance[r.partition]
                for start, end, example in gaps.uncovered(("rule", r), closers, before=True, after=True):
                    yield self.issue(
                        "PW318",
                        f"validity gap: no rule sets fact '{name}' {_period(start, end)} for cases "
                        f"where rule '{r.model.id}' ({_valid_phrase(r.model.valid)}) applies: "
                        f"{condition_text(r.when)}; e.g. {example}. Encode the regime in "
                        f"force then for these cases, or add a kind: guidance item "
                        f"{_guidance_valid(start, end)} whose condition covers them, saying that it is not "
                        "encoded",
                        self.pos.at("facts", r.model.id, "valid"),
                    )
        replaced = {old for item in rb.items.values() for old in item.model.replaces}
        for iid, item in rb.items.items():
            if item.model.valid is None or item.model.kind == "guidance":
                continue
            closers = [
                ("item", other)
                for oid, other in rb.items.items()
                if oid != iid
                and other.route == item.route
                and (other.model.kind == "guidance" or other.model.stage == item.model.stage)
            ]
            for start, end, example in gaps.uncovered(
                ("item", item), closers, before=not item.model.replaces, after=iid not in replaced
            ):
                branch = (
                    f"its condition holds ({condition_text(item.when)})"
                    if item.when is not None
                    else f"route '{item.route}' applies"
                )
                yield self.issue(
                    "PW318",
                    f"validity gap: item '{iid}' is {_valid_phrase(item.model.valid)}, and "
                    f"{_period(start, end)} cases where {branch} get no item of route '{item.route}' in "
                    f"stage {item.model.stage} in its place; e.g. {example}. Encode the "
                    f"regime in force then, or add a kind: guidance item {_guidance_valid(start, end)} whose "
                    "condition covers these cases, saying that it is not encoded",
                    self.pos.at("items", iid, "valid"),
                )

    def modelines(self) -> Iterator[RuleIssue]:
        schema = self.rb.root / SCHEMA_FILE
        for display, (path, _) in self.pos.files.items():
            try:
                first = path.read_text(encoding="utf-8").split("\n", 1)[0]
            except OSError:  # pragma: no cover
                continue
            match = MODELINE.match(first.strip())
            relative = (
                Path(*([".."] * (len(path.relative_to(self.rb.root).parts) - 1)), SCHEMA_FILE)
                if path.is_relative_to(self.rb.root)
                else Path(SCHEMA_FILE)
            )
            prefix = "./" if str(relative) == SCHEMA_FILE else ""
            wanted = f"# yaml-language-server: $schema={prefix}{relative.as_posix()}"
            if match is None:
                yield self.issue(
                    "PW315",
                    f"no schema modeline: add '{wanted}' as the first line so that "
                    "editors complete and check this file",
                    (display, 1, 1),
                )
                continue
            target = match.group(1)
            if "://" in target:
                continue
            if not (path.parent / target).is_file():
                hint = "" if schema.is_file() else f" (generate it: pathways schema rules > {SCHEMA_FILE})"
                yield self.issue(
                    "PW315", f"the schema modeline points to '{target}', which does not exist" + hint, (display, 1, 1)
                )


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _period(start: dt.date, end: dt.date | None) -> str:
    return f"from {start} on" if end is None else f"from {start} to {end}"


def _valid_phrase(valid: Any) -> str:
    if valid.from_ is not None and valid.to is not None:
        return f"valid from {valid.from_} to {valid.to}"
    return f"valid from {valid.from_}" if valid.from_ is not None else f"valid to {valid.to}"


def _guidance_valid(start: dt.date, end: dt.date | None) -> str:
    if end is None:
        return f"valid: {{from: {start}}}"
    return f"valid: {{to: {end}}}"


def _valid_text(valid: Any) -> str:
    return f"valid {valid.from_ or '…'} to {valid.to or '…'}"


def limit_usage(part: Partition, limits: Limits) -> list[tuple[str, int, int, tuple[str, int]]]:
    """How close one compiled ruleset comes to each engine limit (the counts of ``check_limits``):
    (what, value, limit, origin of the worst offender)."""
    where = part.rules[0].origin if part.rules else ("rulebase.yaml", 1)
    out: list[tuple[str, int, int, tuple[str, int]]] = [
        ("engine rules in one ruleset", len(part.rules) + 2, limits.rules_per_ruleset, where)
    ]
    if not part.rules:
        return out
    widest = max(part.rules, key=lambda r: len(r.literals))
    out.append(("facts joined by one rule", len(widest.literals) + 1, limits.facts_per_join, widest.origin))
    usage = PatternUsage.of(part)
    fan, first, names = usage.fan, usage.first, usage.names_per_kind
    tests, first_use = usage.tests_per_fact, usage.first_use
    if fan:  # none when every rule is unconditional (a route whose only item has no 'when')
        key, count = max(fan.items(), key=lambda kv: kv[1])
        out.append(("rules sharing one test", count, limits.rules_per_pattern, first[key]))
    if names:
        kind, members = max(names.items(), key=lambda kv: len(kv[1]))
        out.append(("different facts tested", len(members), limits.tests_per_node, where))
    if tests:
        (kind, name), values = max(tests.items(), key=lambda kv: len(kv[1]))
        out.append((f"different tests on '{name}'", len(values), limits.tests_per_fact, first_use[(kind, name)]))
    return out
