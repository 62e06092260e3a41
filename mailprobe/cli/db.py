"""`mailprobe db ...`: list, show, validate and export entries of the provider database.

Only parsing and rendering live here; lookups, validation and export are
`mailprobe.providers`. Results go to stdout, problems to stderr. Exit codes: 0 fine,
1 the folder has problems (`validate`), 2 unknown id or unusable input.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

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
    lines.append(f"last checked: {provider.last_checked}")
    lines.append(f"sources:      {', '.join(provider.sources)}")
    if provider.servers:
        rows = [
            (s.protocol, s.host, s.port, s.security, s.username or "-", ", ".join(s.auth))
            for s in provider.servers
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


@db_app.command("validate")
def validate(
    path: Annotated[
        Path | None,
        typer.Argument(metavar="[PATH]", help="A provider folder (default: the bundled database)."),
    ] = None,
) -> None:
    """Check every provider file; list each problem on stderr and exit 1 if there are any."""
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
    provider = _provider(provider_id)
    domains = tuple(d.strip().lower().rstrip(".") for d in domain) if domain else None
    typer.echo(export_autoconfig(provider, domains), nl=False)
