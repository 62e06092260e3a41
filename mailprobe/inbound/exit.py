"""The exit status of `mailprobe domain`, with the same codes as `check`."""

from __future__ import annotations

from collections.abc import Sequence

from mailprobe.exit_status import BLOCKED_STATUSES, ExitStatus, FailRule, failing
from mailprobe.inbound.model import DomainReport
from mailprobe.models import Severity
from mailprobe.net.dns import DnsStatus


def domain_exit_status(
    report: DomainReport, fail_on: Severity = Severity.ERROR, fail_on_ids: Sequence[str] = ()
) -> ExitStatus:
    """3 when the domain does not exist, 4 when no port-25 connection got through (every
    one refused or timed out), 1 when a finding or change (since a baseline) is at or
    above `fail_on` or its id matches a `fail_on_ids` glob, else 0."""
    if report.mx_set.status is DnsStatus.NXDOMAIN:
        return ExitStatus.NOT_FOUND
    attempts = [a.smtp.status for m in report.mx for a in m.addresses]
    if attempts and all(s in BLOCKED_STATUSES for s in attempts):
        return ExitStatus.UNTESTABLE
    if failing(report, FailRule(fail_on, tuple(fail_on_ids))):
        return ExitStatus.FINDINGS
    return ExitStatus.OK
