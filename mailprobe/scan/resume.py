"""`--output FILE --resume`: continue an interrupted scan without redoing finished inputs.

The inputs already present in FILE are counted (a line repeated three times in the input
and written twice is scanned once more). A last line cut short by a crash is removed
before new lines are appended, so the file stays valid JSON Lines. Inputs are remembered
by a short digest, which keeps memory small for files of millions of lines.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from mailprobe.scan.inputs import InputLine


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).digest()


def repair_tail(path: Path) -> None:
    """Cut an unfinished last line (no newline at the end of the file) off `path`."""
    with path.open("rb+") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        if size == 0:
            return
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        # Walk back to the last newline in blocks; everything after it is incomplete.
        position = size
        while position > 0:
            step = min(64 * 1024, position)
            position -= step
            handle.seek(position)
            block = handle.read(step)
            cut = block.rfind(b"\n")
            if cut >= 0:
                handle.truncate(position + cut + 1)
                return
        handle.truncate(0)


def finished_inputs(path: Path) -> Counter[bytes]:
    """How often each input already has a complete line in `path` (by digest)."""
    done: Counter[bytes] = Counter()
    with path.open("rb") as handle:
        for raw in handle:
            if not raw.endswith(b"\n"):
                break
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("input"), str):
                done[_digest(record["input"])] += 1
    return done


def remaining(items: Iterable[InputLine], done: Counter[bytes]) -> Iterator[InputLine]:
    """`items` without those already finished (each finished line skips one occurrence)."""
    for item in items:
        key = _digest(item.text)
        if done[key] > 0:
            done[key] -= 1
            continue
        yield item
