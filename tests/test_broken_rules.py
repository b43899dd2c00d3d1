"""Broken rule bases: one realistic consultant mistake each, and exactly where pathways says it is.

Every case copies ``tests/fixtures/mini`` into ``tmp_path`` (as ``mini/``, so issues name files like
``mini/routes/dev.yaml``), applies ONE mistake to one file, loads the rule base (and compiles it for
the engine-limit errors) and checks the reported issue: its stable code, file, line, column and,
for references, the "did you mean" suggestion.

Expected positions are computed from the mutated text, never typed in: ``at`` is a piece of text
that occurs exactly once in the file the issue names; the issue must point at its first character,
or at the character after a ``^`` placed inside it (``"made_in: ^unknown"`` points at ``unknown``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import pathways
from pathways import RuleBaseError, RuleIssue
from pathways._run import compiled

FIXTURE = Path(__file__).parent / "fixtures" / "mini"
DEV = "routes/dev.yaml"
BASE = "base.yaml"
MANIFEST = "rulebase.yaml"

# the fixture's texts the mistakes are made in (each occurs once in its file)
FEATURES_Q = "  - id: features\n"
FEATURES_Q_FULL = (
    "  - id: features\n    text: {zh: 特征, en: Features}\n    type: multi\n    ask_when: {kind: device}\n"
)
IMPLANT_ASK = "    ask_when: {kind: device, active: true}\n"
TESTING_TITLE = "    title: {zh: 检验, en: Testing}\n"
AGENT_WHEN = "    when: {origin: imported}\n"
AGENT_TITLE_SOURCES = "    title: {zh: 代理人, en: Chinese agent}\n    sources: [law]\n"
MEASURING = "      - {value: measuring, label: {zh: 测量, en: Measuring}}\n"


@dataclass(frozen=True)
class Case:
    """One mistake in one file, and the issue it must produce."""

    id: str
    file: str  # the file the mistake is made in, relative to the rule base
    old: str = ""  # exact text, occurring once in that file ...
    new: str = ""  # ... replaced by this
    rewrite: Callable[[str], str] | None = field(default=None, repr=False)  # or: whole-file rewrite
    code: str = ""
    at: str | None = None  # where the issue points (see the module docstring)
    line: int | None = None  # explicit position, when ``at`` cannot be used (empty file)
    col: int | None = None
    issue_file: str | None = None  # the file the issue names, if not ``file``
    suggestion: str | None = None  # the expected "did you mean"
    message: str = ""  # a substring of the expected message
    count: int | None = 1  # distinct issues expected in all (None: do not check)
    compile: bool = False  # the error comes from compiling for the engine, not loading
    lint: bool = False  # the error comes from lint's analysis (the rule base still loads)
    xfail: str | None = None  # a known loader bug: the reason


def apply(case: Case, root: Path) -> None:
    path = root / case.file
    text = path.read_text(encoding="utf-8")
    if case.rewrite is not None:
        new = case.rewrite(text)
    else:
        assert text.count(case.old) == 1, f"{case.id}: {case.old!r} must occur once in the fixture"
        new = text.replace(case.old, case.new)
    assert new != text
    path.write_text(new, encoding="utf-8")


def locate(text: str, at: str) -> tuple[int, int]:
    """(line, column), 1-based, of the ``^`` in ``at`` (or its start) in ``text``."""
    caret = at.find("^")
    needle = at.replace("^", "", 1) if caret >= 0 else at
    assert text.count(needle) == 1, f"{needle!r} occurs {text.count(needle)} times, not once"
    index = text.index(needle) + max(caret, 0)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def expected_position(case: Case, root: Path) -> tuple[int, int]:
    if case.at is None:
        assert case.line is not None and case.col is not None
        return case.line, case.col
    text = (root / (case.issue_file or case.file)).read_text(encoding="utf-8")
    line, column = locate(text, case.at)
    return line, case.col if case.col is not None else column


def issues_of(root: Path, compile_: bool, lint: bool = False) -> list[RuleIssue]:
    if lint:
        from pathways.authoring.lint import lint as run_lint

        return [i for i in run_lint(root).issues if i.severity == "error"]
    if compile_:
        rb = pathways.load_rule_base(root)  # a limit error must pass the loader ...
        with pytest.raises(RuleBaseError) as info:  # ... and be caught before the engine sees it
            compiled(rb)
        return info.value.issues
    with pytest.raises(RuleBaseError) as info:
        pathways.load_rule_base(root)
    return info.value.issues


# ---- generated mistakes ---------------------------------------------------------------------------


def _yes_no_questions(n: int) -> str:
    return "".join(
        f"  - {{id: check_{i}, text: {{zh: 检查{i}, en: Check {i}}}, type: yes_no, ask_when: {{kind: device}}}}\n"
        for i in range(n)
    )


def _choice_with_600_items(text: str) -> str:
    """A product-code question with 600 options, and one checklist item per code."""
    options = "".join(f"      - {{value: c{i}, label: {{zh: 编码{i}, en: Code {i}}}}}\n" for i in range(600))
    question = (
        "  - id: product_code\n    text: {zh: 产品编码, en: Product code}\n    type: choice\n"
        "    ask_when: {kind: device}\n    options:\n" + options
    )
    items = "".join(
        f"  - {{id: code_{i}, stage: registration, when: {{product_code: c{i}}}, "
        f"title: {{zh: 编码{i}, en: Code {i}}}, sources: [law]}}\n"
        for i in range(600)
    )
    return text.replace(FEATURES_Q, question + FEATURES_Q) + items


def _same_condition_items(text: str) -> str:
    """241 more items for imported products: with 'agent', 242 items test {origin: imported}."""
    return text + "".join(
        f"  - {{id: import_step_{i}, stage: preparation, when: {{origin: imported}}, "
        f"title: {{zh: 进口{i}, en: Import step {i}}}, sources: [law]}}\n"
        for i in range(241)
    )


def _join_16_facts(text: str) -> str:
    conj = ", ".join(f"check_{i}: true" for i in range(16))
    return (
        text.replace(FEATURES_Q, _yes_no_questions(16) + FEATURES_Q)
        + f"  - id: all_checks\n    stage: testing\n    when: {{{conj}}}\n"
        "    title: {zh: 全部检查, en: All checks}\n    sources: [law]\n"
    )


def _too_many_alternatives(text: str) -> str:
    """any(8) x any(8) x any(2): 128 alternatives once expanded; the limit is 64."""
    first = ", ".join(f"{{check_{i}: true}}" for i in range(8))
    second = ", ".join(f"{{check_{i}: true}}" for i in range(8, 16))
    return (
        text.replace(FEATURES_Q, _yes_no_questions(16) + FEATURES_Q)
        + "  - id: any_checks\n    stage: testing\n    when:\n      all:\n"
        f"        - any: [{first}]\n        - any: [{second}]\n"
        "        - any: [{active: true}, {implant: true}]\n"
        "    title: {zh: 任一检查, en: Any check}\n    sources: [law]\n"
    )


def _too_large(text: str) -> str:
    return "# " + "x" * (2 * 1024 * 1024) + "\n" + text


def _many_aliases(text: str) -> str:
    """One shared document text (anchor &ifu) reused by 201 items: 201 aliases, the limit is 200."""
    text = text.replace(TESTING_TITLE, TESTING_TITLE + "    documents: [&ifu {zh: 说明书, en: Instructions for use}]\n")
    return text + "".join(
        f"  - {{id: doc_{i}, stage: testing, documents: [*ifu], title: "
        f"{{zh: 文件{i}, en: Document {i}}}, sources: [law]}}\n"
        for i in range(1, 202)
    )


def _alias_bomb(text: str) -> str:
    """A 'billion laughs': 9 levels of 9 aliases each, 9^9 values once expanded."""
    lines = ["lol:", "  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 9):
        lines.append(f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n" + text


def _deep_nesting(depth: int) -> Callable[[str], str]:
    """A list nested ``depth`` deep: composing 900 recurses past Python's limit, 1,000 is LibYAML's."""
    return lambda text: "deep: " + "[" * depth + "]" * depth + "\n" + text


def _number_question(condition: str) -> Callable[[str], str]:
    """A number question 'units', asked for devices, whose features question adds ``condition``."""

    def rewrite(text: str) -> str:
        return text.replace(
            FEATURES_Q_FULL,
            "  - id: units\n    text: {zh: 年产量, en: Annual output}\n    type: number\n"
            "    ask_when: {kind: device}\n"
            + FEATURES_Q_FULL.replace("{kind: device}\n", "{kind: device, units: " + condition + "}\n"),
        )

    return rewrite


UNITS_MIN = (
    "  - id: units\n    text: {zh: 年产量, en: Annual output}\n    type: number\n    min: .nan\n"
    "    ask_when: {kind: device}\n"
)


CASES: list[Case] = [
    # ---- YAML syntax ----
    Case(
        "yaml-over-indented-key",
        DEV,
        "    type: yes_no\n    unknown: allowed\n",
        "    type: yes_no\n     unknown: allowed\n",
        code="PW100",
        at="     unknown^: allowed",
        message="mapping values are not allowed here",
    ),
    Case(
        "yaml-under-indented-key",
        DEV,
        "    text: {zh: 植入, en: Implant}\n",
        "   text: {zh: 植入, en: Implant}\n",
        code="PW100",
        at="text: {zh: 植入",
    ),
    # PyYAML notices the missing '}' on the next line, where it finds ':' instead of ',' or '}'
    Case(
        "yaml-unclosed-brace",
        DEV,
        IMPLANT_ASK,
        "    ask_when: {kind: device, active: true\n",
        code="PW100",
        at="  - id^: features",
        message="expected ',' or '}'",
    ),
    Case(
        "yaml-unclosed-bracket",
        DEV,
        "    after: [testing]\n",
        "    after: [testing\n",
        code="PW100",
        at="    time_limit^: {working_days: 60",
        message="expected ',' or ']'",
    ),
    Case(
        "tab-indentation",
        DEV,
        "    type: yes_no\n" + IMPLANT_ASK,
        "    type: yes_no\n\task_when: {kind: device, active: true}\n",
        code="PW100",
        at="\task_when",
        message="'\\t'",
    ),
    # ---- duplicate keys ----
    Case(
        "duplicate-key-in-question",
        DEV,
        "    text: {zh: 植入, en: Implant}\n",
        "    text: {zh: 植入, en: Implant}\n    text: {zh: 植入器械, en: Implantable}\n",
        code="PW101",
        at="text: {zh: 植入器械",
        message="duplicate key 'text' (first defined on line 12)",
    ),
    Case(
        "duplicate-key-in-condition",
        DEV,
        "    when: {active: true, implant: true}\n",
        "    when: {active: true, implant: true, active: false}\n",
        code="PW101",
        at="active: false",
        message="duplicate key 'active'",
    ),
    # ---- schema: unknown keys, wrong types, missing keys ----
    Case(
        "unknown-key-ask_wen",
        DEV,
        IMPLANT_ASK,
        "    ask_wen: {kind: device, active: true}\n",
        code="PW110",
        at="ask_wen",
        suggestion="ask_when",
        message="unknown key 'ask_wen'",
    ),
    Case(
        "unknown-key-tittle",
        DEV,
        TESTING_TITLE,
        "    tittle: {zh: 检验, en: Testing}\n",
        code="PW110",
        at="tittle",
        suggestion="title",
        count=2,
    ),  # + PW112: 'title' is missing
    Case(
        "title-is-a-number",
        DEV,
        TESTING_TITLE,
        "    title: 42\n",
        code="PW111",
        at="title: ^42",
        message="item 'testing': title: expected a text in both languages",
    ),
    Case(
        "title-is-plain-text",
        DEV,
        TESTING_TITLE,
        "    title: Testing\n",
        code="PW111",
        at="title: ^Testing",
        message="item 'testing': title: expected a text in both languages",
    ),
    Case(
        "working-days-many",
        DEV,
        "    time_limit: {working_days: 60,",
        "    time_limit: {working_days: many,",
        code="PW111",
        at="many",
        message="working_days",
    ),
    Case(
        "stage-typo",
        DEV,
        "    stage: testing\n",
        "    stage: tesing\n",
        code="PW111",
        at="tesing",
        message="item 'testing': stage: expected one of",
        suggestion="testing",
    ),
    Case(
        "item-without-sources",
        DEV,
        AGENT_TITLE_SOURCES,
        "    title: {zh: 代理人, en: Chinese agent}\n",
        code="PW112",
        at="id: agent",
        message="item 'agent': missing required key 'sources'",
    ),
    Case(
        "question-without-type",
        DEV,
        "    text: {zh: 植入, en: Implant}\n    type: yes_no\n",
        "    text: {zh: 植入, en: Implant}\n",
        code="PW112",
        at="id: implant",
        message="question 'implant': missing required key 'type'",
    ),
    Case(
        "text-without-chinese",
        DEV,
        TESTING_TITLE,
        "    title: {en: Testing}\n",
        code="PW112",
        at="{en: Testing}",
        message="item 'testing': missing required key 'zh' in title",
    ),
    # ---- questions and options ----
    Case(
        "choice-without-options",
        DEV,
        FEATURES_Q,
        "  - id: risk\n    text: {zh: 风险, en: Risk}\n    type: choice\n" + FEATURES_Q,
        code="PW111",
        at="id: risk",
        message="a choice question needs 'options'",
    ),
    # reported at the second 'sterile' option
    Case(
        "duplicate-option-value",
        DEV,
        MEASURING,
        MEASURING + "      - {value: sterile, label: {zh: 灭菌, en: Sterilised}}\n",
        code="PW125",
        at="{value: ^sterile, label: {zh: 灭菌",
        message="option value 'sterile' appears twice",
    ),
    Case(
        "reserved-option-value",
        DEV,
        MEASURING,
        MEASURING + "      - {value: unknown, label: {zh: 不详, en: Not sure}}\n",
        code="PW111",
        at="{value: unknown",
        message="'unknown' is reserved",
    ),
    # ---- conditions ----
    Case(
        "unknown-question-kindd",
        DEV,
        IMPLANT_ASK,
        "    ask_when: {kindd: device, active: true}\n",
        code="PW120",
        at="kindd",
        suggestion="kind",
        message="unknown fact or question 'kindd'",
    ),
    Case(
        "bad-option-devise",
        DEV,
        IMPLANT_ASK,
        "    ask_when: {kind: devise, active: true}\n",
        code="PW131",
        at="devise",
        suggestion="device",
        message="'devise' is not an option of 'kind'",
    ),
    Case(
        "bad-option-devise-in-route-when",
        DEV,
        "  when: {kind: device}\n",
        "  when: {kind: devise}\n",
        code="PW131",
        at="devise",
        suggestion="device",
        message="'devise' is not an option of 'kind'",
    ),
    Case(
        "bad-derived-value-IV",
        DEV,
        "    when: {dev_class: I}\n",
        "    when: {dev_class: IV}\n",
        code="PW131",
        at="IV",
        suggestion="I",
        message="'IV' is not a value set for 'dev_class'",
    ),
    Case(
        "bad-option-in-has",
        DEV,
        "    when: {features: {has: [sterile, measuring]}}\n",
        "    when: {features: {has: [sterile, measure]}}\n",  # points at the test, not at 'measure'
        code="PW131",
        at="features: ^{has",
        suggestion="measuring",
    ),
    Case(
        "yes-no-written-yes",
        DEV,
        IMPLANT_ASK,
        "    ask_when: {kind: device, active: yes}\n",
        code="PW132",
        at="active: ^yes",
        message="test it with true or false, not the text 'yes'",
    ),
    Case(
        "number-compared-with-text",
        DEV,
        FEATURES_Q_FULL,
        "  - id: units\n    text: {zh: 年产量, en: Annual output}\n    type: number\n    min: 0\n"
        "    ask_when: {kind: device}\n"
        + FEATURES_Q_FULL.replace("{kind: device}\n", "{kind: device, units: {gte: many}}\n"),
        code="PW132",
        at="units: ^{gte: many}",
        message="'units' is a number",
    ),
    Case(
        "has-on-choice-question",
        DEV,
        AGENT_WHEN,
        "    when: {made_in: {has: abroad}}\n",
        code="PW133",
        at="made_in: ^{has",
        message="'has' tests a multi-choice question",
    ),
    Case(
        "gte-on-choice-question",
        DEV,
        AGENT_WHEN,
        "    when: {made_in: {gte: abroad}}\n",
        code="PW133",
        at="made_in: ^{gte",
        message="'made_in' is a single-choice question",
    ),
    Case(
        "gte-on-derived-class",
        DEV,
        "    when: {dev_class: [II, III]}\n    title: {zh: 注册",
        "    when: {dev_class: {gte: II}}\n    title: {zh: 注册",
        code="PW133",
        at="dev_class: ^{gte",
        message="only numbers and dates can be compared",
    ),
    Case(
        "multi-tested-with-plain-value",
        DEV,
        "    when: {features: {has: [sterile, measuring]}}\n",
        "    when: {features: sterile}\n",
        code="PW133",
        at="features: ^sterile}",
        message="test it with {has: value}",
    ),
    Case(
        "unknown-test-hass",
        DEV,
        "    when: {features: {has: [sterile, measuring]}}\n",
        "    when: {features: {hass: [sterile, measuring]}}\n",
        code="PW130",
        at="features: ^{hass",
        suggestion="has",
        message="unknown test 'hass'",
    ),
    Case(
        "unknown-on-question-without-dont-know",
        DEV,
        AGENT_WHEN,
        "    when: {made_in: unknown}\n",
        code="PW131",
        at="made_in: ^unknown",
        message='does not allow the answer "don\'t know"',
    ),
    # ---- references ----
    Case(
        "unknown-source",
        DEV,
        AGENT_TITLE_SOURCES,
        "    title: {zh: 代理人, en: Chinese agent}\n    sources: [laws]\n",
        code="PW121",
        at="laws",
        suggestion="law",
        message="unknown source 'laws'",
    ),
    Case(
        "unknown-source-with-article",
        DEV,
        '    sources: [{id: law, article: "3"}]\n',
        '    sources: [{id: lwa, article: "3"}]\n',
        code="PW121",
        at="^{id: lwa",
        suggestion="law",
    ),
    Case(
        "unknown-authority",
        DEV,
        "    authority: auth\n",
        "    authority: auht\n",
        code="PW122",
        at="auht",
        suggestion="auth",
        message="unknown authority 'auht'",
    ),
    Case(
        "unknown-after-item",
        DEV,
        "    after: [testing]\n",
        "    after: [tesing]\n",
        code="PW123",
        at="tesing",
        suggestion="testing",
        message="unknown item 'tesing'",
    ),
    Case(
        "duplicate-item-id",
        DEV,
        "  - id: old_gmp\n",
        "  - id: testing\n",
        code="PW125",
        at="^testing\n    stage: manufacturing",
        message="duplicate item id 'testing' (first defined at mini/routes/dev.yaml:61)",
    ),
    Case(
        "common-question-uses-route-question",
        BASE,
        "    type: choice\n    options:\n      - {value: tianjin",
        "    type: choice\n    ask_when: {active: true}\n    options:\n      - {value: tianjin",
        code="PW127",
        at="^  - id: made_in",
        message="uses 'active' of route 'dev'",
    ),
    # ---- graphs ----
    Case(
        "after-cycle",
        DEV,
        TESTING_TITLE,
        TESTING_TITLE + "    after: [reg]\n",
        code="PW142",
        at="^  - id: reg",
        message="reg -> testing -> reg",
    ),
    Case(
        "after-itself",
        DEV,
        AGENT_TITLE_SOURCES,
        AGENT_TITLE_SOURCES + "    after: [agent]\n",
        code="PW142",
        at="[^agent]",
        message="'agent' cannot come after itself",
    ),
    # reported at the first rule of the cycle's first fact (sorted by name), not at the new rules
    Case(
        "derived-fact-cycle",
        DEV,
        "items:\n",
        "  - id: iii_is_high_risk\n    when: {class_iii: true}\n    set: {high_risk: true}\n"
        "  - id: high_risk_is_iii\n    when: {high_risk: true}\n    set: {class_iii: true}\n"
        "items:\n",
        code="PW140",
        at="^  - id: c3_indicated",
        message="class_iii -> high_risk -> class_iii",
    ),
    Case(
        "negation-through-cycle",
        DEV,
        "items:\n",
        "  - id: c3_unless_ii\n    when: {active: true, not: {dev_class: II}}\n    set: {class_iii: true}\nitems:\n",
        code="PW141",
        at="^  - id: c3_indicated",
        message="class_iii -> dev_class -> class_iii",
    ),
    Case(
        "fact-tests-itself",
        DEV,
        "    when: {class_iii: true}\n",
        "    when: {class_iii: true, not: {dev_class: I}}\n",
        code="PW141",
        at="^  - id: c3\n",
        message="dev_class -> dev_class",
    ),
    Case(
        "valid-to-before-from",
        DEV,
        "    valid: {from: 2026-11-01}\n",
        "    valid: {from: 2026-11-01, to: 2026-01-31}\n",
        code="PW111",
        at="{from: 2026-11-01, to",
        message="'to' (2026-01-31) is before 'from' (2026-11-01)",
    ),
    # ---- files ----
    Case(
        "manifest-lists-missing-file",
        MANIFEST,
        "files: [base.yaml, routes/dev.yaml]\n",
        "files: [base.yaml, routes/dev.yaml, routes/drug.yaml]\n",
        code="PW160",
        at="routes/drug.yaml",
        suggestion="routes/dev.yaml",
        message="listed file 'routes/drug.yaml' does not exist",
    ),
    Case(
        "manifest-misspelt-folder",
        MANIFEST,
        "files: [base.yaml, routes/dev.yaml]\n",
        "files:\n  - base.yaml\n  - route/dev.yaml\n",
        code="PW160",
        at="route/dev.yaml",
        suggestion="routes/dev.yaml",
    ),
    Case(
        "scenarios-listed-as-rule-file",
        MANIFEST,
        "files: [base.yaml, routes/dev.yaml]\n",
        "files: [base.yaml, routes/dev.yaml, scenarios.yaml]\n",
        code="PW111",
        issue_file="scenarios.yaml",
        at="- name: imported implant",
        message="expected a mapping with route, questions, facts or items at the top of the file",
    ),
    Case(
        "file-is-plain-text",
        DEV,
        rewrite=lambda text: "Device route - see the Word document\n",
        code="PW111",
        at="Device route",
        message="at the top of the file; got text 'Device route",
    ),
    Case("empty-file", DEV, rewrite=lambda text: "", code="PW111", line=1, col=1, message="the file is empty"),
    Case(
        "file-larger-than-2-MiB",
        DEV,
        rewrite=_too_large,
        code="PW102",
        line=1,
        col=1,
        message="file larger than 2048 KiB",
    ),
    Case(
        "too-many-aliases",
        DEV,
        rewrite=_many_aliases,
        code="PW102",
        at="doc_201, stage: testing, documents: [^*ifu]",
        message="more than 200 aliases",
    ),
    Case("alias-bomb", DEV, rewrite=_alias_bomb, code="PW102", at="l0: &l0 [^lol,", message="more than 200000 values"),
    # ---- found by fuzzing (issue 20): refused where they are, never an internal error ----
    Case(
        "impossible-date-february-30",
        DEV,
        "    valid: {from: 2026-11-01}\n",
        "    valid: {from: 2026-02-30}\n",
        code="PW100",
        at="2026-02-30",
        message="invalid date '2026-02-30': day is out of range for month",
    ),
    Case(
        "impossible-month-13",
        DEV,
        "    valid: {from: 2026-11-01}\n",
        "    valid: {from: 2026-13-01}\n",
        code="PW100",
        at="2026-13-01",
        message="month must be in 1..12",
    ),
    Case(
        "impossible-hour-25",
        DEV,
        "    valid: {from: 2026-11-01}\n",
        "    valid: {from: 2026-11-01 25:00:00}\n",
        code="PW100",
        at="2026-11-01 25:00:00",
        message="hour must be in 0..23",
    ),
    Case(
        "timestamp-where-a-date-is-expected",
        DEV,
        "    valid: {from: 2026-11-01}\n",
        "    valid: {from: 2026-11-01 09:30:00}\n",
        code="PW111",
        at="2026-11-01 09:30:00",
        message="should have zero time",
    ),
    Case(
        "nesting-900-deep",
        DEV,
        rewrite=_deep_nesting(900),
        code="PW102",
        line=1,
        col=len("deep: ") + 65,
        message="nesting deeper than 64 levels",
    ),
    Case(
        "nesting-5000-deep",
        DEV,
        rewrite=_deep_nesting(5000),
        code="PW102",
        line=1,
        col=len("deep: ") + 65,
        message="nesting deeper than 64 levels",
    ),
    Case(
        "control-character-in-a-text",
        DEV,
        TESTING_TITLE,
        "    title: {zh: 检验, en: Test\x07ing}\n",
        code="PW100",
        at="\x07",
        message="character U+0007 is not allowed in YAML",
    ),
    Case(
        "escape-character-in-a-text",
        DEV,
        TESTING_TITLE,
        "    title: {zh: 检验, en: \x1b[31mTesting}\n",
        code="PW100",
        at="\x1b",
        message="character U+001B",
    ),
    Case(
        "infinity-in-a-condition",
        DEV,
        rewrite=_number_question("{gte: .inf}"),
        code="PW132",
        at="units: ^{gte: .inf}",
        message="a finite number of at most 1e+15 in size",
    ),
    Case(
        "nan-in-a-condition",
        DEV,
        rewrite=_number_question("{lt: .nan}"),
        code="PW132",
        at="units: ^{lt: .nan}",
        message="not nan",
    ),
    Case(
        "number-beyond-2-to-the-53-in-a-condition",
        DEV,
        rewrite=_number_question("{gte: 9007199254740993}"),
        code="PW132",
        at="units: ^{gte: 9007",
        message="not 9007199254740993",
    ),
    Case(
        "nan-as-a-minimum",
        DEV,
        FEATURES_Q,
        UNITS_MIN + FEATURES_Q,
        code="PW111",
        at=".nan",
        message="question 'units': min: Input should be a finite number",
    ),
    Case(
        "nan-as-a-derived-value",
        BASE,
        "set: {origin: imported}",
        "set: {origin: imported, score: .nan}",
        code="PW132",
        at=".nan",
        message="fact rule 'imported' sets 'score' to nan",
    ),
    Case(
        "infinity-as-a-derived-value",
        BASE,
        "set: {origin: imported}",
        "set: {origin: imported, score: -.inf}",
        code="PW132",
        at="-.inf",
        message="a number must be finite",
    ),
    Case(
        "unknown-parent-authority",
        BASE,
        "level: national}",
        "level: national, parent: nmpa}",
        code="PW122",
        at="nmpa",
        message="authority 'auth' names unknown parent 'nmpa'",
    ),
    Case(
        "tag-on-a-list",
        DEV,
        "    after: [testing]\n",
        "    after: !ids [testing]\n",
        code="PW100",
        at="!ids",
        message="unknown tag '!ids' on a list",
    ),
    Case(
        "tag-on-a-mapping",
        DEV,
        TESTING_TITLE,
        "    title: !text {zh: 检验, en: Testing}\n",
        code="PW100",
        at="!text",
        message="unknown tag '!text' on a mapping",
    ),
    Case(
        "base-60-option-value",
        DEV,
        MEASURING,
        MEASURING + "      - {value: 1:20, label: {zh: 比例, en: Ratio}}\n",
        code="PW111",
        at="1:20",
        message="String should match pattern",
    ),  # the text '1:20', never 80
    Case(
        "manifest-lists-an-absolute-path",
        MANIFEST,
        "files: [base.yaml, routes/dev.yaml]\n",
        "files: [base.yaml, routes/dev.yaml, /etc/pathways/extra.yaml]\n",
        code="PW160",
        at="/etc/pathways/extra.yaml",
        message="points outside the rule base (an absolute path)",
    ),
    Case(
        "manifest-climbs-out-with-dot-dot",
        MANIFEST,
        "files: [base.yaml, routes/dev.yaml]\n",
        "files: [base.yaml, routes/dev.yaml, ../other/extra.yaml]\n",
        code="PW160",
        at="../other/extra.yaml",
        message="points outside the rule base (a path through '..')",
    ),
    Case(
        "scenarios-listed-by-an-absolute-path",
        MANIFEST,
        "scenarios: [scenarios.yaml]\n",
        "scenarios: [/etc/pathways/scenarios.yaml]\n",
        code="PW160",
        at="/etc/pathways/scenarios.yaml",
        message="an absolute path",
    ),
    # ---- engine limits (compile) ----
    # every item also tests 'route.dev', so 242 items trip PW152 for it too (count not checked)
    Case(
        "242-items-same-condition",
        DEV,
        rewrite=_same_condition_items,
        compile=True,
        count=None,
        code="PW152",
        at="^  - id: agent",
        message="test 'origin' the same way",
    ),
    Case(
        "condition-joins-16-facts",
        DEV,
        rewrite=_join_16_facts,
        compile=True,
        code="PW151",
        at="^  - id: all_checks",
        message="the engine joins at most 14",
    ),
    Case(
        "too-many-any-alternatives",
        DEV,
        rewrite=_too_many_alternatives,
        compile=True,
        code="PW134",
        at="^  - id: any_checks",
        message="more than 64 alternatives",
    ),
    # ---- legal-basis links (lint: the rule base loads, the link may not ship) ----
    Case(
        "source-link-to-a-spam-domain",
        BASE,
        "https://example.org/law",
        "https://www.777hrrr.com/law",
        lint=True,
        code="PW319",
        at='"https://www.777hrrr.com/law',
        message="'www.777hrrr.com', which is on neither",
    ),
    Case(
        "source-link-not-classified",
        BASE,
        ", kind: official,\n     checked",
        ",\n     checked",
        lint=True,
        code="PW320",
        at='"https://example.org/law',
        message="has a url but no 'kind'",
    ),
]

CASE_BY_ID = {case.id: case for case in CASES}
assert len(CASE_BY_ID) == len(CASES), "duplicate case ids"


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


def _broken(case: Case, mini_copy: Path) -> Path:
    apply(case, mini_copy)
    return mini_copy


def test_the_fixture_itself_is_valid(mini_copy: Path) -> None:
    compiled(pathways.load_rule_base(mini_copy))


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_broken_rule_base(case: Case, mini_copy: Path) -> None:
    root = _broken(case, mini_copy)
    issues = issues_of(root, case.compile, case.lint)
    line, col = expected_position(case, root)
    file = f"mini/{case.issue_file or case.file}"
    listing = "\n".join(str(i) for i in issues)
    matching = [i for i in issues if i.code == case.code and i.file == file and i.line == line]
    assert matching, f"no {case.code} at {file}:{line}; got:\n{listing}"
    issue = matching[0]
    assert issue.column == col > 0, f"column {issue.column}, expected {col}: {issue}"
    assert case.message in issue.message, issue
    if case.suggestion is not None:
        assert issue.suggestion == case.suggestion, issue
        assert f"(did you mean '{case.suggestion}'?)" in str(issue)
    assert issue.severity == "error"
    if case.count is not None:
        assert len(set(issues)) == case.count, f"expected {case.count} issue(s), got:\n{listing}"


# ---- bytes, links and YAML 1.1 leftovers (issue 20) ----------------------------------------------


def test_bytes_that_are_not_utf8_are_named_on_their_line(mini_copy: Path) -> None:
    path = mini_copy / DEV
    raw = path.read_bytes()
    path.write_bytes(raw.replace("en: Testing}".encode(), b"en: Test\xffing}"))
    with pytest.raises(RuleBaseError) as info:
        pathways.load_rule_base(mini_copy)
    (issue,) = info.value.issues
    line, column = locate(raw.decode("utf-8"), "en: Test^ing}")
    assert (issue.code, issue.file, issue.line, issue.column) == ("PW100", "mini/" + DEV, line, column)
    assert "not UTF-8 text (byte 0xff)" in issue.message


def test_manifest_refuses_files_outside_the_rule_base(mini_copy: Path, tmp_path: Path) -> None:
    """A real rule file elsewhere, listed by its absolute path or reached through a symlink."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    outside = elsewhere / "extra.yaml"
    outside.write_text("questions:\n  - {id: extra, text: {zh: 额外, en: Extra}, type: yes_no}\n", encoding="utf-8")
    (mini_copy / "routes" / "linked.yaml").symlink_to(outside)
    manifest = mini_copy / MANIFEST
    good = manifest.read_text(encoding="utf-8")
    for listed, why in ((str(outside), "an absolute path"), ("routes/linked.yaml", "a link to a file elsewhere")):
        manifest.write_text(good.replace("routes/dev.yaml]", f"routes/dev.yaml, {listed}]"), encoding="utf-8")
        with pytest.raises(RuleBaseError) as info:
            pathways.load_rule_base(mini_copy)
        (issue,) = info.value.issues
        line, column = locate(manifest.read_text(encoding="utf-8"), listed)
        assert (issue.code, issue.file, issue.line, issue.column) == ("PW160", "mini/" + MANIFEST, line, column)
        assert f"points outside the rule base ({why})" in issue.message
    # a link that stays inside the rule base is fine
    (mini_copy / "routes" / "linked.yaml").unlink()
    (mini_copy / "routes" / "linked.yaml").symlink_to(mini_copy / DEV)
    manifest.write_text(good.replace("routes/dev.yaml]", "routes/linked.yaml]"), encoding="utf-8")
    assert "dev" in pathways.load_rule_base(mini_copy).routes


