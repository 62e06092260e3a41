"""STARTTLS on port 25 of one MX address: EHLO, STARTTLS, and the served chain, unverified.

The handshake accepts any certificate so that "the certificate is untrusted" is never
mistaken for "no STARTTLS"; the chain is kept and judged afterwards (`pkix` for the WebPKI,
`dane` for TLSA records). SNI is the MX host name. EHLO uses this machine's fully
qualified name, or the address literal of our end of the connection when it has none.

The full served chain comes from `SSLObject.get_unverified_chain()` (public from Python
3.13); on 3.11 and 3.12 the same method of the private `_sslobj` is used, and if neither
exists only the leaf (`getpeercert(binary_form=True)`) is available, which the result
says (`chain_complete` False) so that DANE-TA is not judged on a partial chain.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any

from mailprobe.models import NetOptions, ProbeStatus
from mailprobe.net.connect import MAX_LINE, Connection, elapsed_ms
from mailprobe.net.dns import DnsClient
from mailprobe.net.failures import ProtocolViolation, classify
from mailprobe.net.ipaddr import is_ip_literal
from mailprobe.net.tlsctx import permissive_context
from mailprobe.probes.replies import SmtpReply, SmtpReplyBuilder, decode_line, excerpt, parse_ehlo

SMTP_PORT = 25


@dataclass(frozen=True)
class TlsSession:
    """The negotiated session and the chain the server sent (DER, leaf first)."""

    version: str
    cipher: str
    chain: tuple[bytes, ...]
    chain_complete: bool


@dataclass(frozen=True)
class SmtpOutcome:
    """What port 25 of one address did."""

    status: ProbeStatus
    starttls: bool | None
    banner: str = ""
    ehlo_name: str = ""
    connected_to: str = ""
    tls: TlsSession | None = None
    detail: str = ""
    elapsed_ms: float = 0.0


def default_ehlo_name(local_ip: str) -> str:
    """This machine's FQDN, or the address literal of `local_ip` (RFC 5321 §4.1.3)."""
    name = socket.getfqdn()
    if "." in name and not name.startswith("localhost") and not is_ip_literal(name):
        return name
    return f"[IPv6:{local_ip}]" if ":" in local_ip else f"[{local_ip}]"


def served_chain(obj: ssl.SSLObject) -> tuple[tuple[bytes, ...], bool]:
    """The chain as sent by the server (leaf first) and whether it is complete."""
    getter: Any = getattr(obj, "get_unverified_chain", None)
    if getter is None:
        getter = getattr(getattr(obj, "_sslobj", None), "get_unverified_chain", None)
    if getter is not None:
        try:
            raw = getter() or []
        except (ssl.SSLError, ValueError, AttributeError):
            raw = []
        der: list[bytes] = []
        for cert in raw:
            if isinstance(cert, bytes):
                der.append(cert)
            else:
                der.append(cert.public_bytes(ssl._ssl.ENCODING_DER))  # type: ignore[attr-defined]
        if der:
            return tuple(der), True
    leaf = obj.getpeercert(binary_form=True)
    return ((leaf,) if leaf else ()), False


async def _reply(reader: asyncio.StreamReader) -> SmtpReply:
    builder = SmtpReplyBuilder()
    while not builder.done:
        raw = await reader.readline()
        if not raw:
            raise ProtocolViolation("the server closed the connection")
        builder.feed(decode_line(raw))
    return builder.reply()


async def _route(host: str, ip: str, dns: DnsClient, net: NetOptions) -> tuple[str, int]:
    """Where a connection to `ip` (an address of `host`) on port 25 really goes."""
    routed = net.route(host, SMTP_PORT)
    if routed is None:
        return ip, SMTP_PORT
    to_host, to_port = routed
    if to_host.lower().rstrip(".") == host.lower().rstrip("."):
        return ip, to_port
    if is_ip_literal(to_host):
        return to_host.strip("[]"), to_port
    found = await dns.addresses(to_host)
    if not found.addresses:
        raise ProtocolViolation(found.detail or f"{to_host} has no address")
    return found.addresses[0], to_port


async def probe_starttls(
    host: str,
    ip: str,
    *,
    dns: DnsClient,
    net: NetOptions,
    timeout: float,
    ehlo_name: str | None = None,
) -> SmtpOutcome:
    """Connect to `ip` port 25 (or its `--connect-to` target), EHLO, STARTTLS, collect."""
    start = time.perf_counter()
    target = ip
    conn: Connection | None = None
    banner = ""
    name = ehlo_name or ""
    offered: bool | None = None
    try:
        async with asyncio.timeout(timeout):
            target, port = await _route(host, ip, dns, net)
            reader, writer = await asyncio.open_connection(target, port, limit=MAX_LINE)
            conn = Connection(reader, writer, host, target, port, None, elapsed_ms(start))
            where = f"{target}:{port}" if ":" not in target else f"[{target}]:{port}"
            greeting = await _reply(reader)
            banner = excerpt(" ".join(greeting.lines), 200)
            if greeting.code != 220:
                return SmtpOutcome(
                    ProbeStatus.PROTOCOL_ERROR,
                    None,
                    banner,
                    name,
                    where,
                    detail=f"the server greets with {greeting.code} instead of 220: {banner}",
                    elapsed_ms=elapsed_ms(start),
                )
            local = writer.get_extra_info("sockname")
            name = name or default_ehlo_name(str(local[0]) if local else "127.0.0.1")
            writer.write(f"EHLO {name}\r\n".encode())
            ehlo = await _reply(reader)
            if ehlo.code != 250:
                raise ProtocolViolation(f"EHLO {name} was answered {ehlo.code} {ehlo.text}")
            offered = parse_ehlo(ehlo).starttls
            if not offered:
                writer.write(b"QUIT\r\n")
                return SmtpOutcome(
                    ProbeStatus.OK,
                    False,
                    banner,
                    name,
                    where,
                    detail="the server does not offer STARTTLS",
                    elapsed_ms=elapsed_ms(start),
                )
            writer.write(b"STARTTLS\r\n")
            answer = await _reply(reader)
            if answer.code != 220:
                raise ProtocolViolation(f"STARTTLS was answered {answer.code} {answer.text}")
            await conn.start_tls(permissive_context(), timeout)
            obj = conn.ssl_object
            if obj is None:
                raise ProtocolViolation("no TLS session after STARTTLS")
            chain, complete = served_chain(obj)
            cipher = obj.cipher()
            session = TlsSession(
                obj.version() or "unknown", cipher[0] if cipher else "unknown", chain, complete
            )
            conn.writer.write(b"QUIT\r\n")
            return SmtpOutcome(
                ProbeStatus.OK, True, banner, name, where, session, "", elapsed_ms(start)
            )
    except (OSError, TimeoutError, ssl.SSLError, ProtocolViolation, UnicodeError) as exc:
        failure = classify(exc)
        reason = failure.reason
        if isinstance(exc, TimeoutError):
            reason = f"no complete answer within {timeout:g} s"
        return SmtpOutcome(
            failure.probe_status,
            offered,
            banner,
            name,
            target,
            detail=reason,
            elapsed_ms=elapsed_ms(start),
        )
    finally:
        if conn is not None:
            await conn.close()
