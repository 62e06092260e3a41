"""The MX set of a domain (RFC 5321 §5.1, RFC 7505 null MX) and each MX host's checks:
addresses with their DNSSEC state, the TLSA RRset, STARTTLS on port 25 and the DANE match.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from mailprobe.inbound.dane import DaneMatch, RecordMatch, match_chain, parse_record
from mailprobe.inbound.dnssec import DnssecState, Lookup, SecureResolver, worst_state
from mailprobe.inbound.model import (
    MAX_MX_HOSTS,
    AddressResult,
    DaneStatus,
    DomainOptions,
    MxResult,
    MxSet,
    TlsaSet,
)
from mailprobe.inbound.pkix import verify_chain
from mailprobe.inbound.starttls25 import SmtpOutcome, probe_starttls
from mailprobe.models import ProbeStatus
from mailprobe.net.dns import DnsClient, DnsStatus


def _is_localhost(host: str) -> bool:
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def mx_set(domain: str, lookup: Lookup) -> MxSet:
    """Interpret the MX lookup: null MX, implicit MX, order, and the 10-host limit."""
    if lookup.status is DnsStatus.NODATA:
        # RFC 5321 §5.1: no MX means the domain's own address is the implicit MX.
        return MxSet(
            lookup.status, lookup.dnssec, lookup.detail, False, False, True, ((0, domain),)
        )
    if lookup.status is not DnsStatus.OK:
        return MxSet(lookup.status, lookup.dnssec, lookup.detail, False, False, False, ())
    entries: list[tuple[int, str]] = []
    null = False
    for record in lookup.records:
        exchange = str(getattr(record, "exchange", "")).rstrip(".").lower()
        preference = int(getattr(record, "preference", 0))
        if exchange == "":
            null = True
            continue
        entries.append((preference, exchange))
    entries = sorted(set(entries))
    hosts = tuple(entries[:MAX_MX_HOSTS])
    skipped = tuple(h for _p, h in entries[MAX_MX_HOSTS:])
    null_only = null and not entries
    return MxSet(
        lookup.status,
        lookup.dnssec,
        lookup.detail,
        null_only,
        null and bool(entries),
        False,
        hosts,
        skipped,
    )


async def _tlsa(
    host: str, canonical: str, address_state: DnssecState, resolver: SecureResolver
) -> TlsaSet:
    """RFC 7672 §2.2.3: TLSA at the CNAME-expanded name first (if the chain is secure),
    then at the original MX host name."""
    names = [host]
    if canonical and canonical != host and address_state is DnssecState.SECURE:
        names.insert(0, canonical)
    tried: list[str] = []
    found: Lookup | None = None
    for name in names:
        owner = f"_25._tcp.{name}"
        tried.append(owner)
        found = await resolver.query(owner, "TLSA")
        if not found.denied or found.dnssec is DnssecState.BOGUS:
            break
    assert found is not None
    records = list(
        parse_record(
            int(getattr(r, "usage", -1)),
            int(getattr(r, "selector", -1)),
            int(getattr(r, "mtype", -1)),
            bytes(getattr(r, "cert", b"")),
        )
        for r in found.records
    )
    records.sort(key=lambda r: (r.usage, r.selector, r.matching, r.data))
    return TlsaSet(
        tried[-1], found.status, found.dnssec, tuple(records), found.detail, tuple(tried)
    )


def _dane_status(
    resolver_usable: bool,
    address_state: DnssecState,
    tlsa: TlsaSet,
    addresses: list[AddressResult],
) -> tuple[DaneStatus, str]:
    if address_state is DnssecState.BOGUS or tlsa.dnssec is DnssecState.BOGUS:
        what = "addresses" if address_state is DnssecState.BOGUS else f"TLSA RRset {tlsa.name}"
        return DaneStatus.BOGUS, f"the {what} fail DNSSEC validation"
    if not resolver_usable:
        return DaneStatus.UNVERIFIED, "DNSSEC could not be verified with this resolver"
    if address_state is not DnssecState.SECURE:
        return DaneStatus.NOT_APPLICABLE, "the MX host's addresses are not DNSSEC-signed"
    if not tlsa.status.is_answer:
        return DaneStatus.ERROR, tlsa.detail
    if tlsa.dnssec is not DnssecState.SECURE:
        return DaneStatus.NOT_APPLICABLE, f"the TLSA lookup of {tlsa.name} is not DNSSEC-signed"
    if tlsa.status is not DnsStatus.OK:
        return DaneStatus.NONE, f"no TLSA records at {' or '.join(tlsa.tried)} (securely denied)"
    if not any(r.usable for r in tlsa.records):
        return DaneStatus.UNUSABLE, "none of the TLSA records is usable for SMTP (usage 2 or 3)"
    judged = [a for a in addresses if a.dane is not None]
    failed = [a for a in judged if a.dane is not None and not a.dane.matched]
    if failed and failed[0].dane is not None:
        return DaneStatus.FAIL, f"{failed[0].ip}: {failed[0].dane.reason}"
    if not judged:
        return DaneStatus.UNTESTED, "no address could be reached to match the records"
    count = sum(1 for r in tlsa.records if r.usable)
    return DaneStatus.OK, f"the served certificate matches ({count} usable record(s))"


def _judge_address(
    ip: str,
    state: DnssecState,
    outcome: SmtpOutcome,
    tlsa: TlsaSet,
    names: tuple[str, ...],
    dane_applies: bool,
    options: DomainOptions,
    mx_host: str,
) -> AddressResult:
    pkix = None
    dane = None
    if outcome.tls is not None:
        pkix = verify_chain(outcome.tls.chain, mx_host, options.net.ca_file)
        if dane_applies:
            dane = match_chain(tlsa.records, outcome.tls.chain, names)
    elif dane_applies and outcome.status is ProbeStatus.OK and outcome.starttls is False:
        # DANE requires TLS: a server without STARTTLS fails every record.
        usable = tuple(RecordMatch(r, False) for r in tlsa.records if r.usable)
        dane = DaneMatch(False, usable, "the server does not offer STARTTLS")
    return AddressResult(ip, state, outcome, pkix, dane)


async def check_host(
    preference: int,
    host: str,
    *,
    resolver: SecureResolver,
    dns: DnsClient,
    options: DomainOptions,
    left: Callable[[], float],
) -> MxResult:
    """Addresses, TLSA, STARTTLS and DANE of one MX host."""
    check = await resolver.check()
    if _is_localhost(host):
        return MxResult(
            host, preference, host, DnsStatus.OK, "", DnssecState.UNVERIFIED, localhost=True
        )
    v6, v4 = await asyncio.gather(resolver.query(host, "AAAA"), resolver.query(host, "A"))
    canonical = v4.canonical or v6.canonical or host
    # IPv6 first, then IPv4, each sorted: output must not depend on the answer order.
    found = [(ip, v6.dnssec) for ip in sorted(r.to_text() for r in v6.records)] + [
        (ip, v4.dnssec) for ip in sorted(r.to_text() for r in v4.records)
    ]
    state = worst_state([v4.dnssec, v6.dnssec])
    if not found:
        failed = next((x for x in (v4, v6) if not x.status.is_answer), None)
        status = (
            failed.status
            if failed
            else (
                DnsStatus.NXDOMAIN
                if DnsStatus.NXDOMAIN in (v4.status, v6.status)
                else DnsStatus.NODATA
            )
        )
        detail = failed.detail if failed else f"{host} has no A or AAAA records"
        return MxResult(host, preference, canonical, status, detail, state)
    tlsa = await _tlsa(host, canonical, state, resolver)
    dane_applies = (
        check.usable
        and state is DnssecState.SECURE
        and tlsa.dnssec is DnssecState.SECURE
        and tlsa.status is DnsStatus.OK
        and any(r.usable for r in tlsa.records)
    )
    names = tuple(dict.fromkeys([tlsa.name.removeprefix("_25._tcp."), host]))
    outcomes = await asyncio.gather(
        *(
            probe_starttls(
                host, ip, dns=dns, net=options.net, timeout=left(), ehlo_name=options.ehlo_name
            )
            for ip, _s in found
        )
    )
    addresses = [
        _judge_address(ip, s, outcome, tlsa, names, dane_applies, options, host)
        for (ip, s), outcome in zip(found, outcomes, strict=True)
    ]
    dane_status, detail = _dane_status(check.usable, state, tlsa, addresses)
    return MxResult(
        host,
        preference,
        canonical,
        DnsStatus.OK,
        "",
        state,
        tuple(addresses),
        tlsa,
        dane_status,
        detail,
    )
