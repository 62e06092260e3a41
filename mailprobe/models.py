"""The data mailprobe passes around: frozen dataclasses and string enums, no I/O.

Every stage of the pipeline (address -> source outcomes -> candidates -> probe results ->
findings -> report) speaks in these types. Expected failures are values here (a status and
a reason), never exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailprobe.net.budget import HostBudget


class Protocol(StrEnum):
    """A mail access or submission protocol."""

    IMAP = "imap"
    POP3 = "pop3"
    SMTP = "smtp"


class Security(StrEnum):
    """How a connection is secured: TLS from the first byte, upgraded, or not at all."""

    TLS = "tls"
    STARTTLS = "starttls"
    PLAIN = "plain"

    @property
    def strength(self) -> int:
        """Higher is better, per RFC 8314 (implicit TLS preferred over STARTTLS)."""
        return {Security.TLS: 2, Security.STARTTLS: 1, Security.PLAIN: 0}[self]


#: Ports a client would pick without being told, per protocol and security (RFC 8314,
#: RFC 6409). Plain-text settings share the STARTTLS ports.
STANDARD_PORTS: Mapping[tuple[Protocol, Security], int] = MappingProxyType(
    {
        (Protocol.IMAP, Security.TLS): 993,
        (Protocol.IMAP, Security.STARTTLS): 143,
        (Protocol.IMAP, Security.PLAIN): 143,
        (Protocol.POP3, Security.TLS): 995,
        (Protocol.POP3, Security.STARTTLS): 110,
        (Protocol.POP3, Security.PLAIN): 110,
        (Protocol.SMTP, Security.TLS): 465,
        (Protocol.SMTP, Security.STARTTLS): 587,
        (Protocol.SMTP, Security.PLAIN): 587,
    }
)

#: Ports where TLS starts with the first byte.
IMPLICIT_TLS_PORTS = frozenset(
    port for (_p, security), port in STANDARD_PORTS.items() if security is Security.TLS
)


def default_security(port: int) -> Security:
    """The security a port usually speaks: TLS on 993/995/465, else STARTTLS."""
    return Security.TLS if port in IMPLICIT_TLS_PORTS else Security.STARTTLS


class SourceId(StrEnum):
    """Where a candidate setting came from."""

    PROVIDER_DB = "provider_db"
    AUTOCONFIG = "autoconfig"
    ISPDB = "ispdb"
    MX = "mx"
    SRV = "srv"
    AUTODISCOVER = "autodiscover"
    GUESS = "guess"
    USER = "user"

    @property
    def precedence(self) -> int:
        """Lower ranks first when trust is equal (see docs/architecture.md, ranking)."""
        return _SOURCE_PRECEDENCE[self]


_SOURCE_PRECEDENCE = {
    SourceId.USER: 0,
    SourceId.PROVIDER_DB: 1,
    SourceId.AUTOCONFIG: 2,
    SourceId.ISPDB: 3,
    SourceId.SRV: 4,
    SourceId.MX: 5,
    SourceId.AUTODISCOVER: 6,
    SourceId.GUESS: 7,
}

#: The order in which sources are listed in reports (stable, independent of timing).
SOURCE_ORDER: tuple[SourceId, ...] = (
    SourceId.PROVIDER_DB,
    SourceId.AUTOCONFIG,
    SourceId.ISPDB,
    SourceId.SRV,
    SourceId.MX,
    SourceId.AUTODISCOVER,
    SourceId.GUESS,
)


class SourceStatus(StrEnum):
    """How one discovery source ended."""

    FOUND = "found"
    EMPTY = "empty"
    ERROR = "error"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"


class ProbeStatus(StrEnum):
    """How a live probe of one endpoint ended."""

    OK = "ok"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    DNS_ERROR = "dns_error"
    TLS_ERROR = "tls_error"
    PROTOCOL_ERROR = "protocol_error"
    RATE_LIMITED = "rate_limited"
    AUTH_FAILED = "auth_failed"
    SKIPPED = "skipped"


class Severity(StrEnum):
    """How much a finding matters; `rank` orders them (error highest)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """2 for error, 1 for warning, 0 for info."""
        return {Severity.ERROR: 2, Severity.WARNING: 1, Severity.INFO: 0}[self]


class ProviderStatus(StrEnum):
    """Whether a provider works with ordinary mail clients."""

    OK = "ok"
    PREPARATION = "preparation"
    BROKEN = "broken"


class LoginStatus(StrEnum):
    """The classified answer to a login attempt."""

    OK = "ok"
    WRONG_CREDENTIALS = "wrong_credentials"
    APP_PASSWORD_REQUIRED = "app_password_required"  # noqa: S105 - a status name
    ACCOUNT_DISABLED = "account_disabled"
    MECHANISM_MISSING = "mechanism_missing"
    NOT_ATTEMPTED = "not_attempted"
    ERROR = "error"


