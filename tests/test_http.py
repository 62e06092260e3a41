"""HttpFetcher: routing, Host/SNI, redirects, downgrade, caps, timeouts, failures as data."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from mailprobe import __version__
from mailprobe.models import Cause, ConnectTo, NetOptions
from mailprobe.net.http import MAX_BODY, MAX_REDIRECTS, HttpFetcher
from test_http_fakeweb import FakeDns, FakeWeb, chunks, fetcher, gzip_bomb
from testbed.certs import CertPair, make_ca, make_leaf

HOSTS = {
    "a.test": ["192.0.2.1"],
    "b.test": ["192.0.2.2"],
    "c.test": ["2001:db8::3"],
}


# --------------------------------------------------------------------------- routing


async def test_get_connects_to_the_resolved_address_keeping_name_for_host_and_sni() -> None:
    web = FakeWeb()
    web.page("https://a.test/config.xml", b"<x/>", "text/xml; charset=utf-8")
    http, dns = fetcher(web, HOSTS)
    result = await http.get("https://a.test/config.xml", timeout=1.0)
    assert result.ok
    assert result.trusted
    assert result.error is None
    assert (result.body, result.content_type) == (b"<x/>", "text/xml")
    assert result.final_url == "https://a.test/config.xml"
    assert result.redirects == ()
    seen = web.seen[0]
    assert (seen.wire_host, seen.sni, seen.headers["host"]) == ("192.0.2.1", "a.test", "a.test")
    assert seen.headers["user-agent"] == f"mailprobe/{__version__}"
    assert dns.looked_up == ["a.test"]


async def test_connect_to_rule_replaces_address_and_port_without_dns() -> None:
    web = FakeWeb()
    web.page("https://a.test/x", b"ok")
    net = NetOptions(connect_to=(ConnectTo("", 443, "127.0.0.1", 8443),))
    http, dns = fetcher(web, {}, net)
    result = await http.get("https://a.test/x", timeout=1.0)
    assert result.ok
    seen = web.seen[0]
    assert (seen.wire_host, seen.wire_port, seen.sni) == ("127.0.0.1", 8443, "a.test")
    assert seen.headers["host"] == "a.test"
    assert dns.looked_up == []


async def test_ipv6_address_from_dns_is_bracketed_and_explicit_port_kept_in_host() -> None:
    web = FakeWeb()
    web.page("https://c.test:8443/x", b"ok")
    http, _dns = fetcher(web, HOSTS)
    result = await http.get("https://c.test:8443/x", timeout=1.0)
    assert result.ok
    seen = web.seen[0]
    assert (seen.wire_host, seen.wire_port) == ("2001:db8::3", 8443)
    assert seen.headers["host"] == "c.test:8443"


async def test_ipv6_literal_url_needs_no_dns_and_sends_no_sni() -> None:
    web = FakeWeb()
    web.page("https://[::1]:8443/x", b"ok")
    http, dns = fetcher(web, {})
    result = await http.get("https://[::1]:8443/x", timeout=1.0)
    assert result.ok, result.error
    assert web.seen[0].sni is None
    assert web.seen[0].headers["host"] == "[::1]:8443"
    assert dns.looked_up == []


async def test_unknown_host_is_a_dns_failure_with_the_reason() -> None:
    http, _dns = fetcher(FakeWeb(), {})
    result = await http.get("https://nowhere.test/x", timeout=1.0)
    assert result.status_code is None
    assert not result.ok
    assert not result.trusted
    assert result.cause is Cause.NO_SUCH_HOST
    assert "nowhere.test does not exist" in (result.error or "")


async def test_refused_address_falls_back_to_the_next_one() -> None:
    web = FakeWeb()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "192.0.2.1":
            raise httpx.ConnectError("[Errno 111] Connection refused")
        return httpx.Response(200, content=b"second")

    web.add("https://two.test/x", handler)
    http, _dns = fetcher(web, {"two.test": ["192.0.2.1", "192.0.2.9"]})
    result = await http.get("https://two.test/x", timeout=1.0)
    assert result.ok
    assert result.body == b"second"


async def test_every_address_refused_is_reported_as_refused() -> None:
    web = FakeWeb()

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    web.add("https://two.test/x", refuse)
    http, _dns = fetcher(web, {"two.test": ["192.0.2.1", "192.0.2.9"]})
    result = await http.get("https://two.test/x", timeout=1.0)
    assert result.cause is Cause.REFUSED
    assert "refused" in (result.error or "")


async def test_certificate_failure_is_a_tls_failure() -> None:
    web = FakeWeb()

    def bad_cert(request: httpx.Request) -> httpx.Response:
        error = ssl.SSLCertVerificationError("certificate verify failed")
        error.verify_code = 62
        error.verify_message = "Hostname mismatch"
        raise error

    web.add("https://a.test/x", bad_cert)
    http, _dns = fetcher(web, HOSTS)
    result = await http.get("https://a.test/x", timeout=1.0)
    assert result.cause is Cause.CERT_WRONG_NAME
    assert not result.trusted
    assert "not valid for this host name" in (result.error or "")


async def test_a_404_is_a_completed_fetch_not_an_error() -> None:
    http, _dns = fetcher(FakeWeb(), HOSTS)
    result = await http.get("https://a.test/missing", timeout=1.0)
    assert (result.status_code, result.error, result.ok) == (404, None, False)


# --------------------------------------------------------------------------- redirects


async def test_redirects_are_followed_and_each_hop_is_resolved_again() -> None:
    web = FakeWeb()
    web.redirect("https://a.test/start", "/moved")
    web.redirect("https://a.test/moved", "https://b.test/final", status=301)
    web.page("https://b.test/final", b"done")
    http, dns = fetcher(web, HOSTS)
    result = await http.get("https://a.test/start", timeout=1.0)
    assert result.ok
    assert result.trusted
    assert result.body == b"done"
    assert result.final_url == "https://b.test/final"
    assert result.redirects == ("https://a.test/moved", "https://b.test/final")
    assert dns.looked_up == ["a.test", "a.test", "b.test"]
    assert web.seen[-1].sni == "b.test"
    assert web.seen[-1].wire_host == "192.0.2.2"


async def test_redirect_loop_is_an_error_naming_the_loop() -> None:
    web = FakeWeb()
    web.redirect("https://a.test/one", "https://a.test/two")
    web.redirect("https://a.test/two", "https://a.test/one")
    http, _dns = fetcher(web, HOSTS)
    result = await http.get("https://a.test/one", timeout=1.0)
    assert result.cause is Cause.REDIRECT_LOOP
    assert not result.trusted
    assert "redirect loop" in (result.error or "")
    assert len(web.seen) == 2


def _chain(web: FakeWeb, hops: int) -> None:
    for i in range(hops):
        web.redirect(f"https://a.test/{i}", f"/{i + 1}")
    web.page(f"https://a.test/{hops}", b"end")


async def test_five_redirects_are_followed() -> None:
    web = FakeWeb()
    _chain(web, MAX_REDIRECTS)
    http, _dns = fetcher(web, HOSTS)
    result = await http.get("https://a.test/0", timeout=1.0)
    assert result.ok
    assert len(result.redirects) == MAX_REDIRECTS


async def test_a_sixth_redirect_is_refused() -> None:
    web = FakeWeb()
    _chain(web, MAX_REDIRECTS + 1)
    http, _dns = fetcher(web, HOSTS)
    result = await http.get("https://a.test/0", timeout=1.0)
    assert result.error == f"more than {MAX_REDIRECTS} redirects"
    assert len(web.seen) == MAX_REDIRECTS + 1


async def test_https_to_http_redirect_is_refused_without_allow_http() -> None:
    web = FakeWeb()
    web.redirect("https://a.test/x", "http://a.test/plain")
    web.page("http://a.test/plain", b"<clientConfig/>")
    http, _dns = fetcher(web, HOSTS)
    result = await http.get("https://a.test/x", timeout=1.0)
    assert not result.trusted
    assert result.body == b""
    assert "HTTPS to plain HTTP" in (result.error or "")
    assert result.downgraded
    assert web.urls_seen() == ["https://a.test/x"]


async def test_https_to_http_redirect_with_allow_http_is_followed_but_untrusted() -> None:
    web = FakeWeb()
    web.redirect("https://a.test/x", "http://a.test/plain")
    web.page("http://a.test/plain", b"data")
    http, _dns = fetcher(web, HOSTS)
    result = await http.get("https://a.test/x", timeout=1.0, allow_http=True)
    assert result.ok
    assert result.body == b"data"
    assert not result.trusted
    assert result.downgraded


async def test_plain_http_url_needs_allow_http_and_is_never_trusted() -> None:
    web = FakeWeb()
    web.page("http://a.test/x", b"data")
    http, _dns = fetcher(web, HOSTS)
    refused = await http.get("http://a.test/x", timeout=1.0)
    allowed = await http.get("http://a.test/x", timeout=1.0, allow_http=True)
    assert "--allow-http" in (refused.error or "")
    assert len(web.seen) == 1
    assert allowed.ok
    assert not allowed.trusted


async def test_redirect_to_an_unsupported_scheme_is_an_error() -> None:
    web = FakeWeb()
    web.redirect("https://a.test/x", "ftp://a.test/file")
    http, _dns = fetcher(web, HOSTS)
    result = await http.get("https://a.test/x", timeout=1.0)
    assert "unsupported URL" in (result.error or "")


# --------------------------------------------------------------------------- size caps


async def test_body_of_exactly_one_mib_is_accepted() -> None:
    web = FakeWeb()
    web.page("https://a.test/x", b"x" * MAX_BODY)
    http, _dns = fetcher(web, HOSTS)
    result = await http.get("https://a.test/x", timeout=2.0)
    assert result.ok
    assert len(result.body) == MAX_BODY


async def test_five_mib_body_is_refused_with_a_plain_reason() -> None:
    web = FakeWeb()
    web.page("https://a.test/x", b"x" * (5 * MAX_BODY))
    http, _dns = fetcher(web, HOSTS)
    result = await http.get("https://a.test/x", timeout=2.0)
    assert result.error == "response larger than 1 MiB"
    assert result.body == b""
    assert result.status_code == 200


async def test_streamed_body_without_length_stops_after_the_cap() -> None:
    web = FakeWeb()
    produced: list[int] = []

    def stream(request: httpx.Request) -> httpx.Response:
        async def body() -> AsyncIterator[bytes]:
            async for chunk in chunks(5 * MAX_BODY):
                produced.append(len(chunk))
                yield chunk

        return httpx.Response(200, content=body())

    web.add("https://a.test/x", stream)
    http, _dns = fetcher(web, HOSTS)
    result = await http.get("https://a.test/x", timeout=2.0)
    assert result.error == "response larger than 1 MiB"
    assert sum(produced) <= MAX_BODY + 64 * 1024


async def test_compressed_body_is_capped_after_decompression() -> None:
    web = FakeWeb()
    bomb = gzip_bomb(5 * MAX_BODY)
    assert len(bomb) < MAX_BODY
    web.page("https://a.test/x", bomb, "text/xml", headers={"content-encoding": "gzip"})
    http, _dns = fetcher(web, HOSTS)
    result = await http.get("https://a.test/x", timeout=2.0)
    assert result.error == "response larger than 1 MiB"


# --------------------------------------------------------------------------- time and POST


async def test_slow_answer_times_out_within_the_timeout() -> None:
    web = FakeWeb()

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    web.add("https://a.test/x", slow)
    http, _dns = fetcher(web, HOSTS)
    start = time.monotonic()
    result = await http.get("https://a.test/x", timeout=0.3)
    assert time.monotonic() - start < 1.5
    assert result.cause is Cause.TIMEOUT
    assert result.error == "no complete answer within 0.3 s"


async def test_post_sends_body_and_headers_and_repeats_the_post_after_302() -> None:
    web = FakeWeb()
    web.redirect("https://a.test/ad", "https://b.test/ad", status=302)
    web.page("https://b.test/ad", b"<ok/>")
    http, _dns = fetcher(web, HOSTS)
    result = await http.post(
        "https://a.test/ad", b"<req/>", {"Content-Type": "text/xml"}, timeout=1.0
    )
    assert result.ok
    assert result.final_url == "https://b.test/ad"
    assert [(s.method, s.body) for s in web.seen] == [("POST", b"<req/>"), ("POST", b"<req/>")]
    assert web.seen[1].headers["content-type"] == "text/xml"


async def test_post_redirected_with_303_becomes_a_get() -> None:
    web = FakeWeb()
    web.redirect("https://a.test/ad", "/result", status=303)
    web.page("https://a.test/result", b"done")
    http, _dns = fetcher(web, HOSTS)
    result = await http.post("https://a.test/ad", b"<req/>", timeout=1.0)
    assert result.ok
    assert [(s.method, s.body) for s in web.seen] == [("POST", b"<req/>"), ("GET", b"")]


# --------------------------------------------------------------------------- real TLS on loopback


@dataclass
class TlsServer:
    """A one-answer-per-connection HTTPS server recording the SNI of each connection."""

    port: int = 0
    sni: list[str | None] = field(default_factory=list)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CertPair]:
    directory = tmp_path_factory.mktemp("certs")
    ca = make_ca(directory)
    leaf = make_leaf(directory, ca, ["web.example.test", "other.example.test"], stem="leaf")
    return ca.cert, leaf


@pytest.fixture
async def tls_server(certs: tuple[Path, CertPair]) -> AsyncIterator[TlsServer]:
    _ca, leaf = certs
    state = TlsServer()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(leaf.cert, leaf.key)

    def remember(sock: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
        state.sni.append(name)

    context.sni_callback = remember

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            host = [
                line.split(b":", 1)[1].strip()
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"host:")
            ]
            body = b"host=" + (host[0] if host else b"?")
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
    state.port = server.sockets[0].getsockname()[1]
    try:
        yield state
    finally:
        server.close()
        await server.wait_closed()


def _real_fetcher(ca: Path, port: int) -> HttpFetcher:
    net = NetOptions(connect_to=(ConnectTo("", 443, "127.0.0.1", port),), ca_file=ca)
    return HttpFetcher(FakeDns(), net)


async def test_real_tls_uses_the_name_for_sni_and_host_even_when_names_share_an_address(
    certs: tuple[Path, CertPair], tls_server: TlsServer
) -> None:
    http = _real_fetcher(certs[0], tls_server.port)
    first = await http.get("https://web.example.test/", timeout=5.0)
    second = await http.get("https://other.example.test/", timeout=5.0)
    assert first.ok, first.error
    assert first.trusted
    assert (first.body, second.body) == (b"host=web.example.test", b"host=other.example.test")
    assert tls_server.sni == ["web.example.test", "other.example.test"]


async def test_real_tls_with_a_certificate_for_another_name_fails_as_tls(
    certs: tuple[Path, CertPair], tls_server: TlsServer
) -> None:
    http = _real_fetcher(certs[0], tls_server.port)
    result = await http.get("https://wrong.example.test/", timeout=5.0)
    assert result.cause is Cause.CERT_WRONG_NAME
    assert not result.trusted
    assert "not valid for this host name" in (result.error or "")


async def test_real_tls_without_the_ca_is_untrusted_and_fails(
    tls_server: TlsServer, tmp_path: Path
) -> None:
    other_ca = make_ca(tmp_path / "other")
    http = _real_fetcher(other_ca.cert, tls_server.port)
    result = await http.get("https://web.example.test/", timeout=5.0)
    assert result.cause is Cause.CERT_UNTRUSTED


async def test_real_tarpit_times_out_within_the_timeout() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # keep the connection open and never answer

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        net = NetOptions(connect_to=(ConnectTo("", 443, "127.0.0.1", port),))
        http = HttpFetcher(FakeDns(), net)
        start = time.monotonic()
        result = await http.get("https://slow.example.test/", timeout=0.4)
        assert time.monotonic() - start < 2.0
        assert result.cause is Cause.TIMEOUT
        assert result.error == "no complete answer within 0.4 s"
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_real_closed_port_is_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    net = NetOptions(connect_to=(ConnectTo("", 443, "127.0.0.1", port),))
    result = await HttpFetcher(FakeDns(), net).get("https://closed.example.test/", timeout=2.0)
    assert result.cause is Cause.REFUSED
    assert result.error == "connection refused"
