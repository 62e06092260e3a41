"""Maintainer tools for the provider database: freshness, autoconfig drafts, ISPDB diffs.

    period = parse_period("12m")                      # d, w, m, y
    old = stale(db.providers(), period, date.today())
    text = draft_from_autoconfig(xml_bytes, origin="https://...", today=date.today())
    for difference in diff_ispdb(db, Path("thunderbird-autoconfig/ispdb")): ...

No network here: the caller fetches an autoconfig URL (the CLI uses `net.http`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from mailprobe.models import Address, ServerSetting
from mailprobe.providers.db import ProviderDb
from mailprobe.providers.model import Provider, ReferenceSource, ServerEntry

_PERIOD = re.compile(r"^\s*(\d{1,4})\s*([dwmy])\s*$", re.IGNORECASE)
# A stand-in address whose parts are mapped back to placeholders after parsing.
_LOCAL = "mailprobe-local-part"
_DOMAIN = "mailprobe-email-domain.invalid"
_SENTINEL = Address(_LOCAL, _DOMAIN, _DOMAIN)
_MAX_FILES = 10_000


@dataclass(frozen=True)
class Period:
    """A span of days, weeks, months or years (`12m`)."""

    count: int
    unit: str  # d | w | m | y

    def before(self, today: date) -> date:
        """The day this period before `today` (month ends clamp: 31 March - 1m = 28/29 Feb)."""
        if self.unit == "d":
            return today - timedelta(days=self.count)
        if self.unit == "w":
            return today - timedelta(weeks=self.count)
        months = self.count * (12 if self.unit == "y" else 1)
        year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
        month += 1
        for day in range(today.day, 0, -1):
            try:
                return date(year, month, day)
            except ValueError:
                continue
        raise AssertionError("unreachable: day 1 always exists")

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"


def parse_period(text: str) -> Period:
    """`12m`, `90d`, `6w`, `1y` as a Period; ValueError for anything else."""
    match = _PERIOD.match(text)
    if match is None:
        raise ValueError(
            f"{text!r} is not a period: use a number and d, w, m or y (for example 12m)"
        )
    count = int(match.group(1))
    if count == 0:
        raise ValueError(f"{text!r}: the period must be at least 1")
    return Period(count, match.group(2).lower())


def stale(providers: Iterable[Provider], period: Period, today: date) -> list[Provider]:
    """Providers not checked within `period` before `today` (or never), oldest first."""
    cutoff = period.before(today)
    old = [p for p in providers if p.checked is None or p.checked < cutoff]
    return sorted(old, key=lambda p: (p.checked or date.min, p.id))


# --------------------------------------------------------------------------- autoconfig drafts


def _placeholders(text: str) -> str:
    return (
        text.replace(f"{_LOCAL}@{_DOMAIN}", "%EMAILADDRESS%")
        .replace(_LOCAL, "%EMAILLOCALPART%")
        .replace(_DOMAIN, "%EMAILDOMAIN%")
    )


def _entry(setting: ServerSetting) -> dict[str, Any]:
    data: dict[str, Any] = {
        "protocol": str(setting.protocol),
        "host": _placeholders(setting.host),
        "port": setting.port,
        "security": str(setting.security),
    }
    if setting.username:
        data["username"] = _placeholders(setting.username)
    data["auth"] = list(dict.fromkeys(_AUTH.get(a.lower(), a.lower()) for a in setting.auth)) or [
        "password-cleartext"
    ]
    return data


_AUTH = {"plain": "password-cleartext", "secure": "password-encrypted"}


def _draft_id(domains: Sequence[str], provider_id: str | None) -> str:
    base = (provider_id or (domains[0] if domains else "provider")).lower()
    cleaned = re.sub(r"[^a-z0-9._-]+", "-", base).strip("-._")
    return cleaned[:64] or "provider"


_ISPDB_URL = "https://autoconfig.thunderbird.net/v1.1/"


def _draft_source(origin: str, docs: Sequence[str], domains: Sequence[str]) -> str | None:
    """The provider's page if the file links one, else the URL fetched, else the ISPDB's
    public URL for a file named after one of its domains (an ISPDB checkout); or None."""
    if docs:
        return docs[0]
    if origin.startswith(("http://", "https://")):
        return origin
    stem = Path(origin).name.removesuffix(".xml")
    return f"{_ISPDB_URL}{stem}" if stem in domains else None


def autoconfig_draft(data: bytes, origin: str, today: date) -> dict[str, Any]:
    """A provider table (TOML keys) from a config-v1.1 file; ValueError if unusable.

    Server order is the file's order; placeholders stay placeholders. The draft is for
    review: `status`, `hints` and `source` need a person's judgement before it ships.
    """
    from mailprobe.sources.autoconfig_xml import parse_config

    parsed = parse_config(data, _SENTINEL)
    domains = [d.strip().lower().rstrip(".") for d in parsed.domains if d.strip()]
    domains = list(dict.fromkeys(d for d in domains if d != _DOMAIN))
    docs = [d.url for d in parsed.documentation if d.url.startswith(("http://", "https://"))]
    hints = [
        f"Enable mail-program access first (see {e.visit_url})."
        for e in parsed.enable
        if e.visit_url
    ]
    if parsed.enable and not hints:
        hints = ["Access for mail programs must be switched on in the account settings first."]
    table: dict[str, Any] = {
        "id": _draft_id(domains, parsed.provider_id),
        "name": parsed.display_name or parsed.short_name or (domains[0] if domains else "?"),
        "status": "preparation" if parsed.enable else "ok",
        "domains": domains,
        "hints": hints,
        "docs": docs,
        "source": _draft_source(origin, docs, domains),
        "checked": today,
        "sources": [f"autoconfig: {origin}"],
        "servers": [_entry(s) for s in parsed.settings],
    }
    oauth = parsed.oauth2
    if oauth and oauth.issuer and oauth.auth_url and oauth.token_url and oauth.scopes:
        table["oauth2"] = {
            "issuer": oauth.issuer,
            "scopes": list(oauth.scopes),
            "auth_url": oauth.auth_url,
            "token_url": oauth.token_url,
        }
    return table


def _toml_value(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        items = [_toml_value(v) for v in value]
        inline = "[" + ", ".join(items) + "]"
        if len(inline) <= 88:
            return inline
        return "[\n" + "".join(f"    {i},\n" for i in items) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


_TOP = ("id", "name", "status", "domains", "hints", "docs", "source", "checked", "sources")


def to_toml(table: dict[str, Any]) -> str:
    """A provider table as TOML in the database's key order."""
    out = [
        f"{key} = {_toml_value(table[key])}"
        for key in _TOP
        if key in table and table[key] not in (None, [])
    ]
    for server in table.get("servers", []):
        out.append("\n[[servers]]")
        out += [f"{k} = {_toml_value(v)}" for k, v in server.items() if v is not None]
    if table.get("oauth2"):
        out.append("\n[oauth2]")
        out += [f"{k} = {_toml_value(v)}" for k, v in table["oauth2"].items()]
    return "\n".join(out) + "\n"


