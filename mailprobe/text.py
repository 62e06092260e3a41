"""Small checks for numbers in untrusted text (files, server replies, option values).

`str.isdigit()` and `int()` accept any Unicode digit (`"９９３"` is 993 to them); a port or
a length in a protocol is ASCII digits only.
"""

from __future__ import annotations


def ascii_int(text: str, *, max_digits: int = 19) -> int | None:
    """`text` as a non-negative integer when it is 1 to `max_digits` ASCII digits, else None."""
    if not text or len(text) > max_digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)
