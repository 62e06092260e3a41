"""Run a fault server (tests/faultservers.py) on its own event loop in a thread.

The command line (`mailprobe.cli.run`) starts its own event loop with asyncio.run, so a
server it talks to must live on another loop: this one runs in a daemon thread and is
stopped, and its thread joined, when the `with` block ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

from faultservers import Behaviour, FaultServer, Handler, imap_server, implicit_tls, serve
from testbed.certs import CertPair, make_leaf


@contextlib.contextmanager
def serve_in_thread(handler: Handler) -> Iterator[FaultServer]:
    """Serve `handler` on 127.0.0.1:<free port> from a background thread."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    found: list[FaultServer] = []
    stop: list[asyncio.Event] = []

    async def main() -> None:
        stop.append(asyncio.Event())
        async with serve(handler) as server:
            found.append(server)
            ready.set()
            await stop[0].wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("the fault server did not start")
    try:
        yield found[0]
    finally:
        loop.call_soon_threadsafe(stop[0].set)
        thread.join(10)
        loop.close()


def bed_signed_leaf(
    directory: Path, ca_file: Path, names: list[str], *, days: int, stem: str
) -> CertPair:
    """A leaf for `names`, valid `days` from now, signed by the bed's CA (key beside it)."""
    ca = CertPair(ca_file, ca_file.with_suffix(".key"))
    return make_leaf(directory, ca, names, stem=stem, valid_until_days=days)


def tls_imap(pair: CertPair, *, max_version: ssl.TLSVersion | None = None) -> Handler:
    """An implicit-TLS IMAP server presenting `pair`, optionally capped at `max_version`."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pair.cert, pair.key)
    if max_version is not None:
        ctx.maximum_version = max_version
    caps = ("IMAP4rev1", "AUTH=PLAIN")
    return implicit_tls(ctx, imap_server(Behaviour(caps=caps)))
