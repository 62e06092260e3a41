"""Answers kept for their time to live, for clients that outlive one address (bulk scans).

A bulk scan asks about many names once each (the SRV and MX records of every domain)
and about a few names again and again (the hosts of a shared provider). Keeping every
answer until its TTL runs out, in a bounded least-recently-used table, serves the
repeated names from memory. The table holds our own small answers, not the resolver's
response messages, and evicts in constant time, so a long scan neither slows down nor
grows with the number of names it has seen.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """At most `max_entries` values, each returned until its TTL (seconds) has passed."""

    def __init__(self, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("a TTL cache needs room for at least one entry")
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        """The value stored under `key` if its TTL has not run out, else None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if self._clock() >= expires:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V, ttl: float) -> None:
        """Keep `value` for `ttl` seconds (nothing is kept for a TTL of zero or less)."""
        if ttl <= 0:
            return
        self._entries[key] = (self._clock() + ttl, value)
        self._entries.move_to_end(key)
        if len(self._entries) > self._max:
            self._entries.popitem(last=False)
