"""The `--format`s of `mailprobe domain`: one module per format, with the same `write`
signatures as the check renderers in `mailprobe.render` and built from their helpers.

`write_domain_report` is the domain twin of `mailprobe.render.formats.write_report`: it
returns the format's own exit code (nagios) or None (use `domain_exit_status`).
"""

from __future__ import annotations

from typing import IO

from mailprobe.inbound.model import DomainReport
from mailprobe.render.formats import OutputFormat, RenderOptions, dispatch


def write_domain_report(
    report: DomainReport,
    fmt: OutputFormat,
    stream: IO[str],
    options: RenderOptions | None = None,
    *,
    summary: IO[str] | None = None,
) -> int | None:
    """Render the domain report as `fmt` to `stream`; `summary` gets github's job summary."""
    return dispatch("mailprobe.render.domain", report, fmt, stream, options, summary=summary)


__all__ = ["write_domain_report"]
