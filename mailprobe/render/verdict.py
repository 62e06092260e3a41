"""Facts every output format states the same way: per-service verdict, counts, labels."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from mailprobe.exit_status import Assessed
from mailprobe.models import ProbedCandidate, ProbeStatus, Protocol, Report, Security, Severity

PROTOCOL_LABELS = {Protocol.IMAP: "IMAP", Protocol.POP3: "POP3", Protocol.SMTP: "SMTP"}
SECURITY_LABELS = {Security.TLS: "SSL/TLS", Security.STARTTLS: "STARTTLS", Security.PLAIN: "none"}

#: Probe statuses meaning "the server answered as configured" (a refused password still does).
WORKING_STATUSES = frozenset({ProbeStatus.OK, ProbeStatus.AUTH_FAILED})


@dataclass(frozen=True)
class ServiceVerdict:
    """One service's state in a report: `works`, `not working`, `found` or `missing`."""

    protocol: Protocol
    state: str
    where: str | None  # host:port security of the recommended setting

    @property
    def text(self) -> str:
        """`IMAP works`, `SMTP NOT WORKING`, `POP3 found (not tested)`, `POP3 not found`."""
        label = PROTOCOL_LABELS[self.protocol]
        words = {
            "works": "works",
            "not working": "NOT WORKING",
            "found": "found (not tested)",
            "missing": "not found",
        }[self.state]
        return f"{label} {words}"


def service_verdicts(report: Report) -> list[ServiceVerdict]:
    """A verdict per service that has a recommendation (all three for address reports)."""
    out = []
    for protocol in Protocol:
        rec = report.recommended.get(protocol)
        if rec is None:
            if report.address is not None:
                out.append(ServiceVerdict(protocol, "missing", None))
            continue
        s = rec.candidate.setting
        host = f"[{s.host}]" if ":" in s.host else s.host
        where = f"{host}:{s.port} {SECURITY_LABELS[s.security]}"
        state = "found" if rec.verified is None else "works" if rec.verified else "not working"
        out.append(ServiceVerdict(protocol, state, where))
    return out


def severity_counts(report: Assessed) -> Counter[Severity]:
    """How many findings and changes there are of each severity."""
    counts: Counter[Severity] = Counter({s: 0 for s in Severity})
    counts.update(f.severity for f in report.findings)
    counts.update(c.severity for c in report.changes)
    return counts


def counts_text(report: Assessed) -> str:
    """`1 error, 2 warnings, 0 info` over findings and changes."""
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
