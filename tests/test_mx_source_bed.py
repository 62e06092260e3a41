"""The mx source against the bed: MX in NSD, the hoster's autoconfig on nginx, the bundled DB."""

from __future__ import annotations

from mailprobe.models import (
    Protocol,
    Provenance,
    ProviderStatus,
    Security,
    SourceId,
    SourceStatus,
)
from mailprobe.providers import Provider, ProviderDb, ServerEntry
from mailprobe.sources import mx
from test_autoconfig_bed import bed_context
from testbed import BedInfo

M = "mailprobe.test"
HOSTER_URL = "https://autoconfig.hoster.test/mail/config-v1.1.xml"


async def test_hosted_domain_gets_the_hoster_config_untrusted_without_dnssec(
    bed: BedInfo,
) -> None:
    outcome = await mx.run(bed_context(bed, f"carol@mxhosted.{M}"))
    assert outcome.status is SourceStatus.FOUND
    assert outcome.detail.startswith("MX mx1.hoster.test (not DNSSEC-validated, so untrusted)")
    assert f"{HOSTER_URL}: found" in outcome.detail
    assert outcome.candidates
    for candidate in outcome.candidates:
        assert candidate.sources == (Provenance(SourceId.MX, HOSTER_URL, False),)
    assert {c.setting.username for c in outcome.candidates} == {f"carol@mxhosted.{M}"}


GOOGLE = Provider(
    id="gmail",
    name="Google Mail",
    status=ProviderStatus.OK,
    domains=("gmail.com",),
    servers=(ServerEntry(Protocol.IMAP, "imap.gmail.com", 993, Security.TLS, "%EMAILADDRESS%"),),
    mx_patterns=("google.com",),
)


async def test_mx_pattern_of_the_provider_database_names_the_provider(bed: BedInfo) -> None:
    ctx = bed_context(bed, f"dave@gworkspace.{M}", providers=ProviderDb.from_providers([GOOGLE]))
    outcome = await mx.run(ctx)
    assert outcome.status is SourceStatus.FOUND
    assert outcome.provider is not None
    assert outcome.provider.id == "gmail"
    assert "provider gmail (MX aspmx.l.google.com matches its pattern)" in outcome.detail
    assert any(c.setting.host.endswith("gmail.com") for c in outcome.candidates)
    assert not any(c.trusted for c in outcome.candidates)


async def test_domain_without_mx_is_empty(bed: BedInfo) -> None:
    outcome = await mx.run(bed_context(bed, f"erin@empty.{M}"))
    assert outcome.status is SourceStatus.EMPTY
    assert outcome.candidates == ()


async def test_missing_domain_is_empty_with_nxdomain(bed: BedInfo) -> None:
    outcome = await mx.run(bed_context(bed, f"erin@nothing.{M}"))
    assert outcome.status is SourceStatus.EMPTY
    assert "NXDOMAIN" in outcome.detail
