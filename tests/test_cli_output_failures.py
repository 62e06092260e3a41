"""Output that cannot be written ends cleanly: one line on stderr and a documented status.

A reader that closed the pipe gives 141 (as a shell reports SIGPIPE) and says nothing; a
closed standard output or a full disk gives 74 with one line naming the problem. Never a
traceback, never "internal error". Each case is a real process with a real descriptor.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = [
    ["you@gmail.com", "--offline", "--json"],
    ["you@gmail.com", "--offline"],
    ["discover", "you@gmail.com", "--offline", "--json"],
    ["db", "list"],
]


def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "mailprobe", *args],
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
        **kwargs,
    )


@pytest.mark.parametrize("args", COMMANDS)
def test_a_pipe_closed_by_the_reader_exits_141_quietly(args: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte: every write fails
    try:
        done = run(args, stdout=write_end)
    finally:
        os.close(write_end)
    assert done.returncode == 141
    assert done.stderr == ""


@pytest.mark.parametrize("args", COMMANDS)
def test_a_full_disk_exits_74_with_one_line(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = run(args, stdout=full)
    assert done.returncode == 74
    assert done.stderr == "mailprobe: cannot write to standard output: No space left on device\n"


@pytest.mark.parametrize("args", COMMANDS)
def test_a_closed_standard_output_exits_74_with_one_line(args: list[str]) -> None:
    # The child starts with descriptor 1 closed, as after `mailprobe ... >&-` in a shell.
    done = run(args, stdout=subprocess.DEVNULL, preexec_fn=lambda: os.close(1))
    assert done.returncode == 74
    assert done.stderr == "mailprobe: cannot write the result: standard output is closed\n"
    assert "Traceback" not in done.stderr


def test_head_reading_a_few_bytes_never_gives_an_internal_error() -> None:
    # A real pipeline: head takes 10 bytes and leaves; we may or may not have written all.
    shell = f"{sys.executable} -m mailprobe you@gmail.com --offline --json | head -c 10"
    done = subprocess.run(
        ["bash", "-c", f"{shell}; echo rc=${{PIPESTATUS[0]}} >&2"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert len(done.stdout) == 10
    assert done.stderr.strip() in {"rc=0", "rc=141"}
