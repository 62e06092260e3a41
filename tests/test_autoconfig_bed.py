"""The autoconfig source against the real bed (NSD + nginx): every served case and fault.

Name lookups go to the bed's NSD; `--connect-to` rules only change ports (the bed's DNS
picks the address), so a name without an address really is missing.
"""

from __future__ import annotations

import time

import pytest

from mailprobe.address import parse_address
from mailprobe.models import (
    Cause,
    DiscoveryOptions,
    NetOptions,
    Protocol,
    Provenance,
    Security,
    SourceId,
    SourceOutcome,
    SourceStatus,
)
from mailprobe.net.failures import CERT_TEXT
from mailprobe.option_values import parse_connect_to, parse_nameserver
from mailprobe.providers import ProviderDb
from mailprobe.sources import autoconfig
from mailprobe.sources.base import SourceContext
from testbed import BedInfo

TIMEOUT = 4.0
M = "mailprobe.test"


def bed_context(
    bed: BedInfo,
    address: str,
    *,
    allow_http: bool = False,
    send_address: bool = False,
    providers: ProviderDb | None = None,
    timeout: float = TIMEOUT,
) -> SourceContext:
    """A real SourceContext (real DnsClient and HttpFetcher) aimed at the bed."""
    net = NetOptions(
        nameservers=(parse_nameserver(bed.nameserver),),
        connect_to=tuple(parse_connect_to(rule) for rule in bed.connect_to_dns),
        ca_file=bed.ca_file,
        timeout=timeout,
    )
    options = DiscoveryOptions(
        net=net, ispdb_url=bed.ispdb_url, allow_http=allow_http, send_address=send_address
    )
    return SourceContext(
        parse_address(address), options, providers or ProviderDb.from_providers([])
    )


async def run(
    bed: BedInfo, domain: str, *, allow_http: bool = False, send_address: bool = False
) -> SourceOutcome:
    start = time.monotonic()
    ctx = bed_context(bed, f"alice@{domain}", allow_http=allow_http, send_address=send_address)
    outcome = await autoconfig.run(ctx)
    assert time.monotonic() - start < TIMEOUT
    return outcome


def sub_url(domain: str, scheme: str = "https") -> str:
    return f"{scheme}://autoconfig.{domain}/mail/config-v1.1.xml"


def well_known_url(domain: str, scheme: str = "https") -> str:
    return f"{scheme}://{domain}/.well-known/autoconfig/mail/config-v1.1.xml"


async def test_main_domain_config_is_found_and_trusted(bed: BedInfo) -> None:
    outcome = await run(bed, M)
    assert outcome.status is SourceStatus.FOUND
    assert [c.setting.endpoint for c in outcome.candidates] == [
        (Protocol.IMAP, "imap.mailprobe.test", 993, Security.TLS),
        (Protocol.IMAP, "imap.mailprobe.test", 143, Security.STARTTLS),
        (Protocol.POP3, "pop.mailprobe.test", 995, Security.TLS),
        (Protocol.SMTP, "smtp.mailprobe.test", 465, Security.TLS),
        (Protocol.SMTP, "smtp.mailprobe.test", 587, Security.STARTTLS),
    ]
    assert {c.setting.username for c in outcome.candidates} == {"alice@mailprobe.test"}
    assert outcome.candidates[0].sources == (Provenance(SourceId.AUTOCONFIG, sub_url(M), True),)
    assert outcome.detail == f"{sub_url(M)}: found 5 servers; {well_known_url(M)}: 404"
    assert outcome.provider is not None
    assert outcome.provider.id == M


async def test_send_address_still_finds_the_config(bed: BedInfo) -> None:
    outcome = await run(bed, M, send_address=True)
    assert outcome.status is SourceStatus.FOUND
    assert "emailaddress=alice%40mailprobe.test" in outcome.detail


@pytest.mark.parametrize(
    ("domain", "cause", "reason"),
    [
        (
            f"html.{M}",
            Cause.INVALID_DOCUMENT,
            f"{sub_url(f'html.{M}')}: the file is an HTML page, not XML",
        ),
        (f"truncated.{M}", Cause.INVALID_DOCUMENT, "the file is not well-formed XML"),
        (
            f"laughs.{M}",
            Cause.INVALID_DOCUMENT,
            "the file declares a DTD or entities, refused for safety",
        ),
        (f"big.{M}", Cause.TOO_LARGE, f"{sub_url(f'big.{M}')}: response larger than 1 MiB"),
        (f"loop.{M}", Cause.REDIRECT_LOOP, "redirect loop"),
        (f"downgrade.{M}", Cause.INSECURE_HTTP, "redirect from HTTPS to plain HTTP"),
        (f"wrongcert.{M}", Cause.CERT_WRONG_NAME, CERT_TEXT[Cause.CERT_WRONG_NAME]),
        (f"expired.{M}", Cause.CERT_EXPIRED, CERT_TEXT[Cause.CERT_EXPIRED]),
        (f"selfsigned.{M}", Cause.CERT_SELF_SIGNED, CERT_TEXT[Cause.CERT_SELF_SIGNED]),
    ],
)
async def test_each_fault_is_an_error_outcome_with_a_cause_and_a_plain_reason(
    bed: BedInfo, domain: str, cause: Cause, reason: str
) -> None:
    outcome = await run(bed, domain)
    assert outcome.status is SourceStatus.ERROR, outcome.detail
    assert outcome.candidates == ()
    assert outcome.cause is cause
    assert reason in outcome.detail


async def test_downgrade_with_allow_http_is_found_but_untrusted(bed: BedInfo) -> None:
    domain = f"downgrade.{M}"
    outcome = await run(bed, domain, allow_http=True)
    assert outcome.status is SourceStatus.FOUND
    assert not any(c.trusted for c in outcome.candidates)
    assert f"{sub_url(domain)}: found 4 servers (via {sub_url(domain, 'http')}; untrusted: " in (
        outcome.detail
    )


async def test_well_known_location_is_used_when_there_is_no_autoconfig_host(
    bed: BedInfo,
) -> None:
    domain = f"wellknown.{M}"
    outcome = await run(bed, domain)
    assert outcome.status is SourceStatus.FOUND
    assert outcome.candidates[0].sources == (
        Provenance(SourceId.AUTOCONFIG, well_known_url(domain), True),
    )
    assert f"{sub_url(domain)}: autoconfig.{domain} does not exist" in outcome.detail


async def test_http_only_config_needs_allow_http_and_is_untrusted(bed: BedInfo) -> None:
    domain = f"httponly.{M}"
    without = await run(bed, domain)
    assert without.status is SourceStatus.EMPTY
    assert f"{sub_url(domain)}: 404" in without.detail
    allowed = await run(bed, domain, allow_http=True)
    assert allowed.status is SourceStatus.FOUND
    assert {p.origin for c in allowed.candidates for p in c.sources} == {sub_url(domain, "http")}
    assert not any(c.trusted for c in allowed.candidates)


async def test_domain_that_does_not_exist_is_empty(bed: BedInfo) -> None:
    outcome = await run(bed, f"nothing.{M}")
    assert outcome.status is SourceStatus.EMPTY
    assert "does not exist (NXDOMAIN)" in outcome.detail
