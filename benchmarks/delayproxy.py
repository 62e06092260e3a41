"""Loopback TCP and UDP proxies that add a fixed delay to every round trip (benchmarks only).

Each chunk or datagram is held for half the round-trip delay in each direction, keeping
order, so a request/response exchange costs one extra `rtt`. Both listen on 127.0.0.1 and
forward only to a loopback upstream.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast


def _require_loopback(host: str) -> None:
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"delay proxies only forward to loopback, not {host}")


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def sender() -> None:
        while True:
            due, data = await queue.get()
            if not data:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()

    task = asyncio.create_task(sender())
    try:
        while True:
            data = await reader.read(65536)
            await queue.put((time.monotonic() + delay, data))
            if not data:
                break
        await task
    except (ConnectionError, OSError):
        task.cancel()
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@dataclass
class Proxy:
    """A running proxy: where it listens and how many connections it accepted."""

    port: int
    connections: int = 0


@contextlib.asynccontextmanager
async def tcp_delay_proxy(
    upstream_port: int, rtt: float, upstream_host: str = "127.0.0.1"
) -> AsyncIterator[Proxy]:
    """Serve on a free 127.0.0.1 port and forward to the upstream with `rtt` added.

    The yielded `Proxy` counts accepted connections (connections per endpoint, counted
    on the server side of the client).
    """
    _require_loopback(upstream_host)
    proxy = Proxy(0)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        proxy.connections += 1
        await asyncio.sleep(rtt)  # the TCP handshake is a round trip too
        try:
            up_reader, up_writer = await asyncio.open_connection(upstream_host, upstream_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pump(reader, up_writer, rtt / 2), _pump(up_reader, writer, rtt / 2))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    proxy.port = server.sockets[0].getsockname()[1]
    try:
        yield proxy
    finally:
        server.close()
        await server.wait_closed()


class _UdpRelay(asyncio.DatagramProtocol):
    def __init__(self, upstream: tuple[str, int], delay: float) -> None:
        self.upstream = upstream
        self.delay = delay
        self.transport: asyncio.DatagramTransport | None = None
        self.clients: dict[tuple[str, int], asyncio.DatagramTransport] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        asyncio.get_running_loop().call_later(
            self.delay, lambda: asyncio.ensure_future(self._forward(data, addr))
        )

    async def _forward(self, data: bytes, addr: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        upstream = self.clients.get(addr)
        if upstream is None:
            relay = self

            class Back(asyncio.DatagramProtocol):
                def datagram_received(self, reply: bytes, _src: tuple[str, int]) -> None:
                    def send() -> None:
                        if relay.transport is not None:
                            relay.transport.sendto(reply, addr)

                    loop.call_later(relay.delay, send)

            upstream, _ = await loop.create_datagram_endpoint(Back, remote_addr=self.upstream)
            self.clients[addr] = upstream
        upstream.sendto(data)

    def close(self) -> None:
        for t in self.clients.values():
            t.close()


@contextlib.asynccontextmanager
async def dns_delay_proxy(
    upstream_port: int, rtt: float, upstream_host: str = "127.0.0.1"
) -> AsyncIterator[int]:
    """UDP and TCP on the same free 127.0.0.1 port (yielded), each adding `rtt` to the NSD."""
    _require_loopback(upstream_host)
    loop = asyncio.get_running_loop()
    async with tcp_delay_proxy(upstream_port, rtt, upstream_host) as probe_port:
        tcp_port = probe_port.port  # a port free for TCP; UDP and TCP are bound on it below
    relay = _UdpRelay((upstream_host, upstream_port), rtt / 2)
    transport, _ = await loop.create_datagram_endpoint(
        lambda: relay, local_addr=("127.0.0.1", tcp_port)
    )
    port = transport.get_extra_info("sockname")[1]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(rtt)
        up_reader, up_writer = await asyncio.open_connection(upstream_host, upstream_port)
        await asyncio.gather(_pump(reader, up_writer, rtt / 2), _pump(up_reader, writer, rtt / 2))

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    try:
        yield port
    finally:
        server.close()
        await server.wait_closed()
        relay.close()
        transport.close()
