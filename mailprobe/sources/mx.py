"""The `mx` source: who handles the domain's mail, and what that hoster publishes.

1. Look up the MX records of D (lowest preference first; a null MX, RFC 7505, means the
   domain takes no mail).
2. Match each MX host against the bundled provider database's MX patterns.
3. For the MX hosts' registrable domains and the next label up
   (`mx1.mail.hoster.example` -> `hoster.example`, `mail.hoster.example`), fetch the
   autoconfig files and the ISPDB entry, concurrently, with the `autoconfig`/`ispdb`
   helpers. D itself is left out: the `autoconfig` and `ispdb` sources already ask it.

Trust: the MX answer decides who the hoster is, so every candidate is untrusted unless
that answer was DNSSEC-authenticated (AD bit), and a fetched file additionally needs a
trusted HTTPS fetch. Provenance origins say which MX host led where.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Iterable
from typing import TYPE_CHECKING, Any

from mailprobe.domains import is_within, mx_config_domains, mx_hosts
from mailprobe.errors import ProviderDbError
from mailprobe.models import Candidate, Cause, Provenance, ProviderInfo, SourceId, SourceOutcome
from mailprobe.net.dns import DnsStatus
from mailprobe.sources.autoconfig import (
    ConfigFetch,
    autoconfig_urls,
    fetch_config,
    outcome_for,
    request_timeout,
)
from mailprobe.sources.base import SourceContext, candidates_from, empty, error, timeout
from mailprobe.sources.ispdb import fetch_ispdb

if TYPE_CHECKING:
    from mailprobe.providers import ProviderDb

SOURCE = SourceId.MX

#: At most this many hoster domains are asked (MX sets of big hosters can be long).
MAX_LOOKUP_DOMAINS = 4


def lookup_domains(hosts: Iterable[str], own_domain: str) -> tuple[str, ...]:
    """The hoster domains to ask for configuration, without the address's own domain."""
    own = own_domain.rstrip(".").lower()
    found: list[str] = []
    for host in hosts:
        if is_within(host, own):
            continue  # autoconfig and ispdb already ask the address's own domain
        for domain in mx_config_domains(host):
            if domain != own and domain not in found:
                found.append(domain)
    return tuple(found[:MAX_LOOKUP_DOMAINS])


def _provider_match(
    providers: ProviderDb, hosts: Iterable[str], ctx: SourceContext, trusted: bool
) -> tuple[ProviderInfo | None, tuple[Candidate, ...], str]:
    """The provider whose MX pattern matches the first matching host, as candidates."""
    for host in hosts:
        try:
            provider = providers.by_mx(host)
        except ProviderDbError as exc:
            first_line = str(exc).splitlines()[0] if str(exc) else "invalid"
            return None, (), f"provider database not usable ({first_line})"
        if provider is None:
            continue
        info = provider.info()
        claim = Provenance(SOURCE, f"MX {host} matches provider {info.id}", trusted)
        settings = providers.effective(provider).settings_for(ctx.address)
        candidates = candidates_from(settings, claim)
        return info, candidates, f"provider {info.id} (MX {host} matches its pattern)"
    return None, (), ""


async def run(ctx: SourceContext) -> SourceOutcome:
    """Find the hoster through MX records and collect what it publishes."""
    start = time.monotonic()
    budget = request_timeout(ctx.options)
    domain = ctx.address.domain
    try:
        async with asyncio.timeout(budget):
            answer = await ctx.dns.query(domain, "MX")
    except TimeoutError:
        return timeout(
            SOURCE, f"MX lookup of {domain} took longer than {budget:g} s", Cause.DNS_TIMEOUT
        )
    if answer.status is DnsStatus.TIMEOUT:
        return timeout(
            SOURCE, answer.detail or f"MX lookup of {domain} timed out", Cause.DNS_TIMEOUT
        )
    if not answer.status.is_answer:
        return error(
            SOURCE,
            answer.detail or f"MX lookup of {domain} failed",
            answer.status.cause or Cause.DNS_FAILED,
        )
    if answer.status is not DnsStatus.OK:
        return empty(SOURCE, answer.detail or f"{domain} has no MX records")
    hosts = mx_hosts(answer.records)
    if not hosts:
        return empty(SOURCE, f"{domain} has a null MX (RFC 7505): it accepts no mail")

    trusted = answer.authenticated
    dnssec = "DNSSEC-validated" if trusted else "not DNSSEC-validated, so untrusted"
    parts = [f"MX {', '.join(hosts)} ({dnssec})"]
    info, provider_candidates, provider_note = _provider_match(ctx.providers, hosts, ctx, trusted)
    if provider_note:
        parts.append(provider_note)

    domains = lookup_domains(hosts, domain)
    fetches: tuple[ConfigFetch, ...] = ()
    if domains:
        remaining = max(0.05, budget - (time.monotonic() - start))
        fetches = await _fetch_configs(ctx, domains, remaining)
    else:
        parts.append(f"the MX hosts are within {domain}; no other domain to ask")
    return outcome_for(
        SOURCE,
        fetches,
        prefix="; ".join(parts) + ("; " if fetches else ""),
        trusted=trusted,
        extra=provider_candidates,
        provider=info,
    )


async def _fetch_configs(
    ctx: SourceContext, domains: tuple[str, ...], fetch_timeout: float
) -> tuple[ConfigFetch, ...]:
    """Autoconfig files and ISPDB entries for every hoster domain, all at once."""
    options = ctx.options
    address = ctx.address if options.send_address else None
    jobs: list[Coroutine[Any, Any, ConfigFetch]] = []
    for d in domains:
        jobs.extend(
            fetch_config(
                ctx.http, url, ctx.address, timeout=fetch_timeout, allow_http=options.allow_http
            )
            for url in autoconfig_urls(d, allow_http=options.allow_http, address=address)
        )
        jobs.append(
            fetch_ispdb(
                ctx.http,
                options.ispdb_url,
                d,
                ctx.address,
                timeout=fetch_timeout,
                allow_http=options.allow_http,
            )
        )
    return tuple(await asyncio.gather(*jobs))
