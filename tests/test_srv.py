"""The srv source: RFC 6186/8314 names, RFC 2782 order, '.' targets, trust, failures as data."""

from __future__ import annotations

import time
from collections.abc import Mapping

import dns.rdata
import pytest
from dns.rdtypes.IN.SRV import SRV

from dnsfaults import Behaviour, Fault, FaultDns, Records, source_context
from mailprobe.models import (
    NotOffered,
    Protocol,
    Provenance,
    Security,
    SourceId,
    SourceOutcome,
    SourceStatus,
)
from mailprobe.sources import srv

DOMAIN = "example.test"
ADDRESS = f"alice@{DOMAIN}"
TIMEOUT = 0.6
SLACK = 0.3


def name(label: str) -> str:
    return f"{label}.{DOMAIN}"


def srv_rule(*texts: str, authenticated: bool = False) -> Records:
    return Records("SRV", texts, authenticated=authenticated)


async def run_srv(rules: Mapping[str, Behaviour], *, offline: bool = False) -> SourceOutcome:
    async with FaultDns(rules) as server:
        ctx = source_context(ADDRESS, [server.nameserver], timeout=TIMEOUT, offline=offline)
        return await srv.run(ctx)


def endpoints(outcome: SourceOutcome) -> list[tuple[Protocol, str, int, Security]]:
    return [c.setting.endpoint for c in outcome.candidates]


def records(*texts: str) -> list[SRV]:
    parsed = [dns.rdata.from_text("IN", "SRV", text) for text in texts]
    return [r for r in parsed if isinstance(r, SRV)]


def hosts(ordered: list[SRV]) -> list[str]:
    return [f"{r.priority} {r.weight} {r.target}" for r in ordered]


FULL: dict[str, Behaviour] = {
    name("_imaps._tcp"): srv_rule("0 1 993 imap.example.test."),
    name("_imap._tcp"): srv_rule("10 1 143 imap.example.test."),
    name("_pop3s._tcp"): srv_rule("0 1 995 pop.example.test."),
    name("_pop3._tcp"): srv_rule("0 0 0 ."),
    name("_submissions._tcp"): srv_rule("0 1 465 smtp.example.test."),
    name("_submission._tcp"): srv_rule("10 1 587 smtp.example.test."),
}


async def test_every_service_maps_to_its_protocol_security_and_port() -> None:
    outcome = await run_srv(FULL)
    assert outcome.status is SourceStatus.FOUND
    assert outcome.source is SourceId.SRV
    assert endpoints(outcome) == [
        (Protocol.IMAP, "imap.example.test", 993, Security.TLS),
        (Protocol.IMAP, "imap.example.test", 143, Security.STARTTLS),
        (Protocol.POP3, "pop.example.test", 995, Security.TLS),
        (Protocol.SMTP, "smtp.example.test", 465, Security.TLS),
        (Protocol.SMTP, "smtp.example.test", 587, Security.STARTTLS),
    ]


async def test_provenance_is_the_record_name_and_untrusted_without_dnssec() -> None:
    outcome = await run_srv(FULL)
    first = outcome.candidates[0]
    assert first.sources == (Provenance(SourceId.SRV, "_imaps._tcp.example.test", False),)
    assert not any(c.trusted for c in outcome.candidates)


async def test_username_is_the_full_address() -> None:
    outcome = await run_srv(FULL)
    assert {c.setting.username for c in outcome.candidates} == {ADDRESS}


async def test_dot_target_is_reported_as_not_offered_and_gives_no_candidate() -> None:
    outcome = await run_srv(FULL)
    assert outcome.not_offered == (
        NotOffered(Protocol.POP3, Security.STARTTLS, "_pop3._tcp.example.test"),
    )
    assert all(c.setting.port != 110 for c in outcome.candidates)
    assert "explicitly not offered (target '.'): _pop3._tcp.example.test" in outcome.detail


