"""Asynchronous DNS lookups with failures as data.

One `DnsClient` serves a whole run: every lookup (MX, SRV, and the A/AAAA lookups behind
HTTP fetches and probes) goes to the `--nameserver` servers when given, else to the
system's resolver configuration. NXDOMAIN and "no records" are answers; timeouts and
server failures are lookup errors; the two are kept apart in `DnsStatus`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from mailprobe.models import Cause, Nameserver, NetOptions
from mailprobe.net.dnscache import TtlCache
from mailprobe.net.ipaddr import is_ip_literal

if TYPE_CHECKING:
    # dnspython loads on the first lookup: a probe aimed at an address (--connect-to)
    # never pays for it.
    import dns.asyncresolver
    import dns.message
    import dns.rdata
    import dns.resolver


class DnsStatus(StrEnum):
    """How a lookup ended."""

    OK = "ok"
    NXDOMAIN = "nxdomain"
    NODATA = "nodata"
    SERVFAIL = "servfail"
    TIMEOUT = "timeout"
    ERROR = "error"

    @property
    def is_answer(self) -> bool:
        """True for a real answer (records, NXDOMAIN or no data), False for lookup errors."""
        return self in (DnsStatus.OK, DnsStatus.NXDOMAIN, DnsStatus.NODATA)

    @property
    def cause(self) -> Cause | None:
        """The failure cause when no address or record came back (None for OK)."""
        return _DNS_CAUSE.get(self)


_DNS_CAUSE = {
    DnsStatus.NXDOMAIN: Cause.NO_SUCH_HOST,
    DnsStatus.NODATA: Cause.NO_SUCH_HOST,
    DnsStatus.SERVFAIL: Cause.DNS_FAILED,
    DnsStatus.ERROR: Cause.DNS_FAILED,
    DnsStatus.TIMEOUT: Cause.DNS_TIMEOUT,
}


@dataclass(frozen=True)
class DnsAnswer:
    """The result of one lookup: status, records, DNSSEC AD bit, time taken, and a reason."""

    name: str
    rdtype: str
    status: DnsStatus
    records: tuple[dns.rdata.Rdata, ...] = ()
    authenticated: bool = False
    elapsed_ms: float = 0.0
    detail: str = ""


@dataclass(frozen=True)
class HostAddresses:
    """The addresses of a host name (IPv6 first, then IPv4, each in answer order)."""

    host: str
    addresses: tuple[str, ...]
    status: DnsStatus
    elapsed_ms: float
    detail: str = ""


class DnsClient:
    """Async DNS lookups aimed at the configured nameservers, with one timeout per lookup.

    Construction does no I/O; the system resolver configuration is read on first use.
    """

    def __init__(
        self,
        nameservers: Sequence[Nameserver] = (),
        timeout: float = 5.0,
        *,
        trust_ad: bool = False,
        ttl_cache_size: int | None = None,
    ) -> None:
        self._nameservers = tuple(nameservers)
        self._timeout = timeout
        self._trust_ad = trust_ad
        self._resolver: dns.asyncresolver.Resolver | None = None
        self._cache: dict[tuple[str, str], asyncio.Task[DnsAnswer]] = {}
        # One run keeps every answer for its few seconds. A long-lived client (a bulk scan)
        # keeps only lookups in flight here and answers for their TTL in a bounded cache.
        self._ttl_cache: TtlCache[tuple[str, str], DnsAnswer] | None = (
            None if ttl_cache_size is None else TtlCache(ttl_cache_size)
        )

    @property
    def nameservers(self) -> tuple[Nameserver, ...]:
        """The explicit nameservers, empty when the system configuration is used."""
        return self._nameservers

    def _get_resolver(self) -> dns.asyncresolver.Resolver:
        import dns.asyncresolver
        import dns.flags
        import dns.nameserver

        if self._resolver is None:
            if self._nameservers:
                resolver = dns.asyncresolver.Resolver(configure=False)
                resolver.nameservers = [
                    dns.nameserver.Do53Nameserver(ns.ip, ns.port) for ns in self._nameservers
                ]
            else:
                resolver = dns.asyncresolver.Resolver()
            # Ask for DNSSEC validation status (AD bit) from a validating resolver.
            resolver.use_edns(0, dns.flags.DO, 1232)
            resolver.flags = dns.flags.RD | dns.flags.AD
            resolver.lifetime = self._timeout
            resolver.timeout = min(self._timeout, 2.0)
            resolver.retry_servfail = False
            self._resolver = resolver
        return self._resolver

    async def query(self, name: str, rdtype: str) -> DnsAnswer:
        """Look up `rdtype` records of `name`; concurrent identical lookups share one query."""
        key = (name.lower().rstrip("."), rdtype.upper())
        if self._ttl_cache is not None and (kept := self._ttl_cache.get(key)) is not None:
            return kept
        task = self._cache.get(key)
        if task is None:
            task = asyncio.ensure_future(self._query(key[0], key[1]))
            self._cache[key] = task
            if self._ttl_cache is not None:
                task.add_done_callback(lambda _done: self._cache.pop(key, None))
        return await asyncio.shield(task)

    async def _query(self, name: str, rdtype: str) -> DnsAnswer:
        answer, ttl = await self._lookup(name, rdtype)
        if self._ttl_cache is not None and ttl is not None:
            self._ttl_cache.put((name, rdtype), answer, ttl)
        return answer

    async def _lookup(self, name: str, rdtype: str) -> tuple[DnsAnswer, int | None]:
        """One lookup, and how long its answer may be kept (None: not at all)."""
        import dns.exception
        import dns.flags
        import dns.resolver

        start = time.perf_counter()

        def elapsed() -> float:
            return round((time.perf_counter() - start) * 1000, 1)

        try:
            # dnspython's lifetime can overrun by a retry back-off; the outer cap makes the
            # client's timeout a hard bound for every lookup.
            async with asyncio.timeout(self._timeout):
                answer = await self._get_resolver().resolve(
                    name + ".", rdtype, search=False, raise_on_no_answer=False
                )
        except dns.resolver.NXDOMAIN as exc:
            nxdomain = DnsAnswer(
                name,
                rdtype,
                DnsStatus.NXDOMAIN,
                elapsed_ms=elapsed(),
                detail=f"{name} does not exist (NXDOMAIN)",
            )
            responses: dict[object, dns.message.Message] = exc.kwargs.get("responses") or {}
            return nxdomain, _negative_ttl(next(iter(responses.values()), None))
        except (dns.exception.Timeout, TimeoutError):
            return DnsAnswer(
                name,
                rdtype,
                DnsStatus.TIMEOUT,
                elapsed_ms=elapsed(),
                detail=f"DNS lookup of {name} {rdtype} timed out after {self._timeout:.1f} s "
                f"(no usable answer from {self._servers_text()})",
            ), None
        except dns.resolver.NoNameservers as exc:
            status, why = _server_failures(exc)
            return DnsAnswer(
                name,
                rdtype,
                status,
                elapsed_ms=elapsed(),
                detail=f"DNS lookup of {name} {rdtype} failed: {why}",
            ), None
        except (dns.exception.DNSException, OSError, ValueError) as exc:
            return DnsAnswer(
                name,
                rdtype,
                DnsStatus.ERROR,
                elapsed_ms=elapsed(),
                detail=f"DNS lookup of {name} {rdtype} failed: {_short(exc)}",
            ), None
        response = answer.response
        authenticated = bool(response.flags & dns.flags.AD) and ad_trusted(
            getattr(answer, "nameserver", None), trust_ad=self._trust_ad
        )
        records = tuple(answer.rrset) if answer.rrset is not None else ()
        if not records:
            nodata = DnsAnswer(
                name,
                rdtype,
                DnsStatus.NODATA,
                authenticated=authenticated,
                elapsed_ms=elapsed(),
                detail=f"{name} has no {rdtype} records",
            )
            return nodata, _negative_ttl(response)
        found = DnsAnswer(name, rdtype, DnsStatus.OK, records, authenticated, elapsed())
        return found, answer.rrset.ttl if answer.rrset is not None else None

    def _servers_text(self) -> str:
        if not self._nameservers:
            return "the system's DNS servers"
        return ", ".join(_endpoint(ns.ip, ns.port) for ns in self._nameservers)

    async def addresses(self, host: str) -> HostAddresses:
        """Resolve a host name to addresses (AAAA and A concurrently); IP literals pass through."""
        start = time.perf_counter()
        bare = host.strip("[]")
        if is_ip_literal(bare):
            return HostAddresses(host, (bare,), DnsStatus.OK, 0.0)
        if bare.lower().rstrip(".") == "localhost":
            return HostAddresses(host, ("127.0.0.1",), DnsStatus.OK, 0.0)
        v6, v4 = await asyncio.gather(self.query(bare, "AAAA"), self.query(bare, "A"))
        found = tuple(r.to_text() for r in v6.records) + tuple(r.to_text() for r in v4.records)
        elapsed = round((time.perf_counter() - start) * 1000, 1)
        if found:
            return HostAddresses(host, found, DnsStatus.OK, elapsed)
        # Prefer the more informative failure: a lookup error beats "no data".
        for ans in (v4, v6):
            if not ans.status.is_answer:
                return HostAddresses(host, (), ans.status, elapsed, ans.detail)
        status = (
            DnsStatus.NXDOMAIN
            if DnsStatus.NXDOMAIN in (v4.status, v6.status)
            else (DnsStatus.NODATA)
        )
        detail = (
            f"{bare} does not exist (NXDOMAIN)"
            if status is DnsStatus.NXDOMAIN
            else f"{bare} has no A or AAAA records"
        )
        return HostAddresses(host, (), status, elapsed, detail)


def ad_trusted(nameserver: str | None, *, trust_ad: bool) -> bool:
    """Whether the AD bit in an answer from `nameserver` may be believed.

    The AD bit is one unauthenticated header bit: anyone on the path between us and the
    resolver can set it. It proves something only when that path cannot be tampered
    with: a resolver on this machine (loopback), or one the user vouches for with
    `--trust-ad` (as glibc's `trust-ad` resolver option does). See docs/trust-model.md.
    """
    if trust_ad:
        return True
    if nameserver is None:
        return False
    try:
        return ipaddress.ip_address(nameserver.strip("[]")).is_loopback
    except ValueError:
        return False


def _endpoint(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _server_failures(exc: dns.resolver.NoNameservers) -> tuple[DnsStatus, str]:
    """Status and a plain reason from the per-server errors dnspython collected.

    SERVFAIL from any server makes the status SERVFAIL; a refusal, a malformed or
    truncated answer is an ERROR naming what the server did.
    """
    import dns.exception
    import dns.message

    errors = exc.kwargs.get("errors") or []
    reasons: list[str] = []
    servfail = False
    for err in errors:
        server = str(err[0]).removeprefix("Do53:")
        ip, _, port = server.rpartition("@")
        where = _endpoint(ip, int(port)) if ip and port.isdigit() else server
        problem = err[3]
        if isinstance(problem, str):
            servfail = servfail or problem == "SERVFAIL"
            what = {
                "SERVFAIL": "answered SERVFAIL (server failure)",
                "REFUSED": "refused the query (REFUSED)",
            }.get(problem, f"answered {problem}")
        elif isinstance(problem, dns.message.Truncated):
            continue  # dnspython retries over TCP; the TCP attempt's error follows
        elif isinstance(problem, dns.exception.FormError):
            what = f"sent a malformed answer ({_short(problem)})"
        else:
            what = f"failed ({_short(problem)})"
        text = f"the DNS server {where} {what}"
        if text not in reasons:
            reasons.append(text)
    if not reasons:
        return DnsStatus.ERROR, "no DNS server gave a usable answer"
    return (DnsStatus.SERVFAIL if servfail else DnsStatus.ERROR), "; ".join(reasons)


def _negative_ttl(response: dns.message.Message | None) -> int | None:
    """How long "no such name" or "no such records" may be kept (RFC 2308): the smaller
    of the SOA record's TTL and its minimum field, when the answer carries the SOA."""
    import dns.rdatatype

    if response is None:
        return None
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
            return min(int(rrset.ttl), int(next(iter(rrset)).minimum))
    return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


#: The longest one lookup may take, in every command; the run's deadline may cut it shorter.
LOOKUP_TIMEOUT = 5.0


def client_for(net: NetOptions, *, ttl_cache_size: int | None = None) -> DnsClient:
    """The DNS client of one run, by one rule for every command.

    Lookups go to `net.nameservers` (else the system's resolver); each may take at most
    `LOOKUP_TIMEOUT` seconds and never more than the run's whole `net.timeout`.
    `ttl_cache_size` keeps answers for their TTL (bulk scans).
    """
    return DnsClient(
        net.nameservers,
        timeout=min(LOOKUP_TIMEOUT, net.timeout),
        trust_ad=net.trust_ad,
        ttl_cache_size=ttl_cache_size,
    )
