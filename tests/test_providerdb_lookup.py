"""The bundled provider database: it validates, meets its content targets, and answers
lookups by domain, MX host, id and text, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailprobe.address import parse_address
from mailprobe.models import Protocol, ProviderStatus, Security, ServerSetting
from mailprobe.providers import (
    Provider,
    ProviderDb,
    ServerEntry,
    bundled_path,
    check_folder,
    default_db,
)


@pytest.fixture(scope="module")
def db() -> ProviderDb:
    database = ProviderDb.load(cache=False)
    database.ensure_loaded()
    return database


def test_every_shipped_file_validates() -> None:
    providers, problems = check_folder(bundled_path())
    assert problems == []
    assert len(providers) == len(list(bundled_path().glob("[!_]*.toml")))


def test_the_content_targets_are_met(db: ProviderDb) -> None:
    stats = db.stats()
    assert stats["providers"] >= 300
    assert stats["domains"] >= 1500
    assert stats["mx_patterns"] >= 40


def test_the_bundled_folder_is_found_beside_the_package_in_a_checkout() -> None:
    assert bundled_path() == Path(__file__).resolve().parent.parent / "provider_db"


@pytest.mark.parametrize("domain", ["gmail.com", "googlemail.com", "GMail.COM."])
def test_gmail_resolves_offline_with_its_hint(db: ProviderDb, domain: str) -> None:
    provider = db.by_domain(domain)
    assert provider is not None
    assert provider.id == "gmail"
    assert provider.status is ProviderStatus.PREPARATION
    assert any("app password" in hint for hint in provider.hints)
    settings = provider.settings_for(parse_address("you@gmail.com"))
    assert (
        ServerSetting(
            Protocol.IMAP,
            "imap.gmail.com",
            993,
            Security.TLS,
            "you@gmail.com",
            ("oauth2", "password-cleartext"),
        )
        in settings
    )


@pytest.mark.parametrize(
    ("domain", "provider_id"),
    [
        ("outlook.de", "outlook"),
        ("hotmail.fr", "outlook"),
        ("yahoo.co.uk", "yahoo"),
        ("gmx.at", "gmx"),
        ("web.de", "web-de"),
        ("icloud.com", "icloud"),
        ("proton.me", "proton"),
        ("tuta.com", "tutanota"),
        ("qq.com", "qq"),
        ("naver.com", "naver"),
        ("contoso.onmicrosoft.com", "microsoft365"),
        ("nyc.rr.com", "rr.com"),
        ("anything.rr.com", "rr.com"),
    ],
)
def test_major_providers_resolve_by_domain(db: ProviderDb, domain: str, provider_id: str) -> None:
    provider = db.by_domain(domain)
    assert provider is not None
    assert provider.id == provider_id


def test_a_unicode_domain_finds_its_a_label_entry(db: ProviderDb) -> None:
    provider = db.by_domain("\u5927\u6865.com")  # stored as xn--pssq86a.com
    assert provider is not None
    assert provider.id == "inter-corporate"


def test_unknown_and_reserved_domains_have_no_provider(db: ProviderDb) -> None:
    assert db.by_domain("no-such-provider.invalid") is None
    for reserved in ("example.com", "example.org", "example.net"):
        assert db.by_domain(reserved) is None


def test_a_wildcard_matches_subdomains_only(db: ProviderDb) -> None:
    assert db.by_domain("onmicrosoft.com") is not None  # listed exactly as well
    hermes = db.by_domain("station.hermes.radio")
    assert hermes is not None
    assert hermes.id == "hermes.radio"
    assert db.by_domain("hermes.radio") is None


@pytest.mark.parametrize(
    ("mx_host", "provider_id"),
    [
        ("aspmx.l.google.com", "google-workspace"),
        ("ALT1.ASPMX.L.GOOGLE.COM.", "google-workspace"),
        ("contoso-com.mail.protection.outlook.com", "microsoft365"),
        ("hotmail-com.olc.protection.outlook.com", "outlook"),
        ("mx-aol.mail.gm0.yahoodns.net", "aol"),
        ("mta5.am0.yahoodns.net", "yahoo"),
        ("in1-smtp.messagingengine.com", "fastmail"),
        ("mx01.mail.icloud.com", "icloud"),
        ("mail.protonmail.ch", "proton"),
        ("mx.zoho.eu", "zoho-eu"),
        ("mx00.ionos.de", "ionos-de"),
    ],
)
def test_mx_hosts_name_the_provider_behind_a_custom_domain(
    db: ProviderDb, mx_host: str, provider_id: str
) -> None:
    provider = db.by_mx(mx_host)
    assert provider is not None
    assert provider.id == provider_id


def test_mx_patterns_match_on_label_boundaries_only(db: ProviderDb) -> None:
    assert db.by_mx("aspmx.l.google.com.evil.test") is None
    assert db.by_mx("notaspmx.l.google.com") is None
    assert db.by_mx("mx.example.invalid") is None


def test_get_providers_and_search(db: ProviderDb) -> None:
    gmail = db.get("gmail")
    assert gmail is not None
    assert db.get("GMAIL") is gmail
    assert db.get("nope") is None
    ids = [p.id for p in db.providers()]
    assert ids == sorted(ids)
    found = [p.id for p in db.search("gmail.com")]
    assert found[0] == "gmail"
    assert "posteo" in [p.id for p in db.search("posteo")]
    assert db.search("") == db.providers()


def test_settings_fill_every_placeholder() -> None:
    provider = Provider(
        id="t",
        name="T",
        status=ProviderStatus.OK,
        domains=("t.test",),
        servers=(
            ServerEntry(Protocol.POP3, "pop.%EMAILDOMAIN%", 995, Security.TLS, "%EMAILLOCALPART%"),
            ServerEntry(
                Protocol.SMTP,
                "smtp.t.test",
                587,
                Security.STARTTLS,
                "%EMAILLOCALPART%.%EMAILDOMAIN%",
            ),
            ServerEntry(Protocol.IMAP, "imap.t.test", 993, Security.TLS, None),
        ),
    )
    settings = provider.settings_for(parse_address("Ann.Lee@t.test"))
    assert [(s.host, s.username) for s in settings] == [
        ("pop.t.test", "Ann.Lee"),
        ("smtp.t.test", "Ann.Lee.t.test"),
        ("imap.t.test", None),
    ]
    info = provider.info()
    assert (info.id, info.name, info.status) == ("t", "T", ProviderStatus.OK)


def test_proton_lists_only_the_local_bridge(db: ProviderDb) -> None:
    proton = db.by_domain("proton.me")
    assert proton is not None
    assert {(s.protocol, s.host, s.port) for s in proton.servers} == {
        (Protocol.IMAP, "127.0.0.1", 1143),
        (Protocol.SMTP, "127.0.0.1", 1025),
    }
    assert any("Bridge" in hint for hint in proton.hints)


def test_providers_that_cannot_work_say_why(db: ProviderDb) -> None:
    tuta = db.by_domain("tutanota.com")
    assert tuta is not None
    assert tuta.status is ProviderStatus.BROKEN
    assert tuta.servers == ()
    for provider in db.providers():
        if provider.status is not ProviderStatus.OK:
            assert provider.hints, provider.id


def test_default_db_is_one_shared_instance() -> None:
    assert default_db() is default_db()


def test_importing_the_package_reads_no_file(tmp_path: Path) -> None:
    code = (
        "import sys, mailprobe.providers as p, mailprobe.sources.provider_db; "
        "print(p.default_db().loaded, 'tomllib' in sys.modules, 'dns.resolver' in sys.modules)"
    )
    env = {**os.environ, "MAILPROBE_CACHE_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout.split()
    assert out == ["False", "False", "False"]
    assert list(tmp_path.iterdir()) == []


def test_the_cache_is_written_reused_and_invalidated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    for name in ("gmail.toml", "posteo.toml"):
        (folder / name).write_bytes((bundled_path() / name).read_bytes())
    monkeypatch.setenv("MAILPROBE_CACHE_DIR", str(tmp_path / "cache"))
    first = ProviderDb.load(folder)
    gmail = first.by_domain("gmail.com")
    cache_files = list((tmp_path / "cache").glob("providerdb-*.json"))
    assert len(cache_files) == 1
    assert json.loads(cache_files[0].read_text())["format"] == 3

    second = ProviderDb.load(folder)
    assert second.by_domain("gmail.com") == gmail
    assert second.providers() == first.providers()

    (folder / "posteo.toml").write_text(
        (folder / "posteo.toml").read_text().replace('name = "Posteo"', 'name = "Posteo Mail"')
    )
    third = ProviderDb.load(folder)
    posteo = third.get("posteo")
    assert posteo is not None
    assert posteo.name == "Posteo Mail"


def test_a_corrupt_cache_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    (folder / "gmail.toml").write_bytes((bundled_path() / "gmail.toml").read_bytes())
    monkeypatch.setenv("MAILPROBE_CACHE_DIR", str(tmp_path / "cache"))
    ProviderDb.load(folder).ensure_loaded()
    for cache_file in (tmp_path / "cache").glob("providerdb-*.json"):
        cache_file.write_text("{not json")
    assert ProviderDb.load(folder).get("gmail") is not None


def test_the_cache_can_be_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    (folder / "gmail.toml").write_bytes((bundled_path() / "gmail.toml").read_bytes())
    monkeypatch.setenv("MAILPROBE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MAILPROBE_NO_CACHE", "1")
    ProviderDb.load(folder).ensure_loaded()
    assert not (tmp_path / "cache").exists()
