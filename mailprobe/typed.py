"""Settings a user typed in (`mailprobe probe`): what to try when they fail.

A helpdesk agent types what the customer typed. When that fails but the same server works
in another mode or on the protocol's standard port, the report recommends the working
setting and keeps the typed one, with its findings, as what failed. When only the port was
typed, the mode the port really speaks is the answer, not a mistake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from mailprobe.models import (
    STANDARD_PORTS,
    Candidate,
    ProbedCandidate,
    ProbeResult,
    ProbeStatus,
    Provenance,
    Security,
    ServerSetting,
    SourceId,
)

#: Probe statuses of a setting that works as a server (a refused login is about the account).
_WORKING = frozenset({ProbeStatus.OK, ProbeStatus.AUTH_FAILED})


def works(probe: ProbeResult | None) -> bool:
    """The server answered as configured."""
    return probe is not None and probe.status in _WORKING


def alternative(setting: ServerSetting, port: int, security: Security, typed: str) -> Candidate:
    """Another mode or port of the host the user named (so trusted as the user's input)."""
    other = replace(setting, port=port, security=security)
    origin = f"{typed} failed; mailprobe tried {setting.host}:{port} {security}"
    return Candidate(other, (Provenance(SourceId.USER, origin, trusted=True),))


def alternatives(
    probed: Sequence[ProbedCandidate], *, port_typed: bool, security_typed: bool
) -> tuple[Candidate, ...]:
    """Settings to try after the typed ones: none if one of those works; else the mode the
    port was found to speak, then the protocol's standard ports in both modes."""
    if not probed or any(works(pc.probe) for pc in probed):
        return ()
    tried = {pc.candidate.setting.endpoint for pc in probed}
    found: list[Candidate] = []

    def add(candidate: Candidate) -> None:
        if candidate.setting.endpoint not in tried:
            tried.add(candidate.setting.endpoint)
            found.append(candidate)

    for pc in probed:
        s = pc.candidate.setting
        typed = f"{s.host}:{s.port} {s.security}"
        speaks = pc.probe.detected_security if pc.probe is not None else None
        if speaks is not None and speaks is not s.security:
            add(alternative(s, s.port, speaks, typed))
    if found:
        return tuple(found)  # the port's real mode first; standard ports only if needed
    if port_typed or security_typed:
        first = probed[0].candidate.setting
        typed = f"{first.host}:{first.port} {first.security}"
        for mode in (Security.TLS, Security.STARTTLS):
            add(alternative(first, STANDARD_PORTS[(first.protocol, mode)], mode, typed))
    return tuple(found)


def settle(
    probed: Sequence[ProbedCandidate], *, port_typed: bool, security_typed: bool
) -> tuple[list[ProbedCandidate], tuple[ServerSetting, ...]]:
    """The entries to report and the settings the user typed.

    With a port but no mode, mailprobe assumed the mode the port usually speaks; if the
    port turned out to speak another mode and that works, the assumption is dropped (it
    was never the user's choice) and the working mode stands in as what was typed.
    """
    if not port_typed:
        return list(probed), ()
    first = probed[0]
    typed = first.candidate.setting
    if security_typed or works(first.probe):
        return list(probed), (typed,)
    for pc in probed[1:]:
        s = pc.candidate.setting
        if (s.host, s.port) == (typed.host, typed.port) and works(pc.probe):
            rest = [p for p in probed if p is not first]
            return rest, (s,)
    return list(probed), (typed,)
