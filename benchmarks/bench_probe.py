"""Benchmark: probing one STARTTLS submission endpoint vs swaks, and connections per endpoint.

Run: `python benchmarks/bench_probe.py [--runs N]`. Uses the running bed named by
MAILPROBE_BED, or starts (and stops) one. Prints, from this one run:

- the median wall time of `swaks --server HOST:PORT -tls --quit-after EHLO`;
- the median wall time of mailprobe probing the same endpoint, measured three ways:
  a fresh Python process (`python -c` importing mailprobe and probing once: the fair
  comparison with a fresh swaks process), in-process cold (first probe, CA store loaded),
  and in-process warm;
- the ratios against swaks (the target is at most 1.0);
- TCP connections per endpoint, counted at a counting proxy in front of each real server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailprobe.models import ConnectTo, NetOptions, Protocol, Security  # noqa: E402
from mailprobe.net.dns import DnsClient  # noqa: E402
from mailprobe.probes import probe_endpoint  # noqa: E402
from testbed import Bed, BedInfo, load_bed  # noqa: E402

HOST = "smtp.mailprobe.test"

_CHILD = """
import asyncio, sys
from pathlib import Path
from mailprobe.models import ConnectTo, NetOptions
from mailprobe.net.dns import DnsClient
from mailprobe.probes import probe_endpoint
port, ca = int(sys.argv[1]), Path(sys.argv[2])
net = NetOptions(connect_to=(ConnectTo("", 587, "127.0.0.1", port),), ca_file=ca)
result = asyncio.run(probe_endpoint("smtp", "smtp.mailprobe.test", 587, "starttls",
                                    dns=DnsClient(), net=net))
sys.exit(0 if result.status == "ok" else 1)
"""


@contextmanager
def _bed() -> Iterator[BedInfo]:
    given = os.environ.get("MAILPROBE_BED")
    if given:
        yield load_bed(given)
        return
    bed = Bed()
    info = bed.start()
    try:
        yield info
    finally:
        bed.stop()


def _time_cmd(argv: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, check=False, cwd=ROOT)
        times.append((time.perf_counter() - start) * 1000)
        if done.returncode != 0:
            raise SystemExit(f"{argv[0]} failed: {done.stdout[-500:]!r} {done.stderr[-500:]!r}")
    return times


async def _in_process(bed: BedInfo, runs: int) -> list[float]:
    net = NetOptions(
        connect_to=(ConnectTo("", 587, "127.0.0.1", bed.ports["submission"]),),
        ca_file=bed.ca_file,
    )
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = await probe_endpoint(
            Protocol.SMTP, HOST, 587, Security.STARTTLS, dns=DnsClient(), net=net
        )
        times.append((time.perf_counter() - start) * 1000)
        if result.status != "ok":
            raise SystemExit(f"probe failed: {result.reason}")
    return times


class _CountingProxy:
    """Forwards TCP to a real server and counts the connections it accepts."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except OSError:
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


ENDPOINTS = [
    (Protocol.IMAP, "imap.mailprobe.test", 143, Security.STARTTLS, "imap"),
    (Protocol.IMAP, "imap.mailprobe.test", 993, Security.TLS, "imaps"),
    (Protocol.POP3, "pop.mailprobe.test", 110, Security.STARTTLS, "pop3"),
    (Protocol.POP3, "pop.mailprobe.test", 995, Security.TLS, "pop3s"),
    (Protocol.SMTP, "smtp.mailprobe.test", 587, Security.STARTTLS, "submission"),
    (Protocol.SMTP, "smtp.mailprobe.test", 465, Security.TLS, "submissions"),
    (Protocol.SMTP, "mx.mailprobe.test", 25, Security.STARTTLS, "smtp"),
]


async def _connections(bed: BedInfo) -> list[tuple[str, int, int]]:
    rows = []
    for protocol, host, port, security, service in ENDPOINTS:
        for weak in (False, True):
            proxy = _CountingProxy(bed.ports[service])
            await proxy.start()
            try:
                net = NetOptions(
                    connect_to=(ConnectTo(host, port, "127.0.0.1", proxy.port),),
                    ca_file=bed.ca_file,
                )
                result = await probe_endpoint(
                    protocol, host, port, security, dns=DnsClient(), net=net, check_weak_tls=weak
                )
                await asyncio.sleep(0.05)  # let the proxy see every accept
            finally:
                await proxy.stop()
            label = f"{protocol.value} {host}:{port} {security.value}" + (
                " +weak-tls" if weak else ""
            )
            rows.append((f"{label} [{result.status.value}]", proxy.connections, result.connections))
    return rows


def main() -> int:
    """Run the benchmark and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    swaks = shutil.which("swaks")
    if swaks is None:
        print("swaks is not installed (apt-get install swaks libnet-ssleay-perl)")
        return 1
    with _bed() as bed:
        port = bed.ports["submission"]
        swaks_ms = _time_cmd(
            [swaks, "--server", f"127.0.0.1:{port}", "-tls", "--quit-after", "EHLO"], args.runs
        )
        child_ms = _time_cmd([sys.executable, "-c", _CHILD, str(port), str(bed.ca_file)], args.runs)
        cold_ms = asyncio.run(_in_process(bed, 1))
        warm_ms = asyncio.run(_in_process(bed, args.runs))
        rows = asyncio.run(_connections(bed))
    base = statistics.median(swaks_ms)
    print(f"STARTTLS submission endpoint, median of {args.runs} runs (ms):")
    print(f"  swaks -tls --quit-after EHLO     {base:8.1f}")
    for label, times in (
        ("mailprobe, fresh process", child_ms),
        ("mailprobe, in-process cold", cold_ms),
        ("mailprobe, in-process warm", warm_ms),
    ):
        median = statistics.median(times)
        print(f"  {label:<32} {median:8.1f}   ratio {median / base:.2f}")
    print("TCP connections per endpoint (counted at a proxy in front of the server / reported):")
    worst = 0
    for label, counted, reported in rows:
        worst = max(worst, counted)
        print(f"  {label:<60} {counted} / {reported}")
    print(f"  most connections to one endpoint: {worst} (limit 2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
