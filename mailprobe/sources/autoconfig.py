"""The `autoconfig` source: the domain's own config-v1.1 file, and the fetch helpers behind it.

For domain D it asks, all at once, `https://autoconfig.D/mail/config-v1.1.xml` and
`https://D/.well-known/autoconfig/mail/config-v1.1.xml`, plus the `http://` variants only
with `--allow-http`. The address goes along (`?emailaddress=`) only with `--send-address`.

Results from several URLs are merged, not ranked: every file that yields servers
contributes, and a setting named by two URLs becomes one candidate with both provenances
(origin = the final URL after redirects; trusted only for HTTPS with a verified chain and
no downgrade). The outcome detail gives each URL's result in a few words.

`fetch_config`, `fetch_all`, `merge_candidates` and `outcome_for` are shared with the
`ispdb` and `mx` sources.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlencode

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
from mailprobe.net.failures import DNS_CAUSES, TIMEOUT_CAUSES
from mailprobe.net.http import HttpFetcher, HttpResult
from mailprobe.sources.autoconfig_xml import ConfigParseError, ParsedConfig, parse_config
from mailprobe.sources.base import SourceContext

SOURCE = SourceId.AUTOCONFIG

#: Share of `--timeout` one HTTP fetch may use, so a source reports its own per-URL
#: reasons before the global deadline cancels it.
FETCH_SHARE = 0.85


class FetchKind(StrEnum):
    """What one config fetch amounted to."""

    FOUND = "found"  # a file with at least one IMAP/POP3/SMTP server
    ABSENT = "absent"  # no such host, 404/410, or a file without usable servers
    FAILED = "failed"  # broken, hostile or refused answer, TLS failure, HTTP error status
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class ConfigFetch:
    """One URL asked for a config-v1.1 file: the HTTP result and the parsed file or problem."""

    result: HttpResult
    kind: FetchKind
    summary: str
    config: ParsedConfig | None = None
    cause: Cause | None = None  # why a failed or timed-out fetch did

    @property
    def url(self) -> str:
        """The URL as requested."""
        return self.result.url

    @property
    def origin(self) -> str:
        """Where the file really came from (the final URL after redirects)."""
        return self.result.final_url

    @property
    def trusted(self) -> bool:
        """True only for HTTPS with a verified chain on every hop."""
        return self.result.trusted

    def line(self) -> str:
        """`URL: summary`, the short form used in outcome details."""
        return f"{self.url}: {self.summary}"


#: Bodies larger than this are parsed in a worker thread instead of on the event loop.
PARSE_IN_THREAD_BYTES = 64 * 1024


def request_timeout(options: DiscoveryOptions) -> float:
    """The time one fetch may take under `options` (a share of the overall deadline)."""
    return max(0.05, options.net.timeout * FETCH_SHARE)


def autoconfig_urls(domain: str, *, allow_http: bool, address: Address | None) -> tuple[str, ...]:
    """The autoconfig URLs for `domain`: HTTPS first; HTTP only with `allow_http`.

    `address` is added as `?emailaddress=` when given (only with `--send-address`).
    """
    paths = (
        f"autoconfig.{domain}/mail/config-v1.1.xml",
        f"{domain}/.well-known/autoconfig/mail/config-v1.1.xml",
    )
    schemes = ("https", "http") if allow_http else ("https",)
    query = "?" + urlencode({"emailaddress": address.text}) if address is not None else ""
    return tuple(f"{scheme}://{path}{query}" for scheme in schemes for path in paths)


async def fetch_config(
    http: HttpFetcher, url: str, address: Address, *, timeout: float, allow_http: bool
) -> ConfigFetch:
    """GET `url` and parse it as config-v1.1; never raises for network or content trouble."""
    result = await http.get(url, timeout=timeout, allow_http=allow_http)
    if len(result.body) > PARSE_IN_THREAD_BYTES:
        # Parsing up to 1 MiB takes tens of milliseconds: keep the event loop (and with it
        # the deadline and the other sources) running meanwhile.
        return await asyncio.to_thread(interpret, result, address)
    return interpret(result, address)


#: Fetch failures that only mean "nothing published here": the host name does not
#: resolve (whatever the DNS trouble) or nothing listens.
_ABSENT_CAUSES = DNS_CAUSES | {Cause.REFUSED}


def failed_fetch(result: HttpResult) -> tuple[FetchKind, str, Cause | None] | None:
    """Kind, summary and cause for a fetch without a usable 2xx answer; None when it has one.

    A host name that does not resolve, a refused connection and any 4xx count as absent;
    a timeout as timeout; everything else (TLS failure, oversize, redirect loop or
    downgrade, 5xx) as failed.
    """
    if result.error is not None:
        cause = result.cause or Cause.OTHER
        if cause in _ABSENT_CAUSES:
            return FetchKind.ABSENT, result.error, cause
        if cause in TIMEOUT_CAUSES:
            return FetchKind.TIMEOUT, result.error, cause
        return FetchKind.FAILED, result.error, cause
    if result.ok:
        return None
    status = result.status_code or 0
    note = trust_note(result)
    if status in (401, 403):
        return (
            FetchKind.ABSENT,
            f"{status}: access denied (mailprobe never sends credentials){note}",
            None,
        )
    if 400 <= status < 500:
        return FetchKind.ABSENT, f"{status}{note}", None
    return FetchKind.FAILED, f"HTTP status {status}{note}", Cause.HTTP_STATUS


def interpret(result: HttpResult, address: Address) -> ConfigFetch:
    """Turn an HTTP result into a `ConfigFetch` (parse the body when there is one)."""
    failed = failed_fetch(result)
    if failed is not None:
        kind, summary, cause = failed
        return ConfigFetch(result, kind, summary, cause=cause)
    note = trust_note(result)
    try:
        config = parse_config(result.body, address)
    except ConfigParseError as exc:
        return ConfigFetch(result, FetchKind.FAILED, f"{exc}{note}", cause=Cause.INVALID_DOCUMENT)
    if not config.settings:
        why = "; ".join(config.warnings[:2])
        return ConfigFetch(
            result,
            FetchKind.ABSENT,
            f"no IMAP, POP3 or SMTP server in the file{f' ({why})' if why else ''}{note}",
            config,
        )
    summary = found_summary(len(config.settings), len(config.warnings)) + note
    return ConfigFetch(result, FetchKind.FOUND, summary, config)


def found_summary(servers: int, warnings: int) -> str:
    """`found N server(s)`, plus the warning count when there are any."""
    warned = f", {warnings} warning(s)" if warnings else ""
    return f"found {servers} server{'s' if servers != 1 else ''}{warned}"


def trust_note(result: HttpResult) -> str:
    """A parenthesised note on redirects and plain HTTP, or "" for a direct HTTPS fetch."""
    parts: list[str] = []
    if result.redirects and result.error is None:
        parts.append(f"via {result.final_url}")
    if result.downgraded:
        parts.append("untrusted: redirected to plain HTTP")
    elif result.final_url.lower().startswith("http:"):
        parts.append("untrusted: plain HTTP")
    return f" ({'; '.join(parts)})" if parts else ""


async def fetch_all(
    http: HttpFetcher,
    urls: Iterable[str],
    address: Address,
    *,
    timeout: float,
    allow_http: bool,
) -> tuple[ConfigFetch, ...]:
    """Fetch several config URLs concurrently; results keep the order of `urls`."""
    return tuple(
        await asyncio.gather(
            *(
                fetch_config(http, url, address, timeout=timeout, allow_http=allow_http)
                for url in urls
            )
        )
    )


def merge_claims(
    claims: Iterable[tuple[Provenance, Iterable[ServerSetting]]],
) -> tuple[Candidate, ...]:
    """One candidate per distinct setting, in first-seen order, with every claim kept."""
    order: list[ServerSetting] = []
    provenance: dict[ServerSetting, list[Provenance]] = {}
    for claim, settings in claims:
        for setting in settings:
            if setting not in provenance:
                order.append(setting)
                provenance[setting] = []
            if claim not in provenance[setting]:
                provenance[setting].append(claim)
    return tuple(Candidate(s, tuple(provenance[s])) for s in order)


def merge_candidates(
    fetches: Iterable[ConfigFetch], source: SourceId, *, trusted: bool = True
) -> tuple[Candidate, ...]:
    """One candidate per distinct setting across `fetches`, with every provenance kept.

    A provenance is trusted when its fetch was trusted and `trusted` is True (the `mx`
    source passes False unless its MX answer was DNSSEC-validated).
    """
    return merge_claims(
        (Provenance(source, f.origin, trusted and f.trusted), f.config.settings)
        for f in fetches
        if f.config is not None
    )


def first_provider(fetches: Iterable[ConfigFetch]) -> ProviderInfo | None:
    """The provider described by the first file that yielded servers."""
    for fetch in fetches:
        if fetch.kind is FetchKind.FOUND and fetch.config is not None:
            return fetch.config.provider_info()
    return None


class _Attempt(Protocol):
    """A fetch as `outcome_cause` reads it."""

    @property
    def kind(self) -> FetchKind: ...

    @property
    def cause(self) -> Cause | None: ...


def outcome_cause(status: SourceStatus, attempts: Iterable[_Attempt]) -> Cause | None:
    """The cause of a source outcome: that of its first fetch which decided `status`."""
    wanted = {SourceStatus.ERROR: FetchKind.FAILED, SourceStatus.TIMEOUT: FetchKind.TIMEOUT}
    kind = wanted.get(status)
    if kind is None:
        return None
    return next((a.cause for a in attempts if a.kind is kind and a.cause), Cause.OTHER)


def overall_status(kinds: Iterable[FetchKind]) -> SourceStatus:
    """found if any fetch yielded servers; else error, timeout or empty, in that order."""
    seen = set(kinds)
    if FetchKind.FOUND in seen:
        return SourceStatus.FOUND
    if FetchKind.FAILED in seen:
        return SourceStatus.ERROR
    if FetchKind.TIMEOUT in seen:
        return SourceStatus.TIMEOUT
    return SourceStatus.EMPTY


def outcome_for(
    source: SourceId,
    fetches: Sequence[ConfigFetch],
    *,
    prefix: str = "",
    trusted: bool = True,
    extra: Sequence[Candidate] = (),
    provider: ProviderInfo | None = None,
) -> SourceOutcome:
    """The source outcome for a set of fetches: merged candidates and a per-URL detail.

    `extra` candidates (found by other means) come first and make the outcome `found`.
    """
    candidates = tuple(extra) + merge_candidates(fetches, source, trusted=trusted)
    status = SourceStatus.FOUND if extra else overall_status(f.kind for f in fetches)
    if status is SourceStatus.FOUND and not candidates:
        status = SourceStatus.EMPTY
    detail = prefix + "; ".join(f.line() for f in fetches)
    return SourceOutcome(
        source=source,
        status=status,
        elapsed_ms=0.0,
        detail=detail,
        candidates=candidates if status is SourceStatus.FOUND else (),
        provider=provider or first_provider(fetches),
        cause=outcome_cause(status, fetches),
        warnings=tuple(
            f"{f.url}: {warning}"
            for f in fetches
            if f.config is not None
            for warning in f.config.warnings
        ),
    )


async def run(ctx: SourceContext) -> SourceOutcome:
    """Fetch the domain's autoconfig files and turn them into candidates."""
    options = ctx.options
    urls = autoconfig_urls(
        ctx.address.domain,
        allow_http=options.allow_http,
        address=ctx.address if options.send_address else None,
    )
    fetches = await fetch_all(
        ctx.http,
        urls,
        ctx.address,
        timeout=request_timeout(options),
        allow_http=options.allow_http,
    )
    return outcome_for(SOURCE, fetches)
