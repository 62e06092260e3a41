"""Scans on a Dask distributed cluster (`mailprobe scan --dask SCHEDULER`).

The driver reads the input lazily and sends chunks of lines to the cluster, keeping only a
few chunks per worker in flight; it writes each chunk's lines as soon as every chunk before
it is written, so the output is the same JSON Lines, in the same order, as a local scan.
Each worker process runs one event loop for all its chunks, so the per-server-address
budget (`--per-host`, `--per-host-rate`), the DNS cache and the shared probe results hold
per worker: with W workers a mail server sees at most W x `--per-host` connections at once
(see docs/scanning.md).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from mailprobe.errors import InvalidOptionError
from mailprobe.scan.engine import (
    Done,
    RecordObserver,
    ScanSettings,
    ScanTotals,
    ScanWorker,
    emitter,
)
from mailprobe.scan.inputs import InputLine

if TYPE_CHECKING:
    from distributed import Client

#: Input lines per task sent to the cluster.
CHUNK_LINES = 64
#: Chunks in flight per worker (one running, the next ones queued on it).
CHUNKS_PER_WORKER = 3


def _chunks(items: Iterable[InputLine], size: int) -> Iterator[list[InputLine]]:
    chunk: list[InputLine] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --------------------------------------------------------------------------- worker side

_worker_lock = threading.Lock()
_worker_loop: asyncio.AbstractEventLoop | None = None
_workers: dict[ScanSettings, ScanWorker] = {}


def _loop() -> asyncio.AbstractEventLoop:
    """This process's scan event loop, running in a thread of its own (started once)."""
    global _worker_loop
    with _worker_lock:
        if _worker_loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="mailprobe-scan-loop", daemon=True
            )
            thread.start()
            _worker_loop = loop
        return _worker_loop


async def _run_chunk(items: list[InputLine], settings: ScanSettings) -> list[Done]:
    worker = _workers.get(settings)
    if worker is None:
        worker = _workers[settings] = ScanWorker(settings)
    return list(await asyncio.gather(*(worker.start(item) for item in items)))


def run_chunk(items: list[InputLine], settings: ScanSettings) -> list[Done]:
    """Handle one chunk on this worker (the task the driver submits); lines in order."""
    return asyncio.run_coroutine_threadsafe(_run_chunk(items, settings), _loop()).result()


# --------------------------------------------------------------------------- driver side


def _connect(address: str) -> Client:
    try:
        from distributed import Client
    except ImportError:
        raise InvalidOptionError(
            "--dask needs the Dask extra: pip install 'mailprobe[dask]'"
        ) from None
    try:
        return Client(address, timeout="10s", set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise InvalidOptionError(
            f"--dask {address}: cannot reach the Dask scheduler ({exc})"
        ) from None


def scan_on_dask(
    address: str,
    items: Iterable[InputLine],
    settings: ScanSettings,
    write: Callable[[str], None],
    *,
    on_record: RecordObserver | None = None,
    chunk_lines: int = CHUNK_LINES,
) -> ScanTotals:
    """Run the scan on the cluster at `address`; same output as the local `scan`."""
    client = _connect(address)
    totals = ScanTotals()
    emit = emitter(write, totals, on_record)
    window: deque[Any] = deque()
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        limit = workers * CHUNKS_PER_WORKER
        for chunk in _chunks(items, chunk_lines):
            window.append(client.submit(run_chunk, chunk, settings, pure=False))
            while len(window) >= limit or (window and window[0].done()):
                for done in window.popleft().result():
                    emit(done)
        while window:
            for done in window.popleft().result():
                emit(done)
    finally:
        for future in window:
            future.cancel()
        client.close()  # type: ignore[no-untyped-call]
    return totals
