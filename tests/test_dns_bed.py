"""DnsClient against the bed's real NSD: records, NXDOMAIN, empty names, refusals, addresses."""

from __future__ import annotations

import asyncio

import pytest

from mailprobe.models import Nameserver
from mailprobe.net.dns import DnsClient, DnsStatus
from testbed import BedInfo


@pytest.fixture
def dns(bed: BedInfo) -> DnsClient:
    return DnsClient([Nameserver(bed.dns.ip, bed.dns.port)], timeout=3.0)


def texts(records: tuple[object, ...]) -> list[str]:
    return sorted(str(r) for r in records)


async def test_mx_of_the_main_domain(dns: DnsClient) -> None:
    answer = await dns.query("mailprobe.test", "MX")
    assert answer.status is DnsStatus.OK
    assert texts(answer.records) == ["10 mx.mailprobe.test."]
    assert answer.elapsed_ms >= 0


async def test_srv_records_including_the_dot_target(dns: DnsClient) -> None:
    imaps = await dns.query("_imaps._tcp.mailprobe.test", "SRV")
    pop3 = await dns.query("_pop3._tcp.mailprobe.test", "SRV")
    assert texts(imaps.records) == ["0 1 993 imap.mailprobe.test."]
    assert texts(pop3.records) == ["0 0 0 ."]


async def test_unsigned_zone_is_not_authenticated(dns: DnsClient) -> None:
    answer = await dns.query("_imaps._tcp.mailprobe.test", "SRV")
    assert answer.status is DnsStatus.OK
    assert not answer.authenticated


async def test_name_with_only_txt_has_no_mail_records(dns: DnsClient) -> None:
    srv = await dns.query("_imaps._tcp.empty.mailprobe.test", "SRV")
    mx = await dns.query("empty.mailprobe.test", "MX")
    txt = await dns.query("empty.mailprobe.test", "TXT")
    assert srv.status is DnsStatus.NXDOMAIN
    assert mx.status is DnsStatus.NODATA
    assert "has no MX records" in mx.detail
    assert txt.status is DnsStatus.OK


async def test_missing_domain_is_nxdomain(dns: DnsClient) -> None:
    answer = await dns.query("nothing.mailprobe.test", "MX")
    found = await dns.addresses("nothing.mailprobe.test")
    assert answer.status is DnsStatus.NXDOMAIN
    assert answer.detail == "nothing.mailprobe.test does not exist (NXDOMAIN)"
    assert found.status is DnsStatus.NXDOMAIN
    assert found.addresses == ()


async def test_name_outside_the_served_zones_is_refused(dns: DnsClient, bed: BedInfo) -> None:
    # NSD is authoritative only: a name it does not serve gets REFUSED, never a timeout.
    answer = await dns.query("example.org", "A")
    assert answer.status is DnsStatus.ERROR
    assert f"{bed.dns.ip}:{bed.dns.port} refused the query (REFUSED)" in answer.detail


async def test_addresses_ipv6_before_ipv4(dns: DnsClient) -> None:
    found = await dns.addresses("v6broken.mailprobe.test")
    assert found.status is DnsStatus.OK
    assert found.addresses == ("::1", "127.0.0.1")


async def test_addresses_of_hosts_in_the_zone(dns: DnsClient, bed: BedInfo) -> None:
    imap, imap2, empty = await asyncio.gather(
        dns.addresses("imap.mailprobe.test"),
        dns.addresses("imap2.mailprobe.test"),
        dns.addresses("empty.mailprobe.test"),
    )
    assert imap.addresses == ("127.0.0.1",)
    assert imap2.addresses == (bed.alt_ip,)
    assert empty.status is DnsStatus.NODATA
    assert empty.detail == "empty.mailprobe.test has no A or AAAA records"


async def test_tlsa_record_is_readable(dns: DnsClient) -> None:
    answer = await dns.query("_993._tcp.imap.mailprobe.test", "TLSA")
    assert answer.status is DnsStatus.OK
    assert str(answer.records[0]).startswith("3 1 1 ")


async def test_many_concurrent_lookups_all_answer(dns: DnsClient, bed: BedInfo) -> None:
    names = [d for d in bed.domains if d != "nothing.mailprobe.test"]
    answers = await asyncio.gather(*(dns.query(n, "TXT") for n in names))
    assert all(a.status.is_answer for a in answers)