def test_yaml_11_numbers_stay_text(mini_copy: Path) -> None:
    """``1:20`` is not 80 (base 60) and ``010`` not 8 (octal): an option value keeps what was written."""
    from pathways._yaml import load_yaml_text

    data = load_yaml_text("a: 1:20\nb: 010\nc: 1:20:30.5\nd: 10\ne: 0x1F\nf: 1.5\ng: 1_000\nh: -7\n", "x.yaml")
    assert data == {"a": "1:20", "b": "010", "c": "1:20:30.5", "d": 10, "e": 31, "f": 1.5, "g": 1000, "h": -7}
    path = mini_copy / DEV
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            MEASURING, MEASURING + "      - {value: 010, label: {zh: 其他, en: Other}}\n"
        ),
        encoding="utf-8",
    )
    assert pathways.load_rule_base(mini_copy).questions["features"].model.option_values == (
        "sterile",
        "measuring",
        "010",
    )


# ---- over-limit rulesets must fail fast, never reach (and hang) the engine ----------------------

_LOAD_AND_COMPILE = textwrap.dedent("""
    import json, sys
    import pathways
    from pathways._run import compiled
    try:
        compiled(pathways.load_rule_base(sys.argv[1]))
    except pathways.RuleBaseError as exc:
        print(json.dumps([issue.to_dict() for issue in exc.issues]))
    else:
        print("null")
""")


