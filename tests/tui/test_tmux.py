"""End to end in a real terminal: ``pathways wizard`` driven through tmux like a person would.

Keys go in with ``send-keys``; what is on screen comes back with ``capture-pane``. The walk is
killed half-way (the tmux session and the process in it die), started again and resumed.
Skipped when tmux is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from ..conftest import FIXTURES, REPO

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
# a private tmux server: other tmux sessions on the machine (or one shutting down) cannot interfere
SOCKET = f"pathways-tests-{os.getpid()}"
PATHWAYS = Path(sys.executable).parent / "pathways"


class Terminal:
    def __init__(self, data_dir: Path, args: list[str], size: tuple[int, int] = (100, 30)) -> None:
        self.name = f"pathways-test-{uuid.uuid4().hex[:8]}"
        env = {"PATHWAYS_DATA_DIR": str(data_dir), "LANG": "C.UTF-8", "TERM": "xterm-256color"}
        command = " ".join(f"{k}={v}" for k, v in env.items()) + f" {PATHWAYS} wizard " + " ".join(args)
        command += "; echo EXIT=$?; sleep 30"
        start = [
            TMUX,
            "-L",
            SOCKET,
            "new-session",
            "-d",
            "-s",
            self.name,
            "-x",
            str(size[0]),
            "-y",
            str(size[1]),
            "-c",
            str(REPO),
            command,
        ]
        for _attempt in range(3):  # a server still shutting down from the previous test refuses once
            if subprocess.run(start, capture_output=True).returncode == 0:
                break
            time.sleep(0.5)
        else:
            subprocess.run(start, check=True)

    def screen(self) -> str:
        result = subprocess.run(
            [TMUX, "-L", SOCKET, "capture-pane", "-p", "-t", self.name], capture_output=True, text=True
        )
        return result.stdout

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{text!r} did not appear; the screen shows:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        subprocess.run([TMUX, "-L", SOCKET, "send-keys", "-t", self.name, *keys], check=True)

    def type(self, text: str) -> None:
        subprocess.run([TMUX, "-L", SOCKET, "send-keys", "-t", self.name, "-l", text], check=True)

    def kill(self) -> None:
        subprocess.run([TMUX, "-L", SOCKET, "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture
def terminals():
    started: list[Terminal] = []
    yield started
    for terminal in started:
        terminal.kill()


def test_a_device_case_in_a_real_terminal_with_a_crash_half_way(tmp_path: Path, terminals: list) -> None:
    data = tmp_path / "data"
    args = ["--rules", str(FIXTURES / "mini"), "--lang", "en", "--as-of", "2026-11-24"]
    term = Terminal(data, args)
    terminals.append(term)
    term.wait_for("Start a new case")
    term.wait_for("Rule base: Mini rule base")
    term.type("血糖仪 meter")
    term.wait_for("血糖仪 meter")
    term.keys("Enter")
    term.wait_for("Question 1")
    assert "Kind" in term.screen() and "Don't know" in term.screen()
    term.keys("Enter")  # Device
    term.wait_for("Made in")
    term.keys("Down", "Enter")  # Abroad (one send-keys: type-ahead)
    term.wait_for("Question 3")
    term.kill()  # the terminal dies half-way

    cases = list((data / "cases").glob("*.yaml"))
    assert len(cases) == 1
    term = Terminal(data, args)
    terminals.append(term)
    screen = term.wait_for("血糖仪 meter")  # listed on the start screen
    assert "2 answered" in screen
    term.wait_for("Rule base: Mini rule base")
    term.keys("Enter")  # resume the most recent case
    screen = term.wait_for("Question 3")
    assert "Active" in screen and "Abroad" in screen  # the sidebar shows the answers given
    term.keys("Enter")  # active: Yes
    term.wait_for("Implant")
    term.keys("Enter")  # implant: Yes
    term.wait_for("Features")
    term.keys("Enter")  # none of these
    term.wait_for("Regulatory checklist")
    screen = term.wait_for("Chinese agent")  # the items, once evaluated
    assert "Registration" in screen and "0 of 4 done" in screen
    term.keys("C-q")
    term.wait_for("EXIT=0")


def test_a_broken_rule_base_in_a_real_terminal(tmp_path: Path, terminals: list) -> None:
    broken = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", broken)
    (broken / "base.yaml").write_text(
        (broken / "base.yaml").read_text(encoding="utf-8").replace("type: choice", "type: choise", 1), encoding="utf-8"
    )
    term = Terminal(tmp_path / "data", ["--rules", str(broken), "--lang", "en"])
    terminals.append(term)
    # whole when first seen: the error list with the title, never the title (or the Footer) alone
    # (a frame Textual drew during a batch used to be dropped: pathways_tui._textual_fixes)
    screen = term.wait_for("The rule base could not be loaded")
    assert "base.yaml:" in screen and "Traceback" not in screen
    term.wait_for("q Quit")  # (the Footer's keys follow the screen)
    term.keys("q")  # once: the screen on the terminal takes keys
    screen = term.wait_for("EXIT=2")
    assert "error: " in screen and "base.yaml:" in screen and "Traceback" not in screen


def test_odd_case_files_do_not_stop_a_real_wizard(tmp_path: Path, terminals: list) -> None:
    # each of these once ended every start with a traceback and exit 1 (issue 20)
    cases = tmp_path / "data" / "cases"
    cases.mkdir(parents=True)
    case = (
        "rulebase: {id: mini, version: '1'}\nanswers: {kind: device}\ncase:\n  id: c1\n  product: Meter\n"
        "  progress: {answered: .inf}\n"
    )
    (cases / "c1.yaml").write_text(case, encoding="utf-8")
    (cases / "c1 copy.yaml").write_text(case.replace(".inf", "[1, 2]"), encoding="utf-8")
    (cases / "deep.yaml").write_text("answers: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    term = Terminal(tmp_path / "data", ["--rules", str(FIXTURES / "mini"), "--lang", "en", "--as-of", "2026-11-24"])
    terminals.append(term)
    screen = term.wait_for("deep.yaml: not a case the wizard can open")  # (why: in test_case_files.py)
    assert "file c1 copy.yaml" in screen and "Traceback" not in screen
    term.wait_for("Rule base: Mini rule base")
    term.keys("Enter")  # the most recent case opens
    term.wait_for("Question 2")
    term.keys("C-q")
    term.wait_for("EXIT=0")


def test_two_real_wizards_on_one_case_and_one_killed(tmp_path: Path, terminals: list) -> None:
    data = tmp_path / "data"
    args = ["--rules", str(FIXTURES / "mini"), "--lang", "en", "--as-of", "2026-11-24"]
    one = Terminal(data, args)
    terminals.append(one)
    one.wait_for("Rule base: Mini rule base")
    one.type("Shared")
    one.wait_for("Shared")
    one.keys("Enter")
    one.wait_for("Question 1")
    one.keys("Enter")  # Device: saved, the case is listed
    one.wait_for("Question 2")
    [lock] = (data / "locks").glob("*.lock")
    pid = json.loads(lock.read_text(encoding="utf-8"))["pid"]

    two = Terminal(data, args)
    terminals.append(two)
    two.wait_for("Shared")
    two.wait_for("Rule base: Mini rule base")
    two.keys("Enter")  # the case the first one has open
    screen = two.wait_for("open in another wizard")
    assert f"process {pid}" in screen and "Question" not in screen

    os.kill(pid, signal.SIGKILL)  # the first wizard dies without a word
    one.wait_for("EXIT=137")
    assert lock.exists()  # its lock file stays behind, unlocked
    two.keys("Enter")
    screen = two.wait_for("Question 2")  # and shuts nobody out
    assert "Made in" in screen and "Device" in screen
