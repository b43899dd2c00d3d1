"""One wizard per case: a lock held for as long as a case is open.

Two wizards on one case would each save their own answers over the other's (every answer is saved
at once). So opening a case takes a lock on ``<data dir>/locks/<case file>.lock``, and a second
wizard that finds it taken is told who has the case instead of opening it.

The lock is the operating system's (``flock``), not the file's existence: the kernel drops it when
the process ends, however it ends. A wizard killed with SIGKILL, or a closed terminal, leaves at
most an unlocked file behind, which the next wizard simply takes: a stale lock can never shut the
user out, and there is no process id to check (nor one recycled by another program to be fooled
by). The file holds who has the case (process id, host, since when), for the second wizard's
message only.

Where ``flock`` is missing (Windows) or refused (some network file systems) the case opens without
a lock; the check on save in ``cases.CaseStore.save`` still keeps both versions apart there.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["CaseInUse", "CaseLock", "Holder"]

_ATTEMPTS = 20  # a lock file removed between our open and our lock is opened again (see acquire)


@dataclass(frozen=True)
class Holder:
    """Who has a case open (as its lock file says)."""

    pid: int
    host: str
    since: str

    @property
    def here(self) -> bool:
        """On this computer (the host name is the same)."""
        return self.host == socket.gethostname()


class CaseInUse(Exception):
    """The case is open in another wizard (``holder`` is None if its lock file does not say who)."""

    def __init__(self, holder: Holder | None) -> None:
        super().__init__(f"the case is open in another wizard ({holder})")
        self.holder = holder


class CaseLock:
    """A held lock on one case; ``release()`` when the case is closed (the process's end does it too)."""

    def __init__(self, path: Path, fd: int | None) -> None:
        self.path = path
        self._fd = fd  # None: held without an operating-system lock (see the module docstring)
        self._releasing = threading.Lock()  # (released from the engine thread, or at the app's end)

    @property
    def locked(self) -> bool:
        return self._fd is not None

    @classmethod
    def acquire(cls, path: Path) -> CaseLock:
        """Take the lock at ``path`` without waiting; raise ``CaseInUse`` if another process has it."""
        if fcntl is None:
            return cls(path, None)
        for _ in range(_ATTEMPTS):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError:  # a read-only data directory: nothing can be saved there anyway
                return cls(path, None)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise CaseInUse(holder) from None
            except OSError:  # no locks on this file system: open the case unlocked
                os.close(fd)
                return cls(path, None)
            # A holder removes its lock file before it lets go (release): if that happened between
            # our open and our lock, we hold a file nobody else will ever open again. Then the
            # lock is the new file, if any, and we try that.
            if _same_file(fd, path):
                _write_holder(fd)
                return cls(path, fd)
            os.close(fd)
        raise CaseInUse(None)

    def release(self) -> None:
        """Let go of the case. Removing the file first (while still holding it) leaves no file
        behind and lets a waiting wizard see that the file it opened is gone."""
        with self._releasing:
            fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.unlink(self.path)
        except OSError:
            pass
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        current, mine = os.stat(path), os.fstat(fd)
    except OSError:
        return False
    return (current.st_dev, current.st_ino) == (mine.st_dev, mine.st_ino)


def _write_holder(fd: int) -> None:
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": dt.datetime.now().replace(microsecond=0).isoformat(),
    }
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
    except OSError:
        pass  # the lock holds all the same; the other wizard just cannot say who has the case


def _read_holder(fd: int) -> Holder | None:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        return Holder(pid=int(info["pid"]), host=str(info["host"]), since=str(info["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # (being written this very moment, or not written by a wizard)
