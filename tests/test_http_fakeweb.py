"""A whole fake web for unit tests: host names from a dict, pages from an httpx.MockTransport.

`FakeDns` answers address lookups (and any DNS query) from dictionaries and records what
was asked. `FakeWeb` is one handler function behind `httpx.MockTransport`: it sees each
request addressed to the resolved IP, rebuilds the logical URL from the `Host` header,
and answers from its routes (404 for anything else). The tests at the bottom check the
fakes themselves, so a broken fake cannot make other tests pass.
"""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import httpx

from mailprobe.address import parse_address
from mailprobe.models import DiscoveryOptions, NetOptions
from mailprobe.net.dns import DnsAnswer, DnsClient, DnsStatus, HostAddresses
from mailprobe.net.http import HttpFetcher
from mailprobe.sources.base import SourceContext

Route = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


class FakeDns(DnsClient):
    """Host addresses and DNS answers from dictionaries; unknown names are NXDOMAIN."""

    def __init__(
        self,
        hosts: Mapping[str, Sequence[str]] | None = None,
        answers: Mapping[tuple[str, str], DnsAnswer] | None = None,
    ) -> None:
        super().__init__(())
        self.hosts = {k.lower(): tuple(v) for k, v in (hosts or {}).items()}
        self.answers = {(n.lower(), t.upper()): a for (n, t), a in (answers or {}).items()}
        self.looked_up: list[str] = []
        self.queries: list[tuple[str, str]] = []

    async def addresses(self, host: str) -> HostAddresses:
        name = host.lower().rstrip(".")
        self.looked_up.append(name)
        found = self.hosts.get(name, ())
        if found:
            return HostAddresses(host, found, DnsStatus.OK, 0.1)
        return HostAddresses(host, (), DnsStatus.NXDOMAIN, 0.1, f"{name} does not exist (NXDOMAIN)")

    async def query(self, name: str, rdtype: str) -> DnsAnswer:
        key = (name.lower().rstrip("."), rdtype.upper())
        self.queries.append(key)
        return self.answers.get(
            key, DnsAnswer(key[0], key[1], DnsStatus.NXDOMAIN, detail=f"{key[0]} does not exist")
        )


@dataclass(frozen=True)
class Seen:
    """One request as the fake web received it."""

    method: str
    logical_url: str  # scheme://Host-header/path?query
    wire_host: str  # the host in the request URL (the IP we connected to)
    wire_port: int | None
    sni: str | None
    headers: httpx.Headers
    body: bytes


@dataclass
class FakeWeb:
    """Routes keyed by logical URL without query (`https://host/path`)."""

    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def add(self, url: str, route: Route) -> None:
        self.routes[url] = route

    def page(
        self,
        url: str,
        body: bytes,
        content_type: str = "text/xml",
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """A fixed answer (a fresh Response each time, raw bytes as given)."""
        all_headers = {"content-type": content_type, **(headers or {})}
        self.add(url, lambda _request: httpx.Response(status, content=body, headers=all_headers))

    def redirect(self, url: str, location: str, status: int = 302) -> None:
        self.add(url, lambda _request: httpx.Response(status, headers={"location": location}))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def urls_seen(self) -> list[str]:
        return [s.logical_url for s in self.seen]

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        host = request.headers.get("host", "")
        query = f"?{request.url.query.decode()}" if request.url.query else ""
        logical = f"{request.url.scheme}://{host}{request.url.path}{query}"
        sni = request.extensions.get("sni_hostname")
        body = await request.aread()
        self.seen.append(
            Seen(
                request.method,
                logical,
                request.url.host,
                request.url.port,
                sni if isinstance(sni, str) else None,
                request.headers,
                body,
            )
        )
        route = self.routes.get(logical.split("?", 1)[0])
        if route is None:
            return httpx.Response(404, content=b"not found", headers={"content-type": "text/plain"})
        answer = route(request)
        if isinstance(answer, httpx.Response):
            return answer
        return await answer


def fetcher(
    web: FakeWeb, hosts: Mapping[str, Sequence[str]], net: NetOptions | None = None
) -> tuple[HttpFetcher, FakeDns]:
    """An HttpFetcher over the fake web with addresses from `hosts`."""
    dns = FakeDns(hosts)
    return HttpFetcher(dns, net or NetOptions(), transport=web.transport()), dns


def context(
    address: str,
    web: FakeWeb,
    hosts: Mapping[str, Sequence[str]],
    *,
    options: DiscoveryOptions | None = None,
    dns: FakeDns | None = None,
    providers: object = None,
) -> SourceContext:
    """A SourceContext whose DNS and HTTP are the fakes."""
    opts = options or DiscoveryOptions(net=NetOptions(timeout=2.0))
    fake_dns = dns or FakeDns(hosts)
    fake_dns.hosts.update({k.lower(): tuple(v) for k, v in hosts.items()})
    http = HttpFetcher(fake_dns, opts.net, transport=web.transport())
    return SourceContext(
        parse_address(address),
        opts,
        providers,  # type: ignore[arg-type]
        dns=fake_dns,
        http=http,
    )


def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes, gzip-compressed (a few KiB on the wire)."""
    return gzip.compress(b"\0" * size)


async def chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """`total` bytes in chunks, for a streamed body without Content-Length."""
    sent = 0
    while sent < total:
        step = min(size, total - sent)
        sent += step
        yield b"x" * step


# --------------------------------------------------------------------------- tests of the fakes


async def test_fake_dns_answers_known_hosts_and_nxdomain_for_the_rest() -> None:
    dns = FakeDns({"a.test": ["192.0.2.1"]})
    assert (await dns.addresses("A.test.")).addresses == ("192.0.2.1",)
    missing = await dns.addresses("b.test")
    assert missing.status is DnsStatus.NXDOMAIN
    assert missing.addresses == ()
    assert dns.looked_up == ["a.test", "b.test"]


async def test_fake_web_routes_by_host_header_and_records_the_wire_address() -> None:
    web = FakeWeb()
    web.page("https://a.test/x", b"hello", "text/plain")
    http, _dns = fetcher(web, {"a.test": ["192.0.2.1"]})
    hit = await http.get("https://a.test/x?q=1", timeout=1.0)
    miss = await http.get("https://a.test/y", timeout=1.0)
    assert (hit.status_code, hit.body) == (200, b"hello")
    assert miss.status_code == 404
    assert web.seen[0].logical_url == "https://a.test/x?q=1"
    assert web.seen[0].wire_host == "192.0.2.1"
