"""Discovery benchmarks (issue 2), printed as ratios measured in one run.

1. Every network source slowed by a delay proxy (default 200 ms per round trip) in front of
   the bed's DNS and HTTP(S): `discover` wall time vs the slowest single source (target
   <= 1.3) and vs the same sources one after another (target >= 3x faster).
2. `mailprobe discover you@gmail.com --offline --json` whole-process time vs
   `python -c "import typer, tabulate"` (target <= 1.5).

Uses a running bed (MAILPROBE_BED=DIR) or starts and stops its own. Loopback only.

    python benchmarks/bench_discovery.py [--rtt 0.2] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bedutil import running_bed
from delayproxy import dns_delay_proxy, tcp_delay_proxy
from mailprobe.discovery import discover
from mailprobe.models import (
    ConnectTo,
    DiscoveryOptions,
    Nameserver,
    NetOptions,
    SourceId,
    SourceStatus,
)
from testbed.info import BedInfo

NETWORK_SOURCES = (
    SourceId.PROVIDER_DB,
    SourceId.AUTOCONFIG,
    SourceId.ISPDB,
    SourceId.SRV,
    SourceId.MX,
    SourceId.AUTODISCOVER,
    SourceId.GUESS,
)
ADDRESS = "alice@mailprobe.test"


async def _timed_discover(options: DiscoveryOptions) -> tuple[float, dict[SourceId, str]]:
    start = time.perf_counter()
    result = await discover(ADDRESS, options)
    elapsed = time.perf_counter() - start
    return elapsed, {o.source: str(o.status) for o in result.sources}


async def slowed_discovery(bed: BedInfo, rtt: float, runs: int) -> None:
    """Part 1: concurrency under a delay proxy."""
    async with (
        dns_delay_proxy(bed.dns.port, rtt) as dns_port,
        tcp_delay_proxy(bed.ports["https"], rtt) as https_port,
        tcp_delay_proxy(bed.ports["http"], rtt) as http_port,
    ):
        net = NetOptions(
            nameservers=(Nameserver("127.0.0.1", dns_port),),
            connect_to=(
                ConnectTo("", 443, "127.0.0.1", https_port.port),
                ConnectTo("", 80, "127.0.0.1", http_port.port),
            ),
            ca_file=bed.ca_file,
            timeout=30.0,
        )
        # --send-address so Autodiscover runs too: every network source is measured.
        base = DiscoveryOptions(net=net, ispdb_url=bed.ispdb_url, send_address=True)
        await _timed_discover(base)  # warm imports and the provider index
        all_times = []
        statuses: dict[SourceId, str] = {}
        for _ in range(runs):
            elapsed, statuses = await _timed_discover(base)
            all_times.append(elapsed)
        singles: dict[SourceId, float] = {}
        for source in NETWORK_SOURCES:
            options = DiscoveryOptions(
                net=net, ispdb_url=bed.ispdb_url, send_address=True, sources=frozenset({source})
            )
            times = [(await _timed_discover(options))[0] for _ in range(runs)]
            singles[source] = statistics.median(times)
    together = statistics.median(all_times)
    slowest_source, slowest = max(singles.items(), key=lambda kv: kv[1])
    serial = sum(singles.values())
    print(f"delay proxy: +{rtt * 1000:.0f} ms per round trip on DNS, HTTP and HTTPS")
    print(f"{'source':<14}{'status (all sources run)':<26}{'alone (median)':>16}")
    for source in NETWORK_SOURCES:
        print(f"{source:<14}{statuses.get(source, '?'):<26}{singles[source] * 1000:>13.0f} ms")
    print(f"all sources at once (median of {runs}): {together * 1000:.0f} ms")
    print(f"slowest single source ({slowest_source}): {slowest * 1000:.0f} ms")
    print(f"one after another (sum of singles): {serial * 1000:.0f} ms")
    ratio_slowest = together / slowest
    ratio_serial = serial / together
    print(
        f"RATIO all/slowest-single = {ratio_slowest:.2f}  (target <= 1.30) "
        f"{'PASS' if ratio_slowest <= 1.3 else 'FAIL'}"
    )
    print(
        f"RATIO serial/all = {ratio_serial:.2f}x faster  (target >= 3.00) "
        f"{'PASS' if ratio_serial >= 3 else 'FAIL'}"
    )
    if any(s == str(SourceStatus.TIMEOUT) for s in statuses.values()):
        print("note: a source timed out; the ratio is then bounded by the deadline")


def _median_process_time(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def startup(runs: int) -> None:
    """Part 2: whole-process time of the offline gmail lookup vs importing typer+tabulate."""
    baseline_argv = [sys.executable, "-c", "import typer, tabulate"]
    mailprobe_argv = [
        sys.executable,
        "-m",
        "mailprobe",
        "discover",
        "you@gmail.com",
        "--offline",
        "--json",
    ]
    check = subprocess.run(mailprobe_argv, capture_output=True, text=True, check=False)
    if check.returncode != 0:
        print(f"mailprobe exited {check.returncode}: {check.stderr.strip()}")
    _median_process_time(baseline_argv, 2)
    _median_process_time(mailprobe_argv, 2)
    base = _median_process_time(baseline_argv, runs)
    ours = _median_process_time(mailprobe_argv, runs)
    ratio = ours / base
    print(f"python -c 'import typer, tabulate': {base * 1000:.0f} ms (median of {runs})")
    print(f"mailprobe discover you@gmail.com --offline --json: {ours * 1000:.0f} ms")
    print(f"RATIO startup = {ratio:.2f}  (target <= 1.50) {'PASS' if ratio <= 1.5 else 'FAIL'}")


def main() -> None:
    """Run both benchmarks against a bed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt", type=float, default=0.2, help="added round trip, seconds")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-startup", action="store_true")
    args = parser.parse_args()
    with running_bed() as bed:
        asyncio.run(slowed_discovery(bed, args.rtt, args.runs))
    if not args.skip_startup:
        startup(max(args.runs, 10))


if __name__ == "__main__":
    main()
