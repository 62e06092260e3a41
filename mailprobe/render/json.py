"""The JSON report (schema_version 1), derived from the models through one table.

`SHAPES` says, for every model class that appears in the report, which JSON keys it has,
in order: a field under its own name or renamed, a field whose object is merged into the
parent (`Inline`), or a value computed from the object (`Derived`). Fields that are
deliberately left out are listed in `omit` with the reason. The JSON Schema
(`mailprobe schema`, built by `mailprobe.render.schema`) and the field reference in
docs/json-report.md come from the same table, so output, schema and docs cannot drift.

A model field the table does not mention is still emitted under its own name (nothing is
lost), but the test suite fails until the table names it, which forces a decision and a
description. The shape is a contract: keys may be added, never renamed or removed without
raising `SCHEMA_VERSION`. Everything is emitted in a fixed order so output is deterministic.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import Enum
from types import MappingProxyType
from typing import IO, Any

from mailprobe.models import (
    Candidate,
    Cause,
    CertInfo,
    Change,
    FailedAttempt,
    Finding,
    LoginResult,
    NotOffered,
    ProbedCandidate,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Provenance,
    ProviderInfo,
    Recommendation,
    Report,
    ServerSetting,
    SourceId,
    SourceOutcome,
    SourceProblem,
    Timings,
    TlsInfo,
    TranscriptEntry,
)
from mailprobe.version import __version__

SCHEMA_VERSION = 1


# --------------------------------------------------------------------------- the table


# The four table types are plain slotted classes, not dataclasses: they are built when
# `--json` is first used, and creating dataclass types costs start-up time.


class Field:
    """A model field emitted as a JSON key (`key` defaults to the field's name)."""

    __slots__ = ("doc", "key", "name")

    def __init__(self, name: str, doc: str, key: str | None = None) -> None:
        self.name = name
        self.doc = doc
        self.key = key

    @property
    def json_key(self) -> str:
        """The key in the JSON object."""
        return self.key or self.name


class Inline:
    """A field holding a model object whose keys are merged into the parent object."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class Derived:
    """A key computed from the object.

    `type` is the Python type of the value (it drives the schema); `covers` names the
    field this key stands for, if any; `schema` replaces the schema derived from `type`.
    """

    __slots__ = ("covers", "doc", "get", "key", "schema", "type")

    def __init__(
        self,
        key: str,
        doc: str,
        get: Callable[[Any], Any],
        type: Any,
        covers: str | None = None,
        schema: Mapping[str, Any] | None = None,
    ) -> None:
        self.key = key
        self.doc = doc
        self.get = get
        self.type = type
        self.covers = covers
        self.schema = schema


Key = Field | Inline | Derived


class Shape:
    """How one model class appears in JSON: its keys in order, and the fields left out
    (`omit` maps a field name to the reason it is left out)."""

    __slots__ = ("keys", "omit")

    def __init__(self, keys: tuple[Key, ...], omit: Mapping[str, str] | None = None) -> None:
        self.keys = keys
        self.omit: Mapping[str, str] = omit or {}

    def covered(self) -> set[str]:
        """The model fields this shape emits (directly, renamed, inlined or derived)."""
        names: set[str] = set()
        for key in self.keys:
            if isinstance(key, Field | Inline):
                names.add(key.name)
            elif key.covers is not None:
                names.add(key.covers)
        return names


def _all_protocols(report: Report) -> dict[Protocol, Recommendation | None]:
    return {p: report.recommended.get(p) for p in Protocol}


def _probe_status(rec: Recommendation) -> ProbeStatus | None:
    return rec.probe.status if rec.probe is not None else None


def _probe_reason(rec: Recommendation) -> str | None:
    return rec.probe.reason if rec.probe is not None else None


def _login(rec: Recommendation) -> LoginResult | None:
    return rec.probe.login if rec.probe is not None else None


_SECURITY_DOC = "tls (TLS from the first byte), starttls (upgraded) or plain"

#: The report, class by class. docs/json-report.md lists the same keys with these texts.
SHAPES: Mapping[type, Shape] = MappingProxyType(
    {
        Report: Shape(
            (
                Derived(
                    "schema_version",
                    "Version of this report format; raised only when a key is renamed or removed.",
                    lambda _r: SCHEMA_VERSION,
                    int,
                    schema={"const": SCHEMA_VERSION},
                ),
                Derived(
                    "mailprobe_version",
                    "The mailprobe version that made the report.",
                    lambda _r: __version__,
                    str,
                ),
                Field("address", "The address checked (ASCII domain); null for `probe`."),
                Field("domain", "The mail domain (A-label), or the host given to `probe`."),
                Field(
                    "domain_unicode",
                    "The domain as a person reads it: the Unicode (U-label) form of an "
                    "internationalised domain, else the same as `domain`.",
                ),
                Field("provider", "The provider from the bundled database, or null."),
                Derived(
                    "recommended",
                    "The setting to use per protocol; every protocol is present, null when "
                    "there is none.",
                    _all_protocols,
                    dict[Protocol, Recommendation | None],
                    covers="recommended",
                ),
                Field("candidates", "Every candidate setting in rank order, with its probe."),
                Field("sources", "How each discovery source ended, in a fixed order."),
                Field("findings", "What is worth knowing, most severe first, with advice."),
                Field(
                    "typed",
                    "`probe` only: the settings the user typed in (empty for other commands); "
                    "when one failed and another worked, `recommended` holds the working one.",
                ),
                Field(
                    "probed",
                    "True when live probes ran (check, probe); false for discover.",
                ),
                Field(
                    "generated_at",
                    "When the report was made: UTC, ISO 8601 with milliseconds and Z.",
                ),
                Field("duration_ms", "Wall time of the whole run in milliseconds."),
                Field(
                    "policy_rules",
                    "The policy rule keys evaluated (--policy, e.g. tls.min_version); empty "
                    "without a policy.",
                ),
                Field(
                    "changes",
                    "What changed since --baseline (an earlier report of the same address), "
                    "most severe first; empty without a baseline.",
                ),
            )
        ),
        ProviderInfo: Shape(
            (
                Field("id", "The provider database id (see `mailprobe db show`)."),
                Field("name", "The provider's display name."),
                Field(
                    "status",
                    "ok; preparation (a web setting or app password is needed first); "
                    "broken (ordinary mail apps do not work).",
                ),
                Field("hints", "Advice for this provider from the database."),
                Field("docs", "Links to the provider's own setup pages."),
                Field("domains", "Mail domains the provider serves (`*.` wildcards allowed)."),
            )
        ),
        Recommendation: Shape(
            (
                Inline("candidate"),
                Derived(
                    "sources",
                    "The distinct source ids that named the setting (schema_version 1 "
                    "shape; `provenance` has the objects).",
                    lambda r: r.candidate.source_ids,
                    tuple[SourceId, ...],
                ),
                Field(
                    "verified",
                    "null when nothing was probed (discover); true only when the probe of "
                    "this endpoint ended ok; false when it failed or the login was rejected.",
                ),
                Derived(
                    "probe_status",
                    "How the probe of this endpoint ended (as `candidates[].probe.status`); "
                    "null when nothing was probed.",
                    _probe_status,
                    ProbeStatus | None,
                ),
                Derived(
                    "probe_reason",
                    "Why the probe did not end ok, in plain words (empty when it did); null "
                    "when nothing was probed.",
                    _probe_reason,
                    str | None,
                ),
                Derived(
                    "login",
                    "The login outcome at this endpoint (status not_attempted when --login "
                    "was given but no attempt was made there); null without --login.",
                    _login,
                    LoginResult | None,
                ),
            ),
            omit={
                "probe": "the full probe is the candidate's `probe`; the entry carries its "
                "status, reason and login",
            },
        ),
        ProbedCandidate: Shape(
            (
                Inline("candidate"),
                Derived(
                    "sources",
                    "Every source's claim (schema_version 1 key; the same as `provenance`).",
                    lambda pc: pc.candidate.sources,
                    tuple[Provenance, ...],
                ),
                Field("probe", "What the live handshake observed; null in discover reports."),
            )
        ),
        Candidate: Shape(
            (
                Inline("setting"),
                Field(
                    "sources",
                    "Every source's claim for the setting: which source, where exactly, and "
                    "whether that channel is trusted.",
                    key="provenance",
                ),
                Derived(
                    "trusted",
                    "True when at least one trusted source named the setting (only trusted "
                    "hosts receive a password).",
                    lambda c: c.trusted,
                    bool,
                ),
            )
        ),
        ServerSetting: Shape(
            (
                Field("protocol", "imap, pop3 or smtp."),
                Field("host", "The server's host name."),
                Field("port", "The TCP port."),
                Field("security", _SECURITY_DOC + "."),
                Field("username", "The user name to log in with, or null if unknown."),
                Field("auth", "Authentication methods the source names (autoconfig terms)."),
            )
        ),
        Provenance: Shape(
            (
                Field(
                    "source",
                    "provider_db, autoconfig, ispdb, mx, srv, autodiscover, guess or user.",
                ),
                Field("origin", "The URL, DNS name or database entry that said so."),
                Field("trusted", "Whether this source and channel are trusted."),
            ),
            omit={
                "position": "a ranking input only; candidates are already listed best first",
            },
        ),
        ProbeResult: Shape(
            (
                Field("status", "How the probe ended; ok when the server answered as set."),
                Field("reason", "Why the status is not ok, in plain words; empty when ok."),
                Field("ip", "The address that answered (or the last one tried)."),
                Field(
                    "timings",
                    "Milliseconds per phase; null where a phase did not happen.",
                    key="timings_ms",
                ),
                Field("banner", "The server's greeting line."),
                Field("capabilities_before_tls", "Capabilities announced before TLS."),
                Field("capabilities_after_tls", "Capabilities announced after TLS."),
                Field("auth_mechanisms", "SASL mechanisms offered once secured."),
                Field("auth_before_tls", "SASL mechanisms offered before TLS (a risk)."),
                Field(
                    "starttls_offered",
                    "Whether STARTTLS was offered (null where it does not apply).",
                ),
                Field("preauth", "IMAP greeted with PREAUTH (logged in without a password)."),
                Field("login_disabled", "IMAP announced LOGINDISABLED after TLS."),
                Field(
                    "plaintext_user_before_tls",
                    "POP3 accepted USER before TLS (the user name travels in clear text).",
                ),
                Field("max_size", "SMTP SIZE limit in bytes, or null."),
                Field("detected_security", "The security mode the server actually speaks."),
                Field("detected_protocol", "The protocol the server actually speaks."),
                Field("connections", "TCP connections the probe opened (at most 2)."),
                Field("failed_phase", "The phase a failure happened in, or null."),
                Field(
                    "cause",
                    "Why the status is not ok, from one vocabulary (docs/causes.md); null when ok.",
                ),
                Derived(
                    "failure_kind",
                    "The older name of `cause` (same value), kept for existing consumers.",
                    lambda p: p.cause,
                    Cause | None,
                ),
                Field(
                    "failed_attempts",
                    "Addresses of the host that failed before another answered.",
                ),
                Field("weak_tls_checked", "Whether TLS 1.0/1.1 acceptance was tested."),
                Field("weak_tls_version", "The old TLS version the server accepted, or null."),
                Field("notes", "Further observations in plain words."),
                Field("tls", "The TLS session, or null when TLS was not reached."),
                Field(
                    "login",
                    "The login outcome (not_attempted when withheld); null without --login.",
                ),
                Field(
                    "starttls_injection",
                    "Bytes of plain text sent together with the STARTTLS go-ahead (response "
                    "injection; the probe was abandoned), or null when none were seen.",
                ),
                Field(
                    "transcript",
                    "The recorded conversation (--transcript), credentials shown as "
                    "<redacted>; null when not recorded.",
                ),
            )
        ),
        TranscriptEntry: Shape(
            (
                Field("t_ms", "Milliseconds since that connection was made."),
                Field("dir", "client (mailprobe), server, or event (connection, TLS)."),
                Field("text", "The line or event; long lines are cut with a marker."),
            )
        ),
        Timings: Shape(
            (
                Field("dns", "Resolving the host name."),
                Field("connect", "The TCP connection."),
                Field("banner", "Waiting for the greeting."),
                Field("tls", "The TLS handshake."),
                Field("capabilities", "Asking for capabilities."),
                Field("login", "The login attempt."),
                Field("total", "The whole probe."),
            )
        ),
        TlsInfo: Shape(
            (
                Field("version", "Negotiated TLS version, e.g. TLSv1.3."),
                Field("cipher", "Negotiated cipher suite."),
                Field("verified", "Whether the certificate chain and name verified."),
                Field("verify_error", "Why verification failed, or null."),
                Field(
                    "cert_problem",
                    "The certificate problem as a cause (cert_expired, cert_wrong_name, "
                    "...), or null.",
                ),
                Field("cert", "The leaf certificate, or null if it could not be read."),
            )
        ),
        CertInfo: Shape(
            (
                Field("subject", "The certificate subject."),
                Field("san", "DNS names in the subject alternative name."),
                Field("issuer", "The issuer."),
                Field("not_after", "Expiry: UTC, ISO 8601 with Z."),
                Field("days_left", "Whole days until expiry (negative when expired)."),
                Field("self_signed", "Whether issuer and subject are the same."),
            )
        ),
        LoginResult: Shape(
            (
                Field(
                    "status",
                    "ok, wrong_credentials, app_password_required, account_disabled, "
                    "mechanism_missing, not_attempted or error.",
                ),
                Field("detail", "The server's words or why no attempt was made (redacted)."),
                Field("mechanism", "The SASL mechanism or command used, or null."),
                Field("sender_ok", "SMTP: whether MAIL FROM was accepted (--sender-check)."),
            )
        ),
        FailedAttempt: Shape(
            (
                Field("ip", "The address tried."),
                Field("status", "How that attempt ended."),
                Field("reason", "Why, in plain words."),
                Field("cause", "Why, as a cause (docs/causes.md)."),
            )
        ),
        SourceOutcome: Shape(
            (
                Field("source", "The discovery source."),
                Field("status", "found, empty, error, timeout or skipped."),
                Field("elapsed_ms", "Time the source took in milliseconds."),
                Field("detail", "What happened, in plain words."),
                Field(
                    "cause",
                    "Why an error or timeout happened, as a cause (docs/causes.md); null "
                    "for found, empty and skipped.",
                ),
                Derived(
                    "candidates",
                    "How many settings the source named.",
                    lambda o: len(o.candidates),
                    int,
                    covers="candidates",
                ),
                Field(
                    "warnings",
                    "Problems in what the source read that did not stop it (a skipped "
                    "server section, an odd value), each prefixed with where it was read.",
                ),
                Field(
                    "dropped_candidates",
                    "Settings the source named beyond the per-source cap, left out of the report.",
                ),
                Field("not_offered", "Services the source says are deliberately not provided."),
                Field(
                    "problems",
                    "URLs that answered with something broken (an HTML page, hostile XML, a "
                    "redirect loop, a certificate for another name), each with what is wrong.",
                ),
            ),
            omit={
                "provider": "the provider a source identified is the report's `provider`",
            },
        ),
        SourceProblem: Shape(
            (
                Field("url", "The URL as requested."),
                Field("problem", "What is wrong with its answer, in plain words."),
                Field("cause", "What is wrong with its answer, as a cause (docs/causes.md)."),
            )
        ),
        NotOffered: Shape(
            (
                Field("protocol", "The protocol not offered."),
                Field("security", "The security mode not offered."),
                Field("origin", "The record that says so."),
            )
        ),
        Finding: Shape(
            (
                Field("id", "Stable dotted id (docs/findings.md lists every one)."),
                Field(
                    "severity",
                    "error, warning, info or good (good news: never counts for --fail-on).",
                ),
                Field("protocol", "The protocol it is about, or null."),
                Field("host", "The host it is about, or null."),
                Field("port", "The port it is about, or null."),
                Field("summary", "What was observed, in one sentence."),
                Field("advice", "What to do about it."),
                Field(
                    "policy",
                    "The policy key a policy.* finding enforces (e.g. tls.min_version), else null.",
                ),
            )
        ),
        Change: Shape(
            (
                Field(
                    "id",
                    "change.setting, change.service, change.finding.new, "
                    "change.finding.resolved, change.cert or change.tls_version.",
                ),
                Field(
                    "severity",
                    "error (a new error, a service that stopped, a lower TLS version), "
                    "warning or info (e.g. a renewed certificate).",
                ),
                Field("protocol", "The protocol it is about, or null."),
                Field("host", "The host it is about, or null."),
                Field("port", "The port it is about, or null."),
                Field("before", "The earlier state in a few words, or null (absent)."),
                Field("after", "The new state in a few words, or null (absent)."),
                Field("summary", "What changed, in one sentence."),
            )
        ),
    }
)

#: Keys a `mailprobe scan` line adds to the report (or has instead of it, for a bad input).
SCAN_LINE_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "input": "The input line as given (trimmed).",
        "exit_status": "The exit status the single-address command would have returned.",
        "error": "Why the input could not be used (only on lines without a report).",
    }
)


# --------------------------------------------------------------------------- serializing


def _timestamp(moment: datetime) -> str:
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def to_jsonable(value: Any) -> Any:
    """Any model value as JSON-ready data: objects by `SHAPES`, enums as their value,
    tuples as lists, datetimes as UTC ISO 8601 text."""
    kind = type(value)
    if kind is str or value is None or kind is bool or kind is int or kind is float:
        return value
    plan = _PLANS.get(kind)
    if plan is not None:
        return _object(value, plan)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime):
        return _timestamp(value)
    if isinstance(value, tuple | list):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _object(value, _plan(kind))
    raise TypeError(f"no JSON form for {type(value).__name__}")


#: One step of writing an object: (0, key, field name), (1, "", field name to inline) or
#: (2, key, function of the object).
_Step = tuple[int, str, Any]

#: Per model class: its steps in key order, then the fields the table does not name.
_PLANS: dict[type, tuple[tuple[_Step, ...], tuple[str, ...]]] = {}


def _plan(cls: type) -> tuple[tuple[_Step, ...], tuple[str, ...]]:
    """How to write objects of `cls`, worked out once from `SHAPES`."""
    plan = _PLANS.get(cls)
    if plan is not None:
        return plan
    shape = SHAPES.get(cls)
    steps: list[_Step] = []
    covered: set[str] = set()
    omitted: Mapping[str, str] = {}
    if shape is not None:
        for key in shape.keys:
            if isinstance(key, Field):
                steps.append((0, key.json_key, key.name))
            elif isinstance(key, Inline):
                steps.append((1, "", key.name))
            else:
                steps.append((2, key.key, key.get))
        covered, omitted = shape.covered(), shape.omit
    # A field the table does not name yet is emitted as it is (the drift test flags it).
    rest = tuple(
        f.name for f in dataclasses.fields(cls) if f.name not in covered and f.name not in omitted
    )
    plan = _PLANS[cls] = (tuple(steps), rest)
    return plan


def _object(
    obj: Any, plan: tuple[tuple[_Step, ...], tuple[str, ...]] | None = None
) -> dict[str, Any]:
    steps, rest = plan if plan is not None else _plan(type(obj))
    out: dict[str, Any] = {}
    for kind, key, what in steps:
        if kind == 0:
            out[key] = to_jsonable(getattr(obj, what))
        elif kind == 1:
            out.update(_object(getattr(obj, what)))
        else:
            out[key] = to_jsonable(what(obj))
    for name in rest:
        out[name] = to_jsonable(getattr(obj, name))
    return out


def report_to_json(report: Report) -> dict[str, Any]:
    """The whole report as a JSON-ready dict (schema_version 1)."""
    return _object(report)


def scan_line(text: str, report: Report, exit_status: int) -> dict[str, Any]:
    """One `mailprobe scan` line: `input`, the report, then `exit_status`."""
    return {"input": text, **report_to_json(report), "exit_status": exit_status}


def scan_error_line(text: str, error: str, exit_status: int) -> dict[str, Any]:
    """The `mailprobe scan` line of an input that could not be used."""
    return {"input": text, "error": error, "exit_status": exit_status}


def dumps(report: Report, *, indent: int | None = 2) -> str:
    """The report as JSON text."""
    return json.dumps(report_to_json(report), indent=indent, ensure_ascii=False)


def write(report: Report, stream: IO[str], *, lines: bool = False) -> None:
    """Write the report to `stream`: pretty JSON, or one line for JSON Lines."""
    stream.write(dumps(report, indent=None if lines else 2))
    stream.write("\n")


__all__ = [
    "SCHEMA_VERSION",
    "SHAPES",
    "Derived",
    "Field",
    "Inline",
    "Shape",
    "dumps",
    "report_to_json",
    "scan_error_line",
    "scan_line",
    "to_jsonable",
    "write",
]
