"""pathways lint: every warning with a rule base that triggers it and one that does not.

Each case copies ``tests/fixtures/mini`` into ``tmp_path`` (as ``mini/``), applies one edit and
lints it. Positions are computed from the edited text, never typed in: ``at`` is a piece of text
that occurs once in the file, and the issue must point at its line.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import shutil
import subprocess
from pathlib import Path

import pytest

import pathways
from pathways._compiler import Limits
from pathways.authoring.lint import CODES, lint
from pathways.authoring.schemas import rules_schema

from .conftest import FIXTURES, REPO, run_cli

TODAY = dt.date(2026, 11, 24)
DEV = "routes/dev.yaml"
BASE = "base.yaml"
PROVENANCE = "  when: {kind: device}\n  owner: Jane Doe\n  reviewed: 2026-11-01\n  review_by: 2027-05-01\n"


def mini(tmp_path: Path, *edits: tuple[str, str, str]) -> Path:
    """A copy of the mini rule base with edits (file, old text occurring once, new text)."""
    root = tmp_path / "mini"
    if not root.exists():
        shutil.copytree(FIXTURES / "mini", root)
        _classify(root / DEV)
    for file, old, new in edits:
        path = root / file
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} must occur once in {file}"
        path.write_text(text.replace(old, new), encoding="utf-8")
    return root


def _classify(path: Path) -> None:
    """Give the fixture's items a kind (PW317) unless it already does."""
    text = path.read_text(encoding="utf-8")
    if "\n    kind: " not in text:
        path.write_text(text.replace("\n    stage: ", "\n    kind: obligation\n    stage: "), encoding="utf-8")


def append(tmp_path: Path, file: str, text: str) -> Path:
    root = mini(tmp_path)
    with (root / file).open("a", encoding="utf-8") as handle:
        handle.write(text)
    return root


def issues(root: Path, code: str | None = None, **kwargs):
    found = lint(root, today=TODAY, **kwargs).issues
    return [i for i in found if code is None or i.code == code]


def line_of(root: Path, file: str, at: str) -> int:
    text = (root / file).read_text(encoding="utf-8")
    assert text.count(at) == 1, f"{at!r} occurs {text.count(at)} times"
    return text[: text.index(at)].count("\n") + 1


def only(found: list, code: str):
    assert len(found) == 1, [str(i) for i in found]
    assert found[0].code == code and found[0].severity == CODES[code][0]
    return found[0]


# ---- errors: everything the loader and compiler check --------------------------------------------


def test_load_errors_are_reported_and_stop_the_analysis(tmp_path: Path) -> None:
    root = mini(tmp_path, (DEV, '    sources: [{id: law, article: "3"}]\n', "    sources: [{id: lawz}]\n"))
    found = issues(root)
    assert [(i.code, i.severity) for i in found] == [("PW121", "error")]
    assert found[0].line == line_of(root, DEV, "    sources: [{id: lawz}]") and found[0].suggestion == "law"


def test_compile_errors_are_reported(tmp_path: Path) -> None:
    questions = "".join(
        f"  - {{id: check_{i}, text: {{zh: 检查{i}, en: Check {i}}}, type: yes_no, ask_when: {{kind: device}}}}\n"
        for i in range(16)
    )
    when = "{" + ", ".join(f"check_{i}: true" for i in range(16)) + "}"
    root = mini(tmp_path, (DEV, "  - id: features\n", questions + "  - id: features\n"))
    root = append(tmp_path, DEV, _item("wide", when))
    found = issues(root)
    assert [(i.code, i.severity) for i in found] == [("PW151", "error")]
    assert found[0].line == line_of(root, DEV, "  - id: wide")


def test_scenario_reference_errors_are_lint_errors(tmp_path: Path) -> None:
    root = mini(tmp_path / "typo", ("scenarios.yaml", "not_items: [filing]", "not_items: [filling]"))
    found = issues(root)
    errors = [i for i in found if i.severity == "error"]
    assert [i.code for i in errors] == ["PW129"] and errors[0].suggestion == "filing"
    # the analysis does not read the scenarios: its findings come in the same run as their errors
    clean = issues(mini(tmp_path / "clean"))
    assert clean and [str(i) for i in found if i not in errors] == [str(i) for i in clean]


def test_replaces_names_an_unknown_item(tmp_path: Path) -> None:
    root = mini(
        tmp_path, (DEV, "    valid: {from: 2026-11-01}\n", "    replaces: [old_gmpp]\n    valid: {from: 2026-11-01}\n")
    )
    found = issues(root)
    assert [i.code for i in found] == ["PW123"] and found[0].suggestion == "old_gmp"
    assert found[0].line == line_of(root, DEV, "replaces: [old_gmpp]")


# ---- every error in one run (issue 16) -----------------------------------------------------------

# independent mistakes, one per edit, none changing the line count of its file
ONE_RUN_EDITS = [
    ("rulebase.yaml", "title: {zh: 小规则库", "titel: {zh: 小规则库"),  # manifest: PW110, PW112
    (BASE, "    when: {made_in: abroad}\n", "    wen: {made_in: abroad}\n"),  # a fact rule's key
    (DEV, "ask_when: {kind: device, active: true}", "ask_when: {kindd: device, active: true}"),
    (DEV, 'sources: [{id: law, article: "3"}]', 'sources: [{id: lawx, article: "3"}]'),
    (DEV, "    stage: testing\n", "    stage: testng\n"),
    (DEV, "  - id: new_gmp\n", "  - id: old_gmp\n"),  # duplicate id
    (DEV, "    text: {zh: 特征, en: Features}", "    txt: {zh: 特征, en: Features}"),
    (DEV, "- {value: measuring, label: {zh: 测量", "- {value: sterile, label: {zh: 测量"),  # same question
    ("scenarios.yaml", "not_items: [filing]", "not_items: [filling]"),
]


