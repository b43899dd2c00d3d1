"""Where the wizard's answers are evaluated: here, on a loaded rule base, or on a pathways server.

The screens and the case session talk to a ``Backend`` only; ``LocalBackend`` calls the core
(``pathways.next_question``, ``pathways.evaluate``), ``RemoteBackend`` calls a ``pathways serve``
through ``pathways.client.PathwaysClient`` (``pathways wizard --server URL``). Both return the
core's models, so nothing above this module knows which one it has.

Every method may block (the engine, the network): call them from the engine thread, never from
the UI thread. Failures are ``pathways.PathwaysError`` (``AnswersError`` for answers the rule base
refuses, ``pathways.client.ClientError`` for a server that cannot be reached or refuses).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pathways
from pathways import NextQuestion, Outcome, QuestionOut, question_out

if TYPE_CHECKING:
    from pathways.client import PathwaysClient

__all__ = ["Backend", "LocalBackend", "RemoteBackend"]


class Backend:
    """What the wizard needs of a rule base: its identity, its questions, the planner, the checklist."""

    id: str
    version: str
    hash: str
    #: where the answers are evaluated, for the start screen ("" when here)
    location: str = ""

    def title(self, lang: str) -> str:
        raise NotImplementedError

    @property
    def question_ids(self) -> tuple[str, ...]:
        """Every question id, in rule-base order."""
        raise NotImplementedError

    def question(self, qid: str, lang: str) -> QuestionOut:
        raise NotImplementedError

    def next_question(self, answers: Mapping[str, Any], lang: str, as_of: dt.date) -> NextQuestion:
        raise NotImplementedError

    def evaluate(self, answers: Mapping[str, Any], as_of: dt.date, lang: str) -> Outcome:
        raise NotImplementedError

    def check_answers(self, answers: Mapping[str, Any]) -> None:
        """Raise ``pathways.AnswersError`` (with ``issues``) if the rule base refuses ``answers``."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the backend holds (connections)."""


class LocalBackend(Backend):
    """The rule base loaded in this process; the durable-rules engine runs here."""

    def __init__(self, rule_base: pathways.RuleBase) -> None:
        self.rule_base = rule_base
        self.id, self.version, self.hash = rule_base.id, rule_base.version, rule_base.content_hash
        self._ids = tuple(rule_base.questions)
        self._questions: dict[tuple[str, str], QuestionOut] = {}

    def title(self, lang: str) -> str:
        return self.rule_base.manifest.title.get(lang)

    @property
    def question_ids(self) -> tuple[str, ...]:
        return self._ids

    def question(self, qid: str, lang: str) -> QuestionOut:
        key = (qid, lang)
        found = self._questions.get(key)
        if found is None:
            found = self._questions[key] = question_out(self.rule_base, qid, lang)
        return found

    def next_question(self, answers: Mapping[str, Any], lang: str, as_of: dt.date) -> NextQuestion:
        return pathways.next_question(self.rule_base, dict(answers), lang, as_of)

    def evaluate(self, answers: Mapping[str, Any], as_of: dt.date, lang: str) -> Outcome:
        return pathways.evaluate(self.rule_base, dict(answers), as_of, lang)

    def check_answers(self, answers: Mapping[str, Any]) -> None:
        pathways.check_answers(self.rule_base, answers)


class RemoteBackend(Backend):
    """A pathways server (``pathways serve``): the questions, the planner and the checklist come
    from its rule base; nothing is evaluated here.

    The server may reload its rule base while a case is open; every answer it sends names the rule
    base it used, and when that changes the questions are fetched again (a question the new rule
    base no longer has is then refused by the server as an invalid answer, which the wizard reports).
    Like every backend call, the refresh runs in the engine thread; it replaces whole attributes,
    so the UI thread reads either the old questions or the new ones.
    """

    def __init__(self, client: PathwaysClient) -> None:
        self.client = client
        self.location = client.base_url
        self._refresh()

    @classmethod
    def connect(cls, url: str, token: str | None = None, *, timeout: float = 30.0) -> RemoteBackend:
        """Connect to ``url`` and read its rule base (raises ``pathways.client.ClientError``)."""
        from pathways.client import PathwaysClient

        client = PathwaysClient(url, token=token, timeout=timeout)
        try:
            backend = cls(client)
        except BaseException:
            client.close()
            raise
        return backend

    def _refresh(self) -> None:
        """(Re)read the server's rule base: identity, titles and the questions in both languages."""
        info = self.client.rulebase()
        questions = {lang: {q.id: q for q in self.client.questions(lang=lang)} for lang in ("en", "zh")}
        self.id, self.version, self.hash = info.id, info.version, info.hash
        self._titles = {"en": info.title, "zh": info.title_zh or info.title}
        self._questions = questions
        self._ids = tuple(questions["en"])

    def _seen(self, rulebase_hash: str) -> None:
        if rulebase_hash != self.hash:
            self._refresh()

    def title(self, lang: str) -> str:
        return self._titles.get(lang) or self._titles["en"]

    @property
    def question_ids(self) -> tuple[str, ...]:
        return self._ids

    def question(self, qid: str, lang: str) -> QuestionOut:
        found = self._questions.get(lang, {}).get(qid)
        if found is None:
            # a question of an answer saved against another rule base: show its id, not a crash
            return QuestionOut(id=qid, text=qid, type="text", unknown_allowed=False)
        return found

    def next_question(self, answers: Mapping[str, Any], lang: str, as_of: dt.date) -> NextQuestion:
        step = self.client.next_question(answers, lang=lang, as_of=as_of)
        self._seen(step.rulebase.hash)
        return step

    def evaluate(self, answers: Mapping[str, Any], as_of: dt.date, lang: str) -> Outcome:
        outcome = self.client.checklist(answers, as_of=as_of, lang=lang)
        self._seen(outcome.rulebase.hash)
        return outcome

    def check_answers(self, answers: Mapping[str, Any]) -> None:
        # the server checks answers as evaluate() does; InvalidAnswers is a pathways.AnswersError
        self.next_question(answers, "en", dt.date.today())

    def close(self) -> None:
        self.client.close()
