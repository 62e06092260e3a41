"""The JSON report of `mailprobe domain` (see `mailprobe schema --kind domain`)."""

from __future__ import annotations

import json
from typing import IO

from mailprobe.inbound.model import DomainReport


def write(report: DomainReport, stream: IO[str]) -> None:
    """Write the JSON report, indented, to `stream`."""
    stream.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