def _errors(root: Path) -> set[str]:
    return {str(i) for i in issues(root) if i.severity == "error"}


def test_independent_errors_are_all_reported_in_one_run(tmp_path: Path) -> None:
    """Each mistake alone gives some errors; all of them at once give exactly all of those errors:
    no mistake hides another (the manifest's hid every rule file, a rule file's hid the scenario
    files, an option given twice hid the rest of its question), and none adds follow-on errors."""
    alone = [_errors(mini(tmp_path / f"edit{n}", edit)) for n, edit in enumerate(ONE_RUN_EDITS)]
    assert all(alone), [str(e) for e, found in zip(ONE_RUN_EDITS, alone, strict=True) if not found]
    together = _errors(mini(tmp_path / "all", *ONE_RUN_EDITS))
    assert together == set().union(*alone), "\n".join(sorted(together ^ set().union(*alone)))
    codes = {line.split(": ")[1] for line in together}
    assert codes >= {"PW110", "PW111", "PW112", "PW120", "PW121", "PW125", "PW129"}
    # did-you-mean suggestions survive
    for wrong, meant in [
        ("kindd", "kind"),
        ("lawx", "law"),
        ("testng", "testing"),
        ("titel", "title"),
        ("filling", "filing"),
    ]:
        assert any(f"'{wrong}'" in line and f"(did you mean '{meant}'?)" in line for line in together), wrong


def test_a_fact_rule_with_a_mistake_still_declares_what_it_sets(tmp_path: Path) -> None:
    """'origin: imported' is set only by the broken rule: the item testing it is not reported too."""
    root = mini(tmp_path, (BASE, "    when: {made_in: abroad}\n", "    wen: {made_in: abroad}\n"))
    found = [i for i in issues(root) if i.severity == "error"]
    line = line_of(root, BASE, "wen:")
    assert sorted((i.code, i.file, i.line) for i in found) == [
        ("PW110", "mini/base.yaml", line),
        ("PW112", "mini/base.yaml", line - 1),
    ], [str(i) for i in found]


def test_what_waits_for_an_earlier_step(tmp_path: Path) -> None:
    """Three checks truly depend on an earlier one: a file with a YAML syntax error has no entries,
    so references to ids it may define are not judged (and scenarios are checked for their form
    only); the compiler and the analysis need a rule base that loads."""
    broken_yaml = mini(
        tmp_path / "yaml",
        (BASE, "  - id: kind\n", "  - id: kind:\n"),
        ("scenarios.yaml", "not_items: [filing]", "not_items: [filling]"),
        ("scenarios.yaml", "  answers: {kind: food", "  answer: {kind: food"),
    )
    found = issues(broken_yaml)
    assert sorted((i.code, i.file) for i in found) == [
        ("PW100", "mini/base.yaml"),
        ("PW110", "mini/scenarios.yaml"),
        ("PW112", "mini/scenarios.yaml"),
    ], [str(i) for i in found]
    # a load error: no compile error, no warning yet (both need the loaded rule base)
    questions = "".join(
        f"  - {{id: check_{i}, text: {{zh: 检查{i}, en: Check {i}}}, type: yes_no, ask_when: {{kind: device}}}}\n"
        for i in range(16)
    )
    when = "{" + ", ".join(f"check_{i}: true" for i in range(16)) + "}"
    wide = mini(tmp_path / "wide", (DEV, "  - id: features\n", questions + "  - id: features\n"))
    wide = append(tmp_path / "wide", DEV, _item("wide", when))
    assert [i.code for i in issues(wide) if i.severity == "error"] == ["PW151"]
    both = mini(
        tmp_path / "wide", (DEV, "ask_when: {kind: device, active: true}", "ask_when: {kindd: device, active: true}")
    )
    assert [i.code for i in issues(both)] == ["PW120"]


# ---- PW301 / PW302: questions -------------------------------------------------------------------

FOOD_Q = "  - id: food_q\n    text: {zh: 食品问题, en: Food question}\n    type: yes_no\n    ask_when: {kind: food}\n"


def test_pw301_question_whose_ask_when_contradicts_its_route(tmp_path: Path) -> None:
    root = mini(
        tmp_path,
        (DEV, "  - id: features\n", FOOD_Q + "  - id: features\n"),
        (DEV, "  - id: c1\n", "  - id: food_rule\n    when: {food_q: true}\n    set: {food_x: true}\n  - id: c1\n"),
    )
    issue = only(issues(root, "PW301"), "PW301")
    assert "food_q" in issue.message and "kind = food" in issue.message
    assert issue.line == line_of(root, DEV, "    ask_when: {kind: food}")


def test_pw301_question_asked_on_a_value_no_rule_sets(tmp_path: Path) -> None:
    # the engine alone sees it: class_iii is only ever set to true
    root = mini(
        tmp_path,
        (
            DEV,
            "    type: multi\n    ask_when: {kind: device}\n",
            "    type: multi\n    ask_when: {kind: device, class_iii: false}\n",
        ),
    )
    issue = only(issues(root, "PW301"), "PW301")
    assert "'features'" in issue.message and "no rule sets class_iii" in issue.message


def test_pw301_not_for_reachable_questions(tmp_path: Path) -> None:
    assert issues(mini(tmp_path), "PW301") == []


