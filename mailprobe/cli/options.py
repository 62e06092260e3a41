"""The command-line options the commands share, and their translation into library options.

Each option is an `Annotated` alias so every command declares it the same way; the helper
functions turn the parsed values into `NetOptions`, `DiscoveryOptions` and credentials,
raising InvalidOptionError (exit code 2) for values that make no sense.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mailprobe.errors import InvalidOptionError
from mailprobe.models import DiscoveryOptions, NetOptions, Severity
from mailprobe.option_values import (
    check_timeout,
    parse_base_url,
    parse_connect_to,
    parse_nameserver,
    parse_sources,
)
from mailprobe.render.formats import OutputFormat
from mailprobe.render.term import ColorMode

if TYPE_CHECKING:
    from mailprobe.probes import Credentials


JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print the JSON report (schema 1); same as --format json.")
]
FormatOpt = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        help="Output: table (default), json, markdown, junit, nagios, openmetrics, github "
        "(exit codes per format: see README).",
    ),
]
PolicyOpt = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        metavar="FILE",
        dir_okay=False,
        help="TOML policy the report must meet; violations are policy.* findings.",
    ),
]
BaselineOpt = Annotated[
    Path | None,
    typer.Option(
        "--baseline",
        metavar="FILE",
        dir_okay=False,
        help="An earlier --json report of the same address: list what changed.",
    ),
]
FailOnIdOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--fail-on-id",
        metavar="ID",
        help="Fail (exit 1) on a finding or change with this id, whatever its severity "
        "(repeatable; globs allowed, e.g. 'tls.cert.*').",
    ),
]
CertWarnDaysOpt = Annotated[
    int,
    typer.Option(
        "--cert-warn-days",
        metavar="N",
        min=0,
        max=3650,
        help="Warn when a certificate expires within N days.",
    ),
]
OfflineOpt = Annotated[
    bool, typer.Option("--offline", help="No network at all: bundled database only.")
]
TimeoutOpt = Annotated[
    float,
    typer.Option("--timeout", metavar="SECONDS", help="Overall deadline for the whole run."),
]
NameserverOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--nameserver",
        metavar="IP[:PORT]",
        help="DNS server for every lookup (repeatable), e.g. 127.0.0.1:5353.",
    ),
]
TrustAdOpt = Annotated[
    bool,
    typer.Option(
        "--trust-ad",
        help="Believe DNSSEC validation (the AD bit) from a --nameserver that is not on this "
        "machine. Only for a resolver reached over a trusted path; a resolver on loopback "
        "is always believed.",
    ),
]
ConnectToOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--connect-to",
        metavar="HOST:PORT:ADDR:PORT",
        help="Connect to ADDR:PORT instead of HOST:PORT, keeping HOST for TLS checks "
        "(repeatable; empty HOST or PORT matches any), as in curl.",
    ),
]
CaFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--ca-file",
        exists=True,
        dir_okay=False,
        readable=True,
        help="Extra trusted CA certificates (PEM) for HTTPS and mail TLS.",
    ),
]
IspdbOpt = Annotated[
    str, typer.Option("--ispdb-url", metavar="URL", help="Base URL of the online ISPDB.")
]
AllowHttpOpt = Annotated[
    bool,
    typer.Option("--allow-http", help="Also fetch autoconfig over plain HTTP (untrusted)."),
]
SendAddressOpt = Annotated[
    bool,
    typer.Option(
        "--send-address",
        help="Send the e-mail address to autoconfig/autodiscover servers (off by default).",
    ),
]
SourcesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--sources",
        metavar="LIST",
        help="Only these sources, comma-separated: provider_db, autoconfig, ispdb, srv, mx, "
        "autodiscover, guess.",
    ),
]


def _fail_on(value: Severity) -> Severity:
    """`--fail-on good` makes no sense: good news never fails a run."""
    if value is Severity.GOOD:
        raise typer.BadParameter("good news never fails a run; use error, warning or info")
    return value


FailOnOpt = Annotated[
    Severity,
    typer.Option(
        "--fail-on",
        case_sensitive=False,
        callback=_fail_on,
        help="Exit with 1 when a finding has at least this severity (error, warning or info; "
        "good news never counts).",
    ),
]
DebugOpt = Annotated[
    bool, typer.Option("--debug", help="Log every step to stderr and show tracebacks.")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")]
BriefOpt = Annotated[
    bool,
    typer.Option(
        "--brief", help="The default table output (verdict, settings, findings); kept for scripts."
    ),
]
DetailsOpt = Annotated[
    bool,
    typer.Option(
        "--details", help="Also list every candidate with its sources, and how each source ended."
    ),
]
ColorOpt = Annotated[
    ColorMode,
    typer.Option(
        "--color",
        case_sensitive=False,
        help="Colour the table output: auto (on a terminal, unless NO_COLOR is set), "
        "always or never.",
    ),
]
ExplainOpt = Annotated[
    bool,
    typer.Option(
        "--explain",
        help="Instead of tables, numbered plain-language steps for a non-expert: what "
        "works, what to type into the mail app, what to ask the provider.",
    ),
]
LoginOpt = Annotated[
    bool,
    typer.Option(
        "--login",
        help="Also test login (password from MAILPROBE_PASSWORD, --password-stdin or a "
        "prompt; never from the command line). Only over TLS, only to trusted hosts.",
    ),
]
PasswordStdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first stdin line.")
]
UsernameOpt = Annotated[
    str | None,
    typer.Option("--username", help="Login name, if not the one discovery found."),
]
PlaintextLoginOpt = Annotated[
    bool,
    typer.Option(
        "--allow-plaintext-login",
        help="Allow --login to send the password without TLS (dangerous).",
    ),
]
SenderCheckOpt = Annotated[
    bool,
    typer.Option(
        "--sender-check",
        help="With --login on SMTP: check the server accepts the address as sender "
        "(MAIL FROM then RSET; no mail is sent).",
    ),
]
WeakTlsOpt = Annotated[
    bool,
    typer.Option(
        "--weak-tls",
        help="Also ask each TLS endpoint whether it still accepts TLS 1.0/1.1 "
        "(one extra connection per endpoint).",
    ),
]
TranscriptOpt = Annotated[
    bool,
    typer.Option(
        "--transcript",
        help="Record each probe's conversation (client and server lines, TLS events, ms "
        "since connect), passwords replaced with <redacted>.",
    ),
]
MaxConnOpt = Annotated[
    int,
    typer.Option("--max-connections", min=1, max=200, help="Probes running at once, in all."),
]


def net_options(
    timeout: float,
    nameserver: list[str] | None,
    connect_to: list[str] | None,
    ca_file: Path | None,
    *,
    trust_ad: bool = False,
) -> NetOptions:
    return NetOptions(
        nameservers=tuple(parse_nameserver(n) for n in nameserver or ()),
        connect_to=tuple(parse_connect_to(c) for c in connect_to or ()),
        ca_file=ca_file,
        timeout=check_timeout(timeout),
        trust_ad=trust_ad,
    )


def discovery_options(
    *,
    offline: bool,
    timeout: float,
    nameserver: list[str] | None,
    connect_to: list[str] | None,
    ca_file: Path | None,
    ispdb_url: str,
    allow_http: bool,
    send_address: bool,
    sources: list[str] | None,
    trust_ad: bool = False,
) -> DiscoveryOptions:
    return DiscoveryOptions(
        net=net_options(timeout, nameserver, connect_to, ca_file, trust_ad=trust_ad),
        ispdb_url=parse_base_url(ispdb_url, "--ispdb-url"),
        allow_http=allow_http,
        send_address=send_address,
        offline=offline,
        sources=parse_sources(sources) if sources else None,
    )


def read_password(password_stdin: bool) -> str:
    if password_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
    elif "MAILPROBE_PASSWORD" in os.environ:
        password = os.environ["MAILPROBE_PASSWORD"]
    elif sys.stdin.isatty():
        import getpass

        password = getpass.getpass("Password (not echoed): ", stream=sys.stderr)
    else:
        raise InvalidOptionError(
            "--login needs a password: set MAILPROBE_PASSWORD, use --password-stdin, "
            "or run in a terminal to be prompted"
        )
    if not password:
        raise InvalidOptionError("--login: the password is empty")
    return password


def credentials(
    login: bool,
    password_stdin: bool,
    username: str | None,
    *,
    sender_check: bool = False,
    allow_plaintext_login: bool = False,
) -> Credentials | None:
    """The credentials for --login (password never from argv), or None without --login."""
    if not login:
        for flag, given in (
            ("--password-stdin", password_stdin),
            ("--sender-check", sender_check),
            ("--allow-plaintext-login", allow_plaintext_login),
        ):
            if given:
                raise InvalidOptionError(f"{flag} only makes sense with --login")
        return None
    from mailprobe.probes import Credentials
    from mailprobe.redact import install_log_redaction

    # An empty username means "the one discovery found for each server".
    creds = Credentials(username=username or "", password=read_password(password_stdin))
    install_log_redaction(creds.redactor())  # every --debug line from here on
    return creds
