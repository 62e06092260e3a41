"""The guess source: common names on standard ports, only for names that resolve."""

from __future__ import annotations

import time
from collections.abc import Mapping

from dnsfaults import Behaviour, Fault, FaultDns, Records, source_context
from mailprobe.models import Protocol, Provenance, Security, SourceId, SourceOutcome, SourceStatus
from mailprobe.sources import guess

DOMAIN = "example.test"
ADDRESS = f"bob@{DOMAIN}"
TIMEOUT = 0.6
SLACK = 0.3
A = Records("A", ("192.0.2.10",))
AAAA = Records("AAAA", ("2001:db8::10",))


async def run_guess(rules: Mapping[str, Behaviour], *, offline: bool = False) -> SourceOutcome:
    async with FaultDns(rules) as server:
        ctx = source_context(ADDRESS, [server.nameserver], timeout=TIMEOUT, offline=offline)
        return await guess.run(ctx)


def endpoints(outcome: SourceOutcome) -> list[tuple[Protocol, str, int, Security]]:
    return [c.setting.endpoint for c in outcome.candidates]


def test_guessed_hosts_are_the_five_usual_names() -> None:
    assert guess.guessed_hosts(DOMAIN) == (
        "imap.example.test",
        "mail.example.test",
        "example.test",
        "pop.example.test",
        "smtp.example.test",
    )


def test_guessed_settings_use_standard_ports_implicit_tls_first() -> None:
    settings = guess.guessed_settings(DOMAIN, ADDRESS)
    by_protocol = {
        p: sorted({(s.port, s.security) for s in settings if s.protocol is p}) for p in Protocol
    }
    assert by_protocol == {
        Protocol.IMAP: [(143, Security.STARTTLS), (993, Security.TLS)],
        Protocol.POP3: [(110, Security.STARTTLS), (995, Security.TLS)],
        Protocol.SMTP: [(465, Security.TLS), (587, Security.STARTTLS)],
    }
    imap_hosts = [s.host for s in settings if s.protocol is Protocol.IMAP and s.port == 993]
    assert imap_hosts == ["imap.example.test", "mail.example.test", "example.test"]
    assert len(settings) == 18


async def test_only_names_that_resolve_become_candidates() -> None:
    outcome = await run_guess({"imap.example.test": A, "smtp.example.test": AAAA})
    assert outcome.status is SourceStatus.FOUND
    assert endpoints(outcome) == [
        (Protocol.IMAP, "imap.example.test", 993, Security.TLS),
        (Protocol.IMAP, "imap.example.test", 143, Security.STARTTLS),
        (Protocol.SMTP, "smtp.example.test", 465, Security.TLS),
        (Protocol.SMTP, "smtp.example.test", 587, Security.STARTTLS),
    ]
    assert "names that resolve: imap.example.test, smtp.example.test" in outcome.detail
    assert "mail.example.test (does not exist)" in outcome.detail
    assert "pop.example.test (does not exist)" in outcome.detail


async def test_guesses_are_untrusted_with_origin_guess_and_the_full_address() -> None:
    outcome = await run_guess({"mail.example.test": A})
    assert outcome.candidates
    for candidate in outcome.candidates:
        assert candidate.sources == (Provenance(SourceId.GUESS, "guess", False),)
        assert not candidate.trusted
        assert candidate.setting.username == ADDRESS
    # mail.D stands in for every protocol.
    assert {c.protocol for c in outcome.candidates} == set(Protocol)


async def test_name_without_addresses_is_dropped_as_no_address() -> None:
    outcome = await run_guess({"example.test": Records("TXT", ('"web only"',))})
    assert outcome.status is SourceStatus.EMPTY
    assert "example.test (no A or AAAA record)" in outcome.detail


async def test_nothing_resolves_is_empty() -> None:
    outcome = await run_guess({})
    assert outcome.status is SourceStatus.EMPTY
    assert outcome.candidates == ()
    assert outcome.detail.startswith("dropped: imap.example.test (does not exist)")


async def test_every_lookup_failing_is_an_error_naming_the_failure() -> None:
    rules = {host: Fault.SERVFAIL for host in guess.guessed_hosts(DOMAIN)}
    outcome = await run_guess(rules)
    assert outcome.status is SourceStatus.ERROR
    assert "answered SERVFAIL" in outcome.detail


async def test_silent_dns_is_a_timeout_within_one_dns_timeout() -> None:
    rules = {host: Fault.SILENT for host in guess.guessed_hosts(DOMAIN)}
    start = time.perf_counter()
    outcome = await run_guess(rules)
    assert time.perf_counter() - start < TIMEOUT + SLACK
    assert outcome.status is SourceStatus.TIMEOUT
    assert "timed out" in outcome.detail


async def test_one_failed_name_does_not_hide_the_others() -> None:
    outcome = await run_guess({"imap.example.test": A, "smtp.example.test": Fault.SILENT})
    assert outcome.status is SourceStatus.FOUND
    assert {c.setting.host for c in outcome.candidates} == {"imap.example.test"}
    assert "smtp.example.test (DNS lookup of smtp.example.test" in outcome.detail


async def test_offline_is_skipped_without_any_query() -> None:
    async with FaultDns({"imap.example.test": A}) as server:
        ctx = source_context(ADDRESS, [server.nameserver], timeout=TIMEOUT, offline=True)
        outcome = await guess.run(ctx)
        assert sum(server.queries.values()) == 0
    assert outcome.status is SourceStatus.SKIPPED
