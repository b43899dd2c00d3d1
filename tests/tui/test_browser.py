"""End to end in a real browser: ``pathways wizard --web`` driven in headless Chromium.

Debian's ``chromium`` is driven by Playwright (pointed at that binary: Playwright downloads no
browser). Keys go in through the page as a person types them; what the page shows is read two
ways: the screenshot (which must not be blank), and the terminal screen the page was sent, replayed
in pyte (the page draws text on a canvas, so the DOM has none). Skipped only where chromium is not
installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyte
import pytest
import yaml
from wcwidth import wcswidth

import pathways

from ..conftest import REPO
from .web_server import WAIT, WebWizard

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)"
)
AS_OF = dt.date(2026, 11, 24)
CASE = yaml.safe_load((REPO / "examples" / "device_class_ii_tianjin.yaml").read_text(encoding="utf-8"))["answers"]
# (as root, chromium needs --no-sandbox; the rest keeps it from calling anywhere on its own)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Tab:
    """One browser tab on the web wizard, with the terminal screen it was sent replayed in pyte."""

    def __init__(self, context: Any, url: str) -> None:
        self.page = context.new_page()
        self.screen = pyte.Screen(80, 24)
        self.stream = pyte.ByteStream(self.screen)
        self.messages: list[Any] = []
        self.page.on("websocket", self._socket)
        self.page.goto(url)

    def _socket(self, websocket: Any) -> None:
        query = parse_qs(urlsplit(websocket.url).query)
        self.screen.resize(int(query["height"][0]), int(query["width"][0]))
        websocket.on("framereceived", self._received)
        websocket.on("framesent", self._sent)

    def _received(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            self.stream.feed(payload)
        else:
            self.messages.append(json.loads(payload))

    def _sent(self, payload: str | bytes) -> None:
        message = json.loads(payload)
        if message[0] == "resize":
            self.screen.resize(message[1]["height"], message[1]["width"])

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)

    def wait_for(self, *texts: str, timeout: float = WAIT) -> str:
        """Wait until every one of ``texts`` is on the screen (Playwright's events arrive meanwhile)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            screen = self.text()
            if all(text in screen for text in texts):
                return screen
            self.page.wait_for_timeout(50)
        raise AssertionError(f"{texts!r} did not appear; the page shows:\n{self.text()}")

    def press(self, *keys: str) -> None:
        for key in keys:
            self.page.keyboard.press(key)

    def click_text(self, text: str) -> None:
        """Click the middle of ``text`` with the mouse; of several, the lowest on the screen (a
        dialog's buttons are below its text and the screen it covers)."""
        for row, line in reversed(list(enumerate(self.screen.display))):  # noqa: B007 - row is used after the loop
            if text in line:
                column = wcswidth(line[: line.rindex(text)]) + wcswidth(text) // 2
                break
        else:
            raise AssertionError(f"{text!r} is not on the screen:\n{self.text()}")
        box = self.page.locator("canvas.xterm-text-layer").bounding_box()
        assert box is not None
        width, height = box["width"] / self.screen.columns, box["height"] / self.screen.lines
        self.page.mouse.click(box["x"] + (column + 0.5) * width, box["y"] + (row + 0.5) * height)


def _option_keys(question: Any, value: Any) -> list[str]:
    """The keys a person presses to give ``value`` to a choice, yes/no or multiple-choice question."""
    if question.type == "yes_no":
        return ["ArrowDown"] * (0 if value is True else 1) + ["Enter"]
    values = [option.value for option in question.options]
    if question.type == "multi":
        keys, at = [], 0
        for index, option in enumerate(values):
            if option in value:
                keys += ["ArrowDown"] * (index - at) + ["Space"]
                at = index
        return keys + ["Enter"]
    return ["ArrowDown"] * values.index(value) + ["Enter"]


def _not_blank(png: bytes) -> None:
    from PIL import Image, ImageStat

    image = Image.open(io.BytesIO(png)).convert("L")
    assert ImageStat.Stat(image).stddev[0] > 10, "the screenshot is (nearly) one colour"
    histogram = image.histogram()
    assert max(histogram) < 0.97 * sum(histogram), "the screenshot is (nearly) all background"


def test_a_device_case_in_a_real_browser(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    rule_base = pathways.load_rule_base()
    data = tmp_path / "data"
    server = WebWizard(tmp_path, data, "--lang", "en", "--as-of", AS_OF.isoformat())
    origin = server.url.rstrip("/")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(tmp_path / "profile"),
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                headless=True,
                viewport={"width": 1280, "height": 800},
                accept_downloads=True,
            )
            context.set_default_timeout(WAIT * 1000)
            requested: list[str] = []
            failed: list[str] = []
            context.on("request", lambda request: requested.append(request.url))
            # (a download is a navigation the browser hands to its download manager: "aborted")
            context.on(
                "requestfailed",
                lambda request: (
                    None if "/download/" in request.url else failed.append(f"{request.url}: {request.failure}")
                ),
            )
            context.on(
                "response",
                lambda response: (
                    failed.append(f"{response.url}: {response.status}") if response.status >= 400 else None
                ),
            )
            downloads: list[Any] = []
            context.on("page", lambda page: page.on("download", lambda download: downloads.append(download)))

            tab = Tab(context, server.url)
            tab.wait_for("Start a new case", "Rule base: Tianjin")
            tab.page.focus(".xterm-helper-textarea")
            tab.page.keyboard.type("血糖仪 meter")
            tab.wait_for("血糖仪 meter")
            tab.press("Enter")

            answers: dict[str, Any] = {}
            for number in range(1, 40):
                step = pathways.next_question(rule_base, answers, lang="en", as_of=AS_OF)
                question = step.question
                if question is None:
                    break
                tab.wait_for(f"Question {number}", question.text[:30])
                tab.press(*_option_keys(question, CASE[question.id]))
                answers[question.id] = CASE[question.id]
            assert answers == CASE  # the case walked is the whole example

            outcome = pathways.evaluate(rule_base, answers, lang="en", as_of=AS_OF)
            required = [item for item in outcome.items if item.status == "required"]
            assert required
            screen = tab.wait_for("Regulatory checklist", f"0 of {len(outcome.items)} done")
            assert "Traceback" not in screen
            png = tab.page.screenshot(path=str(tmp_path / "checklist.png"))
            _not_blank(png)
            assert "-first-byte" in tab.page.evaluate("document.body.className")  # the terminal is shown

            # the export is written and offered as a download, with the product's (Chinese) name
            tab.press("e")
            tab.wait_for("Cancel", "Write", "PDF checklist")
            tab.click_text("Write")
            tab.wait_for("Wrote")
            end = time.monotonic() + WAIT
            while not downloads and time.monotonic() < end:
                tab.page.wait_for_timeout(50)
            assert downloads, f"no download; the page shows:\n{tab.text()}"
            download = downloads[0]
            assert download.suggested_filename == "血糖仪-meter-checklist.pdf"
            saved = tmp_path / "download.pdf"
            download.save_as(saved)
            from pypdf import PdfReader

            pdf_text = "".join(page.extract_text() for page in PdfReader(saved).pages)
            assert "血糖仪 meter" in pdf_text

            # the tab is closed; a new tab is a new wizard, which lists the case and resumes it
            tab.page.close()
            second = Tab(context, server.url)
            second.wait_for("Start a new case", "血糖仪 meter", f"{len(CASE)} answered")
            second.wait_for("Rule base: Tianjin")
            second.click_text("血糖仪 meter")
            second.wait_for("Regulatory checklist", f"0 of {len(outcome.items)} done")
            png = second.page.screenshot(path=str(tmp_path / "resumed.png"))
            _not_blank(png)

            # Ctrl+C on the server with the tab open: its wizard ends (the case let go), the page says so
            [lock] = (data / "locks").glob("*.lock")
            pid = json.loads(lock.read_text(encoding="utf-8"))["pid"]
            assert server.stop() == 0, "".join(server.output)
            assert _ends(pid), f"the tab's wizard (process {pid}) is still running"
            second.page.wait_for_selector("body.-closed .closed-notice", timeout=WAIT * 1000)
            context.close()

        # everything the pages loaded came from the wizard's own server: nothing from the internet
        assert requested and all(url.startswith(origin + "/") for url in requested), requested
        assert not failed, failed
    finally:
        server.stop()
    assert "Traceback" not in "".join(server.output)


def _ends(pid: int) -> bool:
    end = time.monotonic() + WAIT
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False
