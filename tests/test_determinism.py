"""Byte-identical outputs whatever ``PYTHONHASHSEED`` (issue 20, item 3).

Python randomises the hashes of strings per process, and with them the iteration order of sets: an
output built by iterating a set would differ from one run to the next although ``evaluate()`` is
documented as byte-identical. One case, run in subprocesses under several hash seeds, must give the
same bytes in every output the command line makes of it: the checklist as JSON, Markdown and HTML,
the next question, an explanation, and for a small rule base with a conflict its lint and scenario
reports too. The shipped case has answers that are not used (for both reasons), open questions and
multi-choice answers given out of option order; the mini case has a conflict.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from .conftest import FIXTURES

SEEDS = ("0", "1", "2", "3", "17", "4242")

SHIPPED_CASE = textwrap.dedent("""\
    as_of: 2026-11-24
    answers:
      product_kind: device
      made_in: tianjin
      tianjin_zone: other_district
      device_category: general
      device_class_settled: not_settled
      device_catalogue_class: unknown
      tj_priority_categories: [core_patent, high_tech_area]
      drug_modality: protein            # its ask_when does not hold
      ai_assisted_decision: true        # its ask_when does not hold
      bci_invasiveness: non_invasive    # its ask_when does not hold
      nfrm_exclusions: []               # its route does not apply
      cosmetic_claims: [sunscreen, whitening]   # its route does not apply
""")

CONFLICT_RULE = "  - id: also_domestic\n    when: {made_in: abroad}\n    set: {origin: domestic}\n"
MINI_CASE = (
    "as_of: 2026-11-24\nanswers: {kind: device, made_in: abroad, active: false, implant: true,\n"
    "          features: [measuring, sterile]}\n"
)

# every command's output, run in-process by one interpreter (one hash seed)
SCRIPT = textwrap.dedent("""
    import json, sys
    from click.testing import CliRunner
    from pathways.cli import cli

    shipped, mini, mini_case = sys.argv[1:4]
    commands = {
        "checklist.json": ["checklist", shipped, "--format", "json"],
        "checklist.md": ["checklist", shipped, "--format", "md"],
        "checklist.html": ["checklist", shipped, "--format", "html", "--lang", "zh"],
        "next": ["next", shipped],
        "explain": ["explain", shipped, "clinical_evaluation_exemption", "--format", "json"],
        "mini.checklist.json": ["checklist", mini_case, "--rules", mini, "--format", "json"],
        "mini.checklist.md": ["checklist", mini_case, "--rules", mini],
        "mini.next": ["next", mini_case, "--rules", mini],
        "mini.lint": ["lint", mini, "--format", "json", "--today", "2026-11-24"],
        "mini.test": ["test", mini, "--format", "json"],
    }
    out = {}
    for name, args in commands.items():
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        out[name] = [result.exit_code, result.stdout]
    print(json.dumps(out))
""")


def _cases(tmp_path: Path) -> tuple[Path, Path, Path]:
    shipped = tmp_path / "shipped_case.yaml"
    shipped.write_text(SHIPPED_CASE, encoding="utf-8")
    mini = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", mini)
    base = mini / "base.yaml"
    base.write_text(base.read_text(encoding="utf-8") + CONFLICT_RULE, encoding="utf-8")
    mini_case = tmp_path / "mini_case.yaml"
    mini_case.write_text(MINI_CASE, encoding="utf-8")
    return shipped, mini, mini_case


def test_every_output_is_the_same_under_every_hash_seed(tmp_path: Path) -> None:
    shipped, mini, mini_case = _cases(tmp_path)
    procs = {}
    for seed in SEEDS:
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONIOENCODING": "utf-8"}
        procs[seed] = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(shipped), str(mini), str(mini_case)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=tmp_path,
        )
    outputs = {}
    for seed, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr.decode(errors="replace")
        outputs[seed] = json.loads(stdout)

    first = outputs[SEEDS[0]]
    # the case exercises what must be ordered: unused answers (both reasons), open questions,
    # multi-choice answers out of option order, derived facts, a conflict
    assert all(code == 0 for code, _ in first.values()), first
    doc = json.loads(first["checklist.json"][1])
    reasons = {a["reason"] for a in doc["ignored_answers"]}
    assert len(doc["ignored_answers"]) >= 4 and len(reasons) == 2, doc["ignored_answers"]
    assert len(doc["unanswered"]) >= 5 and doc["facts"]
    assert json.loads(first["next"][1])["progress"]["ignored"]
    mini_doc = json.loads(first["mini.checklist.json"][1])
    assert mini_doc["conflicts"] and mini_doc["ignored_answers"]
    assert any(i["code"] == "PW306" for i in json.loads(first["mini.lint"][1])["issues"])

    for seed in SEEDS[1:]:
        for name, (code, text) in outputs[seed].items():
            assert code == first[name][0], (seed, name)
            assert text == first[name][1], f"'{name}' differs between PYTHONHASHSEED={SEEDS[0]} and {seed}"
