"""STARTTLS response injection (CVE-2011-0411 class) for SMTP, IMAP and POP3.

Each fault server sends extra plain text with its STARTTLS go-ahead, the way a man in the
middle would: spoofed after-TLS capabilities (SMTP), a spoofed tagged OK to the login
(IMAP), a spoofed +OK (POP3). The real answers after TLS refuse the login, so a probe that
believed the injected text would report a working login. Variants: in the same packet as
the go-ahead, written separately right after it, a partial line, and sent a moment later
(when it reaches the TLS layer instead and must fail the handshake).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from faultservers import FaultCerts, Handler, make_fault_certs, serve, server_context
from mailprobe.diagnose import diagnose_probe
from mailprobe.models import (
    Candidate,
    LoginStatus,
    NetOptions,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Provenance,
    Security,
    ServerSetting,
    SourceId,
)
from mailprobe.net.connect import Connection
from mailprobe.net.dns import DnsClient
from mailprobe.probes import Credentials, ProbeTimeouts, probe_endpoint
from mailprobe.probes.stream import LineStream, PlaintextBeforeTls, StartTlsInjection

FAST = ProbeTimeouts(connect=2.0, greeting=2.0, tls=2.0, command=2.0, total=10.0)
CREDS = Credentials("alice@fault.test", "wrong-password")


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> FaultCerts:
    return make_fault_certs(tmp_path_factory.mktemp("injectcerts"))


@dataclass
class Seen:
    """What the fault server received: every command word, and any credential line."""

    commands: list[str] = field(default_factory=list)
    credentials: int = 0


#: How the injected bytes travel: "packet" (one write with the go-ahead), "separate"
#: (a second write right after it), "partial" (a line without its end), "late" (after a
#: pause, so it reaches the client's TLS layer).
VARIANTS = ("packet", "separate", "partial", "late")


async def _go_ahead(
    writer: asyncio.StreamWriter, ok: bytes, injected: bytes, variant: str, ctx: ssl.SSLContext
) -> None:
    if variant == "packet":
        writer.write(ok + injected)
    elif variant == "separate":
        writer.write(ok)
        await writer.drain()
        writer.write(injected)
    elif variant == "partial":
        writer.write(ok + injected.rstrip(b"\r\n")[:-3])
    else:
        writer.write(ok)
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(injected)
    await writer.drain()
    await writer.start_tls(ctx)


async def _lines(reader: asyncio.StreamReader) -> str | None:
    raw = await reader.readline()
    return raw.decode("utf-8", "replace").rstrip("\r\n") if raw else None


def smtp_injector(ctx: ssl.SSLContext, variant: str, seen: Seen, inject: bool = True) -> Handler:
    """STARTTLS on 587; before TLS no AUTH; after TLS AUTH PLAIN that refuses everyone."""
    injected = b"250-smtp.fault.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n235 2.7.0 ok\r\n"

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tls = False
        writer.write(b"220 smtp.fault.test ESMTP\r\n")
        await writer.drain()
        while (line := await _lines(reader)) is not None:
            word = line.split(" ", 1)[0].upper()
            seen.commands.append(word)
            if word == "EHLO":
                caps = b"250 AUTH PLAIN\r\n" if tls else b"250 STARTTLS\r\n"
                writer.write(b"250-smtp.fault.test\r\n" + caps)
            elif word == "STARTTLS" and not tls:
                ok = b"220 2.0.0 Ready to start TLS\r\n"
                await _go_ahead(writer, ok, injected if inject else b"", variant, ctx)
                tls = True
                continue
            elif word == "AUTH":
                seen.credentials += 1
                writer.write(b"535 5.7.8 Authentication credentials invalid\r\n")
            elif word == "QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                return
            else:
                writer.write(b"502 unknown\r\n")
            await writer.drain()

    return handler


def imap_injector(ctx: ssl.SSLContext, variant: str, seen: Seen, inject: bool = True) -> Handler:
    """STARTTLS on 143; the injected text answers the client's next tags with OK."""
    injected = (
        b"* CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN\r\nmp3 OK done\r\n"
        b"mp4 OK [CAPABILITY IMAP4rev1] Logged in\r\n"
    )

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tls = False
        writer.write(b"* OK fault IMAP ready\r\n")
        await writer.drain()
        while (line := await _lines(reader)) is not None:
            tag, _, rest = line.partition(" ")
            word = rest.split(" ", 1)[0].upper()
            seen.commands.append(word)
            if word == "CAPABILITY":
                caps = "IMAP4rev1 SASL-IR AUTH=PLAIN" if tls else "IMAP4rev1 STARTTLS"
                writer.write(f"* CAPABILITY {caps}\r\n{tag} OK done\r\n".encode())
            elif word == "STARTTLS" and not tls:
                ok = f"{tag} OK begin TLS\r\n".encode()
                await _go_ahead(writer, ok, injected if inject else b"", variant, ctx)
                tls = True
                continue
            elif word in ("LOGIN", "AUTHENTICATE"):
                seen.credentials += 1
                writer.write(f"{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n".encode())
            elif word == "LOGOUT":
                writer.write(f"* BYE\r\n{tag} OK bye\r\n".encode())
                await writer.drain()
                return
            else:
                writer.write(f"{tag} BAD unknown\r\n".encode())
            await writer.drain()

    return handler


