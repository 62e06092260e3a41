"""The terminal rendering of a domain report (`mailprobe.inbound.text`)."""

from __future__ import annotations

from typing import IO

from mailprobe.inbound import text
from mailprobe.inbound.model import DomainReport
from mailprobe.render.term import ColorMode


def write(
    report: DomainReport,
    stream: IO[str],
    *,
    details: bool = False,
    color: ColorMode = ColorMode.AUTO,
) -> None:
    """Write the text report to `stream` (`details` and `color` are accepted for the shared
    dispatch; the domain report has one form, without colour)."""
    text.write(report, stream)
