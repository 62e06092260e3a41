"""The provider database's own types: a provider, its servers, OAuth2 endpoints, overrides.

These mirror one TOML file of `provider_db/` after validation. `Provider.settings_for`
turns the stored username and host patterns into the `ServerSetting`s discovery uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from mailprobe.models import (
    Address,
    Protocol,
    ProviderInfo,
    ProviderStatus,
    Security,
    ServerSetting,
)

#: The placeholders a username or host pattern may contain (Thunderbird's names).
PLACEHOLDERS = ("%EMAILADDRESS%", "%EMAILLOCALPART%", "%EMAILDOMAIN%")


class AuthMethod(StrEnum):
    """How a client proves who it is, in Thunderbird's config-v1.1 vocabulary."""

    PASSWORD_CLEARTEXT = "password-cleartext"  # noqa: S105 - a method name, not a secret
    PASSWORD_ENCRYPTED = "password-encrypted"  # noqa: S105 - a method name, not a secret
    OAUTH2 = "oauth2"
    NTLM = "ntlm"
    GSSAPI = "gssapi"
    CLIENT_IP_ADDRESS = "client-ip-address"
    TLS_CLIENT_CERT = "tls-client-cert"
    NONE = "none"


class OverrideKind(StrEnum):
    """What kind of deliberate difference from a reference database an entry records."""

    SERVER_DROPPED = "server-dropped"
    SERVER_REPLACED = "server-replaced"
    USERNAME_CHANGED = "username-changed"
    STATUS_CHANGED = "status-changed"
    DOMAIN_MOVED = "domain-moved"
    DOMAIN_DROPPED = "domain-dropped"
    DOCS_REPLACED = "docs-replaced"
    OTHER = "other"


class ReferenceSource(StrEnum):
    """The reference databases the bundled entries were compared with."""

    ISPDB = "ispdb"
    DELTACHAT = "deltachat"


def fill_placeholders(pattern: str, address: Address) -> str:
    """Replace `%EMAILADDRESS%`, `%EMAILLOCALPART%` and `%EMAILDOMAIN%` in `pattern`."""
    return (
        pattern.replace("%EMAILADDRESS%", address.text)
        .replace("%EMAILLOCALPART%", address.local)
        .replace("%EMAILDOMAIN%", address.domain)
    )


@dataclass(frozen=True)
class ServerEntry:
    """One server as stored: `host` may hold `%EMAILDOMAIN%`, `username` any placeholder."""

    protocol: Protocol
    host: str
    port: int
    security: Security
    username: str | None = None
    auth: tuple[AuthMethod, ...] = (AuthMethod.PASSWORD_CLEARTEXT,)

    @property
    def label(self) -> str:
        """`protocol host:port security`, the form override subjects use."""
        return f"{self.protocol} {self.host}:{self.port} {self.security}"

    def resolve(self, address: Address) -> ServerSetting:
        """This server for one address, with every placeholder filled in."""
        return ServerSetting(
            protocol=self.protocol,
            host=fill_placeholders(self.host, address),
            port=self.port,
            security=self.security,
            username=fill_placeholders(self.username, address) if self.username else None,
            auth=tuple(str(a) for a in self.auth),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping in the TOML file's key names."""
        return {
            "protocol": str(self.protocol),
            "host": self.host,
            "port": self.port,
            "security": str(self.security),
            "username": self.username,
            "auth": [str(a) for a in self.auth],
        }


@dataclass(frozen=True)
class OAuth2Endpoints:
    """The provider's public OAuth2 endpoints (no client ids or secrets)."""

    issuer: str
    scopes: tuple[str, ...]
    auth_url: str
    token_url: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping in the TOML file's key names."""
        return {
            "issuer": self.issuer,
            "scopes": list(self.scopes),
            "auth_url": self.auth_url,
            "token_url": self.token_url,
        }


@dataclass(frozen=True)
class Override:
    """A deliberate difference from a reference database, with the reason for it.

    `subject` names what differs; for server kinds it is `protocol host:port security`
    exactly as the reference states the server.
    """

    source: ReferenceSource
    kind: OverrideKind
    subject: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready mapping in the TOML file's key names."""
        return {
            "source": str(self.source),
            "kind": str(self.kind),
            "subject": self.subject,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Provider:
    """One validated provider entry.

    `domains` holds exact domains and `*.`-wildcards (any subdomain, not the domain itself);
    `mx_patterns` are host suffixes of the provider's mail exchangers, matched on label
    boundaries. `source` is the URL of the settings the entry was compared with (the
    provider's own page where it publishes one) and `checked` the day of that comparison;
    `sources` names where each fact came from. `successor` is the id of the provider that
    now serves this entry's domains: with no servers of its own, the successor's apply.
    """

    id: str
    name: str
    status: ProviderStatus
    domains: tuple[str, ...]
    servers: tuple[ServerEntry, ...] = ()
    mx_patterns: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    website: str | None = None
    oauth2: OAuth2Endpoints | None = None
    source: str = ""
    checked: date | None = None
    sources: tuple[str, ...] = ()
    successor: str | None = None
    overrides: tuple[Override, ...] = ()
    path: Path | None = field(default=None, compare=False, repr=False)

    @property
    def exact_domains(self) -> tuple[str, ...]:
        """The domains without wildcards."""
        return tuple(d for d in self.domains if not d.startswith("*."))

    def info(self) -> ProviderInfo:
        """What reports show about this provider."""
        return ProviderInfo(
            id=self.id,
            name=self.name,
            status=self.status,
            hints=self.hints,
            docs=self.docs,
            domains=self.domains,
        )

    def age_days(self, today: date) -> int | None:
        """Days since `checked` on `today` (None when the entry has no check date)."""
        return (today - self.checked).days if self.checked else None

    def settings_for(self, address: Address) -> tuple[ServerSetting, ...]:
        """Every server of this provider, resolved for `address`, in file order."""
        return tuple(server.resolve(address) for server in self.servers)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping in the TOML file's key names (stable key order)."""
        return {
            "id": self.id,
            "name": self.name,
            "status": str(self.status),
            "domains": list(self.domains),
            "mx_patterns": list(self.mx_patterns),
            "servers": [s.to_dict() for s in self.servers],
            "hints": list(self.hints),
            "docs": list(self.docs),
            "website": self.website,
            "oauth2": self.oauth2.to_dict() if self.oauth2 else None,
            "source": self.source,
            "checked": self.checked.isoformat() if self.checked else None,
            "sources": list(self.sources),
            "successor": self.successor,
            "overrides": [o.to_dict() for o in self.overrides],
        }
