"""Line-by-line reading from a server, under timeouts and with caps on what it may send.

One `recv` is never taken as one reply: every read waits for a full line (`\\n`), and
callers gather as many lines as the protocol says a reply has.

The stream is also where two security rules hold for every protocol at once:

- **STARTTLS response injection** (CVE-2011-0411 class): when the TLS handshake starts,
  no byte the server sent in plain text may still be waiting to be read, or it would be
  read later as if it had arrived over TLS. `start_tls` refuses to go on when one is
  (`StartTlsInjection`); the scripts then forget everything learned before TLS.
- **The transcript** (`--transcript`): every line sent and read, and the TLS events, go to
  an optional `Recorder`, with credentials already redacted.
"""

from __future__ import annotations

import asyncio
import ssl

from mailprobe.models import Cause
from mailprobe.net.connect import MAX_LINE, Connection
from mailprobe.net.failures import ProtocolViolation
from mailprobe.probes.replies import decode_line
from mailprobe.probes.transcript import Recorder

#: Most bytes one probe connection may receive before it is treated as abuse.
MAX_BYTES = 1024 * 1024

#: Most lines accepted for one reply (SMTP multi-line, POP3 CAPA, IMAP untagged data).
MAX_REPLY_LINES = 500

#: How much of injected plain text is quoted as evidence.
INJECTION_SAMPLE = 120


class StartTlsInjection(Exception):
    """Raised when plain text was waiting to be read as the STARTTLS handshake started.

    `size` is the number of bytes, `sample` their beginning (decoded, not yet redacted).
    The bytes are never handed to the protocol script.
    """

    def __init__(self, size: int, sample: str) -> None:
        super().__init__(f"{size} byte(s) of plain text after the STARTTLS go-ahead")
        self.size = size
        self.sample = sample


class PlaintextBeforeTls(ProtocolViolation):
    """Raised when a server spoke plain text before an implicit-TLS handshake began.

    Such a port does not expect TLS from the first byte; the bytes are never read as if
    they had arrived over TLS.
    """


def buffered(reader: asyncio.StreamReader) -> bytes:
    """The bytes `reader` holds that nobody has read yet.

    asyncio offers no public way to peek at a StreamReader's buffer; `_buffer` has been
    its bytearray since Python 3.4.
    """
    return bytes(getattr(reader, "_buffer", b""))


class LineStream:
    """Reads whole decoded lines and writes commands on one `Connection`."""

    def __init__(
        self, conn: Connection, max_bytes: int = MAX_BYTES, recorder: Recorder | None = None
    ) -> None:
        self.conn = conn
        self.received = 0
        self.recorder = recorder
        self._max_bytes = max_bytes

    def _count(self, size: int) -> None:
        self.received += size
        if self.received > self._max_bytes:
            raise ProtocolViolation(
                f"the server sent more than {self._max_bytes // 1024} KiB; giving up",
                Cause.TOO_LARGE,
            )

    def _record_server(self, text: str) -> None:
        if self.recorder is not None:
            self.recorder.server(text)

    async def read_line_or_eof(self, timeout: float) -> str | None:
        """The next line, or None if the server closed the connection cleanly before it."""
        try:
            async with asyncio.timeout(timeout):
                raw = await self.conn.reader.readuntil(b"\n")
        except asyncio.LimitOverrunError as exc:
            raise ProtocolViolation(
                f"the server sent a line longer than {MAX_LINE // 1024} KiB", Cause.TOO_LARGE
            ) from exc
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                self._count(len(exc.partial))
                self._record_server(decode_line(exc.partial) + " [connection closed mid-line]")
                raise ProtocolViolation(
                    "the server closed the connection in the middle of a line", Cause.CLOSED
                ) from exc
            if self.recorder is not None:
                self.recorder.event("the server closed the connection")
            return None
        self._count(len(raw))
        line = decode_line(raw)
        self._record_server(line)
        return line

    async def read_line(self, timeout: float) -> str:
        """The next line; a closed connection is raised as an unexpected close."""
        line = await self.read_line_or_eof(timeout)
        if line is None:
            raise asyncio.IncompleteReadError(b"", None)
        return line

    async def read_exactly(self, size: int, timeout: float) -> bytes:
        """Exactly `size` bytes (an IMAP literal), within the byte budget."""
        self._count(size)
        async with asyncio.timeout(timeout):
            data = await self.conn.reader.readexactly(size)
        self._record_server(f"{{literal of {size} bytes}} {decode_line(data)}")
        return data

    async def send(self, data: bytes, timeout: float, *, shown: str | None = None) -> None:
        """Write `data` and wait until it is handed to the network.

        `shown` is what the transcript records instead of `data` (credentials replaced);
        without it the data itself is recorded.
        """
        if self.recorder is not None:
            self.recorder.client(shown if shown is not None else decode_line(data))
        self.conn.writer.write(data)
        async with asyncio.timeout(timeout):
            await self.conn.writer.drain()

    async def start_tls(
        self, context: ssl.SSLContext, timeout: float, *, after_go_ahead: bool
    ) -> ssl.SSLObject:
        """Run the TLS handshake; `after_go_ahead` for STARTTLS, False for implicit TLS.

        Raises StartTlsInjection (STARTTLS) or PlaintextBeforeTls (implicit TLS) when the
        server's plain text is waiting to be read. The check and the switch of the
        transport to TLS happen in one step of the event loop: bytes that arrive later
        reach the TLS layer, where plain text fails the handshake.
        """
        pending = buffered(self.conn.reader)
        if pending:
            self._count(len(pending))
            sample = decode_line(pending[:INJECTION_SAMPLE])
            if self.recorder is not None:
                self.recorder.event(
                    f"{len(pending)} byte(s) of plain text were waiting before the TLS "
                    f"handshake: {sample!r}"
                )
            if after_go_ahead:
                raise StartTlsInjection(len(pending), sample)
            raise PlaintextBeforeTls(
                "the server sent plain text before the TLS handshake "
                f"({sample[:60]!r}): this port does not expect TLS from the first byte",
                Cause.NOT_TLS,
            )
        if self.recorder is not None:
            self.recorder.event("TLS handshake starts")
        try:
            await self.conn.start_tls(context, timeout)
        except Exception as exc:
            if self.recorder is not None:
                self.recorder.event(f"TLS handshake failed: {type(exc).__name__}: {exc}")
            raise
        ssl_object = self.conn.ssl_object
        if ssl_object is None:
            raise ProtocolViolation(
                "the TLS handshake ended without a TLS session", Cause.TLS_FAILED
            )
        if self.recorder is not None:
            self.recorder.event(_describe_session(ssl_object))
        return ssl_object


def _describe_session(ssl_object: ssl.SSLObject) -> str:
    """`TLSv1.3, TLS_AES_256_GCM_SHA384, certificate subject CN=...` for the transcript."""
    from mailprobe.probes.tls import cert_info

    cipher = ssl_object.cipher()
    der = ssl_object.getpeercert(binary_form=True)
    cert = cert_info(der) if der else None
    subject = cert.subject if cert is not None else "none"
    return (
        f"TLS established: {ssl_object.version() or 'unknown'}, "
        f"{cipher[0] if cipher else 'unknown cipher'}, certificate subject {subject}"
    )
