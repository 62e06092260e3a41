"""Provider database round 2: provenance and freshness, successors, the provider's own
server order in ranking, and the maintainer tools (`import-autoconfig`, `diff-ispdb`).

The maintainer tools are run on the reference corpus in `<repo>/../shared/reference`;
those tests skip cleanly when it is absent (a user's clone does not have it).
"""

from __future__ import annotations

import asyncio
import threading
import tomllib
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mailprobe.cli.db import db_app
from mailprobe.discovery import discover, rank_candidates
from mailprobe.models import (
    Candidate,
    DiscoveryOptions,
    Protocol,
    Provenance,
    Security,
    ServerSetting,
    SourceId,
)
from mailprobe.providers import ProviderDb, default_db, provider_from_table
from mailprobe.providers.maintain import (
    Period,
    autoconfig_draft,
    diff_ispdb,
    parse_period,
    stale,
)

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO.parent / "shared" / "reference"
ISPDB = REFERENCE / "ispdb"
needs_reference = pytest.mark.skipif(
    not ISPDB.is_dir(), reason=f"reference ISPDB not present at {ISPDB}"
)
runner = CliRunner()

ENTRY = """\
id = "{id}"
name = "Example {id}"
status = "ok"
domains = ["{id}.test"]
source = "https://help.{id}.test/mail"
checked = {checked}
sources = ["tests"]

[[servers]]
protocol = "imap"
host = "imap.{id}.test"
port = 993
security = "tls"
"""


def _recommended(address: str) -> dict[Protocol, str]:
    result = asyncio.run(discover(address, DiscoveryOptions(offline=True)))
    first: dict[Protocol, str] = {}
    for candidate in result.candidates:
        first.setdefault(candidate.protocol, f"{candidate.setting.host}:{candidate.setting.port}")
    return first


# --------------------------------------------------------------------------- ranking


def test_the_providers_own_server_order_wins_over_the_alphabet() -> None:
    # Issue 9 point 3: both were recommended by alphabet before.
    assert _recommended("a@yahoo.com")[Protocol.IMAP] == "imap.mail.yahoo.com:993"
    assert _recommended("a@vodafonemail.de")[Protocol.IMAP] == "imap.vodafonemail.de:993"
    assert _recommended("a@vodafonemail.de")[Protocol.SMTP] == "smtp.vodafonemail.de:465"


def test_source_order_ranks_after_security_and_port_but_before_the_host_name() -> None:
    def cand(host: str, port: int, security: Security, position: int) -> Candidate:
        setting = ServerSetting(Protocol.SMTP, host, port, security)
        return Candidate(setting, (Provenance(SourceId.PROVIDER_DB, "p", True, position),))

    ranked = rank_candidates(
        [
            cand("b.example.org", 587, Security.STARTTLS, 0),  # provider's first choice
            cand("z.example.org", 465, Security.TLS, 2),
            cand("a.example.org", 465, Security.TLS, 3),
            cand("m.example.org", 465, Security.TLS, 1),
        ]
    )
    # Implicit TLS still beats STARTTLS; among equals the provider's order decides.
    assert [c.setting.host for c in ranked] == [
        "m.example.org",
        "z.example.org",
        "a.example.org",
        "b.example.org",
    ]


def test_equal_positions_still_fall_back_to_the_host_name() -> None:
    settings = [
        ServerSetting(Protocol.IMAP, host, 993, Security.TLS) for host in ("b.test", "a.test")
    ]
    ranked = rank_candidates(
        Candidate(s, (Provenance(SourceId.USER, "typed", True),)) for s in settings
    )
    assert [c.setting.host for c in ranked] == ["a.test", "b.test"]


# --------------------------------------------------------------------------- successors


def test_a_legacy_domain_gets_the_successors_settings() -> None:
    result = asyncio.run(discover("someone@verizon.net", DiscoveryOptions(offline=True)))
    hosts = {c.setting.host for c in result.candidates}
    aol = default_db().get("aol")
    assert aol is not None
    assert hosts == {s.host for s in aol.servers}
    assert result.provider is not None
    assert result.provider.id == "verizon"
    detail = result.sources[0].detail
    assert "now served by AOL Mail (aol)" in detail


