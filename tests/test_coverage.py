"""pathways test: scenario coverage (questions, options, fact rules, items, routes) and failure traces."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pathways
from pathways.authoring.coverage import coverage, coverage_json, coverage_table
from pathways.authoring.scenarios import load_scenarios, run_scenarios

from .conftest import FIXTURES, run_cli


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


def _mini_coverage(rb: pathways.RuleBase):
    results = run_scenarios(rb, load_scenarios(rb))
    assert all(r.passed for r in results)
    return results, coverage(rb, results)


def test_mini_coverage_numbers(mini: pathways.RuleBase) -> None:
    results, cov = _mini_coverage(mini)
    assert all(r.run is not None for r in results)  # each scenario keeps its final engine run
    numbers = {kind: (len(m.covered), m.total) for kind, m in cov.items()}
    assert numbers == {"questions": (5, 5), "options": (4, 6), "fact_rules": (4, 7), "items": (4, 7), "routes": (1, 1)}
    assert sorted(cov["fact_rules"].covered) == ["c3", "c3_indicated", "domestic", "imported"]
    assert sorted(cov["items"].covered) == ["agent", "new_gmp", "reg", "testing"]
    # old_gmp is on a checklist only before 2026-11-01; the scenarios run on 2026-11-24
    assert [u[0] for u in cov["items"].uncovered] == ["determine", "filing", "old_gmp"]
    assert ("features=sterile", "mini/routes/dev.yaml", 20) in cov["options"].uncovered
    assert ("c2_indicated", "mini/routes/dev.yaml", 26) in cov["fact_rules"].uncovered
    assert ("filing", "mini/routes/dev.yaml", 45) in cov["items"].uncovered
    assert round(cov["items"].percent, 1) == 57.1


def test_coverage_table_and_json(mini: pathways.RuleBase) -> None:
    _, cov = _mini_coverage(mini)
    table = coverage_table(cov, ("items",))
    assert "  items on a checklist         4       7   57.1 %" in table
    assert "mini/routes/dev.yaml:45: not covered: item 'filing'" in table
    assert "option" not in table.split("\n", 6)[-1]
    doc = coverage_json(cov)
    assert doc["questions"] == {"covered": 5, "total": 5, "percent": 100.0, "uncovered": []}
    assert doc["fact_rules"]["uncovered"][0] == {"id": "c2_indicated", "file": "mini/routes/dev.yaml", "line": 26}


def test_more_scenarios_raise_coverage(tmp_path: Path) -> None:
    root = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", root)
    with (root / "scenarios.yaml").open("a", encoding="utf-8") as handle:
        handle.write(
            "- name: sterile class II made in Tianjin\n"
            "  answers: {kind: device, made_in: tianjin, active: false, features: [sterile, measuring]}\n"
            "  expect: {facts: {dev_class: II}, items: [reg]}\n"
            "- name: class I before the new GMP\n"
            "  as_of: 2026-10-01\n"
            "  answers: {kind: device, made_in: tianjin, active: false, features: []}\n"
            "  expect: {facts: {dev_class: I}, items: [filing, old_gmp]}\n"
        )
    rb = pathways.load_rule_base(root)
    _, cov = _mini_coverage(rb)
    assert [u[0] for u in cov["items"].uncovered] == ["determine"]
    assert cov["fact_rules"].uncovered == [] and cov["options"].uncovered == []


def test_cli_prints_coverage_and_honours_min_coverage() -> None:
    mini = str(FIXTURES / "mini")
    result = _cli("test", mini)
    assert result.returncode == 0
    assert "  fact rules fired             4       7   57.1 %" in result.stdout
    assert "mini/routes/dev.yaml:26: not covered: fact rule 'c2_indicated'" in result.stdout
    assert "features=sterile" not in result.stdout  # options only with --uncovered
    assert "features=sterile" in _cli("test", mini, "--uncovered").stdout
    assert result.stdout.strip().endswith("2 passed, 0 failed")
    assert _cli("test", mini, "--min-coverage", "50").returncode == 0
    low = _cli("test", mini, "--min-coverage", "60")
    assert low.returncode == 1 and "coverage below 60 %: items 57.1 %, fact rules 57.1 %" in low.stdout
    doc = json.loads(_cli("test", mini, "--format", "json", "--min-coverage", "60").stdout)
    assert doc["coverage"]["items"]["covered"] == 4 and doc["below_min_coverage"] == [
        "items 57.1 %",
        "fact rules 57.1 %",
    ]


def test_failures_show_the_differing_items_and_their_trace(tmp_path: Path) -> None:
    root = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", root)
    path = root / "scenarios.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace("not_items: [filing]", "not_items: [reg]")
        .replace("items: [agent, reg, testing]", "items: [agent, testing, filing]"),
        encoding="utf-8",
    )
    result = _cli("test", str(root))
    assert result.returncode == 1
    out = result.stdout
    assert "item 'filing' should be on the checklist; it is absent" in out
    assert "filing: NOT on the checklist: its condition does not hold for these answers" in out
    assert "dev_class is III" in out  # why not: the class that was derived
    assert "reg: ON the checklist (required): its condition holds for these answers" in out
    assert "because dev_class = III (rule c3, mini/routes/dev.yaml:29)" in out
    doc = json.loads(_cli("test", str(root), "--format", "json").stdout)
    failed = next(r for r in doc["results"] if not r["passed"])
    assert set(failed["wrong_items"]) == {"filing", "reg"}
    assert failed["wrong_items"]["reg"]["on_checklist"] is True
