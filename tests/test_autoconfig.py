"""The autoconfig source over a fake web: URLs, privacy, trust, merging, every fault as data."""

from __future__ import annotations

import asyncio
import time

import httpx

from mailprobe.models import (
    DiscoveryOptions,
    NetOptions,
    Protocol,
    Provenance,
    ProviderStatus,
    SourceId,
    SourceOutcome,
    SourceStatus,
)
from mailprobe.net.http import MAX_BODY
from mailprobe.sources import autoconfig
from mailprobe.sources.autoconfig import autoconfig_urls
from test_autoconfig_xml import BILLION_LAUGHS, FULL
from test_http_fakeweb import FakeWeb, context

ADDRESS = "alice@example.org"
SUB = "https://autoconfig.example.org/mail/config-v1.1.xml"
WELL_KNOWN = "https://example.org/.well-known/autoconfig/mail/config-v1.1.xml"
HOSTS = {"autoconfig.example.org": ["192.0.2.10"], "example.org": ["192.0.2.11"]}

IMAP_ONLY = b"""<clientConfig><emailProvider id="example.org">
<incomingServer type="imap"><hostname>imap.example.org</hostname><port>993</port>
<socketType>SSL</socketType><username>%EMAILADDRESS%</username></incomingServer>
</emailProvider></clientConfig>"""
SMTP_ONLY = (
    IMAP_ONLY.replace(b"incomingServer", b"outgoingServer")
    .replace(b'type="imap"', b'type="smtp"')
    .replace(b"imap.example.org", b"smtp.example.org")
    .replace(b"993", b"465")
)


def options(
    *, allow_http: bool = False, send_address: bool = False, timeout: float = 2.0
) -> DiscoveryOptions:
    return DiscoveryOptions(
        net=NetOptions(timeout=timeout), allow_http=allow_http, send_address=send_address
    )


async def run(
    web: FakeWeb, *, allow_http: bool = False, send_address: bool = False, timeout: float = 2.0
) -> SourceOutcome:
    opts = options(allow_http=allow_http, send_address=send_address, timeout=timeout)
    ctx = context(ADDRESS, web, HOSTS, options=opts)
    return await autoconfig.run(ctx)


# --------------------------------------------------------------------------- URLs and privacy


def test_urls_are_https_only_unless_http_is_allowed() -> None:
    assert autoconfig_urls("example.org", allow_http=False, address=None) == (SUB, WELL_KNOWN)
    with_http = autoconfig_urls("example.org", allow_http=True, address=None)
    assert with_http[2:] == (
        "http://autoconfig.example.org/mail/config-v1.1.xml",
        "http://example.org/.well-known/autoconfig/mail/config-v1.1.xml",
    )


async def test_address_is_not_sent_without_send_address() -> None:
    web = FakeWeb()
    await run(web)
    assert sorted(web.urls_seen()) == sorted([SUB, WELL_KNOWN])
    assert all("alice" not in s.logical_url for s in web.seen)


async def test_address_is_sent_as_emailaddress_with_send_address() -> None:
    web = FakeWeb()
    await run(web, send_address=True)
    assert sorted(web.urls_seen()) == sorted(
        [
            f"{SUB}?emailaddress=alice%40example.org",
            f"{WELL_KNOWN}?emailaddress=alice%40example.org",
        ]
    )


async def test_both_urls_are_asked_at_the_same_time() -> None:
    web = FakeWeb()
    started: list[float] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        started.append(time.monotonic())
        await asyncio.sleep(0.3)
        return httpx.Response(404)

    web.add(SUB, slow)
    web.add(WELL_KNOWN, slow)
    begin = time.monotonic()
    await run(web)
    assert len(started) == 2
    assert time.monotonic() - begin < 0.55


# --------------------------------------------------------------------------- results and trust


async def test_same_file_at_both_urls_gives_one_candidate_per_server_with_two_origins() -> None:
    web = FakeWeb()
    web.page(SUB, FULL)
    web.page(WELL_KNOWN, FULL)
    outcome = await run(web)
    assert outcome.status is SourceStatus.FOUND
    assert [c.setting.protocol for c in outcome.candidates] == [
        Protocol.IMAP,
        Protocol.POP3,
        Protocol.SMTP,
    ]
    for candidate in outcome.candidates:
        assert candidate.sources == (
            Provenance(SourceId.AUTOCONFIG, SUB, True),
            Provenance(SourceId.AUTOCONFIG, WELL_KNOWN, True),
        )
    assert outcome.detail == f"{SUB}: found 3 servers; {WELL_KNOWN}: found 3 servers"
    assert outcome.provider is not None
    assert outcome.provider.status is ProviderStatus.PREPARATION


async def test_different_files_are_merged() -> None:
    web = FakeWeb()
    web.page(SUB, IMAP_ONLY)
    web.page(WELL_KNOWN, SMTP_ONLY)
    outcome = await run(web)
    assert [(c.setting.host, c.sources[0].origin) for c in outcome.candidates] == [
        ("imap.example.org", SUB),
        ("smtp.example.org", WELL_KNOWN),
    ]


async def test_missing_host_and_404_give_empty_with_each_reason() -> None:
    web = FakeWeb()
    ctx = context(ADDRESS, web, {"example.org": ["192.0.2.11"]}, options=options())
    outcome = await autoconfig.run(ctx)
    assert outcome.status is SourceStatus.EMPTY
    assert outcome.candidates == ()
    assert outcome.detail == (
        f"{SUB}: autoconfig.example.org does not exist (NXDOMAIN); {WELL_KNOWN}: 404"
    )


