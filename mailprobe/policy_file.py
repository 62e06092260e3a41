"""Reading a policy file (TOML): every key checked, every error naming file, key and line.

The keys are listed in README ("Policies"). An unknown key, a value of the wrong type or
broken TOML raises `PolicyError` (a usage error, exit code 2) with a message of the form
`FILE:LINE: KEY: what is wrong`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from mailprobe.errors import PolicyError
from mailprobe.models import Protocol, Security, Severity, SourceId

#: The TLS versions `tls.min_version` accepts, lowest first.
TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")

#: Every rule key a policy may set, in the order rules are evaluated and reported.
RULE_KEYS: tuple[str, ...] = (
    "require.services",
    "require.implicit_tls",
    "require.no_plaintext_auth",
    "tls.min_version",
    "tls.cert_min_days",
    "tls.verified",
    *(f"expect.{p}.{k}" for p in Protocol for k in ("host", "port", "security")),
    "sources.agree",
    *(f"domain.{k}" for k in ("starttls", "dnssec", "dane", "mta_sts", "tls_rpt")),
)

#: What `domain.mta_sts` accepts, weakest first: "testing" is met by testing or enforce.
MTA_STS_MODES = ("testing", "enforce")

#: The rule keys `mailprobe domain` evaluates (the others are about mail-app settings).
DOMAIN_RULE_KEYS = frozenset(
    {"tls.min_version", "tls.cert_min_days", "tls.verified"}
    | {k for k in RULE_KEYS if k.startswith("domain.")}
)


@dataclass(frozen=True)
class DomainRules:
    """`[domain]`: what `mailprobe domain` must find (unset rules are not evaluated)."""

    starttls: bool = False  # every reachable MX address offers STARTTLS
    dnssec: bool = False  # the MX RRset and every MX host's addresses are DNSSEC-secure
    dane: bool = False  # every MX passes DANE
    mta_sts: str | None = None  # "testing" or "enforce": the least MTA-STS mode
    tls_rpt: bool = False  # a valid TLS-RPT record


@dataclass(frozen=True)
class Expectation:
    """The setting `[expect.<service>]` demands; None fields are not checked."""

    host: str | None = None
    port: int | None = None
    security: Security | None = None


@dataclass(frozen=True)
class Policy:
    """A parsed policy. Unset rules are None/False/empty and are not evaluated."""

    source: str = "<policy>"
    services: tuple[Protocol, ...] | None = None
    implicit_tls: bool = False
    no_plaintext_auth: bool = False
    min_version: str | None = None
    cert_min_days: int | None = None
    verified: bool = False
    expect: Mapping[Protocol, Expectation] = field(default_factory=lambda: MappingProxyType({}))
    agree: tuple[SourceId, ...] = ()
    domain: DomainRules = field(default_factory=DomainRules)
    default_severity: Severity = Severity.ERROR
    severities: Mapping[str, Severity] = field(default_factory=lambda: MappingProxyType({}))

    def rules(self, kind: str | None = None) -> tuple[str, ...]:
        """The keys of the rules this policy sets, in evaluation order; with `kind`
        ("check" or "domain") only those that apply to that kind of report."""
        active: set[str] = set()
        if self.services is not None:
            active.add("require.services")
        if self.implicit_tls:
            active.add("require.implicit_tls")
        if self.no_plaintext_auth:
            active.add("require.no_plaintext_auth")
        if self.min_version is not None:
            active.add("tls.min_version")
        if self.cert_min_days is not None:
            active.add("tls.cert_min_days")
        if self.verified:
            active.add("tls.verified")
        for protocol, exp in self.expect.items():
            for name in ("host", "port", "security"):
                if getattr(exp, name) is not None:
                    active.add(f"expect.{protocol}.{name}")
        if self.agree:
            active.add("sources.agree")
        for name in ("starttls", "dnssec", "dane", "mta_sts", "tls_rpt"):
            if getattr(self.domain, name) not in (None, False):
                active.add(f"domain.{name}")
        keys = tuple(k for k in RULE_KEYS if k in active)
        if kind == "domain":
            return tuple(k for k in keys if k in DOMAIN_RULE_KEYS)
        if kind == "check":
            return tuple(k for k in keys if not k.startswith("domain."))
        return keys

    def severity_for(self, key: str) -> Severity:
        """The severity of a violation of `key`: its own override, a parent's, or default."""
        parts = key.split(".")
        for end in range(len(parts), 0, -1):
            found = self.severities.get(".".join(parts[:end]))
            if found is not None:
                return found
        return self.default_severity


