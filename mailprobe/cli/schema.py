"""`mailprobe schema`: print the JSON Schema of the report and of a scan line.

The text is the file shipped in the package (`mailprobe/render/report.schema.json`),
documented in docs/json-report.md.
"""

from __future__ import annotations

import sys


def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of the --json report and of a scan line.

    The top level describes the report of check, discover and probe; $defs/ScanLine
    describes one line of mailprobe scan.
    """
    from mailprobe.render.schema import load_schema_text

    sys.stdout.write(load_schema_text())
