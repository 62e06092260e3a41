"""GitHub Actions for a domain report: the check renderer's workflow commands (`::error`,
`::warning`) and the domain Markdown report as the job summary."""

from __future__ import annotations

from typing import IO

from mailprobe.exit_status import FailRule
from mailprobe.inbound.model import DomainReport
from mailprobe.render import github
from mailprobe.render.domain import markdown


def write(
    report: DomainReport,
    stream: IO[str],
    rule: FailRule | None = None,
    *,
    summary: IO[str] | None = None,
) -> None:
    """Write the workflow commands to `stream` and the Markdown summary to `summary`."""
    github.emit(report, stream, rule, summary, lambda: markdown.render(report, rule))
