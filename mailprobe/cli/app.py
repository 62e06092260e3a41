"""The `mailprobe` command: parse options, call the library, render, pick the exit code.

Stdout carries only the result; progress and errors go to stderr. One boundary (`main`)
turns exceptions into a short message and an exit code; `--debug` adds the traceback.
"""

from __future__ import annotations

import copy
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer
import typer.main
from typer.exceptions import TyperException
from typer.models import CommandInfo

from mailprobe.cli.options import (
    AllowHttpOpt,
    BaselineOpt,
    BriefOpt,
    CaFileOpt,
    CertWarnDaysOpt,
    ColorOpt,
    ConnectToOpt,
    DebugOpt,
    DetailsOpt,
    ExplainOpt,
    FailOnIdOpt,
    FailOnOpt,
    FormatOpt,
    IspdbOpt,
    JsonOpt,
    LoginOpt,
    MaxConnOpt,
    NameserverOpt,
    OfflineOpt,
    PasswordStdinOpt,
    PlaintextLoginOpt,
    PolicyOpt,
    QuietOpt,
    SendAddressOpt,
    SenderCheckOpt,
    SourcesOpt,
    TimeoutOpt,
    TranscriptOpt,
    TrustAdOpt,
    UsernameOpt,
    WeakTlsOpt,
    credentials,
    discovery_options,
    net_options,
)
from mailprobe.cli.output import OutputOptions, finish
from mailprobe.cli.startup import run_collected as _run
from mailprobe.cli.stdout import GuardedStdout, OutputError, silence_stdout
from mailprobe.errors import InvalidInputError, InvalidOptionError
from mailprobe.exit_status import ExitStatus
from mailprobe.models import DEFAULT_ISPDB_URL, DiscoveryOptions, Protocol, Security, Severity
from mailprobe.option_values import check_timeout, parse_host_port
from mailprobe.render.term import ColorMode
from mailprobe.version import __version__

if TYPE_CHECKING:
    from mailprobe.models import Candidate, ProbeResult, SourceOutcome


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
#: When this run began (`time.monotonic()`): `--timeout` counts from here, start-up included.
_started: list[float] = [0.0]

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


def _progress(quiet: bool, machine_output: bool) -> Progress:
    return Progress(enabled=not quiet and sys.stderr.isatty() and not machine_output)


# --------------------------------------------------------------------------- rendering


def _time_left(timeout: float) -> float:
    """`--timeout` less what start-up already used: the deadline is the whole process's."""
    spent = time.monotonic() - _started[0]
    return max(check_timeout(timeout) - spent, 0.001)


def _setup_logging(debug: bool) -> None:
    _state["debug"] = debug
    if debug:
        import logging

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

  mailprobe check alice@example.org --policy mail-policy.toml --format junit

  mailprobe check alice@example.org --baseline yesterday.json --format nagios