class Cause(StrEnum):
    """Why something failed, as observed: one vocabulary from the socket to the finding.

    Probes (`ProbeResult.cause`), their failed addresses (`FailedAttempt.cause`), the TLS
    certificate check (`TlsInfo.cert_problem`, always a `cert_*` member) and discovery
    sources (`SourceOutcome.cause`) all name failures with these values; diagnosis reads
    them and never the reason text. `docs/causes.md` lists what each one means.
    """

    # name resolution
    NO_SUCH_HOST = "no_such_host"
    DNS_FAILED = "dns_failed"
    DNS_TIMEOUT = "dns_timeout"
    # the connection
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    INCOMPLETE = "incomplete"
    RESET = "reset"
    CLOSED = "closed"
    RATE_LIMITED = "rate_limited"
    # TLS
    NOT_TLS = "not_tls"
    HTTP_ANSWER = "http_answer"
    NO_COMMON_TLS_VERSION = "no_common_tls_version"
    TLS_FAILED = "tls_failed"
    STARTTLS_NOT_OFFERED = "starttls_not_offered"
    STARTTLS_REFUSED = "starttls_refused"
    STARTTLS_INJECTION = "starttls_injection"
    CERT_EXPIRED = "cert_expired"
    CERT_NOT_YET_VALID = "cert_not_yet_valid"
    CERT_SELF_SIGNED = "cert_self_signed"
    CERT_WRONG_NAME = "cert_wrong_name"
    CERT_UNTRUSTED = "cert_untrusted"
    CERT_INCOMPLETE_CHAIN = "cert_incomplete_chain"
    CERT_INVALID = "cert_invalid"
    # what the server said
    WRONG_PROTOCOL = "wrong_protocol"
    GARBAGE = "garbage"
    TOO_LARGE = "too_large"
    # web sources
    HTTP_STATUS = "http_status"
    REDIRECT_LOOP = "redirect_loop"
    INSECURE_HTTP = "insecure_http"
    INVALID_URL = "invalid_url"
    INVALID_DOCUMENT = "invalid_document"
    # anything else (a surprise: the reason says what it was)
    OTHER = "other"

    @property
    def is_certificate(self) -> bool:
        """True for the certificate problems (`cert_*`)."""
        return self.value.startswith("cert_")


# --------------------------------------------------------------------------- addresses


@dataclass(frozen=True)
class Address:
    """A normalised e-mail address.

    `domain` is the A-label (ASCII) form used on the wire; `unicode_domain` is the form a
    person reads. `text` is `local@domain` with the ASCII domain.
    """

    local: str
    domain: str
    unicode_domain: str

    @property
    def text(self) -> str:
        """The address as sent on the wire."""
        return f"{self.local}@{self.domain}"


# --------------------------------------------------------------------------- network options


@dataclass(frozen=True)
class Nameserver:
    """A DNS server given with `--nameserver IP[:PORT]`."""

    ip: str
    port: int = 53


@dataclass(frozen=True)
class ConnectTo:
    """A `--connect-to HOST:PORT:ADDR:PORT` rule, as in curl.

    Connections for `host:port` go to `to_host:to_port` instead, while SNI and
    certificate checks keep using `host`. An empty `host` or a zero `port` matches any.
    """

    host: str
    port: int
    to_host: str
    to_port: int

    def matches(self, host: str, port: int) -> bool:
        """True if this rule applies to a connection for `host:port`."""
        host_ok = not self.host or self.host.lower().rstrip(".") == host.lower().rstrip(".")
        port_ok = self.port == 0 or self.port == port
        return host_ok and port_ok


@dataclass(frozen=True)
class NetOptions:
    """Network settings shared by discovery and probes."""

    nameservers: tuple[Nameserver, ...] = ()
    connect_to: tuple[ConnectTo, ...] = ()
    ca_file: Path | None = None
    timeout: float = 10.0
    #: Believe the DNSSEC AD bit from a resolver that is not on this machine (loopback
    #: resolvers are always believed); see docs/trust-model.md.
    trust_ad: bool = False
    #: Per-mail-server-address connection budget shared by a bulk scan (None: no limit
    #: beyond the probe scheduler's own); see net/budget.py.
    host_budget: HostBudget | None = field(default=None, compare=False, repr=False)

    def route(self, host: str, port: int) -> tuple[str, int] | None:
        """Where `--connect-to` sends `host:port`, or None for the normal route."""
        for rule in self.connect_to:
            if rule.matches(host, port):
                return (rule.to_host or host, rule.to_port or port)
        return None


DEFAULT_ISPDB_URL = "https://autoconfig.thunderbird.net/v1.1/"


