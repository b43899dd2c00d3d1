"""Pydantic models of the rule files, as a consultant writes them.

These models check shape and types; cross-references, conditions and graphs are checked by the
loader (``_loader``), which knows the whole rule base.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = [
    "Authority",
    "DurationRange",
    "FactRule",
    "Item",
    "ItemKind",
    "ITEM_KINDS",
    "MAX_NUMBER",
    "Manifest",
    "Option",
    "Question",
    "QuestionType",
    "Route",
    "RuleFile",
    "SecondaryHost",
    "Source",
    "SourceKind",
    "SourcePolicy",
    "SourceRef",
    "Stage",
    "Text",
    "TimeLimit",
    "Valid",
    "STAGES",
]

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
OptionValue = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=80)]
QuestionType = Literal["yes_no", "choice", "multi", "number", "date", "text"]
Stage = Literal[
    "preparation", "classification", "testing", "clinical", "registration", "manufacturing", "post_market", "incentive"
]
STAGES: tuple[str, ...] = (
    "preparation",
    "classification",
    "testing",
    "clinical",
    "registration",
    "manufacturing",
    "post_market",
    "incentive",
)
# the largest number an answer, a condition or a rule may hold: beyond it (and beyond 2^53) doubles no
# longer count every unit, and the engine compares doubles
MAX_NUMBER = 1e15
# a number a rule writes (a question's min or max): finite, and no larger than an answer may be
Bound = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_NUMBER, le=MAX_NUMBER)]
RESERVED_VALUES = frozenset({"known", "unknown", "none"})
# obligation: a step the law requires of this product; option: a programme, pilot, support policy or
# incentive the company may choose to apply for when eligible; guidance: advice, a service window or
# a precedent, for information
ItemKind = Literal["obligation", "option", "guidance"]
ITEM_KINDS: tuple[str, ...] = ("obligation", "option", "guidance")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Text(_Strict):
    """A user-facing text in both languages."""

    zh: Annotated[str, StringConstraints(min_length=1, max_length=4000)]
    en: Annotated[str, StringConstraints(min_length=1, max_length=4000)]

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class Valid(_Strict):
    """The dates between which a rule is law (both inclusive)."""

    from_: dt.date | None = Field(default=None, alias="from")
    to: dt.date | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _ordered(self) -> Valid:
        if self.from_ and self.to and self.to < self.from_:
            raise ValueError(f"'to' ({self.to}) is before 'from' ({self.from_})")
        return self

    def holds_on(self, day: dt.date) -> bool:
        return (self.from_ is None or self.from_ <= day) and (self.to is None or day <= self.to)


class SourceRef(_Strict):
    """A citation: a source id, optionally with the article."""

    id: Id
    article: Annotated[str, StringConstraints(min_length=1, max_length=80)] | None = None
    note: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_id(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"id": data}
        if isinstance(data, dict) and isinstance(data.get("article"), int):
            data = dict(data)
            data["article"] = str(data["article"])
        return data


SourceKind = Literal["official", "secondary"]


class Source(_Strict):
    """A legal instrument or authoritative text.

    ``kind`` says what the ``url`` leads to: ``official``, the text on the issuing body's (or the
    national law database's) own site; ``secondary``, a named publisher's summary or translation
    (``publisher``, or the publisher the manifest's allow-list gives its host). Anything else has no
    url: the number, issuer and dates identify the instrument. ``checked``: the day its text was
    last read against the rule.
    """

    id: Id
    title: Text
    number: str | None = None
    issuer: Text | None = None
    issued: dt.date | None = None
    effective: dt.date | None = None
    url: Annotated[str, StringConstraints(pattern=r"^https?://", max_length=1000)] | None = None
    kind: SourceKind | None = None
    publisher: Text | None = None
    checked: dt.date | None = None
    status: Literal["unconfirmed"] | None = None
    note: Text | None = None


class Authority(_Strict):
    """Who decides or receives a filing: a regulator, at national, municipal or district level."""

    id: Id
    name: Text
    level: Literal["national", "municipal", "district", "other"]
    parent: Id | None = None
    url: Annotated[str, StringConstraints(pattern=r"^https?://", max_length=1000)] | None = None


class Option(_Strict):
    """One choice of a choice or multi-choice question."""

    value: OptionValue
    label: Text
    help: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _value_text(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and isinstance(data.get("value"), (int, float))
            and not isinstance(data.get("value"), bool)
        ):
            data = dict(data)
            data["value"] = str(data["value"])
        return data

    @model_validator(mode="after")
    def _not_reserved(self) -> Option:
        if self.value in RESERVED_VALUES:
            raise ValueError(f"'{self.value}' is reserved and cannot be an option value")
        return self


DUPLICATE_OPTION = "an option value appears twice"  # the loader says where, in its own words


class Question(_Strict):
    """A question the wizard may ask; its id is the fact that conditions test."""

    id: Id
    text: Text
    type: QuestionType
    help: Text | None = None
    options: list[Option] | None = None
    unknown: Literal["allowed", "forbidden"] = "forbidden"
    ask_when: Any = None
    unit: Text | None = None
    min: Bound | None = None
    max: Bound | None = None
    sources: list[SourceRef] = []

    @model_validator(mode="after")
    def _options_fit_type(self) -> Question:
        if self.type in ("choice", "multi"):
            if not self.options:
                raise ValueError(f"a {self.type} question needs 'options'")
            values = [option.value for option in self.options]
            if len(set(values)) != len(values):  # the loader reports where; this guards the API
                raise ValueError(DUPLICATE_OPTION)
        elif self.options is not None:
            raise ValueError(f"a {self.type} question takes no 'options'")
        if (self.min is not None or self.max is not None or self.unit is not None) and self.type != "number":
            raise ValueError("'min', 'max' and 'unit' are for number questions only")
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError("'max' is below 'min'")
        return self

    @property
    def option_values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options or ())


class FactRule(_Strict):
    """A derived fact: when the condition holds, set one or more facts to values."""

    id: Id
    when: Any
    set: dict[Id, str | bool | int | float]
    explain: Text | None = None
    sources: list[SourceRef] = []
    valid: Valid | None = None
    status: Literal["unconfirmed"] | None = None

    @model_validator(mode="after")
    def _sets_something(self) -> FactRule:
        if not self.set:
            raise ValueError("'set' must name at least one fact")
        return self


class DurationRange(_Strict):
    """A duration known only as a range (a typical review takes 1 to 3 years)."""

    min: Annotated[int, Field(ge=0, le=10000)]
    max: Annotated[int, Field(ge=0, le=10000)]
    unit: Literal["working_days", "calendar_days", "weeks", "months", "years"]

    @model_validator(mode="after")
    def _ordered(self) -> DurationRange:
        if self.max < self.min:
            raise ValueError(f"'max' ({self.max}) is below 'min' ({self.min})")
        return self


class TimeLimit(_Strict):
    """How long a step takes: statutory working or calendar days, or a typical duration (one number
    or a range)."""

    working_days: Annotated[int, Field(ge=0, le=10000)] | None = None
    calendar_days: Annotated[int, Field(ge=0, le=10000)] | None = None
    range: DurationRange | None = None
    of: Text
    statutory: bool
    note: Text | None = None

    @model_validator(mode="after")
    def _one_unit(self) -> TimeLimit:
        given = [self.working_days is not None, self.calendar_days is not None, self.range is not None]
        if sum(given) != 1:
            raise ValueError("give exactly one of 'working_days', 'calendar_days' or 'range'")
        if self.range is not None and self.statutory:
            # a statutory clock is one number of days; a range is what experience shows
            raise ValueError("a 'range' is a typical duration: set 'statutory: false'")
        return self


class Item(_Strict):
    """One step of the checklist: what to do, with whom, on which legal basis, and when it applies."""

    id: Id
    route: Id | None = None
    stage: Stage
    kind: ItemKind | None = None  # None reads as obligation; lint asks for it (PW317)
    when: Any = None
    title: Text
    detail: Text | None = None
    authority: Id | None = None
    documents: list[Text] = []
    time_limit: TimeLimit | None = None
    after: list[Id] = []
    replaces: list[Id] = []
    sources: Annotated[list[SourceRef], Field(min_length=1)]
    valid: Valid | None = None
    status: Literal["unconfirmed"] | None = None


class Route(_Strict):
    """An approval route: when it applies, and who keeps its rules up to date."""

    id: Id
    title: Text
    summary: Text | None = None
    when: Any
    owner: str | None = None
    reviewed: dt.date | None = None
    review_by: dt.date | None = None
    sources: list[SourceRef] = []


class RuleFile(_Strict):
    """Any file listed in the manifest's ``files``."""

    route: Route | None = None
    authorities: list[Authority] = []
    sources: list[Source] = []
    questions: list[Question] = []
    facts: list[FactRule] = []
    items: list[Item] = []

    @model_validator(mode="after")
    def _items_need_route(self) -> RuleFile:
        if self.items and self.route is None and any(item.route is None for item in self.items):
            raise ValueError("items outside a route file must name their 'route'")
        return self


class SecondaryHost(_Strict):
    """A publisher whose summaries the rule base may link to, and the host its pages are on."""

    host: Annotated[str, StringConstraints(pattern=r"^[a-z0-9.\-]+$", max_length=253)]
    publisher: Text


class SourcePolicy(_Strict):
    """Where legal-basis links may point (lint PW319-PW322): hosts match themselves and their
    subdomains (``gov.cn`` covers ``www.nmpa.gov.cn``)."""

    official_hosts: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9.\-]+$", max_length=253)]] = []
    secondary_hosts: list[SecondaryHost] = []
    review_months: Annotated[int, Field(ge=1, le=120)] = 12  # a source's text is re-read this often

    @staticmethod
    def host_of(url: str) -> str:
        """The host a link goes to, as the allow-lists name it (lower case, no trailing dot)."""
        return (urlsplit(url).hostname or "").lower().rstrip(".")

    def secondary(self, host: str) -> SecondaryHost | None:
        """The publisher of a secondary host. A secondary entry wins over a broader official one:
        ``english.nmpa.gov.cn`` (a translation) is secondary although ``gov.cn`` is official."""
        return next((h for h in self.secondary_hosts if _host_matches(host, h.host)), None)

    def official(self, host: str) -> bool:
        return self.secondary(host) is None and any(_host_matches(host, h) for h in self.official_hosts)


def _host_matches(host: str, allowed: str) -> bool:
    return host == allowed or host.endswith("." + allowed)


FileName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_./\-]+\.ya?ml$")]  # a file the manifest lists


class Manifest(_Strict):
    """rulebase.yaml: the rule base's id and version and the files it is made of, in order."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]*$", max_length=80)]
    version: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    released: dt.date
    in_force_from: dt.date | None = None  # cases dated from this day on are supported (lint PW318)
    title: Text
    languages: list[Literal["zh", "en"]] = ["zh", "en"]
    files: Annotated[list[FileName], Field(min_length=1)]
    scenarios: list[FileName] = []
    sources_policy: SourcePolicy = SourcePolicy()

    @model_validator(mode="before")
    @classmethod
    def _version_text(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("version"), (int, float)):
            data = dict(data)
            data["version"] = str(data["version"])
        return data
