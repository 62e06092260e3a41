"""`mailprobe export ADDRESS --format ...`: a ready-made client configuration.

Runs a check (discovery plus live probes, no password) and writes the best verified
settings as Thunderbird autoconfig XML, an Apple configuration profile, or JSON. With
--offline or --no-verify the settings come from discovery alone and the output says they
were not verified. Exit codes: 0 written, 2 bad usage (an existing --output without
--force), 3 no usable incoming or outgoing setting.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from mailprobe.cli.options import (
    AllowHttpOpt,
    CaFileOpt,
    ConnectToOpt,
    IspdbOpt,
    MaxConnOpt,
    NameserverOpt,
    OfflineOpt,
    SendAddressOpt,
    SourcesOpt,
    TimeoutOpt,
    TrustAdOpt,
    discovery_options,
)
from mailprobe.cli.startup import run_collected
from mailprobe.errors import InvalidOptionError
from mailprobe.exit_status import ExitStatus
from mailprobe.models import DEFAULT_ISPDB_URL, Protocol


class ExportFormat(StrEnum):
    """The formats `mailprobe export` writes."""

    THUNDERBIRD = "thunderbird"
    MOBILECONFIG = "mobileconfig"
    JSON = "json"


_EXAMPLES = """Examples:

  mailprobe export alice@example.org --format thunderbird -o config-v1.1.xml

  mailprobe export alice@example.org --format mobileconfig -o alice.mobileconfig

  mailprobe export alice@example.org --format json --no-verify    (discovery only)
"""


def _target(output: str, force: bool) -> Path | None:
    """The file to write (None for stdout); refuses to replace a file without --force."""
    if output == "-":
        return None
    path = Path(output)
    if path.is_dir():
        raise InvalidOptionError(f"--output {output}: is a directory")
    if path.exists() and not force:
        raise InvalidOptionError(f"--output {output}: the file exists; add --force to replace it")
    return path


def _missing_message(address: str, missing: list[str], verified_only: bool) -> str:
    what = " and ".join(missing)
    if verified_only:
        return (
            f"no verified {what} setting for {address}; `mailprobe check {address} --explain` "
            f"says why, and --no-verify exports the discovered settings untested"
        )
    return f"no {what} setting found for {address}"


def export(
    address: Annotated[str, typer.Argument(help="The e-mail address, e.g. alice@example.org.")],
    fmt: Annotated[
        ExportFormat,
        typer.Option("--format", "-f", case_sensitive=False, help="What to write."),
    ],
    output: Annotated[
        str,
        typer.Option("--output", "-o", metavar="FILE", help="Where to write; - is stdout."),
    ] = "-",
    force: Annotated[
        bool, typer.Option("--force", help="Replace --output if the file exists.")
    ] = False,
    no_verify: Annotated[
        bool,
        typer.Option("--no-verify", help="Do not test the servers: export what discovery found."),
    ] = False,
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
    max_connections: MaxConnOpt = 10,
) -> None:
    """Write a client configuration for ADDRESS from the best verified settings.

    thunderbird: autoconfig XML (config-v1.1) to publish at autoconfig.DOMAIN;
    mobileconfig: an unsigned Apple profile (iPhone, iPad, Mac Mail), without password;
    json: the recommended settings only.
    """
    from mailprobe.address import parse_address
    from mailprobe.export import client_settings, to_json, to_mobileconfig, to_thunderbird
    from mailprobe.pipeline import CheckOptions, run_check, run_discover, run_discover_offline

    target = _target(output, force)
    parsed = parse_address(address)
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
    verify = not (offline or no_verify)
    if verify:
        options = CheckOptions(discovery=discovery, max_connections=max_connections)
        report = run_collected(run_check(parsed, options))
    elif offline:
        report = run_discover_offline(parsed, discovery)
    else:
        report = run_collected(run_discover(parsed, discovery))
    settings = client_settings(report, verified_only=verify)
    if not settings.complete:
        missing = []
        if not settings.incoming:
            missing.append("incoming (IMAP or POP3)")
        if settings.outgoing is None or Protocol.SMTP in settings.missing:
            missing.append("outgoing (SMTP)")
        typer.echo(f"mailprobe: {_missing_message(parsed.text, missing, verify)}", err=True)
        raise typer.Exit(int(ExitStatus.NOT_FOUND))
    writers = {
        ExportFormat.THUNDERBIRD: to_thunderbird,
        ExportFormat.MOBILECONFIG: to_mobileconfig,
        ExportFormat.JSON: to_json,
    }
    text = writers[fmt](settings)
    if target is None:
        sys.stdout.write(text)
        return
    try:
        with target.open("w" if force else "x", encoding="utf-8") as stream:
            stream.write(text)
    except FileExistsError:
        raise InvalidOptionError(
            f"--output {output}: the file exists; add --force to replace it"
        ) from None
    except OSError as exc:
        typer.echo(f"mailprobe: cannot write {output}: {exc.strerror or exc}", err=True)
        raise typer.Exit(int(ExitStatus.OUTPUT)) from None
    if not settings.verified:
        typer.echo(f"mailprobe: wrote {output} (settings NOT verified)", err=True)