def test_600_options_600_items_fails_fast_with_pw153(mini_copy: Path) -> None:
    """A choice question of 600 options and 600 items each testing one: above 480 tests the engine
    hangs. Run in a subprocess with a timeout so that a regression fails instead of hanging."""
    case = Case("600-options", DEV, rewrite=_choice_with_600_items)
    root = _broken(case, mini_copy)
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _LOAD_AND_COMPILE, str(root)], capture_output=True, text=True, timeout=60
    )
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    issues = json.loads(proc.stdout)
    assert issues, "the over-limit rule base compiled"
    pw153 = [i for i in issues if i["code"] == "PW153" and "'product_code'" in i["message"]]
    assert pw153, issues
    # reported at the question whose answer is tested too many ways
    line, _ = locate((root / DEV).read_text(encoding="utf-8"), "  - id: product_code")
    assert all(i["file"] == "mini/routes/dev.yaml" and i["line"] == line and i["column"] > 0 for i in pw153), pw153
    assert elapsed < 30, f"took {elapsed:.1f} s"


@pytest.mark.parametrize("case_id", ["condition-joins-16-facts", "too-many-any-alternatives"])
def test_compile_issues_are_not_duplicated(case_id: str, mini_copy: Path) -> None:
    root = _broken(CASE_BY_ID[case_id], mini_copy)
    issues = issues_of(root, compile_=True)
    assert len(issues) == len(set(issues)), "\n".join(map(str, issues))


