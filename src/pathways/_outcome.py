"""The outcome of an evaluation: the checklist and everything needed to explain it.

These models are the stable, documented JSON document (``schema_version``) that scripts consume
(``pathways checklist --format json``, the HTTP API) and that the Markdown/HTML renderers and the
wizard read. Texts are in the language asked for.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from functools import cache
from typing import Any, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, model_validator

from ._models import ItemKind, QuestionType, Stage

__all__ = [
    "AnswerGiven",
    "AnswerUsed",
    "AuthorityRef",
    "Conflict",
    "DerivedFact",
    "IgnoredAnswer",
    "ItemResult",
    "Labels",
    "NextQuestion",
    "OpenQuestion",
    "OptionOut",
    "Outcome",
    "Progress",
    "QuestionOut",
    "RouteResult",
    "RuleBaseRef",
    "SCHEMA_VERSION",
    "ItemStatus",
    "SourceCitation",
    "TimeLimitOut",
    "Timeline",
    "TimelineStep",
    "Trace",
    "TraceFact",
    "outcome_labels",
]

# 2.0: items carry a kind (obligation / option / guidance) and options and guidance their own
# statuses; time limits may be ranges; the timeline separates what may add time (docs/server.md)
# 2.1: a source citation says what its link leads to (link_kind, publisher) and when it was checked
# 2.2: the outcome lists the answers given (question text, the answer as read, "don't know", used or not)
# 2.3: the outcome carries its labels (the words for stages, statuses, kinds and "don't know")
SCHEMA_VERSION = "2.3"

Lang = Literal["zh", "en"]
ItemStatus = Literal["required", "to_determine", "to_be_verified", "eligible", "possibly_eligible", "for_information"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def built(cls, **values: Any) -> Self:
        """An instance from trusted values, not validated: ``model_construct`` without its per-field
        alias lookups (these models have no aliases), for the checklist builder's thousands of models.

        Missing fields take their defaults, as with ``model_construct``; a missing required field or an
        unknown name raises ``TypeError`` (``model_construct`` would leave it out or drop it silently).
        ``tests/test_outcome_built.py`` checks the result against ``model_construct`` for every model."""
        names, defaults = _fields_of(cls)
        fields: dict[str, Any] = {}
        given = 0
        for name in names:
            if name in values:
                fields[name] = values[name]
                given += 1
            elif name in defaults:
                fields[name] = defaults[name]()
            else:
                raise TypeError(f"{cls.__name__}.built(): no value for {name!r}")
        if given != len(values):
            raise TypeError(f"{cls.__name__}.built(): unknown field(s) {sorted(set(values) - set(names))}")
        instance = cls.__new__(cls)
        _set = object.__setattr__  # frozen models: pydantic's own way of filling an instance
        _set(instance, "__dict__", fields)
        _set(instance, "__pydantic_fields_set__", set(values))
        _set(instance, "__pydantic_extra__", None)
        _set(instance, "__pydantic_private__", None)
        return instance


@cache
def _fields_of(model: type[_Out]) -> tuple[tuple[str, ...], dict[str, Callable[[], Any]]]:
    """A model's field names in order, and a maker of the default of each field that has one."""
    defaults: dict[str, Callable[[], Any]] = {}
    for name, field in model.model_fields.items():
        if not field.is_required():
            defaults[name] = functools.partial(field.get_default, call_default_factory=True, validated_data={})
    return tuple(model.model_fields), defaults


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
    link_kind: Literal["official", "secondary"] | None = None  # what url leads to
    publisher: str | None = None  # who wrote the summary a secondary link leads to
    effective: dt.date | None = None
    checked: dt.date | None = None  # the day the text was last read against the rules
    unconfirmed: bool = False


class AuthorityRef(_Out):
    id: str
    name: str


class TimeLimitOut(_Out):
    days: int | None = None  # one number of days; None for a range
    min: int | None = None  # a range: from min to max units (typical, never statutory)
    max: int | None = None
    unit: Literal["working_days", "calendar_days", "weeks", "months", "years"]
    of: str
    statutory: bool
    note: str | None = None


class AnswerUsed(_Out):
    question: str
    text: str
    value: Any
    conditional: bool = False  # given, but its question only may apply (it rests on open answers)


class AnswerGiven(_Out):
    """One answer of the case, as a reader sees it: the question's text and the answer's label."""

    question: str
    text: str
    value: Any  # option labels, yes/no, dates as ISO text, "don't know"
    unknown: bool = False  # the company answered "don't know"
    used: bool = True  # False: the question does not apply to this case (see ignored_answers)


