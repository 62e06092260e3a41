"""Human-readable report: verdict first, then the settings to use and the findings.

The default answers "does it work, and what do I type in?": the verdict per service with
each step (reachable, TLS, login), the settings table, and the findings. `details=True`
adds the candidate and source tables. Output fits the given width (wrapped with hanging
indents, never splitting a word) and is coloured only when asked; see `term.py`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import IO

from mailprobe.models import (
    Finding,
    ProbedCandidate,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Provenance,
    ProviderStatus,
    Recommendation,
    Report,
    Security,
    Severity,
    SourceStatus,
    TranscriptDirection,
)
from mailprobe.render.term import (
    DEFAULT_WIDTH,
    ColorMode,
    Style,
    color_for,
    format_table,
    round_ms,
    shorten_url,
    width_for,
    wrap,
)
from mailprobe.render.verdict import (
    ServiceVerdict,
    VerdictState,
    service_verdicts,
    steps_for,
)

SECURITY_LABELS = {Security.TLS: "SSL/TLS", Security.STARTTLS: "STARTTLS", Security.PLAIN: "none"}
PROTOCOL_LABELS = {Protocol.IMAP: "IMAP", Protocol.POP3: "POP3", Protocol.SMTP: "SMTP"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
GLOSSARY = "docs/glossary.md"

#: One-line explanations, shown once under the report for the terms it uses.
TERMS: Mapping[str, str] = MappingProxyType(
    {
        "SSL/TLS": "encrypted from the first byte (usually ports 993, 995, 465)",
        "STARTTLS": "starts unencrypted, then switches to encryption (ports 143, 110, 587)",
        "trusted": "named by a source that cannot be forged on the way (the provider "
        "database, HTTPS with a valid certificate)",
        "preparation": "the provider needs a setting changed or an app password before "
        "mail apps work",
    }
)

_VERDICT_COLORS = {
    VerdictState.WORKS: "green",
    VerdictState.CERT_NOT_TRUSTED: "yellow",
    VerdictState.LOGIN_FAILED: "red",
    VerdictState.NOT_WORKING: "red",
    VerdictState.FOUND: "yellow",
    VerdictState.NOT_FOUND: "yellow",
}
_SEVERITY_MARK = {
    Severity.ERROR: "ERROR",
    Severity.WARNING: "WARN",
    Severity.INFO: "info",
    Severity.GOOD: "good",
}
_SEVERITY_COLORS = {
    Severity.ERROR: "red",
    Severity.WARNING: "yellow",
    Severity.INFO: "bold",
    Severity.GOOD: "green",
}


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


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host  # an IPv6 address


def _header(report: Report) -> str:
    who = report.address or report.domain
    unicode_domain = report.domain_unicode
    if unicode_domain and unicode_domain != report.domain:
        local = who.rpartition("@")[0]
        who = f"{local}@{unicode_domain}" if report.address else unicode_domain
        who += f"  [{report.domain}]"
    if report.provider is None:
        return who
    line = f"{who}  ({report.provider.name}"
    if report.provider.status is not ProviderStatus.OK:
        line += f", status: {report.provider.status}"
    return line + ")"


def _table(headers: list[str], rows: list[list[str]], wrappable: set[int], width: int) -> str:
    text = format_table(headers, rows, width - 2, wrappable)
    return "\n".join("  " + line for line in text.splitlines())


# --------------------------------------------------------------------------- sections


def _verdict_lines(verdicts: list[ServiceVerdict], width: int, style: Style) -> list[str]:
    pad = max((len(v.state.headline) for v in verdicts if v.setting is not None), default=0)
    lines: list[str] = []
    for v in verdicts:
        label = PROTOCOL_LABELS[v.protocol]
        word = v.state.headline
        painted = style.paint(word, _VERDICT_COLORS[v.state]) + " " * (pad - len(word))
        where = ""
        if v.setting is not None:
            s = v.setting
            where = f"{_host(s.host)}:{s.port} {SECURITY_LABELS[s.security]}"
        lines.append(f"  {label:<5} {painted}  {where}".rstrip())
        if v.steps:
            indent = " " * (2 + 5 + 1)
            lines += wrap(", ".join(v.steps), width, first=indent)
    return lines


def _typed_lines(report: Report, width: int, style: Style) -> list[str]:
    """`probe`: what the user typed, and how it ended when something else was recommended."""
    lines: list[str] = []
    recommended = {
        rec.candidate.setting.endpoint for rec in report.recommended.values() if rec is not None
    }
    for typed in report.typed:
        if typed.endpoint in recommended:
            continue
        probe = next(
            (
                pc.probe
                for pc in report.candidates
                if pc.candidate.setting.endpoint == typed.endpoint
            ),
            None,
        )
        where = f"{_host(typed.host)}:{typed.port} {SECURITY_LABELS[typed.security]}"
        steps = ", ".join(steps_for(typed, probe)) if probe is not None else "not tested"
        lines += wrap(
            f"{style.paint('FAILED', 'red')}  {where}: {steps}",
            width,
            first="  typed ",
            rest=" " * 8,
        )
    return lines


def _settings_table(report: Report, width: int, details: bool) -> list[str]:
    """The settings table; one shared user name is said once under it, not per row."""
    recs = [rec for p in Protocol if (rec := report.recommended.get(p)) is not None]
    names = {rec.candidate.setting.username for rec in recs}
    shared = names.pop() if len(names) == 1 else None
    rows = []
    for rec in recs:
        s = rec.candidate.setting
        row = [PROTOCOL_LABELS[s.protocol], s.host, str(s.port), SECURITY_LABELS[s.security]]
        if len(names) > 0:  # several user names: a column
            row.append(s.username or "")
        if details:
            row += [
                ", ".join(rec.candidate.source_ids),
                "yes" if rec.candidate.trusted else "no",
                _verified(rec),
            ]
        rows.append(row)
    headers = ["service", "server", "port", "security"]
    if len(names) > 0:
        headers.append("username")
    if details:
        headers += ["sources", "trusted", "verified"]
    lines = [_table(headers, rows, {1, 4, 5}, width)]
    if shared:
        lines += wrap(f"User name: {shared}", width, first="  ")
    return lines


def _provenance(p: Provenance) -> str:
    text = str(p.source) + ("" if p.trusted else " (untrusted)")
    origin = p.origin.removeprefix(f"{p.source}:")
    if origin in ("", str(p.source)):
        return text
    return f"{text}: {shorten_url(origin)}"


def _candidate_lines(
    candidates: tuple[ProbedCandidate, ...], probed: bool, width: int
) -> list[str]:
    """Every candidate: the endpoint and its probe on one line, then who named it."""
    lines: list[str] = []
    for pc in candidates:
        s = pc.candidate.setting
        head = f"{_host(s.host)}:{s.port} {SECURITY_LABELS[s.security]}"
        if probed:
            outcome = _probe_cell(pc.probe, s.security) or "not probed"
            total = pc.probe.timings.total if pc.probe is not None else None
            head += f": {outcome}" + (f" ({round_ms(total)})" if total is not None else "")
        lines += wrap(head, width, first=f"  {PROTOCOL_LABELS[s.protocol]:<5} ", rest=" " * 10)
        for p in pc.candidate.sources:
            lines += wrap(_provenance(p), width, first=" " * 10, rest=" " * 12)
    return lines


def _sources_table(report: Report, width: int) -> str:
    rows: list[list[str]] = []
    for o in report.sources:
        previous = rows[-1] if rows else None
        skipped = o.status is SourceStatus.SKIPPED
        same = previous is not None and previous[1:] == [str(o.status), "", o.detail]
        if skipped and previous is not None and same:
            previous[0] += f", {o.source}"  # one line for sources skipped for one reason
            continue
        detail = " ".join(
            shorten_url(word) if word.startswith(("http://", "https://")) else word
            for word in o.detail.split(" ")
        )
        detail += "".join(f"\n! {warning}" for warning in o.warnings)
        rows.append(
            [str(o.source), str(o.status), "" if skipped else round_ms(o.elapsed_ms), detail]
        )
    return _table(["source", "status", "time", "detail"], rows, {0, 3}, width)


def _shown_findings(report: Report, details: bool) -> list[Finding]:
    """All findings with --details; by default the generic "no working X server" is left
    out where an error about one of that service's servers already says why."""
    if details:
        return list(report.findings)
    specific = {
        f.protocol
        for f in report.findings
        if f.severity is Severity.ERROR and f.host is not None and f.protocol is not None
    }
    return [
        f
        for f in report.findings
        if not (f.id == "service.no_working_endpoint" and f.protocol in specific)
    ]


