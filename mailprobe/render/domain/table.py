"""The terminal rendering of a domain report (`mailprobe.inbound.text`)."""

from __future__ import annotations

from typing import IO

from mailprobe.inbound import text
from mailprobe.inbound.model import DomainReport


def write(report: DomainReport, stream: IO[str], *, verbose: bool = True) -> None:
    """Write the text report to `stream` (`verbose` is accepted for the shared dispatch;
    the domain report has no brief form)."""
    text.write(report, stream)
