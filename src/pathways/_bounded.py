"""Tables of remembered results whose keys are open-ended (answers, engine messages): kept up to a
number of entries, then emptied and filled again.

Emptying rather than least-recently-used: the tables sit on hot paths where a hit must cost one
dict lookup, and a table that fills is one whose keys rarely come back (every entry is cheap to
make again)."""

from __future__ import annotations

from typing import TypeVar

__all__ = ["keep"]

K = TypeVar("K")
V = TypeVar("V")


def keep(table: dict[K, V], key: K, value: V, limit: int) -> V:
    """Store ``value`` under ``key`` in ``table``, emptied first if it holds ``limit`` entries; return ``value``."""
    if len(table) >= limit:
        table.clear()
    table[key] = value
    return value
