"""The exception hierarchy of pathways.

    PathwaysError
    ├── RuleBaseError        the rule base could not be loaded; carries every RuleIssue found
    ├── AnswersError         an answers file or mapping is invalid; carries every AnswerIssue
    └── EngineError          the inference engine failed on a valid rule base (a bug to report)

Every issue has a stable ``code`` so that editors, CI and tests can match on it, a position
(file, line, column for rule files; the field path for answers), a message that says what was
expected, and, where it helps, a "did you mean" suggestion.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "AnswerIssue",
    "AnswersError",
    "EngineError",
    "PathwaysError",
    "RuleBaseError",
    "RuleIssue",
    "suggest",
]


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to ``word``, if any is close enough to be a likely typo."""
    matches = difflib.get_close_matches(str(word), sorted(set(candidates)), n=1, cutoff=0.6)
    return matches[0] if matches else None


@dataclass(frozen=True)
class RuleIssue:
    """One problem in a rule file, with where it is and what was expected."""

    code: str
    message: str
    file: str
    line: int = 0
    column: int = 0
    suggestion: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        text = f"{where}: {self.code}: {self.message}"
        if self.suggestion is not None:
            text += f" (did you mean '{self.suggestion}'?)"
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "suggestion": self.suggestion,
        }


@dataclass(frozen=True)
class AnswerIssue:
    """One problem in a set of answers, named by its field path (``answers.device_class``)."""

    code: str
    message: str
    field: str
    suggestion: str | None = None

    def __str__(self) -> str:
        text = f"{self.field}: {self.code}: {self.message}"
        if self.suggestion is not None:
            text += f" (did you mean '{self.suggestion}'?)"
        return text

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "field": self.field, "suggestion": self.suggestion}


class PathwaysError(Exception):
    """Base of every error pathways raises on purpose."""


class RuleBaseError(PathwaysError):
    """The rule base is invalid. ``issues`` lists every problem found, in file order.

    Issues name files relative to the parent of ``root`` (the rule base directory, when known), as
    the loader does: ``rules/common.yaml`` wherever the program runs.
    """

    def __init__(self, issues: Iterable[RuleIssue], root: Path | None = None) -> None:
        self.root = root
        self.issues: list[RuleIssue] = sorted(issues, key=lambda i: (i.file, i.line, i.column, i.code))
        count = len(self.issues)
        head = str(self.issues[0]) if self.issues else "invalid rule base"
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(head + more)


class AnswersError(PathwaysError):
    """The answers are invalid. ``issues`` lists every problem found."""

    def __init__(self, issues: Iterable[AnswerIssue]) -> None:
        self.issues: list[AnswerIssue] = list(issues)
        count = len(self.issues)
        head = str(self.issues[0]) if self.issues else "invalid answers"
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(head + more)


class EngineError(PathwaysError):
    """The inference engine failed while evaluating a valid rule base.

    This is a bug in pathways or in the engine, never a problem of the user's input.
    """