def test_successor_links_are_checked_across_files(tmp_path: Path) -> None:
    (tmp_path / "old.toml").write_text(
        ENTRY.format(id="old", checked="2026-12-01").split("\n[[servers]]")[0]
        + 'successor = "gone"\n',
        encoding="utf-8",
    )
    result = runner.invoke(db_app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "old.toml: successor: no provider with id 'gone'" in result.stderr


def test_db_show_prints_source_check_date_and_successor() -> None:
    result = runner.invoke(db_app, ["show", "ntlworld.com"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any(line.startswith("source:       http") for line in lines)
    assert "checked:      2026-12-01" in lines
    assert any("successor:    Virgin Media" in line for line in lines)
    assert "imap.virginmedia.com" in result.stdout  # the successor's servers are shown


def test_every_bundled_entry_has_a_source_url_and_a_check_date() -> None:
    providers = default_db().providers()
    assert all(p.source.startswith(("https://", "http://")) for p in providers)
    assert all(p.checked is not None and p.checked >= date(2026, 1, 1) for p in providers)


# --------------------------------------------------------------------------- freshness


@pytest.mark.parametrize(
    ("text", "today", "cutoff"),
    [
        ("12m", date(2026, 12, 1), date(2025, 12, 1)),
        ("1y", date(2024, 2, 29), date(2023, 2, 28)),
        ("1m", date(2026, 3, 31), date(2026, 2, 28)),
        ("90d", date(2026, 12, 1), date(2026, 9, 2)),
        ("2w", date(2026, 12, 1), date(2026, 11, 17)),
        (" 6M ", date(2026, 12, 1), date(2026, 6, 1)),
    ],
)
def test_periods_count_back_in_calendar_units(text: str, today: date, cutoff: date) -> None:
    assert parse_period(text).before(today) == cutoff


@pytest.mark.parametrize("text", ["", "12", "m", "0m", "12x", "1.5y", "-1d"])
def test_a_bad_period_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="period"):
        parse_period(text)


def _folder(tmp_path: Path, checks: dict[str, str]) -> Path:
    for pid, checked in checks.items():
        (tmp_path / f"{pid}.toml").write_text(
            ENTRY.format(id=pid, checked=checked), encoding="utf-8"
        )
    return tmp_path


def test_stale_lists_entries_not_checked_within_the_period_oldest_first(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"fresh": "2026-11-30", "old": "2025-01-15", "older": "2024-06-01"})
    providers = ProviderDb.load(folder, cache=False).providers()
    found = stale(providers, Period(12, "m"), date(2026, 12, 1))
    assert [p.id for p in found] == ["older", "old"]


def test_validate_stale_reports_entries_and_fails(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"fresh": "2026-11-30", "old": "2025-01-15"})
    args = ["validate", str(folder), "--stale", "12m", "--as-of", "2026-12-01"]
    result = runner.invoke(db_app, args)
    assert result.exit_code == 1
    assert "stale: old: checked 2025-01-15, source https://help.old.test/mail" in result.stdout
    assert "stale: fresh" not in result.stdout
    assert "1 of 2 entries not checked since 2025-12-01 (12m)" in result.stderr
    ok = runner.invoke(db_app, ["validate", str(folder), "--stale", "2y", "--as-of", "2026-12-01"])
    assert ok.exit_code == 0
    assert "every entry was checked since 2024-12-01 (2y)" in ok.stdout


def test_validate_stale_refuses_a_bad_period() -> None:
    result = runner.invoke(db_app, ["validate", "--stale", "twelve months"])
    assert result.exit_code == 2
    assert "--stale" in result.stderr


def test_the_bundled_database_is_fresh_on_its_check_day() -> None:
    result = runner.invoke(db_app, ["validate", "--stale", "12m", "--as-of", "2026-12-01"])
    assert result.exit_code == 0, result.stderr
    late = runner.invoke(db_app, ["validate", "--stale", "12m", "--as-of", "2028-01-01"])
    assert late.exit_code == 1
    assert late.stdout.count("stale: ") == len(default_db().providers())


