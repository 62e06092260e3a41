"""The command line: a thin typer client of the library (parse, call, render, exit code)."""

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailprobe.cli.app import run as run


def _process_started() -> float:
    """When this process started, on the `time.monotonic()` clock (Linux), else now.

    `--timeout` is a deadline for the whole process: the interpreter's own start-up
    counts against it too. Linux gives the start time in clock ticks since boot
    (/proc/self/stat, field 22); CLOCK_BOOTTIME says how long ago that was.
    """
    now = time.monotonic()
    try:
        import os

        with open("/proc/self/stat", "rb") as handle:
            stat = handle.read()
        # The command name (field 2) is in parentheses and may hold spaces.
        fields = stat[stat.rindex(b")") + 2 :].split()
        ticks = int(fields[19])  # field 22 overall
        since_boot = ticks / os.sysconf("SC_CLK_TCK")
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - since_boot
    except (OSError, ValueError, IndexError, AttributeError):
        return now
    return now - age if 0 <= age < 60 else now


#: When the process started: `--timeout` counts from here.
STARTED = _process_started()


def main() -> None:
    """Console-script entry point: the garbage collector waits while the code loads."""
    from mailprobe.cli.startup import pause_collection

    pause_collection()
    from mailprobe.cli.app import main as app_main

    app_main(STARTED)


def __getattr__(name: str) -> object:
    # `run` loads the whole command line, so it is imported only when asked for.
    if name == "run":
        from mailprobe.cli.app import run

        return run
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["main", "run"]
