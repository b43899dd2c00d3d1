"""The shipped rule base's own scenarios, walked through the wizard.

By default a spread sample of the scenarios (every few, across the routes) keeps the suite fast;
``PATHWAYS_TUI_ALL_SCENARIOS=1`` walks every one. A scenario the core's own runner already fails
(`pathways test`) is skipped here: that is the rule base's problem, reported there.
"""

from __future__ import annotations

import os

import pytest

import pathways
from pathways.authoring.scenarios import DEFAULT_AS_OF, load_scenarios, run_scenario
from pathways_tui.app import build_app

from .helpers import checklist, grouped_ids, new_case, shown_item_ids, walk

SAMPLE = 6


def _scenarios() -> list:
    try:
        rb = pathways.load_rule_base()
        scenarios = load_scenarios(rb)
    except pathways.PathwaysError:
        return []  # the rule base does not load: tests/test_rules_* report it
    if os.environ.get("PATHWAYS_TUI_ALL_SCENARIOS"):
        return scenarios
    step = max(len(scenarios) // SAMPLE, 1)
    return scenarios[::step][:SAMPLE]


SCENARIOS = _scenarios()


@pytest.mark.skipif(not SCENARIOS, reason="the shipped rule base does not load or has no scenarios")
@pytest.mark.parametrize("index", range(len(SCENARIOS)), ids=[s.name[:60] for s in SCENARIOS])
async def test_shipped_scenario_walked_through_the_wizard(index: int, shipped: pathways.RuleBase) -> None:
    scenario = next((s for s in load_scenarios(shipped) if s.name == SCENARIOS[index].name), None)
    if scenario is None:
        pytest.skip("the scenario changed since collection")
    expected_walk = run_scenario(shipped, scenario)
    if not expected_walk.passed:
        pytest.skip("the rule base's own scenario check fails: " + "; ".join(expected_walk.failures)[:200])
    as_of = scenario.as_of or DEFAULT_AS_OF
    app = build_app(lang="en", as_of=as_of, rule_base=shipped)
    async with app.run_test(size=(120, 36)) as pilot:
        await new_case(pilot)
        asked = await walk(pilot, scenario.answers)
        screen = await checklist(pilot)
        assert asked == expected_walk.asked  # the same questions, in the same order
        given = {q: scenario.answers[q] for q in asked}
        assert screen.outcome == pathways.evaluate(shipped, given, as_of, "en")
        assert shown_item_ids(screen) == grouped_ids(screen.outcome)
        full = pathways.evaluate(shipped, scenario.answers, as_of, "en")
        assert [(i.id, i.status) for i in screen.outcome.items] == [(i.id, i.status) for i in full.items]
