"""Bulk-scan benchmarks, loopback only, printed as ratios measured in one run.

1. Throughput: `mailprobe scan --sources srv,mx --concurrency 200` over a generated zone of
   N domains (default 10,000; NSD with response rate limiting off) against a bare dnspython
   asyncio loop sending the same queries (six SRV and one MX per domain) at the same
   concurrency to the same server. Target: scan >= 0.8 x the bare loop. The two sides
   alternate for `--rounds` rounds (default 3) and the medians are compared: a dropped
   UDP packet costs a 2 s retry on either side, so one round alone is noisy. CPU seconds
   are printed too.
2. Memory: peak RSS of a scan of 100,000 inputs vs one of 10,000. Target: <= 1.2. The
   peak is the scan process's own VmHWM (see `run_scan`).
3. Faults: 10% of the SRV domains point at fault servers (tarpit, reset, garbage); a
   `--probe` scan must finish within its deadlines and write one line per input.
4. Dask: the same scan on a local two-worker cluster gives identical lines (timing apart).

    sudo python benchmarks/bench_scan.py [--domains 10000] [--big 100000] [--skip-dask]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import dns.asyncresolver
import dns.flags
import dns.nameserver
import dns.resolver

from scalezone import FAULT_HOSTS, SRV_SERVICES, ZONE, domain, serve_zone

REPO = Path(__file__).resolve().parent.parent
CONCURRENCY = 200
TIMING_KEYS = {"elapsed_ms", "timings_ms", "generated_at", "duration_ms", "t_ms"}


# --------------------------------------------------------------------------- the bare loop


async def bare_loop(names: list[str], port: int, concurrency: int) -> float:
    """Seconds for a bare dnspython loop to send each name's seven queries."""
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver("127.0.0.1", port)]
    resolver.use_edns(0, dns.flags.DO, 1232)
    resolver.flags = dns.flags.RD | dns.flags.AD
    resolver.lifetime = 5.0
    resolver.timeout = 2.0
    resolver.retry_servfail = False
    limit = asyncio.Semaphore(concurrency)
    queries = [(f"{service}.", "SRV") for service, _port, _name in SRV_SERVICES] + [("", "MX")]

    async def one(name: str) -> None:
        async with limit:
            await asyncio.gather(
                *(
                    resolver.resolve(
                        f"{prefix}{name}.", rdtype, search=False, raise_on_no_answer=False
                    )
                    for prefix, rdtype in queries
                ),
                return_exceptions=True,
            )

    start = time.perf_counter()
    await asyncio.gather(*(one(n) for n in names))
    return time.perf_counter() - start


# --------------------------------------------------------------------------- running a scan


