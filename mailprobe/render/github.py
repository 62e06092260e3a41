"""GitHub Actions: workflow commands that annotate the run, plus a job summary.

`::error` for every error finding or change (and every `--fail-on-id` match), `::warning`
for warnings; info stays out of the annotations. The Markdown report (render/markdown.py)
goes to the `summary` stream, which the command line opens on `$GITHUB_STEP_SUMMARY`
(appending) when that variable is set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from mailprobe.exit_status import Assessed, FailRule
from mailprobe.models import Change, Finding, Report, Severity
from mailprobe.render import markdown


def escape_data(text: str) -> str:
    """The message part of a workflow command (`%`, CR and LF encoded)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (`title=...`): also `:` and `,` encoded."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(item: Finding | Change, rule: FailRule) -> str | None:
    critical = FailRule(Severity.ERROR, rule.ids)
    if critical.fails(item.id, item.severity):
        kind = "error"
    elif item.severity is Severity.WARNING:
        kind = "warning"
    else:
        return None
    where = f" {item.host}:{item.port}" if item.host and item.port else ""
    title = f"mailprobe {item.id}{where}"
    message = item.summary
    if isinstance(item, Finding) and item.advice:
        message += "\n" + item.advice
    return f"::{kind} title={escape_property(title)}::{escape_data(message)}"


def commands(report: Assessed, rule: FailRule | None = None) -> list[str]:
    """One workflow command per error or warning finding and change."""
    rule = rule or FailRule()
    out = [_command(f, rule) for f in report.findings]
    out += [_command(c, rule) for c in report.changes]
    return [line for line in out if line is not None]


def write(
    report: Report,
    stream: IO[str],
    rule: FailRule | None = None,
    *,
    summary: IO[str] | None = None,
) -> None:
    """Write the workflow commands to `stream` and the Markdown summary to `summary`."""
    emit(report, stream, rule, summary, lambda: markdown.render(report, rule))


def emit(
    report: Assessed,
    stream: IO[str],
    rule: FailRule | None,
    summary: IO[str] | None,
    summary_text: Callable[[], str],
) -> None:
    """Write the workflow commands for `report`, and `summary_text()` to `summary`."""
    for line in commands(report, rule):
        stream.write(line + "\n")
    if summary is not None:
        summary.write(summary_text())
        summary.write("\n")
