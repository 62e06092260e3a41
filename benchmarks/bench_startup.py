"""Start-up benchmark: two whole-process ratios, measured in one run.

1. `mailprobe discover you@gmail.com --offline --json` vs `python -c "import typer,
   tabulate"` (target: at most 1.5).
2. `mailprobe probe` of the bed's STARTTLS submission endpoint behind a delay proxy that
   adds 50 ms to every round trip, vs `swaks -tls --quit-after EHLO` through the same
   proxy (target: at most 1.0). Both make the same protocol round trips, so the ratio is
   our start-up CPU against Perl's.

Each command runs as a fresh process, the pairs alternate (so machine load hits both
sides alike), and the medians are compared. mailprobe's byte code is compiled first, as a
package installer would, so neither side pays for compiling source.

Uses a running bed (MAILPROBE_BED=DIR) or starts and stops its own. Loopback only.

    python benchmarks/bench_startup.py [--runs 15] [--rtt 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bedutil import running_bed  # noqa: E402
from delayproxy import tcp_delay_proxy  # noqa: E402

HOST = "smtp.mailprobe.test"


def _run(argv: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and exit status of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def compare(ours: list[str], theirs: list[str], runs: int) -> tuple[float, float, float, float]:
    """Median wall and CPU times (ours, theirs, ours, theirs) of alternating fresh processes.

    Wall time is the target; CPU time is printed too, because it does not depend on how
    busy the machine is with other work.
    """
    for argv in (ours, theirs):
        status = _run(argv)[2]
        if status != 0:
            raise SystemExit(f"{' '.join(argv)} exited {status}")
    mine, other = [], []
    for _ in range(runs):
        mine.append(_run(ours))
        other.append(_run(theirs))
    return (
        statistics.median(r[0] for r in mine),
        statistics.median(r[0] for r in other),
        statistics.median(r[1] for r in mine),
        statistics.median(r[1] for r in other),
    )


@contextmanager
def delay_proxy(port: int, rtt: float) -> Iterator[int]:
    """A 50 ms (rtt) TCP delay proxy in front of `port`, served from a background thread."""
    ready = threading.Event()
    stop: list[asyncio.Event] = []
    loop_port: list[int] = []

    async def serve() -> None:
        async with tcp_delay_proxy(port, rtt) as proxy:
            loop_port.append(proxy.port)
            stop.append(asyncio.Event())
            ready.set()
            await stop[0].wait()

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield loop_port[0]
    finally:
        loop.call_soon_threadsafe(stop[0].set)
        thread.join(10)
        loop.close()


def main() -> int:
    """Run both comparisons and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rtt", type=float, default=0.05, help="added round trip, seconds")
    args = parser.parse_args()
    compileall.compile_dir(str(ROOT / "mailprobe"), quiet=1)
    py = sys.executable

    ours, base, ours_cpu, base_cpu = compare(
        [py, "-m", "mailprobe", "discover", "you@gmail.com", "--offline", "--json"],
        [py, "-c", "import typer, tabulate"],
        args.runs,
    )
    offline_ratio = ours / base
    print(f"offline lookup, median of {args.runs} alternating runs (wall / CPU):")
    print(
        f"  python -c 'import typer, tabulate'                 {base * 1000:7.1f} ms"
        f" / {base_cpu * 1000:6.1f} ms"
    )
    print(
        f"  mailprobe discover you@gmail.com --offline --json  {ours * 1000:7.1f} ms"
        f" / {ours_cpu * 1000:6.1f} ms"
    )
    verdict = "PASS" if offline_ratio <= 1.5 else "FAIL"
    print(f"RATIO offline/import = {offline_ratio:.2f}  (target <= 1.50) {verdict}")
    print(f"  (CPU ratio {ours_cpu / base_cpu:.2f})")

    swaks = shutil.which("swaks")
    if swaks is None:
        print("swaks is not installed (apt-get install swaks libnet-ssleay-perl)")
        return 1
    with running_bed() as bed, delay_proxy(bed.ports["submission"], args.rtt) as port:
        ours, base, ours_cpu, base_cpu = compare(
            [
                py,
                "-m",
                "mailprobe",
                "probe",
                f"{HOST}:587",
                "--protocol",
                "smtp",
                "--security",
                "starttls",
                "--connect-to",
                f"{HOST}:587:127.0.0.1:{port}",
                "--ca-file",
                str(bed.ca_file),
                "--json",
            ],
            [swaks, "--server", f"127.0.0.1:{port}", "-tls", "--quit-after", "EHLO"],
            args.runs,
        )
    probe_ratio = ours / base
    print(
        f"STARTTLS submission behind +{args.rtt * 1000:.0f} ms per round trip, median (wall / CPU):"
    )
    print(
        f"  swaks -tls --quit-after EHLO                       {base * 1000:7.1f} ms"
        f" / {base_cpu * 1000:6.1f} ms"
    )
    print(
        f"  mailprobe probe {HOST}:587 -s starttls  {ours * 1000:7.1f} ms"
        f" / {ours_cpu * 1000:6.1f} ms"
    )
    verdict = "PASS" if probe_ratio <= 1.0 else "FAIL"
    print(f"RATIO probe/swaks = {probe_ratio:.2f}  (target <= 1.00) {verdict}")
    print(f"  (CPU ratio {ours_cpu / base_cpu:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
