"""pathways: which Chinese approval routes a product needs, and what each demands.

The headless core. It never imports the wizard (textual) or the server (fastapi, uvicorn).

    >>> import pathways
    >>> rb = pathways.load_rule_base()               # the shipped rule base
    >>> outcome = pathways.evaluate(rb, {"product_kind": "device", ...}, lang="en")
    >>> pathways.render(outcome, "md")
    >>> pathways.export(outcome, "pdf", case=pathways.CaseDetails(product="X"))   # bytes: pdf, xlsx, ...
"""

from __future__ import annotations

import sys as _sys

if _sys.version_info >= (3, 13):  # pragma: no cover - depends on the interpreter
    raise ImportError(
        "pathways needs Python 3.11 or 3.12: its inference engine, durable-rules 2.0.28, does not "
        "import on Python 3.13 or later (PyEval_CallObject was removed from the C API)."
    )

from ._answers import UNKNOWN, AnswerSet, check_answers, parse_answers_document, read_answers_file
from ._api import Explanation, evaluate, explain, next_question
from ._document import CaseDetails, ItemProgress
from ._files import write_file
from ._errors import AnswerIssue, AnswersError, EngineError, PathwaysError, RuleBaseError, RuleIssue
from ._loader import RuleBase, default_rules_dir, load_rule_base
from ._outcome import SCHEMA_VERSION, ItemResult, NextQuestion, Outcome
from ._render import FORMATS, MEDIA_TYPES, export, render
from ._texts import duration_text, link_kind_text, time_limit_text

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "SCHEMA_VERSION",
    "UNKNOWN",
    "AnswerIssue",
    "AnswerSet",
    "AnswersError",
    "CaseDetails",
    "EngineError",
    "Explanation",
    "ItemProgress",
    "ItemResult",
    "NextQuestion",
    "Outcome",
    "PathwaysError",
    "RuleBase",
    "RuleBaseError",
    "RuleIssue",
    "check_answers",
    "default_rules_dir",
    "duration_text",
    "evaluate",
    "explain",
    "export",
    "link_kind_text",
    "load_rule_base",
    "next_question",
    "parse_answers_document",
    "read_answers_file",
    "render",
    "time_limit_text",
    "write_file",
]

__version__ = "0.1.0"
