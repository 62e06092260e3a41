"""`diagnose_service`: the verdict over every probed endpoint of one protocol."""

from __future__ import annotations

from collections.abc import Sequence

from mailprobe.diagnose.catalogue import MODE_NAMES, FindingId, Subject, clip, listing, make_finding
from mailprobe.diagnose.connection import connected
from mailprobe.models import (
    Cause,
    Finding,
    ProbedCandidate,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Security,
    SourceId,
)

#: Statuses of an endpoint that works as a server; a refused login is about the account.
_WORKING = frozenset({ProbeStatus.OK, ProbeStatus.AUTH_FAILED})

#: Statuses that say nothing came back from the server at all.
_SILENT = frozenset({ProbeStatus.TIMEOUT, ProbeStatus.DNS_ERROR, ProbeStatus.RATE_LIMITED})

_WHY = {
    "unreachable": (
        "None of the servers could be reached from here. If they work for other people, the "
        "network you are on probably blocks mail ports: try another network (for example a "
        "phone's mobile hotspot)."
    ),
    "refused": (
        "The servers were reached, but nothing accepts connections on these ports. Check "
        "the port numbers with the provider; if you run the server, check that the service "
        "is running and that no firewall rejects the port."
    ),
    "mode": (
        "The server answered, but speaks another security mode on this port: the finding "
        "about the port says which mode to choose."
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


def answered(probe: ProbeResult) -> bool:
    """True if the server's host answered at all: it accepted or refused the connection,
    sent something, or a second connection found the mode it speaks.

    False for a failed DNS lookup, a connection that timed out or found no route, a rate
    limit before any usable answer, and a skipped probe: nothing was learned about the
    setting.
    """
    if probe.status is ProbeStatus.SKIPPED:
        return False
    if probe.detected_security is not None or probe.detected_protocol is not None:
        return True
    if probe.status is ProbeStatus.TIMEOUT:
        # Connected but silent (a greeting or handshake that never came) is an answer of
        # sorts; a connection attempt that timed out is not.
        return connected(probe)
    if probe.cause is Cause.UNREACHABLE:
        return False  # no route to the address: the server itself never answered
    return probe.status not in _SILENT


def effective_security(configured: Security, probe: ProbeResult) -> Security:
    """The protection a working probe really had: STARTTLS not offered means plain text."""
    if configured is Security.STARTTLS and probe.tls is None and probe.starttls_offered is False:
        return Security.PLAIN
    return configured


def _why(tested: Sequence[tuple[Security, ProbeResult]]) -> str:
    """The advice when no endpoint works; `tested` pairs each probe with its set mode."""
    if any(p.detected_security not in (None, mode) for mode, p in tested):
        return _WHY["mode"]
    statuses = {p.status for _, p in tested}
    tested_probes = [p for _, p in tested]
    if statuses == {ProbeStatus.REFUSED} and all(answered(p) for p in tested_probes):
        return _WHY["refused"]
    if statuses == {ProbeStatus.RATE_LIMITED}:
        return _WHY["rate_limited"]
    if statuses == {ProbeStatus.DNS_ERROR}:
        return _WHY["dns"]
    if not any(answered(p) for p in tested_probes):
        return _WHY["unreachable"]
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
        why = _why([(pc.candidate.setting.security, p) for pc, p in tested])
        return (make_finding(FindingId.SERVICE_NO_WORKING_ENDPOINT, subject, tried=tried, why=why),)
    by_mode: dict[Security, list[ProbedCandidate]] = {}
    for pc, p in working:
        by_mode.setdefault(effective_security(pc.candidate.setting.security, p), []).append(pc)
    if Security.TLS in by_mode:
        return ()
    tls_tried = any(pc.candidate.setting.security is Security.TLS for pc, _ in mine)
    typed_only = all(pc.candidate.source_ids == (SourceId.USER,) for pc, _ in mine)
    if typed_only and not tls_tried:
        return ()  # the user asked about one mode; nothing is known about the others
    tls_note = "no SSL/TLS port worked" if tls_tried else "no SSL/TLS setting was found"
    fid = (
        FindingId.SERVICE_STARTTLS_ONLY
        if Security.STARTTLS in by_mode
        else FindingId.SERVICE_PLAINTEXT_ONLY
    )
    best = by_mode.get(Security.STARTTLS) or by_mode[Security.PLAIN]
    where = listing([_endpoint(pc) for pc in best])
    return (make_finding(fid, subject, where=where, tls_note=tls_note),)
