"""Provider database round 2: the entries written from providers' own pages in
`tools/curated_round2.py` load, carry their provenance, and answer lookups offline."""

from __future__ import annotations

import asyncio
import importlib.util
from datetime import date
from pathlib import Path

import pytest

from mailprobe.address import parse_address
from mailprobe.discovery import discover
from mailprobe.models import DiscoveryOptions, Protocol, ProviderStatus, Security
from mailprobe.providers import ProviderDb

TOOLS = Path(__file__).resolve().parent.parent / "tools"


@pytest.fixture(scope="module")
def db() -> ProviderDb:
    database = ProviderDb.load(cache=False)
    database.ensure_loaded()
    return database


@pytest.fixture(scope="module")
def round2() -> list[dict[str, object]]:
    spec = importlib.util.spec_from_file_location(
        "mailprobe_tools_round2", TOOLS / "curated_round2.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.ROUND2_PROVIDERS)


def test_every_round2_entry_is_shipped_with_its_page_and_check_date(
    db: ProviderDb, round2: list[dict[str, object]]
) -> None:
    assert round2, "the round-2 data module lists no providers"
    for entry in round2:
        provider = db.get(str(entry["id"]))
        assert provider is not None, entry["id"]
        assert provider.source == entry["source"]
        assert provider.source.startswith("https://")
        assert provider.checked == date(2026, 12, 1)
        assert provider.sources == ("mailprobe: provider's published settings",)


def test_a_pec_address_gets_the_certified_mail_servers(db: ProviderDb) -> None:
    provider = db.by_domain("sicurezzapostale.it")
    assert provider is not None
    assert provider.id == "namirial-pec"
    settings = provider.settings_for(parse_address("studio@sicurezzapostale.it"))
    endpoints = {(s.protocol, s.host, s.port, s.security) for s in settings}
    assert endpoints == {
        (Protocol.POP3, "pops.sicurezzapostale.it", 995, Security.TLS),
        (Protocol.SMTP, "smtps.sicurezzapostale.it", 465, Security.TLS),
    }


def test_offline_discovery_answers_for_a_round2_portal() -> None:
    result = asyncio.run(discover("someone@nate.com", DiscoveryOptions(offline=True)))
    assert result.provider is not None
    assert result.provider.id == "nate"
    hosts = {(c.protocol, c.setting.host, c.setting.port) for c in result.candidates}
    assert (Protocol.IMAP, "imap.nate.com", 993) in hosts
    assert (Protocol.SMTP, "smtp.mail.nate.com", 465) in hosts


@pytest.mark.parametrize(
    ("mx_host", "provider_id"),
    [
        ("mx.hover.com.cust.hostedemail.com", "hover"),
        ("mx10.mailspamprotection.com", "siteground"),
        ("cygnus.uberspace.de", "uberspace"),
        ("mx.sicurezzapostale.it", "namirial-pec"),
    ],
)
def test_custom_domains_are_recognised_by_their_mail_exchanger(
    db: ProviderDb, mx_host: str, provider_id: str
) -> None:
    provider = db.by_mx(mx_host)
    assert provider is not None
    assert provider.id == provider_id


def test_hosts_named_per_account_say_where_to_find_them(db: ProviderDb) -> None:
    for provider_id in ("siteground", "uberspace", "eastlink"):
        provider = db.get(provider_id)
        assert provider is not None
        assert provider.status is ProviderStatus.PREPARATION
        assert provider.servers == ()
        assert provider.hints


@pytest.mark.parametrize("domain", ["passmail.net", "passinbox.com", "criptext.com"])
def test_aliases_and_closed_services_are_not_offered_as_mailboxes(
    db: ProviderDb, domain: str
) -> None:
    provider = db.by_domain(domain)
    assert provider is not None
    assert provider.status is ProviderStatus.BROKEN
    assert provider.servers == ()
    assert provider.hints


@pytest.mark.parametrize(
    ("domain", "provider_id"),
    [
        ("ua.fm", "i.ua"),
        ("email.ua", "i.ua"),
        ("netcourrier.com", "mailo.com"),
        ("dccnet.com", "eastlink"),
        ("amtelecom.net", "eastlink"),
    ],
)
def test_round2_alias_domains_join_their_provider(
    db: ProviderDb, domain: str, provider_id: str
) -> None:
    provider = db.by_domain(domain)
    assert provider is not None
    assert provider.id == provider_id


def test_every_documented_windstream_endpoint_is_listed(db: ProviderDb) -> None:
    provider = db.get("windstream")
    assert provider is not None
    assert provider.source.endswith("what-server-settings-do-i-use-for-windstream-email")
    endpoints = [(s.protocol, s.host, s.port, s.security) for s in provider.servers]
    assert endpoints == [
        (Protocol.IMAP, "imap.windstream.net", 993, Security.TLS),
        (Protocol.SMTP, "smtp.windstream.net", 465, Security.TLS),
        (Protocol.SMTP, "smtp.windstream.net", 587, Security.STARTTLS),
        (Protocol.POP3, "pop.windstream.net", 995, Security.TLS),
    ]
