"""DNSSEC-aware lookups through a validating resolver: secure, insecure, bogus or unverified.

mailprobe does not validate signatures itself; it relies on the resolver's AD bit, and only
when that bit can be trusted:

- the resolver is on loopback (as with glibc's `trust-ad`), or the user said `--trust-ad`;
- the resolver proves it validates: a query for a name known to be signed (the probe name,
  by default the root zone's DNSKEY set) comes back with AD set.

Otherwise every state is `unverified`. A SERVFAIL is told apart from a broken server by
asking again with the CD (checking disabled) bit: if the data then arrives, validation
failed and the answer is `bogus`. Extended DNS errors (RFC 8914) are reported as text
whatever their code; no decision depends on one particular code.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum

import dns.asyncquery
import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdatatype
import dns.resolver

from mailprobe.models import Nameserver
from mailprobe.net.dns import DnsStatus
from mailprobe.net.dns import ad_trusted as server_trusted

#: The default name known to be signed: the root zone (its DNSKEY set).
DEFAULT_PROBE = "."
#: Upper bound for one DNS query, whatever the overall deadline.
QUERY_TIMEOUT = 4.0


class DnssecState(StrEnum):
    """The DNSSEC status of an RRset (or of its denial), as RFC 4035 names them."""

    SECURE = "secure"
    INSECURE = "insecure"
    BOGUS = "bogus"
    UNVERIFIED = "unverified"

    @property
    def rank(self) -> int:
        """Higher is worse: secure 0, insecure 1, unverified 2, bogus 3."""
        return {"secure": 0, "insecure": 1, "unverified": 2, "bogus": 3}[self.value]


def worst_state(states: list[DnssecState]) -> DnssecState:
    """The worst of several states (secure when the list is empty)."""
    return max(states, key=lambda s: s.rank, default=DnssecState.SECURE)


@dataclass(frozen=True)
class Lookup:
    """One lookup: status, records (after any CNAME chain), DNSSEC state and reason.

    `canonical` is the name the records belong to (the CNAME target when there was one).
    For a bogus answer, `records` holds what the CD re-query returned.
    """

    name: str
    rdtype: str
    status: DnsStatus
    dnssec: DnssecState
    records: tuple[dns.rdata.Rdata, ...] = ()
    canonical: str = ""
    detail: str = ""
    ede: tuple[str, ...] = ()

    @property
    def denied(self) -> bool:
        """True for NXDOMAIN or no data (an answer saying there is nothing)."""
        return self.status in (DnsStatus.NXDOMAIN, DnsStatus.NODATA)


@dataclass(frozen=True)
class ResolverCheck:
    """Whether the resolver's AD bit is trusted and whether it validates."""

    resolver: str
    trusted: bool
    validates: bool
    probe: str
    detail: str

    @property
    def usable(self) -> bool:
        """True when AD bits decide secure/insecure (else everything is `unverified`)."""
        return self.trusted and self.validates


def _endpoint(ns: Nameserver) -> str:
    return f"[{ns.ip}]:{ns.port}" if ":" in ns.ip else f"{ns.ip}:{ns.port}"


def ad_trusted(servers: tuple[Nameserver, ...], trust_ad: bool) -> bool:
    """The AD bit counts from loopback resolvers only, unless the user said `--trust-ad`."""
    return bool(servers) and all(server_trusted(s.ip, trust_ad=trust_ad) for s in servers)


