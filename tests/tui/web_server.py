"""``pathways wizard --web`` run as a person runs it: its own process, its URL read from what it prints."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

PATHWAYS = Path(sys.executable).parent / "pathways"
WAIT = 60.0  # seconds for what a person would see at once (a busy 2-core machine: generous)


class WebWizard:
    """``pathways wizard --web --port 0`` in its own process; its URL read from what it prints."""

    def __init__(self, cwd: Path, data_dir: Path, *args: str) -> None:
        # (exports into the test's own folder, never the home folder's documents)
        env = {
            **os.environ,
            "PATHWAYS_DATA_DIR": str(data_dir),
            "PATHWAYS_EXPORT_DIR": str(cwd / "exports"),
            "LANG": "C.UTF-8",
        }
        env.pop("NO_COLOR", None)
        self.process = subprocess.Popen(
            [str(PATHWAYS), "wizard", "--web", "--port", "0", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.url = ""
        end = time.monotonic() + WAIT
        while time.monotonic() < end and not self.url:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if match := re.search(r"Serving the wizard on (http://\S+/)", line):
                self.url = match.group(1)
        if not self.url:  # (never leave a server behind)
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"no URL printed: {''.join(self.output)}")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def stop(self) -> int:
        """Ctrl+C, as a person would stop it; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the server did not stop on Ctrl+C: {''.join(self.output)}") from None
