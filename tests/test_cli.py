"""The command line as a script or a person uses it: the installed console script, real files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pathways.authoring.lint import lint

from .conftest import FIXTURES, REPO, pathways_command

EXAMPLE = REPO / "examples" / "device_class_ii_tianjin.yaml"


pathways_cmd = pathways_command


def run(*args: str, stdin: str | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*pathways_cmd(), *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_checklist_markdown_json_html(tmp_path: Path) -> None:
    md = run("checklist", str(EXAMPLE))
    assert md.returncode == 0, md.stderr
    assert md.stdout.startswith("# Regulatory checklist") and "Legal basis" in md.stdout
    js = run("checklist", str(EXAMPLE), "--format", "json", "--lang", "zh")
    doc = json.loads(js.stdout)
    assert doc["lang"] == "zh" and doc["rulebase"]["id"] == "cn-tianjin"
    assert all(item["sources"] for item in doc["items"])
    out = tmp_path / "case.html"
    html = run("checklist", str(EXAMPLE), "--format", "html", "-o", str(out))
    assert html.returncode == 0 and html.stdout == ""
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_checklist_reads_stdin_and_json() -> None:
    answers = {"answers": {"kind": "device", "made_in": "abroad", "active": True, "implant": True, "features": []}}
    result = run(
        "checklist",
        "-",
        "--rules",
        str(FIXTURES / "mini"),
        "--format",
        "json",
        "--as-of",
        "2026-11-24",
        stdin=json.dumps(answers),
    )
    assert result.returncode == 0, result.stderr
    assert {i["id"] for i in json.loads(result.stdout)["items"]} >= {"agent", "reg"}


def test_as_of_option_overrides_the_file() -> None:
    before = json.loads(run("checklist", str(EXAMPLE), "--format", "json", "--as-of", "2026-10-31").stdout)
    after = json.loads(run("checklist", str(EXAMPLE), "--format", "json", "--as-of", "2026-11-01").stdout)
    assert before["as_of"] == "2026-10-31" and after["as_of"] == "2026-11-01"
    assert {i["id"] for i in before["items"]} != {i["id"] for i in after["items"]}


@pytest.mark.parametrize(
    ("answers", "needle"),
    [
        ("answers: {product_kind: devise}\n", "answers.product_kind: PA203"),
        ("answers: {prodcut_kind: device}\n", "did you mean 'product_kind'"),
        ("answer: {product_kind: device}\n", "did you mean 'answers'"),
        ("answers: [1, 2\n", "PA200"),
        ("as_of: tomorrow\nanswers: {}\n", "as_of: PA202"),
    ],
)
def test_bad_answers_exit_2_naming_the_field(tmp_path: Path, answers: str, needle: str) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(answers, encoding="utf-8")
    result = run("checklist", str(path))
    assert result.returncode == 2
    assert needle in result.stderr


def test_missing_file_and_bad_options(tmp_path: Path) -> None:
    missing = run("checklist", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "file not found" in missing.stderr
    bad_date = run("checklist", str(EXAMPLE), "--as-of", "31.10.2026")
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr
    no_rules = run("checklist", str(EXAMPLE), "--rules", str(tmp_path / "none"))
    assert no_rules.returncode == 2 and "rule base directory not found" in no_rules.stderr


def test_rulebase_mismatch_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("rulebase: {id: cn-tianjin, version: 1999.1}\nanswers: {product_kind: device}\n")
    result = run("checklist", str(path))
    assert result.returncode == 0 and "warning: the answers were written for rule base" in result.stderr


def test_next_and_explain() -> None:
    step = json.loads(run("next", str(REPO / "examples" / "device_class_unknown.yaml")).stdout)
    assert set(step) >= {"question", "progress", "rulebase"}
    partial = run("next", "-", stdin="answers: {product_kind: device}\n")
    question = json.loads(partial.stdout)["question"]
    assert question["id"] == "made_in" and question["options"]
    why = run("explain", str(EXAMPLE), "class_ii_registration_tianjin")
    assert why.returncode == 0 and "ON the checklist" in why.stdout
    not_there = run("explain", str(EXAMPLE), "class_i_filing_binhai", "--format", "json")
    assert json.loads(not_there.stdout)["on_checklist"] is False
    typo = run("explain", str(EXAMPLE), "class_ii_registration_tianjn")
    assert typo.returncode == 2 and "did you mean 'class_ii_registration_tianjin'" in typo.stderr


def test_test_and_schema_commands() -> None:
    result = run("test", str(FIXTURES / "mini"))
    assert result.returncode == 0 and result.stdout.strip().endswith("2 passed, 0 failed")
    schema = json.loads(run("schema", "answers").stdout)
    assert schema["properties"]["answers"]["properties"]["product_kind"]
    assert json.loads(run("schema", "outcome").stdout)["title"] == "Outcome"
    assert "$defs" in json.loads(run("schema", "rules").stdout)


def test_failing_scenario_exits_1(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", root)
    path = root / "scenarios.yaml"
    path.write_text(path.read_text().replace("not_items: [filing]", "not_items: [reg]"))
    result = run("test", str(root))
    assert result.returncode == 1
    assert "item 'reg' should not be on the checklist" in result.stdout
    assert result.stdout.strip().endswith("1 passed, 1 failed")


def test_scenarios_check_statuses_time_limits_and_authorities(tmp_path: Path) -> None:
    """A consultant pins an item's status, clock and authority; a wrong one fails and says how."""
    import shutil

    root = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", root)
    path = root / "scenarios.yaml"
    text = path.read_text()
    good = (
        "    not_items: [filing]\n"
        "    statuses: {reg: required, agent: required}\n"
        "    time_limits: {reg: {working_days: 60, statutory: true}, testing: {statutory: false}, agent: null}\n"
        "    authorities: {}\n"
    )
    path.write_text(text.replace("    not_items: [filing]\n", good))
    assert run("test", str(root)).returncode == 0
    wrong = good.replace("reg: required", "reg: to_be_verified").replace("working_days: 60", "working_days: 20")
    path.write_text(text.replace("    not_items: [filing]\n", wrong))
    result = run("test", str(root))
    assert result.returncode == 1
    assert "item 'reg' should be to_be_verified; it is required" in result.stdout
    assert "item 'reg' time limit: days is 60, expected 20" in result.stdout
    typo = good.replace("authorities: {}", "authorities: {reg: auht}")
    path.write_text(text.replace("    not_items: [filing]\n", typo))
    result = run("test", str(root))
    assert result.returncode == 2 and "unknown authority 'auht'" in result.stderr + result.stdout
    assert "did you mean 'auth'" in result.stderr + result.stdout


