"""The state of one case being answered, with no user interface in it.

The wizard's screens read and change a ``CaseSession``; the session talks to its ``Backend`` (the
core here, or a pathways server) and to the case store. Backend calls block (the engine, the
network) and must be made from the engine thread, never from the UI thread.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pathways
from pathways import NextQuestion, Outcome, QuestionOut

from .backend import Backend
from .cases import MAX_NOTE, Case, CaseStore
from .format import display_value
from .locks import CaseLock

__all__ = ["CaseSession"]


class CaseSession:
    """One case: its answers, the order they were given in, and what the planner said last."""

    def __init__(
        self,
        backend: Backend,
        store: CaseStore,
        case: Case,
        lang: str,
        as_of: dt.date | None = None,
        lock: CaseLock | None = None,
    ) -> None:
        self.backend = backend
        self.store = store
        self.case = case
        self.lang = lang
        self.as_of = as_of or case.as_of
        self.step: NextQuestion | None = None
        self.step_lang: str | None = None
        self.revision = 0
        self.lock = lock  # held while the case is open: no second wizard opens it meanwhile
        # Saves come from the UI thread and the engine thread; a snapshot older than one already
        # on disk (the slower thread's) is skipped. Per session: a case opened again starts at 0.
        self._save_lock = threading.Lock()
        self._saved_revision = -1

    def close(self) -> None:
        """The case is closed: let another wizard open it."""
        lock, self.lock = self.lock, None
        if lock is not None:
            lock.release()

    # -- facts about the case -------------------------------------------------------------------
    @property
    def day(self) -> dt.date:
        """The date the rules are evaluated on."""
        return self.as_of or dt.date.today()

    @property
    def answers(self) -> dict[str, Any]:
        return self.case.answers

    @property
    def ignored(self) -> set[str]:
        return set(self.step.progress.ignored) if self.step else set()

    def question(self, qid: str, lang: str | None = None) -> QuestionOut:
        return self.backend.question(qid, lang or self.lang)

    def value_text(self, qid: str, lang: str | None = None) -> str:
        return display_value(self.question(qid, lang), self.answers.get(qid), lang or self.lang)

    def answered_in_order(self) -> list[str]:
        """The answered questions, in the order they were first answered."""
        seen = [q for q in self.case.order if q in self.answers]
        seen += [q for q in self.backend.question_ids if q in self.answers and q not in seen]
        return seen

    def previous(self, qid: str | None) -> str | None:
        """The relevant answered question before ``qid`` (or the last one, for a new question)."""
        order = [q for q in self.answered_in_order() if q not in self.ignored]
        if qid in order:
            index = order.index(qid)
            return order[index - 1] if index > 0 else None
        return order[-1] if order else None

    def following(self, qid: str) -> str | None:
        """The relevant answered question after ``qid``, if any."""
        order = [q for q in self.answered_in_order() if q not in self.ignored]
        if qid in order and order.index(qid) + 1 < len(order):
            return order[order.index(qid) + 1]
        return None

    # -- changing it ----------------------------------------------------------------------------
    def set_answer(self, qid: str, value: Any) -> bool:
        """Record an answer (as an answers file holds it); return whether it changed."""
        old = self.answers.get(qid, _MISSING)
        changed = old != value or type(old) is not type(value)
        if changed:
            self.case.answers[qid] = value
            if qid not in self.case.order:
                self.case.order.append(qid)
            self.case.to_determine = self.case.open_questions = None  # (the checklist is not known yet)
            self.touch()
        return changed

    def record_outcome(self, outcome: Outcome) -> bool:
        """Keep what the checklist for the current answers leaves open (for the saved-cases list):
        the items still to determine and the questions they wait for. Returns whether it changed."""
        undetermined = [item for item in outcome.items if item.status == "to_determine"]
        waiting = {q for item in undetermined for q in item.trace.undetermined_by} | set(outcome.unanswered)
        state = (len(undetermined), len(waiting))
        if (self.case.to_determine, self.case.open_questions) == state:
            return False
        self.case.to_determine, self.case.open_questions = state
        return True

    def set_product(self, name: str) -> None:
        if name != self.case.product:
            self.case.product = name
            self.touch()

    def set_lang(self, lang: str) -> None:
        self.lang = lang
        self.case.lang = lang
        self.touch()

    def toggle_tick(self, item_id: str) -> bool:
        ticked = self.case.ticked
        if item_id in ticked:
            ticked.remove(item_id)
            done = False
        else:
            ticked.append(item_id)
            done = True
        self.touch()
        return done

    def set_note(self, item_id: str, text: str) -> None:
        """The company's own note on an item ('' removes it); saved with the case, exported with it."""
        text = text.strip()[:MAX_NOTE]
        if text == self.case.notes.get(item_id, ""):
            return
        if text:
            self.case.notes[item_id] = text
        else:
            self.case.notes.pop(item_id, None)
        self.touch()

    def touch(self) -> None:
        self.case.updated = dt.datetime.now().replace(microsecond=0).isoformat()
        self.revision += 1

    # -- engine work (call from a worker thread) ------------------------------------------------
    def plan(self, lang: str | None = None) -> NextQuestion:
        """Ask the planner for the next question with the current answers."""
        return self.backend.next_question(dict(self.answers), lang or self.lang, self.day)

    def apply_step(self, step: NextQuestion, lang: str | None = None) -> None:
        self.step = step
        self.step_lang = lang or self.lang
        self.case.answered = step.progress.answered
        self.case.remaining_at_most = step.progress.remaining_at_most
        self.case.complete = step.question is None

    def evaluate(self, lang: str | None = None) -> Outcome:
        return self.backend.evaluate(dict(self.answers), self.day, lang or self.lang)

    def snapshot(self) -> tuple[Case, int]:
        return self.case.snapshot(), self.revision

    def save(self, snapshot: Case | None = None, revision: int | None = None) -> Path | None:
        """Save ``snapshot`` (default: the case now) of ``revision``, unless a later one is saved.

        Returns the file the case is saved in from now on if that is not its file any more
        (something else replaced the file while the case was open: ``CaseStore.save``), else None.
        """
        if snapshot is None:
            snapshot, revision = self.snapshot()
        elif revision is None:
            revision = self.revision
        with self._save_lock:
            if revision < self._saved_revision:
                return None
            before = self.case.path
            snapshot.path = before  # (the snapshot may predate a move to another file)
            path = self.store.save(snapshot)
            self.case.path = path
            self._saved_revision = revision
        return path if before is not None and path != before else None

    def drop_invalid_answers(self) -> list[str]:
        """Leave out saved answers the rule base no longer accepts; return their question ids."""
        dropped: list[str] = []
        for _ in range(3):
            try:
                self.backend.check_answers(self.answers)
                break
            except pathways.AnswersError as exc:
                for issue in exc.issues:
                    qid = issue.field.removeprefix("answers.").split("[")[0]
                    if qid in self.case.answers:
                        del self.case.answers[qid]
                        dropped.append(qid)
                if not dropped:
                    break
        return dropped


class _Missing:
    pass


_MISSING = _Missing()
