"""Writing output files safely, and text safe to print on a terminal.

``write_file`` writes to a temporary file created exclusively (``mkstemp``: a new name, ``O_EXCL``,
never through a symlink someone planted) in the target's own directory, then renames it over the
target: a reader sees the old file or the new one, never half of one, and a planted ``FILE.tmp``
symlink is not followed. ``terminal_safe`` drops the control characters that rule and answer
texts could carry to a terminal (escape sequences that move the cursor, rewrite the screen or the
window title).
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path

__all__ = ["terminal_safe", "write_file"]

# C0 controls but tab and newline, DEL, and C1 controls (U+0080-U+009F: 0x9B is a one-character CSI)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """``text`` without control characters, but tabs and newlines."""
    return _CONTROL.sub("", text)


def write_file(path: Path, text: str | bytes, *, durable: bool = True, mode: int | None = None) -> os.stat_result:
    """Replace ``path`` with ``text`` (UTF-8, ``\n`` line ends; bytes as they are) atomically; return the new file's
    status (as written: the rename keeps it). OSError if it cannot be written.

    ``mode``: the new file's permissions; by default those of the file it replaces, else the usual
    ones (0666 less the umask). A symlink at ``path`` itself is replaced by the file, not followed.
    ``durable`` also fsyncs before the rename (survives a power cut, costs 10-50 ms); without it
    the rename alone still survives a killed process.
    """
    if mode is None:
        try:
            mode = stat.S_IMODE(path.lstat().st_mode) if path.is_file() and not path.is_symlink() else None
        except OSError:
            mode = None
    if mode is None:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        data = text if isinstance(text, bytes) else text.encode("utf-8")  # newlines written as given
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):  # not on Windows (before Python 3.13)
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
            written = os.fstat(handle.fileno())
        os.replace(tmp, path)
        return written
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask() -> int:
    """The process's umask, read without changing it where the system says it (Linux 4.7+).

    Setting it to read it would, for a moment, let files other threads create be world-writable."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o077)  # the fallback: for the moment it takes, new files are private, never open
    os.umask(umask)
    return umask
