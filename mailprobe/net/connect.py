"""TCP connections with `--connect-to`, DNS through `DnsClient`, TLS upgrades, and timing.

`open_connection` resolves the host (or applies a `--connect-to` rule), tries its
addresses in order, and returns a `Connection` that knows the server name to use for SNI
and certificate checks. Failures of each address attempt are kept so a probe can say
"IPv6 fails while IPv4 works".
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mailprobe.models import Cause, NetOptions
from mailprobe.net.dns import DnsClient
from mailprobe.net.failures import AttemptFailure, ConnectFailed, DnsLookupFailed, classify
from mailprobe.net.ipaddr import is_ip_literal

#: Seconds a close may wait for the peer (TLS close_notify) before the socket is dropped.
CLOSE_WAIT = 0.25

#: Upper bound for reading one line from a server; longer lines are a protocol error.
MAX_LINE = 64 * 1024


def elapsed_ms(start: float) -> float:
    """Milliseconds since `start` (a `time.perf_counter()` value), rounded to 0.1 ms."""
    return round((time.perf_counter() - start) * 1000, 1)


@dataclass
class Connection:
    """An open stream to one server address; `server_name` is used for SNI and checks."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    server_name: str
    ip: str
    port: int
    dns_ms: float | None
    connect_ms: float
    failed_attempts: tuple[AttemptFailure, ...] = ()
    tls_ms: float | None = field(default=None)
    #: Gives the connection's slot back to the scan's per-host budget (see net/budget.py).
    release: Callable[[], None] | None = field(default=None, repr=False)

    async def start_tls(self, context: ssl.SSLContext, timeout: float) -> float:
        """Upgrade to TLS (or start TLS on an implicit-TLS port); returns milliseconds taken."""
        start = time.perf_counter()
        # An IP literal is passed too: ssl then checks it against the certificate's IP SANs
        # (and sends no SNI, as RFC 6066 requires).
        async with asyncio.timeout(timeout):
            await self.writer.start_tls(context, server_hostname=self.server_name.strip("[]"))
        self.tls_ms = elapsed_ms(start)
        return self.tls_ms

    @property
    def ssl_object(self) -> ssl.SSLObject | None:
        """The TLS session once established, else None."""
        obj = self.writer.get_extra_info("ssl_object")
        return obj if isinstance(obj, ssl.SSLObject) else None

    async def close(self) -> None:
        """Close the stream, never raising and never waiting long on a stuck peer.

        A TLS close waits briefly for the peer's close_notify, then the socket is dropped.
        When the task is being cancelled (its deadline passed), the socket is dropped at
        once: the deadline leaves no time to be polite.
        """
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            self.writer.transport.abort()
            return
        try:
            self.writer.close()
            async with asyncio.timeout(CLOSE_WAIT):
                await self.writer.wait_closed()
        except (OSError, ssl.SSLError, TimeoutError):
            # The outcome is already decided; a failing close must not mask it.
            self.writer.transport.abort()
        finally:
            if self.release is not None:
                self.release()


async def resolve_route(
    host: str, port: int, dns: DnsClient, net: NetOptions
) -> tuple[tuple[str, ...], int, float | None]:
    """The addresses and port to connect to for `host:port`, and DNS milliseconds.

    Applies `--connect-to` first; raises DnsLookupFailed when the name has no address.
    """
    target_host, target_port = net.route(host, port) or (host, port)
    if is_ip_literal(target_host):
        return (target_host.strip("[]"),), target_port, None
    found = await dns.addresses(target_host)
    if not found.addresses:
        raise DnsLookupFailed(
            found.detail or f"{target_host} has no address",
            found.status.cause or Cause.NO_SUCH_HOST,
        )
    return found.addresses, target_port, found.elapsed_ms


async def open_connection(
    host: str,
    port: int,
    *,
    dns: DnsClient,
    net: NetOptions,
    connect_timeout: float,
) -> Connection:
    """Connect to `host:port`, trying each address in turn until one accepts.

    Raises ConnectFailed (carrying every attempt) when all addresses fail, and
    DnsLookupFailed when the name has no address; `failures.classify` maps both. Failures
    before a successful attempt are kept on the returned connection.
    """
    addresses, target_port, dns_ms = await resolve_route(host, port, dns, net)
    failed: list[AttemptFailure] = []
    budget = net.host_budget
    for ip in addresses:
        release = await budget.acquire(ip) if budget is not None else None
        start = time.perf_counter()
        try:
            async with asyncio.timeout(connect_timeout):
                reader, writer = await asyncio.open_connection(ip, target_port, limit=MAX_LINE)
        except (OSError, TimeoutError) as exc:
            failed.append(AttemptFailure(ip, classify(exc)))
            if release is not None:
                release()
            continue
        except BaseException:
            if release is not None:
                release()
            raise
        return Connection(
            reader=reader,
            writer=writer,
            server_name=host,
            ip=ip,
            port=target_port,
            dns_ms=dns_ms,
            connect_ms=elapsed_ms(start),
            failed_attempts=tuple(failed),
            release=release,
        )
    raise ConnectFailed(tuple(failed))
