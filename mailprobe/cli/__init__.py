"""The command line: a thin typer client of the library (parse, call, render, exit code)."""

import time

#: When the process reached mailprobe's code, before the command line's imports:
#: `--timeout` is a deadline for the whole process, so start-up counts against it.
STARTED = time.monotonic()

from mailprobe.cli.app import run  # noqa: E402


def main() -> None:
    """Console-script entry point."""
    from mailprobe.cli.app import main as app_main

    app_main(STARTED)


__all__ = ["main", "run"]