class SecureResolver:
    """Sends DO+AD queries to the configured (or system) resolvers and judges DNSSEC state.

    Construction does no I/O; the system configuration is read on first use. Identical
    lookups share one query. `check()` must run before states other than `unverified` are
    given.
    """

    def __init__(
        self,
        nameservers: tuple[Nameserver, ...] = (),
        *,
        timeout: float = QUERY_TIMEOUT,
        trust_ad: bool = False,
        probe: str = DEFAULT_PROBE,
    ) -> None:
        self._given = nameservers
        self._servers: tuple[Nameserver, ...] | None = None
        self._timeout = min(timeout, QUERY_TIMEOUT)
        self._trust_ad = trust_ad
        self._probe = probe
        self._cache: dict[tuple[str, str], asyncio.Task[Lookup]] = {}
        self._check: ResolverCheck | None = None

    def servers(self) -> tuple[Nameserver, ...]:
        """The resolvers asked (the system's from resolv.conf when none were given)."""
        if self._servers is None:
            if self._given:
                self._servers = self._given
            else:
                try:
                    system = dns.resolver.Resolver()
                    found = tuple(Nameserver(str(ip)) for ip in system.nameservers)
                except dns.exception.DNSException:
                    found = ()
                self._servers = found
        return self._servers

    async def check(self) -> ResolverCheck:
        """Decide whether AD bits can be relied on (cached)."""
        if self._check is not None:
            return self._check
        servers = self.servers()
        names = ", ".join(_endpoint(ns) for ns in servers) or "(none)"
        trusted = ad_trusted(servers, self._trust_ad)
        if not servers:
            self._check = ResolverCheck(names, False, False, self._probe, "no DNS server known")
            return self._check
        message = await self._send(self._probe, "DNSKEY", checking_disabled=False)
        if isinstance(message, str):
            validates, why = False, f"the probe query failed: {message}"
        elif message.rcode() != dns.rcode.NOERROR:
            validates = False
            why = f"the probe query for {self._probe} DNSKEY answered {_rcode(message)}"
        elif not message.flags & dns.flags.AD:
            validates = False
            why = f"the answer for the signed name {self._probe} DNSKEY lacks the AD bit"
        else:
            validates, why = True, f"{self._probe} DNSKEY came back authenticated (AD)"
        if not trusted:
            why += "; the resolver is not on loopback, so its AD bit is not trusted (--trust-ad)"
        self._check = ResolverCheck(names, trusted, validates, self._probe, why)
        return self._check

    async def query(self, name: str, rdtype: str) -> Lookup:
        """Look up `rdtype` records of `name` with their DNSSEC state."""
        key = (name.lower().rstrip(".") or ".", rdtype.upper())
        task = self._cache.get(key)
        if task is None:
            task = asyncio.ensure_future(self._query(*key))
            self._cache[key] = task
        return await asyncio.shield(task)

    async def _query(self, name: str, rdtype: str) -> Lookup:
        check = await self.check()
        message = await self._send(name, rdtype, checking_disabled=False)
        if isinstance(message, str):
            status = DnsStatus.TIMEOUT if "timed out" in message else DnsStatus.ERROR
            return Lookup(name, rdtype, status, DnssecState.UNVERIFIED, detail=message)
        ede = _ede(message)
        rcode = message.rcode()
        if rcode == dns.rcode.SERVFAIL:
            return await self._servfail(name, rdtype, ede, check)
        if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            detail = (
                f"DNS lookup of {name} {rdtype} failed: the resolver answered {_rcode(message)}"
            )
            return Lookup(
                name, rdtype, DnsStatus.ERROR, DnssecState.UNVERIFIED, (), "", detail, ede
            )
        state = DnssecState.UNVERIFIED
        if check.usable:
            state = DnssecState.SECURE if message.flags & dns.flags.AD else DnssecState.INSECURE
        return _answer(name, rdtype, message, state, ede)

    async def _servfail(
        self, name: str, rdtype: str, ede: tuple[str, ...], check: ResolverCheck
    ) -> Lookup:
        """SERVFAIL: bogus if the CD re-query gets an answer, else a lookup failure."""
        why = f" ({'; '.join(ede)})" if ede else ""
        retry = await self._send(name, rdtype, checking_disabled=True)
        if (
            check.validates
            and not isinstance(retry, str)
            and retry.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN)
        ):
            found = _answer(name, rdtype, retry, DnssecState.BOGUS, ede)
            detail = (
                f"{name} {rdtype} fails DNSSEC validation: the resolver answers SERVFAIL, "
                f"but returns the data when validation is switched off (CD){why}"
            )
            return Lookup(
                name,
                rdtype,
                found.status,
                DnssecState.BOGUS,
                found.records,
                found.canonical,
                detail,
                ede,
            )
        detail = f"DNS lookup of {name} {rdtype} failed: the resolver answered SERVFAIL{why}"
        return Lookup(name, rdtype, DnsStatus.SERVFAIL, DnssecState.UNVERIFIED, (), "", detail, ede)

    async def _send(
        self, name: str, rdtype: str, *, checking_disabled: bool
    ) -> dns.message.Message | str:
        """Ask each server in turn; the first answer counts. A str is the failure reason."""
        query = dns.message.make_query(
            dns.name.from_text(name), rdtype, use_edns=0, want_dnssec=True, payload=1232
        )
        query.flags |= dns.flags.AD
        if checking_disabled:
            query.flags |= dns.flags.CD
        reasons: list[str] = []
        for ns in self.servers():
            try:
                response, _tcp = await dns.asyncquery.udp_with_fallback(
                    query, ns.ip, timeout=self._timeout, port=ns.port
                )
            except (dns.exception.Timeout, TimeoutError):
                reasons.append(f"{_endpoint(ns)} timed out after {self._timeout:g} s")
                continue
            except (dns.exception.DNSException, OSError, ValueError) as exc:
                reasons.append(f"{_endpoint(ns)} failed ({exc})")
                continue
            return response
        if not reasons:
            return "no DNS server known"
        return f"DNS lookup of {name} {rdtype}: " + "; ".join(reasons)


def _rcode(message: dns.message.Message) -> str:
    return str(dns.rcode.to_text(message.rcode()))


def _ede(message: dns.message.Message) -> tuple[str, ...]:
    found: list[str] = []
    for option in message.options:
        if isinstance(option, dns.edns.EDEOption):
            text = f"EDE {int(option.code)}"
            if option.text:
                text += f": {option.text}"
            found.append(text)
    return tuple(found)


def _answer(
    name: str, rdtype: str, message: dns.message.Message, state: DnssecState, ede: tuple[str, ...]
) -> Lookup:
    """Records of a NOERROR/NXDOMAIN answer, following any CNAME chain in it."""
    if not isinstance(message, dns.message.QueryMessage):
        return Lookup(name, rdtype, DnsStatus.ERROR, state, detail=f"{name} {rdtype}: no answer")
    try:
        chain = message.resolve_chaining()
    except dns.exception.DNSException as exc:
        return Lookup(name, rdtype, DnsStatus.ERROR, state, detail=f"{name} {rdtype}: {exc}")
    canonical = chain.canonical_name.to_text().rstrip(".").lower()
    records = tuple(chain.answer) if chain.answer is not None else ()
    if records:
        return Lookup(name, rdtype, DnsStatus.OK, state, records, canonical, "", ede)
    if message.rcode() == dns.rcode.NXDOMAIN:
        detail = f"{canonical} does not exist (NXDOMAIN)"
        return Lookup(name, rdtype, DnsStatus.NXDOMAIN, state, (), canonical, detail, ede)
    detail = f"{canonical} has no {rdtype} records"
    return Lookup(name, rdtype, DnsStatus.NODATA, state, (), canonical, detail, ede)


def txt_strings(lookup: Lookup) -> list[str]:
    """The TXT records of a lookup, each record's strings joined (RFC 7208 §3.3)."""
    texts: list[str] = []
    for record in lookup.records:
        strings = getattr(record, "strings", None)
        if strings is not None:
            texts.append(b"".join(strings).decode("utf-8", "replace"))
    return texts
