"""Bulk discovery (and optional verification) of many addresses, as JSON Lines in input order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import IO, Any

from mailprobe.address import parse_target
from mailprobe.errors import InvalidInputError
from mailprobe.exit_status import ExitStatus, exit_status_for
from mailprobe.models import DiscoveryOptions, Severity


def _wanted(line: str) -> bool:
    text = line.strip()
    return bool(text) and not text.startswith("#")


async def scan_lines(
    lines: Sequence[str],
    options: DiscoveryOptions,
    *,
    probe: bool,
    concurrency: int,
    fail_on: Severity,
    stream: IO[str],
) -> bool:
    """Handle each non-empty, non-comment line; write one JSON object per line, in order.

    Each object is the JSON report (docs/json-report.md) plus `input` and `exit_status`
    (the code the single-address command would have returned); an invalid line gives
    `input`, `error` and `exit_status`. Returns True if any line failed or reached `fail_on`.
    """
    from mailprobe.pipeline import CheckOptions, run_check, run_discover
    from mailprobe.providers import default_db
    from mailprobe.render.json import scan_error_line, scan_line

    inputs = [line.strip() for line in lines if _wanted(line)]
    limit = asyncio.Semaphore(concurrency)
    providers = default_db()
    check_options = CheckOptions(discovery=options)

    async def one(text: str) -> dict[str, Any]:
        async with limit:
            try:
                address = parse_target(text)
            except InvalidInputError as exc:
                return scan_error_line(text, str(exc), int(ExitStatus.USAGE))
            if probe:
                report = await run_check(address, check_options, providers=providers)
            else:
                report = await run_discover(address, options, providers=providers)
            return scan_line(text, report, int(exit_status_for(report, fail_on)))

    tasks = [asyncio.create_task(one(text)) for text in inputs]
    failed = False
    for task in tasks:  # awaiting in input order keeps the output order stable
        record = await task
        failed = failed or record["exit_status"] != int(ExitStatus.OK)
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        stream.flush()
    return failed
