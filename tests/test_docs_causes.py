"""docs/causes.md lists exactly the causes and verify codes the code knows."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailprobe.models import Cause
from mailprobe.net.failures import cause_table, verify_code_table

DOC = Path(__file__).resolve().parent.parent / "docs" / "causes.md"


def _block(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"<!-- {name}:begin")
    start = text.index("\n", start) + 1
    end = text.index(f"<!-- {name}:end -->")
    return text[start:end].strip()


@pytest.mark.parametrize(
    ("name", "table"), [("causes", cause_table), ("verify-codes", verify_code_table)]
)
def test_generated_tables_are_current(name: str, table: object) -> None:
    assert callable(table)
    assert _block(name) == table(), f"regenerate the {name} table in docs/causes.md"


def test_every_cause_has_one_row() -> None:
    rows = [line for line in _block("causes").splitlines() if line.startswith("| `")]
    named = [row.split("`")[1] for row in rows]
    assert named == [c.value for c in Cause]
