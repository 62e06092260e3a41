"""A politeness budget per mail-server address, shared by every probe of a bulk scan.

Mail servers rate-limit and blocklist clients that open many connections. A `HostBudget`
allows at most `per_host` connections at once to one IP address and, with `rate`, at
most `rate` new connections per second to it. Probes of different addresses never wait
for each other. The budget lives in one event loop (one process, or one Dask worker).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: Idle per-address entries are forgotten once more than this many addresses were seen,
#: so a scan of many domains does not keep one entry per server forever.
MAX_IDLE_HOSTS = 4096


@dataclass
class _HostState:
    slots: asyncio.Semaphore
    busy: int = 0
    next_start: float = 0.0
    waiters: int = field(default=0)


class HostBudget:
    """At most `per_host` connections at once and `rate` new ones per second, per IP."""

    def __init__(self, per_host: int = 2, rate: float | None = None) -> None:
        if per_host < 1:
            raise ValueError("per_host must be at least 1")
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive")
        self.per_host = per_host
        self.rate = rate
        self._hosts: dict[str, _HostState] = {}

    def _state(self, ip: str) -> _HostState:
        state = self._hosts.get(ip)
        if state is None:
            if len(self._hosts) >= MAX_IDLE_HOSTS:
                self._forget_idle()
            state = _HostState(asyncio.Semaphore(self.per_host))
            self._hosts[ip] = state
        return state

    def _forget_idle(self) -> None:
        now = time.monotonic()
        idle = [
            ip
            for ip, s in self._hosts.items()
            if s.busy == 0 and s.waiters == 0 and s.next_start <= now
        ]
        for ip in idle:
            del self._hosts[ip]

    async def acquire(self, ip: str) -> Callable[[], None]:
        """Wait for a connection slot to `ip` (and its rate), then return the release call."""
        state = self._state(ip)
        state.waiters += 1
        try:
            await state.slots.acquire()
        finally:
            state.waiters -= 1
        try:
            if self.rate is not None:
                while True:
                    now = time.monotonic()
                    if state.next_start <= now:
                        state.next_start = now + 1.0 / self.rate
                        break
                    await asyncio.sleep(state.next_start - now)
        except BaseException:
            state.slots.release()
            raise
        state.busy += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                state.busy -= 1
                state.slots.release()

        return release

    def busy(self, ip: str) -> int:
        """Connections to `ip` holding a slot right now (for tests and progress)."""
        state = self._hosts.get(ip)
        return state.busy if state is not None else 0
