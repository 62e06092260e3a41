"""Small asyncio servers on 127.0.0.1 for the faults real mail servers won't produce.

Each server is an async context manager yielding a `FaultServer`: it listens on a free
port (bound to port 0), counts every TCP connection it accepts, and on exit closes the
listener and every open connection. `FaultServer.route(name, port)` gives the
`--connect-to` rule that sends `name:port` to it, so probes keep a real host name for SNI
and certificate checks.

TLS is always started inside the handler (`StreamWriter.start_tls`), never by the
listener, so connections are counted even when the handshake fails.

The scripted mail servers (`imap_server`, `pop3_server`, `smtp_server`) follow a
`Behaviour`: what they greet with, which capabilities they list before and after TLS,
whether they offer STARTTLS, and how they answer a login.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID

from mailprobe.models import ConnectTo
from testbed.certs import CertPair, make_ca, make_leaf

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

#: The names fault-server certificates are issued for.
FAULT_NAMES = ["imap.fault.test", "pop.fault.test", "smtp.fault.test"]


@dataclass
class FaultServer:
    """A running fault server: where it listens and how many connections it accepted."""

    port: int
    host: str = "127.0.0.1"
    connections: int = 0

    def route(self, name: str, port: int) -> ConnectTo:
        """The connect-to rule sending `name:port` to this server."""
        return ConnectTo(name, port, self.host, self.port)


@contextlib.asynccontextmanager
async def serve(handler: Handler) -> AsyncIterator[FaultServer]:
    """Run `handler` for every connection on 127.0.0.1:<free port>."""
    tasks: set[asyncio.Task[None]] = set()
    writers: set[asyncio.StreamWriter] = set()
    info = FaultServer(port=0)

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        info.connections += 1
        writers.add(writer)
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(reader, writer)
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError, EOFError, TimeoutError):
            pass  # the client went away or the handshake failed: expected in fault tests
        except asyncio.CancelledError:
            pass  # the server is shutting down; this task is the top of its own stack
        finally:
            tasks.discard(task)
            writers.discard(writer)
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    info.port = server.sockets[0].getsockname()[1]
    try:
        yield info
    finally:
        server.close()
        for writer in list(writers):
            writer.transport.abort()
        for task in list(tasks):
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


# --------------------------------------------------------------------------- certificates


@dataclass(frozen=True)
class FaultCerts:
    """A CA and leaves for `FAULT_NAMES`.

    `incomplete` is issued by an intermediate (with an AIA caIssuers URL, like public
    CAs) and served without that intermediate; `untrusted` is issued by a CA the client
    does not trust.
    """

    ca: CertPair
    good: CertPair
    expired: CertPair
    wrong_name: CertPair
    self_signed: CertPair
    incomplete: CertPair
    untrusted: CertPair


def _reissue(pair: CertPair, issuer: CertPair, *extra: x509.ExtensionType) -> CertPair:
    """Sign `pair`'s certificate again with `issuer`'s key, adding `extra` extensions.

    `testbed.certs` makes only root CAs and leaves; this turns a root into an intermediate
    and gives a leaf its issuer URL. The certificate file is rewritten in place.
    """
    cert = x509.load_pem_x509_certificate(pair.cert.read_bytes())
    issuer_cert = x509.load_pem_x509_certificate(issuer.cert.read_bytes())
    issuer_key = serialization.load_pem_private_key(issuer.key.read_bytes(), password=None)
    assert isinstance(issuer_key, ec.EllipticCurvePrivateKey)
    builder = (
        x509.CertificateBuilder()
        .subject_name(cert.subject)
        .issuer_name(issuer_cert.subject)
        .public_key(cert.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(cert.not_valid_before_utc)
        .not_valid_after(cert.not_valid_after_utc)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    for ext in cert.extensions:
        if not isinstance(ext.value, x509.AuthorityKeyIdentifier):
            builder = builder.add_extension(ext.value, ext.critical)
    for value in extra:
        builder = builder.add_extension(value, critical=False)
    signed = builder.sign(issuer_key, hashes.SHA256())
    pair.cert.write_bytes(signed.public_bytes(serialization.Encoding.PEM))
    return pair


def make_fault_certs(directory: Path) -> FaultCerts:
    """Create the fault certificates in `directory`."""
    ca = make_ca(directory, "mailprobe fault CA")
    intermediate = _reissue(make_ca(directory / "intermediate", "mailprobe fault intermediate"), ca)
    issuer_url = x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier("http://ca.fault.test/intermediate.der"),
            )
        ]
    )
    stranger = make_ca(directory / "stranger", "a CA nobody trusts")
    return FaultCerts(
        ca=ca,
        good=make_leaf(directory, ca, FAULT_NAMES, stem="good"),
        expired=make_leaf(
            directory, ca, FAULT_NAMES, stem="expired", valid_from_days=-60, valid_until_days=-2
        ),
        wrong_name=make_leaf(directory, ca, ["other.invalid"], stem="wrongname"),
        self_signed=make_leaf(directory, None, FAULT_NAMES, stem="selfsigned"),
        incomplete=_reissue(
            make_leaf(directory, intermediate, FAULT_NAMES, stem="incomplete"),
            intermediate,
            issuer_url,
        ),
        untrusted=make_leaf(directory, stranger, FAULT_NAMES, stem="untrusted"),
    )


def server_context(pair: CertPair, *, tls10_only: bool = False) -> ssl.SSLContext:
    """A server TLS context for `pair`; `tls10_only` offers nothing but TLS 1.0."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pair.cert, pair.key)
    if tls10_only:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.set_ciphers("ALL:@SECLEVEL=0")
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1
    return ctx


