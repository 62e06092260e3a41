"""Facts every output format states the same way: the verdict per service, step by step
(reachable, TLS, login, in a person's words), counts and labels.

`service_verdict(report, protocol)` looks up the probe of the recommended endpoint and
says what happened at each step, so "works" is never printed above a rejected login;
`service_verdicts(report)` is the list the other formats (Markdown, Nagios, JUnit) state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from mailprobe.exit_status import Assessed
from mailprobe.models import (
    Cause,
    LoginStatus,
    ProbedCandidate,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Recommendation,
    Report,
    Security,
    ServerSetting,
    Severity,
)

PROTOCOL_LABELS = {Protocol.IMAP: "IMAP", Protocol.POP3: "POP3", Protocol.SMTP: "SMTP"}
SECURITY_LABELS = {Security.TLS: "SSL/TLS", Security.STARTTLS: "STARTTLS", Security.PLAIN: "none"}

#: Probe statuses meaning "the server answered as configured" (a refused password still does).
WORKING_STATUSES = frozenset({ProbeStatus.OK, ProbeStatus.AUTH_FAILED})


class VerdictState(StrEnum):
    """How one service came out, in one word; `headline` is how the table says it."""

    WORKS = "works"
    CERT_NOT_TRUSTED = "cert_not_trusted"
    LOGIN_FAILED = "login_failed"
    NOT_WORKING = "not_working"
    FOUND = "found"
    NOT_FOUND = "not_found"

    @property
    def headline(self) -> str:
        """The words at the start of the verdict line."""
        return _HEADLINES[self]


_HEADLINES = {
    VerdictState.WORKS: "works",
    VerdictState.CERT_NOT_TRUSTED: "CERT NOT TRUSTED",
    VerdictState.LOGIN_FAILED: "LOGIN FAILED",
    VerdictState.NOT_WORKING: "NOT WORKING",
    VerdictState.FOUND: "found (not tested)",
    VerdictState.NOT_FOUND: "no settings found",
}

#: How a login outcome reads as a verdict step.
LOGIN_STEPS: Mapping[LoginStatus, str] = MappingProxyType(
    {
        LoginStatus.OK: "login OK",
        LoginStatus.WRONG_CREDENTIALS: "login rejected: wrong user name or password",
        LoginStatus.APP_PASSWORD_REQUIRED: "login rejected: app password needed",
        LoginStatus.ACCOUNT_DISABLED: "login rejected: account disabled or not allowed",
        LoginStatus.MECHANISM_MISSING: "login impossible: no usable login method",
        LoginStatus.NOT_ATTEMPTED: "login not tried",
        LoginStatus.ERROR: "login gave no clear answer",
    }
)

_REJECTED = frozenset(
    {
        LoginStatus.WRONG_CREDENTIALS,
        LoginStatus.APP_PASSWORD_REQUIRED,
        LoginStatus.ACCOUNT_DISABLED,
        LoginStatus.MECHANISM_MISSING,
    }
)

_MODE_WORDS = {
    Security.TLS: "SSL/TLS",
    Security.STARTTLS: "STARTTLS",
    Security.PLAIN: "no encryption",
}

#: The step a failed probe stopped at.
_FAILED_STEPS: Mapping[ProbeStatus, str] = MappingProxyType(
    {
        ProbeStatus.REFUSED: "connection refused",
        ProbeStatus.TIMEOUT: "no answer in time",
        ProbeStatus.DNS_ERROR: "server name not found",
        ProbeStatus.TLS_ERROR: "reachable, encryption failed",
        ProbeStatus.PROTOCOL_ERROR: "reachable, unexpected answer",
        ProbeStatus.RATE_LIMITED: "reachable, turned away for now (rate limit)",
        ProbeStatus.SKIPPED: "not tested",
    }
)

#: The step a failed probe stopped at, where its cause says more than its status.
_CAUSE_STEPS: Mapping[Cause, str] = MappingProxyType(
    {
        Cause.UNREACHABLE: "no route to the server from this network",
        Cause.DNS_FAILED: "server name could not be looked up",
        Cause.DNS_TIMEOUT: "server name lookup timed out",
        Cause.INCOMPLETE: "reachable, the greeting never finished",
        Cause.HTTP_ANSWER: "reachable, but a web server answers",
        Cause.WRONG_PROTOCOL: "reachable, but another protocol answers",
        Cause.NOT_TLS: "reachable, but the answer to TLS was not TLS",
        Cause.NO_COMMON_TLS_VERSION: "reachable, encryption failed: no common TLS version",
        Cause.STARTTLS_NOT_OFFERED: "reachable, STARTTLS not offered",
        Cause.STARTTLS_REFUSED: "reachable, STARTTLS refused",
        Cause.STARTTLS_INJECTION: "reachable, STARTTLS answer tampered with: abandoned",
        Cause.CERT_EXPIRED: "reachable, certificate expired",
        Cause.CERT_NOT_YET_VALID: "reachable, certificate not valid yet",
        Cause.CERT_SELF_SIGNED: "reachable, certificate self-signed",
        Cause.CERT_WRONG_NAME: "reachable, certificate is for another name",
        Cause.CERT_UNTRUSTED: "reachable, certificate issuer not trusted",
        Cause.CERT_INCOMPLETE_CHAIN: "reachable, certificate chain incomplete",
        Cause.CERT_INVALID: "reachable, certificate invalid",
    }
)


@dataclass(frozen=True)
class ServiceVerdict:
    """One service's verdict: its state, the setting it is about, and each step."""

    protocol: Protocol
    state: VerdictState
    setting: ServerSetting | None
    steps: tuple[str, ...] = ()

    @property
    def where(self) -> str | None:
        """`imap.example.org:993 SSL/TLS` for the recommended setting (IPv6 in brackets)."""
        s = self.setting
        if s is None:
            return None
        host = f"[{s.host}]" if ":" in s.host else s.host
        return f"{host}:{s.port} {SECURITY_LABELS[s.security]}"

    @property
    def text(self) -> str:
        """`IMAP works`, `SMTP LOGIN FAILED`, `POP3 found (not tested)`, ..."""
        return f"{PROTOCOL_LABELS[self.protocol]} {self.state.headline}"


