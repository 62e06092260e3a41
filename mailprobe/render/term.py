"""Terminal helpers for the text renderers: width, wrapping, URL shortening, colour.

Width: `COLUMNS`, then the terminal's size, 80 when the stream is not a terminal.
Colour: `--color always|never`, or `auto` = a terminal and `NO_COLOR` unset or empty
(https://no-color.org). Wrapping never breaks inside a word, so a host name or URL is
never cut in the middle.
"""

from __future__ import annotations

import os
import re
import shutil
import textwrap
from dataclasses import dataclass
from enum import StrEnum
from typing import IO

DEFAULT_WIDTH = 80
MIN_WIDTH = 40


class ColorMode(StrEnum):
    """The values of `--color`."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def width_for(stream: IO[str], environ: dict[str, str] | None = None) -> int:
    """Columns to fit: `COLUMNS` if set, else the terminal's width, else 80 (piped)."""
    env = os.environ if environ is None else environ
    columns = env.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return max(MIN_WIDTH, int(columns))
    if _isatty(stream):
        try:
            size = os.get_terminal_size(stream.fileno())
        except (AttributeError, ValueError, OSError):
            size = shutil.get_terminal_size((DEFAULT_WIDTH, 24))
        return max(MIN_WIDTH, size.columns)
    return DEFAULT_WIDTH


def color_for(
    stream: IO[str], mode: ColorMode = ColorMode.AUTO, environ: dict[str, str] | None = None
) -> bool:
    """Whether to colour output to `stream` under `--color mode` (NO_COLOR honoured)."""
    if mode is ColorMode.ALWAYS:
        return True
    if mode is ColorMode.NEVER:
        return False
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR", ""):
        return False
    return _isatty(stream) and env.get("TERM", "") != "dumb"


_CODES = {"red": "31", "yellow": "33", "green": "32", "bold": "1", "dim": "2"}


@dataclass(frozen=True)
class Style:
    """Paints text with ANSI colours when enabled, and passes it through otherwise."""

    enabled: bool = False

    def paint(self, text: str, color: str) -> str:
        """`text` in `color` (red, yellow, green, bold, dim)."""
        if not self.enabled or not text:
            return text
        return f"\x1b[{_CODES[color]}m{text}\x1b[0m"


#: Word pairs that must stay on one line: a number and its unit, "port 993".
_KEEP_TOGETHER = re.compile(r"(?<=\d) (?=(?:[KMGT]?B|ms|s|days?)\b)|(?<=\bport) (?=\d)")
_GLUE = "\x00"


def wrap(text: str, width: int, *, first: str = "", rest: str | None = None) -> list[str]:
    """`text` wrapped to `width` with prefix `first` on line one and `rest` (hanging
    indent, default: as many spaces as `first`) on the others; words are never split,
    nor a number from its unit."""
    indent = " " * len(first) if rest is None else rest
    glued = _KEEP_TOGETHER.sub(_GLUE, text)
    wrapper = textwrap.TextWrapper(
        width=max(width, len(first) + 10),
        initial_indent=first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    lines = wrapper.wrap(glued) or [first.rstrip()]
    return [line.replace(_GLUE, " ") for line in lines]


def wrap_cell(text: str, width: int) -> str:
    """A table cell wrapped to `width` (lines kept; words never split)."""
    out: list[str] = []
    for line in text.splitlines() or [""]:
        if len(line) <= width:
            out.append(line)
            continue
        out.extend(
            textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [""]
        )
    return "\n".join(out)


def shorten_url(url: str, limit: int = 40) -> str:
    """A URL short enough for a table: drops `https://` (an `http://` stays, it matters)
    and then middle path segments (`autoconfig.example.org/.../config-v1.1.xml`); the
    host is never shortened."""
    text = url.removeprefix("https://")
    if len(text) <= limit:
        return text
    scheme = ""
    if text.startswith("http://"):
        scheme, text = "http://", text.removeprefix("http://")
    host, sep, path = text.partition("/")
    if not sep:
        return scheme + host
    path, _, query = path.partition("?")
    segments = path.split("/")
    last = segments[-1] + ("?..." if query else "")
    keep = list(segments[:-1])
    while keep and len(scheme + host + "/" + "/".join([*keep, "...", last])) > limit:
        keep.pop()
    middle = [*keep, "..."] if len(keep) < len(segments) - 1 else keep
    return scheme + host + "/" + "/".join([*middle, last])


def fit_columns(
    cells: list[list[str]], headers: list[str], wrappable: set[int], width: int, gap: int = 2
) -> list[int | None]:
    """A width limit per column so the table fits `width` where possible: the widest
    wrappable column gives way first, never below its longest word."""
    count = len(headers)

    def natural(i: int) -> int:
        lines = [line for row in cells for line in row[i].splitlines()] + [headers[i]]
        return max((len(line) for line in lines), default=0)

    def floor(i: int) -> int:
        words = [w for row in cells for w in row[i].split()] + [headers[i]]
        return max((len(w) for w in words), default=1)

    widths = [natural(i) for i in range(count)]
    floors = [floor(i) if i in wrappable else widths[i] for i in range(count)]
    budget = width - gap * (count - 1)
    while sum(widths) > budget:
        shrinkable = [i for i in range(count) if widths[i] > floors[i]]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
    return [widths[i] if i in wrappable else None for i in range(count)]


def round_ms(value: float | None) -> str:
    """Milliseconds as people read them: `56 ms`, `1.2 s`, `6.0 s`."""
    if value is None:
        return ""
    if value < 1000:
        return f"{value:.0f} ms"
    return f"{value / 1000:.1f} s"


def format_table(headers: list[str], rows: list[list[str]], width: int, wrappable: set[int]) -> str:
    """A plain table: left-aligned columns two spaces apart, a dashed rule under the
    headers, cells wrapped (never inside a word) so the whole fits `width` where possible."""
    limits = fit_columns(rows, headers, wrappable, width)
    cells = [
        [
            (cell if limit is None else wrap_cell(cell, limit)).splitlines() or [""]
            for cell, limit in zip(row, limits, strict=True)
        ]
        for row in rows
    ]
    widths = [
        max([len(headers[i])] + [len(line) for row in cells for line in row[i]])
        for i in range(len(headers))
    ]

    def line(parts: list[str]) -> str:
        return "  ".join(p.ljust(w) for p, w in zip(parts, widths, strict=True)).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    for row in cells:
        height = max(len(c) for c in row)
        for k in range(height):
            out.append(line([c[k] if k < len(c) else "" for c in row]))
    return "\n".join(out)
