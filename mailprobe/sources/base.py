"""What every discovery source receives and returns.

A source is a module with `SOURCE: SourceId` and `async def run(ctx: SourceContext) ->
SourceOutcome`. It never raises for network trouble: it returns an outcome with a status,
a reason in words and, for `error` and `timeout`, a `Cause`. The discovery engine adds
timing, applies the per-source timeout and the global deadline, and turns an unexpected
exception into an `error` outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from mailprobe.models import (
    Address,
    Candidate,
    Cause,
    DiscoveryOptions,
    Provenance,
    ProviderInfo,
    ServerSetting,
    SourceId,
    SourceOutcome,
    SourceStatus,
)

if TYPE_CHECKING:
    from mailprobe.net.dns import DnsClient
    from mailprobe.net.http import HttpFetcher
    from mailprobe.providers import ProviderDb


class SourceContext:
    """Everything a source may use: the address, the options, and shared network clients.

    The DNS and HTTP clients are created on first use (and may be injected, e.g. by tests),
    so an offline run never imports the network libraries.
    """

    def __init__(
        self,
        address: Address,
        options: DiscoveryOptions,
        providers: ProviderDb,
        *,
        dns: DnsClient | None = None,
        http: HttpFetcher | None = None,
    ) -> None:
        self.address = address
        self.options = options
        self.providers = providers
        self._dns = dns
        self._http = http

    @property
    def dns(self) -> DnsClient:
        """The run's DNS client, aimed at `--nameserver` when given."""
        if self._dns is None:
            from mailprobe.net.dns import client_for

            self._dns = client_for(self.options.net)
        return self._dns

    @property
    def http(self) -> HttpFetcher:
        """The run's HTTP fetcher, sharing the DNS client and `--connect-to` rules."""
        if self._http is None:
            from mailprobe.net.http import HttpFetcher

            self._http = HttpFetcher(self.dns, self.options.net)
        return self._http


class Source(Protocol):
    """The shape of a source module (for typing the engine's table of sources)."""

    SOURCE: SourceId

    async def run(self, ctx: SourceContext) -> SourceOutcome:
        """Discover settings for `ctx.address`."""
        ...


def candidates_from(
    settings: Iterable[ServerSetting], provenance: Provenance
) -> tuple[Candidate, ...]:
    """Wrap settings that one source found through one channel as candidates.

    Each provenance records the setting's place in `settings`, so ranking can keep the
    source's own order among otherwise equal candidates.
    """
    return tuple(
        Candidate(setting=s, sources=(replace(provenance, position=i),))
        for i, s in enumerate(settings)
    )


def found(
    source: SourceId,
    candidates: Iterable[Candidate],
    detail: str,
    provider: ProviderInfo | None = None,
) -> SourceOutcome:
    """An outcome with results; `empty` is returned instead when there are none."""
    found_candidates = tuple(candidates)
    if not found_candidates and provider is None:
        return empty(source, detail)
    return SourceOutcome(source, SourceStatus.FOUND, 0.0, detail, found_candidates, provider)


def empty(source: SourceId, detail: str) -> SourceOutcome:
    """An outcome for a source that worked but had nothing to say."""
    return SourceOutcome(source, SourceStatus.EMPTY, 0.0, detail)


def error(source: SourceId, detail: str, cause: Cause = Cause.OTHER) -> SourceOutcome:
    """An outcome for a source that failed; `detail` says why in words, `cause` as data."""
    return SourceOutcome(source, SourceStatus.ERROR, 0.0, detail, cause=cause)


def timeout(source: SourceId, detail: str, cause: Cause = Cause.TIMEOUT) -> SourceOutcome:
    """An outcome for a source that ran out of time (`cause`: which wait it was)."""
    return SourceOutcome(source, SourceStatus.TIMEOUT, 0.0, detail, cause=cause)


def skipped(source: SourceId, detail: str) -> SourceOutcome:
    """An outcome for a source that was not run (offline, not selected, not applicable)."""
    return SourceOutcome(source, SourceStatus.SKIPPED, 0.0, detail)
