"""Answers: reading answers files and checking each answer against its question.

An answer is normalised by the question's type before it reaches the engine, whose equality is
loosely typed ('42' == 42, True == 'true'): yes/no → bool, choice → option text, multi → list of
option texts, number → int/float, date → date, text → str; "don't know" → ``UNKNOWN``.
"""

from __future__ import annotations

import datetime as dt
import json
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._dates import parse_date
from ._errors import AnswerIssue, AnswersError, suggest
from ._loader import RuleBase
from ._models import MAX_NUMBER
from ._yaml import YamlFailure, decode_utf8, load_yaml_text

__all__ = [
    "AnswerLimits",
    "AnswerSet",
    "Unknown",
    "UNKNOWN",
    "MAX_ANSWERS",
    "MAX_TEXT",
    "check_answers",
    "read_answers_file",
    "parse_answers_document",
]

MAX_ANSWERS = 500
MAX_TEXT = 2000
MAX_ANSWERS_BYTES = 1024 * 1024


@dataclass(frozen=True)
class AnswerLimits:
    """How many answers, and how long a text answer, a caller accepts: the core's limits by default;
    a server may set lower ones (``pathways serve``'s settings). Checked with every other answer rule,
    in ``check_answers``, so each bad field is named once, in one place."""

    max_answers: int = MAX_ANSWERS
    max_text: int = MAX_TEXT

    def __post_init__(self) -> None:
        if not 1 <= self.max_answers <= MAX_ANSWERS or not 1 <= self.max_text <= MAX_TEXT:
            raise ValueError(f"answer limits must be within 1..{MAX_ANSWERS} answers and 1..{MAX_TEXT} characters")


CORE_LIMITS = AnswerLimits()


