"""What check, discover and probe share after the run: policy, baseline, format, exit code.

`OutputOptions.from_cli` reads the policy and baseline files first (a bad file is a usage
error before anything touches the network); `finish` applies them to the report, renders
it in the chosen format and returns the exit code.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailprobe.errors import InvalidOptionError
from mailprobe.exit_status import FailRule, exit_status_for
from mailprobe.models import Report, Severity
from mailprobe.render.formats import OutputFormat, RenderOptions, dispatch
from mailprobe.render.term import ColorMode

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from mailprobe.policy import Policy


def output_format(json_out: bool, fmt: OutputFormat | None) -> OutputFormat:
    """`--json` is short for `--format json`; both at once must agree."""
    if json_out and fmt not in (None, OutputFormat.JSON):
        raise InvalidOptionError(f"--json and --format {fmt} contradict each other")
    if json_out:
        return OutputFormat.JSON
    return fmt or OutputFormat.TABLE


@dataclass(frozen=True)
class OutputOptions:
    """The CI-facing options of one command, files already read and validated."""

    fmt: OutputFormat = OutputFormat.TABLE
    rule: FailRule = field(default_factory=FailRule)
    brief: bool = False
    details: bool = False
    color: ColorMode = ColorMode.AUTO
    policy: Policy | None = None
    baseline: Mapping[str, Any] | None = None
    cert_warn_days: int = 30
    explain: bool = False  # plain-language steps (table) or steps first (markdown)

    @classmethod
    def from_cli(
        cls,
        *,
        json_out: bool,
        fmt: OutputFormat | None,
        fail_on: Severity,
        fail_on_id: list[str] | None,
        brief: bool = False,
        details: bool = False,
        color: ColorMode = ColorMode.AUTO,
        policy: Path | None = None,
        baseline: Path | None = None,
        cert_warn_days: int = 30,
        explain: bool = False,
    ) -> OutputOptions:
        """Validate the options and read the policy and baseline files."""
        chosen = output_format(json_out, fmt)
        if explain and chosen not in (OutputFormat.TABLE, OutputFormat.MARKDOWN):
            raise InvalidOptionError(
                f"--explain works with table output and --format markdown, not {chosen}"
            )
        loaded_policy = None
        if policy is not None:
            from mailprobe.policy import load_policy

            loaded_policy = load_policy(policy)
        loaded_baseline = None
        if baseline is not None:
            from mailprobe.baseline import load_baseline

            loaded_baseline = load_baseline(baseline)
        patterns = tuple(p.strip() for p in fail_on_id or ())
        if any(not p for p in patterns):
            raise InvalidOptionError("--fail-on-id needs a finding id or glob, e.g. 'tls.cert.*'")
        return cls(
            fmt=chosen,
            rule=FailRule(fail_on, patterns),
            brief=brief,
            details=details,
            color=color,
            policy=loaded_policy,
            baseline=loaded_baseline,
            cert_warn_days=cert_warn_days,
            explain=explain,
        )

    @property
    def machine(self) -> bool:
        """True for formats read by programs (no progress lines then)."""
        return self.fmt is not OutputFormat.TABLE


def finish(report: Report, out: OutputOptions) -> int:
    """Apply the policy and baseline, render to stdout, and return the exit code."""
    if out.policy is not None:
        from mailprobe.policy import apply_policy

        report = apply_policy(report, out.policy)
    if out.baseline is not None:
        from mailprobe.baseline import apply_baseline

        report = apply_baseline(report, out.baseline)
    if out.explain:
        from mailprobe.render import explain

        if out.fmt is not OutputFormat.MARKDOWN:
            explain.write(report, sys.stdout)
            return int(exit_status_for(report, out.rule.severity, out.rule.ids))
        sys.stdout.write(explain.render_markdown(report) + "\n")  # a ticket: steps first
    return conclude(
        out,
        "mailprobe.render",
        report,
        lambda: int(exit_status_for(report, out.rule.severity, out.rule.ids)),
    )


def conclude(out: OutputOptions, package: str, report: object, status: Callable[[], int]) -> int:
    """Render `report` with the format modules of `package` (see `formats.dispatch`) to
    stdout, with github's job summary opened (appending) on `$GITHUB_STEP_SUMMARY` when
    that format and variable are set; return the format's own exit code (nagios), else
    `status()`."""
    options = RenderOptions(
        rule=out.rule,
        details=out.details and not out.brief,
        color=out.color,
        cert_warn_days=out.cert_warn_days,
        cert_crit_days=out.policy.cert_min_days if out.policy is not None else None,
    )
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if out.fmt is not OutputFormat.GITHUB or not summary_path:
        code = dispatch(package, report, out.fmt, sys.stdout, options)
    else:
        try:
            summary = open(summary_path, "a", encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InvalidOptionError(
                f"GITHUB_STEP_SUMMARY={summary_path}: cannot append: {exc.strerror or exc}"
            ) from None
        with summary:
            code = dispatch(package, report, out.fmt, sys.stdout, options, summary=summary)
    return status() if code is None else code