def test_pw302_question_no_condition_uses(tmp_path: Path) -> None:
    root = mini(
        tmp_path,
        (
            DEV,
            "  - id: features\n",
            "  - id: colour\n    text: {zh: 颜色, en: Colour}\n    type: text\n  - id: features\n",
        ),
    )
    issue = only(issues(root, "PW302"), "PW302")
    assert "'colour'" in issue.message and issue.line == line_of(root, DEV, "  - id: colour")


def test_pw302_not_for_used_questions(tmp_path: Path) -> None:
    assert issues(mini(tmp_path), "PW302") == []


# ---- PW303 / PW304 / PW305: rules that can never fire -------------------------------------------


def _item(ident: str, when: str, extra: str = "") -> str:
    return (
        f"  - id: {ident}\n    kind: obligation\n    stage: preparation\n    when: {when}\n"
        f"    title: {{zh: 事项, en: Item {ident}}}\n    sources: [law]\n{extra}"
    )


@pytest.mark.parametrize(
    "when, words",
    [
        ("{made_in: abroad, origin: domestic}", ["rule 'domestic'", "made_in = abroad and made_in = tianjin"]),
        ("{class_iii: false}", ["no rule sets class_iii to such a value"]),
        ("{kind: food}", ["route 'dev' must apply", "kind = device and kind = food"]),
        ("{active: false, implant: true}", ["implant is asked only when", "active = false"]),
    ],
)
def test_pw303_item_that_can_never_be_on_a_checklist(tmp_path: Path, when: str, words: list[str]) -> None:
    root = append(tmp_path, DEV, _item("never", when))
    issue = only(issues(root, "PW303"), "PW303")
    assert "'never'" in issue.message
    for word in words:
        assert word in issue.message
    assert issue.file == "mini/routes/dev.yaml" and issue.line == line_of(root, DEV, f"    when: {when}")


def test_pw303_item_whose_condition_holds_only_out_of_force(tmp_path: Path) -> None:
    # the only rule deriving 'origin: imported' comes into force the day after the item's last day
    root = mini(
        tmp_path,
        (BASE, "    set: {origin: imported}\n", "    set: {origin: imported}\n    valid: {from: 2027-01-01}\n"),
    )
    root = append(tmp_path, DEV, _item("gone", "{origin: imported}", "    valid: {to: 2026-12-31}\n"))
    issue = only(issues(root, "PW303"), "PW303")
    assert "'gone'" in issue.message and "not in force" in issue.message


def test_pw303_not_for_items_that_can_apply(tmp_path: Path) -> None:
    root = append(tmp_path, DEV, _item("fine", "{made_in: abroad, origin: imported}"))
    assert issues(root, "PW303") == []


def test_pw304_fact_rule_that_can_never_fire(tmp_path: Path) -> None:
    root = mini(
        tmp_path,
        (DEV, "  - id: c1\n", "  - id: food_rule\n    when: {kind: food}\n    set: {food_x: true}\n  - id: c1\n"),
    )
    issue = only(issues(root, "PW304"), "PW304")
    assert "'food_rule'" in issue.message and "kind = food" in issue.message
    assert issue.line == line_of(root, DEV, "    when: {kind: food}")


def test_pw304_not_for_rules_that_can_fire(tmp_path: Path) -> None:
    root = mini(
        tmp_path,
        (DEV, "  - id: c1\n", "  - id: abroad_rule\n    when: {made_in: abroad}\n    set: {far: true}\n  - id: c1\n"),
    )
    assert issues(root, "PW304") == []


def test_pw305_route_that_can_never_apply(tmp_path: Path) -> None:
    root = mini(
        tmp_path, (DEV, "  when: {kind: device}\n", "  when: {kind: device, made_in: abroad, origin: domestic}\n")
    )
    found = issues(root)
    issue = only([i for i in found if i.code == "PW305"], "PW305")
    assert issue.line == line_of(root, DEV, "  when: {kind: device, made_in")
    # none of its items can be on a checklist either (its questions may still be asked while
    # made_in is unanswered: the route may apply until then)
    assert {i.message.split("'")[1] for i in found if i.code == "PW303"} == set(pathways.load_rule_base(root).items)


def test_pw305_not_for_routes_that_can_apply(tmp_path: Path) -> None:
    assert issues(mini(tmp_path), "PW305") == []


# ---- PW306: conflicting derivations -------------------------------------------------------------


def test_pw306_two_rules_set_one_fact_to_different_values(tmp_path: Path) -> None:
    root = mini(
        tmp_path,
        (
            DEV,
            "  - id: c1\n",
            "  - id: c2b\n    when: {features: {has: sterile}}\n    set: {dev_class: II}\n  - id: c1\n",
        ),
    )
    issue = only(issues(root, "PW306"), "PW306")
    assert "'c3'" in issue.message and "'c2b'" in issue.message and "III and II" in issue.message
    assert "features: sterile" in issue.message and "implant: true" in issue.message  # a witness
    assert issue.line == line_of(root, DEV, "    when: {features: {has: sterile}}")


def test_pw306_not_for_exclusive_rules(tmp_path: Path) -> None:
    # c1, c2 and c3 exclude each other with not:; imported/domestic by the answer
    root = mini(
        tmp_path,
        (
            DEV,
            "  - id: c1\n",
            "  - id: c2b\n    when: {features: {has: sterile}, not: {class_iii: true}}\n"
            "    set: {dev_class: II}\n  - id: c1\n",
        ),
    )
    assert issues(root, "PW306") == []


