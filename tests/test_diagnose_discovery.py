"""diagnose_discovery: what the sources said, judged before any connection is made."""

from __future__ import annotations

from mailprobe.diagnose import FindingId, diagnose_discovery
from mailprobe.discovery import merge_candidates
from mailprobe.models import (
    Address,
    Candidate,
    DiscoveryResult,
    Finding,
    NotOffered,
    Protocol,
    Provenance,
    ProviderInfo,
    ProviderStatus,
    Security,
    ServerSetting,
    Severity,
    SourceId,
    SourceOutcome,
    SourceStatus,
)

IMAP, POP3, SMTP = Protocol.IMAP, Protocol.POP3, Protocol.SMTP
TLS, STARTTLS, PLAIN = Security.TLS, Security.STARTTLS, Security.PLAIN
ALICE = Address("alice", "example.org", "example.org")


def outcome(
    source: SourceId,
    settings: list[tuple[Protocol, str, int, Security]],
    *,
    trusted: bool,
    status: SourceStatus = SourceStatus.FOUND,
    detail: str = "",
    provider: ProviderInfo | None = None,
    not_offered: tuple[NotOffered, ...] = (),
) -> SourceOutcome:
    provenance = Provenance(source, f"{source.value}-origin", trusted)
    candidates = tuple(
        Candidate(ServerSetting(p, h, port, s), (provenance,)) for p, h, port, s in settings
    )
    return SourceOutcome(
        source, status, 5.0, detail, candidates, provider=provider, not_offered=not_offered
    )


def result(*outcomes: SourceOutcome, provider: ProviderInfo | None = None) -> DiscoveryResult:
    return DiscoveryResult(
        address=ALICE,
        candidates=merge_candidates(outcomes),
        sources=tuple(outcomes),
        provider=provider,
    )


def of(findings: tuple[Finding, ...], fid: FindingId) -> list[Finding]:
    return [f for f in findings if f.id == fid]


def test_nothing_found_when_every_source_failed_blames_the_network() -> None:
    r = result(
        outcome(SourceId.AUTOCONFIG, [], trusted=True, status=SourceStatus.TIMEOUT),
        outcome(SourceId.SRV, [], trusted=False, status=SourceStatus.ERROR),
    )
    findings = diagnose_discovery(r)
    assert [f.id for f in findings] == [FindingId.DISCOVERY_NOTHING_FOUND]
    f = findings[0]
    assert f.severity is Severity.ERROR
    assert "example.org" in f.summary
    assert "network" in f.advice
    assert "mailprobe probe" in f.advice


def test_nothing_found_when_sources_answered_empty_says_nothing_is_published() -> None:
    r = result(
        outcome(SourceId.AUTOCONFIG, [], trusted=True, status=SourceStatus.EMPTY),
        outcome(SourceId.ISPDB, [], trusted=True, status=SourceStatus.SKIPPED),
    )
    f = of(diagnose_discovery(r), FindingId.DISCOVERY_NOTHING_FOUND)[0]
    assert "publishes no autoconfig file" in f.advice
    assert "Not asked: ispdb." in f.advice
    # Only what was asked is reported: SRV was not asked, so no claim about SRV records.
    assert "SRV" not in f.advice
    assert "not in mailprobe's database" not in f.advice


def test_nothing_found_offline_claims_nothing_about_unasked_sources() -> None:
    r = result(
        outcome(SourceId.PROVIDER_DB, [], trusted=True, status=SourceStatus.EMPTY),
        *(
            outcome(s, [], trusted=False, status=SourceStatus.SKIPPED)
            for s in (SourceId.AUTOCONFIG, SourceId.SRV)
        ),
    )
    f = of(diagnose_discovery(r), FindingId.DISCOVERY_NOTHING_FOUND)[0]
    assert "publishes" not in f.advice
    assert "autoconfig file" not in f.advice
    assert "without --offline" in f.advice


