"""`mailprobe policy check FILE`: validate a policy file without running anything.

Prints the rules the file sets and their severities; a broken file is a usage error
(exit 2) naming the file, the key and the line (see mailprobe.policy_file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

policy_app = typer.Typer(
    name="policy",
    help="Validate CI policy files (see --policy).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@policy_app.command(
    "check",
    epilog="Example:\n\n  mailprobe policy check mail-policy.toml",
)
def check_policy(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The policy (TOML).")],
) -> None:
    """Validate FILE: unknown keys, wrong types and TOML errors exit with 2."""
    from mailprobe.policy import load_policy

    policy = load_policy(file)
    rules = policy.rules()
    typer.echo(f"{file}: valid policy, {len(rules)} rule{'s' if len(rules) != 1 else ''}")
    for key in rules:
        typer.echo(f"  {key:<28} {policy.severity_for(key)}")