def draft_from_autoconfig(data: bytes, origin: str, today: date) -> str:
    """`autoconfig_draft` written as TOML, with a header saying what to review."""
    table = autoconfig_draft(data, origin, today)
    header = (
        f"# Draft from {origin}: review status, hints and source (the provider's own\n"
        f"# settings page) before saving it as provider_db/{table['id']}.toml.\n"
    )
    return header + to_toml(table)


# --------------------------------------------------------------------------- ISPDB diff


@dataclass(frozen=True)
class Difference:
    """One way our database differs from an ISPDB file.

    `kind`: `domain-missing` (the ISPDB knows a domain we do not), `domain-elsewhere` (we
    file it under a provider the other domains of that file do not use), `server-missing`
    (the ISPDB lists a server our entry lacks), `server-extra` (our entry lists a server
    the ISPDB file lacks), `unreadable` (the file could not be parsed). `override` holds
    the recorded reason when the difference is deliberate.
    """

    file: str
    kind: str
    subject: str
    provider: str | None = None
    override: str | None = None

    def line(self) -> str:
        """One human-readable line."""
        where = f" [{self.provider}]" if self.provider else ""
        why = f" (deliberate: {self.override})" if self.override else ""
        return f"{self.file}{where}: {self.kind}: {self.subject}{why}"

    def to_dict(self) -> dict[str, str | None]:
        """A JSON-ready mapping."""
        return {
            "file": self.file,
            "kind": self.kind,
            "subject": self.subject,
            "provider": self.provider,
            "override": self.override,
        }