def pop3_injector(ctx: ssl.SSLContext, variant: str, seen: Seen, inject: bool = True) -> Handler:
    """STLS on 110; the injected text answers CAPA, USER and PASS with +OK."""
    injected = b"+OK capa\r\nUSER\r\n.\r\n+OK send PASS\r\n+OK logged in\r\n"

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tls = False
        writer.write(b"+OK fault POP3 ready\r\n")
        await writer.drain()
        while (line := await _lines(reader)) is not None:
            word = line.split(" ", 1)[0].upper()
            seen.commands.append(word)
            if word == "CAPA":
                writer.write(b"+OK\r\nUSER\r\n" + (b"" if tls else b"STLS\r\n") + b".\r\n")
            elif word == "STLS" and not tls:
                await _go_ahead(
                    writer, b"+OK begin TLS\r\n", injected if inject else b"", variant, ctx
                )
                tls = True
                continue
            elif word == "USER":
                writer.write(b"+OK send PASS\r\n")
            elif word in ("PASS", "AUTH"):
                seen.credentials += 1
                writer.write(b"-ERR [AUTH] Authentication failed.\r\n")
            elif word == "QUIT":
                writer.write(b"+OK bye\r\n")
                await writer.drain()
                return
            else:
                writer.write(b"-ERR unknown\r\n")
            await writer.drain()

    return handler


_SERVERS: dict[Protocol, tuple[Callable[..., Handler], str, int]] = {
    Protocol.SMTP: (smtp_injector, "smtp.fault.test", 587),
    Protocol.IMAP: (imap_injector, "imap.fault.test", 143),
    Protocol.POP3: (pop3_injector, "pop.fault.test", 110),
}


async def _run(
    certs: FaultCerts, protocol: Protocol, variant: str, *, inject: bool = True
) -> tuple[ProbeResult, Seen]:
    factory, host, port = _SERVERS[protocol]
    seen = Seen()
    async with serve(factory(server_context(certs.good), variant, seen, inject)) as server:
        result = await probe_endpoint(
            protocol,
            host,
            port,
            Security.STARTTLS,
            dns=DnsClient(),
            net=NetOptions(connect_to=(server.route(host, port),), ca_file=certs.ca.cert),
            timeouts=FAST,
            credentials=CREDS,
            transcript=True,
        )
    return result, seen


def _candidate(protocol: Protocol) -> Candidate:
    _factory, host, port = _SERVERS[protocol]
    setting = ServerSetting(protocol, host, port, Security.STARTTLS)
    return Candidate(setting, (Provenance(SourceId.USER, host, trusted=True),))