def _marked_lines(severity: Severity, text: str, width: int, style: Style) -> list[str]:
    """`text` wrapped to `width` after its severity mark (coloured when `style` says so)."""
    mark = _SEVERITY_MARK[severity]
    lines = wrap(text, width, first=f"  {mark:<5} ")
    lines[0] = "  " + style.paint(f"{mark:<5}", _SEVERITY_COLORS[severity]) + lines[0][7:]
    return lines


def _finding_lines(finding: Finding, width: int, style: Style, *, repeated: bool) -> list[str]:
    lines = _marked_lines(finding.severity, finding.summary, width, style)
    if finding.advice:
        advice = "(same advice as above)" if repeated else finding.advice
        lines += wrap(advice, width, first="        -> ", rest=" " * 11)
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


#: Terms explained only when they appear outside the findings ("a trusted authority" in a
#: certificate finding is not mailprobe's notion of a trusted source).
_TABLE_TERMS = frozenset({"trusted"})


def _legend(text: str, tables: str, width: int) -> list[str]:
    used = [term for term in TERMS if term in (tables if term in _TABLE_TERMS else text)]
    if not used:
        return []
    pad = max(len(t) for t in used)
    lines = [f"Terms (more in {GLOSSARY}):"]
    for term in used:
        lines += wrap(TERMS[term], width, first=f"  {term:<{pad}}  ")
    return lines


