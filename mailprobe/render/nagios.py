"""Nagios/Icinga plugin output, per the Monitoring Plugins development guidelines.

    MAILPROBE WARNING - alice@example.org: IMAP works, ...; 0 errors, 1 warning, ... | perf
    [WARNING] auth.before_tls: imap.example.org port 143 ...    (one line per problem)

Status and exit code: CRITICAL (2) for an error finding or change, a `--fail-on-id` match,
no settings found, or nothing testable; WARNING (1) for a warning; else OK (0). UNKNOWN (3)
is for usage errors and internal failures (see `unknown`). Performance data: per probed
endpoint `time` in ms and, for TLS endpoints, `cert_days` with the expiry warning and
critical thresholds as `N:` ranges (alert below N); counts of findings per severity.
"""

from __future__ import annotations

from enum import IntEnum
from typing import IO

from mailprobe.exit_status import Assessed, ExitStatus, FailRule, exit_status_for
from mailprobe.models import Change, Finding, Report, Severity
from mailprobe.render.verdict import counts_text, service_verdicts, severity_counts, who


class NagiosStatus(IntEnum):
    """Plugin return codes."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


def nagios_status(report: Report, rule: FailRule | None = None) -> NagiosStatus:
    """The plugin status of `report` (see the module docstring)."""
    rule = rule or FailRule()
    blocked = exit_status_for(report, rule.severity, rule.ids) in (
        ExitStatus.NOT_FOUND,
        ExitStatus.UNTESTABLE,
    )
    return status_of(report, rule, critical=blocked)


def status_of(report: Assessed, rule: FailRule, *, critical: bool = False) -> NagiosStatus:
    """CRITICAL if `critical` or for an error (or `--fail-on-id` match) among the findings
    and changes, WARNING for a warning, else OK."""
    if critical:
        return NagiosStatus.CRITICAL
    items = [(f.id, f.severity) for f in report.findings]
    items += [(c.id, c.severity) for c in report.changes]
    errors = FailRule(Severity.ERROR, rule.ids)  # errors, and --fail-on-id matches
    if any(errors.fails(i, s) for i, s in items):
        return NagiosStatus.CRITICAL
    if any(s is Severity.WARNING for _i, s in items):
        return NagiosStatus.WARNING
    return NagiosStatus.OK


def label(text: str) -> str:
    """A perfdata label: quoted, without `=` or `'` (the guidelines forbid both)."""
    return "'" + text.replace("'", "").replace("=", "") + "'"


def number(value: float) -> str:
    """A perfdata value: at most one decimal, no trailing zeros."""
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def perfdata(report: Report, cert_warn_days: int = 30, cert_crit_days: int | None = None) -> str:
    """The performance data after `|`: `'label'=value[UOM];warn;crit;min;max` items."""
    items = []
    for pc in report.candidates:
        probe = pc.probe
        if probe is None:
            continue
        s = pc.candidate.setting
        name = f"{s.protocol} {s.host}:{s.port}"
        if probe.timings.total is not None:
            items.append(time_item(name, probe.timings.total))
        cert = probe.tls.cert if probe.tls is not None else None
        if cert is not None:
            items.append(cert_days_item(name, cert.days_left, cert_warn_days, cert_crit_days))
    return " ".join([*items, *count_items(report)])


def time_item(name: str, ms: float) -> str:
    """`'NAME time'=12.3ms;;;0`."""
    return f"{label(name + ' time')}={number(ms)}ms;;;0"


def cert_days_item(name: str, days: int, warn: int, crit: int | None) -> str:
    """`'NAME cert_days'=N;WARN:;CRIT:;;` (alert below the thresholds)."""
    critical = f"{crit}:" if crit is not None else ""
    return f"{label(name + ' cert_days')}={days};{warn}:;{critical};;"


def count_items(report: Assessed) -> list[str]:
    """`'findings_error'=N;;;0` and the like, per severity (findings and changes)."""
    counts = severity_counts(report)
    return [f"{label('findings_' + str(s))}={counts[s]};;;0" for s in Severity]


def _one_line(text: str) -> str:
    return " ".join(text.replace("|", "/").split())


def render(
    report: Report,
    rule: FailRule | None = None,
    *,
    cert_warn_days: int = 30,
    cert_crit_days: int | None = None,
) -> str:
    """The plugin output: status line with perfdata, then one line per problem."""
    status = nagios_status(report, rule)
    services = ", ".join(v.text for v in service_verdicts(report)) or "no settings found"
    perf = perfdata(report, cert_warn_days, cert_crit_days)
    return plugin_output(report, status, f"{who(report)}: {services}", perf)


def plugin_output(report: Assessed, status: NagiosStatus, headline: str, perf: str) -> str:
    """`MAILPROBE STATUS - headline; counts: worst problem | perf`, then one line per
    warning or error (findings, then changes)."""
    problems: list[Finding | Change] = [
        f for f in report.findings if f.severity is not Severity.INFO
    ]
    changes: list[Finding | Change] = [c for c in report.changes if c.severity is not Severity.INFO]
    first = ""
    if status is not NagiosStatus.OK and (problems or changes):
        worst = sorted([*problems, *changes], key=lambda i: -i.severity.rank)[0]
        first = f": {worst.summary}"
    line = f"MAILPROBE {status.name} - {headline}; {counts_text(report)}{first}"
    out = [f"{_one_line(line)} | {perf}"]
    for item in [*problems, *changes]:
        out.append(_one_line(f"[{item.severity.upper()}] {item.id}: {item.summary}"))
    return "\n".join(out) + "\n"


def write(
    report: Report,
    stream: IO[str],
    rule: FailRule | None = None,
    *,
    cert_warn_days: int = 30,
    cert_crit_days: int | None = None,
) -> NagiosStatus:
    """Write the plugin output to `stream` and return the status (the exit code to use)."""
    stream.write(render(report, rule, cert_warn_days=cert_warn_days, cert_crit_days=cert_crit_days))
    return nagios_status(report, rule)


def unknown(message: str, stream: IO[str]) -> NagiosStatus:
    """Write `MAILPROBE UNKNOWN - message` for a usage error or internal failure."""
    stream.write(f"MAILPROBE UNKNOWN - {_one_line(message)}\n")
    return NagiosStatus.UNKNOWN
