"""The mx source: MX order, provider by MX pattern, hoster autoconfig/ISPDB, DNSSEC trust,
DNS failures as data; and the registrable-domain helpers it relies on."""

from __future__ import annotations

import dns.rdata
import pytest

from mailprobe.domains import is_within, mx_config_domains, mx_hosts, registrable_domain
from mailprobe.models import (
    DiscoveryOptions,
    NetOptions,
    Protocol,
    Provenance,
    ProviderStatus,
    Security,
    SourceId,
    SourceOutcome,
    SourceStatus,
)
from mailprobe.net.dns import DnsAnswer, DnsStatus
from mailprobe.providers import Provider, ProviderDb, ServerEntry
from mailprobe.sources import mx
from mailprobe.sources.mx import lookup_domains
from test_autoconfig_xml import FULL
from test_http_fakeweb import FakeDns, FakeWeb, context

DOMAIN = "customer.example"
ISPDB = "https://ispdb.test/v1.1/"
HOSTER_AUTOCONFIG = "https://autoconfig.hoster.example/mail/config-v1.1.xml"
HOSTS = {
    "autoconfig.hoster.example": ["192.0.2.30"],
    "hoster.example": ["192.0.2.31"],
    "autoconfig.mail.hoster.example": ["192.0.2.33"],
    "mail.hoster.example": ["192.0.2.34"],
    "ispdb.test": ["192.0.2.32"],
}

HOSTER = Provider(
    id="hoster",
    name="Hoster",
    status=ProviderStatus.OK,
    domains=("hoster.example",),
    servers=(
        ServerEntry(Protocol.IMAP, "imap.hoster.example", 993, Security.TLS, "%EMAILADDRESS%"),
    ),
    mx_patterns=("mail.hoster.example",),
)


def mx_answer(*texts: str, authenticated: bool = False) -> DnsAnswer:
    records = tuple(dns.rdata.from_text("IN", "MX", t) for t in texts)
    return DnsAnswer(DOMAIN, "MX", DnsStatus.OK, records, authenticated)


async def run(
    answer: DnsAnswer,
    web: FakeWeb | None = None,
    *,
    providers: ProviderDb | None = None,
    allow_http: bool = False,
) -> tuple[SourceOutcome, FakeWeb]:
    web = web or FakeWeb()
    fake_dns = FakeDns(answers={(DOMAIN, "MX"): answer})
    options = DiscoveryOptions(net=NetOptions(timeout=2.0), ispdb_url=ISPDB, allow_http=allow_http)
    ctx = context(
        f"bob@{DOMAIN}",
        web,
        HOSTS,
        options=options,
        dns=fake_dns,
        providers=providers or ProviderDb.from_providers([]),
    )
    return await mx.run(ctx), web


# --------------------------------------------------------------------------- helpers


def test_registrable_domain_uses_the_public_suffix_list() -> None:
    assert registrable_domain("mx1.mail.hoster.co.uk") == "hoster.co.uk"
    assert registrable_domain("MX1.Hoster.Test.") == "hoster.test"
    assert registrable_domain("co.uk") is None
    assert registrable_domain("") is None


def test_config_domains_are_registrable_domain_then_next_label_up() -> None:
    assert mx_config_domains("mx1.mail.hoster.example") == ("hoster.example", "mail.hoster.example")
    assert mx_config_domains("mx1.hoster.example") == ("hoster.example",)
    assert mx_config_domains("a.b.c.hoster.co.uk") == ("hoster.co.uk", "b.c.hoster.co.uk")


def test_is_within_is_label_aligned() -> None:
    assert is_within("imap.hoster.example", "hoster.example")
    assert is_within("hoster.example.", "HOSTER.example")
    assert not is_within("evilhoster.example", "hoster.example")


def test_mx_hosts_are_ordered_by_preference_without_duplicates_or_null_mx() -> None:
    records = [
        dns.rdata.from_text("IN", "MX", t)
        for t in ("20 b.example.", "10 c.example.", "10 a.example.", "30 a.example.")
    ]
    assert mx_hosts(records) == ("a.example", "c.example", "b.example")
    assert mx_hosts([dns.rdata.from_text("IN", "MX", "0 .")]) == ()


def test_lookup_domains_leave_out_the_address_domain() -> None:
    assert lookup_domains(["mx.customer.example", "mx1.mail.hoster.example"], DOMAIN) == (
        "hoster.example",
        "mail.hoster.example",
    )


# --------------------------------------------------------------------------- the source


