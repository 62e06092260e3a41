"""The `provider_db` discovery source: a domain hit is trusted; an MX-pattern hit is only as
trusted as the MX answer; offline runs never touch DNS."""

from __future__ import annotations

from pathlib import Path

import dns.rdata
import dns.rdataclass
import dns.rdatatype

from mailprobe.address import parse_address
from mailprobe.models import (
    DiscoveryOptions,
    Protocol,
    Provenance,
    ProviderStatus,
    Security,
    SourceId,
    SourceStatus,
)
from mailprobe.net.dns import DnsAnswer, DnsClient, DnsStatus
from mailprobe.providers import Provider, ProviderDb, ServerEntry
from mailprobe.sources import provider_db
from mailprobe.sources.base import SourceContext

WORKSPACE = Provider(
    id="google-workspace",
    name="Google Workspace",
    status=ProviderStatus.PREPARATION,
    domains=(),
    mx_patterns=("aspmx.l.google.com",),
    servers=(ServerEntry(Protocol.IMAP, "imap.gmail.com", 993, Security.TLS, "%EMAILADDRESS%"),),
    hints=("Ask the administrator.",),
)
MAILCO = Provider(
    id="mailco",
    name="Mail Co",
    status=ProviderStatus.OK,
    domains=("mailco.test",),
    servers=(
        ServerEntry(Protocol.IMAP, "imap.mailco.test", 993, Security.TLS, "%EMAILLOCALPART%"),
        ServerEntry(Protocol.SMTP, "smtp.mailco.test", 465, Security.TLS, "%EMAILADDRESS%"),
    ),
)
DB = ProviderDb.from_providers([WORKSPACE, MAILCO])


class FakeDns(DnsClient):
    """Answers MX queries from a table and records every query it was asked."""

    def __init__(self, answers: dict[str, DnsAnswer]) -> None:
        super().__init__()
        self.answers = answers
        self.asked: list[tuple[str, str]] = []

    async def query(self, name: str, rdtype: str) -> DnsAnswer:
        self.asked.append((name, rdtype))
        return self.answers.get(
            name, DnsAnswer(name, rdtype, DnsStatus.NXDOMAIN, detail=f"{name} does not exist")
        )


def mx_answer(name: str, *targets: str, authenticated: bool = False) -> DnsAnswer:
    records = tuple(
        dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.MX, target) for target in targets
    )
    return DnsAnswer(name, "MX", DnsStatus.OK, records, authenticated)


def context(
    address: str, dns_client: FakeDns, *, offline: bool = False, providers: ProviderDb = DB
) -> SourceContext:
    options = DiscoveryOptions(offline=offline)
    return SourceContext(parse_address(address), options, providers, dns=dns_client)


async def test_a_listed_domain_is_found_trusted_without_dns() -> None:
    fake = FakeDns({})
    outcome = await provider_db.run(context("ann@mailco.test", fake))
    assert outcome.status is SourceStatus.FOUND
    assert outcome.source is SourceId.PROVIDER_DB
    assert fake.asked == []
    assert outcome.provider is not None
    assert outcome.provider.id == "mailco"
    assert [(c.setting.host, c.setting.username) for c in outcome.candidates] == [
        ("imap.mailco.test", "ann"),
        ("smtp.mailco.test", "ann@mailco.test"),
    ]
    for candidate in outcome.candidates:
        assert candidate.sources == (Provenance(SourceId.PROVIDER_DB, "provider_db:mailco", True),)


async def test_an_unlisted_domain_offline_is_empty_and_asks_no_dns() -> None:
    fake = FakeDns({"corp.test": mx_answer("corp.test", "10 aspmx.l.google.com.")})
    outcome = await provider_db.run(context("bo@corp.test", fake, offline=True))
    assert outcome.status is SourceStatus.EMPTY
    assert "offline" in outcome.detail
    assert fake.asked == []