@dataclass(frozen=True)
class DiscoveryOptions:
    """What discovery may do: which sources, which channels, what it may reveal."""

    net: NetOptions = field(default_factory=NetOptions)
    ispdb_url: str = DEFAULT_ISPDB_URL
    allow_http: bool = False
    send_address: bool = False
    offline: bool = False
    sources: frozenset[SourceId] | None = None  # None: every source

    def wants(self, source: SourceId) -> bool:
        """True if `source` was selected (all are, unless `--sources` narrowed them)."""
        return self.sources is None or source in self.sources


# --------------------------------------------------------------------------- discovery


@dataclass(frozen=True)
class Provenance:
    """One source's claim for a candidate: which source, where exactly, and trusted or not.

    `origin` is the URL, DNS record name or database entry that said so. `position` is the
    setting's place in that source's own list (0 first): a provider entry lists its servers
    in the provider's order of preference, and ranking honours it before the host name.
    """

    source: SourceId
    origin: str
    trusted: bool
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class ServerSetting:
    """One server setting as a source states it, before merging."""

    protocol: Protocol
    host: str
    port: int
    security: Security
    username: str | None = None
    auth: tuple[str, ...] = ()

    @property
    def endpoint(self) -> tuple[Protocol, str, int, Security]:
        """The identity used to merge the same setting from several sources."""
        return (self.protocol, self.host.lower().rstrip("."), self.port, self.security)


@dataclass(frozen=True)
class Candidate:
    """A server setting with everything every source said about it."""

    setting: ServerSetting
    sources: tuple[Provenance, ...]

    @property
    def protocol(self) -> Protocol:
        """Shortcut for `setting.protocol`."""
        return self.setting.protocol

    @property
    def trusted(self) -> bool:
        """True if at least one source that named this setting is trusted."""
        return any(p.trusted for p in self.sources)

    @property
    def source_ids(self) -> tuple[SourceId, ...]:
        """Distinct sources in provenance order."""
        seen: list[SourceId] = []
        for p in self.sources:
            if p.source not in seen:
                seen.append(p.source)
        return tuple(seen)


@dataclass(frozen=True)
class ProviderInfo:
    """What the provider database knows about the provider behind an address."""

    id: str
    name: str
    status: ProviderStatus
    hints: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()  # mail domains it serves; `*.` wildcards allowed


@dataclass(frozen=True)
class NotOffered:
    """A service a source says is deliberately not provided (SRV target ".", RFC 6186)."""

    protocol: Protocol
    security: Security
    origin: str


@dataclass(frozen=True)
class SourceOutcome:
    """How one discovery source ended: status, time, a reason, and what it found."""

    source: SourceId
    status: SourceStatus
    elapsed_ms: float
    detail: str
    candidates: tuple[Candidate, ...] = ()
    provider: ProviderInfo | None = None
    not_offered: tuple[NotOffered, ...] = ()
    #: Problems in what the source read that did not stop it (a skipped server section,
    #: an odd value), each prefixed with where it was read.
    warnings: tuple[str, ...] = ()
    #: Candidates the source named beyond the per-source cap, left out of the report.
    dropped_candidates: int = 0
    cause: Cause | None = None  # set when the status is error or timeout


# --------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class Finding:
    """Something worth telling the user, with plain-language advice.

    `id` is stable and dotted (e.g. `tls.cert.expired`) so pipelines can match on it.
    """

    id: str
    severity: Severity
    summary: str
    advice: str = ""
    protocol: Protocol | None = None
    host: str | None = None
    port: int | None = None
    policy: str | None = None  # the policy key a `policy.*` finding enforces


@dataclass(frozen=True)
class Change:
    """Something that changed since a baseline report (see mailprobe.baseline).

    `before`/`after` describe the old and new state in a few words (None: absent).
    """

    id: str
    severity: Severity
    summary: str
    protocol: Protocol | None = None
    host: str | None = None
    port: int | None = None
    before: str | None = None
    after: str | None = None


# --------------------------------------------------------------------------- probes


class ProbePhase(StrEnum):
    """A phase of a probe; `ProbeResult.failed_phase` names the one a failure happened in."""

    DNS = "dns"
    CONNECT = "connect"
    BANNER = "banner"
    TLS = "tls"
    CAPABILITIES = "capabilities"
    LOGIN = "login"


@dataclass(frozen=True)
class CertInfo:
    """The leaf certificate a server presented."""

    subject: str
    san: tuple[str, ...]
    issuer: str
    not_after: str  # ISO 8601, UTC, e.g. 2027-01-01T00:00:00Z
    days_left: int
    self_signed: bool = False


@dataclass(frozen=True)
class TlsInfo:
    """The negotiated TLS session and whether the certificate was verified."""

    version: str
    cipher: str
    verified: bool
    verify_error: str | None = None
    cert: CertInfo | None = None
    cert_problem: Cause | None = None  # a `cert_*` cause