async def test_redirect_within_https_keeps_trust_and_uses_final_url_as_origin() -> None:
    web = FakeWeb()
    final = "https://example.org/mail/real.xml"
    web.redirect(SUB, final)
    web.page(final, IMAP_ONLY)
    outcome = await run(web)
    assert outcome.status is SourceStatus.FOUND
    assert outcome.candidates[0].sources == (Provenance(SourceId.AUTOCONFIG, final, True),)
    assert f"{SUB}: found 1 server (via {final})" in outcome.detail


async def test_downgrade_is_refused_without_allow_http() -> None:
    web = FakeWeb()
    web.redirect(SUB, "http://autoconfig.example.org/plain.xml")
    web.page("http://autoconfig.example.org/plain.xml", IMAP_ONLY)
    outcome = await run(web)
    assert outcome.status is SourceStatus.ERROR
    assert outcome.candidates == ()
    assert "redirect from HTTPS to plain HTTP" in outcome.detail


async def test_downgrade_with_allow_http_is_followed_but_untrusted() -> None:
    web = FakeWeb()
    plain = "http://autoconfig.example.org/plain.xml"
    web.redirect(SUB, plain)
    web.page(plain, IMAP_ONLY)
    outcome = await run(web, allow_http=True)
    assert outcome.status is SourceStatus.FOUND
    assert outcome.candidates[0].sources == (Provenance(SourceId.AUTOCONFIG, plain, False),)
    assert "untrusted: redirected to plain HTTP" in outcome.detail


async def test_http_variant_with_allow_http_is_untrusted() -> None:
    web = FakeWeb()
    plain = "http://example.org/.well-known/autoconfig/mail/config-v1.1.xml"
    web.page(plain, IMAP_ONLY)
    outcome = await run(web, allow_http=True)
    assert outcome.status is SourceStatus.FOUND
    assert outcome.candidates[0].sources == (Provenance(SourceId.AUTOCONFIG, plain, False),)
    assert not outcome.candidates[0].trusted
    assert f"{plain}: found 1 server (untrusted: plain HTTP)" in outcome.detail


# --------------------------------------------------------------------------- faults


async def fault_outcome(body: bytes, content_type: str = "text/xml") -> SourceOutcome:
    web = FakeWeb()
    web.page(SUB, body, content_type)
    return await run(web)


async def test_html_page_is_an_error_with_a_plain_reason() -> None:
    outcome = await fault_outcome(b"<!DOCTYPE html><html><body>Welcome!</body></html>", "text/html")
    assert outcome.status is SourceStatus.ERROR
    assert f"{SUB}: the file is an HTML page, not XML" in outcome.detail


async def test_truncated_xml_is_an_error() -> None:
    outcome = await fault_outcome(FULL[:300])
    assert outcome.status is SourceStatus.ERROR
    assert "not well-formed XML" in outcome.detail


async def test_billion_laughs_is_refused() -> None:
    outcome = await fault_outcome(BILLION_LAUGHS)
    assert outcome.status is SourceStatus.ERROR
    assert "DTD or entities, refused for safety" in outcome.detail


async def test_five_mib_answer_is_refused() -> None:
    outcome = await fault_outcome(b"<" * (5 * MAX_BODY))
    assert outcome.status is SourceStatus.ERROR
    assert f"{SUB}: response larger than 1 MiB" in outcome.detail


async def test_redirect_loop_is_an_error() -> None:
    web = FakeWeb()
    web.redirect(SUB, "https://autoconfig.example.org/b")
    web.redirect("https://autoconfig.example.org/b", SUB)
    outcome = await run(web)
    assert outcome.status is SourceStatus.ERROR
    assert "redirect loop" in outcome.detail


async def test_server_error_status_is_an_error() -> None:
    web = FakeWeb()
    web.page(SUB, b"oops", "text/plain", status=503)
    outcome = await run(web)
    assert outcome.status is SourceStatus.ERROR
    assert f"{SUB}: HTTP status 503" in outcome.detail


async def test_found_file_wins_over_a_broken_one() -> None:
    web = FakeWeb()
    web.page(SUB, b"<html>nope</html>", "text/html")
    web.page(WELL_KNOWN, IMAP_ONLY)
    outcome = await run(web)
    assert outcome.status is SourceStatus.FOUND
    assert "HTML page" in outcome.detail


async def test_file_without_usable_servers_is_empty_and_says_why() -> None:
    web = FakeWeb()
    web.page(SUB, IMAP_ONLY.replace(b"993", b"abc"))
    outcome = await run(web)
    assert outcome.status is SourceStatus.EMPTY
    assert "no IMAP, POP3 or SMTP server in the file" in outcome.detail
    assert "not a number" in outcome.detail


async def test_slow_server_is_a_timeout_before_the_deadline() -> None:
    web = FakeWeb()

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        return httpx.Response(200)

    web.add(SUB, slow)
    web.add(WELL_KNOWN, slow)
    begin = time.monotonic()
    outcome = await run(web, timeout=0.5)
    assert time.monotonic() - begin < 0.5
    assert outcome.status is SourceStatus.TIMEOUT
    assert "no complete answer within" in outcome.detail


async def test_protocol_garbage_from_the_transport_is_an_error_not_an_exception() -> None:
    web = FakeWeb()

    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("illegal status line")

    web.add(SUB, broken)
    outcome = await run(web)
    assert outcome.status is SourceStatus.ERROR
    assert "HTTP protocol error" in outcome.detail
