"""Rewrite the files generated from the code, or check that they are up to date.

    python tools/regenerate.py          rewrite them
    python tools/regenerate.py --check  exit 1 and name the stale ones

Generated: the JSON Schema shipped in the package (mailprobe/render/report.schema.json),
docs/findings.md (from the finding catalogue), the key reference in
docs/json-report.md (between the GENERATED markers; the rest of that page is prose) and
the two tables of docs/causes.md (between their begin/end markers).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mailprobe.diagnose.reference import findings_markdown  # noqa: E402
from mailprobe.net.failures import cause_table, verify_code_table  # noqa: E402
from mailprobe.render.schema import (  # noqa: E402
    SCHEMA_FILE,
    fields_markdown,
    generate_schema,
    schema_text,
)

SCHEMA_PATH = ROOT / "mailprobe" / "render" / SCHEMA_FILE
FINDINGS_PATH = ROOT / "docs" / "findings.md"
JSON_REPORT_PATH = ROOT / "docs" / "json-report.md"
CAUSES_PATH = ROOT / "docs" / "causes.md"
BEGIN = "<!-- BEGIN GENERATED: keys (tools/regenerate.py) -->"
END = "<!-- END GENERATED -->"


def splice(page: str, generated: str) -> str:
    """`page` with the text between the GENERATED markers replaced by `generated`."""
    head, found, rest = page.partition(BEGIN)
    if not found or END not in rest:
        raise ValueError(f"the page lacks the markers {BEGIN!r} ... {END!r}")
    tail = rest.split(END, 1)[1]
    return f"{head}{BEGIN}\n\n{generated}\n{END}{tail}"


def splice_block(page: str, name: str, generated: str) -> str:
    """`page` with the table between `<!-- NAME:begin ... -->` and `<!-- NAME:end -->`
    replaced by `generated` (the markers of docs/causes.md)."""
    start = page.index(f"<!-- {name}:begin")
    start = page.index("\n", start) + 1
    end = page.index(f"<!-- {name}:end -->")
    return f"{page[:start]}{generated}\n{page[end:]}"


def expected() -> dict[Path, str]:
    """Each generated file and the text it must have."""
    page = JSON_REPORT_PATH.read_text(encoding="utf-8")
    causes = CAUSES_PATH.read_text(encoding="utf-8")
    causes = splice_block(causes, "causes", cause_table())
    causes = splice_block(causes, "verify-codes", verify_code_table())
    return {
        CAUSES_PATH: causes,
        SCHEMA_PATH: schema_text(generate_schema()),
        FINDINGS_PATH: findings_markdown(),
        JSON_REPORT_PATH: splice(page, fields_markdown()),
    }


def stale() -> list[Path]:
    """The generated files whose committed text differs from what the code generates."""
    return [
        path
        for path, text in expected().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str]) -> int:
    """Rewrite (or with --check, verify) every generated file."""
    if argv == ["--check"]:
        old = stale()
        for path in old:
            print(f"stale: {path.relative_to(ROOT)} (run python tools/regenerate.py)")
        return 1 if old else 0
    for path, text in expected().items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
