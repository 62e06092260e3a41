"""The JSON report of DESIGN §5 (schema_version 1), built from a `Report`.

The shape is a contract: fields may be added, never renamed or removed without raising
`SCHEMA_VERSION`. Everything is emitted in a fixed order so output is deterministic.
"""

from __future__ import annotations

import json
from typing import IO, Any

from mailprobe.models import (
    Candidate,
    CertInfo,
    Change,
    Finding,
    LoginResult,
    ProbedCandidate,
    ProbeResult,
    Protocol,
    ProviderInfo,
    Recommendation,
    Report,
    SourceOutcome,
    Timings,
    TlsInfo,
)
from mailprobe.version import __version__

SCHEMA_VERSION = 1


def provider_to_json(provider: ProviderInfo | None) -> dict[str, Any] | None:
    """The `provider` object, or None."""
    if provider is None:
        return None
    return {
        "id": provider.id,
        "name": provider.name,
        "status": str(provider.status),
        "hints": list(provider.hints),
        "docs": list(provider.docs),
    }


def recommendation_to_json(rec: Recommendation | None) -> dict[str, Any] | None:
    """One entry of `recommended`."""
    if rec is None:
        return None
    s = rec.candidate.setting
    return {
        "host": s.host,
        "port": s.port,
        "security": str(s.security),
        "username": s.username,
        "auth": list(s.auth),
        "sources": [str(x) for x in rec.candidate.source_ids],
        "trusted": rec.candidate.trusted,
        "verified": rec.verified,
    }


def _cert(cert: CertInfo | None) -> dict[str, Any] | None:
    if cert is None:
        return None
    return {
        "subject": cert.subject,
        "san": list(cert.san),
        "issuer": cert.issuer,
        "not_after": cert.not_after,
        "days_left": cert.days_left,
        "self_signed": cert.self_signed,
    }


def _tls(tls: TlsInfo | None) -> dict[str, Any] | None:
    if tls is None:
        return None
    return {
        "version": tls.version,
        "cipher": tls.cipher,
        "verified": tls.verified,
        "verify_error": tls.verify_error,
        "cert_problem": str(tls.cert_problem) if tls.cert_problem else None,
        "cert": _cert(tls.cert),
    }


def _timings(t: Timings) -> dict[str, float | None]:
    return {
        "dns": t.dns,
        "connect": t.connect,
        "banner": t.banner,
        "tls": t.tls,
        "capabilities": t.capabilities,
        "login": t.login,
        "total": t.total,
    }


def _login(login: LoginResult | None) -> dict[str, Any] | None:
    if login is None:
        return None
    return {
        "status": str(login.status),
        "detail": login.detail,
        "mechanism": login.mechanism,
        "sender_ok": login.sender_ok,
    }


def probe_to_json(probe: ProbeResult | None) -> dict[str, Any] | None:
    """The `probe` object of a candidate, or None in discover reports."""
    if probe is None:
        return None
    return {
        "status": str(probe.status),
        "reason": probe.reason,
        "ip": probe.ip,
        "timings_ms": _timings(probe.timings),
        "banner": probe.banner,
        "capabilities_before_tls": list(probe.capabilities_before_tls),
        "capabilities_after_tls": list(probe.capabilities_after_tls),
        "auth_mechanisms": list(probe.auth_mechanisms),
        "auth_before_tls": list(probe.auth_before_tls),
        "starttls_offered": probe.starttls_offered,
        "preauth": probe.preauth,
        "login_disabled": probe.login_disabled,
        "max_size": probe.max_size,
        "detected_security": str(probe.detected_security) if probe.detected_security else None,
        "detected_protocol": str(probe.detected_protocol) if probe.detected_protocol else None,
        "connections": probe.connections,
        "failed_phase": str(probe.failed_phase) if probe.failed_phase else None,
        "failure_kind": probe.failure_kind,
        "failed_attempts": [
            {"ip": a.ip, "status": str(a.status), "reason": a.reason} for a in probe.failed_attempts
        ],
        "weak_tls_checked": probe.weak_tls_checked,
        "weak_tls_version": probe.weak_tls_version,
        "notes": list(probe.notes),
        "tls": _tls(probe.tls),
        "login": _login(probe.login),
    }


def candidate_to_json(candidate: Candidate, probe: ProbeResult | None) -> dict[str, Any]:
    """One entry of `candidates`."""
    s = candidate.setting
    return {
        "protocol": str(s.protocol),
        "host": s.host,
        "port": s.port,
        "security": str(s.security),
        "username": s.username,
        "auth": list(s.auth),
        "trusted": candidate.trusted,
        "sources": [
            {"source": str(p.source), "origin": p.origin, "trusted": p.trusted}
            for p in candidate.sources
        ],
        "probe": probe_to_json(probe),
    }


def source_to_json(outcome: SourceOutcome) -> dict[str, Any]:
    """One entry of `sources`."""
    return {
        "source": str(outcome.source),
        "status": str(outcome.status),
        "elapsed_ms": outcome.elapsed_ms,
        "detail": outcome.detail,
        "candidates": len(outcome.candidates),
        "not_offered": [
            {"protocol": str(n.protocol), "security": str(n.security), "origin": n.origin}
            for n in outcome.not_offered
        ],
    }


def finding_to_json(finding: Finding) -> dict[str, Any]:
    """One entry of `findings`."""
    return {
        "id": finding.id,
        "severity": str(finding.severity),
        "protocol": str(finding.protocol) if finding.protocol else None,
        "host": finding.host,
        "port": finding.port,
        "summary": finding.summary,
        "advice": finding.advice,
        "policy": finding.policy,
    }


def change_to_json(change: Change) -> dict[str, Any]:
    """One entry of `changes` (differences from a baseline report)."""
    return {
        "id": change.id,
        "severity": str(change.severity),
        "protocol": str(change.protocol) if change.protocol else None,
        "host": change.host,
        "port": change.port,
        "before": change.before,
        "after": change.after,
        "summary": change.summary,
    }


def report_to_json(report: Report) -> dict[str, Any]:
    """The whole report as a JSON-ready dict (schema_version 1)."""
    candidates: list[ProbedCandidate] = list(report.candidates)
    return {
        "schema_version": SCHEMA_VERSION,
        "mailprobe_version": __version__,
        "address": report.address,
        "domain": report.domain,
        "provider": provider_to_json(report.provider),
        "recommended": {
            str(p): recommendation_to_json(report.recommended.get(p)) for p in Protocol
        },
        "candidates": [candidate_to_json(pc.candidate, pc.probe) for pc in candidates],
        "sources": [source_to_json(o) for o in report.sources],
        "findings": [finding_to_json(f) for f in report.findings],
        "changes": [change_to_json(c) for c in report.changes],
    }


def dumps(report: Report, *, indent: int | None = 2) -> str:
    """The report as JSON text."""
    return json.dumps(report_to_json(report), indent=indent, ensure_ascii=False)


def write(report: Report, stream: IO[str], *, lines: bool = False) -> None:
    """Write the report to `stream`: pretty JSON, or one line for JSON Lines."""
    stream.write(dumps(report, indent=None if lines else 2))
    stream.write("\n")
