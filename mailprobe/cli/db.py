"""`mailprobe db ...`: list, show, validate and export entries of the provider database.

Also the maintainer tools: `import-autoconfig` (a config-v1.1 file or URL as a provider
TOML draft) and `diff-ispdb` (our entries against a local ISPDB checkout).

Only parsing and rendering live here; lookups, validation, export and the maintainer
tools are `mailprobe.providers`. Results go to stdout, problems to stderr. Exit codes:
0 fine, 1 the folder has problems or stale entries (`validate`) or differences
(`diff-ispdb`), 2 unknown id or unusable input.
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from mailprobe.errors import ProviderDbError
from mailprobe.providers import (
    Provider,
    ProviderDb,
    bundled_path,
    check_folder,
    default_db,
    export_autoconfig,
)

if TYPE_CHECKING:
    from mailprobe.providers.maintain import Period

db_app = typer.Typer(
    name="db",
    help="Inspect, validate and export the bundled provider database.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

_EXIT_PROBLEMS = 1
_EXIT_USAGE = 2
_DOMAINS_SHOWN = 3


class ExportFormat(StrEnum):
    """Formats `db export` can write."""

    AUTOCONFIG = "autoconfig"


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _stop(message: str, code: int) -> NoReturn:
    typer.echo(f"mailprobe: {message}", err=True)
    raise typer.Exit(code)


def _db() -> ProviderDb:
    db = default_db()
    try:
        db.ensure_loaded()
    except ProviderDbError as exc:
        _stop(f"error: the bundled provider database is invalid:\n{exc}", _EXIT_USAGE)
    return db


def _provider(provider_id: str) -> Provider:
    provider = _db().get(provider_id)
    if provider is None:
        _stop(
            f"error: no provider with id {provider_id!r} (see `mailprobe db list {provider_id}`)",
            _EXIT_USAGE,
        )
    return provider


def _short_domains(provider: Provider) -> str:
    shown = ", ".join(provider.domains[:_DOMAINS_SHOWN])
    more = len(provider.domains) - _DOMAINS_SHOWN
    return f"{shown} (+{more})" if more > 0 else shown


def _summary(provider: Provider) -> dict[str, Any]:
    return {
        "id": provider.id,
        "name": provider.name,
        "status": str(provider.status),
        "domains": list(provider.domains),
        "mx_patterns": list(provider.mx_patterns),
    }


@db_app.command("list")
def list_providers(
    text: Annotated[
        str | None,
        typer.Argument(
            metavar="[FILTER]", help="Only providers whose id, name or domain has this."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List providers, optionally filtered by name or domain."""
    found = _db().search(text or "")
    if as_json:
        typer.echo(json.dumps([_summary(p) for p in found], indent=2, ensure_ascii=False))
        return
    if not found:
        _stop(f"no provider matches {text!r}", _EXIT_PROBLEMS)
    rows = [(p.id, p.name, p.status, _short_domains(p)) for p in found]
    from tabulate import tabulate  # only table output needs it (start-up time counts)

    typer.echo(tabulate(rows, headers=["ID", "NAME", "STATUS", "DOMAINS"]))


