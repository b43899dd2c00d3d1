"""``pathways wizard --server URL``: the wizard on a real pathways server's rule base.

A real ``pathways serve`` (uvicorn, 127.0.0.1, a free port, tokens on) serves the mini rule base;
the wizard is driven with keys. Its checklist and exports must equal what the core gives locally
for the same answers, and a server that cannot be used must give a clear screen, not a traceback.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import pathways
from pathways_tui.app import build_app
from pathways_tui.backend import RemoteBackend
from pathways_tui.screens.errors import RuleBaseErrorScreen

from ..server.conftest import MINI, TOKEN, Live, clean_env, free_port, start_server
from .helpers import AS_OF, answer, checklist, new_case, send_keys, settle, wait_for, walk, wizard
from .test_export_and_palette import export_through_dialog
from .test_screens import screen_lines

CASE = {"kind": "device", "made_in": "abroad", "active": True, "implant": True, "features": []}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("remote-wizard")
    rules = tmp / "mini"
    shutil.copytree(MINI, rules)
    live = start_server(tmp, rules, workers=1, admin=False)
    yield live
    live.stop()


async def test_a_case_walked_on_a_server_equals_local_evaluation(
    server: Live, mini: pathways.RuleBase, tmp_path: Path, data_dir: Path
) -> None:
    app = build_app(lang="en", as_of=AS_OF, server=server.url, token=TOKEN, export_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot, "Remote implant")
        assert isinstance(app.backend, RemoteBackend)
        assert (app.backend.id, app.backend.hash) == (mini.id, mini.content_hash)
        asked = await walk(pilot, CASE)
        screen = await checklist(pilot)
        expected = pathways.evaluate(mini, CASE, AS_OF, "en")
        assert screen.outcome == expected
        assert set(asked) == set(CASE)
        # the exports are the headless renderers' output on the local evaluation, byte for byte
        for fmt in ("md", "json"):
            await export_through_dialog(pilot, "e", fmt, tmp_path / f"out.{fmt}")
            [saved] = (data_dir / "cases").glob("*.yaml")
            case = pathways.CaseDetails.from_case_metadata(pathways.read_answers_file(saved).case)
            assert case.product == "Remote implant"
            assert (tmp_path / f"out.{fmt}").read_bytes() == pathways.export(expected, fmt, case=case)
    # the answers are saved here (the server keeps nothing), as a file the CLI accepts
    [saved] = (data_dir / "cases").glob("*.yaml")
    assert pathways.read_answers_file(saved).answers == CASE


async def test_back_and_change_on_a_server(server: Live, mini: pathways.RuleBase) -> None:
    app = build_app(lang="zh", as_of=AS_OF, server=server.url, token=TOKEN)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot)
        await answer(pilot, "device")
        await answer(pilot, "abroad")
        await send_keys(pilot, "escape")  # back to "where is it made"
        await wait_for(pilot, lambda: wizard(app).qid == "made_in" and not wizard(app).busy, "made_in again")
        await answer(pilot, "tianjin")
        rest = {"kind": "device", "made_in": "tianjin", "active": False, "implant": False, "features": ["sterile"]}
        asked = await walk(pilot, rest)
        screen = await checklist(pilot)
        given = {q: rest[q] for q in ["kind", "made_in", *asked]}
        assert app.session is not None and app.session.answers == given
        assert screen.outcome == pathways.evaluate(mini, given, AS_OF, "zh")
        text = "\n".join(screen_lines(app))
        assert "清单" in text or "法规" in text  # the server's zh texts are shown


async def test_a_wrong_token_gives_a_clear_screen_and_exit_code(server: Live) -> None:
    app = build_app(lang="en", as_of=AS_OF, server=server.url, token="not-the-token-0123456789")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RuleBaseErrorScreen), "the error screen")
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "The pathways server could not be used" in text
        assert server.url in text and "401" in text and "Traceback" not in text
    assert app.rule_base_error and "401" in app.rule_base_error[0]


async def test_no_server_listening_gives_a_clear_screen() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    app = build_app(lang="zh", as_of=AS_OF, server=url)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RuleBaseErrorScreen), "the error screen", timeout=30)
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "无法使用 pathways 服务器" in text and "Traceback" not in text
    assert app.rule_base_error


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Live]:
    """A server of this test's own (no tokens), on a copy of the mini rule base it may change or stop."""
    rules = tmp_path / "mini"
    shutil.copytree(MINI, rules)
    live = start_server(tmp_path, rules, workers=1, tokens=False, admin=False)
    yield live
    live.stop()


async def test_a_server_gone_mid_case_is_reported_and_nothing_is_lost(own_server: Live, data_dir: Path) -> None:
    app = build_app(lang="en", as_of=AS_OF, server=own_server.url)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot)
        await answer(pilot, "device")
        own_server.stop()
        screen = wizard(app)
        await settle(pilot)
        app.planner.forget()  # next steps worked out while the server was up: force a request
        await send_keys(pilot, "down", "enter")  # answer made_in: the server is gone
        await wait_for(
            pilot,
            lambda: not screen.busy and app.session is not None and "made_in" in app.session.answers,
            "the answer taken, the planner failed",
        )
        await wait_for(
            pilot,
            lambda: any("server could not answer" in str(n.message) for n in app._notifications),
            "the notification",
        )
        assert screen.qid == "made_in"  # still on the question: nothing skipped
    [saved] = (data_dir / "cases").glob("*.yaml")
    assert set(pathways.read_answers_file(saved).answers) == {"kind", "made_in"}


async def test_a_reload_on_the_server_mid_case_brings_its_questions(own_server: Live) -> None:
    import httpx

    app = build_app(lang="en", as_of=AS_OF, server=own_server.url)
    async with app.run_test(size=(100, 30)) as pilot:
        await new_case(pilot)
        old_hash = app.backend.hash  # type: ignore[union-attr]
        base = own_server.rules / "base.yaml"
        base.write_text(
            base.read_text(encoding="utf-8").replace("en: Made in}", "en: Where is it made?}"), encoding="utf-8"
        )
        new_hash = pathways.load_rule_base(own_server.rules).content_hash
        own_server.hup()
        await wait_for(
            pilot,
            lambda: httpx.get(f"{own_server.url}/readyz").json()["rulebase"]["hash"] == new_hash,
            "the server reloaded",
            timeout=60,
        )
        app.planner.forget()  # worked out on the old rule base: ask the server again
        await answer(pilot, "device")
        assert wizard(app).qid == "made_in"
        assert app.backend.hash == new_hash != old_hash  # type: ignore[union-attr]
        assert "Where is it made?" in "\n".join(screen_lines(app))


@pytest.mark.parametrize(
    "args, message",
    [
        (["--server", "http://127.0.0.1:9", "--rules", "rules"], "--server and --rules exclude each other"),
        (["--server", "127.0.0.1:8000"], "must start with http:// or https://"),
    ],
)
def test_cli_refuses_bad_server_options(args: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pathways.cli", "wizard", *args],
        capture_output=True,
        text=True,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
