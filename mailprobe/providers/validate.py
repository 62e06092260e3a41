"""Strict reading of one provider file: every key, type and value is checked.

A problem raises `ProviderDbError` whose message starts with the file name and the field
(`gmail.toml: servers[1].port: ...`), so a person can fix the entry without guessing.
Checks that span files (a domain claimed twice) live in `db.py` (`cross_check`).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar, cast

from mailprobe.errors import ProviderDbError
from mailprobe.models import Protocol, ProviderStatus, Security
from mailprobe.providers.model import (
    PLACEHOLDERS,
    AuthMethod,
    OAuth2Endpoints,
    Override,
    OverrideKind,
    Provider,
    ReferenceSource,
    ServerEntry,
)

_ID = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$")
_HOST = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9-]{1,63}(?<!-))*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_IP_LIKE = re.compile(r"^[0-9a-f:.]+$")
_PLACEHOLDER = re.compile(r"%[A-Za-z]*%?")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
_MAX_FILE = 256 * 1024
_MAX_TEXT = 2000

_TOP_KEYS = frozenset(
    {
        "id",
        "name",
        "status",
        "domains",
        "mx_patterns",
        "servers",
        "hints",
        "docs",
        "website",
        "oauth2",
        "source",
        "checked",
        "sources",
        "successor",
        "overrides",
    }
)
_REQUIRED = ("id", "name", "status", "domains", "source", "checked", "sources")
#: No entry can have been checked before the database's format had a check date.
_EARLIEST_CHECK = date(2020, 1, 1)
_SERVER_KEYS = frozenset({"protocol", "host", "port", "security", "username", "auth"})
_OAUTH2_KEYS = frozenset({"issuer", "scopes", "auth_url", "token_url"})
_OVERRIDE_KEYS = frozenset({"source", "kind", "subject", "reason"})

_E = TypeVar("_E", bound=StrEnum)


@functools.cache
def _members(kind: type[StrEnum]) -> dict[str, Any]:
    return {member.value: member for member in kind}


class _Checker:
    """Collects the file name so every message can name file and field."""

    def __init__(self, path: Path) -> None:
        self.name = path.name

    def fail(self, field: str, problem: str) -> ProviderDbError:
        return ProviderDbError(f"{self.name}: {field}: {problem}")

    def keys(self, table: dict[str, Any], allowed: frozenset[str], where: str) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            field = f"{where}.{unknown[0]}" if where else unknown[0]
            raise self.fail(field, f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def text(self, value: Any, field: str, *, max_len: int = _MAX_TEXT) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, "must be a non-empty string")
        if len(value) > max_len:
            raise self.fail(field, f"is longer than {max_len} characters")
        if _CONTROL.search(value):
            raise self.fail(field, "contains control characters")
        return value

    def texts(self, value: Any, field: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(field, "must be a list of strings")
        return tuple(self.text(v, f"{field}[{i}]") for i, v in enumerate(value))

    def enum(self, value: Any, kind: type[_E], field: str) -> _E:
        members = _members(kind)
        member = members.get(value) if isinstance(value, str) else None
        if member is None:
            raise self.fail(field, f"{value!r} is not one of {', '.join(members)}")
        return cast(_E, member)

    def url(self, value: Any, field: str, *, https_only: bool = False) -> str:
        text = self.text(value, field)
        if not _URL.match(text) or (https_only and not text.startswith("https://")):
            scheme = "https://" if https_only else "http(s)://"
            raise self.fail(field, f"{text!r} is not a {scheme} URL")
        return text

    def hostname(self, value: Any, field: str, *, template: bool = False) -> str:
        text = self.text(value, field, max_len=253)
        if template:
            bad = [p for p in _PLACEHOLDER.findall(text) if p != "%EMAILDOMAIN%"]
            if bad:
                raise self.fail(field, f"{bad[0]!r}: a host may only use %EMAILDOMAIN%")
            probe = text.replace("%EMAILDOMAIN%", "example.org")
        else:
            probe = text
        if _IP_LIKE.match(probe) and _is_ip(probe):
            return text
        if not is_host_name(probe):
            raise self.fail(field, f"{text!r} is not a valid lower-case host name")
        return text


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def is_host_name(text: str) -> bool:
    """True for a lower-case DNS host name (A-labels only, no trailing dot)."""
    return len(text) <= 253 and _HOST.match(text) is not None


def _domain(check: _Checker, value: Any, field: str) -> str:
    text = check.text(value, field, max_len=255)
    bare = text[2:] if text.startswith("*.") else text
    if not is_host_name(bare):
        raise check.fail(field, f"{text!r} is not a valid lower-case domain or *.domain")
    return text


def _server(check: _Checker, table: Any, field: str) -> ServerEntry:
    if not isinstance(table, dict):
        raise check.fail(field, "must be a table")
    check.keys(table, _SERVER_KEYS, field)
    for key in ("protocol", "host", "port", "security"):
        if key not in table:
            raise check.fail(f"{field}.{key}", "is required")
    protocol = check.enum(table["protocol"], Protocol, f"{field}.protocol")
    host = check.hostname(table["host"], f"{field}.host", template=True)
    port = table["port"]
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise check.fail(f"{field}.port", f"{port!r} is not a port number (1-65535)")
    security = check.enum(table["security"], Security, f"{field}.security")
    username = None
    if "username" in table:
        username = check.text(table["username"], f"{field}.username", max_len=200)
        for placeholder in _PLACEHOLDER.findall(username):
            if placeholder not in PLACEHOLDERS:
                raise check.fail(
                    f"{field}.username",
                    f"unknown placeholder {placeholder!r} (allowed: {', '.join(PLACEHOLDERS)})",
                )
    auth: tuple[AuthMethod, ...] = (AuthMethod.PASSWORD_CLEARTEXT,)
    if "auth" in table:
        values = table["auth"]
        if not isinstance(values, list) or not values:
            raise check.fail(f"{field}.auth", "must be a non-empty list")
        auth = tuple(check.enum(v, AuthMethod, f"{field}.auth[{i}]") for i, v in enumerate(values))
    return ServerEntry(protocol, host, port, security, username, auth)


def _oauth2(check: _Checker, table: Any) -> OAuth2Endpoints:
    if not isinstance(table, dict):
        raise check.fail("oauth2", "must be a table")
    check.keys(table, _OAUTH2_KEYS, "oauth2")
    for key in sorted(_OAUTH2_KEYS):
        if key not in table:
            raise check.fail(f"oauth2.{key}", "is required")
    scopes = check.texts(table["scopes"], "oauth2.scopes")
    if not scopes:
        raise check.fail("oauth2.scopes", "must name at least one scope")
    return OAuth2Endpoints(
        issuer=check.hostname(table["issuer"], "oauth2.issuer"),
        scopes=scopes,
        auth_url=check.url(table["auth_url"], "oauth2.auth_url", https_only=True),
        token_url=check.url(table["token_url"], "oauth2.token_url", https_only=True),
    )


def _override(check: _Checker, table: Any, field: str) -> Override:
    if not isinstance(table, dict):
        raise check.fail(field, "must be a table")
    check.keys(table, _OVERRIDE_KEYS, field)
    for key in ("source", "kind", "subject", "reason"):
        if key not in table:
            raise check.fail(f"{field}.{key}", "is required")
    return Override(
        source=check.enum(table["source"], ReferenceSource, f"{field}.source"),
        kind=check.enum(table["kind"], OverrideKind, f"{field}.kind"),
        subject=check.text(table["subject"], f"{field}.subject"),
        reason=check.text(table["reason"], f"{field}.reason"),
    )


def _unique(check: _Checker, items: tuple[str, ...], field: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item in seen:
            raise check.fail(f"{field}[{i}]", f"{item!r} is listed twice")
        seen.add(item)


def _checked(check: _Checker, value: Any) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise check.fail("checked", f"{value!r} is not a date (checked = 2026-12-01)") from None
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise check.fail("checked", f"{value!r} is not a date (checked = 2026-12-01)")
    if value < _EARLIEST_CHECK:
        raise check.fail("checked", f"{value} is before {_EARLIEST_CHECK}")
    return value


def _successor(
    check: _Checker, data: dict[str, Any], provider_id: str, servers: tuple[ServerEntry, ...]
) -> str | None:
    if "successor" not in data:
        return None
    successor = check.text(data["successor"], "successor", max_len=64)
    if not _ID.match(successor):
        raise check.fail("successor", f"{successor!r} is not a provider id")
    if successor == provider_id:
        raise check.fail("successor", "an entry cannot succeed itself")
    if servers:
        raise check.fail(
            "successor", "an entry with a successor uses the successor's servers: list none"
        )
    return successor


def provider_from_table(data: dict[str, Any], path: Path) -> Provider:
    """Validate one parsed provider table; `path` names the file in messages."""
    check = _Checker(path)
    check.keys(data, _TOP_KEYS, "")
    for key in _REQUIRED:
        if key not in data:
            raise check.fail(key, "is required")
    provider_id = check.text(data["id"], "id", max_len=64)
    if not _ID.match(provider_id):
        raise check.fail("id", f"{provider_id!r} must be lower-case letters, digits, '.', '-', '_'")
    if provider_id != path.stem:
        raise check.fail("id", f"{provider_id!r} must match the file name ({path.stem}.toml)")
    status = check.enum(data["status"], ProviderStatus, "status")
    raw_domains = data["domains"]
    if not isinstance(raw_domains, list):
        raise check.fail("domains", "must be a list of domains")
    domains = tuple(_domain(check, d, f"domains[{i}]") for i, d in enumerate(raw_domains))
    _unique(check, domains, "domains")
    raw_patterns = data.get("mx_patterns", [])
    if not isinstance(raw_patterns, list):
        raise check.fail("mx_patterns", "must be a list of host suffixes")
    mx_patterns = tuple(check.hostname(p, f"mx_patterns[{i}]") for i, p in enumerate(raw_patterns))
    for i, pattern in enumerate(mx_patterns):
        if "." not in pattern:
            raise check.fail(f"mx_patterns[{i}]", f"{pattern!r} is too broad (needs a dot)")
    _unique(check, mx_patterns, "mx_patterns")
    if not domains and not mx_patterns:
        raise check.fail("domains", "is empty and there are no mx_patterns: nothing would match")
    raw_servers = data.get("servers", [])
    if not isinstance(raw_servers, list):
        raise check.fail("servers", "must be an array of tables ([[servers]])")
    servers = tuple(_server(check, s, f"servers[{i}]") for i, s in enumerate(raw_servers))
    hints = check.texts(data.get("hints", []), "hints")
    if status is not ProviderStatus.OK and not hints:
        raise check.fail("hints", f"status {status} needs at least one hint saying why")
    if not isinstance(data.get("docs", []), list):
        raise check.fail("docs", "must be a list of URLs")
    docs = tuple(check.url(u, f"docs[{i}]") for i, u in enumerate(data.get("docs", [])))
    website = check.url(data["website"], "website") if "website" in data else None
    source = check.url(data["source"], "source")
    checked = _checked(check, data["checked"])
    sources = check.texts(data["sources"], "sources")
    if not sources:
        raise check.fail("sources", "must name at least one source")
    raw_overrides = data.get("overrides", [])
    if not isinstance(raw_overrides, list):
        raise check.fail("overrides", "must be an array of tables ([[overrides]])")
    return Provider(
        id=provider_id,
        name=check.text(data["name"], "name", max_len=120),
        status=status,
        domains=domains,
        servers=servers,
        mx_patterns=mx_patterns,
        hints=hints,
        docs=docs,
        website=website,
        oauth2=_oauth2(check, data["oauth2"]) if "oauth2" in data else None,
        source=source,
        checked=checked,
        sources=sources,
        successor=_successor(check, data, provider_id, servers),
        overrides=tuple(
            _override(check, o, f"overrides[{i}]") for i, o in enumerate(raw_overrides)
        ),
        path=path,
    )


def successor_problems(by_id: dict[str, Provider]) -> list[str]:
    """Problems with `successor` links: an unknown id, or a successor that has one itself."""
    problems: list[str] = []
    for provider in by_id.values():
        if provider.successor is None:
            continue
        name = provider.path.name if provider.path else provider.id
        heir = by_id.get(provider.successor)
        if heir is None:
            problems.append(f"{name}: successor: no provider with id {provider.successor!r}")
        elif heir.successor is not None:
            problems.append(
                f"{name}: successor: {heir.id!r} has a successor itself ({heir.successor!r}); "
                "name the last one"
            )
    return problems


def load_provider_file(path: Path) -> Provider:
    """Read and validate one provider TOML file, or raise ProviderDbError."""
    import tomllib  # loaded on demand: a cached database never needs it

    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_FILE + 1)
    except OSError as exc:
        raise ProviderDbError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > _MAX_FILE:
        raise ProviderDbError(f"{path.name}: file is larger than {_MAX_FILE // 1024} KiB")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProviderDbError(f"{path.name}: file is not UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProviderDbError(f"{path.name}: not valid TOML ({exc})") from None
    return provider_from_table(data, path)
