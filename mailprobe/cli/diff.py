"""`mailprobe diff OLD.json NEW.json`: what changed between two stored JSON reports.

The comparison is the one `--baseline` makes (mailprobe.baseline). Exit codes: 0 no change
at or above `--fail-on` (and none matching `--fail-on-id`), 1 otherwise, 2 for unusable
files (not a report, another schema_version, different addresses).
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from mailprobe.cli.options import FailOnIdOpt, FailOnOpt
from mailprobe.exit_status import ExitStatus, FailRule
from mailprobe.models import Change, Severity


class DiffFormat(StrEnum):
    """Formats `diff` writes."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


def _table(changes: tuple[Change, ...], old: str, new: str) -> str:
    if not changes:
        return f"No changes from {old} to {new}.\n"
    marks = {Severity.ERROR: "ERROR", Severity.WARNING: "WARN", Severity.INFO: "info"}
    lines = [f"Changes from {old} to {new}"]
    lines += [f"  {marks[c.severity]:<5} {c.id:<24} {c.summary}" for c in changes]
    return "\n".join(lines) + "\n"


def _markdown(changes: tuple[Change, ...], old: str, new: str) -> str:
    from mailprobe.render.markdown import escape

    lines = [f"### mailprobe: changes from {escape(old)} to {escape(new)}", ""]
    if not changes:
        lines.append("No changes.")
    for c in changes:
        lines.append(f"- **{c.severity}** `{c.id}`: {escape(c.summary)}")
    return "\n".join(lines) + "\n"


def diff(
    old: Annotated[Path, typer.Argument(metavar="OLD.json", help="The earlier --json report.")],
    new: Annotated[Path, typer.Argument(metavar="NEW.json", help="The later --json report.")],
    fmt: Annotated[
        DiffFormat,
        typer.Option("--format", "-f", case_sensitive=False, help="table, json or markdown."),
    ] = DiffFormat.TABLE,
    json_out: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    fail_on: FailOnOpt = Severity.ERROR,
    fail_on_id: FailOnIdOpt = None,
) -> None:
    """Compare two stored JSON reports of one address, without probing anything."""
    from mailprobe.baseline import compare_reports, load_baseline
    from mailprobe.render.json import to_jsonable
    from mailprobe.version import __version__

    before = load_baseline(old)
    after = load_baseline(new)
    changes = compare_reports(before, after)
    if json_out or fmt is DiffFormat.JSON:
        doc = {
            "schema_version": 1,
            "mailprobe_version": __version__,
            "address": after.get("address") or after.get("domain"),
            "before": {"file": str(old), "generated_at": before.get("generated_at")},
            "after": {"file": str(new), "generated_at": after.get("generated_at")},
            "changes": [to_jsonable(c) for c in changes],
        }
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    elif fmt is DiffFormat.MARKDOWN:
        sys.stdout.write(_markdown(changes, str(old), str(new)))
    else:
        sys.stdout.write(_table(changes, str(old), str(new)))
    rule = FailRule(fail_on, tuple(fail_on_id or ()))
    failed = any(rule.fails(c.id, c.severity) for c in changes)
    raise typer.Exit(int(ExitStatus.FINDINGS if failed else ExitStatus.OK))