def test_pw306_not_for_rules_in_force_at_different_times(tmp_path: Path) -> None:
    root = mini(
        tmp_path,
        (
            DEV,
            "  - id: c1\n",
            "  - id: c2b\n    when: {features: {has: sterile}}\n"
            "    set: {dev_class: II}\n    valid: {to: 2020-12-31}\n  - id: c1\n",
        ),
        (DEV, "    set: {dev_class: III}\n", "    set: {dev_class: III}\n    valid: {from: 2021-01-01}\n"),
    )
    assert issues(root, "PW306") == []


# ---- PW307 / PW308: sources and authorities never used ------------------------------------------


def test_pw307_source_never_cited(tmp_path: Path) -> None:
    root = mini(tmp_path, (BASE, "sources:\n", "sources:\n  - {id: old_law, title: {zh: 旧法, en: Old law}}\n"))
    issue = only(issues(root, "PW307"), "PW307")
    assert "'old_law'" in issue.message and issue.line == line_of(root, BASE, "old_law")


def test_pw307_not_for_cited_sources(tmp_path: Path) -> None:
    assert issues(mini(tmp_path), "PW307") == []


def test_pw308_authority_never_named(tmp_path: Path) -> None:
    root = mini(
        tmp_path,
        (
            BASE,
            "authorities:\n",
            "authorities:\n  - {id: idle, name: {zh: 闲, en: Idle}, level: district}\n"
            "  - {id: top, name: {zh: 上级, en: Top}, level: national}\n",
        ),
        (BASE, "level: national}\nsources", "level: national, parent: top}\nsources"),
    )
    issue = only(issues(root, "PW308"), "PW308")  # 'top' is used as the parent of 'auth'
    assert "'idle'" in issue.message and issue.line == line_of(root, BASE, "id: idle")


def test_pw308_not_for_named_authorities(tmp_path: Path) -> None:
    assert issues(mini(tmp_path), "PW308") == []


# ---- PW309: missing translations ----------------------------------------------------------------


def test_pw309_identical_or_untranslated_text(tmp_path: Path) -> None:
    root = mini(
        tmp_path,
        (DEV, "    title: {zh: 备案, en: Class I filing}\n", "    title: {zh: Class I filing, en: Class I filing}\n"),
        (DEV, "    title: {zh: 注册, en: Registration}\n", "    title: {zh: Registration, en: Registration form}\n"),
    )
    found = issues(root, "PW309")
    assert len(found) == 2
    identical, no_cjk = sorted(found, key=lambda i: i.line)
    assert "identical" in identical.message and "item 'filing'" in identical.message
    assert identical.line == line_of(root, DEV, "{zh: Class I filing")
    assert "no Chinese character" in no_cjk.message and "item 'reg'" in no_cjk.message


def test_pw309_not_for_translated_texts(tmp_path: Path) -> None:
    assert issues(mini(tmp_path), "PW309") == []


# ---- PW310: items that replace each other -------------------------------------------------------

REPLACES = (DEV, "    valid: {from: 2026-11-01}\n", "    replaces: [old_gmp]\n    valid: {from: 2026-11-01}\n")


@pytest.mark.parametrize(
    "old_valid, words",
    [
        ("{to: 2026-10-29}", "gap from 2026-10-30 to 2026-10-31"),
        ("{to: 2026-11-05}", "overlap from 2026-11-01 to 2026-11-05"),
        (None, "'old_gmp' has no end date"),
    ],
)
def test_pw310_validity_gap_or_overlap(tmp_path: Path, old_valid: str | None, words: str) -> None:
    new = f"    valid: {old_valid}\n" if old_valid else ""
    root = mini(tmp_path, REPLACES, (DEV, "    valid: {to: 2026-10-31}\n", new))
    issue = only(issues(root, "PW310"), "PW310")
    assert words in issue.message and issue.line == line_of(root, DEV, "replaces: [old_gmp]")


def test_pw310_not_when_one_ends_the_day_before_the_other_starts(tmp_path: Path) -> None:
    assert issues(mini(tmp_path, REPLACES), "PW310") == []


@functools.lru_cache(maxsize=1)
def _shipped_lint():
    return lint(None, today=TODAY)


def test_shipped_device_gmp_replacement_is_seamless() -> None:
    result = _shipped_lint()
    assert result.rule_base is not None
    assert result.rule_base.items["device_gmp_2025"].model.replaces == ["device_gmp_2014"]
    assert not [i for i in result.issues if i.code == "PW310"]


# ---- PW311: unconfirmed entries -----------------------------------------------------------------


def test_pw311_lists_unconfirmed_entries(tmp_path: Path) -> None:
    root = mini(tmp_path, (BASE, 'number: "No. 1"', 'number: "No. 1", status: unconfirmed'))
    found = issues(root, "PW311")
    assert sorted(i.message.split(" is ")[0] for i in found) == ["item 'old_gmp'", "source 'law'"]
    assert all(i.severity == "info" for i in found)
    assert lint(root, today=TODAY).errors == 0


def test_pw311_not_for_confirmed_entries(tmp_path: Path) -> None:
    assert issues(mini(tmp_path, (DEV, "    status: unconfirmed\n", "")), "PW311") == []


# ---- PW312: engine limits approached ------------------------------------------------------------


def test_pw312_limits_approached(tmp_path: Path) -> None:
    root = mini(tmp_path)
    from pathways._run import compiled

    rules = len(compiled(pathways.load_rule_base(root)).partitions["dev"].rules) + 2
    found = issues(root, "PW312", limits=Limits(rules_per_ruleset=rules + 3))
    issue = only(found, "PW312")
    assert "route 'dev'" in issue.message and f"{rules} of at most {rules + 3}" in issue.message


