"""Findings about the TLS session: protocol version and the server certificate.

Certificate problems are gathered from every clue, most structured first: the probe's
`cert_problem`, the verification reason, then the certificate itself (expiry date,
self-signed flag, names). Verification stops at the first error, so the certificate's own
data often reveals a second problem (an expired certificate for the wrong name).
"""

from __future__ import annotations

from mailprobe.diagnose.catalogue import FindingId, Subject, clip, make_finding
from mailprobe.diagnose.patterns import Reason, read_reason
from mailprobe.models import (
    Candidate,
    CertInfo,
    CertProblem,
    Finding,
    ProbeResult,
    ProbeStatus,
    TlsInfo,
)
from mailprobe.net.ipaddr import is_ip_literal

#: TLS versions (as `ssl` names them) older than 1.2, with the name people know.
OLD_VERSIONS = {"SSLv2": "SSL 2.0", "SSLv3": "SSL 3.0", "TLSv1": "TLS 1.0", "TLSv1.1": "TLS 1.1"}

_FROM_REASON = {
    Reason.CERT_EXPIRED: CertProblem.EXPIRED,
    Reason.CERT_NOT_YET_VALID: CertProblem.NOT_YET_VALID,
    Reason.CERT_SELF_SIGNED: CertProblem.SELF_SIGNED,
    Reason.CERT_INCOMPLETE_CHAIN: CertProblem.INCOMPLETE_CHAIN,
    Reason.CERT_UNTRUSTED: CertProblem.UNTRUSTED,
    Reason.CERT_WRONG_NAME: CertProblem.WRONG_NAME,
}

_FINDING = {
    CertProblem.EXPIRED: FindingId.CERT_EXPIRED,
    CertProblem.NOT_YET_VALID: FindingId.CERT_NOT_YET_VALID,
    CertProblem.SELF_SIGNED: FindingId.CERT_SELF_SIGNED,
    CertProblem.INCOMPLETE_CHAIN: FindingId.CERT_INCOMPLETE_CHAIN,
    CertProblem.UNTRUSTED: FindingId.CERT_UNTRUSTED,
    CertProblem.WRONG_NAME: FindingId.CERT_WRONG_NAME,
}

#: A self-signed certificate is untrusted by definition; saying both is noise.
_IMPLIED_BY_SELF_SIGNED = frozenset({CertProblem.UNTRUSTED, CertProblem.INCOMPLETE_CHAIN})


def name_matches(host: str, names: tuple[str, ...]) -> bool:
    """True if one of the certificate's DNS names covers `host` (one-label wildcards)."""
    wanted = host.lower().rstrip(".")
    parent = wanted.split(".", 1)[1] if "." in wanted else ""
    for raw in names:
        name = raw.strip().lower().removeprefix("dns:").strip().rstrip(".")
        if name == wanted or (name.startswith("*.") and parent and name[2:] == parent):
            return True
    return False


def _problems(host: str, probe: ProbeResult, tls: TlsInfo | None) -> tuple[set[CertProblem], str]:
    """Every certificate problem found, and the reason text when none could be named."""
    problems: set[CertProblem] = set()
    unnamed = ""
    if tls is not None and tls.cert_problem is not None:
        problems.add(tls.cert_problem)
    texts = [tls.verify_error if tls is not None else None]
    if probe.status is ProbeStatus.TLS_ERROR:
        texts.append(probe.reason)
    for text in texts:
        reason = read_reason(text)
        if reason in _FROM_REASON:
            problems.add(_FROM_REASON[reason])
        elif reason is Reason.CERT_OTHER and text:
            unnamed = unnamed or text
    cert = tls.cert if tls is not None else None
    if cert is not None and (tls is None or not tls.verified or cert.days_left < 0):
        if cert.days_left < 0:
            problems.add(CertProblem.EXPIRED)
        if cert.self_signed:
            problems.add(CertProblem.SELF_SIGNED)
        if cert.san and not is_ip_literal(host) and not name_matches(host, cert.san):
            problems.add(CertProblem.WRONG_NAME)
    if CertProblem.SELF_SIGNED in problems:
        problems -= _IMPLIED_BY_SELF_SIGNED
    return problems, "" if problems else unnamed


def _values(problem: CertProblem, cert: CertInfo | None) -> dict[str, str]:
    if problem is CertProblem.EXPIRED:
        if cert is None:
            return {"when": ""}
        ago = -cert.days_left
        return {"when": f" on {cert.not_after[:10]} ({ago} day{'s' if ago != 1 else ''} ago)"}
    if problem is CertProblem.WRONG_NAME:
        names = ", ".join(clip(n, 60) for n in (cert.san if cert else ())[:6])
        return {"names": f" (it covers: {names})" if names else ""}
    if problem is CertProblem.UNTRUSTED:
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
    no_common = (
        probe.status is ProbeStatus.TLS_ERROR
        and read_reason(probe.reason) is Reason.NO_COMMON_VERSION
    )
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