# --------------------------------------------------------------------------- import-autoconfig


@needs_reference
@pytest.mark.parametrize(
    "name", sorted(p.name for p in ISPDB.glob("*.xml")) if ISPDB.is_dir() else []
)
def test_every_reference_file_becomes_a_valid_draft_in_file_order(name: str) -> None:
    from mailprobe.address import parse_address
    from mailprobe.sources.autoconfig_xml import parse_config

    data = (ISPDB / name).read_bytes()
    table = autoconfig_draft(data, str(ISPDB / name), date(2026, 12, 1))
    if not table["servers"] and not table["domains"]:
        pytest.skip("file has neither servers nor domains")
    if table["source"] is None:  # named after no domain and links no page: a person adds it
        table["source"] = "https://settings.example.org/"
    provider = provider_from_table(table, Path(f"{table['id']}.toml"))
    domain = provider.exact_domains[0] if provider.exact_domains else "example.org"
    address = parse_address(f"user@{domain}")
    expected = parse_config(data, address).settings
    assert provider.settings_for(address) == tuple(
        ServerSetting(s.protocol, s.host, s.port, s.security, s.username, s.auth)
        for s in provider.settings_for(address)
    )
    assert [(s.protocol, s.host, s.port, s.security) for s in provider.settings_for(address)] == [
        (s.protocol, s.host, s.port, s.security) for s in expected
    ]


@needs_reference
def test_import_autoconfig_keeps_placeholders_and_writes_loadable_toml(tmp_path: Path) -> None:
    result = runner.invoke(db_app, ["import-autoconfig", str(ISPDB / "gmx.net.xml")])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# Draft from ")
    data = tomllib.loads(result.stdout)
    assert data["domains"][0] == "gmx.net"
    assert data["servers"][0]["username"] == "%EMAILADDRESS%"
    assert data["status"] == "preparation"  # the file says IMAP must be enabled first
    path = tmp_path / f"{data['id']}.toml"
    path.write_text(result.stdout, encoding="utf-8")
    check = runner.invoke(db_app, ["validate", str(tmp_path)])
    assert check.exit_code == 0, check.stderr


@pytest.fixture
def served_ispdb() -> Iterator[str]:
    if not ISPDB.is_dir():
        pytest.skip(f"reference ISPDB not present at {ISPDB}")
    body = (ISPDB / "posteo.de.xml").read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            code = 200 if self.path == "/v1.1/posteo.de" else 404
            self.send_response(code)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body) if code == 200 else 0))
            self.end_headers()
            if code == 200:
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_import_autoconfig_fetches_a_url(served_ispdb: str) -> None:
    result = runner.invoke(db_app, ["import-autoconfig", f"{served_ispdb}/v1.1/posteo.de"])
    assert result.exit_code == 0, result.stderr
    data = tomllib.loads(result.stdout)
    assert "posteo.de" in data["domains"]
    assert data["sources"] == [f"autoconfig: {served_ispdb}/v1.1/posteo.de"]
    missing = runner.invoke(db_app, ["import-autoconfig", f"{served_ispdb}/v1.1/nothing"])
    assert missing.exit_code == 2
    assert "HTTP status 404" in missing.stderr


def test_import_autoconfig_refuses_what_is_not_a_config(tmp_path: Path) -> None:
    page = tmp_path / "page.xml"
    page.write_text("<html><body>Not here</body></html>", encoding="utf-8")
    result = runner.invoke(db_app, ["import-autoconfig", str(page)])
    assert result.exit_code == 2
    assert "HTML page" in result.stderr
    gone = runner.invoke(db_app, ["import-autoconfig", str(tmp_path / "missing.xml")])
    assert gone.exit_code == 2


# --------------------------------------------------------------------------- diff-ispdb