# --------------------------------------------------------------------------- raw faults


async def _wait_for_eof(reader: asyncio.StreamReader) -> None:
    while await reader.read(4096):
        pass


def tarpit() -> Handler:
    """Accepts and says nothing until the client leaves."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _wait_for_eof(reader)

    return handler


def garbage() -> Handler:
    """Greets with bytes that belong to no protocol."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"\x00\x01\xfe\xffZZZ not a mail server \x07\r\n")
        await writer.drain()
        await _wait_for_eof(reader)

    return handler


def http_server() -> Handler:
    """An HTTP server that answers at once (as some do to an idle client)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        await _wait_for_eof(reader)

    return handler


def reset_after_connect() -> Handler:
    """Accepts, then resets the connection (RST) without a word."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    return handler


def accept_and_close() -> Handler:
    """Accepts and closes cleanly at once (how some servers rate-limit)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    return handler


def smtp_421() -> Handler:
    """An SMTP server that is 'too busy': greets with 421 and closes."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"421 4.7.0 smtp.fault.test Too many connections from your IP\r\n")
        await writer.drain()

    return handler


def smtp_554() -> Handler:
    """An SMTP server that refuses this client in its greeting (block list)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"554 5.7.1 smtp.fault.test Service unavailable; client blocked\r\n")
        await writer.drain()
        await _wait_for_eof(reader)

    return handler


def implicit_tls(ctx: ssl.SSLContext, inner: Handler) -> Handler:
    """Wrap `inner` so the connection starts with a TLS handshake (port 993/995/465 style)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(5):
                await writer.start_tls(ctx)
        except (ssl.SSLError, OSError, TimeoutError):
            # Give the client time to read the alert before the connection goes away.
            await asyncio.sleep(0.2)
            return
        await inner(reader, writer)

    return handler


# --------------------------------------------------------------------------- scripted servers


@dataclass(frozen=True)
class Behaviour:
    """How a scripted mail server behaves.

    `login_reply` is the answer to a login attempt (for IMAP without the tag, e.g.
    `NO [AUTHENTICATIONFAILED] nope`); None accepts. `echo_login` appends what the client
    sent to the reply, like a careless server echoing the password.
    """

    greeting: str | None = None
    greeting_delay: float = 0.0
    caps: tuple[str, ...] = ()
    caps_tls: tuple[str, ...] | None = None
    starttls: ssl.SSLContext | None = None
    login_reply: str | None = None
    echo_login: bool = False
    mail_reply: str = "250 2.1.0 Ok"