async def test_dnssec_authenticated_answer_is_trusted() -> None:
    rules = {
        name("_imaps._tcp"): srv_rule("0 1 993 imap.example.test.", authenticated=True),
        name("_submission._tcp"): srv_rule("0 1 587 smtp.example.test."),
    }
    outcome = await run_srv(rules)
    trust = {c.setting.port: c.trusted for c in outcome.candidates}
    assert trust == {993: True, 587: False}
    assert "_imaps._tcp.example.test -> imap.example.test:993 (DNSSEC-authenticated)" in (
        outcome.detail
    )


async def test_records_are_ordered_by_priority_then_weight_then_target() -> None:
    rules = {
        name("_imaps._tcp"): srv_rule(
            "20 0 993 z-last.example.test.",
            "10 5 993 b-light.example.test.",
            "10 60 993 c-heavy.example.test.",
            "10 5 993 a-light.example.test.",
            "5 0 993 first.example.test.",
        )
    }
    outcome = await run_srv(rules)
    assert [c.setting.host for c in outcome.candidates] == [
        "first.example.test",
        "c-heavy.example.test",
        "a-light.example.test",
        "b-light.example.test",
        "z-last.example.test",
    ]


async def test_target_case_and_final_dot_are_normalised() -> None:
    outcome = await run_srv({name("_imaps._tcp"): srv_rule("0 0 993 IMAP.Example.TEST.")})
    assert outcome.candidates[0].setting.host == "imap.example.test"


async def test_port_zero_and_dot_next_to_real_targets_are_ignored_with_a_note() -> None:
    rules = {
        name("_imaps._tcp"): srv_rule("0 0 0 broken.example.test.", "5 0 993 imap.example.test."),
        name("_submission._tcp"): srv_rule("0 0 0 .", "10 0 587 smtp.example.test."),
    }
    outcome = await run_srv(rules)
    assert [c.setting.host for c in outcome.candidates] == [
        "imap.example.test",
        "smtp.example.test",
    ]
    assert outcome.not_offered == ()
    assert "ignored broken.example.test with port 0" in outcome.detail
    assert "ignored the '.' target next to real targets" in outcome.detail


async def test_no_records_anywhere_is_empty() -> None:
    outcome = await run_srv({})
    assert outcome.status is SourceStatus.EMPTY
    assert outcome.candidates == ()
    assert "no SRV record at 6 of 6 names" in outcome.detail


async def test_only_not_offered_services_is_empty_but_keeps_not_offered() -> None:
    rules = {name("_pop3._tcp"): srv_rule("0 0 0 ."), name("_pop3s._tcp"): srv_rule("0 0 0 .")}
    outcome = await run_srv(rules)
    assert outcome.status is SourceStatus.EMPTY
    assert [(n.protocol, n.security) for n in outcome.not_offered] == [
        (Protocol.POP3, Security.TLS),
        (Protocol.POP3, Security.STARTTLS),
    ]


async def test_every_lookup_servfail_is_an_error_with_the_reason() -> None:
    rules = {s.record_name(DOMAIN): Fault.SERVFAIL for s in srv.SERVICES}
    outcome = await run_srv(rules)
    assert outcome.status is SourceStatus.ERROR
    names = ", ".join(s.record_name(DOMAIN) for s in srv.SERVICES)
    assert f"lookup of {names} failed: the DNS server 127.0.0.1:" in outcome.detail
    assert "answered SERVFAIL" in outcome.detail


async def test_every_lookup_silent_is_a_timeout_within_one_dns_timeout() -> None:
    rules = {s.record_name(DOMAIN): Fault.SILENT for s in srv.SERVICES}
    start = time.perf_counter()
    outcome = await run_srv(rules)
    # The six lookups run concurrently: one timeout in total, not six.
    assert time.perf_counter() - start < TIMEOUT + SLACK
    assert outcome.status is SourceStatus.TIMEOUT
    assert "timed out" in outcome.detail


async def test_timeouts_mixed_with_other_failures_are_an_error() -> None:
    rules: dict[str, Behaviour] = {s.record_name(DOMAIN): Fault.SILENT for s in srv.SERVICES}
    rules[name("_imap._tcp")] = Fault.TRUNCATED_GARBAGE
    outcome = await run_srv(rules)
    assert outcome.status is SourceStatus.ERROR
    assert "sent a malformed answer" in outcome.detail