@needs_reference
def test_diff_ispdb_on_the_reference_lists_only_known_differences() -> None:
    found = diff_ispdb(default_db(), REFERENCE)
    kinds = {d.kind for d in found}
    assert "domain-missing" not in kinds
    assert "unreadable" not in kinds
    # Each deliberate difference carries the override's reason.
    moved = [d for d in found if d.subject.startswith("nyu.edu")]
    assert moved
    assert moved[0].override is not None
    replaced = [d for d in found if d.file == "ntlworld.com.xml" and d.kind == "server-missing"]
    assert replaced
    assert all(d.override for d in replaced)
    # Extra endpoints we list beyond the ISPDB are reported, not hidden.
    assert any(
        d.file == "yahoo.com.xml" and d.subject == "smtp smtp.mail.yahoo.com:587 starttls"
        for d in found
    )


@needs_reference
def test_diff_ispdb_finds_a_changed_host_and_an_unknown_provider(tmp_path: Path) -> None:
    checkout = tmp_path / "autoconfig"
    (checkout / "ispdb").mkdir(parents=True)
    text = (ISPDB / "posteo.de.xml").read_text(encoding="utf-8")
    (checkout / "ispdb" / "posteo.de.xml").write_text(
        text.replace("<hostname>posteo.de</hostname>", "<hostname>imap.posteo.de</hostname>", 1),
        encoding="utf-8",
    )
    (checkout / "ispdb" / "unknown-provider.xml").write_text(
        '<clientConfig version="1.1"><emailProvider id="unknown-provider.test">'
        "<domain>unknown-provider.test</domain>"
        '<incomingServer type="imap"><hostname>imap.unknown-provider.test</hostname>'
        "<port>993</port><socketType>SSL</socketType></incomingServer>"
        "</emailProvider></clientConfig>",
        encoding="utf-8",
    )
    result = runner.invoke(db_app, ["diff-ispdb", str(checkout)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("posteo.de.xml [posteo]: server-missing: imap imap.posteo.de:")
        for line in lines
    )
    assert any(line.startswith("unknown-provider.xml: domain-missing: unknown-") for line in lines)
    as_json = runner.invoke(db_app, ["diff-ispdb", str(checkout), "--json"])
    assert '"kind": "server-missing"' in as_json.stdout


def test_diff_ispdb_refuses_a_folder_without_files(tmp_path: Path) -> None:
    result = runner.invoke(db_app, ["diff-ispdb", str(tmp_path)])
    assert result.exit_code == 2
    assert "no ISPDB files" in result.stderr


def test_export_of_a_legacy_entry_publishes_the_successors_servers() -> None:
    result = runner.invoke(db_app, ["export", "verizon"])
    assert result.exit_code == 0, result.stderr
    assert "<domain>verizon.net</domain>" in result.stdout
    assert "<hostname>imap.aol.com</hostname>" in result.stdout


def test_the_curation_tool_reproduces_the_shipped_files(tmp_path: Path) -> None:
    import importlib.util
    import sys

    from mailprobe.providers import bundled_path

    copy = tmp_path / "provider_db"
    copy.mkdir()
    for path in bundled_path().glob("*.toml"):
        (copy / path.name).write_bytes(path.read_bytes())
    sys.path.insert(0, str(REPO / "tools"))
    try:
        spec = importlib.util.spec_from_file_location(
            "mailprobe_tools_curate", REPO / "tools" / "curate_providers.py"
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        assert module.main(["--out", str(copy)]) == 0
    finally:
        sys.path.remove(str(REPO / "tools"))
        sys.modules.pop("mailprobe_tools_curate", None)
    changed = [
        p.name
        for p in bundled_path().glob("*.toml")
        if (copy / p.name).read_bytes() != p.read_bytes()
    ]
    assert changed == []


def test_the_offline_lookup_does_not_load_the_maintainer_tools() -> None:
    import subprocess
    import sys

    code = (
        "import sys, io, contextlib\n"
        "from mailprobe.cli.app import run\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    run(['discover', 'you@gmail.com', '--offline', '--json'])\n"
        "print('mailprobe.providers.maintain' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "False"
