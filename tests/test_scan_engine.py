"""The scan engine: input order under any timing, one line per input, duplicates once,
crashes contained, a bounded window, and probes shared per endpoint behind a per-host budget.

DNS comes from the project's own loopback FaultDns; mail servers are small asyncio servers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

import mailprobe.scan.engine as engine
from dnsfaults import Fault, FaultDns, Records
from faultservers import Behaviour, imap_server, serve
from mailprobe.models import ConnectTo, DiscoveryOptions, NetOptions, SourceId
from mailprobe.pipeline import CheckOptions
from mailprobe.scan import InputLine, ScanSettings, scan
from mailprobe.scan.engine import READ_BATCH, WINDOW_FACTOR

SRV_ONLY = frozenset({SourceId.SRV})


def settings(
    nameserver: Any,
    *,
    timeout: float = 1.0,
    probe: bool = False,
    concurrency: int = 8,
    connect_to: tuple[ConnectTo, ...] = (),
    per_host: int = 2,
) -> ScanSettings:
    net = NetOptions(nameservers=(nameserver,), timeout=timeout, connect_to=connect_to)
    discovery = DiscoveryOptions(net=net, sources=SRV_ONLY)
    return ScanSettings(
        options=CheckOptions(discovery=discovery),
        probe=probe,
        concurrency=concurrency,
        per_host=per_host,
    )


def items(*texts: str) -> list[InputLine]:
    return [InputLine(n, t) for n, t in enumerate(texts, start=1)]


def srv(domain: str, target: str = "imap.provider.test", port: int = 993) -> dict[str, Records]:
    return {f"_imaps._tcp.{domain}": Records("SRV", (f"0 1 {port} {target}.",))}


async def run(rules: dict[str, Any], inputs: list[InputLine], **kw: Any) -> list[dict[str, Any]]:
    lines: list[str] = []
    async with FaultDns(rules) as dns_server:
        await scan(inputs, settings(dns_server.nameserver, **kw), lines.append)
    return [json.loads(line) for line in lines]


async def test_output_follows_input_order_whatever_finishes_first() -> None:
    rules: dict[str, Any] = {}
    names = [f"d{i}.test" for i in range(30)]
    for i, name in enumerate(names):
        if i % 3 == 0:
            rules[f"_imaps._tcp.{name}"] = Fault.SILENT  # waits for the DNS timeout
        else:
            rules.update(srv(name))
    got = await run(rules, items(*names), timeout=0.6, concurrency=10)
    assert [r["input"] for r in got] == names
    assert all(isinstance(r["exit_status"], int) for r in got)


async def test_every_input_yields_exactly_one_line_even_invalid_ones() -> None:
    inputs = [
        InputLine(1, "ok.test"),
        InputLine(2, "not an address"),
        InputLine(3, "b\\xff.test", "line 3 is not valid UTF-8"),
        InputLine(4, "alice@ok.test"),
    ]
    got = await run(srv("ok.test"), inputs)
    assert [r["input"] for r in got] == [i.text for i in inputs]
    assert got[1]["exit_status"] == 2
    assert "error" in got[1]
    assert got[2] == {
        "input": "b\\xff.test",
        "error": "line 3 is not valid UTF-8",
        "exit_status": 2,
    }


async def test_a_repeated_input_is_scanned_once_and_its_line_repeated() -> None:
    async with FaultDns(srv("dup.test")) as dns_server:
        lines: list[str] = []
        inputs = items("dup.test", "other.test", "dup.test", "dup.test")
        await scan(inputs, settings(dns_server.nameserver), lines.append)
        asked = sum(
            n for (_t, name, _r), n in dns_server.queries.items() if name.endswith("dup.test")
        )
    assert [json.loads(line)["input"] for line in lines] == [i.text for i in inputs]
    assert lines[0] == lines[2] == lines[3]
    assert asked == 6  # the six SRV names, asked once


async def test_a_crash_inside_one_item_is_that_items_error_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = engine._report_record

    async def buggy(item: InputLine, *args: Any) -> dict[str, Any]:
        if item.text == "boom.test":
            raise ZeroDivisionError("a bug")
        return await original(item, *args)

    monkeypatch.setattr(engine, "_report_record", buggy)
    got = await run(srv("a.test"), items("a.test", "boom.test", "a.test"))
    assert [r["input"] for r in got] == ["a.test", "boom.test", "a.test"]
    assert got[1] == {
        "input": "boom.test",
        "error": "internal error: ZeroDivisionError: a bug",
        "exit_status": 70,
    }


async def test_input_is_pulled_lazily_within_a_bounded_window() -> None:
    pulled = 0
    written_after: list[int] = []

    def endless() -> Iterator[InputLine]:
        nonlocal pulled
        for n in range(1, 5001):
            pulled += 1
            yield InputLine(n, f"d{n}.test")

    offline = ScanSettings(
        options=CheckOptions(discovery=DiscoveryOptions(offline=True)), concurrency=4
    )
    await scan(endless(), offline, lambda _line: written_after.append(pulled))
    assert len(written_after) == 5000
    # When the first line was written, only a window's worth had been read, not 5000.
    assert written_after[0] <= READ_BATCH + 4 * WINDOW_FACTOR + READ_BATCH


async def test_one_probe_per_endpoint_and_the_per_host_budget_hold_across_domains() -> None:
    concurrent = 0
    most = 0
    inner = imap_server(Behaviour())

    async def counting(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal concurrent, most
        concurrent += 1
        most = max(most, concurrent)
        try:
            await asyncio.sleep(0.05)
            await inner(reader, writer)
        finally:
            concurrent -= 1

    names = [f"cust{i}.test" for i in range(40)]
    rules: dict[str, Any] = {}
    for i, name in enumerate(names):
        # Two endpoints at one server address: 143 (STARTTLS) and 1143 (plain), shared by all.
        rules[f"_imap._tcp.{name}"] = Records(
            "SRV", (f"0 1 {143 if i % 2 else 1143} mail.hoster.test.",)
        )
    async with serve(counting) as server, FaultDns(rules) as dns_server:
        route = (ConnectTo("mail.hoster.test", 0, "127.0.0.1", server.port),)
        lines: list[str] = []
        opts = settings(
            dns_server.nameserver,
            timeout=3.0,
            probe=True,
            concurrency=20,
            connect_to=route,
            per_host=1,
        )
        await scan(items(*names), opts, lines.append)
    records = [json.loads(line) for line in lines]
    assert [r["input"] for r in records] == names
    assert all(r["candidates"] and r["candidates"][0]["probe"] for r in records)
    # Two endpoints, each probed once (at most two connections each), never in parallel.
    assert server.connections <= 4
    assert most == 1