async def test_nothing_found_but_one_lookup_failed_is_not_claimed_empty() -> None:
    outcome = await run_srv({name("_submission._tcp"): Fault.SILENT})
    assert outcome.status is SourceStatus.TIMEOUT
    assert "no SRV record at 5 of 6 names" in outcome.detail
    assert "lookup of _submission._tcp.example.test " in outcome.detail


async def test_partial_failure_still_returns_what_was_found() -> None:
    rules: dict[str, Behaviour] = {
        name("_imaps._tcp"): srv_rule("0 1 993 imap.example.test."),
        name("_submission._tcp"): Fault.SERVFAIL,
    }
    outcome = await run_srv(rules)
    assert outcome.status is SourceStatus.FOUND
    assert endpoints(outcome) == [(Protocol.IMAP, "imap.example.test", 993, Security.TLS)]
    assert "lookup of _submission._tcp.example.test " in outcome.detail


async def test_offline_is_skipped_without_any_query() -> None:
    rules = dict(FULL)
    async with FaultDns(rules) as server:
        ctx = source_context(ADDRESS, [server.nameserver], timeout=TIMEOUT, offline=True)
        outcome = await srv.run(ctx)
        assert sum(server.queries.values()) == 0
    assert outcome.status is SourceStatus.SKIPPED


def test_report_order_is_stable_and_follows_priority_then_weight() -> None:
    given = records("10 1 993 b.test.", "10 1 993 a.test.", "0 0 993 z.test.", "10 9 993 c.test.")
    expected = ["0 0 z.test.", "10 9 c.test.", "10 1 a.test.", "10 1 b.test."]
    for _ in range(20):
        assert hosts(srv.report_order(given)) == expected
        assert hosts(srv.report_order(reversed(given))) == expected


def test_report_order_breaks_equal_host_ties_by_port() -> None:
    given = records("0 0 995 same.test.", "0 0 993 same.test.")
    assert [r.port for r in srv.report_order(given)] == [993, 995]


def test_selection_order_keeps_priority_groups_and_picks_by_weight() -> None:
    given = records("1 0 993 late.test.", "0 90 993 heavy.test.", "0 10 993 light.test.")
    first_picks: dict[str, int] = {}
    for _ in range(300):
        order = srv.selection_order(given)
        assert [r.priority for r in order] == [0, 0, 1]
        key = str(order[0].target)
        first_picks[key] = first_picks.get(key, 0) + 1
    # Weight 90 against 10: the heavy target comes first far more often (RFC 2782).
    assert first_picks["heavy.test."] > first_picks.get("light.test.", 0)


def test_selection_order_of_nothing_is_empty() -> None:
    assert srv.selection_order([]) == []
    assert srv.report_order([]) == []


@pytest.mark.parametrize(
    ("record_name", "expected"),
    [
        ("_imaps._tcp.example.org", (Protocol.IMAP, Security.TLS)),
        ("_IMAP._TCP.example.org", (Protocol.IMAP, Security.STARTTLS)),
        ("_pop3s._tcp.example.org", (Protocol.POP3, Security.TLS)),
        ("_pop3._tcp.example.org", (Protocol.POP3, Security.STARTTLS)),
        ("_submissions._tcp.example.org", (Protocol.SMTP, Security.TLS)),
        ("_submission._tcp.example.org", (Protocol.SMTP, Security.STARTTLS)),
    ],
)
def test_service_of_maps_record_names(
    record_name: str, expected: tuple[Protocol, Security]
) -> None:
    service = srv.service_of(record_name)
    assert service is not None
    assert (service.protocol, service.security) == expected
    assert service.record_name("example.org.") == record_name.lower()


def test_service_of_unknown_name_is_none() -> None:
    assert srv.service_of("_xmpp-client._tcp.example.org") is None
    assert srv.service_of("example.org") is None
