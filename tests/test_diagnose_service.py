"""diagnose_service: the verdict over all probed endpoints of one protocol."""

from __future__ import annotations

from mailprobe.diagnose import FindingId, diagnose_service
from mailprobe.models import (
    Candidate,
    Cause,
    ProbedCandidate,
    ProbePhase,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Provenance,
    Security,
    ServerSetting,
    Severity,
    SourceId,
    Timings,
    TlsInfo,
)

IMAP, POP3, SMTP = Protocol.IMAP, Protocol.POP3, Protocol.SMTP
TLS, STARTTLS, PLAIN = Security.TLS, Security.STARTTLS, Security.PLAIN
SESSION_TLS = TlsInfo("TLSv1.3", "TLS_AES_128_GCM_SHA256", verified=True)


def probed(
    protocol: Protocol, host: str, port: int, security: Security, probe: ProbeResult | None
) -> ProbedCandidate:
    candidate = Candidate(
        ServerSetting(protocol, host, port, security),
        (Provenance(SourceId.SRV, f"_imaps._tcp.example.org -> {host}", trusted=False),),
    )
    return ProbedCandidate(candidate, probe)


def working(security: Security, **fields: object) -> ProbeResult:
    tls = None if security is PLAIN else SESSION_TLS
    values: dict[str, object] = {"status": ProbeStatus.OK, "ip": "192.0.2.1", "tls": tls}
    values.update(fields)
    return ProbeResult(**values)  # type: ignore[arg-type]


def test_no_working_endpoint_lists_what_was_tried_and_suspects_the_network() -> None:
    entries = [
        probed(IMAP, "imap.example.org", 993, TLS, ProbeResult(ProbeStatus.TIMEOUT, "timed out")),
        probed(
            IMAP,
            "imap.example.org",
            143,
            STARTTLS,
            ProbeResult(ProbeStatus.REFUSED, "connection refused"),
        ),
    ]
    findings = diagnose_service(IMAP, entries)
    assert [f.id for f in findings] == [FindingId.SERVICE_NO_WORKING_ENDPOINT]
    f = findings[0]
    assert f.severity is Severity.ERROR
    assert f.protocol is IMAP
    assert "imap.example.org port 993 SSL/TLS: timed out" in f.summary
    assert "imap.example.org port 143 STARTTLS: connection refused" in f.summary
    assert "another network" in f.advice


def test_servers_that_accepted_the_connection_are_not_called_unreachable() -> None:
    stalled = ProbeResult(
        ProbeStatus.TIMEOUT,
        "TLS: timed out after 10 s",
        ip="192.0.2.1",
        timings=Timings(connect=1.0),
        failed_phase=ProbePhase.TLS,
        cause=Cause.TIMEOUT,
    )
    filtered = ProbeResult(
        ProbeStatus.TIMEOUT, "timed out", failed_phase=ProbePhase.CONNECT, cause=Cause.TIMEOUT
    )
    entries = [
        probed(IMAP, "imap.example.org", 993, TLS, stalled),
        probed(IMAP, "imap.example.org", 143, STARTTLS, filtered),
    ]
    f = diagnose_service(IMAP, entries)[0]
    assert f.id == FindingId.SERVICE_NO_WORKING_ENDPOINT
    assert "could be reached" not in f.advice
    assert "own finding" in f.advice
    only_filtered = diagnose_service(IMAP, entries[1:])[0]
    assert "None of the servers could be reached" in only_filtered.advice


def test_no_working_endpoint_for_mixed_failures_points_at_each_finding() -> None:
    entries = [
        probed(
            SMTP,
            "smtp.example.org",
            465,
            TLS,
            ProbeResult(ProbeStatus.TLS_ERROR, "certificate has expired"),
        ),
        probed(
            SMTP, "smtp.example.org", 587, STARTTLS, ProbeResult(ProbeStatus.TIMEOUT, "timed out")
        ),
    ]
    f = diagnose_service(SMTP, entries)[0]
    assert f.id == FindingId.SERVICE_NO_WORKING_ENDPOINT
    assert "certificate has expired" in f.summary
    assert "own finding" in f.advice


def test_rate_limited_everywhere_says_try_later() -> None:
    entries = [
        probed(
            SMTP,
            "smtp.example.org",
            587,
            STARTTLS,
            ProbeResult(ProbeStatus.RATE_LIMITED, "421 4.7.0 too many connections"),
        )
    ]
    f = diagnose_service(SMTP, entries)[0]
    assert f.id == FindingId.SERVICE_NO_WORKING_ENDPOINT
    assert "few minutes" in f.advice


def test_only_starttls_works_is_info_citing_rfc_8314() -> None:
    entries = [
        probed(IMAP, "imap.example.org", 993, TLS, ProbeResult(ProbeStatus.REFUSED, "refused")),
        probed(IMAP, "imap.example.org", 143, STARTTLS, working(STARTTLS, starttls_offered=True)),
    ]
    findings = diagnose_service(IMAP, entries)
    assert [f.id for f in findings] == [FindingId.SERVICE_STARTTLS_ONLY]
    f = findings[0]
    assert f.severity is Severity.INFO
    assert "imap.example.org port 143 STARTTLS" in f.summary
    assert "RFC 8314" in f.advice
    assert "993" in f.advice


def test_only_plaintext_works_is_an_error() -> None:
    entries = [
        probed(POP3, "pop.example.org", 110, PLAIN, working(PLAIN, starttls_offered=False)),
    ]
    f = diagnose_service(POP3, entries)[0]
    assert f.id == FindingId.SERVICE_PLAINTEXT_ONLY
    assert f.severity is Severity.ERROR
    assert "995" in f.advice


def test_starttls_setting_that_ran_without_tls_counts_as_plaintext() -> None:
    probe = working(STARTTLS, tls=None, starttls_offered=False)
    entries = [probed(POP3, "pop.example.org", 110, STARTTLS, probe)]
    assert [f.id for f in diagnose_service(POP3, entries)] == [FindingId.SERVICE_PLAINTEXT_ONLY]


def test_working_implicit_tls_needs_no_service_finding() -> None:
    entries = [
        probed(SMTP, "smtp.example.org", 465, TLS, working(TLS)),
        probed(SMTP, "smtp.example.org", 587, STARTTLS, ProbeResult(ProbeStatus.TIMEOUT, "x")),
    ]
    assert diagnose_service(SMTP, entries) == ()


def test_other_protocols_and_unprobed_entries_are_ignored() -> None:
    entries = [
        probed(IMAP, "imap.example.org", 993, TLS, None),
        probed(SMTP, "smtp.example.org", 465, TLS, ProbeResult(ProbeStatus.TIMEOUT, "x")),
    ]
    assert diagnose_service(IMAP, entries) == ()
    assert diagnose_service(POP3, entries) == ()


def test_all_skipped_is_not_tested_info() -> None:
    entries = [
        probed(
            IMAP,
            "imap.example.org",
            993,
            TLS,
            ProbeResult(ProbeStatus.SKIPPED, "not probed", timings=Timings()),
        )
    ]
    f = diagnose_service(IMAP, entries)[0]
    assert f.id == FindingId.SERVICE_NOT_TESTED
    assert f.severity is Severity.INFO
    assert "imap.example.org port 993" in f.summary


def test_a_refused_login_does_not_make_the_server_count_as_broken() -> None:
    probe = working(TLS, status=ProbeStatus.AUTH_FAILED, reason="login: wrong_credentials")
    entries = [probed(IMAP, "imap.example.org", 993, TLS, probe)]
    assert diagnose_service(IMAP, entries) == ()