def _render_show(provider: Provider) -> str:
    lines = [
        f"{provider.name} ({provider.id})",
        f"status:       {provider.status}",
        f"domains:      {', '.join(provider.domains)}",
    ]
    if provider.mx_patterns:
        lines.append(f"MX patterns:  {', '.join(provider.mx_patterns)}")
    if provider.website:
        lines.append(f"website:      {provider.website}")
    lines.append(f"source:       {provider.source}")
    checked = provider.checked.isoformat() if provider.checked else "never"
    lines.append(f"checked:      {checked}")
    lines.append(f"facts from:   {', '.join(provider.sources)}")
    servers = _db().effective(provider).servers
    if provider.successor:
        heir = _db().get(provider.successor)
        heir_name = f"{heir.name} ({heir.id})" if heir else provider.successor
        lines.append(f"successor:    {heir_name}: its servers apply to these domains")
    if servers:
        rows = [
            (s.protocol, s.host, s.port, s.security, s.username or "-", ", ".join(s.auth))
            for s in servers
        ]
        from tabulate import tabulate

        table = tabulate(rows, headers=["PROTOCOL", "HOST", "PORT", "SECURITY", "USER", "AUTH"])
        lines += ["", table]
    else:
        lines += ["", "no servers on record"]
    for title, items in (("hints", provider.hints), ("documentation", provider.docs)):
        if items:
            lines += ["", f"{title}:"] + [f"  - {item}" for item in items]
    if provider.oauth2:
        lines += [
            "",
            "OAuth2:",
            f"  issuer: {provider.oauth2.issuer}",
            f"  scopes: {' '.join(provider.oauth2.scopes)}",
            f"  auth:   {provider.oauth2.auth_url}",
            f"  token:  {provider.oauth2.token_url}",
        ]
    if provider.overrides:
        lines += ["", "deliberate differences from the reference databases:"]
        lines += [f"  - [{o.source}] {o.kind} {o.subject}: {o.reason}" for o in provider.overrides]
    return "\n".join(lines)


