"""A long-lived DNS client (bulk scans) keeps answers for their TTL, and nothing else."""

from __future__ import annotations

import asyncio

import pytest

from dnsfaults import Fault, FaultDns, Records
from mailprobe.net.dns import DnsClient, DnsStatus
from mailprobe.net.dnscache import TtlCache


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_value_is_returned_until_its_ttl_has_passed() -> None:
    clock = FakeClock()
    cache: TtlCache[str, str] = TtlCache(4, clock)
    cache.put("a", "first", ttl=30)
    clock.now += 29.9
    assert cache.get("a") == "first"
    clock.now += 0.1
    assert cache.get("a") is None
    assert len(cache) == 0


def test_a_zero_ttl_keeps_nothing() -> None:
    cache: TtlCache[str, str] = TtlCache(4, FakeClock())
    cache.put("a", "now only", ttl=0)
    assert cache.get("a") is None


def test_the_least_recently_used_value_leaves_first_when_full() -> None:
    cache: TtlCache[str, int] = TtlCache(2, FakeClock())
    cache.put("a", 1, ttl=60)
    cache.put("b", 2, ttl=60)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3, ttl=60)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2


def test_a_cache_without_room_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one entry"):
        TtlCache(0)


def _udp_queries(server: FaultDns, name: str, rdtype: str) -> int:
    return server.queries[("udp", name, rdtype)]


async def test_a_repeated_lookup_within_the_ttl_sends_no_second_query() -> None:
    rules = {"mail.test": Records("A", ("192.0.2.1",), ttl=300)}
    async with FaultDns(rules) as server:
        client = DnsClient([server.nameserver], timeout=2.0, ttl_cache_size=16)
        first = await client.query("mail.test", "A")
        again = await client.query("MAIL.test.", "A")
    assert first.status is DnsStatus.OK
    assert again == first
    assert _udp_queries(server, "mail.test", "A") == 1


async def test_a_zero_ttl_answer_is_asked_again() -> None:
    rules = {"fresh.test": Records("A", ("192.0.2.2",), ttl=0)}
    async with FaultDns(rules) as server:
        client = DnsClient([server.nameserver], timeout=2.0, ttl_cache_size=16)
        await client.query("fresh.test", "A")
        await client.query("fresh.test", "A")
    assert _udp_queries(server, "fresh.test", "A") == 2


async def test_no_such_name_is_kept_for_the_soa_negative_ttl() -> None:
    async with FaultDns({}, negative_ttl=120) as server:
        client = DnsClient([server.nameserver], timeout=2.0, ttl_cache_size=16)
        first = await client.query("gone.test", "MX")
        again = await client.query("gone.test", "MX")
    assert first.status is DnsStatus.NXDOMAIN
    assert again.status is DnsStatus.NXDOMAIN
    assert _udp_queries(server, "gone.test", "MX") == 1


async def test_no_such_name_without_an_soa_is_asked_again() -> None:
    async with FaultDns({}) as server:
        client = DnsClient([server.nameserver], timeout=2.0, ttl_cache_size=16)
        await client.query("gone.test", "MX")
        await client.query("gone.test", "MX")
    assert _udp_queries(server, "gone.test", "MX") == 2


async def test_server_failures_are_never_kept() -> None:
    async with FaultDns({"broken.test": Fault.SERVFAIL}) as server:
        client = DnsClient([server.nameserver], timeout=2.0, ttl_cache_size=16)
        first = await client.query("broken.test", "A")
        await client.query("broken.test", "A")
    assert first.status is DnsStatus.SERVFAIL
    assert _udp_queries(server, "broken.test", "A") == 2


async def test_concurrent_identical_lookups_share_one_query() -> None:
    rules = {"shared.test": Records("MX", ("10 mx.shared.test.",), ttl=60)}
    async with FaultDns(rules) as server:
        client = DnsClient([server.nameserver], timeout=2.0, ttl_cache_size=16)
        answers = await asyncio.gather(*(client.query("shared.test", "MX") for _ in range(20)))
    assert {a.status for a in answers} == {DnsStatus.OK}
    assert _udp_queries(server, "shared.test", "MX") == 1