def render(
    report: Report,
    *,
    details: bool = False,
    width: int = DEFAULT_WIDTH,
    color: bool = False,
    verbose: bool | None = None,
) -> str:
    """The report as text. `details` adds the candidate and source tables (`verbose` is
    its former name); `width` is the number of columns to fit; `color` adds ANSI colours."""
    if verbose is not None:
        details = verbose
    style = Style(color)
    out: list[str] = [_header(report), ""]
    if report.probed and any(report.recommended.values()):
        verdicts = service_verdicts(report)
        if verdicts:
            out += ["Verdict", *_verdict_lines(verdicts, width, style)]
            out += [*_typed_lines(report, width, style), ""]
    if any(report.recommended.values()):
        out += ["Settings to use", *_settings_table(report, width, details), ""]
    else:
        out += ["No settings found.", ""]
    if details and report.candidates:
        out += ["Candidates", *_candidate_lines(report.candidates, report.probed, width), ""]
    if details and report.sources:
        out += ["Sources", _sources_table(report, width), ""]
    before_transcripts = len(out)
    transcripts = _transcript_lines(report.candidates)
    if transcripts:
        out += ["Transcripts (milliseconds since each connection was made)", *transcripts]
    before_findings = len(out)
    shown = _shown_findings(report, details)
    if shown:
        out.append("Findings")
        previous = ""
        for finding in shown:
            repeated = bool(finding.advice) and finding.advice == previous
            out += _finding_lines(finding, width, style, repeated=repeated)
            previous = finding.advice
        out.append("")
    if report.changes:
        out.append("Changes since the baseline")
        for change in report.changes:
            out += _marked_lines(change.severity, change.summary, width, style)
        out.append("")
    # The servers' words in a transcript are not mailprobe's terms: no legend for them.
    own = out[:before_transcripts] + out[before_findings:]
    tables = out[:before_transcripts]
    legend = _legend(_strip("\n".join(own)), _strip("\n".join(tables)), width)
    if legend:
        out += [*legend, ""]
    return "\n".join(out).rstrip() + "\n"


def _strip(text: str) -> str:
    return _ANSI.sub("", text)


def write(
    report: Report,
    stream: IO[str],
    *,
    details: bool = False,
    width: int | None = None,
    color: ColorMode | bool = ColorMode.AUTO,
    verbose: bool | None = None,
) -> None:
    """Write the rendered report to `stream`, fitting its width and colouring only a
    terminal (unless `color` says otherwise; `NO_COLOR` is honoured in auto mode)."""
    use_color = color if isinstance(color, bool) else color_for(stream, color)
    stream.write(
        render(
            report,
            details=details,
            width=width or width_for(stream),
            color=use_color,
            verbose=verbose,
        )
    )
