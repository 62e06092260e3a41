"""The exit status of `mailprobe domain`, with the same codes as `check`."""

from __future__ import annotations

from mailprobe.exit_status import BLOCKED_STATUSES, ExitStatus
from mailprobe.inbound.model import DomainReport
from mailprobe.models import Severity
from mailprobe.net.dns import DnsStatus


def domain_exit_status(report: DomainReport, fail_on: Severity = Severity.ERROR) -> ExitStatus:
    """3 when the domain does not exist, 4 when no port-25 connection got through (every
    one refused or timed out), 1 when a finding is at or above `fail_on`, else 0."""
    if report.mx_set.status is DnsStatus.NXDOMAIN:
        return ExitStatus.NOT_FOUND
    attempts = [a.smtp.status for m in report.mx for a in m.addresses]
    if attempts and all(s in BLOCKED_STATUSES for s in attempts):
        return ExitStatus.UNTESTABLE
    worst = report.worst_severity()
    if worst is not None and worst.rank >= fail_on.rank:
        return ExitStatus.FINDINGS
    return ExitStatus.OK
