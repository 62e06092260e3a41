"""The output formats of `--format` and one entry point that writes any of them.

Each renderer lives in its own module and writes to a stream it is given; this module
only picks one. Only `nagios` has an exit-code mapping of its own (0/1/2/3), which
`write_report` returns; for the others the caller uses `exit_status_for`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import IO

from mailprobe.exit_status import FailRule
from mailprobe.models import Report


class OutputFormat(StrEnum):
    """What `--format` accepts."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    JUNIT = "junit"
    NAGIOS = "nagios"
    OPENMETRICS = "openmetrics"
    GITHUB = "github"


@dataclass(frozen=True)
class RenderOptions:
    """What the renderers may need besides the report."""

    rule: FailRule = field(default_factory=FailRule)
    verbose: bool = True  # table: candidate and source tables
    cert_warn_days: int = 30  # nagios: cert_days warning threshold
    cert_crit_days: int | None = None  # nagios: cert_days critical threshold (policy)


def write_report(
    report: Report,
    fmt: OutputFormat,
    stream: IO[str],
    options: RenderOptions | None = None,
    *,
    summary: IO[str] | None = None,
) -> int | None:
    """Render `report` as `fmt` to `stream`; `summary` receives github's job summary.

    Returns the format's own exit code (nagios), or None: use `exit_status_for`.
    """
    opts = options or RenderOptions()
    if fmt is OutputFormat.JSON:
        from mailprobe.render import json as json_render

        json_render.write(report, stream)
    elif fmt is OutputFormat.MARKDOWN:
        from mailprobe.render import markdown

        markdown.write(report, stream, opts.rule)
    elif fmt is OutputFormat.JUNIT:
        from mailprobe.render import junit

        junit.write(report, stream, opts.rule)
    elif fmt is OutputFormat.NAGIOS:
        from mailprobe.render import nagios

        status = nagios.write(
            report,
            stream,
            opts.rule,
            cert_warn_days=opts.cert_warn_days,
            cert_crit_days=opts.cert_crit_days,
        )
        return int(status)
    elif fmt is OutputFormat.OPENMETRICS:
        from mailprobe.render import openmetrics

        openmetrics.write(report, stream)
    elif fmt is OutputFormat.GITHUB:
        from mailprobe.render import github

        github.write(report, stream, opts.rule, summary=summary)
    else:
        from mailprobe.render import table

        table.write(report, stream, verbose=opts.verbose)
    return None
