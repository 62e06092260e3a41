"""`mailprobe scan`: many addresses or domains, one JSON line each, in input order."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Annotated

import typer

from mailprobe.cli.options import (
    AllowHttpOpt,
    CaFileOpt,
    ConnectToOpt,
    DebugOpt,
    FailOnOpt,
    IspdbOpt,
    NameserverOpt,
    OfflineOpt,
    QuietOpt,
    SendAddressOpt,
    SourcesOpt,
    TimeoutOpt,
    TrustAdOpt,
    discovery_options,
)
from mailprobe.errors import InvalidOptionError
from mailprobe.exit_status import ExitStatus
from mailprobe.models import DEFAULT_ISPDB_URL, Severity

SCAN_EXAMPLES = """Examples:

  mailprobe scan domains.txt > results.jsonl

  mailprobe scan domains.txt --output results.jsonl --summary

  mailprobe scan domains.txt --output results.jsonl --resume    (continue after Ctrl-C)

  printf 'example.org\\nalice@example.net\\n' | mailprobe scan - --probe

  mailprobe scan big.txt --sources srv,mx --concurrency 500 --output big.jsonl

  mailprobe scan big.txt --probe --dask tcp://10.0.0.5:8786 --output big.jsonl
"""


def scan_command(
    file: Annotated[
        str, typer.Argument(metavar="[FILE|-]", help="One address or domain per line; - is stdin.")
    ] = "-",
    verify: Annotated[
        bool, typer.Option("--probe", help="Also verify each result with live handshakes.")
    ] = False,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            min=1,
            max=10000,
            help="Addresses worked on at once (discovery-only scans take hundreds).",
        ),
    ] = 16,
    per_host: Annotated[
        int,
        typer.Option(
            "--per-host",
            min=1,
            max=100,
            help="Connections at once to one mail server address (per process or Dask worker).",
        ),
    ] = 2,
    per_host_rate: Annotated[
        float | None,
        typer.Option(
            "--per-host-rate",
            min=0.001,
            metavar="R",
            help="New connections per second to one mail server address (default: no limit).",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", dir_okay=False, help="Write JSON Lines to this file, not stdout."
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="With --output: skip inputs already in the file, append the rest."
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="With --output: overwrite an existing file.")
    ] = False,
    summary: Annotated[
        bool,
        typer.Option(
            "--summary",
            help="At the end, print counts per verdict and exit status, the most common "
            "findings and the providers seen (on stderr).",
        ),
    ] = False,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="SCHEDULER",
            help="Run on a Dask cluster (e.g. tcp://127.0.0.1:8786); needs mailprobe[dask].",
        ),
    ] = None,
    offline: OfflineOpt = False,
    timeout: TimeoutOpt = 10.0,
    nameserver: NameserverOpt = None,
    trust_ad: TrustAdOpt = False,
    connect_to: ConnectToOpt = None,
    ca_file: CaFileOpt = None,
    ispdb_url: IspdbOpt = DEFAULT_ISPDB_URL,
    allow_http: AllowHttpOpt = False,
    send_address: SendAddressOpt = False,
    sources: SourcesOpt = None,
    fail_on: FailOnOpt = Severity.ERROR,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Discover (and with --probe, verify) many addresses or domains: JSON Lines out.

    A bare domain is treated as postmaster@domain. Empty lines and lines starting with #
    are skipped. Every other line gets exactly one output line, in input order: the JSON
    report plus "input" and "exit_status", or "input", "error" and "exit_status" when
    the line could not be handled (not an address, not UTF-8, a deadline overrun).
    Repeated lines are scanned once. Each mail server endpoint is probed once per scan.
    Exit 1 if any line failed or had a finding at --fail-on or above; 130 after Ctrl-C,
    with every written line complete.
    """
    from mailprobe.cli.app import _setup_logging
    from mailprobe.cli.startup import run_collected
    from mailprobe.pipeline import CheckOptions
    from mailprobe.scan import RecordSummary, ScanSettings, read_inputs, scan
    from mailprobe.scan.resume import finished_inputs, remaining, repair_tail
    from mailprobe.scan.summary import ScanSummary

    _setup_logging(debug)
    if resume and output is None:
        raise InvalidOptionError("--resume needs --output FILE (the file to continue)")
    if resume and force:
        raise InvalidOptionError("--resume and --force contradict each other: choose one")
    discovery = discovery_options(
        offline=offline,
        timeout=timeout,
        nameserver=nameserver,
        trust_ad=trust_ad,
        connect_to=connect_to,
        ca_file=ca_file,
        ispdb_url=ispdb_url,
        allow_http=allow_http,
        send_address=send_address,
        sources=sources,
    )
    settings = ScanSettings(
        options=CheckOptions(discovery=discovery),
        probe=verify and not offline,
        fail_on=fail_on,
        concurrency=concurrency,
        per_host=per_host,
        per_host_rate=per_host_rate,
    )
    source = _open_input(file)
    items = read_inputs(source)
    sink: IO[str] = sys.stdout
    if output is not None:
        exists = output.exists() and output.stat().st_size > 0
        if exists and not (resume or force):
            raise InvalidOptionError(
                f"{output} exists: add --resume to continue it or --force to overwrite it"
            )
        if resume and exists:
            repair_tail(output)
            items = remaining(items, finished_inputs(output))
        sink = output.open("a" if resume else "w", encoding="utf-8")

    counts = ScanSummary() if summary else None
    progress = None
    if not quiet and sys.stderr.isatty():
        from mailprobe.scan.progress import ScanProgress

        total = _count(file) if output is None or not resume else None
        progress = ScanProgress(sys.stderr, total)

    def observe(record: RecordSummary) -> None:
        if counts is not None:
            counts.add(record)
        if progress is not None:
            progress.update(record)

    def write(line: str) -> None:
        sink.write(line)
        sink.flush()

    try:
        if dask is not None:
            from mailprobe.scan.cluster import scan_on_dask

            totals = scan_on_dask(dask, items, settings, write, on_record=observe)
        else:
            totals = run_collected(scan(items, settings, write, on_record=observe))
    finally:
        if progress is not None:
            progress.close()
        if sink is not sys.stdout:
            sink.close()
        source.close()
        if counts is not None:
            sys.stderr.write(counts.render())
    raise typer.Exit(int(ExitStatus.FINDINGS if totals.failed else ExitStatus.OK))


def _open_input(file: str) -> IO[bytes]:
    if file == "-":
        if sys.stdin is None:
            raise InvalidOptionError("standard input is closed: name a FILE instead of -")
        return sys.stdin.buffer
    try:
        return open(file, "rb")
    except OSError as exc:
        raise InvalidOptionError(f"cannot read {file}: {exc.strerror or exc}") from None


def _count(file: str) -> int | None:
    """The number of input records of a regular file (None for stdin or a pipe)."""
    from mailprobe.scan.inputs import count_inputs

    if file == "-" or not Path(file).is_file():
        return None
    with open(file, "rb") as handle:
        return count_inputs(handle)