def _label(server: ServerEntry | dict[str, Any]) -> str:
    if isinstance(server, ServerEntry):
        return server.label
    return f"{server['protocol']} {server['host']}:{server['port']} {server['security']}"


def _override(provider: Provider, subject: str) -> str | None:
    for override in provider.overrides:
        if override.source is ReferenceSource.ISPDB and override.subject == subject:
            return override.reason
    return None


def ispdb_files(folder: Path) -> list[Path]:
    """The config files of an ISPDB checkout (`ispdb/` inside it, or the folder itself)."""
    inner = folder / "ispdb"
    base = inner if inner.is_dir() else folder
    files = sorted(p for p in base.iterdir() if p.is_file() and not p.name.startswith("."))
    return [p for p in files if p.suffix in ("", ".xml") and p.name != "LICENSE"][:_MAX_FILES]


def diff_file(db: ProviderDb, path: Path) -> list[Difference]:
    """The differences between one ISPDB file and our entries for its domains."""
    from mailprobe.sources.autoconfig_xml import ConfigParseError, parse_config

    name = path.name
    try:
        parsed = parse_config(path.read_bytes()[: 1024 * 1024 + 1], _SENTINEL)
    except (ConfigParseError, OSError) as exc:
        return [Difference(name, "unreadable", str(exc))]
    domains = list(dict.fromkeys(d.strip().lower() for d in parsed.domains if d.strip()))
    found: dict[str, Provider | None] = {d: db.by_domain(d) for d in domains}
    out: list[Difference] = []
    owners = [p for p in found.values() if p is not None]
    if not owners:
        shown = ", ".join(domains[:5]) + (f" (+{len(domains) - 5})" if len(domains) > 5 else "")
        return [Difference(name, "domain-missing", shown or "(no domains)")]
    counts: dict[str, int] = {}
    for p in owners:
        counts[p.id] = counts.get(p.id, 0) + 1
    main_id = max(sorted(counts), key=lambda pid: counts[pid])
    main = next(p for p in owners if p.id == main_id)
    for domain, provider in found.items():
        if provider is None:
            out.append(Difference(name, "domain-missing", domain, main.id, _override(main, domain)))
        elif provider.id != main.id:
            reason = _override(provider, domain) or _override(main, domain)
            out.append(
                Difference(name, "domain-elsewhere", f"{domain} -> {provider.id}", main.id, reason)
            )
    ours = {_label(s) for s in db.effective(main).servers}
    theirs = [_label(_entry(s)) for s in parsed.settings]
    for subject in theirs:
        if subject not in ours:
            out.append(
                Difference(name, "server-missing", subject, main.id, _override(main, subject))
            )
    for subject in sorted(ours - set(theirs)):
        out.append(Difference(name, "server-extra", subject, main.id))
    return out


def diff_ispdb(db: ProviderDb, folder: Path) -> list[Difference]:
    """Every difference between our database and the ISPDB files in `folder`."""
    out: list[Difference] = []
    for path in ispdb_files(folder):
        out.extend(diff_file(db, path))
    return out
