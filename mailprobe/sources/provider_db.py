"""Discovery source `provider_db`: the bundled database, by domain, then by MX host.

A domain entry is curated knowledge and trusted. When the domain is not listed (and the
run is not offline), the domain's MX hosts are matched against the providers' MX
patterns; such a match is only as trustworthy as the MX answer, so it is trusted only when
the resolver validated it with DNSSEC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailprobe.errors import ProviderDbError
from mailprobe.models import Cause, Provenance, ServerSetting, SourceId, SourceOutcome
from mailprobe.sources.base import SourceContext, candidates_from, empty, error, found, timeout

if TYPE_CHECKING:
    from mailprobe.providers import Provider

SOURCE = SourceId.PROVIDER_DB


def _settings(ctx: SourceContext, provider: Provider) -> tuple[ServerSetting, ...]:
    """The provider's servers; a legacy entry without servers uses its successor's."""
    return ctx.providers.effective(provider).settings_for(ctx.address)


def _served_by(ctx: SourceContext, provider: Provider) -> str:
    if provider.successor is None or provider.servers:
        return ""
    heir = ctx.providers.get(provider.successor)
    return f"; now served by {heir.name} ({heir.id})" if heir is not None else ""


def _by_domain(ctx: SourceContext, provider: Provider) -> SourceOutcome:
    domain = ctx.address.domain
    provenance = Provenance(SOURCE, f"provider_db:{provider.id}", trusted=True)
    return found(
        SOURCE,
        candidates_from(_settings(ctx, provider), provenance),
        f"{provider.name} ({provider.id}): {domain} is listed in the bundled database"
        + _served_by(ctx, provider),
        provider.info(),
    )


def lookup(ctx: SourceContext) -> SourceOutcome | None:
    """What the database alone says (no I/O); None when the MX hosts must be looked up."""
    domain = ctx.address.domain
    try:
        provider = ctx.providers.by_domain(domain)
    except ProviderDbError as exc:
        return error(SOURCE, f"the provider database is invalid: {exc}")
    if provider is not None:
        return _by_domain(ctx, provider)
    if ctx.options.offline:
        return empty(SOURCE, f"{domain} is not in the bundled database (offline: MX not checked)")
    return None


async def run(ctx: SourceContext) -> SourceOutcome:
    """Look the address's domain up; if unknown and online, try the domain's MX hosts."""
    known = lookup(ctx)
    if known is not None:
        return known
    domain = ctx.address.domain
    from mailprobe.domains import mx_hosts
    from mailprobe.net.dns import DnsStatus  # only online runs load the DNS library

    answer = await ctx.dns.query(domain, "MX")
    if answer.status is DnsStatus.TIMEOUT:
        return timeout(
            SOURCE, f"{domain} is not in the database; {answer.detail}", Cause.DNS_TIMEOUT
        )
    if not answer.status.is_answer:
        return error(
            SOURCE,
            f"{domain} is not in the database; {answer.detail}",
            answer.status.cause or Cause.DNS_FAILED,
        )
    hosts = mx_hosts(answer.records)
    if not hosts:
        return empty(SOURCE, f"{domain} is not in the database and has no usable MX records")
    for host in hosts:
        provider = ctx.providers.by_mx(host)
        if provider is None:
            continue
        trusted = answer.authenticated
        channel = (
            "DNSSEC-validated MX answer"
            if trusted
            else "MX answer not DNSSEC-validated, so untrusted"
        )
        provenance = Provenance(SOURCE, f"provider_db:{provider.id} via MX {host}", trusted)
        return found(
            SOURCE,
            candidates_from(_settings(ctx, provider), provenance),
            f"{provider.name} ({provider.id}) recognised by MX host {host} ({channel})"
            + _served_by(ctx, provider),
            provider.info(),
        )
    return empty(
        SOURCE, f"{domain} is not in the database; no known provider behind MX {', '.join(hosts)}"
    )