# --------------------------------------------------------------------------- locating keys


def _split_key(text: str) -> tuple[str, ...]:
    """Split a TOML key (`a.b`, `"a.b"`, `a."b.c"`) into its parts, quotes removed."""
    parts = re.findall(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|[^.\s]+', text)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


_HEADER = re.compile(r"\[\s*(?P<key>[^\[\]]+?)\s*\]")
_ASSIGN = re.compile(r"(?P<key>(?:\"(?:[^\"\\]|\\.)*\"|'[^']*'|[A-Za-z0-9_.\-\s])+?)\s*=")


def line_of(text: str, path: tuple[str, ...]) -> int | None:
    """The 1-based line where the key `path` (table parts then key) is set, if found."""
    table: tuple[str, ...] = ()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("["):
            header = _HEADER.match(line)
            if header:
                table = _split_key(header.group("key"))
                if table == path:
                    return number
            continue
        assign = _ASSIGN.match(line)
        if assign:
            full = table + _split_key(assign.group("key"))
            if full[: len(path)] == path:
                return number
    return None


# --------------------------------------------------------------------------- validation


class _Reader:
    """Checks values against the expected types, raising PolicyError with the location."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text

    def fail(self, path: tuple[str, ...], problem: str) -> PolicyError:
        line = line_of(self.text, path)
        where = f"{self.name}:{line}" if line else self.name
        key = ".".join(f'"{p}"' if "." in p or not p else p for p in path)
        return PolicyError(f"{where}: {key}: {problem}")

    def table(
        self, value: object, path: tuple[str, ...], allowed: tuple[str, ...]
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a table, got {_kind(value)}")
        for key in value:
            if key not in allowed:
                known = ", ".join(allowed) if len(allowed) < 8 else "see README, Policies"
                raise self.fail((*path, key), f"unknown key (known here: {known})")
        return value

    def boolean(self, value: object, path: tuple[str, ...]) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, got {_kind(value)}")
        return value

    def integer(self, value: object, path: tuple[str, ...], low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"expected a whole number, got {_kind(value)}")
        if not low <= value <= high:
            raise self.fail(path, f"expected a number from {low} to {high}, got {value}")
        return value

    def string(self, value: object, path: tuple[str, ...]) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"expected a non-empty string, got {_kind(value)}")
        return value.strip()

    def choice(self, value: object, path: tuple[str, ...], choices: tuple[str, ...]) -> str:
        options = ", ".join(f'"{c}"' for c in choices)
        if not isinstance(value, str):
            raise self.fail(path, f"expected one of {options}, got {_kind(value)}")
        if value not in choices:
            raise self.fail(path, f'expected one of {options}, got "{value}"')
        return value

    def choices(self, value: object, path: tuple[str, ...], choices: tuple[str, ...]) -> list[str]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list of strings, got {_kind(value)}")
        out = [self.choice(item, path, choices) for item in value]
        if len(set(out)) != len(out):
            raise self.fail(path, "a value is listed twice")
        return out


def _kind(value: object) -> str:
    """How a TOML value reads in an error message: `a string ('14')`, `a list`, ..."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"  # TOML dates and times


_PROTOCOLS = tuple(str(p) for p in Protocol)
_SECURITIES = tuple(str(s) for s in Security)
_SEVERITIES = tuple(str(s) for s in Severity)
_AGREE_SOURCES = tuple(str(s) for s in SourceId if s is not SourceId.USER)
_TOP = ("require", "tls", "expect", "sources", "domain", "severity")
_DOMAIN_FLAGS = ("starttls", "dnssec", "dane", "tls_rpt")


def _severity_keys() -> tuple[str, ...]:
    """Override keys: every rule key and every table prefix of one, plus `default`."""
    keys = {"default"}
    for rule in RULE_KEYS:
        parts = rule.split(".")
        for end in range(1, len(parts) + 1):
            keys.add(".".join(parts[:end]))
    return tuple(sorted(keys))


def _section(
    reader: _Reader, doc: Mapping[str, Any], name: str, allowed: tuple[str, ...]
) -> dict[str, Any]:
    if name not in doc:
        return {}
    return reader.table(doc[name], (name,), allowed)


def parse_policy(text: str, name: str = "<policy>") -> Policy:
    """Parse and validate policy TOML `text`; `name` (the file) is used in error messages."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = re.search(r"\(at line (\d+), column \d+\)$", message)
        where = f"{name}:{at.group(1)}" if at else name
        reason = message[: at.start()].strip() if at else message
        raise PolicyError(f"{where}: not valid TOML: {reason}") from None
    reader = _Reader(name, text)
    reader.table(doc, (), _TOP)
    values: dict[str, Any] = {"source": name}

    require = _section(reader, doc, "require", ("services", "implicit_tls", "no_plaintext_auth"))
    if "services" in require:
        listed = reader.choices(require["services"], ("require", "services"), _PROTOCOLS)
        values["services"] = tuple(Protocol(p) for p in listed)
    for key in ("implicit_tls", "no_plaintext_auth"):
        if key in require:
            values[key] = reader.boolean(require[key], ("require", key))

    tls = _section(reader, doc, "tls", ("min_version", "cert_min_days", "verified"))
    if "min_version" in tls:
        values["min_version"] = reader.choice(
            tls["min_version"], ("tls", "min_version"), TLS_VERSIONS
        )
    if "cert_min_days" in tls:
        values["cert_min_days"] = reader.integer(
            tls["cert_min_days"], ("tls", "cert_min_days"), 0, 3650
        )
    if "verified" in tls:
        values["verified"] = reader.boolean(tls["verified"], ("tls", "verified"))

    expect = _section(reader, doc, "expect", _PROTOCOLS)
    expectations: dict[Protocol, Expectation] = {}
    for protocol_name, table in expect.items():
        path = ("expect", protocol_name)
        entry = reader.table(table, path, ("host", "port", "security"))
        expectations[Protocol(protocol_name)] = Expectation(
            host=reader.string(entry["host"], (*path, "host")) if "host" in entry else None,
            port=reader.integer(entry["port"], (*path, "port"), 1, 65535)
            if "port" in entry
            else None,
            security=Security(reader.choice(entry["security"], (*path, "security"), _SECURITIES))
            if "security" in entry
            else None,
        )
    values["expect"] = MappingProxyType(expectations)

    sources = _section(reader, doc, "sources", ("agree",))
    if "agree" in sources:
        agree = reader.choices(sources["agree"], ("sources", "agree"), _AGREE_SOURCES)
        if len(agree) < 2:
            raise reader.fail(("sources", "agree"), "name at least two sources to compare")
        values["agree"] = tuple(SourceId(s) for s in agree)

    domain = _section(reader, doc, "domain", (*_DOMAIN_FLAGS, "mta_sts"))
    flags = {k: reader.boolean(domain[k], ("domain", k)) for k in _DOMAIN_FLAGS if k in domain}
    mode = (
        reader.choice(domain["mta_sts"], ("domain", "mta_sts"), MTA_STS_MODES)
        if "mta_sts" in domain
        else None
    )
    values["domain"] = DomainRules(mta_sts=mode, **flags)

    severity = _section(reader, doc, "severity", _severity_keys())
    overrides: dict[str, Severity] = {}
    for key, value in severity.items():
        level = Severity(reader.choice(value, ("severity", key), _SEVERITIES))
        if key == "default":
            values["default_severity"] = level
        else:
            overrides[key] = level
    values["severities"] = MappingProxyType(overrides)
    return Policy(**values)


def load_policy(path: str | Path) -> Policy:
    """Read and validate the policy file at `path` (PolicyError if unreadable or invalid)."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise PolicyError(f"{name}: cannot read the policy: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyError(f"{name}: not valid TOML: the file is not UTF-8") from None
    return parse_policy(text, name)


__all__ = [
    "DOMAIN_RULE_KEYS",
    "MTA_STS_MODES",
    "RULE_KEYS",
    "TLS_VERSIONS",
    "DomainRules",
    "Expectation",
    "Policy",
    "load_policy",
    "parse_policy",
]