def test_pw312_not_far_below_the_limits(tmp_path: Path) -> None:
    assert issues(mini(tmp_path), "PW312") == []


# ---- PW313 / PW314: route provenance ------------------------------------------------------------


def test_pw313_route_without_provenance(tmp_path: Path) -> None:
    issue = only(issues(mini(tmp_path), "PW313"), "PW313")
    assert "owner, reviewed, review_by" in issue.message and issue.line == 2


def test_pw313_not_with_provenance(tmp_path: Path) -> None:
    root = mini(tmp_path, (DEV, "  when: {kind: device}\n", PROVENANCE))
    assert issues(root, "PW313") == [] and issues(root, "PW314") == []


def test_pw314_review_by_passed(tmp_path: Path) -> None:
    root = mini(tmp_path, (DEV, "  when: {kind: device}\n", PROVENANCE.replace("2027-05-01", "2026-06-30")))
    issue = only(issues(root, "PW314"), "PW314")
    assert "2026-06-30" in issue.message and "147 days ago" in issue.message
    assert issue.line == line_of(root, DEV, "review_by: 2026-06-30")
    assert issues(root, "PW314") and not [i for i in lint(root, today=dt.date(2026, 6, 30)).issues if i.code == "PW314"]


# ---- PW316: 'after' pointing to a later stage ----------------------------------------------------


def test_pw316_after_an_item_of_a_later_stage(tmp_path: Path) -> None:
    # "testing" (stage testing) after "agent" is fine (preparation comes first); after "filing"
    # (registration) it would be listed before the step it follows
    root = mini(
        tmp_path,
        (
            DEV,
            "    title: {zh: 检验, en: Testing}\n",
            "    title: {zh: 检验, en: Testing}\n    after: [agent, filing]\n",
        ),
    )
    issue = only(issues(root, "PW316"), "PW316")
    assert "'testing' (stage testing) comes after 'filing'" in issue.message
    assert "later stage registration" in issue.message
    assert issue.file.endswith(DEV) and issue.line == line_of(root, DEV, "after: [agent, filing]")
    assert issue.column == (root / DEV).read_text(encoding="utf-8").splitlines()[issue.line - 1].index("filing") + 1


def test_pw316_not_for_earlier_or_same_stages(tmp_path: Path) -> None:
    assert issues(mini(tmp_path), "PW316") == []  # reg (registration) after testing (testing)
    assert issues(pathways.load_rule_base().root, "PW316") == []


# ---- PW318: validity gaps -----------------------------------------------------------------------

SUPPORTED = ("rulebase.yaml", "released: 2026-11-01\n", "released: 2026-11-01\nin_force_from: 2021-01-01\n")
# the Class III rule starts on 2022-01-01: from in_force_from (2021-01-01) to 2021-12-31 a Class III
# case (active implant) gets no class at all, since c2 and c1 exclude class_iii
C3_FROM_2022 = (DEV, "    set: {dev_class: III}\n", "    set: {dev_class: III}\n    valid: {from: 2022-01-01}\n")


def _guidance(ident: str, when: str, valid: str) -> str:
    return (
        f"  - id: {ident}\n    kind: guidance\n    stage: classification\n    when: {when}\n"
        f"    title: {{zh: 此前的分类规则未收录, en: The earlier classification rules are not encoded}}\n"
        f"    sources: [law]\n    valid: {valid}\n"
    )


def test_pw318_fact_with_no_rule_before_its_dated_rule_starts(tmp_path: Path) -> None:
    root = mini(tmp_path, SUPPORTED, C3_FROM_2022)
    issue = only(issues(root, "PW318"), "PW318")
    assert issue.file == "mini/routes/dev.yaml" and issue.line == line_of(root, DEV, "valid: {from: 2022-01-01}")
    assert "fact 'dev_class'" in issue.message and "rule 'c3' (valid from 2022-01-01)" in issue.message
    assert "from 2021-01-01 to 2021-12-31" in issue.message
    assert "class_iii = true" in issue.message  # the branch
    assert "active: true" in issue.message and "implant: true" in issue.message  # answers in it
    assert "valid: {to: 2021-12-31}" in issue.message  # how to close it
    # the outcome agrees: such a case dated in the gap has no class, one dated after it has
    answers = {"kind": "device", "made_in": "tianjin", "active": True, "implant": True, "features": []}
    from pathways._run import run_case

    rb = pathways.load_rule_base(root)
    checked = pathways.check_answers(rb, answers)
    assert set(run_case(rb, checked, dt.date(2021, 6, 1)).derived.get("dev_class", {})) == set()
    assert set(run_case(rb, checked, dt.date(2022, 1, 1)).derived["dev_class"]) == {"III"}


def test_pw318_not_when_the_earlier_regime_is_encoded(tmp_path: Path) -> None:
    old = (
        "  - id: c3_old\n    when: {class_iii: true}\n    set: {dev_class: III}\n"
        "    valid: {to: 2021-12-31}\n  - id: c3\n"
    )
    root = mini(tmp_path, SUPPORTED, C3_FROM_2022, (DEV, "  - id: c3\n", old))
    assert issues(root, "PW318") == []
    # an earlier regime that stops short leaves the rest of the period open, and only that: seen
    # from both sides (after the old rule ends, before the new one starts)
    short = mini(
        tmp_path / "short", SUPPORTED, C3_FROM_2022, (DEV, "  - id: c3\n", old.replace("2021-12-31", "2021-06-30"))
    )
    found = issues(short, "PW318")
    assert sorted(i.message.split("'")[3] for i in found) == ["c3", "c3_old"]
    assert all("from 2021-07-01 to 2021-12-31" in i.message and "2021-01-01" not in i.message for i in found)
    assert {i.line for i in found} == {
        line_of(short, DEV, "valid: {to: 2021-06-30}"),
        line_of(short, DEV, "valid: {from: 2022-01-01}"),
    }


