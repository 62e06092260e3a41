"""The command line: a thin typer client of the library (parse, call, render, exit code)."""

from mailprobe.cli.app import main, run

__all__ = ["main", "run"]