async def _line(reader: asyncio.StreamReader) -> str | None:
    raw = await reader.readline()
    if not raw:
        return None
    return raw.decode("utf-8", "replace").rstrip("\r\n")


def _send(writer: asyncio.StreamWriter, *lines: str) -> None:
    for line in lines:
        writer.write(line.encode() + b"\r\n")


def imap_server(b: Behaviour) -> Handler:
    """A scripted IMAP server."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(b.greeting_delay)
        tls = writer.get_extra_info("ssl_object") is not None
        _send(writer, b.greeting or "* OK fault IMAP ready")
        while (line := await _line(reader)) is not None:
            tag, _, rest = line.partition(" ")
            command = rest.split(" ", 1)[0].upper()
            caps = (b.caps_tls if tls and b.caps_tls is not None else b.caps) or ("IMAP4rev1",)
            if command == "CAPABILITY":
                _send(writer, "* CAPABILITY " + " ".join(caps), f"{tag} OK done")
            elif command == "STARTTLS" and b.starttls is not None and not tls:
                _send(writer, f"{tag} OK begin TLS")
                await writer.drain()
                await writer.start_tls(b.starttls)
                tls = True
            elif command in ("LOGIN", "AUTHENTICATE"):
                sent = rest
                if command == "AUTHENTICATE" and len(rest.split()) == 2:
                    _send(writer, "+ ")
                    await writer.drain()
                    sent = await _line(reader) or ""
                reply = b.login_reply or "OK logged in"
                if b.echo_login:
                    reply += f" (you sent {sent})"
                *untagged, last = reply.split("\n")
                _send(writer, *untagged, f"{tag} {last}")
            elif command == "LOGOUT":
                _send(writer, "* BYE bye", f"{tag} OK bye")
                await writer.drain()
                return
            else:
                _send(writer, f"{tag} BAD unknown command")
            await writer.drain()

    return handler


def pop3_server(b: Behaviour) -> Handler:
    """A scripted POP3 server."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(b.greeting_delay)
        tls = writer.get_extra_info("ssl_object") is not None
        _send(writer, b.greeting or "+OK fault POP3 ready")
        while (line := await _line(reader)) is not None:
            command = line.split(" ", 1)[0].upper()
            caps = b.caps_tls if tls and b.caps_tls is not None else b.caps
            if command == "CAPA":
                _send(writer, "+OK capabilities", *caps, ".")
            elif command == "STLS" and b.starttls is not None and not tls:
                _send(writer, "+OK begin TLS")
                await writer.drain()
                await writer.start_tls(b.starttls)
                tls = True
            elif command == "USER":
                _send(writer, "+OK send PASS")
            elif command in ("PASS", "AUTH"):
                sent = line
                if command == "AUTH":
                    _send(writer, "+ ")
                    await writer.drain()
                    sent = await _line(reader) or ""
                reply = b.login_reply or "+OK logged in"
                if b.echo_login:
                    reply += f" (you sent {sent})"
                _send(writer, *reply.split("\n"))
            elif command == "QUIT":
                _send(writer, "+OK bye")
                await writer.drain()
                return
            else:
                _send(writer, "-ERR unknown command")
            await writer.drain()

    return handler


