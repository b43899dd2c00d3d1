"""Dates are dates: a calendar day written YYYY-MM-DD, or a ``datetime.date``.

Never a timestamp (its time would be dropped, or compared with a date and fail), a number (``0``
is not 1970-01-01) or one of the other forms ``date.fromisoformat`` accepts (``20261124``,
``2026-W48-2``). Answers files, the command line, the Python API and the HTTP API share this one
reading.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["parse_date"]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(value: object) -> dt.date:
    """``value`` as a date; ValueError saying what was expected otherwise."""
    if isinstance(value, dt.datetime):
        raise ValueError(f"a date and time ({value.isoformat(sep=' ')}), not a date: give the day only, YYYY-MM-DD")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(f"expected a date YYYY-MM-DD, got {value[:40]!r}")
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a date of the calendar ({exc})") from None
    if isinstance(value, bool) or value is None:
        what = "nothing" if value is None else f"the yes/no value {str(value).lower()}"
    elif isinstance(value, (int, float)):
        what = f"the number {value!r}"
    else:
        what = f"a {type(value).__name__}"
    raise ValueError(f"expected a date YYYY-MM-DD, got {what}")
