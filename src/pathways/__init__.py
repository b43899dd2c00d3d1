"""pathways: which Chinese approval routes a product needs, and what each demands.

The headless core. It never imports the wizard (textual) or the server (fastapi, uvicorn).

    >>> import pathways
    >>> rb = pathways.load_rule_base()               # the shipped rule base
    >>> outcome = pathways.evaluate(rb, {"product_kind": "device", ...}, lang="en")
    >>> pathways.render(outcome, "md")
    >>> pathways.export(outcome, "pdf", case=pathways.CaseDetails(product="X"))   # bytes: pdf, xlsx, ...

Everything public is in ``__all__``: the functions, every model they take or return (the outcome's
parts too), the limits on answers, and ``giving_way``, the hook a user interface uses to make
background evaluations give way to its own thread. The ``pathways._*`` modules are private: their
names may change in any release. ``pathways.client`` (an HTTP client) and ``pathways.server``
(the HTTP API) are imported on their own.
"""

from __future__ import annotations

import sys as _sys

if _sys.version_info >= (3, 13):  # pragma: no cover - depends on the interpreter
    raise ImportError(
        "pathways needs Python 3.11 or 3.12: its inference engine, durable-rules 2.0.28, does not "
        "import on Python 3.13 or later (PyEval_CallObject was removed from the C API)."
    )

from ._answers import (
    MAX_ANSWERS,
    MAX_ANSWERS_BYTES,
    MAX_TEXT,
    UNKNOWN,
    AnswerLimits,
    AnswerSet,
    Unknown,
    check_answers,
    parse_answers_document,
    read_answers_file,
)
from ._api import Explanation, evaluate, explain, next_question, question_out
from ._document import CaseDetails, ItemProgress, items_by_route_and_stage
from ._errors import AnswerIssue, AnswersError, EngineError, PathwaysError, RuleBaseError, RuleIssue
from ._files import write_file
from ._loader import RuleBase, default_rules_dir, load_rule_base
from ._models import STAGES
from ._outcome import (
    SCHEMA_VERSION,
    AnswerGiven,
    AnswerUsed,
    AuthorityRef,
    Conflict,
    DerivedFact,
    IgnoredAnswer,
    ItemResult,
    Labels,
    NextQuestion,
    OpenQuestion,
    OptionOut,
    Outcome,
    Progress,
    QuestionOut,
    RouteResult,
    RuleBaseRef,
    SourceCitation,
    TimeLimitOut,
    Timeline,
    TimelineStep,
    Trace,
    TraceFact,
)
from ._render import FORMATS, MEDIA_TYPES, export, render
from ._scheduling import giving_way
from ._texts import STAGE_LABELS, STATUS_LABELS, duration_text, link_kind_text, time_limit_text

__all__ = [
    # constants
    "FORMATS",
    "MAX_ANSWERS",
    "MAX_ANSWERS_BYTES",
    "MAX_TEXT",
    "MEDIA_TYPES",
    "SCHEMA_VERSION",
    "STAGES",
    "STAGE_LABELS",
    "STATUS_LABELS",
    "UNKNOWN",
    # the rule base, answers and errors
    "AnswerIssue",
    "AnswerLimits",
    "AnswerSet",
    "AnswersError",
    "EngineError",
    "PathwaysError",
    "RuleBase",
    "RuleBaseError",
    "RuleIssue",
    "Unknown",
    # the outcome (pathways.evaluate), the next question (pathways.next_question), explanations
    "AnswerGiven",
    "AnswerUsed",
    "AuthorityRef",
    "Conflict",
    "DerivedFact",
    "Explanation",
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
    "SourceCitation",
    "TimeLimitOut",
    "Timeline",
    "TimelineStep",
    "Trace",
    "TraceFact",
    # documents
    "CaseDetails",
    "ItemProgress",
    # functions
    "check_answers",
    "default_rules_dir",
    "duration_text",
    "evaluate",
    "explain",
    "export",
    "giving_way",
    "items_by_route_and_stage",
    "link_kind_text",
    "load_rule_base",
    "next_question",
    "parse_answers_document",
    "question_out",
    "read_answers_file",
    "render",
    "time_limit_text",
    "write_file",
]

__version__ = "0.1.0"
