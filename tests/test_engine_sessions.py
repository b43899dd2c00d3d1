"""Reused engine sessions (issue 19): one live session per partition, emptied by retraction.

Everything here runs the real engine. A reused session must never carry a fact from one case into
the next: after every run it holds only its ``__open__`` fact, and every result equals the one a
fresh session gives (``sessions="fresh"``, the plain path kept as the fallback).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import pathways
from pathways._engine import Engine, sessions_setting
from pathways._run import compiled, new_engine

from .conftest import AS_OF, FIXTURES, REPO
from .test_engine import DEVICE, _variant


def _json(rb: pathways.RuleBase, answers: dict) -> str:
    return pathways.render(pathways.evaluate(rb, answers, as_of=AS_OF), "json")


def _next(rb: pathways.RuleBase, answers: dict) -> str:
    return pathways.next_question(rb, answers, as_of=AS_OF).model_dump_json()


def _fresh(path: Path) -> pathways.RuleBase:
    """A rule base whose engine makes a new session for every run: the reference."""
    rb = pathways.load_rule_base(path)
    comp = compiled(rb)
    comp.engine = new_engine(rb, comp.partitions, sessions="fresh")
    return rb


def _reused(path: Path, memo: bool = False) -> pathways.RuleBase:
    """Reused sessions; without the memo every run really goes through the engine session."""
    rb = pathways.load_rule_base(path)
    comp = compiled(rb)
    comp.engine = new_engine(rb, comp.partitions, sessions="reuse")
    if not memo:
        comp.engine.memo_size = 0
    return rb


def _assert_empty(engine: Engine) -> None:
    """Every live session holds its __open__ fact and nothing else."""
    live = engine.live_sessions()
    for partition, sid in live.items():
        facts = engine._host.get_facts(engine._names[partition], sid)
        assert [f.get("t") for f in facts] == ["__open__"], (partition, facts)


VARIANTS = {i: _variant(i) for i in range(40)}


def test_the_setting_and_its_environment_variable() -> None:
    assert sessions_setting("fresh") == "fresh" and sessions_setting(" Reuse ") == "reuse"
    with pytest.raises(ValueError, match="PATHWAYS_ENGINE_SESSIONS"):
        sessions_setting("sometimes")
    code = (
        "import pathways; from pathways._run import compiled; "
        f"rb = pathways.load_rule_base({str(FIXTURES / 'mini')!r}); print(compiled(rb).engine.sessions)"
    )
    for value, expected in (("fresh", "fresh"), ("", "reuse"), ("reuse", "reuse")):
        env = {**os.environ, "PATHWAYS_ENGINE_SESSIONS": value}
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == expected


def test_a_reused_session_carries_nothing_into_the_next_case() -> None:
    fresh, reused = _fresh(FIXTURES / "mini"), _reused(FIXTURES / "mini")
    engine = compiled(reused).engine
    expected = {i: (_json(fresh, a), _next(fresh, a)) for i, a in VARIANTS.items()}
    # every case after every other one, in one long sequence through the same sessions
    order = [i for i in VARIANTS for _ in range(2)] + list(reversed(VARIANTS)) + [0, 3, 0, 7, 3]
    sids = None
    for i in order:
        assert (_json(reused, VARIANTS[i]), _next(reused, VARIANTS[i])) == expected[i], f"case {i}"
        _assert_empty(engine)
        sids = sids or engine.live_sessions()
    assert engine.live_sessions() and engine.live_sessions().keys() == sids.keys()
    # the empty case last: nothing of the cases before may show
    assert _json(reused, {}) == _json(fresh, {})


@pytest.mark.parametrize("memo", [False, True], ids=["sessions", "sessions+memo"])
def test_eight_threads_through_reused_sessions_match_fresh_sessions(memo: bool) -> None:
    fresh, reused = _fresh(FIXTURES / "mini"), _reused(FIXTURES / "mini", memo)
    expected = {i: (_json(fresh, a), _next(fresh, a)) for i, a in VARIANTS.items()}
    errors: list[str] = []

    def worker(offset: int) -> None:
        for n in range(150):
            key = (offset * 7 + n) % len(VARIANTS)
            got = (_json(reused, VARIANTS[key]), _next(reused, VARIANTS[key]))
            if got != expected[key]:
                errors.append(f"thread {offset} case {key} differs")

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _assert_empty(compiled(reused).engine)


def test_two_loaded_versions_and_a_release_in_between(mini_copy: Path) -> None:
    """A reload: the old and the new rule base run side by side on 8 threads; the old one's sessions
    are released half-way (what the server does after the swap) and it goes on in fresh sessions."""
    old = _reused(mini_copy)
    path = mini_copy / "routes" / "dev.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("en: Testing}", "en: Testing (v2)}"), encoding="utf-8")
    manifest = mini_copy / "rulebase.yaml"
    manifest.write_text(manifest.read_text().replace('version: "1"', 'version: "2"'))
    new = _reused(mini_copy)
    expected_old = {i: _json(_fresh(FIXTURES / "mini"), a) for i, a in list(VARIANTS.items())[:12]}
    fresh_new = _fresh(mini_copy)
    expected_new = {i: _json(fresh_new, a) for i in expected_old for a in [VARIANTS[i]]}
    assert all('"version": "2"' in v for v in expected_new.values())
    assert any("Testing (v2)" in v for v in expected_new.values())
    errors: list[str] = []
    released = threading.Event()

    def worker(offset: int) -> None:
        for n in range(60):
            key = list(expected_old)[(offset + n) % len(expected_old)]
            for rb, expected, label in ((old, expected_old, "old"), (new, expected_new, "new")):
                if _json(rb, VARIANTS[key]) != expected[key]:
                    errors.append(f"{label} case {key} differs")
            if offset == 0 and n == 30:
                compiled(old).engine.release()
                released.set()

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and released.is_set()
    assert compiled(old).engine.live_sessions() == {}
    _assert_empty(compiled(new).engine)


def test_sessions_are_recycled_and_results_do_not_change() -> None:
    fresh = _fresh(FIXTURES / "mini")
    rb = pathways.load_rule_base(FIXTURES / "mini")
    comp = compiled(rb)
    comp.engine = Engine(comp.partitions, values=compiled(fresh).engine._values, recycle_after=3, memo_size=0)
    seen: set[str] = set()
    for i in range(12):
        assert _json(rb, VARIANTS[i]) == _json(fresh, VARIANTS[i])
        seen |= set(comp.engine.live_sessions().values())
    assert len(seen) >= 3  # new sessions replaced the recycled ones


def test_an_engine_error_replaces_the_session(mini: pathways.RuleBase) -> None:
    """A run that fails leaves no session behind to be reused; the next run starts a new one."""
    from pathways._errors import EngineError

    rb = pathways.load_rule_base(FIXTURES / "mini")
    comp = compiled(rb)
    engine = comp.engine = Engine(comp.partitions, values=comp.engine._values, memo_size=0)
    before = _json(rb, DEVICE)
    sids = engine.live_sessions()
    engine.use_ids(lambda fact: "same")  # every fact one identity: the engine refuses the batch
    try:
        with pytest.raises(EngineError):
            pathways.evaluate(rb, DEVICE, as_of=AS_OF)
    finally:
        engine.use_ids(None)
    assert "__core__" not in engine.live_sessions()
    assert _json(rb, DEVICE) == before == _json(mini, DEVICE)
    assert engine.live_sessions()["__core__"] != sids["__core__"]
    _assert_empty(engine)


def test_fresh_sessions_keep_no_live_session() -> None:
    rb = _fresh(FIXTURES / "mini")
    _json(rb, DEVICE)
    assert compiled(rb).engine.live_sessions() == {}


def test_the_first_question_is_remembered_and_each_caller_gets_its_own_copy() -> None:
    fresh, reused = _fresh(FIXTURES / "mini"), _reused(FIXTURES / "mini", memo=True)
    for lang in ("en", "zh"):
        first = pathways.next_question(reused, {}, lang=lang, as_of=AS_OF)
        assert first.model_dump_json() == pathways.next_question(fresh, {}, lang=lang, as_of=AS_OF).model_dump_json()
        first.progress.ignored.append("changed by a caller")
        again = pathways.next_question(reused, {}, lang=lang, as_of=AS_OF)
        assert again.progress.ignored == [] and again is not first
    assert set(compiled(reused).first_questions) == {(AS_OF, "en"), (AS_OF, "zh")}
    assert compiled(fresh).first_questions == {}  # the plain path remembers nothing


def test_the_memo_is_bounded() -> None:
    rb = _reused(FIXTURES / "mini", memo=True)
    engine = compiled(rb).engine
    engine.memo_size = 5
    for i in range(20):
        _json(rb, VARIANTS[i])
    assert 0 < len(engine._memo) <= 5


def test_the_memo_gives_the_collector_nothing_to_scan() -> None:
    """A worker's memo holds some 10^5 firings: kept as the engine's messages (strings), its entries
    leave the garbage collector's scans, where Firing objects made every full collection pause the
    process for 100+ ms; a firing recalled from the memo still gives its matched facts."""
    import gc

    rb = _reused(FIXTURES / "mini", memo=True)
    engine = compiled(rb).engine
    expected = {i: _json(rb, VARIANTS[i]) for i in range(10)}
    for _ in range(10):  # a collection may untrack one nesting level of tuples (a key has up to 7)
        gc.collect()
    assert engine._memo
    for key, entry in engine._memo.items():
        assert all(isinstance(m, str) for m in entry)
        assert not gc.is_tracked(entry) and not gc.is_tracked(key), key
    assert {i: _json(rb, VARIANTS[i]) for i in range(10)} == expected  # now every partition from the memo
    firings = engine.run("__core__", [], key=next(k for p, _, k in engine._memo if p == "__core__"))
    assert firings and all(isinstance(f.matched, tuple) for f in firings)


@pytest.fixture(scope="module")
def walks() -> list[tuple[object, dict, list[dict]]]:
    from pathways.authoring.scenarios import DEFAULT_AS_OF, load_scenarios

    rb = pathways.load_rule_base()
    return [(sc.as_of or DEFAULT_AS_OF, sc.answers, sc.name) for sc in load_scenarios(rb)]


@pytest.mark.parametrize("memo", [True, False], ids=["fast-path", "sessions-only"])
def test_every_scenario_walk_gives_the_same_bytes_as_fresh_sessions(walks, memo: bool) -> None:  # noqa: ANN001
    """The replay: every shipped scenario's interview, step by step, through the fast path (reused
    sessions, memo, remembered first question; and once with every run in the reused sessions) and
    through fresh sessions: the same next question (whole document) and the same checklist bytes."""
    fast, plain = pathways.load_rule_base(), pathways.load_rule_base()
    comp = compiled(plain)
    comp.engine = new_engine(plain, comp.partitions, sessions="fresh")
    compiled(fast).engine = new_engine(fast, compiled(fast).partitions, sessions="reuse")
    if not memo:
        compiled(fast).engine.memo_size = 0
    steps = 0
    for as_of, answers, name in walks:
        given: dict = {}
        for _ in range(len(fast.questions) + 1):
            try:
                a = pathways.next_question(fast, given, as_of=as_of)
                b = pathways.next_question(plain, given, as_of=as_of)
            except pathways.AnswersError as exc:
                with pytest.raises(pathways.AnswersError) as again:
                    pathways.next_question(plain, given, as_of=as_of)
                assert str(again.value) == str(exc)
                break
            steps += 1
            assert a.model_dump_json() == b.model_dump_json(), f"{name}: next question after {list(given)}"
            if a.question is None or a.question.id not in answers:
                break
            given[a.question.id] = answers[a.question.id]
        for rb_answers in (answers, given):
            try:
                x = pathways.render(pathways.evaluate(fast, rb_answers, as_of=as_of), "json")
            except pathways.AnswersError as exc:
                with pytest.raises(pathways.AnswersError) as again:
                    pathways.evaluate(plain, rb_answers, as_of=as_of)
                assert str(again.value) == str(exc)
                continue
            assert x == pathways.render(pathways.evaluate(plain, rb_answers, as_of=as_of), "json"), name
    assert steps > len(walks)
    _assert_empty(compiled(fast).engine)


def test_the_common_partition_runs_in_independent_parts() -> None:
    """``engine_units``: the shipped common partition runs in parts; no part reads a fact another
    part makes, every rule is in exactly one part, and an answer to a router question re-runs
    only the parts that read it (the byte-for-byte equality with whole partitions is the replay
    test above)."""
    from pathways._compiler import engine_units
    from pathways._conditions import pattern_names

    rb = pathways.load_rule_base()
    comp = compiled(rb)
    core = comp.partitions["__core__"]
    units = engine_units(core)
    assert len(units) > 1 and units == comp.units["__core__"]
    assert sorted(r.name for u in units for r in u.rules) == sorted(r.name for r in core.rules)

    def made(rule) -> set[str]:  # noqa: ANN001
        a = rule.action
        names = {n for n, _ in a.sets} if a.kind == "derive" else set()
        if a.kind in ("ask", "answer", "irrelevant"):
            names.add(a.target)
        if a.kind == "pending":
            names.add("pk:" + a.target)
        return names

    makes = [set().union(*(made(r) for r in u.rules)) for u in units]
    reads = [{n for r in u.rules for lit in r.literals for n in pattern_names(lit.pattern)} for u in units]
    for i, unit in enumerate(units):
        for j in range(len(units)):
            if i != j:
                assert not reads[i] & makes[j], (unit.name, units[j].name, reads[i] & makes[j])
                assert not makes[i] & makes[j]
    # a small partition stays whole
    assert engine_units(comp.partitions["radiopharmaceutical"]) == [comp.partitions["radiopharmaceutical"]]
    # one answer re-runs only the parts that read it
    engine = comp.engine
    engine.forget()
    before = {"product_kind": "drug"}
    pathways.next_question(rb, before, as_of=AS_OF)
    ran: list[str] = []
    run_keyed = engine._run_keyed
    engine._run_keyed = lambda p, f, c: ran.append(p) or run_keyed(p, f, c)
    try:
        question = "made_in"
        pathways.next_question(rb, {**before, question: "tianjin"}, as_of=AS_OF)
    finally:
        engine._run_keyed = run_keyed
    core_ran = [p for p in ran if p.startswith("__core__")]
    assert core_ran and len(core_ran) < len(units)
    assert all(question in comp.units["__core__"][[u.name for u in units].index(p)].reads for p in core_ran)


def _made_kinds(rule, values: tuple) -> set[tuple[str, str]]:  # noqa: ANN001
    """The kinds (t, q) of the facts a rule can assert."""
    from pathways._engine import produced_facts

    if rule.action.kind == "answer":  # the answer as given, what it may be, "don't know"
        return {(t, rule.action.target) for t in ("a", "m", "u")}
    kinds = set()
    for certain in (False, True):
        kinds |= {(f["t"], f.get("q", "")) for f in produced_facts(rule, certain, values)}
    return kinds


@pytest.mark.parametrize("base", ["shipped", "mini"])
def test_a_skipped_gate_cannot_miss_a_fact_made_later(base: str) -> None:
    """The reused path skips a stage gate when none of the fact kinds ``gate_triggers`` chose for
    its rules is in the session. That is sound because every rule reads what its own unit makes only
    from earlier stages: checked here for every rule of every engine unit, and each gate's kinds
    are kinds its rules really read (one per rule, or None for a rule without a positive literal)."""
    from pathways._engine import gate_triggers, stratified

    rb = pathways.load_rule_base() if base == "shipped" else pathways.load_rule_base(FIXTURES / "mini")
    engine = compiled(rb).engine
    checked = 0
    for unit in engine.partitions.values():
        makers: dict[tuple[str, str], set[int]] = {}
        for rule in unit.rules:
            values = engine._values(rule.action.target) if rule.action.kind in ("ask", "answer") else ()
            for kind in _made_kinds(rule, values):
                makers.setdefault(kind, set()).add(rule.stage)
        for rule in unit.rules:
            for lit in rule.literals:
                made_at = makers.get((lit.pattern[0], lit.pattern[1]), set())
                assert all(stage < rule.stage for stage in made_at), (unit.name, rule.name, lit, made_at)
                checked += 1
        assert stratified(unit), unit.name
        triggers = gate_triggers(unit)
        for rule in unit.rules:
            gate = rule.gate
            positives = {(lit.pattern[0], lit.pattern[1]) for lit in rule.literals if not lit.negated}
            kinds = triggers[gate]
            if not positives:
                assert kinds is None, (unit.name, rule.name)
            elif kinds is not None:
                assert kinds & positives, (unit.name, rule.name)  # the rule's own chosen kind is there
    assert checked > (1000 if base == "shipped" else 50)


def test_gates_are_skipped_and_the_results_stay_those_of_fresh_sessions() -> None:
    """On a drug interview some gates are skipped (so the skipping is not dead code), and every
    step's next question and the checklist equal those of fresh sessions, which assert every gate."""
    from pathways.authoring.scenarios import load_scenarios

    fast, plain = _reused(REPO / "rules"), _fresh(REPO / "rules")
    engine = compiled(fast).engine
    answers = next(sc.answers for sc in load_scenarios(fast) if sc.answers.get("product_kind") == "drug")
    given: dict = {}
    while True:
        step = _next(fast, given)
        assert step == _next(plain, given)
        question = pathways.NextQuestion.model_validate_json(step).question
        if question is None or question.id not in answers:
            break
        given[question.id] = answers[question.id]
    assert len(given) > 3
    assert _json(fast, given) == _json(plain, given)
    assert engine.gates_skipped > 0


