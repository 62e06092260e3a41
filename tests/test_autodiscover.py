"""The autodiscover source over a fake web: consent, POX and JSON, trust, no credentials."""

from __future__ import annotations

import json

import httpx

from mailprobe.models import (
    DiscoveryOptions,
    NetOptions,
    Protocol,
    Provenance,
    SourceId,
    SourceOutcome,
    SourceStatus,
)
from mailprobe.sources import autodiscover
from mailprobe.sources.autodiscover import json_url, pox_urls
from test_autodiscover_xml import SETTINGS
from test_http_fakeweb import FakeWeb, context

ADDRESS = "alice@example.org"
SUB_POX, ROOT_POX = pox_urls("example.org")
JSON_PATH = "https://autodiscover.example.org/autodiscover/autodiscover.json/v1.0/alice@example.org"
JSON = f"{JSON_PATH}?Protocol=AutodiscoverV1"
HOSTS = {
    "autodiscover.example.org": ["192.0.2.40"],
    "example.org": ["192.0.2.41"],
    "outlook.example": ["192.0.2.42"],
}


async def run(web: FakeWeb, *, send_address: bool = True) -> SourceOutcome:
    options = DiscoveryOptions(net=NetOptions(timeout=2.0), send_address=send_address)
    return await autodiscover.run(context(ADDRESS, web, HOSTS, options=options))


def test_urls() -> None:
    assert SUB_POX == "https://autodiscover.example.org/autodiscover/autodiscover.xml"
    assert ROOT_POX == "https://example.org/autodiscover/autodiscover.xml"
    assert json_url(context(ADDRESS, FakeWeb(), {}).address) == JSON


async def test_nothing_is_sent_without_send_address() -> None:
    web = FakeWeb()
    outcome = await run(web, send_address=False)
    assert outcome.status is SourceStatus.SKIPPED
    assert "--send-address" in outcome.detail
    assert web.seen == []


async def test_pox_settings_are_found_trusted_over_https_and_no_credentials_are_sent() -> None:
    web = FakeWeb()
    web.page(SUB_POX, SETTINGS)
    outcome = await run(web)
    assert outcome.status is SourceStatus.FOUND
    assert [c.setting.protocol for c in outcome.candidates] == [
        Protocol.IMAP,
        Protocol.POP3,
        Protocol.SMTP,
        Protocol.SMTP,
    ]
    assert outcome.candidates[0].sources == (Provenance(SourceId.AUTODISCOVER, SUB_POX, True),)
    assert f"POST {SUB_POX}: found 4 servers" in outcome.detail
    posts = [s for s in web.seen if s.method == "POST"]
    assert len(posts) == 2
    for seen in web.seen:
        assert "authorization" not in seen.headers
    assert b"<EMailAddress>alice@example.org</EMailAddress>" in posts[0].body
    assert posts[0].headers["content-type"].startswith("text/xml")


async def test_401_is_reported_as_wanting_credentials_and_empty() -> None:
    web = FakeWeb()
    web.page(SUB_POX, b"", "text/plain", status=401, headers={"www-authenticate": "Basic"})
    outcome = await run(web)
    assert outcome.status is SourceStatus.EMPTY
    assert (
        f"POST {SUB_POX}: 401: access denied (mailprobe never sends credentials)" in outcome.detail
    )


async def test_json_url_is_reported_and_asked_with_pox() -> None:
    web = FakeWeb()
    target = "https://outlook.example/autodiscover/autodiscover.xml"
    web.page(
        JSON_PATH,
        json.dumps({"Protocol": "AutodiscoverV1", "Url": target}).encode(),
        "application/json",
    )
    web.page(target, SETTINGS)
    outcome = await run(web)
    assert outcome.status is SourceStatus.FOUND
    assert f"GET {JSON}: points to {target}" in outcome.detail
    assert f"POST {target}: found 4 servers" in outcome.detail
    assert outcome.candidates[0].sources == (Provenance(SourceId.AUTODISCOVER, target, True),)


async def test_json_url_pointing_to_an_asked_endpoint_is_not_asked_twice() -> None:
    web = FakeWeb()
    web.page(JSON_PATH, json.dumps({"Url": SUB_POX.upper().replace("HTTPS", "https")}).encode())
    await run(web)
    assert [s.logical_url for s in web.seen if s.method == "POST"].count(SUB_POX) == 1


async def test_html_and_hostile_answers_are_errors_with_reasons() -> None:
    web = FakeWeb()
    web.page(SUB_POX, b"<!DOCTYPE html><html>Outlook</html>", "text/html")
    web.page(ROOT_POX, b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>")
    outcome = await run(web)
    assert outcome.status is SourceStatus.ERROR
    assert f"POST {SUB_POX}: the answer is an HTML page" in outcome.detail
    assert f"POST {ROOT_POX}: the answer declares a DTD or entities" in outcome.detail


async def test_missing_json_endpoint_does_not_make_the_source_fail() -> None:
    web = FakeWeb()
    web.page(JSON_PATH, b"<html>404</html>", "text/html")
    outcome = await run(web)
    assert outcome.status is SourceStatus.EMPTY
    assert f"GET {JSON}: the answer is not JSON" in outcome.detail


async def test_redirect_address_is_reported_not_followed() -> None:
    web = FakeWeb()
    web.page(
        SUB_POX,
        SETTINGS.replace(
            b"<Action>settings</Action>",
            b"<Action>redirectAddr</Action><RedirectAddr>alice@other.example</RedirectAddr>",
        ),
    )
    outcome = await run(web)
    assert outcome.status is SourceStatus.EMPTY
    assert "redirects to the address alice@other.example (not followed)" in outcome.detail


async def test_transport_failure_is_data() -> None:
    web = FakeWeb()

    def reset(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset")

    web.add(SUB_POX, reset)
    outcome = await run(web)
    assert outcome.status is SourceStatus.ERROR
    assert "connection closed while reading" in outcome.detail
