"""`run_domain`: every inbound check of one domain, concurrently, within one deadline."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import replace

from mailprobe.errors import InvalidInputError
from mailprobe.inbound import diagnose
from mailprobe.inbound.dnssec import SecureResolver
from mailprobe.inbound.model import DomainOptions, DomainReport, MxResult, MxSet
from mailprobe.inbound.mta_sts import check_mta_sts, pattern_matches
from mailprobe.inbound.mx import check_host, mx_set
from mailprobe.inbound.spf_dmarc import check_dmarc, check_spf
from mailprobe.inbound.tls_rpt import check_tls_rpt
from mailprobe.net.dns import DnsStatus, client_for
from mailprobe.net.http import HttpFetcher

#: Seconds kept back from the deadline for judging and rendering.
_RESERVE = 0.2
_MIN_STEP = 0.5


def _iso_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalize_domain(domain: str) -> str:
    """Lower-case A-label form without a trailing dot; raises InvalidInputError if bad."""
    from mailprobe.address import parse_address

    text = domain.strip().rstrip(".")
    if not text or "@" in text:
        raise InvalidInputError(f"{domain!r} is not a domain name (e.g. example.org)")
    try:
        return parse_address(f"postmaster@{text}").domain
    except InvalidInputError as exc:
        raise InvalidInputError(f"{domain!r} is not a valid domain: {exc}") from None


async def run_domain(domain: str, options: DomainOptions | None = None) -> DomainReport:
    """Check how safely mail can be delivered to `domain` (see the module docs)."""
    options = options or DomainOptions()
    name = normalize_domain(domain)
    started = time.perf_counter()
    generated = _iso_now()
    deadline = time.monotonic() + options.net.timeout

    def left() -> float:
        return max(_MIN_STEP, deadline - time.monotonic() - _RESERVE)

    resolver = SecureResolver(
        options.net.nameservers,
        timeout=options.net.timeout,
        trust_ad=options.net.trust_ad,
        probe=options.dnssec_probe,
    )
    dns = client_for(options.net)
    fetcher = HttpFetcher(dns, options.net)
    check = await resolver.check()

    async def mx_part() -> tuple[MxSet, tuple[MxResult, ...]]:
        found = mx_set(name, await resolver.query(name, "MX"))
        hosts = await asyncio.gather(
            *(
                check_host(pref, host, resolver=resolver, dns=dns, options=options, left=left)
                for pref, host in found.hosts
            )
        )
        return found, tuple(hosts)

    (mxs, hosts), sts, rpt, spf, dmarc = await asyncio.gather(
        mx_part(),
        check_mta_sts(name, resolver, fetcher, timeout=min(left(), 10.0)),
        check_tls_rpt(name, resolver),
        check_spf(name, resolver),
        check_dmarc(name, resolver),
    )
    if sts.active:
        hosts = tuple(
            replace(h, mta_sts_match=any(pattern_matches(p, h.host) for p in sts.mx)) for h in hosts
        )
    set_findings = diagnose.resolver_findings(check) + diagnose.mx_set_findings(name, mxs)
    findings = list(set_findings)
    for host in hosts:
        findings += diagnose.mx_findings(host, sts)
    if mxs.status is not DnsStatus.NXDOMAIN:
        findings += diagnose.sts_findings(name, sts, mxs.null_mx)
        findings += diagnose.record_findings(name, rpt, spf, dmarc, mxs.null_mx)
    per_mx, verdict = diagnose.judge(hosts, mxs, findings)
    return DomainReport(
        domain=name,
        generated_at=generated,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
        resolver=check,
        mx_set=mxs,
        mx=hosts,
        mta_sts=sts,
        tls_rpt=rpt,
        spf=spf,
        dmarc=dmarc,
        findings=tuple(findings),
        verdicts=per_mx,
        verdict=verdict,
    )
