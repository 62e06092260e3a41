"""Human-readable report: verdicts, recommended settings, candidates, sources, findings."""

from __future__ import annotations

from typing import IO

from tabulate import tabulate

from mailprobe.models import (
    Finding,
    ProbedCandidate,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Provenance,
    Recommendation,
    Report,
    Security,
    Severity,
    SourceStatus,
    TranscriptDirection,
)

SECURITY_LABELS = {Security.TLS: "SSL/TLS", Security.STARTTLS: "STARTTLS", Security.PLAIN: "none"}
PROTOCOL_LABELS = {Protocol.IMAP: "IMAP", Protocol.POP3: "POP3", Protocol.SMTP: "SMTP"}
_TABLE_FORMAT = "simple"


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.0f} ms"


def _verified(rec: Recommendation) -> str:
    if rec.verified is None:
        return "not tested"
    return "yes" if rec.verified else "NO"


def _probe_cell(probe: ProbeResult | None, expected: Security) -> str:
    if probe is None:
        return ""
    text = str(probe.status)
    if probe.status is ProbeStatus.OK and probe.tls is not None:
        text += f", {probe.tls.version}"
        if not probe.tls.verified:
            text += " (cert not trusted)"
    elif probe.status is not ProbeStatus.OK and probe.reason:
        text += f": {probe.reason}"
    if probe.detected_security is not None and probe.detected_security is not expected:
        text += f" [port speaks {SECURITY_LABELS[probe.detected_security]}]"
    return text


def _header(report: Report) -> str:
    who = report.address or report.domain
    if report.provider is None:
        return who
    line = f"{who}  ({report.provider.name}"
    if report.provider.status != "ok":
        line += f", status: {report.provider.status}"
    return line + ")"


def _verdicts(report: Report) -> list[str]:
    lines = []
    for protocol in Protocol:
        rec = report.recommended.get(protocol)
        label = PROTOCOL_LABELS[protocol]
        if rec is None:
            if report.address is not None:  # a single-server probe asks about one service
                lines.append(f"  {label:<5} no settings found")
            continue
        s = rec.candidate.setting
        host = f"[{s.host}]" if ":" in s.host else s.host  # an IPv6 address
        where = f"{host}:{s.port} {SECURITY_LABELS[s.security]}"
        if rec.verified is None:
            verdict = "found (not tested)"
        elif rec.verified:
            verdict = "works"
        else:
            verdict = "NOT WORKING"
        lines.append(f"  {label:<5} {verdict:<18} {where}")
    return lines


def _recommended_table(report: Report) -> str:
    rows = []
    for protocol in Protocol:
        rec = report.recommended.get(protocol)
        if rec is None:
            continue
        s = rec.candidate.setting
        rows.append(
            [
                PROTOCOL_LABELS[protocol],
                s.host,
                s.port,
                SECURITY_LABELS[s.security],
                s.username or "",
                ", ".join(rec.candidate.source_ids),
                "yes" if rec.candidate.trusted else "no",
                _verified(rec),
            ]
        )
    headers = [
        "service",
        "server",
        "port",
        "security",
        "username",
        "sources",
        "trusted",
        "verified",
    ]
    return tabulate(rows, headers=headers, tablefmt=_TABLE_FORMAT)


def _provenance(p: Provenance) -> str:
    text = str(p.source) + ("" if p.trusted else " (untrusted)")
    origin = p.origin.removeprefix(f"{p.source}:")
    return text if origin in ("", str(p.source)) else f"{text}: {origin}"


