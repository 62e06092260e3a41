"""Markdown: verdict, settings table, findings and changes, ready to paste into a ticket."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import IO

from mailprobe.exit_status import FailRule, exit_status_for
from mailprobe.models import Change, Finding, Report, Severity
from mailprobe.render.verdict import (
    PROTOCOL_LABELS,
    SECURITY_LABELS,
    counts_text,
    service_verdicts,
    who,
)
from mailprobe.version import __version__

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")
_SEVERITY = {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.INFO: "info"}


def escape(text: str) -> str:
    """`text` with Markdown and HTML syntax characters backslash-escaped, on one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def outcome(status: int) -> str:
    """`passed` or `failed (exit status N)`."""
    return "passed" if status == 0 else f"failed (exit status {int(status)})"


def _verdict(report: Report, rule: FailRule) -> str:
    status = exit_status_for(report, rule.severity, rule.ids)
    services = ", ".join(v.text for v in service_verdicts(report)) or "no settings found"
    return f"**Verdict: {outcome(status)}.** {services}. {counts_text(report)}."


def _settings(report: Report) -> list[str]:
    rows = []
    for protocol, rec in report.recommended.items():
        if rec is None:
            continue
        s = rec.candidate.setting
        verified = "not tested" if rec.verified is None else ("yes" if rec.verified else "**NO**")
        cells = [
            PROTOCOL_LABELS[protocol],
            escape(s.host),
            str(s.port),
            SECURITY_LABELS[s.security],
            escape(s.username or ""),
            verified,
            escape(", ".join(rec.candidate.source_ids)),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    if not rows:
        return ["No settings found."]
    return [
        "| Service | Server | Port | Security | Username | Verified | Sources |",
        "| --- | --- | ---: | --- | --- | --- | --- |",
        *rows,
    ]


def _where(item: Finding | Change) -> str:
    if item.host is None:
        return f" ({PROTOCOL_LABELS[item.protocol]})" if item.protocol else ""
    port = f":{item.port}" if item.port else ""
    return f" ({escape(item.host)}{port})"


def finding_lines(f: Finding) -> list[str]:
    """A finding as a list item, with its advice on the next line."""
    lines = [f"- **{_SEVERITY[f.severity]}** `{f.id}`{_where(f)}: {escape(f.summary)}"]
    if f.advice:
        lines.append(f"  *Advice:* {escape(f.advice)}")
    return lines


def change_lines(c: Change) -> list[str]:
    """A change as a list item."""
    line = f"- **{_SEVERITY[c.severity]}** `{c.id}`{_where(c)}: {escape(c.summary)}"
    return [line]


def sections(
    findings: Sequence[Finding], changes: Sequence[Change], policy_rules: Sequence[str]
) -> list[str]:
    """The Findings, Changes and Policy sections (each only when there is something)."""
    out: list[str] = []
    if findings:
        out += ["### Findings", ""]
        for f in findings:
            out += finding_lines(f)
        out.append("")
    if changes:
        out += ["### Changes since the baseline", ""]
        for c in changes:
            out += change_lines(c)
        out.append("")
    if policy_rules:
        rules = ", ".join(f"`{key}`" for key in policy_rules)
        broken = sorted({f.policy for f in findings if f.policy})
        state = "all met" if not broken else "violated: " + ", ".join(f"`{key}`" for key in broken)
        out += ["### Policy", "", f"Rules checked: {rules}; {state}.", ""]
    out.append(f"<sub>mailprobe {__version__}</sub>")
    return out


def render(report: Report, rule: FailRule | None = None) -> str:
    """The report as Markdown (GitHub-flavoured tables)."""
    rule = rule or FailRule()
    title = who(report) + (f" ({report.provider.name})" if report.provider else "")
    out = [f"## mailprobe: {escape(title)}", "", _verdict(report, rule), ""]
    out += ["### Settings", "", *_settings(report), ""]
    out += sections(report.findings, report.changes, report.policy_rules)
    return "\n".join(out) + "\n"


def write(report: Report, stream: IO[str], rule: FailRule | None = None) -> None:
    """Write the Markdown report to `stream`."""
    stream.write(render(report, rule))
