"""What fuzzing and probing found (issue 20, items 4, 5 and 8): answers, dates, numbers and files.

Each input that used to end in "internal error" (exit 3) or a wrong display is refused with a
positioned error (``answers.FIELD`` or ``file: line N column M``, exit 2), never a traceback; numbers
are shown as numbers and dates as dates; output files are written safely; control characters from
rule texts never reach a terminal. Broken rule files are in ``test_broken_rules.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pty
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import pathways
from pathways.authoring.lint import lint
from pathways.cli import cli

from .conftest import AS_OF, FIXTURES, pathways_command

DEVICE = {"kind": "device", "made_in": "abroad", "active": True, "implant": True, "features": []}
FEATURES_Q = "  - id: features\n"
NEW_QUESTIONS = (
    "  - id: units\n    text: {zh: 年产量, en: Annual output}\n    type: number\n"
    "    ask_when: {kind: device}\n"
    "  - id: launch\n    text: {zh: 上市日期, en: Launch date}\n    type: date\n"
    "    ask_when: {kind: device}\n"
)
NEW_ITEMS = (
    "  - id: big_batch\n    stage: manufacturing\n    kind: obligation\n"
    "    when: {units: {gte: 20000000}}\n    title: {zh: 大批量, en: Large batches}\n    sources: [law]\n"
    "  - id: late_launch\n    stage: post_market\n    kind: guidance\n"
    "    when: {launch: {gte: 2027-01-01}}\n    title: {zh: 晚上市, en: Late launch}\n    sources: [law]\n"
)


@pytest.fixture
def numbers(mini_copy: Path) -> Path:
    """The mini rule base with a number question (units) and a date question (launch), each tested."""
    path = mini_copy / "routes" / "dev.yaml"
    text = path.read_text(encoding="utf-8").replace(FEATURES_Q, NEW_QUESTIONS + FEATURES_Q, 1)
    path.write_text(text + NEW_ITEMS, encoding="utf-8")
    return mini_copy


def invoke(*args: str, stdin: bytes | None = None) -> Result:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    assert "internal error" not in result.output and "Traceback" not in result.output, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result


# ---- item 4: dates, timestamps, nesting, bytes ------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (
            "as_of: 2026-02-30\nanswers: {}\n",
            "answers.yaml: PA200: line 1 column 8: invalid date '2026-02-30': day is out",
        ),
        ("as_of: 2026-13-01\nanswers: {}\n", "line 1 column 8: invalid date '2026-13-01': month must be in 1..12"),
        ("as_of: 2026-11-24 25:00:00\nanswers: {}\n", "line 1 column 8: invalid date '2026-11-24 25:00:00': hour"),
        (
            "as_of: 2026-11-24 10:00:00\nanswers: {}\n",
            "as_of: PA202: a date and time (2026-11-24 10:00:00), not a date",
        ),
        ("as_of: '20261124'\nanswers: {}\n", "as_of: PA202: expected a date YYYY-MM-DD, got '20261124'"),
        ("as_of: 0\nanswers: {}\n", "as_of: PA202: expected a date YYYY-MM-DD, got the number 0"),
        ("answers: {kind: device, launch: 2026-02-30}\n", "line 1 column 33: invalid date '2026-02-30'"),
        ("answers: {kind: device, launch: 2026-11-24 10:00:00}\n", "answers.launch: PA202: a date and time"),
        ("answers: {kind: device, launch: '2026-11-24T10:00'}\n", "answers.launch: PA202: expected a date YYYY-MM-DD"),
        ("answers: {kind: device, units: .nan}\n", "answers.units: PA202: expected a number, got nan"),
        ("answers: {kind: device, units: -.inf}\n", "answers.units: PA205"),
        ("answers:\n  kind: " + "[" * 900 + "]" * 900 + "\n", "line 2 column 72: nesting deeper than 64 levels"),
    ],
    ids=lambda value: value[:40] if isinstance(value, str) else None,
)
def test_bad_answers_are_positioned_errors(numbers: Path, tmp_path: Path, answers: str, message: str) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(answers, encoding="utf-8")
    result = invoke("checklist", str(path), "--rules", str(numbers))
    assert result.exit_code == 2, result.output
    assert message in result.stderr, result.stderr


def test_json_answers_nested_too_deeply(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_text('{"answers": {"kind": ' + "[" * 100_000 + "]" * 100_000 + "}}", encoding="utf-8")
    result = invoke("checklist", str(path), "--rules", str(FIXTURES / "mini"))
    assert result.exit_code == 2 and "answers.json: PA200: nested too deeply" in result.stderr


def test_cli_as_of_is_a_date() -> None:
    for value in ("20261124", "2026-11-24T00:00", "2026-02-30"):
        result = invoke("checklist", "-", "--as-of", value, stdin=b"answers: {}\n")
        assert result.exit_code == 2 and "--as-of" in result.stderr, (value, result.output)


def test_non_utf8_on_stdin_names_its_line() -> None:
    """As a user pipes a file saved in GB18030: the line and column of the first bad byte."""
    stdin = "answers:\n  kind: device\n  made_in: 天津\n".encode("gb18030")
    proc = subprocess.run(
        [*pathways_command(), "checklist", "-", "--rules", str(FIXTURES / "mini")],
        input=stdin,
        capture_output=True,
        timeout=120,
    )
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 2 and "Traceback" not in err, err
    assert "error: -: PA200: line 3 column 12: not UTF-8 text (byte 0xcc)" in err
    for command in ("next", "explain"):
        result = invoke(
            command, "-", *(["agent"] if command == "explain" else []), "--rules", str(FIXTURES / "mini"), stdin=stdin
        )
        assert result.exit_code == 2 and "line 3 column 12: not UTF-8 text" in result.stderr


@pytest.mark.parametrize(
    "as_of", [dt.datetime(2026, 11, 24, 10, 0), dt.datetime(2026, 11, 24), 0, 20261124, "24.11.2026", "2026-02-30"]
)
def test_python_api_as_of_is_a_date(mini: pathways.RuleBase, as_of: object) -> None:
    calls = [
        lambda: pathways.evaluate(mini, DEVICE, as_of=as_of),  # type: ignore[arg-type]
        lambda: pathways.next_question(mini, DEVICE, as_of=as_of),  # type: ignore[arg-type]
        lambda: pathways.explain(mini, DEVICE, "agent", as_of=as_of),
    ]  # type: ignore[arg-type]
    for call in calls:
        with pytest.raises(pathways.AnswersError) as info:
            call()
        (issue,) = info.value.issues
        assert (issue.code, issue.field) == ("PA202", "as_of"), issue
    # an ISO date as text is a date
    assert pathways.evaluate(mini, DEVICE, as_of="2026-11-24").as_of == AS_OF  # type: ignore[arg-type]


def test_a_case_file_with_an_impossible_date_is_an_answers_error(tmp_path: Path) -> None:
    """The wizard reads saved cases with read_answers_file: a readable reason, not a crash."""
    path = tmp_path / "case.yaml"
    path.write_text("rulebase: {id: mini}\nas_of: 2026-02-30\nanswers: {}\ncase: {id: x}\n", encoding="utf-8")
    with pytest.raises(pathways.AnswersError, match="line 2 column 8: invalid date"):
        pathways.read_answers_file(path)


# ---- item 5: numbers are numbers, dates are dates ----------------------------------------------


def test_large_thresholds_are_numbers_and_dates_dates(numbers: Path) -> None:
    rb = pathways.load_rule_base(numbers)
    answers = {**DEVICE, "units": 30_000_000, "launch": "2027-03-01"}
    outcome = pathways.evaluate(rb, answers, as_of=AS_OF)
    traces = {i.id: i.trace for i in outcome.items}
    assert traces["big_batch"].condition == "units ≥ 20000000"
    assert traces["late_launch"].condition == "launch ≥ 2027-01-01"
    assert [(a.question, a.value) for a in traces["big_batch"].answers] == [("units", 30_000_000)]
    assert [(a.question, a.value) for a in traces["late_launch"].answers] == [("launch", "2027-03-01")]
    assert pathways.explain(rb, answers, "big_batch", as_of=AS_OF).condition == "units ≥ 20000000"
    text = pathways.render(outcome, "md") + pathways.render(outcome, "html")
    assert "2000-00-00" not in text and "3000-00-00" not in text


def test_lint_shows_numbers_as_numbers(numbers: Path) -> None:
    path = numbers / "routes" / "dev.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace("{units: {gte: 20000000}}", "{units: {gte: 20000000, lt: 10000000}}")
        .replace("{launch: {gte: 2027-01-01}}", "{launch: {gte: 2027-01-01, lt: 2026-01-01}}")
        + "  - id: huge_batch\n    stage: manufacturing\n    kind: obligation\n"
        "    when: {units: {gte: 1000000000000000}}\n    title: {zh: 巨量, en: Huge}\n"
        "    sources: [law]\n",
        encoding="utf-8",
    )
    never = {i.message.split("'")[1]: i.message for i in lint(numbers, today=AS_OF).issues if i.code == "PW303"}
    assert set(never) == {"big_batch", "late_launch"}, never  # not huge_batch: 1e15 can be answered
    assert "units ≥ 20000000 and < 10000000 cannot hold" in never["big_batch"]
    assert "launch ≥ 2027-01-01 and < 2026-01-01 cannot hold" in never["late_launch"]


# ---- item 8: files and terminals -----------------------------------------------------------------


def test_output_file_is_not_written_through_a_planted_symlink(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(json.dumps({"answers": DEVICE}), encoding="utf-8")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    out = tmp_path / "checklist.md"
    (tmp_path / "checklist.md.tmp").symlink_to(victim)
    result = invoke("checklist", str(answers), "--rules", str(FIXTURES / "mini"), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert out.is_file() and not out.is_symlink()
    assert out.read_text(encoding="utf-8").startswith("# ")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "answers.yaml",
        "checklist.md",
        "checklist.md.tmp",
        "victim.txt",
    ]  # no temporary file left
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
    out.chmod(0o600)  # a file written again keeps its mode
    assert invoke("checklist", str(answers), "--rules", str(FIXTURES / "mini"), "-o", str(out)).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    missing = invoke(
        "checklist", str(answers), "--rules", str(FIXTURES / "mini"), "-o", str(tmp_path / "no" / "such" / "dir.md")
    )
    assert missing.exit_code == 2 and "cannot write" in missing.stderr


def _on_a_terminal(args: list[str]) -> bytes:
    """What ``pathways ARGS`` prints on a terminal (a pseudo-terminal)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*pathways_command(), *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return b"".join(chunks)


