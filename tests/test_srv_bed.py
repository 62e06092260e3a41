"""The srv source against the bed's real NSD zone."""

from __future__ import annotations

from dnsfaults import source_context
from mailprobe.models import (
    Nameserver,
    NotOffered,
    Protocol,
    Provenance,
    Security,
    SourceId,
    SourceOutcome,
    SourceStatus,
)
from mailprobe.sources import srv
from testbed import BedInfo


async def run_srv(bed: BedInfo, address: str) -> SourceOutcome:
    ctx = source_context(address, [Nameserver(bed.dns.ip, bed.dns.port)], timeout=3.0)
    return await srv.run(ctx)


async def test_main_domain_gives_every_published_service(bed: BedInfo) -> None:
    outcome = await run_srv(bed, "alice@mailprobe.test")
    assert outcome.status is SourceStatus.FOUND
    assert [c.setting.endpoint for c in outcome.candidates] == [
        (Protocol.IMAP, "imap.mailprobe.test", 993, Security.TLS),
        (Protocol.IMAP, "imap.mailprobe.test", 143, Security.STARTTLS),
        (Protocol.POP3, "pop.mailprobe.test", 995, Security.TLS),
        (Protocol.SMTP, "smtp.mailprobe.test", 465, Security.TLS),
        (Protocol.SMTP, "smtp.mailprobe.test", 587, Security.STARTTLS),
    ]
    assert {c.setting.username for c in outcome.candidates} == {"alice@mailprobe.test"}


async def test_provenance_names_each_record_and_is_untrusted(bed: BedInfo) -> None:
    outcome = await run_srv(bed, "alice@mailprobe.test")
    origins = [c.sources for c in outcome.candidates]
    assert origins[0] == (Provenance(SourceId.SRV, "_imaps._tcp.mailprobe.test", False),)
    assert origins[-1] == (Provenance(SourceId.SRV, "_submission._tcp.mailprobe.test", False),)


async def test_pop3_starttls_is_explicitly_not_offered(bed: BedInfo) -> None:
    outcome = await run_srv(bed, "alice@mailprobe.test")
    assert outcome.not_offered == (
        NotOffered(Protocol.POP3, Security.STARTTLS, "_pop3._tcp.mailprobe.test"),
    )
    assert "explicitly not offered (target '.'): _pop3._tcp.mailprobe.test" in outcome.detail


async def test_name_with_only_txt_is_empty(bed: BedInfo) -> None:
    outcome = await run_srv(bed, "bob@empty.mailprobe.test")
    assert outcome.status is SourceStatus.EMPTY
    assert outcome.candidates == ()
    assert outcome.not_offered == ()
    assert outcome.detail == "no SRV record at 6 of 6 names"


async def test_missing_domain_is_empty(bed: BedInfo) -> None:
    outcome = await run_srv(bed, "bob@nothing.mailprobe.test")
    assert outcome.status is SourceStatus.EMPTY


async def test_domain_the_server_does_not_serve_is_an_error(bed: BedInfo) -> None:
    outcome = await run_srv(bed, "bob@example.org")
    assert outcome.status is SourceStatus.ERROR
    assert "refused the query (REFUSED)" in outcome.detail
