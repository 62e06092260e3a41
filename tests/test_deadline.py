"""The overall deadline is kept: wall time stays within `timeout` + `DEADLINE_MARGIN`.

Slow servers here are tarpits (they accept and never say a word), so every probe would
wait as long as it is allowed to. A probe that cannot finish in the time left is not
started: it is reported `skipped`, with the reason, and makes no connection.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest

import mailprobe
from faultservers import FaultServer, serve, tarpit
from mailprobe import aio
from mailprobe.pipeline import DEADLINE_MARGIN
from mailprobe.probes.scheduler import MIN_PROBE_SECONDS
from testbed import BedInfo

ROOT = Path(__file__).resolve().parent.parent
MAIL_PORTS = (993, 143, 995, 110, 465, 587, 25)


@asynccontextmanager
async def tarpits() -> AsyncIterator[dict[int, FaultServer]]:
    """One tarpit per standard mail port."""
    async with AsyncExitStack() as stack:
        yield {port: await stack.enter_async_context(serve(tarpit())) for port in MAIL_PORTS}


def _routes_to(pits: dict[int, FaultServer]) -> list[str]:
    return [f":{port}:127.0.0.1:{pit.port}" for port, pit in pits.items()]


def _bed_web_routes(bed: BedInfo) -> list[str]:
    """The bed's routes for HTTP(S) only: discovery works, mail ports go elsewhere."""
    return [r for r in bed.connect_to if r.split(":")[1] in ("80", "443")]


@pytest.mark.parametrize("timeout", [0.5, 1.0, 2.0, 3.0])
async def test_probing_tarpits_ends_at_the_deadline(timeout: float) -> None:
    async with tarpits() as pits:
        start = time.perf_counter()
        report = await aio.probe(
            "imap.fault.test", protocol="imap", timeout=timeout, connect_to=_routes_to(pits)
        )
        wall = time.perf_counter() - start
    assert wall <= timeout + DEADLINE_MARGIN
    statuses = {pc.probe.status for pc in report.candidates if pc.probe is not None}
    assert statuses == {mailprobe.ProbeStatus.TIMEOUT}
    # Each probe saw its own limit run out: the result names the step that hung.
    for pc in report.candidates:
        assert pc.probe is not None
        assert "timed out" in pc.probe.reason or "limit" in " ".join(pc.probe.notes)


@pytest.mark.parametrize("timeout", [1.0, 2.0, 3.0])
def test_check_with_tarpit_servers_ends_at_the_deadline(bed: BedInfo, timeout: float) -> None:
    async def run() -> tuple[float, mailprobe.Report]:
        async with tarpits() as pits:
            start = time.perf_counter()
            # The sync API from inside a running loop: it runs in a worker thread, so the
            # tarpits keep serving in this one.
            report = await asyncio.to_thread(
                mailprobe.check,
                "alice@mailprobe.test",
                timeout=timeout,
                nameservers=[bed.nameserver],
                connect_to=_bed_web_routes(bed) + _routes_to(pits),
                ca_file=bed.ca_file,
                ispdb_url=bed.ispdb_url,
            )
            return time.perf_counter() - start, report

    wall, report = asyncio.run(run())
    assert wall <= timeout + DEADLINE_MARGIN
    probes = [pc.probe for pc in report.candidates if pc.probe is not None]
    assert probes
    assert {p.status for p in probes} <= {
        mailprobe.ProbeStatus.TIMEOUT,
        mailprobe.ProbeStatus.SKIPPED,
    }
    assert mailprobe.exit_status_for(report) is mailprobe.ExitStatus.UNTESTABLE