def test_escape_sequences_from_rule_texts_do_not_reach_a_terminal(mini_copy: Path, tmp_path: Path) -> None:
    path = mini_copy / "routes" / "dev.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "en: Chinese agent}", 'en: "Chinese agent\\e]0;owned\\a\\e[2J\\x9b31m"}'
        ),
        encoding="utf-8",
    )
    answers = tmp_path / "answers.yaml"
    answers.write_text(json.dumps({"answers": DEVICE}), encoding="utf-8")
    shown = _on_a_terminal(["checklist", str(answers), "--rules", str(mini_copy)])
    assert "Chinese agent]0;owned[2J31m".encode() in shown
    assert not any(c in shown for c in (b"\x1b", b"\x07", "\x9b".encode()))
    explained = _on_a_terminal(["explain", str(answers), "agent", "--rules", str(mini_copy)])
    assert b"Chinese agent]0;owned" in explained and b"\x1b" not in explained
    # a pipe or a file gets the text as written (but for the colour codes click drops off a terminal)
    piped = invoke("checklist", str(answers), "--rules", str(mini_copy))
    assert "Chinese agent\x1b]0;owned\x07" in piped.stdout


def test_a_copied_rule_base_stays_valid(tmp_path: Path) -> None:
    """The fixtures these tests mutate load as they are (a guard for the tests themselves)."""
    root = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", root)
    assert pathways.load_rule_base(root).id == "mini"


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads the umask from /proc (Linux)")
def test_write_file_never_changes_the_umask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Setting the umask to read it would, for a moment, let files other threads create (the wizard
    saves cases from worker threads) be world-writable: the mode comes from /proc instead."""
    calls: list[int] = []
    real_umask = os.umask

    def spy(mask: int) -> int:
        calls.append(mask)
        return real_umask(mask)

    previous = real_umask(0o027)
    try:
        monkeypatch.setattr(os, "umask", spy)
        out = tmp_path / "export.pdf"
        pathways.write_file(out, b"%PDF-")
        assert stat.S_IMODE(out.stat().st_mode) == 0o640
        assert calls == []
    finally:
        real_umask(previous)
