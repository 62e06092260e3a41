"""The bulk-scan engine: a bounded window of addresses in flight, results in input order.

Input is consumed lazily; at most `concurrency` addresses are worked on at once and at
most `WINDOW_FACTOR` times that many finished results wait for a slower one ahead of them,
so memory does not grow with the number of inputs. Every input record yields exactly one
output record: its JSON report with `input` and `exit_status`, or `input`, `error` and
`exit_status` when it could not be handled (invalid input, an item that overran its
deadline, a bug while handling it). The scan shares its DNS answers (for their TTL), its
probe results (one probe per endpoint) and a per-server-address connection budget.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mailprobe.exit_status import ExitStatus
from mailprobe.models import Severity
from mailprobe.scan.inputs import InputLine

if TYPE_CHECKING:
    from mailprobe.net.dns import DnsClient
    from mailprobe.probes.scheduler import CheckOptions
    from mailprobe.probes.sharing import SharedProbes
    from mailprobe.providers import ProviderDb

log = logging.getLogger("mailprobe.scan")

#: Finished results that may wait behind a slower address, as a multiple of concurrency.
WINDOW_FACTOR = 16
#: Distinct inputs whose result is remembered to answer a repeated line without a rescan.
DEDUPE_ENTRIES = 4096
#: DNS answers kept for their TTL across the scan.
DNS_CACHE_ENTRIES = 8192
#: Seconds an item may run past `--timeout` (writing its report) before it is given up.
ITEM_GRACE = 2.0
#: Input lines read per hop to the reading thread (reading never blocks the event loop).
READ_BATCH = 256

Record = dict[str, Any]


@dataclass(frozen=True)
class RecordSummary:
    """The little a progress bar and a summary need to know of one written record."""

    exit_status: int
    verdict: str
    finding_ids: tuple[str, ...] = ()
    provider: str | None = None


#: Called with each record's summary as its line is written (progress, summary table).
RecordObserver = Callable[[RecordSummary], None]


_UNHANDLED = {
    int(ExitStatus.USAGE): "invalid input",
    int(ExitStatus.UNTESTABLE): "given up at the deadline",
    int(ExitStatus.INTERNAL): "internal error",
}


def summarise(record: Record) -> RecordSummary:
    """The verdict, finding ids and provider of one record (see `RecordSummary`)."""
    status = int(record.get("exit_status", 0))
    if "error" in record:
        return RecordSummary(status, _UNHANDLED.get(status, "not handled"))
    provider = (record.get("provider") or {}).get("id")
    finding_ids = tuple(str(f["id"]) for f in record.get("findings", ()))
    services = [r for r in (record.get("recommended") or {}).values() if r]
    if not services:
        verdict = "no settings found"
    elif all(r.get("verified") is None for r in services):
        verdict = "settings found (not tested)"
    else:
        working = sum(1 for r in services if r.get("verified") is True)
        if working == len(services):
            verdict = "every service verified"
        elif working:
            verdict = "some services verified"
        else:
            verdict = "no service verified"
    return RecordSummary(status, verdict, finding_ids, provider)


@dataclass(frozen=True)
class ScanSettings:
    """What to do with each input and how politely."""

    options: CheckOptions
    probe: bool = False
    fail_on: Severity = Severity.ERROR
    concurrency: int = 16
    per_host: int = 2
    per_host_rate: float | None = None


@dataclass
class ScanTotals:
    """What a scan did: records written, how many failed (non-zero exit status)."""

    records: int = 0
    failed: int = 0
    probes_started: int = 0
    probes_reused: int = 0


#: A finished item: its summary and its JSON line.
Done = tuple[RecordSummary, str]


@dataclass
class _Shared:
    """Resources every address of one scan (in one event loop) shares."""

    providers: ProviderDb
    dns: DnsClient
    options: CheckOptions
    probes: SharedProbes
    dedupe: OrderedDict[str, asyncio.Future[Done]] = field(default_factory=OrderedDict)


def _shared(settings: ScanSettings) -> _Shared:
    from mailprobe.net.budget import HostBudget
    from mailprobe.net.dns import client_for
    from mailprobe.probes.sharing import SharedProbes
    from mailprobe.providers import default_db

    opts = settings.options
    net = opts.discovery.net
    budget = HostBudget(settings.per_host, settings.per_host_rate)
    probes = SharedProbes()
    options = replace(
        opts,
        discovery=replace(opts.discovery, net=replace(net, host_budget=budget)),
        per_host_connections=settings.per_host,
        shared_probes=probes,
    )
    dns = client_for(net, ttl_cache_size=DNS_CACHE_ENTRIES)
    return _Shared(default_db(), dns, options, probes)


def error_record(text: str, error: str, status: ExitStatus) -> Record:
    """The record for an input that produced no report."""
    from mailprobe.render.json import scan_error_line

    return scan_error_line(text, error, int(status))


async def _report_record(item: InputLine, settings: ScanSettings, shared: _Shared) -> Record:
    from mailprobe.address import parse_target
    from mailprobe.exit_status import exit_status_for
    from mailprobe.pipeline import run_check, run_discover
    from mailprobe.render.json import scan_line

    address = parse_target(item.text)
    if settings.probe:
        report = await run_check(
            address, shared.options, providers=shared.providers, dns=shared.dns
        )
    else:
        report = await run_discover(
            address, shared.options.discovery, providers=shared.providers, dns=shared.dns
        )
    return scan_line(item.text, report, int(exit_status_for(report, settings.fail_on)))


async def handle(item: InputLine, settings: ScanSettings, shared: _Shared) -> Record:
    """One input's record; never raises except for cancellation."""
    from mailprobe.errors import InvalidInputError

    if item.error is not None:
        return error_record(item.text, item.error, ExitStatus.USAGE)
    limit = settings.options.discovery.net.timeout + ITEM_GRACE
    try:
        async with asyncio.timeout(limit):
            return await _report_record(item, settings, shared)
    except InvalidInputError as exc:
        return error_record(item.text, str(exc), ExitStatus.USAGE)
    except TimeoutError:
        return error_record(
            item.text,
            f"no result within {limit:g} s (the item was given up)",
            ExitStatus.UNTESTABLE,
        )
    except Exception as exc:  # a bug while handling one item must not end the scan
        log.debug("scan item %r failed", item.text, exc_info=True)
        return error_record(
            item.text, f"internal error: {type(exc).__name__}: {exc}", ExitStatus.INTERNAL
        )


