"""`diagnose_service`: the verdict over every probed endpoint of one protocol."""

from __future__ import annotations

from collections.abc import Sequence

from mailprobe.diagnose.catalogue import MODE_NAMES, FindingId, Subject, clip, listing, make_finding
from mailprobe.diagnose.connection import connected
from mailprobe.models import (
    Finding,
    ProbedCandidate,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Security,
)

_UNREACHABLE = frozenset({ProbeStatus.REFUSED, ProbeStatus.TIMEOUT})

#: Statuses of an endpoint that works as a server; a refused login is about the account.
_WORKING = frozenset({ProbeStatus.OK, ProbeStatus.AUTH_FAILED})

_WHY = {
    "unreachable": (
        "None of the servers could be reached from here. If they work for other people, the "
        "network you are on probably blocks mail ports: try another network (for example a "
        "phone's mobile hotspot)."
    ),
    "rate_limited": (
        "The servers turned mailprobe away for now (too many connections); this says nothing "
        "about the settings. Try again in a few minutes."
    ),
    "dns": (
        "None of the server names could be looked up. Check them with the provider, and check "
        "that this computer's DNS works."
    ),
    "mixed": (
        "Each server's own finding says what went wrong; start with the first. If none of "
        "them helps, ask the provider for the current settings."
    ),
}


def effective_security(configured: Security, probe: ProbeResult) -> Security:
    """The protection a working probe really had: STARTTLS not offered means plain text."""
    if configured is Security.STARTTLS and probe.tls is None and probe.starttls_offered is False:
        return Security.PLAIN
    return configured


def _why(probes: list[ProbeResult]) -> str:
    statuses = {p.status for p in probes}
    if all(p.status in _UNREACHABLE and not connected(p) for p in probes):
        # Only when no connection was made at all: a server that accepted the connection
        # and then stalled was reached.
        return _WHY["unreachable"]
    if statuses == {ProbeStatus.RATE_LIMITED}:
        return _WHY["rate_limited"]
    if statuses == {ProbeStatus.DNS_ERROR}:
        return _WHY["dns"]
    return _WHY["mixed"]


def _endpoint(pc: ProbedCandidate) -> str:
    s = pc.candidate.setting
    return f"{s.host} port {s.port} {MODE_NAMES[s.security]}"


def diagnose_service(protocol: Protocol, probed: Sequence[ProbedCandidate]) -> tuple[Finding, ...]:
    """Service-level findings for `protocol`: nothing works, or only weaker modes work.

    Entries of other protocols and unprobed entries (discover-only) are ignored; with
    nothing probed there is nothing to say. An endpoint works when its probe ended `ok`, or
    `auth_failed` (the server works; the login finding is about the account). Findings
    about each endpoint come from `diagnose_probe`.
    """
    mine = [(pc, pc.probe) for pc in probed if pc.candidate.protocol is protocol and pc.probe]
    if not mine:
        return ()
    subject = Subject(protocol)
    working = [(pc, p) for pc, p in mine if p.status in _WORKING]
    if not working:
        tested = [(pc, p) for pc, p in mine if p.status is not ProbeStatus.SKIPPED]
        if not tested:
            tried = listing([_endpoint(pc) for pc, _ in mine])
            return (make_finding(FindingId.SERVICE_NOT_TESTED, subject, tried=tried),)
        tried = listing([f"{_endpoint(pc)}: {clip(p.reason, 80) or p.status}" for pc, p in tested])
        why = _why([p for _, p in tested])
        return (make_finding(FindingId.SERVICE_NO_WORKING_ENDPOINT, subject, tried=tried, why=why),)
    by_mode: dict[Security, list[ProbedCandidate]] = {}
    for pc, p in working:
        by_mode.setdefault(effective_security(pc.candidate.setting.security, p), []).append(pc)
    if Security.TLS in by_mode:
        return ()
    fid = (
        FindingId.SERVICE_STARTTLS_ONLY
        if Security.STARTTLS in by_mode
        else FindingId.SERVICE_PLAINTEXT_ONLY
    )
    best = by_mode.get(Security.STARTTLS) or by_mode[Security.PLAIN]
    where = listing([_endpoint(pc) for pc in best])
    return (make_finding(fid, subject, where=where),)
