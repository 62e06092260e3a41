"""Exporting an entry as autoconfig XML and reading it back with mailprobe's own parser
gives the same settings."""

from __future__ import annotations

import pytest

from mailprobe.address import parse_address
from mailprobe.models import Protocol, ServerSetting
from mailprobe.providers import ProviderDb, export_autoconfig
from mailprobe.sources.autoconfig_xml import parse_config


@pytest.fixture(scope="module")
def db() -> ProviderDb:
    database = ProviderDb.load(cache=False)
    database.ensure_loaded()
    return database


def _comparable(settings: tuple[ServerSetting, ...]) -> set[tuple[object, ...]]:
    return {
        (s.protocol, s.host, s.port, s.security, s.username, tuple(a.lower() for a in s.auth))
        for s in settings
    }


@pytest.mark.parametrize(
    ("provider_id", "address"),
    [
        ("gmail", "you@gmail.com"),  # OAuth2 endpoints, several SMTP ports
        ("posteo", "ann@posteo.de"),  # TLS and STARTTLS variants of every protocol
        ("icloud", "bob@icloud.com"),  # different username forms per protocol
        ("mx1.tiki.ne.jp", "kay@mx1.tiki.ne.jp"),  # %EMAILDOMAIN% as the host
        ("proton", "pat@proton.me"),  # IP literal hosts (the local Bridge)
    ],
)
def test_export_then_parse_gives_the_same_settings(
    db: ProviderDb, provider_id: str, address: str
) -> None:
    provider = db.get(provider_id)
    assert provider is not None
    xml = export_autoconfig(provider)
    parsed = parse_config(xml.encode("utf-8"), parse_address(address))
    assert parsed.warnings == ()
    assert _comparable(parsed.settings) == _comparable(
        provider.settings_for(parse_address(address))
    )
    assert parsed.display_name == provider.name
    assert parsed.domains == provider.exact_domains
    assert tuple(d.url for d in parsed.documentation) == provider.docs


def test_oauth2_endpoints_survive_the_round_trip(db: ProviderDb) -> None:
    gmail = db.get("gmail")
    assert gmail is not None
    assert gmail.oauth2 is not None
    parsed = parse_config(export_autoconfig(gmail).encode(), parse_address("you@gmail.com"))
    assert parsed.oauth2 is not None
    assert parsed.oauth2.issuer == gmail.oauth2.issuer
    assert parsed.oauth2.scopes == gmail.oauth2.scopes
    assert parsed.oauth2.auth_url == gmail.oauth2.auth_url
    assert parsed.oauth2.token_url == gmail.oauth2.token_url


def test_an_admin_can_publish_for_a_custom_domain(db: ProviderDb) -> None:
    workspace = db.get("google-workspace")
    assert workspace is not None
    xml = export_autoconfig(workspace, ("corp.example.org",))
    parsed = parse_config(xml.encode(), parse_address("dana@corp.example.org"))
    assert parsed.provider_id == "corp.example.org"
    assert parsed.domains == ("corp.example.org",)
    imap = [s for s in parsed.settings if s.protocol is Protocol.IMAP]
    assert imap[0].username == "dana@corp.example.org"


def test_incoming_servers_come_before_outgoing_ones(db: ProviderDb) -> None:
    gmail = db.get("gmail")
    assert gmail is not None
    xml = export_autoconfig(gmail)
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<clientConfig version="1.1">')
    assert xml.index("<incomingServer") < xml.index("<outgoingServer")
    assert xml.rindex("<incomingServer") < xml.index("<outgoingServer")


def test_text_is_escaped(db: ProviderDb) -> None:
    provider = db.get("1und1")
    assert provider is not None
    assert "&" in provider.name
    xml = export_autoconfig(provider)
    assert "1&amp;1" in xml
    parsed = parse_config(xml.encode(), parse_address("x@online.de"))
    assert parsed.display_name == provider.name