async def test_an_mx_pattern_hit_is_untrusted_without_dnssec() -> None:
    fake = FakeDns(
        {
            "corp.test": mx_answer(
                "corp.test", "20 alt1.aspmx.l.google.com.", "10 aspmx.l.google.com."
            )
        }
    )
    outcome = await provider_db.run(context("bo@corp.test", fake))
    assert fake.asked == [("corp.test", "MX")]
    assert outcome.status is SourceStatus.FOUND
    assert outcome.provider is not None
    assert outcome.provider.id == "google-workspace"
    assert outcome.provider.hints == ("Ask the administrator.",)
    assert outcome.candidates[0].setting.username == "bo@corp.test"
    assert outcome.candidates[0].sources == (
        Provenance(
            SourceId.PROVIDER_DB, "provider_db:google-workspace via MX aspmx.l.google.com", False
        ),
    )
    assert "not DNSSEC-validated" in outcome.detail


async def test_an_mx_pattern_hit_is_trusted_when_dnssec_validated() -> None:
    fake = FakeDns(
        {"corp.test": mx_answer("corp.test", "10 aspmx.l.google.com.", authenticated=True)}
    )
    outcome = await provider_db.run(context("bo@corp.test", fake))
    assert outcome.status is SourceStatus.FOUND
    assert all(c.trusted for c in outcome.candidates)
    assert "DNSSEC-validated" in outcome.detail


async def test_mx_hosts_of_no_known_provider_leave_the_source_empty() -> None:
    fake = FakeDns({"corp.test": mx_answer("corp.test", "10 mx.elsewhere.test.")})
    outcome = await provider_db.run(context("bo@corp.test", fake))
    assert outcome.status is SourceStatus.EMPTY
    assert "mx.elsewhere.test" in outcome.detail


async def test_a_null_mx_leaves_the_source_empty() -> None:
    fake = FakeDns({"corp.test": mx_answer("corp.test", "0 .")})
    outcome = await provider_db.run(context("bo@corp.test", fake))
    assert outcome.status is SourceStatus.EMPTY


async def test_nxdomain_is_an_empty_answer_and_a_timeout_is_a_timeout() -> None:
    outcome = await provider_db.run(context("bo@corp.test", FakeDns({})))
    assert outcome.status is SourceStatus.EMPTY
    slow = FakeDns(
        {
            "corp.test": DnsAnswer(
                "corp.test", "MX", DnsStatus.TIMEOUT, detail="DNS lookup of corp.test MX timed out"
            )
        }
    )
    outcome = await provider_db.run(context("bo@corp.test", slow))
    assert outcome.status is SourceStatus.TIMEOUT
    assert "timed out" in outcome.detail
    failing = FakeDns(
        {"corp.test": DnsAnswer("corp.test", "MX", DnsStatus.SERVFAIL, detail="DNS servers failed")}
    )
    outcome = await provider_db.run(context("bo@corp.test", failing))
    assert outcome.status is SourceStatus.ERROR


async def test_a_broken_database_is_an_error_outcome_not_an_exception(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('id = "bad"\n', encoding="utf-8")
    broken = ProviderDb.load(tmp_path, cache=False)
    outcome = await provider_db.run(context("ann@mailco.test", FakeDns({}), providers=broken))
    assert outcome.status is SourceStatus.ERROR
    assert "bad.toml" in outcome.detail


async def test_the_bundled_database_finds_gmail_offline() -> None:
    outcome = await provider_db.run(
        context("you@gmail.com", FakeDns({}), offline=True, providers=ProviderDb.load(cache=False))
    )
    assert outcome.status is SourceStatus.FOUND
    assert outcome.provider is not None
    assert outcome.provider.id == "gmail"
    assert {(c.setting.protocol, c.setting.host) for c in outcome.candidates} >= {
        (Protocol.IMAP, "imap.gmail.com"),
        (Protocol.SMTP, "smtp.gmail.com"),
    }
