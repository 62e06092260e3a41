"""Run every discovery source at once under one deadline, then merge and rank candidates.

Each source gets the time left until the global deadline; whatever has not finished by
then is cancelled and reported as `timeout`. Results are listed in a fixed source order
and ranked by a total order, so the output never depends on which task finished first.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, cast

from mailprobe.address import parse_address
from mailprobe.models import (
    SOURCE_ORDER,
    STANDARD_PORTS,
    Address,
    Candidate,
    DiscoveryOptions,
    DiscoveryResult,
    Protocol,
    ProviderInfo,
    Security,
    ServerSetting,
    SourceId,
    SourceOutcome,
    SourceStatus,
)
from mailprobe.sources.base import Source, SourceContext, skipped, timeout

if TYPE_CHECKING:
    from mailprobe.net.dns import DnsClient
    from mailprobe.net.http import HttpFetcher
    from mailprobe.providers import ProviderDb

log = logging.getLogger("mailprobe.discovery")

_SOURCE_MODULES: dict[SourceId, str] = {
    SourceId.PROVIDER_DB: "mailprobe.sources.provider_db",
    SourceId.AUTOCONFIG: "mailprobe.sources.autoconfig",
    SourceId.ISPDB: "mailprobe.sources.ispdb",
    SourceId.SRV: "mailprobe.sources.srv",
    SourceId.MX: "mailprobe.sources.mx",
    SourceId.AUTODISCOVER: "mailprobe.sources.autodiscover",
    SourceId.GUESS: "mailprobe.sources.guess",
}

#: Sources needing only DNS start first, so their queries are in flight while the HTTP
#: library loads for the others. Reports still list sources in SOURCE_ORDER.
_START_ORDER: tuple[SourceId, ...] = (
    SourceId.PROVIDER_DB,
    SourceId.SRV,
    SourceId.GUESS,
    SourceId.MX,
    SourceId.AUTOCONFIG,
    SourceId.ISPDB,
    SourceId.AUTODISCOVER,
)

#: Called with each source outcome as soon as it is known (for progress output).
SourceObserver = Callable[[SourceOutcome], None]


def load_source(source: SourceId) -> Source:
    """Import a source module on demand (so offline runs never load network libraries)."""
    return cast(Source, importlib.import_module(_SOURCE_MODULES[source]))


def _elapsed_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


async def _run_one(
    source: SourceId, impl: Source | None, ctx: SourceContext, on_outcome: SourceObserver | None
) -> SourceOutcome:
    import asyncio

    start = time.perf_counter()
    try:
        # Importing inside the task lets sources already waiting on the network overlap
        # with the import of the next source's libraries.
        outcome = await (impl or load_source(source)).run(ctx)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        # A source must return failures as data; reaching here is a bug in that source.
        from mailprobe.net.failures import classify

        log.debug("source %s raised", source, exc_info=True)
        failure = classify(exc)
        outcome = SourceOutcome(
            source,
            SourceStatus.ERROR,
            0.0,
            f"internal error: {failure.reason}",
            cause=failure.cause,
        )
    outcome = _capped(replace(outcome, elapsed_ms=_elapsed_ms(start)))
    log.debug(
        "source %s: %s in %.0f ms, %d candidate(s): %s",
        source,
        outcome.status,
        outcome.elapsed_ms,
        len(outcome.candidates),
        outcome.detail,
    )
    if on_outcome is not None:
        on_outcome(outcome)
    return outcome


#: Most candidates kept from one source. Real sources name a few per protocol; a hostile
#: one (SRV with a thousand targets) must not become a thousand connections.
MAX_CANDIDATES_PER_SOURCE = 24


def _capped(outcome: SourceOutcome) -> SourceOutcome:
    """`outcome` with at most MAX_CANDIDATES_PER_SOURCE candidates, counting the rest."""
    extra = len(outcome.candidates) - MAX_CANDIDATES_PER_SOURCE
    if extra <= 0:
        return outcome
    return replace(
        outcome,
        candidates=outcome.candidates[:MAX_CANDIDATES_PER_SOURCE],
        dropped_candidates=outcome.dropped_candidates + extra,
        warnings=(
            *outcome.warnings,
            f"{extra} more server setting(s) left out: mailprobe takes at most "
            f"{MAX_CANDIDATES_PER_SOURCE} from one source",
        ),
    )


def _skip_reason(source: SourceId, options: DiscoveryOptions) -> str | None:
    if not options.wants(source):
        return "not selected (--sources)"
    if options.offline and source is not SourceId.PROVIDER_DB:
        return "offline: no network"
    return None


async def run_sources(
    ctx: SourceContext,
    deadline: float,
    on_outcome: SourceObserver | None = None,
    implementations: Mapping[SourceId, Source] | None = None,
) -> tuple[SourceOutcome, ...]:
    """Run the selected sources concurrently; return one outcome per source, in fixed order.

    `deadline` is a `time.monotonic()` value: sources still running then are cancelled and
    reported as timeouts with the time they had. `implementations` replaces source modules
    (for tests or custom sources); the rest are imported on demand.
    """
    import asyncio  # here, not at the top: offline lookups never start an event loop

    impls = implementations or {}
    started = time.perf_counter()
    outcomes: dict[SourceId, SourceOutcome] = {}
    tasks: dict[SourceId, asyncio.Task[SourceOutcome]] = {}
    for source in _START_ORDER:
        reason = _skip_reason(source, ctx.options)
        if reason is not None:
            outcomes[source] = skipped(source, reason)
        else:
            tasks[source] = asyncio.create_task(
                _run_one(source, impls.get(source), ctx, on_outcome)
            )
    if tasks:
        remaining = max(0.0, deadline - time.monotonic())
        _done, pending = await asyncio.wait(tasks.values(), timeout=remaining)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        for source, task in tasks.items():
            if task in pending or task.cancelled():
                waited = _elapsed_ms(started)
                outcome = replace(
                    timeout(source, f"no answer within the deadline ({waited / 1000:.1f} s)"),
                    elapsed_ms=waited,
                )
                if on_outcome is not None:
                    on_outcome(outcome)
                outcomes[source] = outcome
            else:
                outcomes[source] = task.result()
    return tuple(outcomes[s] for s in SOURCE_ORDER)


def _merge_setting(a: ServerSetting, b: ServerSetting) -> ServerSetting:
    """Combine two statements of the same endpoint: keep the first username, join auth."""
    auth = list(a.auth)
    auth.extend(m for m in b.auth if m not in auth)
    return replace(a, username=a.username or b.username, auth=tuple(auth))


def merge_candidates(outcomes: Iterable[SourceOutcome]) -> tuple[Candidate, ...]:
    """Merge candidates naming the same endpoint, keeping every source's provenance.

    Provenance is kept in source order; duplicate provenance (same source and origin) is
    dropped. The result is ranked with `rank_candidates`.
    """
    merged: dict[tuple[Protocol, str, int, Security], Candidate] = {}
    ordered = sorted(outcomes, key=lambda o: SOURCE_ORDER.index(o.source))
    for outcome in ordered:
        for candidate in outcome.candidates:
            key = candidate.setting.endpoint
            existing = merged.get(key)
            if existing is None:
                merged[key] = candidate
                continue
            sources = list(existing.sources)
            sources.extend(p for p in candidate.sources if p not in sources)
            merged[key] = Candidate(
                setting=_merge_setting(existing.setting, candidate.setting),
                sources=tuple(sources),
            )
    return rank_candidates(merged.values())


def candidate_rank_key(candidate: Candidate) -> tuple[int, int, int, int, int, str, int]:
    """The ranking (docs/architecture.md): trust, source precedence, security, standard
    port, then the source's own order.

    The source's order is the candidate's place in the list of its best source (a provider
    entry lists servers in the provider's order of preference). Host name and port close
    the order so equal candidates always sort the same way.
    """
    setting = candidate.setting
    best_source = min(p.source.precedence for p in candidate.sources)
    position = min(p.position for p in candidate.sources if p.source.precedence == best_source)
    standard = STANDARD_PORTS.get((setting.protocol, setting.security))
    return (
        0 if candidate.trusted else 1,
        best_source,
        -setting.security.strength,
        0 if setting.port == standard else 1,
        position,
        setting.host.lower(),
        setting.port,
    )


def rank_candidates(candidates: Iterable[Candidate]) -> tuple[Candidate, ...]:
    """Candidates grouped by protocol (IMAP, POP3, SMTP), each group best first."""
    protocol_order = list(Protocol)
    return tuple(
        sorted(
            candidates,
            key=lambda c: (protocol_order.index(c.protocol), *candidate_rank_key(c)),
        )
    )


def drop_redundant_guesses(
    candidates: Sequence[Candidate], outcomes: Sequence[SourceOutcome]
) -> tuple[Candidate, ...]:
    """Keep bare guesses only for protocols no other source named.

    A guess is also dropped when a source says that service is deliberately not offered
    (SRV target "."). Guesses that agree with a real source were merged into its candidate.
    """
    named = {c.protocol for c in candidates if c.source_ids != (SourceId.GUESS,)}
    refused = {(n.protocol, n.security) for o in outcomes for n in o.not_offered}
    return tuple(
        c
        for c in candidates
        if c.source_ids != (SourceId.GUESS,)
        or (c.protocol not in named and (c.protocol, c.setting.security) not in refused)
    )


def first_provider(outcomes: Sequence[SourceOutcome]) -> ProviderInfo | None:
    """The provider named by the highest-precedence source that named one."""
    for outcome in sorted(outcomes, key=lambda o: o.source.precedence):
        if outcome.provider is not None:
            return outcome.provider
    return None


async def discover(
    address: str | Address,
    options: DiscoveryOptions | None = None,
    *,
    providers: ProviderDb | None = None,
    dns: DnsClient | None = None,
    http: HttpFetcher | None = None,
    on_outcome: SourceObserver | None = None,
    deadline: float | None = None,
    implementations: Mapping[SourceId, Source] | None = None,
) -> DiscoveryResult:
    """Discover the settings for `address` from every selected source, concurrently.

    Never raises for network trouble (each source reports its own failure); raises
    InvalidAddressError for an unusable address. `deadline` (a `time.monotonic()` value)
    defaults to now plus `options.net.timeout`.
    """
    opts = options or DiscoveryOptions()
    parsed = address if isinstance(address, Address) else parse_address(address)
    if providers is None:
        from mailprobe.providers import default_db

        providers = default_db()
    ctx = SourceContext(parsed, opts, providers, dns=dns, http=http)
    end = deadline if deadline is not None else time.monotonic() + opts.net.timeout
    outcomes = await run_sources(ctx, end, on_outcome, implementations)
    return DiscoveryResult(
        address=parsed,
        candidates=drop_redundant_guesses(merge_candidates(outcomes), outcomes),
        sources=outcomes,
        provider=first_provider(outcomes),
    )


def discover_offline(
    address: str | Address,
    options: DiscoveryOptions | None = None,
    *,
    providers: ProviderDb | None = None,
    on_outcome: SourceObserver | None = None,
) -> DiscoveryResult:
    """Discovery with `options.offline` set, without an event loop: nothing is contacted.

    Only the bundled provider database is read; every other source is `skipped`. The
    result is the one `discover` gives offline, in the same source order.
    """
    from mailprobe.sources import provider_db

    opts = replace(options or DiscoveryOptions(), offline=True)
    parsed = address if isinstance(address, Address) else parse_address(address)
    if providers is None:
        from mailprobe.providers import default_db

        providers = default_db()
    ctx = SourceContext(parsed, opts, providers)
    outcomes: dict[SourceId, SourceOutcome] = {}
    for source in _START_ORDER:
        reason = _skip_reason(source, opts)
        if reason is not None:
            outcomes[source] = skipped(source, reason)
            continue
        start = time.perf_counter()
        outcome = provider_db.lookup(ctx)
        if outcome is None:  # cannot happen offline; say so rather than guess
            raise AssertionError("provider_db wanted the network in an offline lookup")
        outcomes[source] = replace(outcome, elapsed_ms=_elapsed_ms(start))
        if on_outcome is not None:
            on_outcome(outcomes[source])
    ordered = tuple(outcomes[s] for s in SOURCE_ORDER)
    return DiscoveryResult(
        address=parsed,
        candidates=drop_redundant_guesses(merge_candidates(ordered), ordered),
        sources=ordered,
        provider=first_provider(ordered),
    )
