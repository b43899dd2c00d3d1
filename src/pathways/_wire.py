"""The documents of the HTTP API: requests, the responses that are not core models, and errors.

Shared by the server (``pathways.server``) and the client (``pathways.client``); it imports
neither fastapi nor httpx. Checklists, next questions and explanations travel as the core's own
models (``Outcome``, ``NextQuestion``, ``Explanation``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator

from ._dates import parse_date
from ._outcome import Lang, QuestionOut, RuleBaseRef

__all__ = [
    "API_VERSION",
    "CheckRequest",
    "DocumentRequest",
    "ErrorBody",
    "ErrorIssue",
    "ExplainRequest",
    "Health",
    "NextRequest",
    "QuestionsOut",
    "Ready",
    "ReloadResult",
    "RouteInfo",
    "RuleBaseCounts",
    "RuleBaseInfo",
    "RULEBASE_HEADERS",
    "error_body",
    "parse_rulebase_headers",
]

API_VERSION = "v1"

#: every response carries the rule base it used in these headers (errors included)
RULEBASE_HEADERS = ("X-Rulebase-Id", "X-Rulebase-Version", "X-Rulebase-Hash")

Ident = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# YYYY-MM-DD only: not 0 (a Unix timestamp to pydantic), not a date and time, not 20261124
Day = Annotated[dt.date, BeforeValidator(parse_date)]

_ANSWERS_DOC = (
    "Question id → answer. yes/no: true/false; choice: the option value; multi: a list of "
    'option values; number; date: YYYY-MM-DD; text; "unknown" for don\'t know (where '
    "allowed); null for not answered. GET /v1/questions lists the ids and options."
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


DOCUMENT_FORMATS = ("html", "pdf", "xlsx", "md")


class CheckRequest(_In):
    """POST /v1/checklist."""

    answers: dict[Ident, Any] = Field(default_factory=dict, description=_ANSWERS_DOC)
    as_of: Day | None = Field(
        None, description="Evaluate the rules as they stood on this date (default: today, on the server)."
    )
    lang: Lang = "en"
    format: Literal["json"] = Field(
        "json",
        deprecated=True,
        description="Always json (the Outcome document); accepted for older clients. "
        "The checklist as Markdown, HTML, PDF or XLSX comes from POST /v1/document.",
    )

    @field_validator("format", mode="before")
    @classmethod
    def _moved_formats(cls, value: Any) -> Any:
        # md and html were served here in 0.1 (issue 16): say where they went, not just "must be json"
        if value in DOCUMENT_FORMATS:
            raise ValueError(
                f"'{value}' is no longer served by /v1/checklist, which returns the JSON outcome "
                f"only: POST the same body to /v1/document (format {value!r}) for the checklist "
                "as a document"
            )
        return value


class ItemProgressIn(_In):
    done: bool = Field(False, description="Ticked off: the company has done this item.")
    note: Annotated[str, StringConstraints(max_length=2000)] = Field("", description="The company's own note.")


class DocumentRequest(_In):
    """POST /v1/document: the checklist as a document to send (HTML, PDF, XLSX or Markdown)."""

    answers: dict[Ident, Any] = Field(default_factory=dict, description=_ANSWERS_DOC)
    as_of: Day | None = Field(
        None, description="Evaluate the rules as they stood on this date (default: today, on the server)."
    )
    lang: Lang = "en"
    format: Literal["html", "pdf", "xlsx", "md"] = Field(
        "pdf", description="html (printable), pdf, xlsx (a tracker with owner/due/done columns) or md."
    )
    product: Annotated[str, StringConstraints(max_length=200)] = Field(
        "", description="The product's name, for the title and every page's header."
    )
    company: Annotated[str, StringConstraints(max_length=200)] = Field("", description="The company, under the title.")
    case_date: Day | None = Field(None, description="The case's date (YYYY-MM-DD).")
    progress: dict[Ident, ItemProgressIn] = Field(
        default_factory=dict,
        max_length=2000,
        description="Item id → what the company has done about it (ticked off, a note).",
    )


class NextRequest(_In):
    """POST /v1/next."""

    answers: dict[Ident, Any] = Field(default_factory=dict, description=_ANSWERS_DOC)
    as_of: Day | None = None
    lang: Lang = "en"


class ExplainRequest(_In):
    """POST /v1/explain."""

    answers: dict[Ident, Any] = Field(default_factory=dict, description=_ANSWERS_DOC)
    item: Ident = Field(description="The checklist item to explain (an item id of the rule base).")
    as_of: Day | None = None
    lang: Lang = "en"


class RouteInfo(_Out):
    id: str
    title: str
    items: int


class RuleBaseCounts(_Out):
    questions: int
    fact_rules: int
    items: int
    routes: int
    sources: int
    authorities: int


class RuleBaseInfo(_Out):
    """GET /v1/rulebase: the rule base this server (worker) evaluates with."""

    id: str
    version: str
    hash: str
    title: str
    title_zh: str = ""  # the title in Chinese (``title`` is English); added later, so it may be absent
    released: dt.date
    loaded_at: dt.datetime
    routes: list[RouteInfo]
    counts: RuleBaseCounts


class QuestionsOut(_Out):
    """GET /v1/questions: every question of the rule base, in rule-base order."""

    rulebase: RuleBaseRef
    lang: Lang
    questions: list[QuestionOut]


class Health(_Out):
    status: Literal["ok"] = "ok"


class Ready(_Out):
    status: Literal["ready"] = "ready"
    rulebase: RuleBaseRef


class ReloadResult(_Out):
    """POST /v1/admin/reload."""

    changed: bool
    previous: RuleBaseRef
    current: RuleBaseRef


class ErrorIssue(_Out):
    code: str
    message: str
    field: str | None = None
    suggestion: str | None = None


class ErrorBody(_Out):
    """Every error response (4xx, 5xx). ``code`` is stable; match on it, not on ``message``.

    Codes: bad_json, bad_request (400); unauthorized (401); forbidden (403); not_found (404);
    method_not_allowed (405); body_too_large (413); invalid_request,
    invalid_answers, unknown_item, rulebase_invalid (422); not_ready (503); internal_error (500).
    ``issues`` lists every problem found (for invalid answers: the core's PA2xx codes, each with
    the field path such as ``answers.device_class``); ``field``/``suggestion`` repeat the first.
    """

    code: str
    message: str
    field: str | None = None
    suggestion: str | None = None
    issues: list[ErrorIssue] = []
    request_id: str | None = None
    rulebase: RuleBaseRef | None = None


def error_body(
    code: str,
    message: str,
    issues: list[ErrorIssue] | None = None,
    *,
    request_id: str | None = None,
    rulebase: RuleBaseRef | None = None,
    field: str | None = None,
    suggestion: str | None = None,
) -> dict[str, Any]:
    issues = issues or []
    first = issues[0] if issues else None
    return ErrorBody(
        code=code,
        message=message,
        field=field or (first.field if first else None),
        suggestion=suggestion or (first.suggestion if first else None),
        issues=issues,
        request_id=request_id,
        rulebase=rulebase,
    ).model_dump(mode="json")


def parse_rulebase_headers(headers: Any) -> RuleBaseRef | None:
    """The rule base named by a response's X-Rulebase-* headers, if all three are present."""
    from urllib.parse import unquote

    values = [headers.get(h) for h in RULEBASE_HEADERS]
    if not all(values):
        return None
    return RuleBaseRef(id=unquote(values[0]), version=unquote(values[1]), hash=unquote(values[2]))
