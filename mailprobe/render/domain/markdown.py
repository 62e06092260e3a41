"""Markdown for a domain report: verdict per MX and for the domain, the domain-wide
records, findings, changes and policy, ready to paste into a ticket."""

from __future__ import annotations

from typing import IO

from mailprobe.exit_status import FailRule
from mailprobe.inbound.exit import domain_exit_status
from mailprobe.inbound.model import DomainReport
from mailprobe.inbound.views import dane_cell, record_rows, starttls_cell, sts_match_cell
from mailprobe.render.markdown import escape, outcome, sections
from mailprobe.render.verdict import counts_text


def _mx_table(report: DomainReport) -> list[str]:
    if report.mx_set.null_mx:
        return ["Null MX: this domain accepts no mail."]
    if not report.mx:
        return ["No MX host to check."]
    rows = [
        "| Pref | MX host | Verdict | DNSSEC | STARTTLS (port 25) | DANE | MTA-STS |",
        "| ---: | --- | --- | --- | --- | --- | --- |",
    ]
    for m in report.mx:
        verdict = str(report.verdict_of(m.host))
        cells = [
            str(m.preference),
            escape(m.host),
            verdict if verdict == "pass" else f"**{verdict.upper()}**",
            str(m.dnssec),
            escape(starttls_cell(m)),
            escape(dane_cell(m)),
            sts_match_cell(m),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _records(report: DomainReport) -> list[str]:
    rows = ["| Record | State |", "| --- | --- |"]
    rows.append(f"| MX RRset | {report.mx_set.status}, DNSSEC {report.mx_set.dnssec} |")
    rows += [f"| {name} | {escape(state)} |" for name, state in record_rows(report)]
    return rows


def render(report: DomainReport, rule: FailRule | None = None) -> str:
    """The domain report as Markdown (GitHub-flavoured tables)."""
    rule = rule or FailRule()
    status = domain_exit_status(report, rule.severity, rule.ids)
    hosts = len(report.mx)
    verdict = (
        f"**Verdict: {str(report.verdict).upper()}**; the run {outcome(status)}. "
        f"{hosts} MX host{'s' if hosts != 1 else ''} checked. {counts_text(report)}."
    )
    out = [f"## mailprobe domain: {escape(report.domain)}", "", verdict, ""]
    out += ["### MX hosts", "", *_mx_table(report), ""]
    out += ["### Domain", "", *_records(report), ""]
    out += sections(report.findings, report.changes, report.policy_rules)
    return "\n".join(out) + "\n"


def write(report: DomainReport, stream: IO[str], rule: FailRule | None = None) -> None:
    """Write the Markdown report to `stream`."""
    stream.write(render(report, rule))