@pytest.mark.parametrize("protocol", list(_SERVERS))
async def test_without_injection_the_login_is_refused(
    certs: FaultCerts, protocol: Protocol
) -> None:
    """The control: the real server behind TLS refuses the password."""
    result, seen = await _run(certs, protocol, "packet", inject=False)
    assert result.starttls_injection is None
    assert result.tls is not None
    assert result.login is not None
    assert result.login.status is LoginStatus.WRONG_CREDENTIALS
    assert seen.credentials == 1


@pytest.mark.parametrize("variant", ["packet", "separate", "partial"])
@pytest.mark.parametrize("protocol", list(_SERVERS))
async def test_buffered_plaintext_ends_the_probe_as_injection(
    certs: FaultCerts, protocol: Protocol, variant: str
) -> None:
    result, seen = await _run(certs, protocol, variant)
    assert result.status is ProbeStatus.TLS_ERROR
    assert result.starttls_injection is not None
    assert result.starttls_injection > 0
    assert "injection" in result.reason
    assert result.login is None or result.login.status is LoginStatus.NOT_ATTEMPTED
    assert seen.credentials == 0  # the password never left
    assert result.tls is None  # nothing after the go-ahead was trusted
    assert not result.capabilities_after_tls
    findings = diagnose_probe(_candidate(protocol), result)
    ids = [f.id for f in findings]
    assert "starttls.injection" in ids
    injection = next(f for f in findings if f.id == "starttls.injection")
    assert injection.severity == "error"
    assert "tls.handshake_failed" not in ids
    assert result.transcript is not None
    assert any("plain text were waiting" in e.text for e in result.transcript)


@pytest.mark.parametrize("protocol", list(_SERVERS))
async def test_plaintext_after_the_go_ahead_never_counts_as_tls(
    certs: FaultCerts, protocol: Protocol
) -> None:
    """Sent a moment later, the text reaches the TLS layer: the handshake fails."""
    result, seen = await _run(certs, protocol, "late")
    assert result.status is ProbeStatus.TLS_ERROR
    assert result.login is None or result.login.status is not LoginStatus.OK
    assert seen.credentials == 0
    assert not result.capabilities_after_tls


@pytest.mark.parametrize("protocol", list(_SERVERS))
async def test_capabilities_before_tls_are_forgotten(certs: FaultCerts, protocol: Protocol) -> None:
    """After TLS the script asks again; only the answers from inside TLS count."""
    result, _seen = await _run(certs, protocol, "packet", inject=False)
    before = " ".join(result.capabilities_before_tls).upper()
    after = " ".join(result.capabilities_after_tls).upper()
    assert "STARTTLS" in before or "STLS" in before
    assert "STARTTLS" not in after
    assert "STLS" not in after
    assert result.transcript is not None
    sent = [e.text.split(" ")[-1].upper() for e in result.transcript if e.dir == "client"]
    wanted = {Protocol.SMTP: "EHLO", Protocol.IMAP: "CAPABILITY", Protocol.POP3: "CAPA"}[protocol]
    # asked once in plain text and once more inside TLS
    assert sum(1 for e in result.transcript if e.dir == "client" and wanted in e.text) == 2, sent


def _connection_with(data: bytes) -> Connection:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    return Connection(
        reader=reader,
        writer=None,  # type: ignore[arg-type]  # never reached: the check comes first
        server_name="imap.fault.test",
        ip="127.0.0.1",
        port=143,
        dns_ms=None,
        connect_ms=0.0,
    )


async def test_stream_refuses_a_handshake_with_bytes_waiting() -> None:
    ctx = ssl.create_default_context()
    with pytest.raises(StartTlsInjection) as caught:
        await LineStream(_connection_with(b"a2 OK spoofed\r\n")).start_tls(
            ctx, 1.0, after_go_ahead=True
        )
    assert caught.value.size == 15
    assert "spoofed" in caught.value.sample
    with pytest.raises(PlaintextBeforeTls):
        await LineStream(_connection_with(b"* OK plain\r\n")).start_tls(
            ctx, 1.0, after_go_ahead=False
        )
