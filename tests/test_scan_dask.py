"""`scan --dask`: a real local Dask scheduler and two workers on loopback give the same JSON
Lines, in the same order, as a local scan (apart from timing fields).

The cluster is started as separate processes (`distributed.cli.dask_scheduler` and two
`dask_worker`s) and stopped by PID. Under CI=true a missing Dask installation fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testbed import BedInfo
from testbed.proc import alive

ROOT = Path(__file__).resolve().parent.parent
TIMING_KEYS = {"elapsed_ms", "timings_ms", "generated_at", "duration_ms", "t_ms"}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def without_timing(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


@pytest.fixture(scope="module")
def dask_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a local scheduler with two single-threaded workers."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        if _in_ci():
            pytest.fail("dask[distributed] is not installed (it is a test dependency)")
        pytest.skip("dask[distributed] is not installed")
    work = tmp_path_factory.mktemp("dask")
    scheduler_file = work / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    common = {"cwd": ROOT, "env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    processes = [
        subprocess.Popen(
            [
                sys.executable, "-m", "distributed.cli.dask_scheduler",
                "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                "--scheduler-file", str(scheduler_file),
            ],
            **common,  # type: ignore[call-overload]
        )
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        for n in range(2):
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable, "-m", "distributed.cli.dask_worker", address,
                        "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                        "--host", "127.0.0.1", "--name", f"w{n}",
                        "--local-directory", str(work / f"w{n}"),
                    ],
                    **common,  # type: ignore[call-overload]
                )
            )  # fmt: skip
        from distributed import Client

        client = Client(address, timeout="30s")  # type: ignore[no-untyped-call]
        try:
            client.wait_for_workers(2, timeout=60)
        finally:
            client.close()  # type: ignore[no-untyped-call]
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        assert not any(alive(p.pid) for p in processes)


def scan(args: list[str], data: str) -> tuple[int, list[dict[str, Any]]]:
    done = subprocess.run(
        [sys.executable, "-m", "mailprobe", "scan", "-", *args],
        input=data.encode(),
        capture_output=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.stderr == b"" or b"Traceback" not in done.stderr, done.stderr
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]


def test_dask_scan_of_the_bundled_database_matches_a_local_scan(dask_scheduler: str) -> None:
    names = [f"user{i}@gmail.com" for i in range(150)] + ["yahoo.com", "bad input", "web.de"]
    data = "\n".join(names) + "\n"
    local_status, local = scan(["--offline"], data)
    remote_status, remote = scan(["--offline", "--dask", dask_scheduler], data)
    assert [r["input"] for r in remote] == names
    assert remote_status == local_status
    assert without_timing(remote) == without_timing(local)


def test_dask_scan_with_live_dns_and_probes_matches_a_local_scan(
    dask_scheduler: str, bed: BedInfo, bed_args: list[str]
) -> None:
    names = [
        "alice@mailprobe.test",
        "nxdomain.mailprobe.test",
        "customer.test",
        "alice@mailprobe.test",
        "bad input",
    ] * 3
    data = "\n".join(names) + "\n"
    args = ["--probe", "--sources", "srv,mx", "--timeout", "8", *bed_args]
    local_status, local = scan(args, data)
    remote_status, remote = scan([*args, "--dask", dask_scheduler], data)
    assert [r["input"] for r in remote] == names
    assert remote_status == local_status
    assert without_timing(remote) == without_timing(local)
    assert any(c.get("probe") for r in remote for c in r.get("candidates", []))


def test_an_unreachable_scheduler_is_a_usage_error() -> None:
    status, records = scan(["--offline", "--dask", "tcp://127.0.0.1:9"], "gmail.com\n")
    assert status == 2
    assert records == []
