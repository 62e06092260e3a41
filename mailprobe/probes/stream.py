"""Line-by-line reading from a server, under timeouts and with caps on what it may send.

One `recv` is never taken as one reply: every read waits for a full line (`\\n`), and
callers gather as many lines as the protocol says a reply has.
"""

from __future__ import annotations

import asyncio

from mailprobe.models import Cause
from mailprobe.net.connect import MAX_LINE, Connection
from mailprobe.net.failures import ProtocolViolation
from mailprobe.probes.replies import decode_line

#: Most bytes one probe connection may receive before it is treated as abuse.
MAX_BYTES = 1024 * 1024

#: Most lines accepted for one reply (SMTP multi-line, POP3 CAPA, IMAP untagged data).
MAX_REPLY_LINES = 500


class LineStream:
    """Reads whole decoded lines and writes commands on one `Connection`."""

    def __init__(self, conn: Connection, max_bytes: int = MAX_BYTES) -> None:
        self.conn = conn
        self.received = 0
        self._max_bytes = max_bytes

    def _count(self, size: int) -> None:
        self.received += size
        if self.received > self._max_bytes:
            raise ProtocolViolation(
                f"the server sent more than {self._max_bytes // 1024} KiB; giving up",
                Cause.TOO_LARGE,
            )

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
                raise ProtocolViolation(
                    "the server closed the connection in the middle of a line", Cause.CLOSED
                ) from exc
            return None
        self._count(len(raw))
        return decode_line(raw)

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
            return await self.conn.reader.readexactly(size)

    async def send(self, data: bytes, timeout: float) -> None:
        """Write `data` and wait until it is handed to the network."""
        self.conn.writer.write(data)
        async with asyncio.timeout(timeout):
            await self.conn.writer.drain()
