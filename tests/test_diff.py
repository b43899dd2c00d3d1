"""pathways diff: rule changes in terms users care about, and how each checklist changes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import pathways
from pathways.authoring.diff import diff_rule_bases, format_diff
from pathways.authoring.scenarios import DEFAULT_AS_OF, load_scenarios

from .conftest import REPO, run_cli

RULES = REPO / "rules"
DEVICE = "routes/medical_device.yaml"
NEW_ITEM = """  - id: tianjin_innovation_fast_track
    stage: incentive
    when: {innovative_eligible: true, made_in: tianjin}
    title: {zh: 申请天津市创新医疗器械快速通道, en: Apply for the Tianjin innovative device fast track}
    detail:
      zh: 进入国家创新医疗器械特别审查程序的本市产品，可申请天津市药监局提前介入、专人指导和优先检验。
      en: Tianjin products in the NMPA innovative special review can ask Tianjin MPA for early involvement,
        a dedicated contact and priority testing.
    authority: tianjin_mpa
    time_limit:
      working_days: 20
      of: {zh: 受理后安排专人对接, en: assigning a dedicated contact after acceptance}
      statutory: false
    after: [innovative_special_review]
    sources: [{id: tianjin_device_practice}]

"""


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules_new"
    shutil.copytree(RULES, target)
    return target


def _edit(root: Path, file: str, old: str, new: str) -> None:
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _three_edits(root: Path) -> None:
    """A regulatory update: Class III review shortened, a new fast track, the Tianjin fee abolished."""
    path = root / DEVICE
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: class_iii_registration\n")
    end = text.index("\n  - id: ", start + 1)
    block = text[start:end]
    assert block.count("working_days: 90") == 1
    text = text[:start] + block.replace("working_days: 90", "working_days: 60") + text[end:]
    start = text.index("  - id: fee_tianjin_class_ii\n")
    end = text.index("\n  - id: ", start + 1)
    text = text[:start] + text[end + 1 :]
    anchor = "  # ---- testing ----"
    assert text.count(anchor) == 1
    text = text.replace(anchor, NEW_ITEM + anchor)
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> tuple[pathways.RuleBase, pathways.RuleBase]:
    root = _copy(tmp_path_factory.mktemp("diff"))
    _three_edits(root)
    return pathways.load_rule_base(RULES), pathways.load_rule_base(root)


@pytest.fixture(scope="module")
def diffed(edited: tuple[pathways.RuleBase, pathways.RuleBase]):
    return diff_rule_bases(*edited)


def test_identical_rule_bases_differ_in_nothing(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "device.yaml").write_text("answers: {product_kind: device, made_in: tianjin}\n", encoding="utf-8")
    result = _cli("diff", str(RULES), str(copy), "--cases", str(cases), "--no-scenarios")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no changes" in result.stdout and "(1 scenarios and cases)" in result.stdout


def test_three_edits_are_reported_exactly(diffed) -> None:
    diff = diffed
    assert diff.changed
    assert [(c.kind, c.change, c.id) for c in diff.rules] == [
        ("item", "added", "tianjin_innovation_fast_track"),
        ("item", "removed", "fee_tianjin_class_ii"),
        ("item", "changed", "class_iii_registration"),
    ]
    changed = diff.rules[2]
    assert changed.fields == {
        "time_limit": ("90 working days (technical review)", "60 working days (technical review)")
    }
    added = diff.rules[0]
    assert added.file.endswith("routes/medical_device.yaml") and added.line > 0


def _expected_affected(old: pathways.RuleBase, new: pathways.RuleBase) -> dict[str, set[str]]:
    """Independently of the diff: which scenarios have which of the three items on a checklist."""
    out: dict[str, set[str]] = {}
    for scenario in load_scenarios(old):
        as_of = scenario.as_of or DEFAULT_AS_OF
        before = {i.id for i in pathways.evaluate(old, scenario.answers, as_of=as_of).items}
        after = {i.id for i in pathways.evaluate(new, scenario.answers, as_of=as_of).items}
        touched = (before & {"class_iii_registration", "fee_tianjin_class_ii"}) | (
            after & {"tianjin_innovation_fast_track"}
        )
        if touched:
            out[scenario.name] = touched
    return out


def test_affected_scenarios_and_reasons(edited: tuple[pathways.RuleBase, pathways.RuleBase], diffed) -> None:
    old, new = edited
    diff = diffed
    expected = _expected_affected(old, new)
    assert expected, "the shipped scenarios should cover the three edited items"
    got = {c.name: {e["id"] for e in c.gained + c.lost + c.changed} for c in diff.cases if c.affected}
    assert got == expected
    for case in diff.cases:
        assert not case.errors
        for gained in case.gained:
            assert gained["id"] == "tianjin_innovation_fast_track"
            assert gained["condition"] == "innovative_eligible = true and made_in = tianjin"
            assert gained["reason"] and gained["before"] == "the item is not in this rule base"
        for lost in case.lost:
            assert lost["id"] == "fee_tianjin_class_ii" and lost["now"] == "the item is not in this rule base"
            assert "condition" in lost["reason"] or "holds" in lost["reason"] or "may hold" in lost["reason"]
        for changed in case.changed:
            assert changed["id"] == "class_iii_registration"
            assert set(changed["fields"]) == {"time_limit"}
            assert (changed["fields"]["time_limit"]["old"]["days"], changed["fields"]["time_limit"]["new"]["days"]) == (
                90,
                60,
            )
    text = format_diff(diff)
    assert "  items changed (1):" in text and "time_limit: 90 working days (technical review)  ->  60" in text
    assert "    + tianjin_innovation_fast_track (required)" in text
    assert "    - fee_tianjin_class_ii (to_be_verified)" in text


def test_cli_diff_with_saved_cases(tmp_path: Path) -> None:
    new = _copy(tmp_path)
    _three_edits(new)
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "class_ii_tianjin.yaml").write_text(
        "case: {name: Acme sterile dressing}\nas_of: 2026-11-24\nanswers:\n  product_kind: device\n"
        "  made_in: tianjin\n  tianjin_zone: other_district\n  device_category: general\n"
        "  device_class_settled: not_settled\n  device_catalogue_class: listed_ii\n",
        encoding="utf-8",
    )
    (cases / "class_i_binhai.json").write_text(
        json.dumps(
            {
                "as_of": "2026-11-24",
                "answers": {
                    "product_kind": "device",
                    "made_in": "tianjin",
                    "tianjin_zone": "binhai_ftz",
                    "device_category": "general",
                    "device_class_settled": "not_settled",
                    "device_catalogue_class": "listed_i",
                },
            }
        ),
        encoding="utf-8",
    )
    result = _cli("diff", str(RULES), str(new), "--cases", str(cases), "--no-scenarios", "--format", "json")
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert doc["changed"] is True and len(doc["rules"]) == 3
    by_file = {Path(c["file"]).name: c for c in doc["cases"]}
    assert set(by_file) == {"class_ii_tianjin.yaml", "class_i_binhai.json"}
    acme = by_file["class_ii_tianjin.yaml"]
    assert acme["name"] == "Acme sterile dressing" and acme["affected"] is True
    assert [g["id"] for g in acme["lost"]] == ["fee_tianjin_class_ii"]
    # the case is not complete (innovation questions unanswered): the new fast track may apply
    assert [(g["id"], g["status"]) for g in acme["gained"]] == [("tianjin_innovation_fast_track", "to_determine")]
    assert by_file["class_i_binhai.json"]["affected"] is False
    text = _cli("diff", str(RULES), str(new), "--cases", str(cases), "--no-scenarios")
    assert 'case "Acme sterile dressing"' in text.stdout and "checklists: 1 of 2" in text.stdout


SURVEY = """
  - id: heard_of_us
    text: {zh: 您从何处得知本工具？, en: 'Where did you hear of this tool?'}
    type: choice
    options:
      - {value: colleague, label: {zh: 同事, en: A colleague}}
      - {value: fair, label: {zh: 展会, en: A trade fair}}
"""


def test_cli_diff_question_option_removed(tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(RULES, old)
    _edit(old, "common.yaml", "\nfacts:\n", SURVEY + "\nfacts:\n")
    new = tmp_path / "new"
    shutil.copytree(old, new)
    _edit(new, "common.yaml", "      - {value: fair, label: {zh: 展会, en: A trade fair}}\n", "")
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "fair.yaml").write_text("answers: {product_kind: device, heard_of_us: fair}\n", encoding="utf-8")
    result = _cli("diff", str(old), str(new), "--cases", str(cases), "--no-scenarios", "--format", "json")
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    [change] = doc["rules"]
    assert (change["kind"], change["id"], change["change"]) == ("question", "heard_of_us", "changed")
    assert change["fields"]["options"] == {"old": "removed: fair", "new": ""}
    [case] = doc["cases"]
    assert case["affected"] and "not valid for the new rule base" in case["errors"][0]
    assert "heard_of_us" in case["errors"][0]


def test_cli_diff_bad_input(tmp_path: Path) -> None:
    result = _cli("diff", str(RULES), str(tmp_path / "nowhere"))
    assert result.returncode == 2 and "rule base directory not found" in result.stderr