@dataclass(frozen=True)
class Timings:
    """Milliseconds spent in each phase of a probe; None where the phase did not happen."""

    dns: float | None = None
    connect: float | None = None
    banner: float | None = None
    tls: float | None = None
    capabilities: float | None = None
    login: float | None = None
    total: float | None = None


@dataclass(frozen=True)
class LoginResult:
    """The classified outcome of one login attempt (never carries the password)."""

    status: LoginStatus
    detail: str = ""
    mechanism: str | None = None
    sender_ok: bool | None = None


@dataclass(frozen=True)
class FailedAttempt:
    """One address of a host that failed before another answered (or all failed)."""

    ip: str
    status: ProbeStatus
    reason: str
    cause: Cause = Cause.OTHER


class TranscriptDirection(StrEnum):
    """Who a transcript line is from: the client (mailprobe), the server, or an event."""

    CLIENT = "client"
    SERVER = "server"
    EVENT = "event"


@dataclass(frozen=True)
class TranscriptEntry:
    """One line of a probe's recorded conversation (`--transcript`), credentials redacted.

    `t_ms` counts milliseconds since the TCP connection of that attempt was made.
    """

    t_ms: float
    dir: TranscriptDirection
    text: str


@dataclass(frozen=True)
class ProbeResult:
    """Everything one live handshake with one endpoint observed.

    `reason` explains a non-ok status in plain words and `cause` names it as data. The
    protocol facts (`preauth`, `login_disabled`, ...) are what diagnosis turns into
    findings.
    """

    status: ProbeStatus
    reason: str = ""
    ip: str | None = None
    timings: Timings = field(default_factory=Timings)
    banner: str | None = None
    capabilities_before_tls: tuple[str, ...] = ()
    capabilities_after_tls: tuple[str, ...] = ()
    auth_mechanisms: tuple[str, ...] = ()
    auth_before_tls: tuple[str, ...] = ()
    tls: TlsInfo | None = None
    login: LoginResult | None = None
    starttls_offered: bool | None = None
    preauth: bool = False
    login_disabled: bool = False
    plaintext_user_before_tls: bool = False
    max_size: int | None = None
    detected_security: Security | None = None
    detected_protocol: Protocol | None = None
    connections: int = 1
    notes: tuple[str, ...] = ()
    failed_phase: ProbePhase | None = None
    cause: Cause | None = None  # why a non-ok status happened; None when ok
    weak_tls_checked: bool = False
    weak_tls_version: str | None = None
    failed_attempts: tuple[FailedAttempt, ...] = ()
    #: Bytes of plain text the server sent after its STARTTLS go-ahead (response
    #: injection, CVE-2011-0411 class); None when none were seen.
    starttls_injection: int | None = None
    #: The recorded conversation when asked for (`--transcript`), else None.
    transcript: tuple[TranscriptEntry, ...] | None = None


@dataclass(frozen=True)
class ProbedCandidate:
    """A candidate together with its probe result (None in discover-only reports)."""

    candidate: Candidate
    probe: ProbeResult | None = None


@dataclass(frozen=True)
class Recommendation:
    """The setting mailprobe recommends for one protocol, with how its probe ended.

    `verified` is None when nothing was probed (discover); otherwise True only when the
    probe ended `ok`, so a rejected login (`auth_failed`) is never verified. `probe` is the
    recommended endpoint's own probe result (None in discover), so a reader of the report
    sees the probe and login outcome without looking the endpoint up among the candidates.
    """

    candidate: Candidate
    verified: bool | None
    probe: ProbeResult | None = None


@dataclass(frozen=True)
class DiscoveryResult:
    """Everything discovery learned: ranked candidates, source outcomes and the provider."""

    address: Address
    candidates: tuple[Candidate, ...]
    sources: tuple[SourceOutcome, ...]
    provider: ProviderInfo | None = None


@dataclass(frozen=True)
class Report:
    """The final answer for one address (or one user-typed endpoint)."""

    address: str | None
    domain: str
    provider: ProviderInfo | None
    recommended: dict[Protocol, Recommendation | None]
    candidates: tuple[ProbedCandidate, ...]
    sources: tuple[SourceOutcome, ...]
    findings: tuple[Finding, ...]
    probed: bool = False
    generated_at: datetime | None = None  # UTC; set by the pipeline when the report is made
    duration_ms: float | None = None  # wall time of the whole run
    changes: tuple[Change, ...] = ()  # since a baseline, when one was given
    policy_rules: tuple[str, ...] = ()  # the policy keys that were evaluated

    def to_json(self) -> dict[str, Any]:
        """The JSON report (docs/json-report.md) as a dict, valid against `mailprobe schema`."""
        from mailprobe.render.json import report_to_json

        return report_to_json(self)

    def worst_severity(self) -> Severity | None:
        """The highest severity among the findings, or None when there are none."""
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=lambda s: s.rank)
