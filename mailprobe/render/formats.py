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
    return dispatch("mailprobe.render", report, fmt, stream, options, summary=summary)


def dispatch(
    package: str,
    report: object,
    fmt: OutputFormat,
    stream: IO[str],
    options: RenderOptions | None = None,
    *,
    summary: IO[str] | None = None,
) -> int | None:
    """Call `write` of the module `<package>.<fmt>`: each package (`mailprobe.render` for
    check reports, `mailprobe.render.domain` for domain reports) has one module per format
    with the same `write` signatures. Returns nagios' status, else None."""
    from importlib import import_module

    opts = options or RenderOptions()
    module = import_module(f"{package}.{fmt}")
    if fmt is OutputFormat.NAGIOS:
        status = module.write(
            report,
            stream,
            opts.rule,
            cert_warn_days=opts.cert_warn_days,
            cert_crit_days=opts.cert_crit_days,
        )
        return int(status)
    if fmt is OutputFormat.TABLE:
        module.write(report, stream, verbose=opts.verbose)
    elif fmt in (OutputFormat.JSON, OutputFormat.OPENMETRICS):
        module.write(report, stream)
    elif fmt is OutputFormat.GITHUB:
        module.write(report, stream, opts.rule, summary=summary)
    else:
        module.write(report, stream, opts.rule)
    return None
