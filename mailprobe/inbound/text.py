"""The terminal rendering of a `DomainReport`: verdict, MX table, records, findings."""

from __future__ import annotations

from typing import IO

from tabulate import tabulate

from mailprobe.inbound.model import DomainReport
from mailprobe.inbound.views import dane_cell, record_rows, starttls_cell, sts_match_cell
from mailprobe.models import Change, Finding, Severity

_MARK = {Severity.ERROR: "ERROR", Severity.WARNING: "WARN", Severity.INFO: "info"}


def _mx_table(report: DomainReport) -> str:
    rows = [
        [
            m.preference,
            m.host,
            str(m.dnssec),
            starttls_cell(m),
            dane_cell(m),
            sts_match_cell(m),
            str(report.verdict_of(m.host)),
        ]
        for m in report.mx
    ]
    headers = ["pref", "MX host", "DNSSEC", "STARTTLS (port 25)", "DANE", "MTA-STS", "verdict"]
    return tabulate(rows, headers=headers, tablefmt="simple")


def _tlsa_lines(report: DomainReport) -> list[str]:
    out: list[str] = []
    for m in report.mx:
        if m.tlsa is None or not m.tlsa.records:
            continue
        out.append(f"  {m.tlsa.name} ({m.tlsa.dnssec})")
        matched: dict[str, bool] = {}
        for a in m.addresses:
            if a.dane is not None:
                for rm in a.dane.records:
                    key = rm.record.text
                    matched[key] = matched.get(key, False) or rm.matched
        for r in m.tlsa.records:
            if not r.usable:
                state = f"ignored: {r.note}"
            elif r.text in matched:
                state = "matched" if matched[r.text] else "no match"
            else:
                state = "not checked"
            out.append(f"    {r.text:<28} {state}")
    return out


def _finding_lines(finding: Finding) -> list[str]:
    lines = [f"  {_MARK[finding.severity]:<5} {finding.id}: {finding.summary}"]
    if finding.advice:
        lines.append(f"        -> {finding.advice}")
    return lines


def _change_line(change: Change) -> str:
    return f"  {_MARK[change.severity]:<5} {change.id}: {change.summary}"


def render(report: DomainReport) -> str:
    """The report as text for a terminal."""
    r = report.resolver
    dnssec = (
        f"resolver {r.resolver} validates, AD trusted; MX RRset {report.mx_set.dnssec}"
        if r.usable
        else f"not verified ({r.detail})"
    )
    out = [f"{report.domain}: {str(report.verdict).upper()}", "", f"DNSSEC: {dnssec}", ""]
    if report.mx_set.null_mx:
        out += ["Null MX: this domain accepts no mail.", ""]
    if report.mx:
        out += [_mx_table(report), ""]
    tlsa = _tlsa_lines(report)
    if tlsa:
        out += ["TLSA records", *tlsa, ""]
    out += [tabulate(record_rows(report), tablefmt="plain"), ""]
    if report.findings:
        out.append("Findings")
        for finding in report.findings:
            out += _finding_lines(finding)
        out.append("")
    if report.changes:
        out.append("Changes since the baseline")
        out += [_change_line(c) for c in report.changes]
        out.append("")
    if report.policy_rules:
        broken = sorted({f.policy for f in report.findings if f.policy})
        state = "all met" if not broken else "violated: " + ", ".join(broken)
        out += [f"Policy: {', '.join(report.policy_rules)}; {state}", ""]
    return "\n".join(out).rstrip() + "\n"


def write(report: DomainReport, stream: IO[str]) -> None:
    """Write the rendered report to `stream`."""
    stream.write(render(report))