@db_app.command("show")
def show(
    provider_id: Annotated[str, typer.Argument(metavar="ID", help="Provider id (see `db list`).")],
    as_json: JsonOpt = False,
) -> None:
    """Show everything the database knows about one provider."""
    provider = _provider(provider_id)
    if as_json:
        typer.echo(json.dumps(provider.to_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(_render_show(provider))


def _period(text: str | None) -> Period | None:
    if text is None:
        return None
    from mailprobe.providers.maintain import parse_period  # maintainer tools load on demand

    try:
        return parse_period(text)
    except ValueError as exc:
        _stop(f"error: --stale: {exc}", _EXIT_USAGE)


def _as_of(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        _stop(f"error: --as-of: {text!r} is not a date (YYYY-MM-DD)", _EXIT_USAGE)


@db_app.command("validate")
def validate(
    path: Annotated[
        Path | None,
        typer.Argument(metavar="[PATH]", help="A provider folder (default: the bundled database)."),
    ] = None,
    stale_after: Annotated[
        str | None,
        typer.Option(
            "--stale",
            metavar="PERIOD",
            help="Also list entries not checked within PERIOD (e.g. 12m, 90d, 6w, 1y); "
            "any such entry makes the exit status 1.",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="DATE", help="Judge --stale as of this day (YYYY-MM-DD)."),
    ] = None,
) -> None:
    """Check every provider file; list each problem on stderr and exit 1 if there are any."""
    period = _period(stale_after)
    today = _as_of(as_of)
    try:
        folder = path if path is not None else bundled_path()
    except ProviderDbError as exc:
        _stop(f"error: {exc}", _EXIT_USAGE)
    providers, problems = check_folder(folder)
    if problems:
        for problem in problems:
            typer.echo(problem, err=True)
        _stop(f"{folder}: {len(problems)} problem(s)", _EXIT_PROBLEMS)
    domains = sum(len(p.domains) for p in providers)
    patterns = sum(len(p.mx_patterns) for p in providers)
    typer.echo(
        f"{folder}: {len(providers)} providers, {domains} domains, "
        f"{patterns} MX patterns: all valid"
    )
    if period is None:
        return
    from mailprobe.providers.maintain import stale

    old = stale(providers, period, today)
    cutoff = period.before(today)
    for provider in old:
        checked = provider.checked.isoformat() if provider.checked else "never"
        typer.echo(f"stale: {provider.id}: checked {checked}, source {provider.source}")
    if old:
        _stop(
            f"{len(old)} of {len(providers)} entries not checked since {cutoff} ({period})",
            _EXIT_PROBLEMS,
        )
    typer.echo(f"every entry was checked since {cutoff} ({period})")


@db_app.command("export")
def export(
    provider_id: Annotated[str, typer.Argument(metavar="ID", help="Provider id (see `db list`).")],
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="Output format.")
    ] = ExportFormat.AUTOCONFIG,
    domain: Annotated[
        list[str] | None,
        typer.Option(
            "--domain",
            help="Publish for this domain instead of the provider's own (repeatable).",
        ),
    ] = None,
) -> None:
    """Write one provider as Thunderbird autoconfig XML (config-v1.1) on stdout."""
    provider = _db().effective(_provider(provider_id))
    domains = tuple(d.strip().lower().rstrip(".") for d in domain) if domain else None
    typer.echo(export_autoconfig(provider, domains), nl=False)


_FETCH_TIMEOUT = 15.0


def _fetch(url: str) -> bytes:
    """GET `url` with the project's capped fetcher (size limit, redirect rules, timeout)."""
    from mailprobe.cli.startup import run_collected
    from mailprobe.models import NetOptions
    from mailprobe.net.dns import DnsClient
    from mailprobe.net.http import HttpFetcher

    net = NetOptions(timeout=_FETCH_TIMEOUT)
    fetcher = HttpFetcher(DnsClient(timeout=_FETCH_TIMEOUT), net)
    result = run_collected(fetcher.get(url, timeout=_FETCH_TIMEOUT, allow_http=True))
    if result.error is not None:
        _stop(f"error: {url}: {result.error}", _EXIT_USAGE)
    if not result.ok:
        _stop(f"error: {url}: HTTP status {result.status_code}", _EXIT_USAGE)
    return result.body


@db_app.command("import-autoconfig")
def import_autoconfig(
    location: Annotated[
        str,
        typer.Argument(
            metavar="FILE|URL", help="A config-v1.1 XML file, or an http(s) URL serving one."
        ),
    ],
) -> None:
    """Turn a Thunderbird autoconfig file (config-v1.1) into a provider TOML draft."""
    from mailprobe.providers.maintain import draft_from_autoconfig

    if location.lower().startswith(("http://", "https://")):
        data = _fetch(location)
    else:
        path = Path(location)
        try:
            with path.open("rb") as handle:
                data = handle.read(2 * 1024 * 1024)
        except OSError as exc:
            _stop(f"error: {location}: cannot be read ({exc.strerror or exc})", _EXIT_USAGE)
    try:
        text = draft_from_autoconfig(data, location, date.today())
    except ValueError as exc:
        _stop(f"error: {location}: {exc}", _EXIT_USAGE)
    typer.echo(text, nl=False)


@db_app.command("diff-ispdb")
def diff_ispdb_command(
    folder: Annotated[
        Path,
        typer.Argument(
            metavar="DIR", help="A thunderbird/autoconfig checkout (or its ispdb/ folder)."
        ),
    ],
    all_differences: Annotated[
        bool,
        typer.Option("--all", help="Also list differences recorded as deliberate overrides."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Compare our entries with a local ISPDB checkout; exit 1 if anything differs."""
    from mailprobe.providers.maintain import diff_ispdb, ispdb_files

    if not folder.is_dir() or not ispdb_files(folder):
        _stop(f"error: {folder}: no ISPDB files found", _EXIT_USAGE)
    found = diff_ispdb(_db(), folder)
    shown = [d for d in found if all_differences or d.override is None]
    if as_json:
        typer.echo(json.dumps([d.to_dict() for d in shown], indent=2, ensure_ascii=False))
    else:
        for difference in shown:
            typer.echo(difference.line())
        deliberate = sum(1 for d in found if d.override is not None)
        typer.echo(
            f"{len(found)} difference(s), {deliberate} of them deliberate (recorded overrides)",
            err=True,
        )
    if shown:
        raise typer.Exit(_EXIT_PROBLEMS)