"""


@app.command(epilog=_CHECK_EXAMPLES)
def check(
    address: Annotated[str, typer.Argument(help="The e-mail address, e.g. alice@example.org.")],
    json_out: JsonOpt = False,
    fmt: FormatOpt = None,
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
    login: LoginOpt = False,
    password_stdin: PasswordStdinOpt = False,
    username: UsernameOpt = None,
    allow_plaintext_login: PlaintextLoginOpt = False,
    sender_check: SenderCheckOpt = False,
    weak_tls: WeakTlsOpt = False,
    transcript: TranscriptOpt = False,
    cert_warn_days: CertWarnDaysOpt = 30,
    max_connections: MaxConnOpt = 10,
    fail_on: FailOnOpt = Severity.ERROR,
    fail_on_id: FailOnIdOpt = None,
    policy: PolicyOpt = None,
    baseline: BaselineOpt = None,
    brief: BriefOpt = False,
    details: DetailsOpt = False,
    color: ColorOpt = ColorMode.AUTO,
    explain: ExplainOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Discover the settings for ADDRESS and verify each server with live handshakes.

    With --offline nothing is tested: the answer comes from the bundled database alone.
    """
    _setup_logging(debug)
    out = OutputOptions.from_cli(
        json_out=json_out,
        fmt=fmt,
        fail_on=fail_on,
        fail_on_id=fail_on_id,
        brief=brief,
        details=details,
        color=color,
        policy=policy,
        baseline=baseline,
        cert_warn_days=cert_warn_days,
        explain=explain,
    )
    from mailprobe.address import parse_address
    from mailprobe.pipeline import CheckOptions, run_check, run_discover_offline

    parsed = parse_address(address)
    discovery = discovery_options(
        offline=offline,
        timeout=_time_left(timeout),
        nameserver=nameserver,
        trust_ad=trust_ad,
        connect_to=connect_to,
        ca_file=ca_file,
        ispdb_url=ispdb_url,
        allow_http=allow_http,
        send_address=send_address,
        sources=sources,
    )
    progress = _progress(quiet, out.machine)
    if offline:
        if login:
            raise InvalidOptionError("--login needs the network; drop --offline")
        report = run_discover_offline(parsed, discovery, on_outcome=progress.source)
    else:
        options = CheckOptions(
            discovery=discovery,
            max_connections=max_connections,
            credentials=credentials(
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
            transcript=transcript,
            cert_warn_days=cert_warn_days,
        )
        report = _run(
            run_check(parsed, options, on_outcome=progress.source, on_probe=progress.probe)
        )
    raise typer.Exit(finish(report, out))


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
    fmt: FormatOpt = None,
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
    fail_on_id: FailOnIdOpt = None,
    policy: PolicyOpt = None,
    baseline: BaselineOpt = None,
    brief: BriefOpt = False,
    details: DetailsOpt = False,
    color: ColorOpt = ColorMode.AUTO,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Discover settings only: no connection to any mail server.

    Every source runs at once under --timeout; the table lists the recommended setting per
    service, every candidate with the sources that named it, and how each source ended.
    """
    _setup_logging(debug)
    out = OutputOptions.from_cli(
        json_out=json_out,
        fmt=fmt,
        fail_on=fail_on,
        fail_on_id=fail_on_id,
        brief=brief,
        details=details,
        color=color,
        policy=policy,
        baseline=baseline,
        cert_warn_days=30,
    )
    from mailprobe.address import parse_address
    from mailprobe.pipeline import run_discover, run_discover_offline

    parsed = parse_address(address)
    options = discovery_options(
        offline=offline,
        timeout=_time_left(timeout),
        nameserver=nameserver,
        trust_ad=trust_ad,
        connect_to=connect_to,
        ca_file=ca_file,
        ispdb_url=ispdb_url,
        allow_http=allow_http,
        send_address=send_address,
        sources=sources,
    )
    progress = _progress(quiet, out.machine)
    if offline:  # nothing to wait for: no event loop either
        report = run_discover_offline(parsed, options, on_outcome=progress.source)
    else:
        report = _run(run_discover(parsed, options, on_outcome=progress.source))
    raise typer.Exit(finish(report, out))


@app.command(
    epilog="""Examples:

  mailprobe probe mail.example.org:993    (IMAP over SSL/TLS, from the port)

  mailprobe probe mail.example.org -p smtp    (tries ports 465 and 587)

  mailprobe probe mail.example.org:587 -s tls    (says 587 wants STARTTLS)

  mailprobe probe mail.example.org:2525 --protocol smtp    (detects the mode)

  mailprobe probe mail.example.org:587 --address alice@example.org    (compare)
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
    fmt: FormatOpt = None,
    timeout: TimeoutOpt = 10.0,
    nameserver: NameserverOpt = None,
    trust_ad: TrustAdOpt = False,
    connect_to: ConnectToOpt = None,
    ca_file: CaFileOpt = None,
    login: LoginOpt = False,
    password_stdin: PasswordStdinOpt = False,
    username: UsernameOpt = None,
    allow_plaintext_login: PlaintextLoginOpt = False,
    sender_check: SenderCheckOpt = False,
    weak_tls: WeakTlsOpt = False,
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            help="The customer's e-mail address: compare what was typed with what discovery "
            "recommends for it, and name each difference.",
        ),
    ] = None,
    ispdb_url: IspdbOpt = DEFAULT_ISPDB_URL,
    transcript: TranscriptOpt = False,
    cert_warn_days: CertWarnDaysOpt = 30,
    fail_on: FailOnOpt = Severity.ERROR,
    fail_on_id: FailOnIdOpt = None,
    policy: PolicyOpt = None,
    baseline: BaselineOpt = None,
    brief: BriefOpt = False,
    details: DetailsOpt = False,
    color: ColorOpt = ColorMode.AUTO,
    explain: ExplainOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Verify one server setting a user typed in, and say which mode the port really speaks.

    Without a port both standard ports of the protocol are tried; without --security the
    port's real mode is detected (any port, with --protocol). When the typed setting fails,
    the server's other mode and standard ports are tried, and the working one is shown.
    """
    _setup_logging(debug)
    out = OutputOptions.from_cli(
        json_out=json_out,
        fmt=fmt,
        fail_on=fail_on,
        fail_on_id=fail_on_id,
        brief=brief,
        details=details,
        color=color,
        policy=policy,
        baseline=baseline,
        cert_warn_days=cert_warn_days,
        explain=explain,
    )
    from mailprobe.pipeline import CheckOptions, infer_protocol, run_probe

    host, port = parse_host_port(server)
    chosen = protocol or (infer_protocol(port) if port else None)
    if chosen is None:
        raise InvalidOptionError(
            f"--protocol is needed (imap, pop3 or smtp): port {port} does not imply one"
            if port
            else "--protocol is needed (imap, pop3 or smtp), or a standard port (HOST:993)"
        )
    if login and not username:
        raise InvalidOptionError("--login with probe needs --username")
    options = CheckOptions(
        discovery=DiscoveryOptions(
            net=net_options(_time_left(timeout), nameserver, connect_to, ca_file, trust_ad=trust_ad)
        ),
        credentials=credentials(
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
        transcript=transcript,
        cert_warn_days=cert_warn_days,
    )
    parsed = None
    if address is not None:
        from mailprobe.address import parse_address

        parsed = parse_address(address)
    progress = _progress(quiet, out.machine)
    report = _run(
        run_probe(host, port, chosen, security, options, on_probe=progress.probe, username=username)
    )
    if parsed is not None:
        from mailprobe.diagnose.compare import compare_with_discovery
        from mailprobe.pipeline import run_discover

        discovery = discovery_options(
            offline=False,
            timeout=timeout,
            nameserver=nameserver,
            connect_to=connect_to,
            ca_file=ca_file,
            ispdb_url=ispdb_url,
            allow_http=False,
            send_address=False,
            sources=None,
            trust_ad=trust_ad,
        )
        discovered = _run(run_discover(parsed, discovery))
        report = compare_with_discovery(report, discovered, typed_username=username)
    raise typer.Exit(finish(report, out))


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
    from mailprobe.cli.db import db_app

    app.add_typer(db_app, name="db", help="Inspect, validate and export the provider database.")


def _register_scan() -> None:
    from mailprobe.cli.scan import SCAN_EXAMPLES, scan_command

    app.command(name="scan", epilog=SCAN_EXAMPLES)(scan_command)


def _register_ci() -> None:
    from mailprobe.cli.diff import diff
    from mailprobe.cli.policy import policy_app

    app.add_typer(policy_app, name="policy", help="Validate CI policy files (see --policy).")
    app.command(
        "diff",
        epilog="Example:\n\n  mailprobe diff yesterday.json today.json --fail-on warning",
    )(diff)


def _register_schema() -> None:
    from mailprobe.cli.schema import schema

    app.command(name="schema")(schema)


def _register_domain() -> None:
    from mailprobe.cli.domain import EXAMPLES, domain

    app.command("domain", epilog=EXAMPLES)(domain)


def _register_export() -> None:
    from mailprobe.cli.export import _EXAMPLES, export

    app.command(name="export", epilog=_EXAMPLES)(export)


#: Commands and groups living in their own modules, registered only when the command line
#: needs them (a lookup never imports the `db` commands). Name -> registration function.
_LAZY: dict[str, Callable[[], None]] = {
    "db": _register_db,
    "scan": _register_scan,
    "policy": _register_ci,
    "diff": _register_ci,
    "schema": _register_schema,
    "domain": _register_domain,
    "export": _register_export,
}
_registered: set[Callable[[], None]] = set()

_COMMANDS = {"check", "discover", "probe", *_LAZY}


def _register(register: Callable[[], None]) -> None:
    if register not in _registered:
        _registered.add(register)
        register()


def _command_name(info: CommandInfo) -> str:
    if info.name:
        return info.name
    assert info.callback is not None
    return typer.main.get_command_name(info.callback.__name__)


def _app_for(args: list[str]) -> typer.Typer:
    """The app with only the command `args` runs, or the full tree when that is needed.

    typer converts every registered command and its options into click objects on each
    call; building only the command being run (and importing only its module) saves most
    of that start-up time. Help, `--version` and unknown commands get the full tree.
    """
    name = args[0] if args else ""
    lazy = _LAZY.get(name)
    if lazy is not None:
        _register(lazy)
    chosen = [c for c in app.registered_commands if _command_name(c) == name]
    if len(chosen) != 1:
        for register in _LAZY.values():
            _register(register)
        return app
    narrow = copy.copy(app)
    narrow.registered_commands = chosen
    narrow.registered_groups = []
    return narrow


def _with_default_command(argv: list[str]) -> list[str]:
    """`mailprobe ADDRESS ...` means `mailprobe check ADDRESS ...`; a word that is neither
    a command nor an address or domain is a mistyped command ("did you mean ...?")."""
    if argv and argv[0] not in _COMMANDS and not argv[0].startswith("-"):
        word = argv[0]
        if not any(c in word for c in "@.:<"):
            import difflib

            close = difflib.get_close_matches(word.lower(), sorted(_COMMANDS), n=1, cutoff=0.6)
            hint = (
                f"did you mean `mailprobe {close[0]}`?"
                if close
                else (f"commands: {', '.join(sorted(_COMMANDS))}; or give an address (user@domain)")
            )
            raise InvalidOptionError(f"{word!r} is not a command or an e-mail address; {hint}")
        return ["check", *argv]
    return argv


_last_error: list[str] = []


def _fail(message: str, status: ExitStatus) -> int:
    _last_error.append(message)
    typer.echo(f"mailprobe: {message}", err=True)
    return int(status)


def _wants_nagios(args: list[str]) -> bool:
    """True if the command line asks for `--format nagios` (also `-f nagios`)."""
    for i, arg in enumerate(args):
        if arg in ("--format", "-f") and i + 1 < len(args):
            if args[i + 1].lower() == "nagios":
                return True
        elif arg.lower() in ("--format=nagios", "-fnagios"):
            return True
    return False


#: Exit statuses that mean "the check itself could not run" (UNKNOWN for Nagios).
_UNKNOWN_STATUSES = frozenset({ExitStatus.USAGE, ExitStatus.INTERNAL, ExitStatus.INTERRUPTED})


def run(argv: list[str] | None = None, *, started: float | None = None) -> int:
    """Run the command line with `argv` and return the exit status (the one error boundary).

    With `--format nagios`, usage errors, internal errors and interrupts print
    `MAILPROBE UNKNOWN - ...` on stdout and exit with 3, as the plugin guidelines ask.
    `started` (a `time.monotonic()` value, default now) is when the run began: `--timeout`
    counts from there.
    """
    _started[0] = time.monotonic() if started is None else started
    if sys.stdout is None:  # started with standard output closed (`mailprobe ... >&-`)
        return _fail("cannot write the result: standard output is closed", ExitStatus.OUTPUT)
    original = sys.stdout
    sys.stdout = GuardedStdout(original)
    try:
        status = _run_guarded(list(sys.argv[1:] if argv is None else argv))
        sys.stdout.flush()
    except OutputError as exc:
        silence_stdout()
        if exc.closed_by_reader:
            return ExitStatus.PIPE_CLOSED
        return _fail(str(exc), ExitStatus.OUTPUT)
    if sys.stdout.__class__ is GuardedStdout:
        sys.stdout = original
    return status


def _run_guarded(argv: list[str]) -> int:
    _last_error.clear()
    try:
        args = _with_default_command(argv)
    except InvalidInputError as exc:  # a mistyped command ("did you mean ...?")
        args, status = argv, _fail(f"error: {exc}", ExitStatus.USAGE)
    else:
        status = _dispatch(args)
    # Only error paths record a message: a CRITICAL report also exits with 2.
    if _last_error and status in _UNKNOWN_STATUSES and _wants_nagios(args):
        from mailprobe.render.nagios import unknown

        return int(unknown(_last_error[-1].removeprefix("error: "), sys.stdout))
    return status


def _dispatch(args: list[str]) -> int:
    try:
        result = _app_for(args)(args=args, prog_name="mailprobe", standalone_mode=False)
    except OutputError:
        raise
    except typer.Exit as exc:
        return int(exc.exit_code)
    except InvalidInputError as exc:
        return _fail(f"error: {exc}", ExitStatus.USAGE)
    except KeyboardInterrupt:
        return _fail("interrupted", ExitStatus.INTERRUPTED)
    except typer.Abort:
        return _fail("interrupted", ExitStatus.INTERRUPTED)
    except TyperException as exc:
        # Usage errors of the command-line parser (unknown option, missing argument, ...).
        _last_error.append(exc.format_message() if hasattr(exc, "format_message") else str(exc))
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


def main(started: float | None = None) -> None:
    """Console-script entry point (the process is ours, so unused optional imports are
    blocked here rather than in the library, where they might be someone else's).

    `started` is when the process started (see `mailprobe.cli`).
    """
    for name in _UNUSED_OPTIONAL_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    status = run(started=started)
    _exit_now(status)


def _exit_now(status: int) -> None:
    """End the process without the interpreter's teardown.

    Freeing every module and object nobody will read again takes around 0.1 s, which
    would land after `--timeout`. The result is already written; both streams are flushed
    first, and if that fails the normal exit runs (and reports it as before).
    """
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        sys.exit(status)
    os._exit(status)
