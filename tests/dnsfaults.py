"""A tiny loopback DNS server (UDP and TCP on one port) for faults a real server won't produce.

Each query name maps to a `Behaviour`: a record set to answer with (optionally with the
DNSSEC AD bit set), or a fault: SERVFAIL, REFUSED, silence, garbage bytes, an answer with
the wrong id, a truncated UDP answer that must be retried over TCP. Unknown names get
NXDOMAIN. The server runs in the test's own event loop:

    async with FaultDns({"x.test": Fault.SERVFAIL}) as server:
        client = DnsClient([server.nameserver], timeout=1.0)
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import TYPE_CHECKING, cast

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from mailprobe.address import parse_address
from mailprobe.models import DiscoveryOptions, Nameserver, NetOptions
from mailprobe.net.dns import DnsClient
from mailprobe.sources.base import SourceContext

if TYPE_CHECKING:
    from mailprobe.providers import ProviderDb


class Fault(StrEnum):
    """Misbehaviour for one query name."""

    SERVFAIL = "servfail"
    REFUSED = "refused"
    SILENT = "silent"  # never answers, over UDP or TCP
    GARBAGE = "garbage"  # random-looking bytes instead of a DNS message (UDP and TCP)
    WRONG_ID = "wrong_id"  # a well-formed answer whose id does not match the query
    TRUNCATED_GARBAGE = "truncated_garbage"  # TC bit over UDP, then garbage over TCP


@dataclass(frozen=True)
class Records:
    """An answer: `rdtype` records in zone-file text, e.g. ("0 0 993 imap.example.",).

    `authenticated` sets the AD bit (as a validating resolver would); `truncate_udp` sends
    an empty TC answer over UDP so the client must ask again over TCP.
    """

    rdtype: str
    texts: tuple[str, ...]
    authenticated: bool = False
    truncate_udp: bool = False
    ttl: int = 60


Behaviour = Fault | Records | tuple[Records, ...]

_GARBAGE = bytes(range(7, 250, 3))


def _key(name: str) -> str:
    return name.lower().rstrip(".")


class FaultDns:
    """An asyncio DNS server on 127.0.0.1 serving `rules` over UDP and TCP on one port."""

    def __init__(self, rules: Mapping[str, Behaviour], *, negative_ttl: int | None = None) -> None:
        self._rules = {_key(k): v for k, v in rules.items()}
        # With `negative_ttl`, NXDOMAIN and NODATA answers carry the zone's SOA record
        # (TTL and minimum both `negative_ttl`), as RFC 2308 asks of real servers.
        self._negative_ttl = negative_ttl
        self.port = 0
        self.queries: Counter[tuple[str, str, str]] = Counter()  # (transport, name, rdtype)
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._held: set[asyncio.StreamWriter] = set()

    @property
    def nameserver(self) -> Nameserver:
        """The server as a mailprobe `Nameserver`."""
        return Nameserver("127.0.0.1", self.port)

    async def __aenter__(self) -> FaultDns:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind UDP on a free port, then TCP on the same port (retrying if it is taken)."""
        loop = asyncio.get_running_loop()
        for _ in range(20):
            transport, _proto = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self), local_addr=("127.0.0.1", 0)
            )
            port = int(transport.get_extra_info("sockname")[1])
            try:
                self._tcp = await asyncio.start_server(self._serve_tcp, "127.0.0.1", port)
            except OSError:
                transport.close()
                continue
            self._udp = transport
            self.port = port
            return
        raise RuntimeError("no free port for UDP and TCP together")

    async def stop(self) -> None:
        """Close both listeners and every connection held open."""
        if self._udp is not None:
            self._udp.close()
        for writer in list(self._held):
            writer.close()
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()

    def answer(self, wire: bytes, transport: str) -> bytes | None:
        """The bytes to send back for one query, or None to stay silent."""
        try:
            query = dns.message.from_wire(wire)
        except Exception:
            return None
        question = query.question[0]
        name = _key(question.name.to_text())
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries[(transport, name, rdtype)] += 1
        rule = self._rules.get(name)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if rule is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return self._negative(response)
        if isinstance(rule, Fault):
            return self._fault(rule, response, transport)
        rules = rule if isinstance(rule, tuple) else (rule,)
        match = next((r for r in rules if r.rdtype.upper() == rdtype), None)
        if match is None:
            return self._negative(response)  # NODATA
        if match.authenticated:
            response.flags |= dns.flags.AD
        if match.truncate_udp and transport == "udp":
            response.flags |= dns.flags.TC
            return response.to_wire()
        response.answer.append(
            dns.rrset.from_text_list(
                question.name, match.ttl, dns.rdataclass.IN, rdtype, list(match.texts)
            )
        )
        # Over TCP a message may be up to 64 KiB, whatever EDNS size the query offered.
        return response.to_wire(max_size=65535 if transport == "tcp" else 0)

    def _negative(self, response: dns.message.Message) -> bytes:
        if self._negative_ttl is not None:
            ttl = self._negative_ttl
            soa = f"ns.test. admin.test. 1 3600 600 86400 {ttl}"
            response.authority.append(
                dns.rrset.from_text_list("test.", ttl, dns.rdataclass.IN, "SOA", [soa])
            )
        return response.to_wire()

    @staticmethod
    def _fault(fault: Fault, response: dns.message.Message, transport: str) -> bytes | None:
        if fault is Fault.SERVFAIL:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response.to_wire()
        if fault is Fault.REFUSED:
            response.set_rcode(dns.rcode.REFUSED)
            return response.to_wire()
        if fault is Fault.SILENT:
            return None
        if fault is Fault.GARBAGE:
            return _GARBAGE
        if fault is Fault.WRONG_ID:
            response.id = (response.id + 1) & 0xFFFF
            return response.to_wire()
        # TRUNCATED_GARBAGE
        if transport == "udp":
            response.flags |= dns.flags.TC
            return response.to_wire()
        # A header that promises one answer record, followed by nothing.
        return response.to_wire()[:4] + struct.pack("!HHHH", 1, 1, 0, 0) + b"\x00\x00"

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._held.add(writer)
        try:
            while True:
                header = await reader.readexactly(2)
                (length,) = struct.unpack("!H", header)
                wire = await reader.readexactly(length)
                reply = self.answer(wire, "tcp")
                if reply is None:
                    await reader.read()  # hold the connection open and silent until closed
                    return
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._held.discard(writer)
            writer.close()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: FaultDns) -> None:
        self._server = server
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        reply = self._server.answer(data, "udp")
        if reply is not None and self._transport is not None:
            self._transport.sendto(reply, addr)


def free_udp_port() -> int:
    """A loopback UDP port nobody listens on right now (for "no server at all" tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def source_context(
    address: str,
    nameservers: Sequence[Nameserver],
    *,
    timeout: float = 2.0,
    offline: bool = False,
) -> SourceContext:
    """A discovery `SourceContext` for `address` whose DNS goes to `nameservers` only."""
    net = NetOptions(nameservers=tuple(nameservers), timeout=timeout)
    options = DiscoveryOptions(net=net, offline=offline)
    return SourceContext(
        parse_address(address),
        options,
        providers=cast("ProviderDb", None),  # DNS sources never read the database
        dns=DnsClient(nameservers, timeout=timeout),
    )
