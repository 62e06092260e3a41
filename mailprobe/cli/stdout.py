"""Standard output that fails cleanly: a closed pipe, a closed stream or a full disk.

The command-line framework turns a broken pipe inside a command into exit status 1, and a
full disk would surface as an internal error. `GuardedStdout` stands in for `sys.stdout`
while a command runs and turns every failure to write into an `OutputError`, which is not
an `OSError`, so it reaches the one error boundary in `mailprobe.cli.app.run` untouched.
"""

from __future__ import annotations

import errno
import os
from typing import IO, Any


class OutputError(Exception):
    """Writing the result to standard output failed; `closed_by_reader` for a broken pipe."""

    def __init__(self, reason: str, *, closed_by_reader: bool = False) -> None:
        super().__init__(reason)
        self.closed_by_reader = closed_by_reader


def _translate(exc: OSError) -> OutputError:
    if isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE:
        return OutputError("the reader closed the pipe", closed_by_reader=True)
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    return OutputError(f"cannot write to standard output: {reason}")


class GuardedStdout:
    """A text stream that delegates to `stream` and raises `OutputError` when writing fails."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        """Write `text`; a failure becomes `OutputError`."""
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise _translate(exc) from None

    def flush(self) -> None:
        """Flush; a failure (a full disk shows up here) becomes `OutputError`."""
        try:
            self._stream.flush()
        except OSError as exc:
            raise _translate(exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def silence_stdout() -> None:
    """Point the process's standard output at /dev/null, so the interpreter's last flush of
    a broken stream cannot print a second error after ours."""
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the process ends
