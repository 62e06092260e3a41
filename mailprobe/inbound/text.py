"""The terminal rendering of a `DomainReport`: verdict, MX table, records, findings."""

from __future__ import annotations

from typing import IO

from tabulate import tabulate

from mailprobe.inbound.model import DomainReport, MxResult
from mailprobe.models import Finding, ProbeStatus, Severity

_MARK = {Severity.ERROR: "ERROR", Severity.WARNING: "WARN", Severity.INFO: "info"}


def _starttls(mx: MxResult) -> str:
    cells = []
    for a in mx.addresses:
        s = a.smtp
        if s.status is not ProbeStatus.OK:
            cells.append(f"{a.ip}: {s.status}")
        elif not s.starttls:
            cells.append(f"{a.ip}: no STARTTLS")
        else:
            tls = s.tls
            trusted = "trusted" if a.pkix is not None and a.pkix.valid else "untrusted cert"
            cells.append(f"{a.ip}: {tls.version if tls else '?'}, {trusted}")
    return "; ".join(cells) or ("localhost" if mx.localhost else "no address")


def _dane(mx: MxResult) -> str:
    text = str(mx.dane_status)
    if mx.tlsa is not None and mx.tlsa.records:
        usable = sum(1 for r in mx.tlsa.records if r.usable)
        text += f" ({usable} usable of {len(mx.tlsa.records)})"
    return text


def _sts_match(mx: MxResult) -> str:
    return {None: "-", True: "listed", False: "NOT listed"}[mx.mta_sts_match]


def _mx_table(report: DomainReport) -> str:
    rows = [
        [
            m.preference,
            m.host,
            str(m.dnssec),
            _starttls(m),
            _dane(m),
            _sts_match(m),
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


def _records(report: DomainReport) -> list[list[str]]:
    sts = report.mta_sts
    sts_text = str(sts.status)
    if sts.mode:
        sts_text += f", mode {sts.mode}, mx {', '.join(sts.mx)}, max_age {sts.max_age}"
    elif sts.detail and sts.status != "absent":
        sts_text += f": {sts.detail}"
    rpt = report.tls_rpt
    return [
        ["MTA-STS", sts_text],
        ["TLS-RPT", rpt.status + (f": {', '.join(rpt.rua)}" if rpt.rua else "")],
        ["SPF", report.spf.status + (f": {report.spf.record}" if report.spf.record else "")],
        [
            "DMARC",
            report.dmarc.status + (f": p={report.dmarc.policy}" if report.dmarc.policy else ""),
        ],
    ]


def _finding_lines(finding: Finding) -> list[str]:
    lines = [f"  {_MARK[finding.severity]:<5} {finding.id}: {finding.summary}"]
    if finding.advice:
        lines.append(f"        -> {finding.advice}")
    return lines


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
    out += [tabulate(_records(report), tablefmt="plain"), ""]
    if report.findings:
        out.append("Findings")
        for finding in report.findings:
            out += _finding_lines(finding)
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def write(report: DomainReport, stream: IO[str]) -> None:
    """Write the rendered report to `stream`."""
    stream.write(render(report))
