"""The shipped rule base: its own scenarios, the examples, and what every checklist must carry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pathways
from pathways._run import compiled
from pathways.authoring.scenarios import load_scenarios, run_scenario

from .conftest import AS_OF, REPO

SHIPPED = pathways.load_rule_base()
SCENARIOS = load_scenarios(SHIPPED)
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))


def test_shipped_rule_base_compiles() -> None:
    parts = compiled(SHIPPED).partitions
    assert "medical_device" in parts
    assert len(SCENARIOS) >= 15


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(scenario) -> None:
    result = run_scenario(SHIPPED, scenario)
    assert result.passed, f"{scenario.file}:{scenario.line}: " + "; ".join(result.failures)


def test_every_route_has_scenarios() -> None:
    covered = {r for s in SCENARIOS for r in s.expect.routes}
    assert covered >= set(SHIPPED.routes)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_gives_a_sourced_explainable_checklist(path: Path) -> None:
    answer_set = pathways.read_answers_file(path)
    assert answer_set.rulebase == {"id": SHIPPED.id, "version": SHIPPED.version}
    outcome = pathways.evaluate(SHIPPED, answer_set.answers, as_of=answer_set.as_of or AS_OF)
    doc = json.loads(pathways.render(outcome, "json"))
    assert doc["items"], "an example should produce a checklist"
    for item in doc["items"] + doc["upcoming"]:
        assert item["sources"], f"{item['id']} has no legal basis"
        assert all(s["title"] for s in item["sources"])
    for item in outcome.items:
        why = pathways.explain(SHIPPED, answer_set.answers, item.id, as_of=answer_set.as_of or AS_OF)
        assert why.on_checklist and why.trace is not None
    for lang in ("zh", "en"):
        for fmt in ("md", "html"):
            assert pathways.render(pathways.evaluate(SHIPPED, answer_set.answers, as_of=AS_OF, lang=lang), fmt)


def test_unconfirmed_items_are_never_shown_as_settled() -> None:
    seen = 0
    for scenario in SCENARIOS:
        outcome = pathways.evaluate(SHIPPED, scenario.answers, as_of=scenario.as_of or AS_OF)
        for item in outcome.items:
            if SHIPPED.items[item.id].model.status == "unconfirmed":
                seen += 1
                if item.kind == "obligation":
                    assert item.status in ("to_be_verified", "to_determine")
                else:  # an option or guidance says so beside its own status
                    assert f"{item.title} — *" in (md := pathways.render(outcome, "md"))
                    assert md.split(f"{item.title} — *", 1)[1].split("*", 1)[0].endswith("(to be verified)")
                assert not item.confirmed
    assert seen, "the scenarios should exercise at least one unconfirmed item"


def test_explain_answers_for_every_item() -> None:
    answers = pathways.read_answers_file(EXAMPLES[0]).answers
    for item_id in SHIPPED.items:
        why = pathways.explain(SHIPPED, answers, item_id, as_of=AS_OF)
        assert why.reason and why.condition
