"""Two wizards, one case (issue 20, item 2): the second is told, nothing is overwritten.

Two wizards on one case once saved their answers over each other's without a word. Now a case is
locked while it is open; the second wizard says who has it and stays on the start screen. The lock
is the kernel's: a wizard killed with SIGKILL leaves nothing that keeps the case shut. Where the
lock is bypassed (an editor, a file system without locks), a save never replaces a file changed
behind the wizard's back: the answers go to a copy beside it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import pathways
from pathways_tui.app import build_app
from pathways_tui.cases import atomic_write
from pathways_tui.screens.start import StartScreen
from pathways_tui.screens.wizard import WizardScreen

from .helpers import AS_OF, answer, back_to_start, new_case, notifications, open_listed, start_screen, wait_for, wizard

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the lock is flock (POSIX)")


def lock_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "locks").glob("*.lock")) if (data_dir / "locks").is_dir() else []


async def test_a_second_wizard_is_told_the_case_is_open_and_overwrites_nothing(
    data_dir: Path, mini: pathways.RuleBase
) -> None:
    first = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    second = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with first.run_test(size=(100, 30), notifications=True) as one:
        await new_case(one, "Shared")
        await answer(one, "device")
        path = first.session.case.path
        assert path is not None and [p.name for p in lock_files(data_dir)] == [f"{path.name}.lock"]
        async with second.run_test(size=(100, 30), notifications=True) as two:
            start = await start_screen(two)
            assert [c.key for c in start.cases] == [path.name]
            await open_listed(two, path.name)
            await wait_for(
                two,
                lambda: any("open in another pathways wizard" in m for m in notifications(second)),
                "the message that the case is open elsewhere",
            )
            [message] = [m for m in notifications(second) if "another pathways wizard" in m]
            assert f"process {os.getpid()} on this computer" in message
            assert "overwrite each other's answers" in message
            assert isinstance(second.screen, StartScreen) and second.session is None
            line = second.screen.query_one("#cases").get_option(path.name).prompt.plain
            assert "open in another wizard" in line

            # the first goes on; the second's stale list changes nothing
            await answer(one, "abroad")
            assert pathways.read_answers_file(path).answers == {"kind": "device", "made_in": "abroad"}

            # the first closes the case (back to its start screen): now the second may open it, and
            # gets what is on disk now, not what its list read before
            await back_to_start(one)
            await wait_for(one, lambda: lock_files(data_dir) == [], "the lock let go")
            await open_listed(two, path.name)
            await wait_for(
                two,
                lambda: (
                    isinstance(second.screen, WizardScreen) and not second.screen.busy and second.screen.qid == "active"
                ),
                "the case open in the second wizard",
            )
            assert second.session.answers == {"kind": "device", "made_in": "abroad"}
            await answer(two, True)
            assert pathways.read_answers_file(path).answers == {"kind": "device", "made_in": "abroad", "active": True}
            # and now the first is the one told
            await open_listed(one, path.name)
            await wait_for(
                one,
                lambda: any("another pathways wizard" in m for m in notifications(first)),
                "the first wizard told in turn",
            )
            assert isinstance(first.screen, StartScreen)
    assert lock_files(data_dir) == []  # the apps ended: no lock left behind


HOLDER = """
import sys
from pathlib import Path
from pathways_tui.cases import CaseStore

store = CaseStore(Path(sys.argv[1]))
[case], _ = store.list_cases()
lock = store.lock(case)
print("holding", flush=True)
sys.stdin.read()
"""


async def test_a_wizard_killed_with_sigkill_leaves_no_lock_that_shuts_the_case(
    data_dir: Path, mini: pathways.RuleBase
) -> None:
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot, "Killed")
        await answer(pilot, "device")
        path = app.session.case.path
    assert path is not None
    # another process holds the case the way a wizard does, and is then killed without a chance to
    # clean up: its lock file stays on disk
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            await open_listed(pilot, path.name)
            await wait_for(
                pilot,
                lambda: any("another pathways wizard" in m for m in notifications(app)),
                "the message that the case is open elsewhere",
            )
            assert any(f"process {holder.pid} on this computer" in m for m in notifications(app))
            assert isinstance(app.screen, StartScreen)
            holder.send_signal(signal.SIGKILL)
            assert holder.wait() == -signal.SIGKILL
            assert [p.name for p in lock_files(data_dir)] == [f"{path.name}.lock"]  # stale, on disk
            await open_listed(pilot, path.name)
            await wait_for(
                pilot,
                lambda: isinstance(app.screen, WizardScreen) and not app.screen.busy and app.screen.qid == "made_in",
                "the case open after its holder was killed",
            )
            await answer(pilot, "abroad")
            assert pathways.read_answers_file(path).answers == {"kind": "device", "made_in": "abroad"}
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


async def test_a_file_changed_behind_the_wizard_is_kept_and_the_answers_go_to_a_copy(
    data_dir: Path, mini: pathways.RuleBase
) -> None:
    app = build_app(lang="en", as_of=AS_OF, rule_base=mini)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await new_case(pilot, "Edited")
        await answer(pilot, "device")
        path = app.session.case.path
        assert path is not None
        # an editor (or a wizard where there is no lock) writes the file meanwhile
        edited = path.read_text(encoding="utf-8").replace("kind: device", "kind: food")
        atomic_write(path, edited)
        await answer(pilot, "abroad")
        copy = path.with_name(f"{path.stem}-conflict.yaml")
        assert path.read_text(encoding="utf-8") == edited  # the other version stays
        assert pathways.read_answers_file(copy).answers == {"kind": "device", "made_in": "abroad"}
        assert any(path.name in m and copy.name in m for m in notifications(app))
        assert wizard(app).session.case.path == copy
        await answer(pilot, True)  # from now on, into the copy
        assert pathways.read_answers_file(copy).answers == {"kind": "device", "made_in": "abroad", "active": True}
        assert sorted(p.name for p in path.parent.glob("*.yaml")) == sorted([path.name, copy.name])