def test_what_answer_rules_assert_is_remembered_within_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """``answer_emits`` remembers by the engine's message (text answers are open-ended, and each
    renewed session has new ids): the table never grows past its bound, and results do not change."""
    from pathways import _engine

    rb = _reused(FIXTURES / "mini")
    engine = compiled(rb).engine
    expected = {i: _json(_fresh(FIXTURES / "mini"), VARIANTS[i]) for i in range(12)}
    monkeypatch.setattr(_engine, "ANSWERS_REMEMBERED", 3)
    sizes = []
    for i in range(12):
        assert _json(rb, VARIANTS[i]) == expected[i]
        sizes.append(len(engine._answered))
    assert max(sizes) <= 3 and any(sizes)


def test_matched_facts_are_decoded_once_per_message_within_their_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """A firing's matched facts are remembered by the engine's message (the same message, the same
    facts): recalled firings share them, the table never grows past its bound, results do not change."""
    from pathways import _engine

    monkeypatch.setattr(_engine, "_matched_by_message", {})
    rb = _reused(FIXTURES / "mini", memo=True)
    expected = {i: _json(_fresh(FIXTURES / "mini"), VARIANTS[i]) for i in range(12)}
    for i in range(12):
        assert _json(rb, VARIANTS[i]) == expected[i]
    table = _engine._matched_by_message
    assert table
    message, matched = next(iter(table.items()))
    assert all(isinstance(fact, dict) for fact in matched)
    any_rule = next(iter(compiled(rb).engine.partitions.values())).rules[0]
    assert _engine.Firing(any_rule, message=message).matched is matched  # decoded once, then shared

    monkeypatch.setattr(_engine, "MATCHED_REMEMBERED", 3)
    monkeypatch.setattr(_engine, "_matched_by_message", {})
    rb = _reused(FIXTURES / "mini", memo=True)
    sizes = []
    for i in range(12, 24):
        assert _json(rb, VARIANTS[i]) == _json(_fresh(FIXTURES / "mini"), VARIANTS[i])
        sizes.append(len(_engine._matched_by_message))
    assert max(sizes) <= 3 and any(sizes)


def test_a_partition_that_is_not_stratified_asserts_every_gate() -> None:
    """Should the compiler ever stage a rule at or before a rule that makes what it reads, skipping
    its gate could lose a firing: ``gate_triggers`` then skips nothing in that partition."""
    import dataclasses

    from pathways._engine import gate_triggers, made_kinds, stratified

    rb = pathways.load_rule_base(FIXTURES / "mini")
    unit = next(u for u in compiled(rb).engine.partitions.values() if stratified(u) and len(u.rules) > 10)
    assert any(kinds is not None for kinds in gate_triggers(unit).values())
    # a reader of a derived fact moved down to the stage of (or before) the rule that makes it
    maker = next(r for r in unit.rules if r.action.kind == "derive" and r.action.sets)
    made = made_kinds(maker)
    reader = next(
        r for r in unit.rules if any((lit.pattern[0], lit.pattern[1]) in made for lit in r.literals) and r is not maker
    )
    moved = dataclasses.replace(reader, stage=maker.stage)
    broken = dataclasses.replace(unit, rules=[moved if r is reader else r for r in unit.rules])
    assert not stratified(broken)
    assert all(kinds is None for kinds in gate_triggers(broken).values())
