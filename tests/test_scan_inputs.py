"""Scan input as real files are: bytes split on \\n only, decoded line by line, lazily."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from mailprobe.scan.inputs import MAX_LINE_BYTES, InputLine, count_inputs, read_inputs


def records(data: bytes) -> list[InputLine]:
    return list(read_inputs(io.BytesIO(data)))


def test_blank_lines_and_comments_are_skipped_and_numbers_kept() -> None:
    got = records(b"a.test\n\n# note\n   \nb.test\n  # indented note\nc.test")
    assert [(r.number, r.text) for r in got] == [(1, "a.test"), (5, "b.test"), (7, "c.test")]


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_address() -> None:
    assert records(b"\xef\xbb\xbfalice@a.test\r\nb.test\r\n")[0].text == "alice@a.test"
    assert [r.text for r in records(b"\xef\xbb\xbfalice@a.test\r\nb.test\r\n")] == [
        "alice@a.test",
        "b.test",
    ]


@pytest.mark.parametrize("separator", [b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\x85", b"\r"])
def test_only_newline_separates_records(separator: bytes) -> None:
    got = records(b"a.test" + separator + b"b.test\nc.test\n")
    assert len(got) == 2
    assert got[1].text == "c.test"


def test_an_undecodable_line_is_its_own_error_with_escaped_bytes() -> None:
    got = records(b"a.test\nb\xff\xfe.test\nc.test\n")
    assert [r.text for r in got] == ["a.test", "b\\xff\\xfe.test", "c.test"]
    assert got[1].error == "line 2 is not valid UTF-8"
    assert got[1].text.isascii()


def test_an_overlong_line_is_an_error_and_the_next_line_still_counts() -> None:
    got = records(b"x" * (MAX_LINE_BYTES * 10) + b"\nok.test\n")
    assert got[0].error is not None
    assert "longer than" in got[0].error
    assert len(got[0].text) < 100
    assert got[1].text == "ok.test"


def test_reading_is_lazy() -> None:
    pulled: list[int] = []

    class Slow(io.RawIOBase):
        def __init__(self) -> None:
            self.left = 1000

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            if not self.left:
                return 0
            self.left -= 1
            pulled.append(1)
            line = b"d%d.test\n" % self.left
            buffer[: len(line)] = line
            return len(line)

    stream = io.BufferedReader(Slow(), buffer_size=16)
    iterator: Iterator[InputLine] = read_inputs(stream)
    first = next(iterator)
    assert first.text == "d999.test"
    assert len(pulled) < 100  # not the whole input


def test_count_matches_records() -> None:
    data = b"a\n\n#x\nb\n\xff\n"
    assert count_inputs(io.BytesIO(data)) == len(records(data)) == 3