async def test_a_probe_that_cannot_finish_is_not_started() -> None:
    # One connection at a time: the IMAPS probe holds it until the deadline, so the
    # STARTTLS probe behind it would start with no time left. It is skipped instead.
    async with tarpits() as pits:
        start = time.perf_counter()
        report = await aio.probe(
            "imap.fault.test",
            protocol="imap",
            timeout=1.0,
            max_connections=1,
            connect_to=_routes_to(pits),
        )
        wall = time.perf_counter() - start
    assert wall <= 1.0 + DEADLINE_MARGIN
    by_port = {pc.candidate.setting.port: pc.probe for pc in report.candidates}
    first, second = by_port[993], by_port[143]
    assert first is not None
    assert first.status is mailprobe.ProbeStatus.TIMEOUT
    assert second is not None
    assert second.status is mailprobe.ProbeStatus.SKIPPED
    assert second.reason.startswith("not started:")
    assert f"{MIN_PROBE_SECONDS:g} s" in second.reason
    assert second.connections == 0
    assert pits[143].connections == 0
    skipped = [f for f in report.findings if f.id == "probe.skipped"]
    assert [(f.host, f.port) for f in skipped] == [("imap.fault.test", 143)]


async def test_a_tiny_timeout_starts_no_probe() -> None:
    async with tarpits() as pits:
        report = await aio.probe(
            "smtp.fault.test", protocol="smtp", timeout=0.001, connect_to=_routes_to(pits)
        )
        connections = sum(p.connections for p in pits.values())
    assert connections == 0
    assert report.candidates
    for pc in report.candidates:
        assert pc.probe is not None
        assert pc.probe.status is mailprobe.ProbeStatus.SKIPPED
        assert pc.probe.reason.startswith("not started:")
    assert report.recommended[mailprobe.Protocol.SMTP] is not None
    assert report.recommended[mailprobe.Protocol.SMTP].verified is False  # type: ignore[union-attr]
    assert mailprobe.exit_status_for(report) is mailprobe.ExitStatus.UNTESTABLE


async def _idle_process_wall() -> float:
    """Seconds a Python process that does nothing takes on this machine at this moment."""
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await proc.wait()
    return time.perf_counter() - start


async def _cli(*args: str) -> tuple[float, int, str]:
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mailprobe",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _err = await proc.communicate()
    return time.perf_counter() - start, proc.returncode or 0, out.decode()


@pytest.mark.parametrize("timeout", [2.0, 3.0, 5.0])
async def test_the_command_line_keeps_the_deadline(bed: BedInfo, timeout: float) -> None:
    # The whole process, interpreter start-up included, ends within timeout + margin:
    # the command line's clock starts when the process did.
    async with tarpits() as pits:
        routes = [a for r in _bed_web_routes(bed) + _routes_to(pits) for a in ("--connect-to", r)]
        wall, status, out = await _cli(
            "check",
            "alice@mailprobe.test",
            "--json",
            "--timeout",
            str(timeout),
            "--nameserver",
            bed.nameserver,
            "--ca-file",
            str(bed.ca_file),
            "--ispdb-url",
            bed.ispdb_url,
            *routes,
        )
    # A loaded machine (the suite runs beside other work) slows every process alike: the
    # bound allows what an empty interpreter takes right now, on top of the margin.
    assert wall <= timeout + DEADLINE_MARGIN + await _idle_process_wall()
    # 4: nothing could be tested; 3 when a loaded machine left discovery (half the time)
    # too little to finish.
    assert status in (3, 4)
    report = json.loads(out)
    statuses = {c["probe"]["status"] for c in report["candidates"]}
    assert statuses <= {"timeout", "skipped"}


async def test_the_command_line_with_a_tiny_timeout_tests_nothing() -> None:
    async with tarpits() as pits:
        routes = [a for r in _routes_to(pits) for a in ("--connect-to", r)]
        _wall, status, out = await _cli(
            "probe",
            "imap.fault.test",
            "--protocol",
            "imap",
            "--json",
            "--timeout",
            "0.001",
            *routes,
        )
        connections = sum(p.connections for p in pits.values())
    assert connections == 0
    assert status == 4
    report = json.loads(out)
    assert [c["probe"]["status"] for c in report["candidates"]] == ["skipped", "skipped"]
    assert all(c["probe"]["reason"].startswith("not started:") for c in report["candidates"])


def test_the_command_line_clock_starts_with_the_process() -> None:
    # Time spent before mailprobe's code runs (here a deliberate 0.5 s) counts too.
    import subprocess

    code = (
        "import time; time.sleep(0.5); import mailprobe.cli as c; "
        "print(time.monotonic() - c.STARTED)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert 0.5 <= float(out) < 30
