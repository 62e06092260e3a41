"""The documentation in docs/ is complete, generated parts are current, and code cites it."""

from __future__ import annotations

import re

from mailprobe.diagnose import RULES, FindingId
from mailprobe.exit_status import ExitStatus
from tools.regenerate import ROOT, stale

DOCS = ROOT / "docs"


def test_generated_files_are_up_to_date() -> None:
    assert stale() == [], "run `python tools/regenerate.py` and commit the result"


def test_every_finding_id_is_documented_with_its_severity_and_meaning() -> None:
    page = (DOCS / "findings.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z0-9_.]+)` \| (.+?) \|$", page, flags=re.M))
    assert set(rows) == {fid.value for fid in FindingId}
    for fid in FindingId:
        severity, when = rows[fid.value].split(" | ", 1)
        assert severity == RULES[fid].severity.value
        assert when.startswith(RULES[fid].when.split()[0])


def test_every_exit_code_is_documented() -> None:
    page = (DOCS / "exit-codes.md").read_text(encoding="utf-8")
    for status in ExitStatus:
        assert re.search(rf"^\| {int(status)} \| `{status.name}` \|", page, flags=re.M), status


def test_every_report_key_is_in_the_json_reference() -> None:
    from mailprobe.render.schema import generate_schema

    page = (DOCS / "json-report.md").read_text(encoding="utf-8")
    for name, body in generate_schema()["$defs"].items():
        assert f"### {name}" in page
        for key in body.get("properties", {}):
            assert f"| `{key}` |" in page, (name, key)


def test_links_between_docs_and_from_the_readme_resolve() -> None:
    pages = [ROOT / "README.md", *DOCS.glob("*.md")]
    assert {p.name for p in DOCS.glob("*.md")} >= {
        "architecture.md",
        "json-report.md",
        "findings.md",
        "exit-codes.md",
    }
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", text):
            assert (page.parent / target).is_file(), (page.name, target)


def test_code_cites_only_documents_inside_the_repository() -> None:
    outside = "DES" + "IGN"  # the name of the planning file that lives outside the repo
    roots = [ROOT / "mailprobe", ROOT / "tests", ROOT / "docs", ROOT / "benchmarks"]
    files = [ROOT / "README.md", *(p for r in roots for p in r.rglob("*") if p.is_file())]
    cited = [
        str(p.relative_to(ROOT))
        for p in files
        if p.suffix in {".py", ".md", ".json", ".toml"}
        and outside in p.read_text(encoding="utf-8", errors="replace")
    ]
    assert cited == []


def test_every_document_the_code_cites_exists() -> None:
    roots = [ROOT / "mailprobe", ROOT / "tests", ROOT / "benchmarks", ROOT / "testbed"]
    files = [ROOT / "README.md", *(p for r in roots for p in r.rglob("*.py"))]
    missing = {
        (str(p.relative_to(ROOT)), cited)
        for p in files
        for cited in re.findall(r"\bdocs/[a-z0-9_-]+\.md", p.read_text(encoding="utf-8"))
        if not (ROOT / cited).is_file()
    }
    assert missing == set()


def test_readme_shows_the_new_report_fields_and_the_schema_command() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for needle in ('"generated_at"', '"duration_ms"', '"probe_status"', '"login"'):
        assert needle in text
    assert "mailprobe schema" in text
    assert "docs/json-report.md" in text