def _candidates_table(candidates: tuple[ProbedCandidate, ...], probed: bool) -> str:
    rows = []
    for pc in candidates:
        s = pc.candidate.setting
        origins = "\n".join(_provenance(p) for p in pc.candidate.sources)
        row: list[object] = [
            PROTOCOL_LABELS[s.protocol],
            s.host,
            s.port,
            SECURITY_LABELS[s.security],
            origins,
        ]
        if probed:
            total = pc.probe.timings.total if pc.probe is not None else None
            row += [_probe_cell(pc.probe, s.security), _ms(total)]
        rows.append(row)
    headers = ["service", "server", "port", "security", "sources"]
    if probed:
        headers += ["probe", "time"]
    return tabulate(
        rows,
        headers=headers,
        tablefmt=_TABLE_FORMAT,
        maxcolwidths=[None, 32, None, None, 60, 50, None][: len(headers)],
    )


def _sources_table(report: Report) -> str:
    rows: list[list[str]] = []
    for o in report.sources:
        previous = rows[-1] if rows else None
        skipped = o.status is SourceStatus.SKIPPED
        if skipped and previous is not None and previous[1:] == [str(o.status), "", o.detail]:
            previous[0] += f", {o.source}"  # one line for sources skipped for one reason
            continue
        text = o.detail + "".join(f"\n! {warning}" for warning in o.warnings)
        rows.append([str(o.source), str(o.status), "" if skipped else _ms(o.elapsed_ms), text])
    return tabulate(
        rows,
        headers=["source", "status", "time", "detail"],
        tablefmt=_TABLE_FORMAT,
        maxcolwidths=[None, None, None, 80],
    )


_SEVERITY_MARK = {Severity.ERROR: "ERROR", Severity.WARNING: "WARN", Severity.INFO: "info"}


def _finding_lines(finding: Finding) -> list[str]:
    lines = [f"  {_SEVERITY_MARK[finding.severity]:<5} {finding.summary}"]
    if finding.advice:
        lines.append(f"        -> {finding.advice}")
    return lines


_DIRECTION_MARK = {
    TranscriptDirection.CLIENT: "C:",
    TranscriptDirection.SERVER: "S:",
    TranscriptDirection.EVENT: "--",
}


def _transcript_lines(candidates: tuple[ProbedCandidate, ...]) -> list[str]:
    """Each recorded conversation under the endpoint it belongs to (`--transcript`)."""
    lines: list[str] = []
    for pc in candidates:
        if pc.probe is None or pc.probe.transcript is None:
            continue
        s = pc.candidate.setting
        host = f"[{s.host}]" if ":" in s.host else s.host
        lines.append(
            f"  {PROTOCOL_LABELS[s.protocol]} {host}:{s.port} {SECURITY_LABELS[s.security]}"
            f" ({pc.probe.status})"
        )
        for entry in pc.probe.transcript:
            lines.append(f"    {entry.t_ms:>8.1f} ms  {_DIRECTION_MARK[entry.dir]} {entry.text}")
        lines.append("")
    return lines


def render(report: Report, *, verbose: bool = True) -> str:
    """The report as text for a terminal. `verbose` adds the candidate and source tables."""
    out: list[str] = [_header(report), ""]
    if report.probed:
        out += ["Verdict", *_verdicts(report), ""]
    if any(report.recommended.values()):
        out += ["Recommended settings", _recommended_table(report), ""]
    else:
        out += ["No settings found.", ""]
    if verbose and report.candidates:
        out += ["Candidates", _candidates_table(report.candidates, report.probed), ""]
    if verbose and report.sources:
        out += ["Sources", _sources_table(report), ""]
    transcripts = _transcript_lines(report.candidates)
    if transcripts:
        out += ["Transcripts (milliseconds since each connection was made)", *transcripts]
    if report.findings:
        out.append("Findings")
        for finding in report.findings:
            out += _finding_lines(finding)
        out.append("")
    if report.changes:
        out.append("Changes since the baseline")
        out += [f"  {_SEVERITY_MARK[c.severity]:<5} {c.summary}" for c in report.changes]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def write(report: Report, stream: IO[str], *, verbose: bool = True) -> None:
    """Write the rendered report to `stream`."""
    stream.write(render(report, verbose=verbose))
