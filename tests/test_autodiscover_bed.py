"""The autodiscover source against the bed's POX endpoint (nginx)."""

from __future__ import annotations

from mailprobe.models import Protocol, Provenance, Security, SourceId, SourceStatus
from mailprobe.sources import autodiscover
from test_autoconfig_bed import bed_context
from testbed import BedInfo

DOMAIN = "exchange.mailprobe.test"
POX = f"https://autodiscover.{DOMAIN}/autodiscover/autodiscover.xml"


async def test_pox_answer_gives_imap_and_smtp_trusted(bed: BedInfo) -> None:
    outcome = await autodiscover.run(bed_context(bed, f"alice@{DOMAIN}", send_address=True))
    assert outcome.status is SourceStatus.FOUND
    assert [c.setting.endpoint for c in outcome.candidates] == [
        (Protocol.IMAP, f"imap.{DOMAIN}", 993, Security.TLS),
        (Protocol.SMTP, f"smtp.{DOMAIN}", 587, Security.STARTTLS),
    ]
    assert outcome.candidates[0].sources == (Provenance(SourceId.AUTODISCOVER, POX, True),)
    assert f"POST {POX}: found 2 servers" in outcome.detail


async def test_nothing_is_asked_without_send_address(bed: BedInfo) -> None:
    outcome = await autodiscover.run(bed_context(bed, f"alice@{DOMAIN}"))
    assert outcome.status is SourceStatus.SKIPPED
    assert "--send-address" in outcome.detail


async def test_domain_without_autodiscover_is_empty(bed: BedInfo) -> None:
    outcome = await autodiscover.run(
        bed_context(bed, "alice@wellknown.mailprobe.test", send_address=True)
    )
    assert outcome.status is SourceStatus.EMPTY
    assert "does not exist" in outcome.detail
