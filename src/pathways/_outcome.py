"""The outcome of an evaluation: the checklist and everything needed to explain it.

These models are the stable, documented JSON document (``schema_version``) that scripts consume
(``pathways checklist --format json``, the HTTP API) and that the Markdown/HTML renderers and the
wizard read. Texts are in the language asked for.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "AnswerUsed", "AuthorityRef", "Conflict", "DerivedFact", "IgnoredAnswer", "ItemResult",
    "NextQuestion", "OptionOut", "Outcome", "Progress", "QuestionOut", "RouteResult", "RuleBaseRef",
    "SCHEMA_VERSION", "SourceCitation", "TimeLimitOut", "Timeline", "Trace", "TraceFact",
]

SCHEMA_VERSION = "1.0"


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RuleBaseRef(_Out):
    id: str
    version: str
    hash: str


class SourceCitation(_Out):
    id: str
    title: str
    number: str | None = None
    article: str | None = None
    url: str | None = None
    effective: dt.date | None = None
    unconfirmed: bool = False


class AuthorityRef(_Out):
    id: str
    name: str


class TimeLimitOut(_Out):
    days: int
    unit: Literal["working_days", "calendar_days"]
    of: str
    statutory: bool
    note: str | None = None


class AnswerUsed(_Out):
    question: str
    text: str
    value: Any


class TraceFact(_Out):
    fact: str
    value: Any
    rule: str
    explain: str | None = None
    file: str
    line: int
    unconfirmed: bool = False
    sources: list[SourceCitation] = []


class Trace(_Out):
    """Why an item is on the checklist: its rule, the answers and derived facts behind it."""

    rule: str
    file: str
    line: int
    condition: str
    answers: list[AnswerUsed] = []
    facts: list[TraceFact] = []
    undetermined_by: list[str] = []   # questions whose "don't know"/missing answer leaves it open


class ItemResult(_Out):
    id: str
    route: str
    stage: str
    status: Literal["required", "to_determine", "to_be_verified"]
    applies: Literal["yes", "maybe"]
    confirmed: bool
    title: str
    detail: str | None = None
    authority: AuthorityRef | None = None
    documents: list[str] = []
    time_limit: TimeLimitOut | None = None
    after: list[str] = []          # items on this checklist that come first
    sources: list[SourceCitation]
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    trace: Trace


class RouteResult(_Out):
    id: str
    title: str
    summary: str | None = None
    applies: Literal["yes", "maybe"]
    items: int


class DerivedFact(_Out):
    fact: str
    values: list[Any]
    certain: bool
    rules: list[str]


class Conflict(_Out):
    fact: str
    values: list[Any]
    rules: list[str]


class IgnoredAnswer(_Out):
    question: str
    value: Any
    reason: str


class Timeline(_Out):
    """Statutory working days along the longest chain of items (``after``) on the checklist."""

    critical_path: list[str]
    statutory_working_days: int
    note: str
    other_limits: list[str] = []


class Outcome(_Out):
    schema_version: str = SCHEMA_VERSION
    rulebase: RuleBaseRef
    as_of: dt.date
    lang: Literal["zh", "en"]
    routes: list[RouteResult]
    items: list[ItemResult]
    upcoming: list[ItemResult] = []
    facts: list[DerivedFact] = []
    conflicts: list[Conflict] = []
    timeline: Timeline
    ignored_answers: list[IgnoredAnswer] = []
    unanswered: list[str] = []
    complete: bool


class OptionOut(_Out):
    value: str
    label: str
    help: str | None = None


class QuestionOut(_Out):
    id: str
    text: str
    type: str
    help: str | None = None
    options: list[OptionOut] = []
    unknown_allowed: bool
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    sources: list[SourceCitation] = []


class Progress(_Out):
    answered: int
    remaining_at_most: int
    ignored: list[str] = []


class NextQuestion(_Out):
    rulebase: RuleBaseRef
    question: QuestionOut | None
    progress: Progress
    routes: list[RouteResult] = []