# ---- where files are named from, and a missing rule base (issue 16) ----------------------------


def test_rule_files_are_named_from_the_current_directory(mini_copy: Path) -> None:
    dev = mini_copy / "routes" / "dev.yaml"
    text = dev.read_text(encoding="utf-8")
    dev.write_text(text.replace("sources: [{id: law, article", "sources: [{id: lawx, article"), encoding="utf-8")
    line = next(n for n, text in enumerate(dev.read_text(encoding="utf-8").splitlines(), 1) if "lawx" in text)
    where = {
        mini_copy.parent: f"mini/routes/dev.yaml:{line}:",
        mini_copy: f"routes/dev.yaml:{line}:",
        REPO: f"{dev}:{line}:",
    }  # outside the current directory: absolute
    for cwd, expected in where.items():
        linted = run("lint", str(mini_copy), cwd=cwd)
        assert linted.returncode == 1 and linted.stdout.startswith(f"{expected}15: PW121: unknown source 'lawx'"), (
            linted.stdout
        )
        issues = json.loads(run("lint", "--format", "json", str(mini_copy), cwd=cwd).stdout)["issues"]
        assert [(i["file"], i["line"]) for i in issues] == [(expected.split(":")[0], line)]
        checklist = run("checklist", str(EXAMPLE), "--rules", str(mini_copy), cwd=cwd)
        assert checklist.returncode == 2 and checklist.stderr.startswith(f"error: {expected}"), checklist.stderr
    # the core's own names do not depend on the current directory
    found = lint(mini_copy).issues
    assert [i.file for i in found if i.code == "PW121"] == ["mini/routes/dev.yaml"]


def test_scenario_files_are_named_from_the_current_directory(mini_copy: Path) -> None:
    result = run("test", ".", cwd=mini_copy)
    assert "PASS scenarios.yaml:1 imported implant" in result.stdout, result.stdout
    outside = run("test", str(mini_copy), "--format", "json", cwd=REPO)
    assert {r["file"] for r in json.loads(outside.stdout)["results"]} == {str(mini_copy / "scenarios.yaml")}


def test_a_missing_rule_base_directory_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-rules"
    result = run("lint", "--format", "json", str(missing), cwd=tmp_path)
    found = [(i["code"], i["file"], i["message"]) for i in json.loads(result.stdout)["issues"]]
    assert result.returncode == 2 and found == [("PW103", "no-such-rules", "rule base directory not found")]
    for args in (
        ["lint", str(missing)],
        ["test", str(missing)],
        ["checklist", str(EXAMPLE), "--rules", str(missing)],
        ["next", str(EXAMPLE), "--rules", str(missing)],
        ["wizard", "--rules", str(missing)],
        ["diff", str(missing), str(REPO / "rules")],
    ):
        result = run(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "no-such-rules: PW103: rule base directory not found" in result.stdout + result.stderr, args
    a_file = tmp_path / "rulebase.yaml"
    a_file.write_text("id: x\n", encoding="utf-8")
    result = run("lint", str(a_file))
    assert result.returncode == 2 and "not a rule base directory but a file" in result.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("lint", str(empty))
    assert result.returncode == 2 and "rulebase.yaml: PW103: file not found" in result.stdout


def test_serve_options_say_what_the_server_settings_say() -> None:
    """``pathways serve``'s options repeat ``Settings``' defaults and bounds (the command line cannot
    import the server when it starts): a new option or a changed limit must agree in both places."""
    import annotated_types
    import click

    from pathways.cli import serve
    from pathways.server.settings import Settings

    fields = Settings.model_fields
    named = {"max_body": "max_body_bytes"}
    checked = []
    for option in serve.params:
        name = named.get(option.name or "", option.name or "")
        if not isinstance(option, click.Option) or name not in fields or option.is_flag or option.multiple:
            continue
        field = fields[name]
        assert option.default == field.default, (
            f"--{option.name}: default {option.default!r}, Settings {field.default!r}"
        )
        kind = option.type
        if isinstance(kind, (click.IntRange, click.FloatRange)):
            for bound in field.metadata:
                if isinstance(bound, annotated_types.Ge):
                    assert kind.min == bound.ge, f"--{option.name}: minimum {kind.min}, Settings ge {bound.ge}"
                elif isinstance(bound, annotated_types.Gt):
                    assert kind.min is not None and kind.min > bound.gt, f"--{option.name}: minimum {kind.min}"
                elif isinstance(bound, annotated_types.Le):
                    assert kind.max == bound.le, f"--{option.name}: maximum {kind.max}, Settings le {bound.le}"
        checked.append(name)
    assert {"port", "workers", "max_connections", "response_cache_mb", "timeout_body"} <= set(checked)
