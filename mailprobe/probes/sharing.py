"""Probe results shared across the addresses of one bulk scan.

Ten thousand domains hosted at one provider name the same few endpoints; each endpoint is
probed once per scan and every address that names it gets that result. Only probes
without credentials are shared (a login belongs to one address). Results are kept for a
bounded number of endpoints, so memory does not grow with the number of domains.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any

from mailprobe.models import ProbeResult, Protocol, Security

EndpointKey = tuple[Protocol, str, int, Security]

#: Endpoints whose finished results are remembered (least recently used are forgotten).
DEFAULT_MAX_ENDPOINTS = 4096


class SharedProbes:
    """One probe per endpoint across a scan: in-flight probes are joined, results reused."""

    def __init__(self, max_endpoints: int = DEFAULT_MAX_ENDPOINTS) -> None:
        self._max = max_endpoints
        self._tasks: OrderedDict[EndpointKey, asyncio.Task[ProbeResult]] = OrderedDict()
        self.started = 0
        self.reused = 0

    def task(
        self, key: EndpointKey, start: Callable[[], Coroutine[Any, Any, ProbeResult]]
    ) -> asyncio.Future[ProbeResult]:
        """A future for `key`'s probe: the running or finished one, or a new one from `start`.

        The caller may cancel what it gets back without cancelling the shared probe.
        """
        task = self._tasks.get(key)
        if task is not None and task.cancelled():
            task = None
        if task is None:
            task = asyncio.ensure_future(start())
            self.started += 1
            self._tasks[key] = task
            self._trim()
        else:
            self.reused += 1
            self._tasks.move_to_end(key)
        return asyncio.ensure_future(asyncio.shield(task))

    def _trim(self) -> None:
        while len(self._tasks) > self._max:
            oldest_key, oldest = next(iter(self._tasks.items()))
            if not oldest.done():
                break  # never forget a probe that others may still be waiting for
            del self._tasks[oldest_key]
