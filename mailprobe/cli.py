"""The `mailprobe` command: parse options, call the library, render, pick the exit code.

Stdout carries only the result; progress and errors go to stderr. One boundary (`main`)
turns exceptions into a short message and an exit code; `--debug` adds the traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer.exceptions import TyperException

from mailprobe import __version__
from mailprobe.errors import InvalidInputError, InvalidOptionError
from mailprobe.exit_status import ExitStatus, exit_status_for
from mailprobe.models import (
    DEFAULT_ISPDB_URL,
    Candidate,
    DiscoveryOptions,
    NetOptions,
    ProbeResult,
    Protocol,
    Report,
    Security,
    Severity,
    SourceOutcome,
)
from mailprobe.options import (
    check_timeout,
    parse_connect_to,
    parse_host_port,
    parse_nameserver,
    parse_sources,
)

if TYPE_CHECKING:
    from mailprobe.probe import Credentials

T = TypeVar("T")


app = typer.Typer(
    name="mailprobe",
    help=(
        "Find and verify the IMAP, POP3 and SMTP settings an e-mail address needs.\n\n"
        "mailprobe ADDRESS is the same as mailprobe check ADDRESS: it discovers settings "
        "from the bundled provider database, autoconfig, the ISPDB, DNS SRV and MX records, "
        "Exchange Autodiscover and guessing, then tests each server with real IMAP, POP3 "
        "and SMTP handshakes (no password unless you ask with --login)."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state: dict[str, bool] = {"debug": False}

# --------------------------------------------------------------------------- common options

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the JSON report (schema 1).")]
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
FailOnOpt = Annotated[
    Severity,
    typer.Option(
        "--fail-on",
        case_sensitive=False,
        help="Exit with 1 when a finding has at least this severity.",
    ),
]
DebugOpt = Annotated[
    bool, typer.Option("--debug", help="Log every step to stderr and show tracebacks.")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")]
BriefOpt = Annotated[
    bool,
    typer.Option("--brief", help="Table output without the candidate and source tables."),
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
MaxConnOpt = Annotated[
    int,
    typer.Option("--max-connections", min=1, max=200, help="Probes running at once, in all."),
]


def _net_options(
    timeout: float,
    nameserver: list[str] | None,
    connect_to: list[str] | None,
    ca_file: Path | None,
) -> NetOptions:
    return NetOptions(
        nameservers=tuple(parse_nameserver(n) for n in nameserver or ()),
        connect_to=tuple(parse_connect_to(c) for c in connect_to or ()),
        ca_file=ca_file,
        timeout=check_timeout(timeout),
    )


def _discovery_options(
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
) -> DiscoveryOptions:
    if not ispdb_url.startswith(("https://", "http://")):
        raise InvalidOptionError(f"--ispdb-url {ispdb_url!r}: expected an http(s):// URL")
    return DiscoveryOptions(
        net=_net_options(timeout, nameserver, connect_to, ca_file),
        ispdb_url=ispdb_url,
        allow_http=allow_http,
        send_address=send_address,
        offline=offline,
        sources=parse_sources(sources) if sources else None,
    )


def _read_password(password_stdin: bool) -> str:
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


def _credentials(
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
    from mailprobe.probe import Credentials

    # An empty username means "the one discovery found for each server".
    return Credentials(username=username or "", password=_read_password(password_stdin))


# --------------------------------------------------------------------------- progress


class Progress:
    """Writes one line per finished source or probe to stderr (when wanted)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def source(self, outcome: SourceOutcome) -> None:
        """A discovery source finished."""
        if self.enabled:
            typer.echo(
                f"  {outcome.source:<13} {outcome.status:<8} {outcome.elapsed_ms:>7.0f} ms",
                err=True,
            )

    def probe(self, candidate: Candidate, result: ProbeResult | None) -> None:
        """A probe started (result None) or finished."""
        if self.enabled and result is not None:
            s = candidate.setting
            typer.echo(
                f"  probe {s.protocol} {s.host}:{s.port} {s.security}: {result.status}",
                err=True,
            )


def _progress(quiet: bool, json_out: bool) -> Progress:
    return Progress(enabled=not quiet and sys.stderr.isatty() and not json_out)


# --------------------------------------------------------------------------- rendering


