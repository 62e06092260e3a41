"""Use a running test bed (MAILPROBE_BED=DIR) or start one for the length of a benchmark."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from testbed.info import BedInfo, load_bed

REPO = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def running_bed() -> Iterator[BedInfo]:
    """Yield the bed named by MAILPROBE_BED, or start one in a temp dir and stop it after."""
    existing = os.environ.get("MAILPROBE_BED")
    if existing:
        yield load_bed(existing)
        return
    directory = tempfile.mkdtemp(prefix="mailprobe-bench-bed-")
    subprocess.run(
        [sys.executable, "-m", "testbed", "start", "--dir", directory],
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield load_bed(directory)
    finally:
        subprocess.run(
            [sys.executable, "-m", "testbed", "stop", "--dir", directory],
            cwd=REPO,
            check=False,
            stdout=subprocess.DEVNULL,
        )