def test_pw318_guidance_item_covering_the_gap_silences_it(tmp_path: Path) -> None:
    root = mini(tmp_path, SUPPORTED, C3_FROM_2022)
    with (root / DEV).open("a", encoding="utf-8") as handle:
        handle.write(_guidance("earlier_rules_not_encoded", "{class_iii: true}", "{to: 2021-12-31}"))
    assert issues(root, "PW318") == []
    # an item that is not guidance, one that ends too early or one whose condition misses part of
    # the branch does not
    for ident, when, valid, words in [
        ("partial", "{class_iii: true}", "{to: 2021-05-31}", "from 2021-06-01 to 2021-12-31"),
        ("narrow", "{made_in: abroad}", "{to: 2021-12-31}", "made_in: tianjin"),
    ]:
        other = mini(tmp_path / ident, SUPPORTED, C3_FROM_2022)
        with (other / DEV).open("a", encoding="utf-8") as handle:
            handle.write(_guidance(ident, when, valid))
        assert words in only(issues(other, "PW318"), "PW318").message
    duty = mini(tmp_path / "duty", SUPPORTED, C3_FROM_2022)
    with (duty / DEV).open("a", encoding="utf-8") as handle:
        handle.write(
            _guidance("duty", "{class_iii: true}", "{to: 2021-12-31}").replace("kind: guidance", "kind: obligation")
        )
    only([i for i in issues(duty, "PW318") if "fact 'dev_class'" in i.message], "PW318")


def test_pw318_item_with_nothing_in_its_stage_before_it_starts(tmp_path: Path) -> None:
    clinical = (
        "  - id: clinical_eval\n    kind: obligation\n    stage: clinical\n    when: {dev_class: III}\n"
        "    title: {zh: 临床评价, en: Clinical evaluation}\n    sources: [law]\n"
        "    valid: {from: 2022-01-01}\n"
    )
    root = mini(tmp_path, SUPPORTED)
    with (root / DEV).open("a", encoding="utf-8") as handle:
        handle.write(clinical)
    issue = only(issues(root, "PW318"), "PW318")
    assert issue.line == line_of(root, DEV, "valid: {from: 2022-01-01}")
    assert "item 'clinical_eval' is valid from 2022-01-01" in issue.message
    assert "from 2021-01-01 to 2021-12-31" in issue.message and "stage clinical" in issue.message
    assert "dev_class = III" in issue.message and "implant: true" in issue.message
    # in the registration stage 'reg' covers Class III cases all along: no gap
    covered = mini(tmp_path / "covered", SUPPORTED)
    with (covered / DEV).open("a", encoding="utf-8") as handle:
        handle.write(clinical.replace("clinical_eval", "reg_2022").replace("stage: clinical", "stage: registration"))
    assert issues(covered, "PW318") == []


def test_pw318_not_for_replacements_indicators_guidance_or_undated_rule_bases(tmp_path: Path) -> None:
    # old_gmp (to 2026-10-31) and new_gmp (from 2026-11-01) follow each other; an indicator fact
    # (class_iii is only ever set to true) reads as "no" before its rule starts
    root = mini(
        tmp_path,
        SUPPORTED,
        REPLACES,
        (DEV, "    set: {class_iii: true}\n", "    set: {class_iii: true}\n    valid: {from: 2022-01-01}\n"),
    )
    with (root / DEV).open("a", encoding="utf-8") as handle:
        handle.write(_guidance("note_2022", "{kind: device}", "{from: 2022-01-01}"))
    assert issues(root, "PW318") == []
    # nothing dated: nothing to check, whatever in_force_from says
    undated = mini(
        tmp_path / "undated",
        SUPPORTED,
        (DEV, "    valid: {from: 2026-11-01}\n", ""),
        (DEV, "    valid: {to: 2026-10-31}\n", ""),
    )
    assert issues(undated, "PW318") == []


def test_pw318_default_start_is_the_earliest_valid_from(tmp_path: Path) -> None:
    # without in_force_from the rule base supports cases from its earliest valid.from: c3's own
    root = mini(tmp_path, C3_FROM_2022)
    assert issues(root, "PW318") == []
    # ... or an earlier one
    early = mini(
        tmp_path / "early",
        C3_FROM_2022,
        (
            DEV,
            "    title: {zh: 代理人, en: Chinese agent}\n",
            "    title: {zh: 代理人, en: Chinese agent}\n    valid: {from: 2021-09-01}\n",
        ),
    )
    issue = only([i for i in issues(early, "PW318") if "dev_class" in i.message], "PW318")
    assert "from 2021-09-01 to 2021-12-31" in issue.message


# ---- PW324: a route with no items ------------------------------------------------------------------

FOOD_ROUTE = (
    "route:\n  id: food\n  title: {zh: 食品, en: Food}\n  when: {kind: food}\n"
    "  owner: Jane Doe\n  reviewed: 2026-11-01\n  review_by: 2027-05-01\n"
)


