"""Exit statuses (docs/exit-codes.md) and the rule that derives one from a report."""

from __future__ import annotations

from enum import IntEnum

from mailprobe.models import ProbeStatus, Report, Severity


class ExitStatus(IntEnum):
    """The process exit codes pipelines rely on."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    NOT_FOUND = 3
    UNTESTABLE = 4
    INTERNAL = 70
    OUTPUT = 74  # the result could not be written (sysexits' EX_IOERR): full disk, closed stdout
    INTERRUPTED = 130
    PIPE_CLOSED = 141  # the reader closed the pipe early (128 + SIGPIPE), as shells report it


def exit_status_for(report: Report, fail_on: Severity = Severity.ERROR) -> ExitStatus:
    """3 when no settings were found, 4 when nothing answered (every probe ended in a DNS
    failure, a connection timeout or a rate limit), 1 when a finding is at or above
    `fail_on`, else 0. A refused connection or a server speaking another mode is an answer:
    its findings decide. Good news (severity `good`) never counts."""
    from mailprobe.diagnose.service import answered

    if not report.candidates:
        return ExitStatus.NOT_FOUND
    probes = [
        pc.probe
        for pc in report.candidates
        if pc.probe is not None and pc.probe.status is not ProbeStatus.SKIPPED
    ]
    if report.probed and probes and not any(answered(p) for p in probes):
        return ExitStatus.UNTESTABLE
    worst = report.worst_severity()
    if worst is not None and worst is not Severity.GOOD and worst.rank >= fail_on.rank:
        return ExitStatus.FINDINGS
    return ExitStatus.OK
