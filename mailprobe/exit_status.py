"""Exit statuses (docs/exit-codes.md) and the rule that derives one from a report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

from mailprobe.models import Change, Finding, ProbeStatus, Report, Severity

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


@dataclass(frozen=True)
class FailRule:
    """What makes a run fail: `--fail-on SEVERITY` and `--fail-on-id PATTERN` (globs)."""

    severity: Severity = Severity.ERROR
    ids: tuple[str, ...] = ()

    def fails(self, item_id: str, severity: Severity) -> bool:
        """True if a finding or change with this id and severity fails the run."""
        if severity.rank >= self.severity.rank:
            return True
        if not self.ids:
            return False
        from fnmatch import fnmatchcase  # only when --fail-on-id is used (start-up time)

        return any(fnmatchcase(item_id, pattern) for pattern in self.ids)


class Assessed(Protocol):
    """Any report with findings and changes (check, discover, probe and domain reports)."""

    @property
    def findings(self) -> Sequence[Finding]:
        """What the run found."""

    @property
    def changes(self) -> Sequence[Change]:
        """What changed since a baseline."""


def failing(report: Assessed, rule: FailRule) -> list[tuple[str, Severity]]:
    """The (id, severity) of every finding and change that fails the run under `rule`."""
    items = [(f.id, f.severity) for f in report.findings]
    items += [(c.id, c.severity) for c in report.changes]
    return [(i, s) for i, s in items if rule.fails(i, s)]


def untestable(report: Report) -> bool:
    """True when probes ran and every one was blocked (refused, timeout, DNS, rate limit)."""
    probes = [pc.probe for pc in report.candidates if pc.probe is not None]
    return report.probed and bool(probes) and all(p.status in BLOCKED_STATUSES for p in probes)


def exit_status_for(
    report: Report, fail_on: Severity = Severity.ERROR, fail_on_ids: Sequence[str] = ()
) -> ExitStatus:
    """3 when no settings were found, 4 when every probe was blocked (refused, timed out,
    DNS failure, rate-limited, skipped for lack of time), 1 when a finding or change (since
    a baseline) is at or above `fail_on` or its id matches a `fail_on_ids` glob, else 0."""
    if not report.candidates:
        return ExitStatus.NOT_FOUND
    if untestable(report):
        return ExitStatus.UNTESTABLE
    if failing(report, FailRule(fail_on, tuple(fail_on_ids))):
        return ExitStatus.FINDINGS
    return ExitStatus.OK
