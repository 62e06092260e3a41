"""Nagios/Icinga plugin output for a domain report (the check renderer's format).

    MAILPROBE CRITICAL - nomatch.example: FAIL, 1 MX (mx.nomatch.example fail); ... | perf

CRITICAL (2) for an error finding or change, a `--fail-on-id` match, a domain that does
not exist or no MX address reachable on port 25; WARNING (1) for a warning; else OK (0).
Performance data per MX address: the STARTTLS test's `time` in ms and `cert_days` with
the warning and critical thresholds; finding counts per severity.
"""

from __future__ import annotations

from typing import IO

from mailprobe.exit_status import ExitStatus, FailRule
from mailprobe.inbound.exit import domain_exit_status
from mailprobe.inbound.model import DomainReport
from mailprobe.inbound.views import addresses, leaf_cert
from mailprobe.render.nagios import (
    NagiosStatus,
    cert_days_item,
    count_items,
    plugin_output,
    status_of,
    time_item,
)


def domain_status(report: DomainReport, rule: FailRule | None = None) -> NagiosStatus:
    """The plugin status of the domain report (see the module docstring)."""
    rule = rule or FailRule()
    blocked = domain_exit_status(report, rule.severity, rule.ids) in (
        ExitStatus.NOT_FOUND,
        ExitStatus.UNTESTABLE,
    )
    return status_of(report, rule, critical=blocked)


def perfdata(
    report: DomainReport, cert_warn_days: int = 30, cert_crit_days: int | None = None
) -> str:
    """Per MX address `time` (ms) and `cert_days`, then the finding counts."""
    items = []
    for mx, address in addresses(report):
        name = f"{mx.host} {address.ip}"
        if address.smtp.starttls is not None:
            items.append(time_item(name, address.smtp.elapsed_ms))
        cert = leaf_cert(address)
        if cert is not None:
            items.append(cert_days_item(name, cert.days_left, cert_warn_days, cert_crit_days))
    return " ".join([*items, *count_items(report)])


def _headline(report: DomainReport) -> str:
    if report.mx_set.null_mx:
        hosts = "null MX"
    else:
        verdicts = ", ".join(f"{m.host} {report.verdict_of(m.host)}" for m in report.mx)
        hosts = f"{len(report.mx)} MX ({verdicts})" if report.mx else "no MX"
    return f"{report.domain}: {str(report.verdict).upper()}, {hosts}"


def write(
    report: DomainReport,
    stream: IO[str],
    rule: FailRule | None = None,
    *,
    cert_warn_days: int = 30,
    cert_crit_days: int | None = None,
) -> NagiosStatus:
    """Write the plugin output (status line with perfdata, then one line per problem) to
    `stream` and return the status (the exit code to use)."""
    status = domain_status(report, rule)
    perf = perfdata(report, cert_warn_days, cert_crit_days)
    stream.write(plugin_output(report, status, _headline(report), perf))
    return status
