"""The ispdb source against the bed's HTTPS ISPDB (nginx)."""

from __future__ import annotations

from mailprobe.models import Provenance, SourceId, SourceStatus
from mailprobe.sources import ispdb
from test_autoconfig_bed import bed_context
from testbed import BedInfo

M = "mailprobe.test"


async def test_known_domain_is_found_and_trusted(bed: BedInfo) -> None:
    outcome = await ispdb.run(bed_context(bed, f"alice@{M}"))
    assert outcome.status is SourceStatus.FOUND
    assert len(outcome.candidates) == 5
    assert outcome.candidates[0].sources == (
        Provenance(SourceId.ISPDB, f"{bed.ispdb_url}{M}", True),
    )


async def test_domain_only_the_ispdb_knows_is_found(bed: BedInfo) -> None:
    outcome = await ispdb.run(bed_context(bed, f"alice@ispdbonly.{M}"))
    assert outcome.status is SourceStatus.FOUND
    assert {c.setting.host for c in outcome.candidates} >= {f"imap.ispdbonly.{M}"}


async def test_unknown_domain_is_empty_with_the_status(bed: BedInfo) -> None:
    outcome = await ispdb.run(bed_context(bed, f"alice@html.{M}"))
    assert outcome.status is SourceStatus.EMPTY
    assert outcome.detail == f"{bed.ispdb_url}html.{M}: 404"