def probe_of(report: Report, rec: Recommendation) -> ProbeResult | None:
    """The probe result of the recommended endpoint (None in discover-only reports)."""
    if rec.probe is not None:
        return rec.probe
    for pc in report.candidates:
        if pc.candidate == rec.candidate:
            return pc.probe
    for pc in report.candidates:  # same endpoint, merged differently
        if pc.candidate.setting.endpoint == rec.candidate.setting.endpoint:
            return pc.probe
    return None


def _tls_step(setting: ServerSetting, probe: ProbeResult) -> str | None:
    tls = probe.tls
    if tls is None:
        if setting.security is Security.PLAIN or probe.starttls_offered is False:
            return "no encryption"
        return None
    version = tls.version.replace("TLSv", "TLS ")
    if tls.verified:
        return f"{version} OK"
    return f"{version}, certificate NOT trusted"


def steps_for(setting: ServerSetting, probe: ProbeResult) -> tuple[str, ...]:
    """What happened at each step of one probe, in order."""
    if probe.status not in (ProbeStatus.OK, ProbeStatus.AUTH_FAILED):
        step = _FAILED_STEPS.get(probe.status, str(probe.status))
        if probe.cause is not None:
            step = _CAUSE_STEPS.get(probe.cause, step)
        speaks = probe.detected_security
        if speaks is not None and speaks is not setting.security:
            step = f"reachable, but the port speaks {_MODE_WORDS[speaks]}"
        return (step,)
    steps = ["reachable"]
    tls = _tls_step(setting, probe)
    if tls:
        steps.append(tls)
    if probe.login is not None:
        steps.append(LOGIN_STEPS[probe.login.status])
        if probe.login.sender_ok is False:
            steps.append("sender address refused")
    return tuple(steps)


def state_for(probe: ProbeResult | None, verified: bool | None) -> VerdictState:
    """The one-word state of a recommended endpoint and its probe."""
    if probe is None or verified is None:
        return VerdictState.FOUND
    if probe.login is not None and probe.login.status in _REJECTED:
        return VerdictState.LOGIN_FAILED
    if probe.status is ProbeStatus.AUTH_FAILED:
        return VerdictState.LOGIN_FAILED
    if probe.status is ProbeStatus.OK and verified:
        if probe.tls is not None and not probe.tls.verified:
            return VerdictState.CERT_NOT_TRUSTED  # mail apps will warn or refuse
        return VerdictState.WORKS
    return VerdictState.NOT_WORKING


def service_verdict(report: Report, protocol: Protocol) -> ServiceVerdict:
    """The verdict for `protocol` in `report`."""
    rec = report.recommended.get(protocol)
    if rec is None:
        return ServiceVerdict(protocol, VerdictState.NOT_FOUND, None)
    setting = rec.candidate.setting
    probe = probe_of(report, rec) if report.probed else None
    state = state_for(probe, rec.verified)
    steps = steps_for(setting, probe) if probe is not None else ()
    return ServiceVerdict(protocol, state, setting, steps)


def service_verdicts(report: Report) -> list[ServiceVerdict]:
    """A verdict per service that has a recommendation (all three for address reports)."""
    verdicts = [service_verdict(report, protocol) for protocol in Protocol]
    if report.address is None:  # a single-server probe asks about one service
        verdicts = [v for v in verdicts if v.state is not VerdictState.NOT_FOUND]
    return verdicts


#: The severities the monitoring formats count (Nagios perfdata, OpenMetrics): good news
#: (severity `good`) is listed with the findings but is nothing to alert on.
COUNTED_SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)


def severity_counts(report: Assessed) -> Counter[Severity]:
    """How many findings and changes there are of each severity."""
    counts: Counter[Severity] = Counter({s: 0 for s in Severity})
    counts.update(f.severity for f in report.findings)
    counts.update(c.severity for c in report.changes)
    return counts


def counts_text(report: Assessed) -> str:
    """`1 error, 2 warnings, 0 info` over findings and changes (good news is not counted)."""
    c = severity_counts(report)
    err, warn = c[Severity.ERROR], c[Severity.WARNING]
    return (
        f"{err} error{'s' if err != 1 else ''}, {warn} warning{'s' if warn != 1 else ''}, "
        f"{c[Severity.INFO]} info"
    )


def who(report: Report) -> str:
    """The address (or, for a single-server probe, the host) the report is about."""
    return report.address or report.domain


def endpoint_name(pc: ProbedCandidate) -> str:
    """`imap.example.org:993 tls` (IPv6 hosts in brackets)."""
    s = pc.candidate.setting
    host = f"[{s.host}]" if ":" in s.host else s.host
    return f"{host}:{s.port} {s.security}"


def works(pc: ProbedCandidate) -> bool:
    """True if the endpoint's probe answered as configured."""
    return pc.probe is not None and pc.probe.status in WORKING_STATUSES