class OpenQuestion(_Out):
    """A question whose answer is still open, by its text; ``if_values``: the answers under which
    the item applies (empty when any answer, or "don't know" itself, matters)."""

    question: str
    text: str
    if_values: list[Any] = []


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
    undetermined_by: list[str] = []  # questions whose "don't know"/missing answer leaves it open
    open_questions: list[OpenQuestion] = []  # the same, with their texts and the deciding answers


class ItemResult(_Out):
    id: str
    route: str
    stage: Stage
    kind: ItemKind
    status: ItemStatus
    applies: Literal["yes", "maybe"]
    confirmed: bool
    title: str
    detail: str | None = None
    authority: AuthorityRef | None = None
    documents: list[str] = []
    time_limit: TimeLimitOut | None = None
    after: list[str] = []  # items on this checklist that come first
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


class TimelineStep(_Out):
    """A step with a time limit that is not summed on the statutory critical path, and why."""

    item: str
    title: str
    status: ItemStatus
    time_limit: TimeLimitOut


class Timeline(_Out):
    """Statutory working days along the longest chain (``after``) of required obligations.

    Steps that may add time are listed apart and never summed: obligations still to determine,
    options (``may_add``), and steps whose typical duration is a range or not statutory
    (``typical``).
    """

    critical_path: list[str]
    statutory_working_days: int
    note: str
    typical: list[TimelineStep] = []  # required obligations: calendar-day, non-statutory or range
    longest_typical: TimelineStep | None = None  # of those, the longest: what the whole takes at least
    may_add: list[TimelineStep] = []  # to determine, or an option the company may choose
    other_limits: list[str] = []  # typical and may_add as lines of text


class Labels(_Out):
    """The core's words for the codes an outcome uses, in the outcome's language: the words the
    Markdown, HTML, PDF and XLSX exports print, so that a client with only the JSON (the HTTP API,
    a generated client, the wizard on a remote server) shows the same ones:
    ``labels.stages[item.stage]``, ``labels.statuses[item.status]``."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    stages: dict[Stage, str]
    """The title of every stage, in stage order ("Post-market", "上市后"), whether or not an item is in it."""
    statuses: dict[ItemStatus, str]
    """The word for every item status ("to determine", "待确定")."""
    kinds: dict[ItemKind, str]
    """The word for every item kind ("obligation", "法定义务")."""
    dont_know: str
    """How the outcome writes the answer "don't know" ("don't know", "不清楚") in ``answers[].value``,
    ``trace.answers[].value`` and ``ignored_answers[].value``."""


@cache
def outcome_labels(lang: str) -> Labels:
    """The labels of an outcome in ``lang`` ("en" or "zh"); the words are ``pathways._texts``'s. One
    frozen instance per language, shared by every outcome."""
    from ._texts import DONT_KNOW, KIND_LABELS, STAGE_LABELS, STATUS_LABELS  # (they import these models)

    return Labels(
        stages={stage: STAGE_LABELS[lang][stage] for stage in get_args(Stage)},  # = STAGES, in order
        statuses={status: STATUS_LABELS[lang][status] for status in get_args(ItemStatus)},
        kinds={kind: KIND_LABELS[lang][kind] for kind in get_args(ItemKind)},
        dont_know=DONT_KNOW[lang],
    )


class Outcome(_Out):
    schema_version: str = SCHEMA_VERSION
    rulebase: RuleBaseRef
    as_of: dt.date
    lang: Lang
    routes: list[RouteResult]
    items: list[ItemResult]
    upcoming: list[ItemResult] = []
    facts: list[DerivedFact] = []
    conflicts: list[Conflict] = []
    timeline: Timeline
    ignored_answers: list[IgnoredAnswer] = []
    unanswered: list[str] = []
    unanswered_questions: list[OpenQuestion] = []  # the same, with their texts
    answers: list[AnswerGiven] = []  # every answer given, in question order
    complete: bool
    labels: Labels  # the words for stages, statuses, kinds and "don't know", in ``lang`` (schema 2.3)

    @model_validator(mode="before")
    @classmethod
    def _labels_of_older_outcomes(cls, data: Any) -> Any:
        """An outcome of schema 2.2 or older (from an older server) has no labels: it gets this
        core's words for its language, the same words the older core used."""
        if isinstance(data, dict) and "labels" not in data and data.get("lang") in ("en", "zh"):
            data = {**data, "labels": outcome_labels(data["lang"])}
        return data


class OptionOut(_Out):
    value: str
    label: str
    help: str | None = None


class QuestionOut(_Out):
    id: str
    text: str
    type: QuestionType
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
