"""The `guess` source: common host names on standard ports, the last resort.

Per protocol the usual names are tried: `imap.D` / `pop.D` / `smtp.D`, then `mail.D`, then
`D` itself, each on the protocol's implicit-TLS and STARTTLS ports (993/143, 995/110,
465/587). A name that does not resolve gives no candidate (the outcome says which were
dropped and why); what is left is untrusted with origin "guess", and the check step keeps
it only if a probe confirms it. The username is assumed to be the full address, the most
common convention.
"""

from __future__ import annotations

import asyncio

from mailprobe.models import (
    Candidate,
    Cause,
    Protocol,
    Provenance,
    Security,
    ServerSetting,
    SourceId,
    SourceOutcome,
    SourceStatus,
)
from mailprobe.net.dns import DnsStatus, HostAddresses
from mailprobe.sources.base import SourceContext, skipped

SOURCE = SourceId.GUESS

#: Host-name prefixes tried per protocol, most specific first ("" is the domain itself).
PREFIXES: dict[Protocol, tuple[str, ...]] = {
    Protocol.IMAP: ("imap", "mail", ""),
    Protocol.POP3: ("pop", "mail", ""),
    Protocol.SMTP: ("smtp", "mail", ""),
}

#: Standard ports per protocol, implicit TLS first (RFC 8314).
PORTS: dict[Protocol, tuple[tuple[Security, int], ...]] = {
    Protocol.IMAP: ((Security.TLS, 993), (Security.STARTTLS, 143)),
    Protocol.POP3: ((Security.TLS, 995), (Security.STARTTLS, 110)),
    Protocol.SMTP: ((Security.TLS, 465), (Security.STARTTLS, 587)),
}

_PROVENANCE = Provenance(SOURCE, "guess", trusted=False)


def _host(prefix: str, domain: str) -> str:
    return f"{prefix}.{domain}" if prefix else domain


def guessed_hosts(domain: str) -> tuple[str, ...]:
    """Every distinct host name guessed for `domain`, in a stable order."""
    hosts: list[str] = []
    for prefixes in PREFIXES.values():
        for prefix in prefixes:
            host = _host(prefix, domain)
            if host not in hosts:
                hosts.append(host)
    return tuple(hosts)


def guessed_settings(domain: str, username: str | None) -> tuple[ServerSetting, ...]:
    """All guessed settings for `domain`, before any name is resolved (pure)."""
    return tuple(
        ServerSetting(protocol, _host(prefix, domain), port, security, username)
        for protocol, prefixes in PREFIXES.items()
        for prefix in prefixes
        for security, port in PORTS[protocol]
    )


async def run(ctx: SourceContext) -> SourceOutcome:
    """Resolve the guessed names concurrently and offer those that exist as candidates."""
    if ctx.options.offline:
        return skipped(SOURCE, "offline: no network")
    domain = ctx.address.domain
    hosts = guessed_hosts(domain)
    results = await asyncio.gather(*(ctx.dns.addresses(host) for host in hosts))
    resolved = {r.host for r in results if r.addresses}
    candidates = tuple(
        Candidate(setting, (_PROVENANCE,))
        for setting in guessed_settings(domain, ctx.address.text)
        if setting.host in resolved
    )
    return _outcome(candidates, results)


def _outcome(candidates: tuple[Candidate, ...], results: list[HostAddresses]) -> SourceOutcome:
    kept = [r.host for r in results if r.addresses]
    dropped = [r for r in results if not r.addresses]
    parts: list[str] = []
    if kept:
        parts.append(f"names that resolve: {', '.join(kept)} (unconfirmed until probed)")
    if dropped:
        parts.append("dropped: " + "; ".join(f"{r.host} ({_why(r)})" for r in dropped))
    detail = "; ".join(parts)
    if candidates:
        return SourceOutcome(SOURCE, SourceStatus.FOUND, 0.0, detail, candidates)
    failed = [r for r in dropped if not r.status.is_answer]
    if failed:
        all_timeouts = all(r.status is DnsStatus.TIMEOUT for r in failed)
        status = SourceStatus.TIMEOUT if all_timeouts else SourceStatus.ERROR
        cause = (
            Cause.DNS_TIMEOUT
            if all_timeouts
            else next(
                (r.status.cause for r in failed if r.status is not DnsStatus.TIMEOUT),
                None,
            )
        )
        return SourceOutcome(SOURCE, status, 0.0, detail, cause=cause or Cause.DNS_FAILED)
    return SourceOutcome(SOURCE, SourceStatus.EMPTY, 0.0, detail)


def _why(result: HostAddresses) -> str:
    if result.status is DnsStatus.NXDOMAIN:
        return "does not exist"
    if result.status in (DnsStatus.NODATA, DnsStatus.OK):
        return "no A or AAAA record"
    return result.detail or result.status.value
