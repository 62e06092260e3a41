"""Findings about the TLS session: protocol version and the server certificate.

Certificate problems are gathered from every structured clue: `TlsInfo.cert_problem`, the
probe's `cause`, then the certificate itself (expiry date, self-signed flag, names).
Verification stops at the first error, so the certificate's own data often reveals a
second problem (an expired certificate for the wrong name).
"""

from __future__ import annotations

from mailprobe.diagnose.catalogue import FindingId, Subject, clip, make_finding
from mailprobe.models import (
    Candidate,
    Cause,
    CertInfo,
    Finding,
    ProbeResult,
    ProbeStatus,
    TlsInfo,
)
from mailprobe.net.ipaddr import is_ip_literal

#: TLS versions (as `ssl` names them) older than 1.2, with the name people know.
OLD_VERSIONS = {"SSLv2": "SSL 2.0", "SSLv3": "SSL 3.0", "TLSv1": "TLS 1.0", "TLSv1.1": "TLS 1.1"}

#: The finding of each named certificate cause (`cert_invalid` has its own, with the reason).
_FINDING = {
    Cause.CERT_EXPIRED: FindingId.CERT_EXPIRED,
    Cause.CERT_NOT_YET_VALID: FindingId.CERT_NOT_YET_VALID,
    Cause.CERT_SELF_SIGNED: FindingId.CERT_SELF_SIGNED,
    Cause.CERT_INCOMPLETE_CHAIN: FindingId.CERT_INCOMPLETE_CHAIN,
    Cause.CERT_UNTRUSTED: FindingId.CERT_UNTRUSTED,
    Cause.CERT_WRONG_NAME: FindingId.CERT_WRONG_NAME,
}

#: A self-signed certificate is untrusted by definition; saying both is noise.
_IMPLIED_BY_SELF_SIGNED = frozenset({Cause.CERT_UNTRUSTED, Cause.CERT_INCOMPLETE_CHAIN})


def name_matches(host: str, names: tuple[str, ...]) -> bool:
    """True if one of the certificate's DNS names covers `host` (one-label wildcards)."""
    wanted = host.lower().rstrip(".")
    parent = wanted.split(".", 1)[1] if "." in wanted else ""
    for raw in names:
        name = raw.strip().lower().removeprefix("dns:").strip().rstrip(".")
        if name == wanted or (name.startswith("*.") and parent and name[2:] == parent):
            return True
    return False


def _problems(host: str, probe: ProbeResult, tls: TlsInfo | None) -> tuple[set[Cause], str]:
    """Every named certificate problem, and the reason text when one could not be named."""
    causes = {tls.cert_problem if tls is not None else None}
    if probe.status is ProbeStatus.TLS_ERROR:
        causes.add(probe.cause)
    problems = {c for c in causes if c in _FINDING}
    unnamed = ""
    if Cause.CERT_INVALID in causes:
        unnamed = (tls.verify_error if tls is not None else None) or probe.reason
    cert = tls.cert if tls is not None else None
    if cert is not None and (tls is None or not tls.verified or cert.days_left < 0):
        if cert.days_left < 0:
            problems.add(Cause.CERT_EXPIRED)
        if cert.self_signed:
            problems.add(Cause.CERT_SELF_SIGNED)
        if cert.san and not is_ip_literal(host) and not name_matches(host, cert.san):
            problems.add(Cause.CERT_WRONG_NAME)
    if Cause.CERT_SELF_SIGNED in problems:
        problems -= _IMPLIED_BY_SELF_SIGNED
    return problems, "" if problems else unnamed


def _values(problem: Cause, cert: CertInfo | None) -> dict[str, str]:
    if problem is Cause.CERT_EXPIRED:
        if cert is None:
            return {"when": ""}
        ago = -cert.days_left
        return {"when": f" on {cert.not_after[:10]} ({ago} day{'s' if ago != 1 else ''} ago)"}
    if problem is Cause.CERT_WRONG_NAME:
        names = ", ".join(clip(n, 60) for n in (cert.san if cert else ())[:6])
        return {"names": f" (it covers: {names})" if names else ""}
    if problem is Cause.CERT_UNTRUSTED:
        issuer = clip(cert.issuer, 100) if cert and cert.issuer else ""
        return {"issuer": f" (issuer: {issuer})" if issuer else ""}
    return {}


def _version_findings(
    subject: Subject, probe: ProbeResult, *, handshake_worked: bool
) -> tuple[Finding, ...]:
    """TLS older than 1.2: the only version spoken (error) or still accepted (warning).

    `handshake_worked` is True when a strict (TLS 1.2+) handshake got as far as the
    certificate, which proves a modern version is spoken.
    """
    tls = probe.tls
    negotiated = tls.version if tls is not None else None
    if negotiated in OLD_VERSIONS:
        return (make_finding(FindingId.TLS_OLD_VERSION, subject, version=OLD_VERSIONS[negotiated]),)
    weak = probe.weak_tls_version
    weak_name = OLD_VERSIONS.get(weak, weak) if weak else None
    modern = handshake_worked or (negotiated is not None and negotiated != "unknown")
    if weak_name and modern:
        return (make_finding(FindingId.TLS_OLD_VERSION_ACCEPTED, subject, version=weak_name),)
    no_common = probe.status is ProbeStatus.TLS_ERROR and probe.cause is Cause.NO_COMMON_TLS_VERSION
    if weak_name or no_common:
        version = weak_name or "a TLS version older than 1.2"
        return (make_finding(FindingId.TLS_OLD_VERSION, subject, version=version),)
    return ()


def tls_findings(
    candidate: Candidate, probe: ProbeResult, *, warn_days: int, explained: bool
) -> tuple[Finding, ...]:
    """Old TLS versions, certificate problems, and a failed handshake nothing else names.

    `explained` is True when a mode mismatch already accounts for a TLS failure.
    """
    setting = candidate.setting
    subject = Subject.of(setting)
    tls = probe.tls
    problems, unnamed = _problems(setting.host, probe, tls)
    found = list(_version_findings(subject, probe, handshake_worked=bool(problems or unnamed)))
    cert = tls.cert if tls is not None else None
    for problem in sorted(problems):
        found.append(
            make_finding(_FINDING[problem], subject, severity=None, **_values(problem, cert))
        )
    if unnamed:
        found.append(make_finding(FindingId.CERT_INVALID, subject, reason=clip(unnamed)))
    if cert is not None and 0 <= cert.days_left <= warn_days:
        found.append(
            make_finding(
                FindingId.CERT_EXPIRING, subject, date=cert.not_after[:10], days=cert.days_left
            )
        )
    # No handshake happened when STARTTLS was missing or PREAUTH made it impossible; the
    # capability findings say so.
    attempted = probe.starttls_offered is not False and not probe.preauth
    if probe.status is ProbeStatus.TLS_ERROR and attempted and not found and not explained:
        reason = clip(probe.reason) or "unknown reason"
        found.append(make_finding(FindingId.TLS_HANDSHAKE_FAILED, subject, reason=reason))
    return tuple(found)