def _high_water_kib(pid: int) -> int:
    """The process's own peak resident memory so far (VmHWM), 0 once it has ended."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def run_scan(args: list[str], inputs: Path, output: Path) -> tuple[float, int, int, float]:
    """Wall seconds, exit status, peak RSS (KiB) and CPU seconds of one `mailprobe scan`.

    The peak is the scan process's own VmHWM, read every 0.1 s while it runs. Not the
    `ru_maxrss` that waiting for it reports: on Linux a child started with vfork and exec
    inherits its parent's high-water mark there, so a child of this (large) benchmark
    process would seem to use what the benchmark itself had used.
    """
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(
        [sys.executable, "-m", "mailprobe", "scan", str(inputs), "-o", str(output), "--force",
         "--quiet", *args],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    peak = 0
    while process.poll() is None:
        peak = max(peak, _high_water_kib(process.pid))
        time.sleep(0.1)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return time.perf_counter() - start, process.returncode, peak, cpu


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def without_timing(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


# --------------------------------------------------------------------------- fault servers


@contextlib.contextmanager
def fault_servers() -> Iterator[dict[str, int]]:
    """Tarpit, reset and garbage servers on loopback, in a thread; their ports by name."""
    from faultservers import garbage, reset_after_connect, serve, tarpit

    ready = threading.Event()
    stop: asyncio.Future[None] | None = None
    ports: dict[str, int] = {}
    loop = asyncio.new_event_loop()

    async def main() -> None:
        nonlocal stop
        stop = loop.create_future()
        async with (
            serve(tarpit()) as t,
            serve(reset_after_connect()) as r,
            serve(garbage()) as g,
        ):
            ports.update({"tarpit": t.port, "reset": r.port, "garbage": g.port})
            ready.set()
            await stop

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield ports
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set_result, None)
        thread.join(10)


@contextlib.contextmanager
def dask_cluster(workers: int = 2) -> Iterator[str]:
    """A local scheduler and workers (separate processes on loopback), stopped by PID."""
    work = Path(tempfile.mkdtemp(prefix="mailprobe-bench-dask-"))
    scheduler_file = work / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    quiet = {"cwd": REPO, "env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file)],
            **quiet,  # type: ignore[call-overload]
        )
    ]  # fmt: skip
    try:
        while not scheduler_file.exists():
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        for n in range(workers):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "distributed.cli.dask_worker", address,
                     "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1",
                     "--local-directory", str(work / f"w{n}")],
                    **quiet,  # type: ignore[call-overload]
                )
            )  # fmt: skip
        from distributed import Client

        client = Client(address)  # type: ignore[no-untyped-call]
        client.wait_for_workers(workers, timeout=60)
        client.close()  # type: ignore[no-untyped-call]
        yield address
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--fault-domains", type=int, default=1_500)
    parser.add_argument("--dask-domains", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds per side")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mailprobe-bench-scan-"))
    names = [domain(i) for i in range(args.domains)]
    small = work / "small.txt"
    small.write_text("\n".join(names) + "\n")

    with serve_zone(args.domains, fault_share=0.3) as zone:
        base = ["--sources", "srv,mx", "--concurrency", str(CONCURRENCY),
                "--nameserver", zone.nameserver, "--timeout", "10"]  # fmt: skip
        # Warm NSD and the page cache once, then alternate the two sides.
        asyncio.run(bare_loop(names[:500], zone.port, CONCURRENCY))
        bare_runs: list[tuple[float, float]] = []
        scan_runs: list[tuple[float, float]] = []
        for _round in range(args.rounds):
            cpu_before = time.process_time()
            bare_s = asyncio.run(bare_loop(names, zone.port, CONCURRENCY))
            bare_runs.append((bare_s, time.process_time() - cpu_before))
            scan_s, status, rss_small, scan_cpu = run_scan(base, small, work / "small.jsonl")
            scan_runs.append((scan_s, scan_cpu))
        bare, bare_cpu = (statistics.median(r[i] for r in bare_runs) for i in (0, 1))
        scan_s, scan_cpu = (statistics.median(r[i] for r in scan_runs) for i in (0, 1))
        produced = len(lines_of(work / "small.jsonl"))
        pairs = zip(bare_runs, scan_runs, strict=True)
        rounds = ", ".join(f"{bare_r[0] / scan_r[0]:.2f}" for bare_r, scan_r in pairs)
        print(f"1. throughput, {args.domains} domains, --concurrency {CONCURRENCY},"
              f" median of {args.rounds} alternating rounds (wall / CPU)")  # fmt: skip
        print(f"   bare dnspython loop: {bare:.2f} s / {bare_cpu:.2f} s"
              f" ({args.domains / bare:.0f} domains/s)")  # fmt: skip
        rate = args.domains / scan_s
        print(f"   mailprobe scan:      {scan_s:.2f} s / {scan_cpu:.2f} s"
              f" ({rate:.0f} domains/s), exit {status}, {produced} lines")  # fmt: skip
        print(f"   ratio scan/bare throughput: {bare / scan_s:.2f} (target >= 0.8);"
              f" per round: {rounds}; CPU ratio {bare_cpu / scan_cpu:.2f}")  # fmt: skip

        if not args.skip_memory:
            big = work / "big.txt"
            big.write_text("".join(f"{domain(i)}\n" for i in range(args.big)))
            big_s, big_status, rss_big, _cpu = run_scan(base, big, work / "big.jsonl")
            big_lines = sum(1 for _ in (work / "big.jsonl").open())
            print(f"2. memory: peak RSS {rss_small / 1024:.0f} MiB for {args.domains} inputs,"
                  f" {rss_big / 1024:.0f} MiB for {args.big} ({big_lines} lines, {big_s:.0f} s,"
                  f" exit {big_status})")  # fmt: skip
            print(f"   ratio: {rss_big / rss_small:.2f} (target <= 1.2)")

        with fault_servers() as ports:
            fault_names = names[: args.fault_domains]
            faults = work / "faults.txt"
            faults.write_text("\n".join(fault_names) + "\n")
            connect = []
            for host in FAULT_HOSTS:
                connect += ["--connect-to", f"{host}.{ZONE}::127.0.0.1:{ports[host]}"]
            connect += ["--connect-to", f"mail.hoster.{ZONE}::127.0.0.1:{ports['reset']}"]
            timeout = 4.0
            probe_args = [
                "--probe", "--sources", "srv,mx", "--concurrency", str(CONCURRENCY),
                "--nameserver", zone.nameserver, "--timeout", str(timeout), *connect,
            ]  # fmt: skip
            fault_s, fault_status, _rss, _cpu = run_scan(probe_args, faults, work / "faults.jsonl")
            got = lines_of(work / "faults.jsonl")
            lost = len(fault_names) - len(got)
            in_order = [r["input"] for r in got] == fault_names
            worst = max(r.get("duration_ms") or 0 for r in got) / 1000
            print(f"3. faults: {len(fault_names)} domains, 10% of the SRV domains at tarpit/reset/"
                  f"garbage servers, --probe --timeout {timeout:g}")  # fmt: skip
            print(f"   {fault_s:.1f} s, exit {fault_status}, lines lost: {lost}, in order: "
                  f"{in_order}, slowest item {worst:.1f} s (deadline {timeout:g} s)")  # fmt: skip

        if not args.skip_dask:
            dask_names = names[: args.dask_domains]
            subset = work / "dask.txt"
            subset.write_text("\n".join(dask_names) + "\n")
            local_s, _st, _rss, _cpu = run_scan(base, subset, work / "local.jsonl")
            with dask_cluster(2) as address:
                dask_s, _st2, _rss2, _cpu2 = run_scan(
                    [*base, "--dask", address], subset, work / "dask.jsonl"
                )
            same = without_timing(lines_of(work / "local.jsonl")) == without_timing(
                lines_of(work / "dask.jsonl")
            )
            print(f"4. dask: {len(dask_names)} domains, local {local_s:.1f} s, two workers "
                  f"{dask_s:.1f} s, identical lines apart from timing: {same}")  # fmt: skip


if __name__ == "__main__":
    main()