# ---- errors are collected, not just the first --------------------------------------------------


def _three_mistakes(root: Path, edits: list[tuple[str, str]]) -> str:
    path = root / DEV
    text = path.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text


@pytest.mark.parametrize("kind", ["schema", "references"])
def test_three_mistakes_in_one_file_are_all_reported(kind: str, mini_copy: Path) -> None:
    if kind == "schema":
        edits = [
            (IMPLANT_ASK, "    ask_wen: {kind: device, active: true}\n"),
            ("    time_limit: {working_days: 60,", "    time_limit: {working_days: many,"),
            (AGENT_TITLE_SOURCES, "    title: {zh: 代理人, en: Chinese agent}\n"),
        ]
        expected = [("PW110", "ask_wen"), ("PW111", "many"), ("PW112", "id: agent")]
    else:
        edits = [
            (IMPLANT_ASK, "    ask_when: {kindd: device, active: true}\n"),
            ("    authority: auth\n", "    authority: auht\n"),
            (AGENT_TITLE_SOURCES, "    title: {zh: 代理人, en: Chinese agent}\n    sources: [laws]\n"),
        ]
        expected = [("PW120", "kindd"), ("PW122", "auht"), ("PW121", "laws")]
    text = _three_mistakes(mini_copy, edits)
    with pytest.raises(RuleBaseError) as info:
        pathways.load_rule_base(mini_copy)
    got = {(i.code, i.file, i.line, i.column) for i in info.value.issues}
    want = {(code, "mini/routes/dev.yaml", *locate(text, at)) for code, at in expected}
    assert got == want
    assert str(info.value).endswith("(and 2 more)")