def test_nothing_found_for_a_broken_provider_does_not_say_it_is_unknown() -> None:
    r = result(outcome(SourceId.PROVIDER_DB, [], trusted=True, status=SourceStatus.FOUND))
    broken = ProviderInfo("hey", "HEY", ProviderStatus.BROKEN, hints=("HEY has no IMAP.",))
    r = DiscoveryResult(r.address, r.candidates, r.sources, broken)
    findings = diagnose_discovery(r)
    f = of(findings, FindingId.DISCOVERY_NOTHING_FOUND)[0]
    assert "not in mailprobe's database" not in f.advice
    assert "HEY is in mailprobe's database" in f.advice
    assert of(findings, FindingId.PROVIDER_BROKEN)


def test_trusted_sources_naming_different_hosts_disagree() -> None:
    r = result(
        outcome(SourceId.PROVIDER_DB, [(IMAP, "imap.example.org", 993, TLS)], trusted=True),
        outcome(SourceId.AUTOCONFIG, [(IMAP, "mail.oldhost.net", 993, TLS)], trusted=True),
    )
    found = of(diagnose_discovery(r), FindingId.DISCOVERY_SOURCES_DISAGREE)
    assert len(found) == 1
    f = found[0]
    assert f.severity is Severity.WARNING
    assert f.protocol is IMAP
    assert "imap.example.org port 993" in f.summary
    assert "mail.oldhost.net port 993" in f.summary
    assert "provider database" in f.summary
    assert "autoconfig" in f.summary


def test_trusted_sources_sharing_one_endpoint_agree() -> None:
    r = result(
        outcome(
            SourceId.PROVIDER_DB,
            [(SMTP, "smtp.example.org", 465, TLS), (SMTP, "smtp.example.org", 587, STARTTLS)],
            trusted=True,
        ),
        outcome(SourceId.ISPDB, [(SMTP, "smtp.example.org", 587, STARTTLS)], trusted=True),
        outcome(SourceId.SRV, [(SMTP, "other.example.net", 587, STARTTLS)], trusted=False),
    )
    assert of(diagnose_discovery(r), FindingId.DISCOVERY_SOURCES_DISAGREE) == []


def test_untrusted_host_outside_the_domain_is_flagged_once_per_host() -> None:
    r = result(
        outcome(
            SourceId.SRV,
            [(IMAP, "mail.hoster.net", 993, TLS), (SMTP, "mail.hoster.net", 465, TLS)],
            trusted=False,
        ),
        outcome(SourceId.GUESS, [(IMAP, "imap.example.org", 993, TLS)], trusted=False),
    )
    found = of(diagnose_discovery(r), FindingId.DISCOVERY_UNTRUSTED_FOREIGN_HOST)
    assert len(found) == 1
    f = found[0]
    assert f.severity is Severity.WARNING
    assert f.host == "mail.hoster.net"
    assert "IMAP port 993, SMTP port 465" in f.summary
    assert "example.org" in f.summary
    assert "DNS SRV records" in f.summary
    assert "will not send a password" in f.advice


def test_untrusted_host_is_fine_inside_the_registrable_domain_or_provider() -> None:
    provider = ProviderInfo(
        "hoster", "Hoster", ProviderStatus.OK, domains=("*.hoster.net", "hoster-mail.com")
    )
    r = result(
        outcome(SourceId.SRV, [(IMAP, "imap.eu.example.org", 993, TLS)], trusted=False),
        outcome(SourceId.MX, [(IMAP, "imap.hoster-mail.com", 993, TLS)], trusted=False),
        outcome(SourceId.MX, [(SMTP, "smtp.hoster.net", 465, TLS)], trusted=False),
        provider=provider,
    )
    assert of(diagnose_discovery(r), FindingId.DISCOVERY_UNTRUSTED_FOREIGN_HOST) == []


def test_untrusted_host_in_the_same_domain_as_a_trusted_one_is_fine() -> None:
    r = result(
        outcome(SourceId.PROVIDER_DB, [(IMAP, "imap.gmail.com", 993, TLS)], trusted=True),
        outcome(SourceId.SRV, [(SMTP, "smtp.gmail.com", 587, STARTTLS)], trusted=False),
    )
    assert of(diagnose_discovery(r), FindingId.DISCOVERY_UNTRUSTED_FOREIGN_HOST) == []