def smtp_server(b: Behaviour) -> Handler:
    """A scripted SMTP server (EHLO keywords come from `caps`)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(b.greeting_delay)
        tls = writer.get_extra_info("ssl_object") is not None
        _send(writer, *(b.greeting or "220 smtp.fault.test ESMTP fault").split("\n"))
        while (line := await _line(reader)) is not None:
            command = line.split(" ", 1)[0].upper()
            caps = b.caps_tls if tls and b.caps_tls is not None else b.caps
            if command == "EHLO":
                lines = ["smtp.fault.test hello", *caps]
                _send(writer, *[f"250-{x}" for x in lines[:-1]], f"250 {lines[-1]}")
            elif command == "HELO":
                _send(writer, "250 smtp.fault.test")
            elif command == "STARTTLS" and b.starttls is not None and not tls:
                _send(writer, "220 2.0.0 Ready to start TLS")
                await writer.drain()
                await writer.start_tls(b.starttls)
                tls = True
            elif command == "AUTH":
                sent = line
                if line.upper().startswith("AUTH LOGIN"):
                    _send(writer, "334 VXNlcm5hbWU6")
                    await writer.drain()
                    await _line(reader)
                    _send(writer, "334 UGFzc3dvcmQ6")
                    await writer.drain()
                    sent = await _line(reader) or ""
                reply = b.login_reply or "235 2.7.0 Authentication successful"
                if b.echo_login:
                    reply += f" (you sent {sent})"
                _send(writer, *reply.split("\n"))
            elif command == "MAIL":
                _send(writer, b.mail_reply)
            elif command == "RSET":
                _send(writer, "250 2.0.0 Ok")
            elif command == "QUIT":
                _send(writer, "221 2.0.0 Bye")
                await writer.drain()
                return
            else:
                _send(writer, "502 5.5.2 unknown command")
            await writer.drain()

    return handler


# --------------------------------------------------------------------------- evidence faults
# Servers that tempt a prober into claims it has no evidence for: an HTTP server that
# answers a TLS ClientHello with `HTTP/1.1 400`, a greeting that never ends, a TLS
# handshake that stalls.


def answers_first_bytes(reply: bytes, *, keep_open: bool = False) -> Handler:
    """Says nothing until the client sends something, then answers `reply` (and closes).

    With `reply` an HTTP status line this is a web server on a mail port: silent to a
    mail client waiting for a greeting, `HTTP/1.1 400` to a TLS ClientHello.
    """

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not await reader.read(4096):
            return
        writer.write(reply)
        await writer.drain()
        if keep_open:
            await _wait_for_eof(reader)

    return handler


HTTP_400 = (
    b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\n"
    b"Content-Length: 0\r\nConnection: close\r\n\r\n"
)


def answer_then_hang_up(reply: bytes) -> Handler:
    """Answers the first bytes with `reply` on the first connection; closes every later one
    at once, so a second connection learns nothing."""
    seen = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal seen
        seen += 1
        if seen > 1:
            return
        if await reader.read(4096):
            writer.write(reply)
            await writer.drain()

    return handler


def endless_smtp_greeting(interval: float, *, lines: int | None = None, burst: int = 1) -> Handler:
    """Sends `220-` continuation lines (`burst` at a time, every `interval` s) and never the
    final `220 ` line; after `lines` lines (if given) it falls silent but stays connected."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sent = 0
        while lines is None or sent < lines:
            for _ in range(burst):
                writer.write(f"220-smtp.fault.test greeting line {sent}\r\n".encode())
                sent += 1
            await writer.drain()
            await asyncio.sleep(interval)
        await _wait_for_eof(reader)

    return handler


def stalled_tls(how: str) -> Handler:
    """A TLS port whose handshake never completes.

    `how`: "silent" reads the ClientHello and says nothing; "half_record" answers with
    the header of a TLS handshake record whose body never comes; "no_read" never even
    reads.
    """

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if how == "no_read":
            await asyncio.sleep(3600)
        await reader.read(4096)
        if how == "half_record":
            writer.write(b"\x16\x03\x03\x10\x00\x02\x00")  # 4 KiB promised, 2 bytes sent
            await writer.drain()
        await _wait_for_eof(reader)

    return handler


def imap_starttls_then_stall() -> Handler:
    """An IMAP server that says OK to STARTTLS and then never answers the ClientHello."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _send(writer, "* OK [CAPABILITY IMAP4rev1 STARTTLS] fault IMAP ready")
        await writer.drain()
        while (line := await _line(reader)) is not None:
            tag, _, rest = line.partition(" ")
            command = rest.split(" ", 1)[0].upper()
            if command == "CAPABILITY":
                _send(writer, "* CAPABILITY IMAP4rev1 STARTTLS", f"{tag} OK done")
            elif command == "STARTTLS":
                _send(writer, f"{tag} OK begin TLS")
                await writer.drain()
                await _wait_for_eof(reader)
                return
            else:
                _send(writer, f"{tag} BAD unknown command")
            await writer.drain()

    return handler