def test_pw324_route_without_items(tmp_path: Path) -> None:
    root = mini(tmp_path, ("rulebase.yaml", "routes/dev.yaml]", "routes/dev.yaml, routes/food.yaml]"))
    (root / "routes" / "food.yaml").write_text(FOOD_ROUTE, encoding="utf-8")
    issue = only(issues(root, "PW324"), "PW324")
    assert issue.file == "mini/routes/food.yaml" and issue.line == line_of(root, "routes/food.yaml", "id: food")
    assert "route 'food' has no items" in issue.message
    # an item of the route in another file counts
    root = append(
        tmp_path,
        BASE,
        "items:\n  - {id: food_licence, route: food, kind: obligation, stage: manufacturing,"
        " title: {zh: 食品许可, en: Food licence}, sources: [law]}\n",
    )
    assert issues(root, "PW324") == []
    assert issues(mini(tmp_path / "plain"), "PW324") == []


# ---- PW315: schema modeline ---------------------------------------------------------------------


def _with_modelines(root: Path, schema: bool = True) -> None:
    for name, rel in (("rulebase.yaml", "./"), (BASE, "./"), (DEV, "../")):
        path = root / name
        path.write_text(
            f"# yaml-language-server: $schema={rel}rules.schema.json\n" + path.read_text(encoding="utf-8"),
            encoding="utf-8",
        )
    if schema:
        (root / "rules.schema.json").write_text(json.dumps(rules_schema()), encoding="utf-8")


def test_pw315_no_modeline(tmp_path: Path) -> None:
    found = issues(mini(tmp_path), "PW315")
    assert sorted(i.file for i in found) == ["mini/base.yaml", "mini/routes/dev.yaml", "mini/rulebase.yaml"]
    dev = next(i for i in found if i.file.endswith("dev.yaml"))
    assert "$schema=../rules.schema.json" in dev.message and (dev.line, dev.column) == (1, 1)


def test_pw315_modeline_to_a_missing_schema(tmp_path: Path) -> None:
    root = mini(tmp_path)
    _with_modelines(root, schema=False)
    found = issues(root, "PW315")
    assert len(found) == 3 and all("does not exist" in i.message for i in found)


def test_pw315_not_with_modelines(tmp_path: Path) -> None:
    root = mini(tmp_path)
    _with_modelines(root)
    assert issues(root, "PW315") == []


def test_a_clean_rule_base_has_no_issues(tmp_path: Path) -> None:
    root = mini(tmp_path, (DEV, "  when: {kind: device}\n", PROVENANCE), (DEV, "    status: unconfirmed\n", ""))
    _with_modelines(root)
    assert issues(root) == []


# ---- disabling, the shipped rule base, the command line -----------------------------------------


def test_disable_codes(tmp_path: Path) -> None:
    root = mini(tmp_path)
    assert {i.code for i in issues(root)} == {"PW311", "PW313", "PW315"}
    assert {i.code for i in issues(root, disable=["PW311", "PW315"])} == {"PW313"}


def test_shipped_rule_base_lints_without_errors_or_dead_rules() -> None:
    result = _shipped_lint()
    assert result.errors == 0, [str(i) for i in result.issues if i.severity == "error"]
    bad = [str(i) for i in result.issues if i.code in ("PW301", "PW303", "PW304", "PW305", "PW306", "PW310")]
    assert bad == []


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


def test_cli_output_exit_codes_and_json(tmp_path: Path) -> None:
    root = mini(tmp_path)
    plain = _cli("lint", str(root), "--today", "2026-11-24")
    assert plain.returncode == 0, plain.stderr  # warnings and notes do not fail ...
    assert "mini/routes/dev.yaml:2:7: PW313: warning: route 'dev'" in plain.stdout
    assert "mini/rulebase.yaml:1:1: PW315: info: no schema modeline" in plain.stdout
    assert plain.stdout.strip().endswith("mini 1: 0 error(s), 1 warning(s), 4 note(s)")
    strict = _cli("lint", str(root), "--warnings-as-errors", "--today", "2026-11-24")
    assert strict.returncode == 1 and "1 warning(s)" in strict.stderr  # ... unless asked
    quiet = _cli("lint", str(root), "--warnings-as-errors", "--disable", "PW313,pw311", "--disable", "PW315")
    assert quiet.returncode == 0 and quiet.stdout.strip() == "mini 1: 0 error(s), 0 warning(s), 0 note(s)"
    doc = json.loads(_cli("lint", str(root), "--format", "json").stdout)
    assert (doc["errors"], doc["warnings"], doc["info"]) == (0, 1, 4)
    assert {(i["code"], i["severity"]) for i in doc["issues"]} == {
        ("PW313", "warning"),
        ("PW311", "info"),
        ("PW315", "info"),
    }
    bad = _cli("lint", str(root), "--disable", "PW121")
    assert bad.returncode == 2 and "cannot be disabled" in bad.stderr
    broken = mini(tmp_path, (DEV, '    sources: [{id: law, article: "3"}]\n', "    sources: [{id: lawz}]\n"))
    result = _cli("lint", str(broken), "--format", "json")
    assert result.returncode == 1 and json.loads(result.stdout)["issues"][0]["severity"] == "error"


# ---- editor support: the shipped JSON Schema of rule files ----------------------------------------


def test_shipped_rules_schema_is_the_generated_one() -> None:
    shipped = (REPO / "rules" / "rules.schema.json").read_text(encoding="utf-8")
    generated = json.dumps(rules_schema(), indent=2, ensure_ascii=False) + "\n"
    assert shipped == generated, "regenerate it: pathways schema rules > rules/rules.schema.json"


