"""Remembered responses of the endpoints that are pure functions of their request.

``/v1/checklist``, ``/v1/next``, ``/v1/explain`` and ``/v1/document`` answer from the rule base,
the answers, the date, the language and (documents) the format and case details only, so the bytes
of a response can be served again for the same request. The key holds the endpoint, the rule
base's content hash and the request as validated, with ``as_of`` resolved (a request without one
means "today": the key says which day). Least recently used entries go first once the cache holds
``max_bytes``; a reload that changes the rule base empties it (``State``). ``max_bytes`` 0: off.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass

from pydantic import BaseModel

__all__ = ["CacheStats", "ResponseCache"]

_ENTRY_OVERHEAD = 200  # bytes an entry costs beyond its key and data (the dict slot, the objects)


def _cost(key: str, data: bytes) -> int:
    """What an entry counts against ``max_bytes``."""
    return len(key) + len(data) + _ENTRY_OVERHEAD


@dataclass(frozen=True)
class CacheStats:
    entries: int
    bytes: int
    max_bytes: int
    hits: int
    misses: int


class ResponseCache:
    """Response bytes by request, least recently used dropped first, bounded in bytes.

    Used from the event loop only (the endpoints run there), so it needs no lock."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._hits = 0
        self._misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    @staticmethod
    def key(endpoint: str, rulebase_hash: str, day: dt.date, request: BaseModel) -> str:
        """The identity of a request: the same key means the same response bytes."""
        return f"{endpoint}\n{rulebase_hash}\n{day.isoformat()}\n{request.model_dump_json()}"

    def get(self, key: str) -> bytes | None:
        data = self._entries.get(key)
        if data is None:
            self._misses += 1
            return None
        self._entries.move_to_end(key)
        self._hits += 1
        return data

    def put(self, key: str, data: bytes) -> None:
        cost = _cost(key, data)
        if not self.enabled or cost > self.max_bytes // 4:  # a few huge documents must not flush the rest
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= _cost(key, old)
        self._entries[key] = data
        self._bytes += cost
        while self._bytes > self.max_bytes:
            self._bytes -= _cost(*self._entries.popitem(last=False))

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def stats(self) -> CacheStats:
        return CacheStats(len(self._entries), self._bytes, self.max_bytes, self._hits, self._misses)
