"""Requests take turns for their CPU-bound work, in the order they arrived.

A worker runs the engine and builds checklists inline on its event loop. Left to itself, the loop
polls its sockets, then runs every request it found back to back, then polls again: a connection
whose response went out just after a poll waits for the whole next batch before it is even read,
then for its place in that batch, about twice as long as the others. Under load that is the tail
of the latency. Taking turns here, one request at a time through a first-come-first-served lock
with the loop polled before each turn, puts a request read during a batch in line behind those
already waiting, so each waits for one pass over the connections, not two.
"""

from __future__ import annotations

import asyncio
from typing import Callable, TypeVar

__all__ = ["Turns"]

T = TypeVar("T")


class Turns:
    """One turn at a time, first come first served, for work that holds the event loop."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None

    async def take(self, work: Callable[[], T]) -> T:
        """``work()`` in this request's turn (it must not await: it runs while the turn is held)."""
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:  # a lock serves one loop (tests run several)
            self._loop, self._lock = loop, asyncio.Lock()
        lock = self._lock
        if lock.locked():  # wait in line (asyncio.Lock wakes its waiters in the order they came)
            async with lock:  # the loop polled while this one waited
                return work()
        async with lock:
            # a free turn: give the loop one pass first, so that the requests it read in the same poll,
            # and any that came in meanwhile, queue up behind this one
            await asyncio.sleep(0)
            return work()
