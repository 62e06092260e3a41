"""Full-check benchmarks (issue 3), printed as ratios and counts measured in one run.

1. `mailprobe check alice@mailprobe.test` against the bed (IMAP, POP3, SMTP, every
   candidate, whole process) vs `sslyze --starttls smtp --certinfo` on ONE endpoint
   (target <= 1.0).
2. The same check behind a delay proxy adding 50 ms to every round trip of DNS, HTTP(S)
   and every mail port (target: finishes within 1.5 s), with TCP connections counted at
   the proxy in front of each mail endpoint (target: at most 2 per endpoint).

Uses a running bed (MAILPROBE_BED=DIR) or starts and stops its own. Loopback only.

    python benchmarks/bench_check.py [--runs 5] [--rtt 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bedutil import REPO, running_bed
from delayproxy import Proxy, dns_delay_proxy, tcp_delay_proxy
from testbed.info import BedInfo

ADDRESS = "alice@mailprobe.test"
MAIL_SERVICES = ("imap", "imaps", "pop3", "pop3s", "submission", "submissions", "smtp")


def _check_argv(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "mailprobe", "check", ADDRESS, "--json", *args]


def _timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, check=False)
    return time.perf_counter() - start, proc


def versus_sslyze(bed: BedInfo, runs: int) -> None:
    """Part 1: whole-process wall time, medians of `runs`."""
    sslyze = shutil.which("sslyze")
    if sslyze is None:
        print("sslyze is not installed (pip install sslyze): part 1 skipped")
        return
    target = f"smtp.mailprobe.test:{bed.ports['submission']}{{127.0.0.1}}"
    sslyze_argv = [sslyze, "--starttls", "smtp", "--certinfo", target]
    ours_argv = _check_argv(bed.cli_args())
    _timed(ours_argv)
    _timed(sslyze_argv)
    ours, theirs = [], []
    for _ in range(runs):
        elapsed, proc = _timed(ours_argv)
        ours.append(elapsed)
        elapsed_s, proc_s = _timed(sslyze_argv)
        theirs.append(elapsed_s)
    doc = json.loads(proc.stdout)
    probed = sum(1 for c in doc["candidates"] if c["probe"])
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(
        f"mailprobe check (all {probed} endpoints, discovery included): "
        f"{statistics.median(ours) * 1000:.0f} ms (median of {runs})"
    )
    print(
        f"sslyze --starttls smtp --certinfo (1 endpoint): "
        f"{statistics.median(theirs) * 1000:.0f} ms (exit {proc_s.returncode})"
    )
    print(f"RATIO check/sslyze = {ratio:.2f}  (target <= 1.00) {'PASS' if ratio <= 1 else 'FAIL'}")


async def _run_cli(argv: list[str]) -> tuple[float, str, int]:
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, cwd=REPO
    )
    out, _ = await proc.communicate()
    return time.perf_counter() - start, out.decode(), proc.returncode or 0


async def behind_delay(bed: BedInfo, rtt: float, runs: int) -> None:
    """Part 2: the check behind a delay proxy on every channel, with connection counts."""
    async with contextlib.AsyncExitStack() as stack:
        dns_port = await stack.enter_async_context(dns_delay_proxy(bed.dns.port, rtt))
        proxies: dict[str, Proxy] = {}
        for service in (*MAIL_SERVICES, "http", "https"):
            proxies[service] = await stack.enter_async_context(
                tcp_delay_proxy(bed.ports[service], rtt)
            )
        args = [
            "--nameserver",
            f"127.0.0.1:{dns_port}",
            "--ca-file",
            str(bed.ca_file),
            "--ispdb-url",
            bed.ispdb_url,
        ]
        for service, proxy in proxies.items():
            args += ["--connect-to", f":{bed.standard_ports[service]}:127.0.0.1:{proxy.port}"]
        argv = _check_argv(args)
        await _run_cli(argv)  # warm the file cache
        times = []
        counts: list[dict[str, int]] = []
        doc: dict[str, Any] = {}
        for _ in range(runs):
            before = {s: p.connections for s, p in proxies.items()}
            elapsed, out, _code = await _run_cli(argv)
            times.append(elapsed)
            counts.append({s: proxies[s].connections - before[s] for s in MAIL_SERVICES})
            doc = json.loads(out)
    median = statistics.median(times)
    print(f"delay proxy: +{rtt * 1000:.0f} ms per round trip on DNS, HTTP(S) and mail ports")
    print(
        f"full check, whole process: median {median * 1000:.0f} ms, max "
        f"{max(times) * 1000:.0f} ms over {runs} runs  (target <= 1500 ms) "
        f"{'PASS' if median <= 1.5 else 'FAIL'}"
    )
    worst = {s: max(c[s] for c in counts) for s in MAIL_SERVICES}
    print(
        "TCP connections per endpoint, counted at the proxy (max over runs): "
        + ", ".join(f"{s} {n}" for s, n in worst.items())
    )
    print(
        f"max connections to one endpoint = {max(worst.values())}  (target <= 2) "
        f"{'PASS' if max(worst.values()) <= 2 else 'FAIL'}"
    )
    statuses = [
        f"{c['protocol']} {c['port']} {c['probe']['status']}" for c in doc.get("candidates", [])
    ]
    print("last run's probes: " + "; ".join(statuses))


def main() -> None:
    """Run both parts against a bed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rtt", type=float, default=0.05, help="added round trip, seconds")
    args = parser.parse_args()
    with running_bed() as bed:
        versus_sslyze(bed, args.runs)
        asyncio.run(behind_delay(bed, args.rtt, args.runs))


if __name__ == "__main__":
    main()
