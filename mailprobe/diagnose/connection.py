"""Findings about reaching an endpoint: DNS, TCP, greeting, protocol and security mode.

`status_findings` explains a failed probe once, preferring the most useful explanation: a
port/mode mismatch (and the mode that works) beats the raw symptom it causes. Only
structured fields are read (`status`, `cause`, `failed_phase`, `detected_security`, ...);
the reason text is quoted, never interpreted.
"""

from __future__ import annotations

from mailprobe.diagnose.catalogue import (
    SERVICE_NAMES,
    FindingId,
    Subject,
    clip,
    listing,
    make_finding,
)
from mailprobe.models import (
    Candidate,
    Cause,
    Finding,
    ProbePhase,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Security,
    Severity,
)

#: Greetings slower than this (milliseconds) are reported; beyond the second, as a warning.
GREETING_SLOW_MS = 5_000.0
GREETING_VERY_SLOW_MS = 15_000.0


_BEFORE_CONNECTION = frozenset({ProbePhase.DNS, ProbePhase.CONNECT})
_AFTER_GREETING = frozenset({ProbePhase.CAPABILITIES, ProbePhase.LOGIN})
_CLOSED = frozenset({Cause.RESET, Cause.CLOSED})
#: What a TLS attempt can be answered with instead of TLS (see `probes.replies`).
_NOT_TLS = frozenset({Cause.NOT_TLS, Cause.GARBAGE, Cause.WRONG_PROTOCOL})


def connected(probe: ProbeResult) -> bool:
    """True if a TCP connection was made (judged by the failed phase, else the timings)."""
    if probe.failed_phase is not None:
        return probe.failed_phase not in _BEFORE_CONNECTION
    return probe.timings.connect is not None or probe.banner is not None


def greeted(probe: ProbeResult) -> bool:
    """True if the server's greeting arrived: its banner was kept, or a later phase failed.

    A failed TLS phase says nothing about a greeting: on an implicit-TLS port there is none
    before the handshake.
    """
    return probe.banner is not None or probe.failed_phase in _AFTER_GREETING


def mode_mismatch(candidate: Candidate, probe: ProbeResult) -> Finding | None:
    """The port/mode mismatch finding, naming the mode that works, or None.

    Only `detected_security` counts: the probe sets it when a connection showed what the
    port speaks (a greeting and its capabilities, or a TLS handshake that worked).
    """
    setting = candidate.setting
    configured, detected = setting.security, probe.detected_security
    subject = Subject.of(setting)
    if detected is None or detected is configured:
        return None
    if detected is Security.TLS:
        asked = "STARTTLS" if configured is Security.STARTTLS else "plain text (no encryption)"
        return make_finding(FindingId.MODE_EXPECTS_TLS, subject, asked=asked)
    if configured is not Security.TLS:
        # STARTTLS vs plain on the same port: the capability findings say what to do.
        return None
    fid = (
        FindingId.MODE_EXPECTS_STARTTLS
        if detected is Security.STARTTLS
        else FindingId.MODE_EXPECTS_PLAIN
    )
    return make_finding(fid, subject)


def _not_what_was_asked(subject: Subject, probe: ProbeResult) -> Finding | None:
    """An HTTP answer, or a TLS attempt answered with non-TLS bytes nobody could name."""
    reason = clip(probe.reason)
    if probe.cause is Cause.HTTP_ANSWER:
        return make_finding(FindingId.PROTOCOL_HTTP, subject, reason=reason)
    tls_answered = probe.failed_phase in (ProbePhase.TLS, None)
    if probe.cause in _NOT_TLS and tls_answered and subject.security is Security.TLS:
        return make_finding(FindingId.MODE_NOT_TLS, subject, reason=reason)
    return None


def _wrong_service(subject: Subject, probe: ProbeResult, expected: Protocol) -> Finding | None:
    detected = probe.detected_protocol
    if detected is None or detected is expected:
        return None
    return make_finding(FindingId.PROTOCOL_WRONG_SERVICE, subject, detected=SERVICE_NAMES[detected])


