"""DnsClient against a loopback server that misbehaves: every fault becomes a status and reason."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from dnsfaults import Behaviour, Fault, FaultDns, Records, free_udp_port
from mailprobe.models import Nameserver
from mailprobe.net.dns import DnsClient, DnsStatus

TIMEOUT = 0.6
# Scheduling slack on a busy machine; a lookup must never run much past its timeout.
SLACK = 0.8  # event-loop scheduling on a busy 2-core machine


@pytest.fixture
async def server() -> AsyncIterator[FaultDns]:
    rules: dict[str, Behaviour] = {
        "servfail.test": Fault.SERVFAIL,
        "refused.test": Fault.REFUSED,
        "silent.test": Fault.SILENT,
        "garbage.test": Fault.GARBAGE,
        "wrongid.test": Fault.WRONG_ID,
        "tcgarbage.test": Fault.TRUNCATED_GARBAGE,
        "big.test": Records("TXT", ('"a large answer"',), truncate_udp=True),
        "signed.test": Records("SRV", ("0 1 993 imap.signed.test.",), authenticated=True),
        "plain.test": Records("SRV", ("0 1 993 imap.plain.test.",)),
        "host.test": (
            Records("A", ("192.0.2.1", "192.0.2.2")),
            Records("AAAA", ("2001:db8::1",)),
        ),
        "v4only.test": Records("A", ("192.0.2.7",)),
        "txtonly.test": Records("TXT", ('"nothing else"',)),
    }
    async with FaultDns(rules) as srv:
        yield srv


def client(server: FaultDns, timeout: float = TIMEOUT) -> DnsClient:
    return DnsClient([server.nameserver], timeout=timeout)


async def timed_query(dns: DnsClient, name: str, rdtype: str) -> tuple[float, DnsStatus, str]:
    start = time.perf_counter()
    answer = await dns.query(name, rdtype)
    return time.perf_counter() - start, answer.status, answer.detail


async def test_servfail_is_reported_as_servfail_naming_the_server(server: FaultDns) -> None:
    elapsed, status, detail = await timed_query(client(server), "servfail.test", "SRV")
    assert status is DnsStatus.SERVFAIL
    assert f"127.0.0.1:{server.port} answered SERVFAIL" in detail
    assert elapsed < TIMEOUT


async def test_refused_is_an_error_saying_refused(server: FaultDns) -> None:
    _, status, detail = await timed_query(client(server), "refused.test", "A")
    assert status is DnsStatus.ERROR
    assert "refused the query (REFUSED)" in detail


@pytest.mark.parametrize("name", ["silent.test", "garbage.test", "wrongid.test"])
async def test_no_usable_udp_answer_times_out_within_the_client_timeout(
    server: FaultDns, name: str
) -> None:
    # dnspython ignores unparseable or mismatched UDP datagrams (they could be spoofed),
    # so garbage over UDP looks like silence: the lookup must still end on time.
    elapsed, status, detail = await timed_query(client(server), name, "A")
    assert status is DnsStatus.TIMEOUT
    assert f"timed out after {TIMEOUT:g} s" in detail
    assert f"127.0.0.1:{server.port}" in detail
    assert TIMEOUT * 0.8 <= elapsed < TIMEOUT + SLACK


async def test_timeout_is_bounded_even_with_a_long_per_try_timeout(server: FaultDns) -> None:
    # The resolver retries and backs off; the client's timeout must still be a hard bound.
    elapsed, status, _ = await timed_query(client(server, timeout=1.3), "silent.test", "MX")
    assert status is DnsStatus.TIMEOUT
    assert elapsed < 1.3 + SLACK


async def test_no_server_listening_times_out_within_the_client_timeout() -> None:
    dns = DnsClient([Nameserver("127.0.0.1", free_udp_port())], timeout=TIMEOUT)
    elapsed, status, _ = await timed_query(dns, "example.test", "A")
    assert status is DnsStatus.TIMEOUT
    assert elapsed < TIMEOUT + SLACK


async def test_truncated_udp_answer_is_retried_over_tcp(server: FaultDns) -> None:
    answer = await client(server).query("big.test", "TXT")
    assert answer.status is DnsStatus.OK
    assert [r.to_text() for r in answer.records] == ['"a large answer"']
    assert server.queries[("udp", "big.test", "TXT")] == 1
    assert server.queries[("tcp", "big.test", "TXT")] == 1


async def test_malformed_answer_over_tcp_is_an_error_saying_malformed(server: FaultDns) -> None:
    elapsed, status, detail = await timed_query(client(server), "tcgarbage.test", "A")
    assert status is DnsStatus.ERROR
    assert "sent a malformed answer" in detail
    assert elapsed < TIMEOUT


async def test_nxdomain_and_nodata_are_answers_not_errors(server: FaultDns) -> None:
    dns = client(server)
    nx = await dns.query("missing.test", "SRV")
    nodata = await dns.query("txtonly.test", "SRV")
    assert nx.status is DnsStatus.NXDOMAIN
    assert nx.status.is_answer
    assert "does not exist" in nx.detail
    assert nodata.status is DnsStatus.NODATA
    assert nodata.status.is_answer
    assert nodata.records == ()
    for failed in (DnsStatus.SERVFAIL, DnsStatus.TIMEOUT, DnsStatus.ERROR):
        assert not failed.is_answer


async def test_ad_bit_is_captured_as_authenticated(server: FaultDns) -> None:
    dns = client(server)
    signed = await dns.query("signed.test", "SRV")
    plain = await dns.query("plain.test", "SRV")
    assert signed.status is DnsStatus.OK
    assert signed.authenticated
    assert plain.status is DnsStatus.OK
    assert not plain.authenticated


async def test_query_names_are_normalised_and_concurrent_lookups_share_one_query(
    server: FaultDns,
) -> None:
    dns = client(server)
    answers = await asyncio.gather(
        dns.query("Plain.Test.", "srv"),
        dns.query("plain.test", "SRV"),
        dns.query("PLAIN.TEST", "SRV"),
    )
    assert {a.status for a in answers} == {DnsStatus.OK}
    assert answers[0].name == "plain.test"
    assert answers[0].rdtype == "SRV"
    assert server.queries[("udp", "plain.test", "SRV")] == 1


async def test_addresses_lists_ipv6_first_then_ipv4(server: FaultDns) -> None:
    found = await client(server).addresses("host.test")
    assert found.status is DnsStatus.OK
    # Records within one answer come in the server's (shuffled) order.
    assert found.addresses[0] == "2001:db8::1"
    assert sorted(found.addresses[1:]) == ["192.0.2.1", "192.0.2.2"]
    assert found.host == "host.test"


async def test_addresses_of_a_v4_only_host(server: FaultDns) -> None:
    found = await client(server).addresses("v4only.test")
    assert found.status is DnsStatus.OK
    assert found.addresses == ("192.0.2.7",)


async def test_addresses_reports_nxdomain_nodata_and_failures(server: FaultDns) -> None:
    dns = client(server)
    missing = await dns.addresses("missing.test")
    txt = await dns.addresses("txtonly.test")
    broken = await dns.addresses("servfail.test")
    assert (missing.status, missing.addresses) == (DnsStatus.NXDOMAIN, ())
    assert "does not exist" in missing.detail
    assert (txt.status, txt.addresses) == (DnsStatus.NODATA, ())
    assert "no A or AAAA" in txt.detail
    assert broken.status is DnsStatus.SERVFAIL
    assert "SERVFAIL" in broken.detail


async def test_addresses_of_a_silent_name_end_within_the_timeout(server: FaultDns) -> None:
    start = time.perf_counter()
    found = await client(server).addresses("silent.test")
    assert found.status is DnsStatus.TIMEOUT
    assert found.addresses == ()
    assert time.perf_counter() - start < TIMEOUT + SLACK


async def test_ip_literals_and_localhost_need_no_lookup(server: FaultDns) -> None:
    dns = client(server)
    v4 = await dns.addresses("192.0.2.5")
    v6 = await dns.addresses("[2001:db8::5]")
    local = await dns.addresses("localhost")
    assert v4.addresses == ("192.0.2.5",)
    assert v6.addresses == ("2001:db8::5",)
    assert local.addresses == ("127.0.0.1",)
    assert sum(server.queries.values()) == 0


async def test_invalid_names_are_errors_not_exceptions(server: FaultDns) -> None:
    dns = client(server)
    empty_label = await dns.query("a..test", "A")
    too_long = await dns.query(".".join(["a" * 63] * 5), "A")
    assert empty_label.status is DnsStatus.ERROR
    assert too_long.status is DnsStatus.ERROR
    assert sum(server.queries.values()) == 0
