"""Every domain of the two reference databases resolves offline to settings that agree with
the reference, or differ only where an entry records the deliberate difference.

The references live outside the repository (`<repo>/../shared/reference`); a user's clone
does not have them, so these tests skip cleanly without them.
"""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from mailprobe.providers import OverrideKind, Provider, ProviderDb, bundled_path

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO.parent / "shared" / "reference"

pytestmark = pytest.mark.skipif(
    not (REFERENCE / "ispdb").is_dir() or not (REFERENCE / "deltachat-provider-db").is_dir(),
    reason=f"reference databases not present at {REFERENCE}",
)


def _importer() -> ModuleType:
    name = "mailprobe_tools_import_references"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / "import_references.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def importer() -> ModuleType:
    return _importer()


@pytest.fixture(scope="module")
def db() -> ProviderDb:
    database = ProviderDb.load(cache=False)
    database.ensure_loaded()
    return database


@pytest.fixture(scope="module")
def exclusions() -> dict[str, list[str]]:
    data = tomllib.loads((bundled_path() / "_reference_exclusions.toml").read_text("utf-8"))
    for entry in data["excluded"]:
        assert set(entry) == {"source", "file", "domains", "reason"}
        assert entry["reason"].strip()
    return {f"{e['source']}:{e['file']}": e["domains"] for e in data["excluded"]}


def _has_override(provider: Provider, kinds: set[OverrideKind], subject: str) -> bool:
    return any(o.kind in kinds and o.subject == subject for o in provider.overrides)


def _probe_name(domain: str) -> str:
    return "anything." + domain[2:] if domain.startswith("*.") else domain


def test_the_front_matter_reader_handles_the_reference_subset(importer: ModuleType) -> None:
    text = (
        "---\nname: Example\nstatus: OK\ndomains:\n- a.test\n  # a comment\n- 'b.test'\n"
        "server:\n  - type: imap\n    socket: SSL\n    hostname: imap.a.test\n    port: 993\n"
        "opt:\n  strict_tls: false\nbefore_login_hint: |\n  line one\n  line two\n"
        "website: https://a.test # trailing comment\n---\nbody\n"
    )
    assert importer.read_front_matter(text) == {
        "name": "Example",
        "status": "OK",
        "domains": ["a.test", "b.test"],
        "server": [{"type": "imap", "socket": "SSL", "hostname": "imap.a.test", "port": 993}],
        "opt": {"strict_tls": False},
        "before_login_hint": "line one\nline two",
        "website": "https://a.test",
    }


def test_every_reference_domain_resolves_to_agreeing_settings(
    importer: ModuleType, db: ProviderDb, exclusions: dict[str, list[str]]
) -> None:
    entries = importer.read_ispdb(REFERENCE / "ispdb") + importer.read_deltachat(
        REFERENCE / "deltachat-provider-db"
    )
    assert len(entries) > 200
    problems: list[str] = []
    checked = 0
    for entry in entries:
        where = f"{entry.source}:{entry.file}"
        if where in exclusions:
            assert sorted(entry.domains) == sorted(exclusions[where])
            problems += [
                f"{where}: excluded {d} still resolves"
                for d in entry.domains
                if db.by_domain(d) is not None
            ]
            continue
        for domain in entry.domains:
            provider = db.by_domain(_probe_name(domain))
            if provider is None:
                problems.append(f"{where}: {domain} does not resolve")
                continue
            checked += 1
            # A legacy entry with a successor uses the successor's servers.
            heir = db.get(provider.successor) if provider.successor else None
            servers = provider.servers
            if heir is not None and not servers:
                servers = heir.servers
            ours = {
                (s.protocol.value, s.host.lower(), s.port, s.security.value): s for s in servers
            }
            for server in entry.servers:
                mine = ours.get(server.key)
                if mine is None:
                    if not _has_override(
                        provider,
                        {OverrideKind.SERVER_DROPPED, OverrideKind.SERVER_REPLACED},
                        server.label,
                    ):
                        problems.append(
                            f"{where}: {domain} lacks {server.label} "
                            f"(provider {provider.id}, no override)"
                        )
                elif (
                    server.username
                    and mine.username != server.username
                    and not (
                        _has_override(
                            provider,
                            {OverrideKind.USERNAME_CHANGED},
                            f"{server.label} {server.username}",
                        )
                    )
                ):
                    problems.append(
                        f"{where}: {domain} {server.label} username "
                        f"{mine.username} != {server.username}"
                    )
    assert problems == []
    assert checked > 1000


def test_every_override_names_a_server_or_domain_that_the_reference_has(
    importer: ModuleType, db: ProviderDb
) -> None:
    entries = importer.read_ispdb(REFERENCE / "ispdb") + importer.read_deltachat(
        REFERENCE / "deltachat-provider-db"
    )
    labels = {(e.source, s.label) for e in entries for s in e.servers}
    domains = {(e.source, d) for e in entries for d in e.domains}
    for provider in db.providers():
        for override in provider.overrides:
            source = override.source.value
            if override.kind in (OverrideKind.SERVER_DROPPED, OverrideKind.SERVER_REPLACED):
                assert (source, override.subject) in labels, (provider.id, override)
            elif override.kind is OverrideKind.DOMAIN_MOVED:
                assert (source, override.subject) in domains, (provider.id, override)
                assert db.by_domain(override.subject) is not provider


def test_the_importer_reproduces_the_shipped_files(tmp_path: Path, importer: ModuleType) -> None:
    copy = tmp_path / "provider_db"
    copy.mkdir()
    for path in bundled_path().glob("*.toml"):
        (copy / path.name).write_bytes(path.read_bytes())
    assert importer.main(["--reference", str(REFERENCE), "--out", str(copy)]) == 0
    changed = [
        p.name
        for p in bundled_path().glob("*.toml")
        if (copy / p.name).read_bytes() != p.read_bytes()
    ]
    assert changed == []