def test_provider_status_and_hints() -> None:
    broken = ProviderInfo(
        "tuta",
        "Tuta",
        ProviderStatus.BROKEN,
        hints=("Tuta offers no IMAP or SMTP.",),
        docs=("https://tuta.com/support",),
    )
    f = diagnose_discovery(result(provider=broken))[-1]
    assert (f.id, f.severity) == (FindingId.PROVIDER_BROKEN, Severity.ERROR)
    assert "Tuta offers no IMAP" in f.summary
    assert "https://tuta.com/support" in f.advice

    prep = ProviderInfo(
        "gmx", "GMX", ProviderStatus.PREPARATION, hints=("Enable IMAP in the web settings.",)
    )
    f = of(diagnose_discovery(result(provider=prep)), FindingId.PROVIDER_PREPARATION)[0]
    assert f.severity is Severity.WARNING
    assert "Enable IMAP" in f.summary

    hint = ProviderInfo("x", "Example Mail", ProviderStatus.OK, hints=("Use an app password.",))
    f = of(diagnose_discovery(result(provider=hint)), FindingId.PROVIDER_HINT)[0]
    assert f.severity is Severity.INFO
    assert f.summary == "Example Mail: Use an app password."

    quiet = ProviderInfo("y", "Quiet Mail", ProviderStatus.OK)
    assert of(diagnose_discovery(result(provider=quiet)), FindingId.PROVIDER_HINT) == []


def test_source_with_only_plaintext_settings() -> None:
    alone = result(
        outcome(SourceId.AUTOCONFIG, [(POP3, "pop.example.org", 110, PLAIN)], trusted=True)
    )
    f = of(diagnose_discovery(alone), FindingId.DISCOVERY_PLAINTEXT_ONLY)[0]
    assert f.severity is Severity.WARNING
    assert "autoconfig" in f.summary
    assert "pop.example.org port 110" in f.summary
    assert "No encrypted POP3 setting" in f.advice

    with_tls = result(
        outcome(SourceId.PROVIDER_DB, [(POP3, "pop.example.org", 995, TLS)], trusted=True),
        outcome(SourceId.AUTOCONFIG, [(POP3, "pop.example.org", 110, PLAIN)], trusted=True),
    )
    f = of(diagnose_discovery(with_tls), FindingId.DISCOVERY_PLAINTEXT_ONLY)[0]
    assert f.severity is Severity.INFO
    assert "outdated" in f.advice


def test_srv_dot_target_is_reported_as_not_offered() -> None:
    r = result(
        outcome(
            SourceId.SRV,
            [(IMAP, "imap.example.org", 993, TLS)],
            trusted=False,
            not_offered=(NotOffered(POP3, PLAIN, "_pop3._tcp.example.org"),),
        )
    )
    f = of(diagnose_discovery(r), FindingId.DISCOVERY_NOT_OFFERED)[0]
    assert f.severity is Severity.INFO
    assert f.protocol is POP3
    assert "_pop3._tcp.example.org" in f.summary
    assert "POP3 with no encryption is not offered" in f.summary


def test_not_offered_contradicted_by_another_source_says_so() -> None:
    r = result(
        outcome(
            SourceId.SRV,
            [],
            trusted=False,
            not_offered=(NotOffered(POP3, TLS, "_pop3s._tcp.example.org"),),
        ),
        outcome(SourceId.ISPDB, [(POP3, "pop.example.org", 995, TLS)], trusted=True),
    )
    f = of(diagnose_discovery(r), FindingId.DISCOVERY_NOT_OFFERED)[0]
    assert "pop.example.org port 995" in f.advice


def test_clean_discovery_has_no_findings() -> None:
    r = result(
        outcome(
            SourceId.PROVIDER_DB,
            [(IMAP, "imap.example.org", 993, TLS), (SMTP, "smtp.example.org", 465, TLS)],
            trusted=True,
        ),
        outcome(SourceId.SRV, [(IMAP, "imap.example.org", 993, TLS)], trusted=False),
    )
    assert diagnose_discovery(r) == ()