# ---- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("case_id", ["source-link-to-a-spam-domain", "source-link-not-classified"])
def test_cli_lint_refuses_an_untrusted_link_but_the_checklist_still_works(
    case_id: str, mini_copy: Path, tmp_path: Path
) -> None:
    """A bad link is the consultant's to fix before release; a company's checklist is not blocked."""
    case = CASE_BY_ID[case_id]
    root = _broken(case, mini_copy)
    line, col = expected_position(case, root)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1"}
    lint = subprocess.run(
        [*_pathways_command(), "lint", str(root)], capture_output=True, text=True, encoding="utf-8", env=env, timeout=60
    )
    assert lint.returncode == 1 and "Traceback" not in lint.stdout + lint.stderr
    assert f"mini/{case.file}:{line}:{col}: {case.code}: " in lint.stdout, lint.stdout
    assert "1 error(s)" in lint.stderr
    answers = tmp_path / "answers.yaml"
    answers.write_text("answers: {kind: device, made_in: abroad}\n", encoding="utf-8")
    checklist = subprocess.run(
        [*_pathways_command(), "checklist", str(answers), "--rules", str(root)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
    )
    assert checklist.returncode == 0, checklist.stderr


from .conftest import pathways_command as _pathways_command  # noqa: E402

CLI_CASES = [
    "tab-indentation",
    "duplicate-key-in-condition",
    "unknown-key-ask_wen",
    "unknown-question-kindd",
    "unknown-source",
    "after-cycle",
    "common-question-uses-route-question",
    "manifest-lists-missing-file",
    "file-larger-than-2-MiB",
    "condition-joins-16-facts",
    "bad-option-devise-in-route-when",  # crashed with KeyError: 'dev' (a traceback from lint)
    "empty-file",
    # issue 20: each was "internal error", exit 3
    "impossible-date-february-30",
    "nesting-900-deep",
    "infinity-in-a-condition",
    "infinity-as-a-derived-value",
]


@pytest.mark.parametrize("case", [_param(CASE_BY_ID[c]) for c in CLI_CASES])
def test_cli_lint_and_checklist(case: Case, mini_copy: Path, tmp_path: Path) -> None:
    root = _broken(case, mini_copy)
    line, col = expected_position(case, root)
    where = f"mini/{case.issue_file or case.file}:{line}:{col}: {case.code}:"
    answers = tmp_path / "answers.yaml"
    answers.write_text("answers: {kind: device, made_in: abroad}\n", encoding="utf-8")
    command = _pathways_command()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1"}
    # run both at once to keep the suite fast; from the rule base's parent, where files print as mini/...
    lint = subprocess.Popen(
        [*command, "lint", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=tmp_path,
    )
    checklist = subprocess.Popen(
        [*command, "checklist", str(answers), "--rules", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=tmp_path,
    )
    lint_out, lint_err = lint.communicate(timeout=60)
    check_out, check_err = checklist.communicate(timeout=60)
    for output in (lint_out, lint_err, check_out, check_err):
        assert "Traceback" not in output, output
    assert lint.returncode == 1, (lint_out, lint_err)
    assert where in lint_out, lint_out
    assert "error(s)" in lint_err
    assert checklist.returncode == 2, (check_out, check_err)
    assert f"error: {where}" in check_err, check_err
    assert check_out == ""
