"""Port numbers out of range: a usage error in an option, a plain source error in a redirect,
and never a library exception group in a report."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from mailprobe.cli.app import run
from mailprobe.errors import InvalidOptionError
from mailprobe.exit_status import ExitStatus
from mailprobe.models import (
    Cause,
    ConnectTo,
    DiscoveryOptions,
    NetOptions,
    SourceStatus,
)
from mailprobe.net.http import HttpFetcher
from mailprobe.option_values import parse_base_url
from mailprobe.sources import ispdb
from test_http_fakeweb import FakeDns, FakeWeb, context

BAD_URLS = [
    "https://ispdb.test:99999/",
    "https://ispdb.test:65536/v1.1/",
    "https://ispdb.test:0/",
    "https://ispdb.test:-1/",
    "https://ispdb.test:http/",
    "https://:443/",
    "ftp://ispdb.test/",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_bad_url_option_is_rejected_naming_the_option(url: str) -> None:
    with pytest.raises(InvalidOptionError, match="--ispdb-url"):
        parse_base_url(url, "--ispdb-url")


@pytest.mark.parametrize(
    "url", ["https://ispdb.test/", "http://ispdb.test:8080/v1.1/", "https://[::1]:65535/x?d="]
)
def test_good_url_options_pass_unchanged(url: str) -> None:
    assert parse_base_url(url, "--ispdb-url") == url


@pytest.mark.parametrize("command", ["discover", "check"])
@pytest.mark.parametrize("url", ["https://x:99999/", "https://x:0/"])
def test_cli_ispdb_url_with_a_bad_port_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], command: str, url: str
) -> None:
    code = run([command, "alice@example.org", "--offline", "--ispdb-url", url])
    out, err = capsys.readouterr()
    assert code == ExitStatus.USAGE
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "--ispdb-url" in err
    assert "Group" not in err


HOSTS = {"ispdb.test": ["192.0.2.20"]}


async def _ispdb(web: FakeWeb, base: str) -> tuple[SourceStatus, Cause | None, str]:
    options = DiscoveryOptions(net=NetOptions(timeout=2.0), ispdb_url=base)
    outcome = await ispdb.run(context("alice@example.org", web, HOSTS, options=options))
    return outcome.status, outcome.cause, outcome.detail


@pytest.mark.parametrize("base", ["https://ispdb.test:99999/", "https://ispdb.test:0/"])
async def test_library_caller_with_a_bad_port_gets_a_plain_source_error(base: str) -> None:
    status, cause, detail = await _ispdb(FakeWeb(), base)
    assert status is SourceStatus.ERROR
    assert cause is Cause.INVALID_URL
    assert "internal error" not in detail
    assert "Group" not in detail


@pytest.mark.parametrize(
    "location", ["https://ispdb.test:99999/x", "//ispdb.test:70000/x", "https://ispdb.test:0/"]
)
async def test_redirect_to_a_bad_port_is_a_plain_source_error(location: str) -> None:
    web = FakeWeb()
    web.redirect("https://ispdb.test/v1.1/example.org", location)
    status, cause, detail = await _ispdb(web, "https://ispdb.test/v1.1/")
    assert status is SourceStatus.ERROR
    assert cause is Cause.INVALID_URL
    assert "port" in detail
    assert "internal error" not in detail
    assert "Group" not in detail


@asynccontextmanager
async def redirecting_server(location: str) -> AsyncIterator[int]:
    """A real HTTP server on loopback answering every request with a redirect."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("location", ["http://web.test:99999/", "http://127.0.0.1:65536/"])
async def test_real_redirect_to_a_bad_port_over_real_httpx(location: str) -> None:
    async with redirecting_server(location) as port:
        net = NetOptions(connect_to=(ConnectTo("web.test", 80, "127.0.0.1", port),))
        fetcher = HttpFetcher(FakeDns({"web.test": ["127.0.0.1"]}), net)
        result = await fetcher.get("http://web.test/", timeout=3.0, allow_http=True)
    assert result.status_code == 302
    assert result.cause is Cause.INVALID_URL
    assert result.error is not None
    assert "Group" not in result.error
