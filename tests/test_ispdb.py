"""The ispdb source: URL building, trust over HTTPS, never sending the address, faults."""

from __future__ import annotations

from mailprobe.models import (
    DEFAULT_ISPDB_URL,
    DiscoveryOptions,
    NetOptions,
    Provenance,
    SourceId,
    SourceOutcome,
    SourceStatus,
)
from mailprobe.sources import ispdb
from mailprobe.sources.ispdb import ispdb_url
from test_autoconfig_xml import FULL
from test_http_fakeweb import FakeWeb, context

BASE = "https://ispdb.test/v1.1/"
HOSTS = {"ispdb.test": ["192.0.2.20"], "autoconfig.thunderbird.net": ["192.0.2.21"]}


async def run(web: FakeWeb, base: str = BASE, *, send_address: bool = False) -> SourceOutcome:
    options = DiscoveryOptions(
        net=NetOptions(timeout=2.0), ispdb_url=base, send_address=send_address
    )
    return await ispdb.run(context("alice@example.org", web, HOSTS, options=options))


def test_url_is_base_followed_by_domain_with_a_slash_added_when_missing() -> None:
    assert ispdb_url(DEFAULT_ISPDB_URL, "example.org") == (
        "https://autoconfig.thunderbird.net/v1.1/example.org"
    )
    assert ispdb_url("https://ispdb.test/v1.1", "example.org") == (
        "https://ispdb.test/v1.1/example.org"
    )
    assert ispdb_url("https://ispdb.test/?domain=", "example.org") == (
        "https://ispdb.test/?domain=example.org"
    )


async def test_entry_over_https_is_found_and_trusted() -> None:
    web = FakeWeb()
    web.page(f"{BASE}example.org", FULL)
    outcome = await run(web)
    assert outcome.status is SourceStatus.FOUND
    assert len(outcome.candidates) == 3
    assert outcome.candidates[0].sources == (
        Provenance(SourceId.ISPDB, f"{BASE}example.org", True),
    )
    assert outcome.detail == f"{BASE}example.org: found 3 servers"
    assert outcome.provider is not None
    assert outcome.provider.id == "example.org"


async def test_address_is_never_sent_even_with_send_address() -> None:
    web = FakeWeb()
    await run(web, send_address=True)
    assert web.urls_seen() == [f"{BASE}example.org"]


async def test_unknown_domain_is_empty() -> None:
    outcome = await run(FakeWeb())
    assert outcome.status is SourceStatus.EMPTY
    assert outcome.detail == f"{BASE}example.org: 404"


async def test_plain_http_base_given_by_the_user_is_fetched_but_untrusted() -> None:
    web = FakeWeb()
    base = "http://ispdb.test/v1.1/"
    web.page(f"{base}example.org", FULL)
    outcome = await run(web, base)
    assert outcome.status is SourceStatus.FOUND
    assert not any(c.trusted for c in outcome.candidates)
    assert "untrusted: plain HTTP" in outcome.detail


async def test_html_answer_is_an_error() -> None:
    web = FakeWeb()
    web.page(f"{BASE}example.org", b"<html><body>maintenance</body></html>", "text/html")
    outcome = await run(web)
    assert outcome.status is SourceStatus.ERROR
    assert "HTML page" in outcome.detail