def _emit(report: Report, json_out: bool, brief: bool) -> None:
    if json_out:
        from mailprobe.render import json as json_render

        json_render.write(report, sys.stdout)
    else:
        from mailprobe.render import table

        table.write(report, sys.stdout, verbose=not brief)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def _setup_logging(debug: bool) -> None:
    _state["debug"] = debug
    if debug:
        logging.basicConfig(
            level=logging.DEBUG,
            stream=sys.stderr,
            format="%(relativeCreated)7.0f ms %(name)s: %(message)s",
        )
        # Library chatter that could echo request bodies stays at INFO.
        for noisy in ("httpcore", "hpack", "asyncio"):
            logging.getLogger(noisy).setLevel(logging.INFO)


# --------------------------------------------------------------------------- commands


_CHECK_EXAMPLES = """Examples:

  mailprobe alice@example.org    (discover and test everything)

  mailprobe check alice@example.org --json    (the report for scripts)

  mailprobe check alice@example.org --login    (asks for the password)

  mailprobe check alice@example.org --fail-on warning    (for CI)
"""


@app.command(epilog=_CHECK_EXAMPLES)
def check(
    address: Annotated[str, typer.Argument(help="The e-mail address, e.g. alice@example.org.")],
    json_out: JsonOpt = False,
    offline: OfflineOpt = False,
    timeout: TimeoutOpt = 10.0,
    nameserver: NameserverOpt = None,
    connect_to: ConnectToOpt = None,
    ca_file: CaFileOpt = None,
    ispdb_url: IspdbOpt = DEFAULT_ISPDB_URL,
    allow_http: AllowHttpOpt = False,
    send_address: SendAddressOpt = False,
    sources: SourcesOpt = None,
    login: LoginOpt = False,
    password_stdin: PasswordStdinOpt = False,
    username: UsernameOpt = None,
    allow_plaintext_login: PlaintextLoginOpt = False,
    sender_check: SenderCheckOpt = False,
    weak_tls: WeakTlsOpt = False,
    max_connections: MaxConnOpt = 10,
    fail_on: FailOnOpt = Severity.ERROR,
    brief: BriefOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Discover the settings for ADDRESS and verify each server with live handshakes.

    With --offline nothing is tested: the answer comes from the bundled database alone.
    """
    _setup_logging(debug)
    from mailprobe.address import parse_address
    from mailprobe.jobs import CheckOptions, run_check, run_discover

    parsed = parse_address(address)
    discovery = _discovery_options(
        offline=offline,
        timeout=timeout,
        nameserver=nameserver,
        connect_to=connect_to,
        ca_file=ca_file,
        ispdb_url=ispdb_url,
        allow_http=allow_http,
        send_address=send_address,
        sources=sources,
    )
    progress = _progress(quiet, json_out)
    if offline:
        if login:
            raise InvalidOptionError("--login needs the network; drop --offline")
        report = _run(run_discover(parsed, discovery, on_outcome=progress.source))
    else:
        options = CheckOptions(
            discovery=discovery,
            max_connections=max_connections,
            credentials=_credentials(
                login,
                password_stdin,
                username,
                sender_check=sender_check,
                allow_plaintext_login=allow_plaintext_login,
            ),
            username_override=username is not None,
            allow_plaintext_login=allow_plaintext_login,
            sender_check=sender_check,
            check_weak_tls=weak_tls,
        )
        report = _run(
            run_check(parsed, options, on_outcome=progress.source, on_probe=progress.probe)
        )
    _emit(report, json_out, brief)
    raise typer.Exit(int(exit_status_for(report, fail_on)))


@app.command(
    epilog="""Examples:

  mailprobe discover alice@example.org

  mailprobe discover you@gmail.com --offline    (bundled database only)

  mailprobe discover alice@example.org --sources srv,autoconfig --json
"""
)
def discover(
    address: Annotated[str, typer.Argument(help="The e-mail address, e.g. alice@example.org.")],
    json_out: JsonOpt = False,
    offline: OfflineOpt = False,
    timeout: TimeoutOpt = 10.0,
    nameserver: NameserverOpt = None,
    connect_to: ConnectToOpt = None,
    ca_file: CaFileOpt = None,
    ispdb_url: IspdbOpt = DEFAULT_ISPDB_URL,
    allow_http: AllowHttpOpt = False,
    send_address: SendAddressOpt = False,
    sources: SourcesOpt = None,
    fail_on: FailOnOpt = Severity.ERROR,
    brief: BriefOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Discover settings only: no connection to any mail server.

    Every source runs at once under --timeout; the table lists the recommended setting per
    service, every candidate with the sources that named it, and how each source ended.
    """
    _setup_logging(debug)
    from mailprobe.address import parse_address
    from mailprobe.jobs import run_discover

    parsed = parse_address(address)
    options = _discovery_options(
        offline=offline,
        timeout=timeout,
        nameserver=nameserver,
        connect_to=connect_to,
        ca_file=ca_file,
        ispdb_url=ispdb_url,
        allow_http=allow_http,
        send_address=send_address,
        sources=sources,
    )
    progress = _progress(quiet, json_out)
    report = _run(run_discover(parsed, options, on_outcome=progress.source))
    _emit(report, json_out, brief)
    raise typer.Exit(int(exit_status_for(report, fail_on)))


@app.command(
    epilog="""Examples:

  mailprobe probe mail.example.org:993    (IMAP over SSL/TLS, from the port)

  mailprobe probe mail.example.org -p smtp    (tries ports 465 and 587)

  mailprobe probe mail.example.org:587 -s tls    (says 587 wants STARTTLS)
"""
)
def probe(
    server: Annotated[
        str, typer.Argument(metavar="HOST[:PORT]", help="The server as a user typed it.")
    ],
    protocol: Annotated[
        Protocol | None,
        typer.Option(
            "--protocol",
            "-p",
            case_sensitive=False,
            help="imap, pop3 or smtp (guessed from a standard port if omitted).",
        ),
    ] = None,
    security: Annotated[
        Security | None,
        typer.Option(
            "--security",
            "-s",
            case_sensitive=False,
            help="tls (SSL/TLS from the start), starttls or plain; from the port if omitted.",
        ),
    ] = None,
    json_out: JsonOpt = False,
    timeout: TimeoutOpt = 10.0,
    nameserver: NameserverOpt = None,
    connect_to: ConnectToOpt = None,
    ca_file: CaFileOpt = None,
    login: LoginOpt = False,
    password_stdin: PasswordStdinOpt = False,
    username: UsernameOpt = None,
    allow_plaintext_login: PlaintextLoginOpt = False,
    sender_check: SenderCheckOpt = False,
    weak_tls: WeakTlsOpt = False,
    fail_on: FailOnOpt = Severity.ERROR,
    brief: BriefOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Verify one server setting a user typed in, and say which mode the port really speaks.

    Without a port both standard ports of the protocol are tried; without --security the
    mode the port implies is tried, and a mismatch is named.
    """
    _setup_logging(debug)
    from mailprobe.jobs import CheckOptions, infer_protocol, run_probe

    host, port = parse_host_port(server)
    chosen = protocol or (infer_protocol(port) if port else None)
    if chosen is None:
        raise InvalidOptionError(
            "--protocol is needed (imap, pop3 or smtp): the port does not imply one"
        )
    if login and not username:
        raise InvalidOptionError("--login with probe needs --username")
    options = CheckOptions(
        discovery=DiscoveryOptions(net=_net_options(timeout, nameserver, connect_to, ca_file)),
        credentials=_credentials(
            login,
            password_stdin,
            username,
            sender_check=sender_check,
            allow_plaintext_login=allow_plaintext_login,
        ),
        username_override=True,
        allow_plaintext_login=allow_plaintext_login,
        sender_check=sender_check,
        check_weak_tls=weak_tls,
    )
    progress = _progress(quiet, json_out)
    report = _run(run_probe(host, port, chosen, security, options, on_probe=progress.probe))
    _emit(report, json_out, brief)
    raise typer.Exit(int(exit_status_for(report, fail_on)))


@app.command(
    epilog="""Examples:

  mailprobe scan addresses.txt > results.jsonl

  printf 'example.org\nalice@example.net\n' | mailprobe scan - --probe
"""
)
def scan(
    file: Annotated[
        str, typer.Argument(metavar="[FILE|-]", help="One address or domain per line; - is stdin.")
    ] = "-",
    verify: Annotated[
        bool, typer.Option("--probe", help="Also verify each result with live handshakes.")
    ] = False,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=100, help="Addresses handled at once.")
    ] = 4,
    offline: OfflineOpt = False,
    timeout: TimeoutOpt = 10.0,
    nameserver: NameserverOpt = None,
    connect_to: ConnectToOpt = None,
    ca_file: CaFileOpt = None,
    ispdb_url: IspdbOpt = DEFAULT_ISPDB_URL,
    allow_http: AllowHttpOpt = False,
    send_address: SendAddressOpt = False,
    sources: SourcesOpt = None,
    fail_on: FailOnOpt = Severity.ERROR,
    debug: DebugOpt = False,
) -> None:
    """Discover (and with --probe, verify) many addresses or domains: JSON Lines on stdout.

    A bare domain is treated as postmaster@domain. Lines that are empty or start with #
    are skipped; an invalid line yields {"input": ..., "error": ...}. Output is in input
    order. Exit 1 if any line failed or had a finding at --fail-on or above.
    """
    _setup_logging(debug)
    from mailprobe.scan import scan_lines

    options = _discovery_options(
        offline=offline,
        timeout=timeout,
        nameserver=nameserver,
        connect_to=connect_to,
        ca_file=ca_file,
        ispdb_url=ispdb_url,
        allow_http=allow_http,
        send_address=send_address,
        sources=sources,
    )
    if file == "-":
        lines = sys.stdin.read().splitlines()
    else:
        try:
            lines = Path(file).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InvalidOptionError(f"cannot read {file}: {exc.strerror or exc}") from None
    failed = _run(
        scan_lines(
            lines,
            options,
            probe=verify and not offline,
            concurrency=concurrency,
            fail_on=fail_on,
            stream=sys.stdout,
        )
    )
    raise typer.Exit(int(ExitStatus.FINDINGS if failed else ExitStatus.OK))


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"mailprobe {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool | None,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = None,
) -> None:
    """Find and verify the IMAP, POP3 and SMTP settings an e-mail address needs."""


def _register_db() -> None:
    from mailprobe.cli_db import db_app

    app.add_typer(db_app, name="db", help="Inspect, validate and export the provider database.")


_register_db()

_COMMANDS = {"check", "discover", "probe", "scan", "db"}


def _with_default_command(argv: list[str]) -> list[str]:
    """`mailprobe ADDRESS ...` means `mailprobe check ADDRESS ...`."""
    if argv and argv[0] not in _COMMANDS and not argv[0].startswith("-"):
        return ["check", *argv]
    return argv


def _fail(message: str, status: ExitStatus) -> int:
    typer.echo(f"mailprobe: {message}", err=True)
    return int(status)


def run(argv: list[str] | None = None) -> int:
    """Run the command line with `argv` and return the exit status (the one error boundary)."""
    args = _with_default_command(list(sys.argv[1:] if argv is None else argv))
    try:
        result = app(args=args, prog_name="mailprobe", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except InvalidInputError as exc:
        return _fail(f"error: {exc}", ExitStatus.USAGE)
    except KeyboardInterrupt:
        return _fail("interrupted", ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`mailprobe ... | head`): stop quietly, as if by SIGPIPE.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's final flush quiet
        return 128 + 13
    except typer.Abort:
        return _fail("interrupted", ExitStatus.INTERRUPTED)
    except TyperException as exc:
        # Usage errors of the command-line parser (unknown option, missing argument, ...).
        show = getattr(exc, "show", None)
        if callable(show):
            show(file=sys.stderr)
        else:
            typer.echo(f"mailprobe: error: {exc}", err=True)
        return int(ExitStatus.USAGE)
    except Exception as exc:
        if _state["debug"]:
            traceback.print_exc(file=sys.stderr)
        return _fail(
            f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)",
            ExitStatus.INTERNAL,
        )
    return result if isinstance(result, int) else int(ExitStatus.OK)


#: Optional imports that libraries attempt whenever the package happens to be installed:
#: httpx loads its own command-line client (click, rich) and httpcore loads trio. The
#: mailprobe process uses neither; together they cost ~200 ms of start-up.
_UNUSED_OPTIONAL_IMPORTS = ("httpx._main", "trio")


def main() -> None:
    """Console-script entry point (the process is ours, so unused optional imports are
    blocked here rather than in the library, where they might be someone else's)."""
    for name in _UNUSED_OPTIONAL_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    sys.exit(run())