async def _batches(items: Iterable[InputLine]) -> AsyncIterator[list[InputLine]]:
    """`items` in batches, each read in a worker thread (stdin may be slow to produce)."""
    iterator: Iterator[InputLine] = iter(items)

    def take() -> list[InputLine]:
        batch: list[InputLine] = []
        for item in iterator:
            batch.append(item)
            if len(batch) >= READ_BATCH:
                break
        return batch

    while True:
        batch = await asyncio.to_thread(take)
        if not batch:
            return
        yield batch


def _line(record: Record) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"


class ScanWorker:
    """Handles input items in one event loop with the scan's shared resources.

    At most `settings.concurrency` items are worked on at once; a repeat of a recent input
    shares the first one's result. Used by the local engine and by each Dask worker.
    """

    def __init__(self, settings: ScanSettings) -> None:
        self.settings = settings
        self.shared = _shared(settings)
        self._in_flight = asyncio.Semaphore(settings.concurrency)

    async def _work(self, item: InputLine) -> Done:
        async with self._in_flight:
            record = await handle(item, self.settings, self.shared)
        return summarise(record), _line(record)

    def start(self, item: InputLine) -> asyncio.Future[Done]:
        """The future of `item`'s summary and line (started now, or shared with a repeat)."""
        dedupe = self.shared.dedupe
        key = item.text if item.error is None else f"\0{item.number}"
        known = dedupe.get(key)
        if known is not None and not known.cancelled():
            dedupe.move_to_end(key)
            return asyncio.ensure_future(asyncio.shield(known))
        future: asyncio.Future[Done] = asyncio.ensure_future(self._work(item))
        dedupe[key] = future
        if len(dedupe) > DEDUPE_ENTRIES:
            dedupe.popitem(last=False)
        return future

    def count_probes(self, totals: ScanTotals) -> None:
        """Copy the shared-probe counters into `totals`."""
        totals.probes_started = self.shared.probes.started
        totals.probes_reused = self.shared.probes.reused


def emitter(
    write: Callable[[str], None], totals: ScanTotals, on_record: RecordObserver | None
) -> Callable[[Done], None]:
    """The function that writes one finished item and counts it."""

    def emit(done: Done) -> None:
        summary, line = done
        write(line)
        totals.records += 1
        if summary.exit_status != int(ExitStatus.OK):
            totals.failed += 1
        if on_record is not None:
            on_record(summary)

    return emit


async def scan(
    items: Iterable[InputLine],
    settings: ScanSettings,
    write: Callable[[str], None],
    *,
    on_record: RecordObserver | None = None,
) -> ScanTotals:
    """Handle every item and `write` one JSON line per item, in input order.

    Cancellation (Ctrl-C) stops the scan between lines: every line written is complete.
    """
    worker = ScanWorker(settings)
    totals = ScanTotals()
    emit = emitter(write, totals, on_record)
    window: deque[asyncio.Future[Done]] = deque()
    limit = settings.concurrency * WINDOW_FACTOR

    async def drain(keep: int) -> None:
        while len(window) > keep or (window and window[0].done()):
            emit(await window[0])
            window.popleft()

    try:
        async for batch in _batches(items):
            for item in batch:
                window.append(worker.start(item))
                await drain(limit)
        await drain(0)
    finally:
        for future in window:
            future.cancel()
        if window:
            await asyncio.gather(*window, return_exceptions=True)
        worker.count_probes(totals)
    return totals
