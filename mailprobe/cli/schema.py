"""`mailprobe schema`: print the JSON Schema of the report and of a scan line, or with
`--kind domain` the schema of the `mailprobe domain` report.

The check schema is the file shipped in the package (`mailprobe/render/report.schema.json`),
documented in docs/json-report.md; the domain schema is built by `mailprobe.inbound.schema`
(docs/domain.md).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer


class SchemaKind(StrEnum):
    """Which report's schema `mailprobe schema` prints."""

    CHECK = "check"
    DOMAIN = "domain"


def schema(
    kind: Annotated[
        SchemaKind,
        typer.Option(
            "--kind",
            case_sensitive=False,
            help="check: the report of check, discover and probe (and a scan line); "
            "domain: the report of mailprobe domain.",
        ),
    ] = SchemaKind.CHECK,
) -> None:
    """Print the JSON Schema (draft 2020-12) of the --json report and of a scan line.

    The top level describes the report of check, discover and probe; $defs/ScanLine
    describes one line of mailprobe scan. With --kind domain: the mailprobe domain report.
    """
    if kind is SchemaKind.DOMAIN:
        import json

        from mailprobe.inbound.schema import domain_schema

        sys.stdout.write(json.dumps(domain_schema(), indent=2, ensure_ascii=False) + "\n")
        return
    from mailprobe.render.schema import load_schema_text

    sys.stdout.write(load_schema_text())
