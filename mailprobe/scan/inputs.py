"""Scan input, read as people's files really are: bytes, one record per `\\n`.

Lines are split on `\\n` only (a vertical tab, form feed or file separator inside a line
stays inside it), a trailing `\\r` is dropped, a UTF-8 byte order mark at the start is
ignored, and each line is decoded on its own: a line that is not UTF-8 becomes that
line's error record, with its bytes shown escaped, and never ends the scan. Blank lines
and `#` comments are skipped. Reading is lazy, so memory does not grow with the input.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

_BOM = b"\xef\xbb\xbf"

#: Longest line taken as input; longer ones are that line's error (no address is this long).
MAX_LINE_BYTES = 4096


@dataclass(frozen=True)
class InputLine:
    """One record of scan input: its line number, and either its text or why it is unusable.

    `text` is the stripped line; for an undecodable or oversized line it is the escaped
    form of its bytes (valid JSON-safe text) and `error` says what is wrong.
    """

    number: int
    text: str
    error: str | None = None


def escaped(raw: bytes) -> str:
    """`raw` as printable text: ASCII kept, every other byte as `\\xNN`."""
    return raw.decode("ascii", "backslashreplace")


def _chunks(stream: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    # read1 returns what one underlying read gives (a pipe's available bytes) instead of
    # waiting for `size` bytes, so lines stream in as a producer writes them.
    read = getattr(stream, "read1", stream.read)
    while True:
        chunk = read(size)
        if not chunk:
            return
        yield chunk


def raw_lines(stream: IO[bytes]) -> Iterator[bytes]:
    """The lines of `stream` split on `\\n` only, without the `\\n` (lazily)."""
    pending = b""
    for chunk in _chunks(stream):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        yield from complete
        if len(pending) > MAX_LINE_BYTES * 4:
            # A line far too long to be an address: keep only enough of it to report it.
            pending = pending[: MAX_LINE_BYTES + 1]
    if pending:
        yield pending


def read_inputs(stream: IO[bytes]) -> Iterator[InputLine]:
    """Every wanted line of `stream` as an `InputLine`, in order (blank and `#` skipped)."""
    for number, raw in enumerate(raw_lines(stream), start=1):
        line = raw[len(_BOM) :] if number == 1 and raw.startswith(_BOM) else raw
        line = line.removesuffix(b"\r")
        if len(line) > MAX_LINE_BYTES:
            yield InputLine(
                number,
                escaped(line[:80]) + "...",
                f"line {number} is longer than {MAX_LINE_BYTES} bytes",
            )
            continue
        try:
            text = line.decode("utf-8").strip()
        except UnicodeDecodeError:
            yield InputLine(number, escaped(line.strip()), f"line {number} is not valid UTF-8")
            continue
        if text and not text.startswith("#"):
            yield InputLine(number, text)


def count_inputs(stream: IO[bytes]) -> int:
    """How many records `read_inputs` would yield (for a progress bar's total)."""
    return sum(1 for _ in read_inputs(stream))