async def test_hoster_autoconfig_is_found_but_untrusted_without_dnssec() -> None:
    web = FakeWeb()
    web.page(HOSTER_AUTOCONFIG, FULL)
    outcome, web = await run(mx_answer("10 mx1.mail.hoster.example."), web)
    assert outcome.status is SourceStatus.FOUND
    assert len(outcome.candidates) == 3
    for candidate in outcome.candidates:
        assert candidate.sources == (Provenance(SourceId.MX, HOSTER_AUTOCONFIG, False),)
    assert outcome.detail.startswith("MX mx1.mail.hoster.example (not DNSSEC-validated")
    assert f"{HOSTER_AUTOCONFIG}: found 3 servers" in outcome.detail
    assert sorted(web.urls_seen()) == sorted(
        [
            HOSTER_AUTOCONFIG,
            "https://hoster.example/.well-known/autoconfig/mail/config-v1.1.xml",
            "https://autoconfig.mail.hoster.example/mail/config-v1.1.xml",
            "https://mail.hoster.example/.well-known/autoconfig/mail/config-v1.1.xml",
            f"{ISPDB}hoster.example",
            f"{ISPDB}mail.hoster.example",
        ]
    )


async def test_dnssec_validated_mx_and_https_fetch_give_trusted_candidates() -> None:
    web = FakeWeb()
    web.page(f"{ISPDB}hoster.example", FULL)
    outcome, _web = await run(mx_answer("10 mx1.hoster.example.", authenticated=True), web)
    assert outcome.status is SourceStatus.FOUND
    assert outcome.candidates[0].sources == (
        Provenance(SourceId.MX, f"{ISPDB}hoster.example", True),
    )
    assert "(DNSSEC-validated)" in outcome.detail


async def test_dnssec_validated_mx_with_plain_http_fetch_stays_untrusted() -> None:
    web = FakeWeb()
    plain = "http://autoconfig.hoster.example/mail/config-v1.1.xml"
    web.page(plain, FULL)
    outcome, _web = await run(
        mx_answer("10 mx1.hoster.example.", authenticated=True), web, allow_http=True
    )
    assert outcome.status is SourceStatus.FOUND
    assert not any(c.trusted for c in outcome.candidates)


async def test_provider_found_by_mx_pattern_gives_its_settings_and_info() -> None:
    db = ProviderDb.from_providers([HOSTER])
    outcome, _web = await run(mx_answer("10 mx1.mail.hoster.example."), providers=db)
    assert outcome.status is SourceStatus.FOUND
    assert outcome.provider is not None
    assert outcome.provider.id == "hoster"
    candidate = outcome.candidates[0]
    assert candidate.setting.host == "imap.hoster.example"
    assert candidate.setting.username == f"bob@{DOMAIN}"
    assert candidate.sources == (
        Provenance(SourceId.MX, "MX mx1.mail.hoster.example matches provider hoster", False),
    )
    assert "provider hoster" in outcome.detail


async def test_hoster_with_nothing_published_is_empty_with_each_url_reason() -> None:
    outcome, _web = await run(mx_answer("10 mx1.hoster.example."))
    assert outcome.status is SourceStatus.EMPTY
    assert f"{ISPDB}hoster.example: 404" in outcome.detail


async def test_mx_within_the_domain_itself_asks_nothing_else() -> None:
    outcome, web = await run(mx_answer(f"10 mx.{DOMAIN}."))
    assert outcome.status is SourceStatus.EMPTY
    assert "within customer.example" in outcome.detail
    assert web.seen == []


async def test_null_mx_means_no_mail() -> None:
    outcome, _web = await run(mx_answer("0 ."))
    assert outcome.status is SourceStatus.EMPTY
    assert "null MX" in outcome.detail


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (DnsStatus.NXDOMAIN, SourceStatus.EMPTY),
        (DnsStatus.NODATA, SourceStatus.EMPTY),
        (DnsStatus.SERVFAIL, SourceStatus.ERROR),
        (DnsStatus.ERROR, SourceStatus.ERROR),
        (DnsStatus.TIMEOUT, SourceStatus.TIMEOUT),
    ],
)
async def test_dns_answers_and_failures_become_outcomes(
    status: DnsStatus, expected: SourceStatus
) -> None:
    answer = DnsAnswer(DOMAIN, "MX", status, detail=f"MX lookup: {status}")
    outcome, web = await run(answer)
    assert outcome.status is expected
    assert outcome.detail == f"MX lookup: {status}"
    assert web.seen == []
