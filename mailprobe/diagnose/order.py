"""`sort_findings`: the one deterministic order of findings in every report."""

from __future__ import annotations

from collections.abc import Iterable

from mailprobe.models import Finding, Protocol

_PROTOCOL_ORDER = {p: i for i, p in enumerate(Protocol)}


def _key(finding: Finding) -> tuple[int, int, int, str, int, str, str]:
    protocol = -1 if finding.protocol is None else _PROTOCOL_ORDER[finding.protocol]
    return (
        -finding.severity.rank,
        protocol,
        # Within a service, what one server did comes before the service's summary.
        0 if finding.host else 1,
        (finding.host or "").lower(),
        finding.port or 0,
        finding.id,
        finding.summary,
    )


def sort_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Findings ordered by severity (errors first), protocol, host, port, id, then summary.

    Findings without a protocol come before those of IMAP, POP3 and SMTP at the same
    severity; within one protocol, findings about a server come before the ones about the
    whole service (which summarise them). Exact duplicates (say, the same finding from two
    code paths) are kept once.
    """
    return tuple(sorted(dict.fromkeys(findings), key=_key))
