"""The engine wrapper against each measured hazard of durable-rules 2.0.28.

Each test would catch the hazard's return (shared/engine/durable_rules.md). All run the real engine.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import pathways
from pathways._engine import Engine
from pathways._run import compiled, run_case

from .conftest import AS_OF, FIXTURES

DEVICE = {"kind": "device", "made_in": "abroad", "active": True, "implant": True, "features": []}


def _json(rb: pathways.RuleBase, answers: dict) -> str:
    return pathways.render(pathways.evaluate(rb, answers, as_of=AS_OF), "json")


def test_no_background_threads(mini: pathways.RuleBase) -> None:
    before = {t.ident for t in threading.enumerate()}
    pathways.evaluate(mini, DEVICE, as_of=AS_OF)
    rb = pathways.load_rule_base(FIXTURES / "mini")
    compiled(rb)
    pathways.evaluate(rb, DEVICE, as_of=AS_OF)
    new = [t for t in threading.enumerate() if t.ident not in before]
    assert new == [], f"the engine started threads: {new}"


def test_sessions_are_deleted_after_each_evaluation(mini: pathways.RuleBase) -> None:
    # the engine caps live sessions at 1,024 per ruleset; 1,500 evaluations pass only if each
    # evaluation's session is deleted
    for i in range(1500):
        pathways.evaluate(
            mini,
            {"kind": "device", "made_in": "tianjin", "active": False, "features": ["sterile"] if i % 2 else []},
            as_of=AS_OF,
        )
    engine = compiled(mini).engine
    name = engine._names["__core__"]
    with pytest.raises(Exception, match="Could not get state"):  # durable_rules_engine.error
        engine._host.get_state(name, "e5")  # an old session id: gone


def test_session_with_no_matching_facts_is_deleted_safely(mini: pathways.RuleBase) -> None:
    # deleting a session in which no action ran segfaults the stock engine; run such cases in a
    # subprocess so that a crash fails this test instead of killing the test run
    code = textwrap.dedent(f"""
        import datetime as dt, pathways
        rb = pathways.load_rule_base({str(FIXTURES / "mini")!r})
        for _ in range(200):
            pathways.evaluate(rb, {{}}, as_of=dt.date(2026, 11, 24))
            pathways.evaluate(rb, {{"kind": "food"}}, as_of=dt.date(2026, 11, 24))
        print("alive")
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "alive"


def test_unmatched_facts_do_not_abort_actions(mini: pathways.RuleBase) -> None:
    # 'made_in' is read by the router only; in the route partition facts nobody tests are kept
    # by the keeper rule instead of raising MessageNotHandledException mid-batch
    outcome = pathways.evaluate(mini, DEVICE, as_of=AS_OF)
    assert {i.id for i in outcome.items} >= {"agent", "reg", "testing"}


def test_duplicate_derivation_is_not_an_error(mini: pathways.RuleBase) -> None:
    # 'sterile' and 'measuring' both satisfy the class II indicator: two firings derive one fact
    outcome = pathways.evaluate(mini, {**DEVICE, "active": False, "features": ["sterile", "measuring"]}, as_of=AS_OF)
    facts = {f.fact: f.values for f in outcome.facts}
    assert facts["dev_class"] == ["II"]


def test_false_duplicate_fact_is_detected_and_rekeyed(mini: pathways.RuleBase) -> None:
    """A hash collision between two different facts must not silently drop one of them."""
    rb = pathways.load_rule_base(FIXTURES / "mini")
    engine: Engine = compiled(rb).engine
    expected = _json(pathways.load_rule_base(FIXTURES / "mini"), DEVICE)
    attempts = []

    def colliding_ids(fact: dict) -> str:
        # first attempt: every derived fact gets the same identity, as a 32-bit collision would
        if engine._salt_value == "0" and fact["t"] in ("d", "p"):
            attempts.append(fact)
            return "same"
        return f"{engine._salt_value}:{json.dumps(fact, sort_keys=True)}"

    engine.use_ids(colliding_ids)
    assert _json(rb, DEVICE) == expected
    assert attempts, "the collision path was not exercised"


@pytest.mark.parametrize("seed", range(12))
def test_answer_order_never_changes_the_result(mini: pathways.RuleBase, seed: int) -> None:
    cases = [
        DEVICE,
        {"kind": "device", "made_in": "tianjin", "active": "unknown", "features": ["measuring"]},
        {"kind": "device", "made_in": "tianjin", "active": True, "implant": False, "features": []},
        {"kind": "unknown", "made_in": "abroad"},
    ]
    rng = random.Random(seed)
    for answers in cases:
        items = list(answers.items())
        rng.shuffle(items)
        assert _json(mini, dict(items)) == _json(mini, answers)


