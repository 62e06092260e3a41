"""Exit statuses (docs/exit-codes.md) and the rule that derives one from a report."""

from __future__ import annotations

from enum import IntEnum

from mailprobe.models import ProbeStatus, Report, Severity

#: Probe statuses meaning "could not be tested from here", as opposed to a real answer
#: (`skipped`: the deadline left no time to start the probe).
BLOCKED_STATUSES = frozenset(
    {
        ProbeStatus.REFUSED,
        ProbeStatus.TIMEOUT,
        ProbeStatus.DNS_ERROR,
        ProbeStatus.RATE_LIMITED,
        ProbeStatus.SKIPPED,
    }
)


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
    """3 when no settings were found, 4 when every probe was blocked (refused, timed out,
    DNS failure, rate-limited, skipped for lack of time), 1 when a finding is at or above
    `fail_on`, else 0."""
    if not report.candidates:
        return ExitStatus.NOT_FOUND
    probes = [pc.probe for pc in report.candidates if pc.probe is not None]
    if report.probed and probes and all(p.status in BLOCKED_STATUSES for p in probes):
        return ExitStatus.UNTESTABLE
    worst = report.worst_severity()
    if worst is not None and worst.rank >= fail_on.rank:
        return ExitStatus.FINDINGS
    return ExitStatus.OK
