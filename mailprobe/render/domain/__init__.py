"""The `--format`s of `mailprobe domain`, built from the check renderers' helpers.

`write_domain_report` is the domain twin of `mailprobe.render.formats.write_report`: it
returns the format's own exit code (nagios) or None (use `domain_exit_status`).
"""

from __future__ import annotations

import json
from typing import IO

from mailprobe.inbound.model import DomainReport
from mailprobe.render.formats import OutputFormat, RenderOptions


def write_domain_report(
    report: DomainReport,
    fmt: OutputFormat,
    stream: IO[str],
    options: RenderOptions | None = None,
    *,
    summary: IO[str] | None = None,
) -> int | None:
    """Render the domain report as `fmt` to `stream`; `summary` gets github's job summary."""
    opts = options or RenderOptions()
    if fmt is OutputFormat.JSON:
        stream.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    elif fmt is OutputFormat.MARKDOWN:
        from mailprobe.render.domain import markdown

        markdown.write(report, stream, opts.rule)
    elif fmt is OutputFormat.JUNIT:
        from mailprobe.render.domain import junit

        junit.write(report, stream, opts.rule)
    elif fmt is OutputFormat.NAGIOS:
        from mailprobe.render.domain import nagios

        status = nagios.write(
            report,
            stream,
            opts.rule,
            cert_warn_days=opts.cert_warn_days,
            cert_crit_days=opts.cert_crit_days,
        )
        return int(status)
    elif fmt is OutputFormat.OPENMETRICS:
        from mailprobe.render.domain import openmetrics

        openmetrics.write(report, stream)
    elif fmt is OutputFormat.GITHUB:
        from mailprobe.render.domain import github

        github.write(report, stream, opts.rule, summary=summary)
    else:
        from mailprobe.inbound.text import write

        write(report, stream)
    return None


__all__ = ["write_domain_report"]