def test_rules_schema_describes_fields_conditions_and_enums() -> None:
    schema = rules_schema()
    defs = schema["$defs"]
    item = defs["Item"]["properties"]
    assert item["stage"]["enum"][0] == "preparation" and "description" in item["stage"]
    assert item["when"] == {"$ref": "#/$defs/Condition", "description": item["when"]["description"]}
    assert defs["Question"]["properties"]["type"]["enum"] == ["yes_no", "choice", "multi", "number", "date", "text"]
    assert "{has: v}" in defs["Condition"]["description"]
    assert all(
        "description" in p
        for name in ("Item", "Question", "FactRule", "Route")
        for p in defs[name]["properties"].values()
    )


def test_rule_files_validate_against_the_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from pathways._yaml import load_yaml_file

    def plain(value):
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value.isoformat() if isinstance(value, dt.date) else value

    validator = jsonschema.Draft202012Validator(rules_schema())
    for root in (REPO / "rules", FIXTURES / "mini"):
        manifest = load_yaml_file(root / "rulebase.yaml")
        for name in ["rulebase.yaml", *manifest["files"]]:
            errors = [e.message for e in validator.iter_errors(plain(load_yaml_file(root / name)))]
            assert errors == [], f"{root.name}/{name}: {errors[:3]}"
    bad = {"items": [{"id": "x", "stage": "registraton", "title": {"zh": "甲", "en": "A"}, "sources": ["law"]}]}
    assert any("registraton" in e.message for e in validator.iter_errors(bad))


# ---- PW319-PW323: where legal-basis links may point ----------------------------------------------

LAW = '  - {id: law, title: {zh: 法, en: Law}, number: "No. 1", url: "https://example.org/law", kind: official,\n'


def test_pw319_link_to_a_host_on_neither_allow_list_is_an_error(tmp_path: Path) -> None:
    root = mini(tmp_path, (BASE, "https://example.org/law", "https://m.oub88888.com/law"))
    issue = only(issues(root, "PW319"), "PW319")
    assert issue.severity == "error" and "'m.oub88888.com'" in issue.message
    assert issue.line == line_of(root, BASE, "m.oub88888.com")
    assert lint(root, today=TODAY).errors == 1
    # errors cannot be switched off
    assert issues(root, "PW319", disable=["PW319"])


def test_pw319_subdomains_of_an_allowed_host_are_allowed(tmp_path: Path) -> None:
    root = mini(tmp_path, (BASE, "https://example.org/law", "https://www.example.org/law"))
    assert issues(root, "PW319") == [] and issues(root, "PW320") == []


@pytest.mark.parametrize(
    "old, new, words",
    [
        ("kind: official,\n", "\n", "has a url but no 'kind'"),
        (
            'url: "https://example.org/law", kind: official',
            'url: "https://example.com/law", kind: official',
            "is not an official host",
        ),
    ],
)
def test_pw320_link_not_classified(tmp_path: Path, old: str, new: str, words: str) -> None:
    root = mini(tmp_path, (BASE, old, new))
    issue = only(issues(root, "PW320"), "PW320")
    assert words in issue.message and issue.severity == "error"


def test_pw320_secondary_needs_a_publisher_unless_its_host_names_one(tmp_path: Path) -> None:
    named_by_host = mini(
        tmp_path, (BASE, 'https://example.org/law", kind: official', 'https://example.com/law", kind: secondary')
    )
    assert issues(named_by_host, "PW320") == []
    shutil.rmtree(named_by_host)
    unnamed = mini(
        tmp_path, (BASE, 'https://example.org/law", kind: official', 'https://www.example.org/en/law", kind: secondary')
    )
    assert "names no publisher" in only(issues(unnamed, "PW320"), "PW320").message
    shutil.rmtree(unnamed)
    named = mini(
        tmp_path,
        (
            BASE,
            'https://example.org/law", kind: official',
            'https://www.example.org/en/law", kind: secondary,\n'
            "     publisher: {zh: 英文版, en: the regulator's English page}",
        ),
    )
    assert issues(named, "PW320") == []


def test_pw321_item_resting_only_on_summaries(tmp_path: Path) -> None:
    root = mini(
        tmp_path, (BASE, 'https://example.org/law", kind: official', 'https://example.com/law", kind: secondary')
    )
    found = issues(root, "PW321")
    assert found and all(i.severity == "warning" and "only on secondary sources" in i.message for i in found)
    assert issues(mini(tmp_path / "other"), "PW321") == []


def test_pw322_and_pw323_when_the_text_was_last_checked(tmp_path: Path) -> None:
    assert issues(mini(tmp_path), "PW322") == [] and issues(mini(tmp_path), "PW323") == []
    stale = mini(tmp_path, (BASE, "checked: 2026-11-01", "checked: 2025-11-23"))
    issue = only(issues(stale, "PW322"), "PW322")
    assert "2025-11-23" in issue.message and "12 months" in issue.message
    assert [i for i in lint(stale, today=dt.date(2026, 11, 23)).issues if i.code == "PW322"] == []
    never = mini(tmp_path / "never", (BASE, ",\n     checked: 2026-11-01}", "}"))
    assert only(issues(never, "PW323"), "PW323").severity == "info"


def test_the_allow_lists_live_in_the_manifest(tmp_path: Path) -> None:
    root = mini(tmp_path, (BASE, "https://example.org/law", "https://law.example.net/law"))
    assert issues(root, "PW319")
    text = (root / "rulebase.yaml").read_text(encoding="utf-8")
    (root / "rulebase.yaml").write_text(
        text.replace("official_hosts: [example.org]", "official_hosts: [example.org, example.net]"), encoding="utf-8"
    )
    assert issues(root, "PW319") == []