def test_values_are_normalised_before_the_engine(mini: pathways.RuleBase) -> None:
    as_text = pathways.evaluate(mini, {**DEVICE, "active": "yes", "implant": "yes"}, as_of=AS_OF)
    as_bool = pathways.evaluate(mini, DEVICE, as_of=AS_OF)
    assert as_text.model_dump() == as_bool.model_dump()
    with pytest.raises(pathways.AnswersError) as err:
        pathways.evaluate(mini, {**DEVICE, "active": 1}, as_of=AS_OF)  # loose engine: 1 == True
    assert err.value.issues[0].field == "answers.active"


def test_a_case_runs_only_the_partitions_it_can_reach(mini: pathways.RuleBase) -> None:
    food = run_case(mini, pathways.check_answers(mini, {"kind": "food", "made_in": "tianjin"}), AS_OF)
    device = run_case(mini, pathways.check_answers(mini, DEVICE), AS_OF)
    assert food.partitions_run == ["__core__"]
    assert device.partitions_run == ["__core__", "dev"]


def test_evaluation_is_pure(mini: pathways.RuleBase) -> None:
    first = _json(mini, DEVICE)
    pathways.evaluate(mini, {"kind": "device", "made_in": "tianjin", "active": "unknown"}, as_of=AS_OF)
    assert _json(mini, DEVICE) == first
    assert _json(pathways.load_rule_base(FIXTURES / "mini"), DEVICE) == first


def _variant(i: int) -> dict:
    features = [["sterile"], ["measuring"], [], ["sterile", "measuring"]][i % 4]
    base = {
        "kind": ["device", "device", "food", "unknown"][i % 4 if i % 7 else 0],
        "made_in": ["tianjin", "abroad"][i % 2],
    }
    if base["kind"] != "food":
        base.update({"active": [True, False, "unknown"][i % 3], "features": features})
        if base["active"] is True:
            base["implant"] = bool(i % 5)
    return base


def test_concurrent_evaluations_match_single_threaded(mini: pathways.RuleBase) -> None:
    """8 threads x 2,000 evaluations with distinct answers: no cross-talk, no crash."""
    per_thread = 2000
    variants = {i: _variant(i) for i in range(40)}
    expected = {i: _json(mini, a) for i, a in variants.items()}
    errors: list[str] = []

    def worker(offset: int) -> None:
        for n in range(per_thread):
            key = (offset * 7 + n) % len(variants)
            got = _json(mini, variants[key])
            if got != expected[key]:
                errors.append(f"thread {offset} case {key} differs")

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_many_rules_testing_one_answer_stay_inside_the_engine(mini_copy: Path) -> None:
    """A fact passing more than ~63 unshared tests fails in the engine (error 303): patterns
    must be plain conjunctions the engine can share, however many items test one answer."""
    path = mini_copy / "routes" / "dev.yaml"
    extra = "".join(
        f"  - id: extra_{i}\n    stage: preparation\n    when: {{made_in: [tianjin, abroad]}}\n"
        f"    title: {{zh: 额外{i}, en: Extra {i}}}\n    sources: [law]\n"
        for i in range(120)
    )
    path.write_text(path.read_text() + extra)
    rb = pathways.load_rule_base(mini_copy)
    for answers in (DEVICE, {"kind": "device"}, {"kind": "device", "made_in": "tianjin", "active": "unknown"}):
        outcome = pathways.evaluate(rb, answers, as_of=AS_OF)
        assert sum(1 for i in outcome.items if i.id.startswith("extra_")) == 120


def test_giving_way_pauses_only_the_thread_that_asked(mini: pathways.RuleBase) -> None:
    """A background evaluation calls its pause before rule actions; others never see it."""
    from pathways import giving_way

    plain = _json(mini, DEVICE)
    paused: list[str] = []
    with giving_way(lambda: paused.append(threading.current_thread().name)):
        inside = _json(mini, DEVICE)
        other: list[str] = []
        worker = threading.Thread(target=lambda: other.append(_json(mini, DEVICE)), name="other")
        worker.start()
        worker.join()
    assert inside == plain == other[0]  # pausing changes nothing in the result
    assert paused and set(paused) == {threading.current_thread().name}
    count = len(paused)
    _json(mini, DEVICE)  # after the block: no more pauses
    assert len(paused) == count


def test_giving_way_blocks_the_evaluation_while_the_pause_blocks(mini: pathways.RuleBase) -> None:
    from pathways import giving_way

    gate = threading.Event()
    done = threading.Event()

    def background() -> None:
        with giving_way(lambda: gate.wait(5)):
            _json(mini, DEVICE)
        done.set()

    worker = threading.Thread(target=background)
    worker.start()
    assert not done.wait(0.2)  # held at its first rule action
    gate.set()
    assert done.wait(5)
    worker.join()
