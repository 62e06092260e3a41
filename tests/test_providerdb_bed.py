"""The provider_db source against the bed's real DNS: a custom domain whose MX points at
Google is recognised through the bundled database's MX patterns."""

from __future__ import annotations

from mailprobe.models import SourceStatus
from mailprobe.providers import ProviderDb
from mailprobe.sources import provider_db
from test_autoconfig_bed import bed_context
from testbed import BedInfo


async def test_custom_domain_is_recognised_by_its_mx_host(bed: BedInfo) -> None:
    ctx = bed_context(bed, "dave@gworkspace.mailprobe.test", providers=ProviderDb.load(cache=False))
    outcome = await provider_db.run(ctx)
    assert outcome.status is SourceStatus.FOUND
    assert outcome.provider is not None
    assert outcome.provider.id == "google-workspace"
    assert outcome.candidates
    for candidate in outcome.candidates:
        assert candidate.sources[0].origin == (
            "provider_db:google-workspace via MX aspmx.l.google.com"
        )
        assert not candidate.trusted  # the bed's zone is not DNSSEC-signed
        assert candidate.setting.username == "dave@gworkspace.mailprobe.test"
