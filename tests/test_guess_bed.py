"""The guess source against the bed's real NSD zone: only names that resolve are kept."""

from __future__ import annotations

from dnsfaults import source_context
from mailprobe.models import Nameserver, Protocol, SourceOutcome, SourceStatus
from mailprobe.sources import guess
from testbed import BedInfo


async def run_guess(bed: BedInfo, address: str) -> SourceOutcome:
    ctx = source_context(address, [Nameserver(bed.dns.ip, bed.dns.port)], timeout=3.0)
    return await guess.run(ctx)


async def test_main_domain_resolves_every_guessed_name(bed: BedInfo) -> None:
    outcome = await run_guess(bed, "alice@mailprobe.test")
    assert outcome.status is SourceStatus.FOUND
    assert len(outcome.candidates) == 18
    assert {c.setting.host for c in outcome.candidates} == {
        "imap.mailprobe.test",
        "pop.mailprobe.test",
        "smtp.mailprobe.test",
        "mail.mailprobe.test",
        "mailprobe.test",
    }
    assert "dropped" not in outcome.detail


async def test_names_without_address_are_dropped(bed: BedInfo) -> None:
    outcome = await run_guess(bed, "carol@exchange.mailprobe.test")
    assert outcome.status is SourceStatus.FOUND
    assert {(c.protocol, c.setting.host) for c in outcome.candidates} == {
        (Protocol.IMAP, "imap.exchange.mailprobe.test"),
        (Protocol.POP3, "pop.exchange.mailprobe.test"),
        (Protocol.SMTP, "smtp.exchange.mailprobe.test"),
    }
    assert "mail.exchange.mailprobe.test (does not exist)" in outcome.detail
    assert "; exchange.mailprobe.test (no A or AAAA record)" in outcome.detail


async def test_name_with_only_txt_gives_nothing(bed: BedInfo) -> None:
    outcome = await run_guess(bed, "bob@empty.mailprobe.test")
    assert outcome.status is SourceStatus.EMPTY
    assert "empty.mailprobe.test (no A or AAAA record)" in outcome.detail


async def test_missing_domain_gives_nothing(bed: BedInfo) -> None:
    outcome = await run_guess(bed, "bob@nothing.mailprobe.test")
    assert outcome.status is SourceStatus.EMPTY
    assert outcome.candidates == ()