def _timeout(subject: Subject, probe: ProbeResult) -> Finding:
    reason = clip(probe.reason) or "the attempt timed out"
    if not connected(probe):
        port_note = (
            " Many internet providers block outgoing port 25: to send mail from an app, "
            "use port 587 (STARTTLS) or 465 (SSL/TLS)."
            if subject.protocol is Protocol.SMTP and subject.port == 25
            else ""
        )
        return make_finding(FindingId.CONNECT_TIMEOUT, subject, reason=reason, port_note=port_note)
    if probe.failed_phase is ProbePhase.TLS:
        return make_finding(FindingId.TLS_HANDSHAKE_TIMEOUT, subject, reason=reason)
    if probe.cause is Cause.INCOMPLETE:
        return make_finding(FindingId.CONNECT_GREETING_INCOMPLETE, subject, reason=reason)
    if not greeted(probe):
        return make_finding(FindingId.CONNECT_NO_GREETING, subject)
    return make_finding(FindingId.CONNECT_STALLED, subject, reason=reason)


def _protocol_error(subject: Subject, probe: ProbeResult) -> Finding:
    reason = clip(probe.reason) or "unexpected answer"
    if probe.cause in _CLOSED:
        return make_finding(FindingId.CONNECT_RESET, subject, reason=reason)
    if probe.banner:
        reason = f'{reason} (it said "{clip(probe.banner, 80)}")'
    return make_finding(FindingId.PROTOCOL_UNEXPECTED, subject, reason=reason)


def status_findings(candidate: Candidate, probe: ProbeResult) -> tuple[Finding, ...]:
    """The finding that explains a failed probe (none for ok, TLS and login statuses).

    TLS failures are explained by `tls.tls_findings` and login failures by
    `session.login_findings`, unless a mode mismatch or a wrong protocol explains them.
    """
    setting = candidate.setting
    subject = Subject.of(setting)
    if probe.starttls_injection is not None:
        return (make_finding(FindingId.STARTTLS_INJECTION, subject, size=probe.starttls_injection),)
    mismatch = (
        mode_mismatch(candidate, probe)
        or _wrong_service(subject, probe, setting.protocol)
        or _not_what_was_asked(subject, probe)
    )
    if mismatch is not None:
        return (mismatch,)
    status = probe.status
    reason = clip(probe.reason)
    if status is ProbeStatus.REFUSED:
        if probe.cause is Cause.UNREACHABLE:
            return (make_finding(FindingId.CONNECT_UNREACHABLE, subject, reason=reason),)
        return (make_finding(FindingId.CONNECT_REFUSED, subject),)
    if status is ProbeStatus.TIMEOUT:
        return (_timeout(subject, probe),)
    if status is ProbeStatus.DNS_ERROR:
        fid = (
            FindingId.DNS_NO_SUCH_HOST
            if probe.cause is Cause.NO_SUCH_HOST
            else FindingId.DNS_LOOKUP_FAILED
        )
        return (make_finding(fid, subject, reason=reason or "no address"),)
    if status is ProbeStatus.PROTOCOL_ERROR:
        return (_protocol_error(subject, probe),)
    if status is ProbeStatus.RATE_LIMITED:
        why = reason or "too many connections"
        return (make_finding(FindingId.CONNECT_RATE_LIMITED, subject, reason=why),)
    if status is ProbeStatus.SKIPPED:
        why = f" ({reason})" if reason else ""
        return (make_finding(FindingId.PROBE_SKIPPED, subject, detail=why),)
    return ()


def greeting_findings(candidate: Candidate, probe: ProbeResult) -> tuple[Finding, ...]:
    """A slow greeting (reported, never treated as a failure)."""
    waited = probe.timings.banner
    if waited is None or waited <= GREETING_SLOW_MS or not greeted(probe):
        return ()
    setting = candidate.setting
    subject = Subject.of(setting)
    severity = Severity.WARNING if waited > GREETING_VERY_SLOW_MS else Severity.INFO
    return (
        make_finding(
            FindingId.CONNECT_GREETING_SLOW,
            subject,
            severity=severity,
            seconds=f"{waited / 1000:.1f}",
        ),
    )


def address_findings(candidate: Candidate, probe: ProbeResult) -> tuple[Finding, ...]:
    """Addresses of the host that failed while another one answered (IPv6 named apart)."""
    if not probe.failed_attempts or probe.ip is None or not connected(probe):
        return ()
    setting = candidate.setting
    subject = Subject.of(setting)
    failed = listing([f"{a.ip}: {clip(a.reason, 80)}" for a in probe.failed_attempts], 3)
    worked_v4 = ":" not in probe.ip
    v6_failed = any(":" in a.ip for a in probe.failed_attempts)
    fid = FindingId.NET_IPV6_FAILS if worked_v4 and v6_failed else FindingId.NET_ADDRESS_FAILS
    return (make_finding(fid, subject, failed=failed, ip=probe.ip),)