class Unknown:
    """The answer "don't know"."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()


@dataclass
class AnswerSet:
    """A parsed answers document."""

    answers: dict[str, Any]
    as_of: dt.date | None = None
    rulebase: dict[str, str] | None = None
    case: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


_SHOW = reprlib.Repr()
_SHOW.maxlevel, _SHOW.maxstring, _SHOW.maxother = 3, 60, 60


def _show(value: Any) -> str:
    """A value in a message: short, and safe however deeply it nests."""
    return _SHOW.repr(value)


def _check_one(rb: RuleBase, qid: str, value: Any, issues: list[AnswerIssue]) -> Any:
    """One answer by its question's type (a text's length is checked before, in ``check_answers``)."""
    where = f"answers.{qid}"
    q = rb.questions[qid].model
    if value == "unknown" or value is UNKNOWN:
        if q.unknown != "allowed":
            issues.append(AnswerIssue("PA204", 'this question does not accept "don\'t know"', where))
            return None
        return UNKNOWN
    if q.type == "yes_no":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("yes", "no"):
            return value.lower() == "yes"
        issues.append(AnswerIssue("PA202", f"expected yes or no (true/false), got {_show(value)}", where))
        return None
    if q.type == "choice":
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value) in q.option_values:
            return str(value)
        issues.append(
            AnswerIssue(
                "PA203",
                f"{_show(value)} is not an option; options: " + ", ".join(q.option_values),
                where,
                suggest(str(value), q.option_values),
            )
        )
        return None
    if q.type == "multi":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            issues.append(AnswerIssue("PA202", f"expected a list of options, got {_show(value)}", where))
            return None
        chosen = []
        for index, item in enumerate(value):
            if not isinstance(item, (str, int, float)) or isinstance(item, bool) or str(item) not in q.option_values:
                issues.append(
                    AnswerIssue(
                        "PA203",
                        f"{_show(item)} is not an option; options: " + ", ".join(q.option_values),
                        f"{where}[{index}]",
                        suggest(str(item), q.option_values),
                    )
                )
                return None
            if str(item) not in chosen:
                chosen.append(str(item))
        return chosen
    if q.type == "number":
        if isinstance(value, str):
            try:
                value = float(value) if any(c in value for c in ".eE") else int(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            issues.append(AnswerIssue("PA202", f"expected a number, got {_show(value)}", where))
            return None
        if abs(value) > MAX_NUMBER:  # also infinity: the engine compares only finite doubles
            issues.append(AnswerIssue("PA205", f"{value} is too large (at most {MAX_NUMBER:.0e})", where))
            return None
        if q.min is not None and value < q.min or q.max is not None and value > q.max:
            issues.append(AnswerIssue("PA205", f"{value} is outside {q.min}..{q.max}", where))
            return None
        return value
    if q.type == "date":
        try:
            return parse_date(value)
        except ValueError as exc:
            issues.append(AnswerIssue("PA202", str(exc), where))
            return None
    if not isinstance(value, str):
        issues.append(AnswerIssue("PA202", f"expected text, got {_show(value)}", where))
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        issues.append(AnswerIssue("PA202", "text is not valid Unicode (a lone surrogate?)", where))
        return None
    return value


def check_answers(rb: RuleBase, answers: Mapping[str, Any], limits: AnswerLimits = CORE_LIMITS) -> dict[str, Any]:
    """Normalise answers by question type; raise AnswersError naming each bad field.

    The one answer check: the public functions, the server and the scenario runner all call it
    (the server adds only what is particular to JSON: invalid Unicode, nesting, non-finite numbers).
    """
    issues: list[AnswerIssue] = []
    if not isinstance(answers, Mapping):
        raise AnswersError([AnswerIssue("PA201", "answers must be a mapping of question id to value", "answers")])
    if len(answers) > limits.max_answers:
        raise AnswersError([AnswerIssue("PA207", f"more than {limits.max_answers} answers", "answers")])
    normal: dict[str, Any] = {}
    for qid, value in answers.items():
        if not isinstance(qid, str) or qid not in rb.questions:
            issues.append(
                AnswerIssue("PA201", f"unknown question '{qid}'", f"answers.{qid}", suggest(str(qid), rb.questions))
            )
            continue
        if value is None:
            continue  # an explicit null is "not answered yet"
        if isinstance(value, str) and len(value) > limits.max_text:  # before any other check of it
            issues.append(AnswerIssue("PA206", f"text longer than {limits.max_text} characters", f"answers.{qid}"))
            continue
        checked = _check_one(rb, qid, value, issues)
        if checked is not None:
            normal[qid] = checked
    if issues:
        raise AnswersError(issues)
    # keep rule-base order: outputs must not depend on the order answers were given in
    return {qid: normal[qid] for qid in rb.questions if qid in normal}


def parse_answers_document(data: Any, source: str = "answers") -> AnswerSet:
    """Split an answers document ({rulebase?, as_of?, answers, case?}) into its parts."""
    if not isinstance(data, Mapping):
        raise AnswersError([AnswerIssue("PA200", "expected a mapping with an 'answers' key", source)])
    allowed = ("rulebase", "as_of", "answers", "case")
    issues = []
    for key in data:
        if key not in allowed:
            issues.append(
                AnswerIssue(
                    "PA200", f"unknown key '{key}'; allowed: {', '.join(allowed)}", str(key), suggest(str(key), allowed)
                )
            )
    if "answers" not in data:
        issues.append(AnswerIssue("PA200", "missing 'answers'", "answers"))
    as_of = data.get("as_of")
    if as_of is not None:
        try:
            as_of = parse_date(as_of)
        except ValueError as exc:
            issues.append(AnswerIssue("PA202", str(exc), "as_of"))
            as_of = None
    rulebase = data.get("rulebase")
    if rulebase is not None and not (isinstance(rulebase, Mapping) and set(rulebase) <= {"id", "version", "hash"}):
        issues.append(AnswerIssue("PA200", "rulebase must be {id, version}", "rulebase"))
    case = data.get("case") or {}
    if not isinstance(case, Mapping):
        issues.append(AnswerIssue("PA200", "case must be a mapping", "case"))
    answers = data.get("answers")
    if answers is None:
        answers = {}
    if not isinstance(answers, Mapping):
        issues.append(AnswerIssue("PA201", "answers must be a mapping of question id to value", "answers"))
    if issues:
        raise AnswersError(issues)
    return AnswerSet(
        dict(answers),
        as_of if isinstance(as_of, dt.date) else None,
        {k: str(v) for k, v in rulebase.items()} if rulebase else None,
        dict(case),
    )


def read_answers_file(path: str | Path, text: str | bytes | None = None) -> AnswerSet:
    """Read an answers file (YAML or JSON; ``-`` with ``text`` for stdin, as text or as bytes)."""
    name = str(path)
    try:
        if text is None:
            p = Path(path)
            try:
                if p.stat().st_size > MAX_ANSWERS_BYTES:
                    raise AnswersError([AnswerIssue("PA200", "answers file larger than 1 MiB", name)])
                text = p.read_bytes()
            except FileNotFoundError:
                raise AnswersError([AnswerIssue("PA200", "file not found", name)]) from None
            except OSError as exc:
                raise AnswersError([AnswerIssue("PA200", f"cannot read: {exc.strerror}", name)]) from None
        if isinstance(text, bytes):
            if len(text) > MAX_ANSWERS_BYTES:
                raise AnswersError([AnswerIssue("PA200", "answers larger than 1 MiB", name)])
            text = decode_utf8(text, name)
        if name.endswith(".json"):
            data = _json(text, name)
        else:
            data = load_yaml_text(text, name)
    except YamlFailure as failure:
        issue = failure.issue
        raise AnswersError(
            [AnswerIssue("PA200", f"line {issue.line} column {issue.column}: {issue.message}", name)]
        ) from None
    return parse_answers_document(data, name)


def _json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnswersError(
            [AnswerIssue("PA200", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", name)]
        ) from None
    except RecursionError:
        raise AnswersError([AnswerIssue("PA200", "nested too deeply (more than a few hundred levels)", name)]) from None
