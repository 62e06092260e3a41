"""diagnose_probe: each situation a real probe reports becomes the right finding and words.

Every ProbeResult here is shaped like the one mailprobe.probes produces for that situation
(status, cause, failed phase, detected mode). Diagnosis reads only those structured fields:
reasons are quoted, never interpreted, so the tests below also prove that words alone
change nothing.
"""

from __future__ import annotations

import pytest

from mailprobe.diagnose import FindingId, diagnose_probe
from mailprobe.diagnose.catalogue import MODE_NAMES
from mailprobe.models import (
    Candidate,
    Cause,
    CertInfo,
    FailedAttempt,
    Finding,
    LoginResult,
    LoginStatus,
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
from mailprobe.net.failures import CERT_TEXT

IMAP, POP3, SMTP = Protocol.IMAP, Protocol.POP3, Protocol.SMTP
TLS, STARTTLS, PLAIN = Security.TLS, Security.STARTTLS, Security.PLAIN
CONNECTED = Timings(dns=1.0, connect=2.0, banner=3.0, tls=8.0, capabilities=2.0, total=20.0)


def cand(protocol: Protocol, host: str, port: int, security: Security) -> Candidate:
    origin = f"https://autoconfig.example.org/mail/config-v1.1.xml#{port}"
    return Candidate(
        ServerSetting(protocol, host, port, security),
        (Provenance(SourceId.AUTOCONFIG, origin, trusted=True),),
    )


def good_tls(days_left: int = 200, version: str = "TLSv1.3") -> TlsInfo:
    cert = CertInfo(
        subject="CN=mail.example.org",
        san=("mail.example.org", "imap.example.org", "smtp.example.org"),
        issuer="CN=R11,O=Let's Encrypt,C=US",
        not_after="2027-01-01T00:00:00Z",
        days_left=days_left,
    )
    return TlsInfo(version, "TLS_AES_256_GCM_SHA384", verified=True, cert=cert)


def ok(**fields: object) -> ProbeResult:
    base: dict[str, object] = {
        "status": ProbeStatus.OK,
        "ip": "192.0.2.10",
        "timings": CONNECTED,
        "banner": "* OK [CAPABILITY IMAP4rev1] ready",
        "tls": good_tls(),
    }
    base.update(fields)
    return ProbeResult(**base)  # type: ignore[arg-type]


def only(findings: tuple[Finding, ...], fid: FindingId) -> Finding:
    matching = [f for f in findings if f.id == fid]
    assert len(matching) == 1, [f.id for f in findings]
    return matching[0]


def ids(findings: tuple[Finding, ...]) -> list[str]:
    return [f.id for f in findings]


def assert_names_endpoint(finding: Finding, c: Candidate) -> None:
    text = f"{finding.summary} {finding.advice}"
    setting = c.setting
    assert setting.host in text
    assert str(setting.port) in text
    assert MODE_NAMES[setting.security] in text
    assert (finding.protocol, finding.host, finding.port) == (
        setting.protocol,
        setting.host,
        setting.port,
    )


# --------------------------------------------------------------------------- reaching it


def test_connection_refused_is_an_error_naming_the_port() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = ProbeResult(
        ProbeStatus.REFUSED,
        "connecting: connection refused",
        failed_phase=ProbePhase.CONNECT,
        cause=Cause.REFUSED,
        failed_attempts=(
            FailedAttempt("192.0.2.10", ProbeStatus.REFUSED, "connection refused", Cause.REFUSED),
        ),
    )
    findings = diagnose_probe(c, probe)
    assert ids(findings) == [FindingId.CONNECT_REFUSED]
    f = findings[0]
    assert f.severity is Severity.ERROR
    assert_names_endpoint(f, c)
    assert "refused" in f.summary


def test_network_unreachable_is_not_called_refused() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = ProbeResult(
        ProbeStatus.REFUSED,
        "connecting: network unreachable: Network is unreachable",
        failed_phase=ProbePhase.CONNECT,
        cause=Cause.UNREACHABLE,
    )
    f = only(diagnose_probe(c, probe), FindingId.CONNECT_UNREACHABLE)
    assert f.severity is Severity.ERROR
    assert_names_endpoint(f, c)
    assert "IPv6" in f.advice


def test_filtered_port_times_out_at_connect_and_advises_another_network() -> None:
    c = cand(SMTP, "smtp.example.org", 587, STARTTLS)
    probe = ProbeResult(
        ProbeStatus.TIMEOUT,
        "connecting: timed out after 5 s",
        failed_phase=ProbePhase.CONNECT,
        cause=Cause.TIMEOUT,
    )
    f = only(diagnose_probe(c, probe), FindingId.CONNECT_TIMEOUT)
    assert f.severity is Severity.ERROR
    assert_names_endpoint(f, c)
    assert "connecting: timed out after 5 s" in f.summary
    assert "firewall" in f.advice
    assert "hotspot" in f.advice
    assert "port 25" not in f.advice


def test_timeout_on_port_25_mentions_providers_blocking_it() -> None:
    c = cand(SMTP, "mx.example.org", 25, STARTTLS)
    probe = ProbeResult(ProbeStatus.TIMEOUT, "timed out", failed_phase=ProbePhase.CONNECT)
    f = only(diagnose_probe(c, probe), FindingId.CONNECT_TIMEOUT)
    assert "block outgoing port 25" in f.advice
    assert "587" in f.advice


def test_timeout_without_phase_uses_timings_to_tell_filtered_from_silent() -> None:
    c = cand(IMAP, "imap.example.org", 143, STARTTLS)
    filtered = ProbeResult(ProbeStatus.TIMEOUT, "timed out")
    assert ids(diagnose_probe(c, filtered)) == [FindingId.CONNECT_TIMEOUT]
    silent = ProbeResult(
        ProbeStatus.TIMEOUT, "timed out", ip="192.0.2.10", timings=Timings(connect=1.0)
    )
    f = only(diagnose_probe(c, silent), FindingId.CONNECT_NO_GREETING)
    assert_names_endpoint(f, c)


def test_connection_reset_before_the_greeting() -> None:
    c = cand(POP3, "pop.example.org", 995, TLS)
    probe = ProbeResult(
        ProbeStatus.PROTOCOL_ERROR,
        "TLS: the server closed the connection unexpectedly",
        ip="192.0.2.10",
        timings=Timings(connect=1.5),
        failed_phase=ProbePhase.TLS,
        cause=Cause.RESET,
    )
    findings = diagnose_probe(c, probe)
    assert ids(findings) == [FindingId.CONNECT_RESET]
    assert findings[0].severity is Severity.ERROR
    assert_names_endpoint(findings[0], c)
    assert "closed the connection unexpectedly" in findings[0].summary


@pytest.mark.parametrize("cause", [Cause.RESET, Cause.CLOSED])
def test_reset_and_close_are_recognised_from_the_cause_whatever_the_words(cause: Cause) -> None:
    c = cand(POP3, "pop.example.org", 110, STARTTLS)
    probe = ProbeResult(ProbeStatus.PROTOCOL_ERROR, "zzz", cause=cause)
    assert ids(diagnose_probe(c, probe)) == [FindingId.CONNECT_RESET]


def test_words_about_a_reset_without_the_cause_are_only_quoted() -> None:
    c = cand(POP3, "pop.example.org", 110, STARTTLS)
    probe = ProbeResult(
        ProbeStatus.PROTOCOL_ERROR, "the connection was aborted", cause=Cause.GARBAGE
    )
    f = only(diagnose_probe(c, probe), FindingId.PROTOCOL_UNEXPECTED)
    assert "the connection was aborted" in f.summary


def test_server_that_stops_answering_after_greeting_is_stalled() -> None:
    c = cand(SMTP, "smtp.example.org", 587, STARTTLS)
    probe = ProbeResult(
        ProbeStatus.TIMEOUT,
        "reading capabilities: timed out after 10 s",
        ip="192.0.2.10",
        timings=Timings(connect=1.0, banner=4.0),
        banner="220 smtp.example.org ESMTP",
        failed_phase=ProbePhase.CAPABILITIES,
        cause=Cause.TIMEOUT,
    )
    f = only(diagnose_probe(c, probe), FindingId.CONNECT_STALLED)
    assert_names_endpoint(f, c)


@pytest.mark.parametrize(
    ("banner_ms", "severity"), [(7_200.0, Severity.INFO), (21_000.0, Severity.WARNING)]
)
def test_slow_greeting_is_reported_not_failed(banner_ms: float, severity: Severity) -> None:
    c = cand(SMTP, "smtp.example.org", 587, STARTTLS)
    timings = Timings(dns=1.0, connect=2.0, banner=banner_ms, tls=9.0, total=banner_ms + 20)
    probe = ok(
        timings=timings,
        banner="220 smtp.example.org ESMTP",
        starttls_offered=True,
        auth_mechanisms=("PLAIN",),
    )
    findings = diagnose_probe(c, probe)
    f = only(findings, FindingId.CONNECT_GREETING_SLOW)
    assert f.severity is severity
    assert f"{banner_ms / 1000:.1f} s" in f.summary
    assert_names_endpoint(f, c)
    assert all(x.severity is not Severity.ERROR for x in findings)


def test_greeting_within_five_seconds_is_not_mentioned() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    assert diagnose_probe(c, ok(timings=Timings(connect=1.0, banner=4_900.0))) == ()


def test_dns_nxdomain_says_the_name_does_not_exist() -> None:
    c = cand(IMAP, "imap.exmaple.org", 993, TLS)
    probe = ProbeResult(
        ProbeStatus.DNS_ERROR,
        "looking up the server: imap.exmaple.org does not exist (NXDOMAIN)",
        failed_phase=ProbePhase.DNS,
        cause=Cause.NO_SUCH_HOST,
    )
    f = only(diagnose_probe(c, probe), FindingId.DNS_NO_SUCH_HOST)
    assert f.severity is Severity.ERROR
    assert_names_endpoint(f, c)
    assert "spelling" in f.advice


def test_dns_timeout_is_a_lookup_failure_not_a_missing_name() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = ProbeResult(
        ProbeStatus.DNS_ERROR,
        "DNS lookup of imap.example.org A timed out after 5 s (no usable answer from "
        "127.0.0.1:5353)",
        failed_phase=ProbePhase.DNS,
        cause=Cause.DNS_TIMEOUT,
    )
    f = only(diagnose_probe(c, probe), FindingId.DNS_LOOKUP_FAILED)
    assert f.severity is Severity.ERROR
    assert_names_endpoint(f, c)


def test_rate_limited_421_is_a_warning_not_a_missing_feature() -> None:
    c = cand(SMTP, "smtp.example.org", 587, STARTTLS)
    probe = ProbeResult(
        ProbeStatus.RATE_LIMITED,
        "the server is busy or limiting connections (421): 4.7.0 Too many connections from "
        "your host, try again later",
        ip="192.0.2.10",
        timings=Timings(connect=1.0, banner=2.0),
        banner="421 4.7.0 Too many connections from your host, try again later",
    )
    findings = diagnose_probe(c, probe)
    assert ids(findings) == [FindingId.CONNECT_RATE_LIMITED]
    f = findings[0]
    assert f.severity is Severity.WARNING
    assert "421" in f.summary
    assert_names_endpoint(f, c)


def test_ipv6_failure_while_ipv4_works() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = ok(
        ip="192.0.2.10",
        failed_attempts=(
            FailedAttempt("2001:db8::10", ProbeStatus.TIMEOUT, "timed out", Cause.TIMEOUT),
        ),
    )
    f = only(diagnose_probe(c, probe), FindingId.NET_IPV6_FAILS)
    assert f.severity is Severity.WARNING
    assert "2001:db8::10" in f.summary
    assert "192.0.2.10" in f.summary
    assert "AAAA" in f.advice
    assert_names_endpoint(f, c)


def test_one_of_two_ipv4_addresses_failing_is_not_called_ipv6() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = ok(
        ip="192.0.2.11",
        failed_attempts=(
            FailedAttempt("192.0.2.10", ProbeStatus.REFUSED, "connection refused", Cause.REFUSED),
        ),
    )
    assert ids(diagnose_probe(c, probe)) == [FindingId.NET_ADDRESS_FAILS]


# --------------------------------------------------------------------------- protocol and mode


def test_pop3_server_on_an_imap_setting_is_the_wrong_service() -> None:
    c = cand(IMAP, "mail.example.org", 110, STARTTLS)
    probe = ProbeResult(
        ProbeStatus.PROTOCOL_ERROR,
        "waiting for the greeting: expected a IMAP greeting but the server speaks POP3 "
        "('+OK Dovecot ready.')",
        ip="192.0.2.10",
        timings=Timings(connect=1.0, banner=2.0),
        banner="+OK Dovecot ready.",
        detected_protocol=POP3,
        failed_phase=ProbePhase.BANNER,
        cause=Cause.WRONG_PROTOCOL,
    )
    findings = diagnose_probe(c, probe)
    assert ids(findings) == [FindingId.PROTOCOL_WRONG_SERVICE]
    f = findings[0]
    assert f.severity is Severity.ERROR
    assert "POP3" in f.summary
    assert "993" in f.advice
    assert "143" in f.advice
    assert_names_endpoint(f, c)


def test_non_mail_server_is_an_unexpected_reply_quoting_what_it_said() -> None:
    c = cand(IMAP, "mail.example.org", 143, STARTTLS)
    probe = ProbeResult(
        ProbeStatus.PROTOCOL_ERROR,
        "waiting for the greeting: expected an IMAP greeting but got an SSH server: this "
        "port does not speak the expected protocol",
        ip="192.0.2.10",
        timings=Timings(connect=1.0, banner=2.0),
        banner="SSH-2.0-OpenSSH_9.2p1\x1b[31m",
        failed_phase=ProbePhase.BANNER,
        cause=Cause.WRONG_PROTOCOL,
    )
    f = only(diagnose_probe(c, probe), FindingId.PROTOCOL_UNEXPECTED)
    assert f.severity is Severity.ERROR
    assert "SSH" in f.summary
    assert "\x1b" not in f.summary
    assert_names_endpoint(f, c)


def test_tls_spoken_to_a_starttls_port_names_starttls() -> None:
    c = cand(SMTP, "smtp.example.org", 587, TLS)
    probe = ProbeResult(
        ProbeStatus.TLS_ERROR,
        "TLS from the first byte failed because the server answered in plain text; a second "
        "connection found this port speaks STARTTLS (security=starttls)",
        ip="192.0.2.10",
        timings=Timings(connect=1.0, tls=1.0),
        detected_security=STARTTLS,
        failed_phase=ProbePhase.TLS,
        cause=Cause.NOT_TLS,
        connections=2,
    )
    findings = diagnose_probe(c, probe)
    assert ids(findings) == [FindingId.MODE_EXPECTS_STARTTLS]
    f = findings[0]
    assert f.severity is Severity.ERROR
    assert (
        f.summary == "Port 587 on smtp.example.org speaks STARTTLS: choose STARTTLS, not SSL/TLS."
    )
    assert "465" in f.advice
    assert_names_endpoint(f, c)


def test_a_non_tls_answer_without_evidence_of_starttls_claims_no_mode() -> None:
    c = cand(IMAP, "imap.example.org", 143, TLS)
    probe = ProbeResult(
        ProbeStatus.TLS_ERROR,
        "TLS: the server did not answer with TLS",
        failed_phase=ProbePhase.TLS,
        cause=Cause.NOT_TLS,
        notes=("the second connection ended with timeout: waiting for the greeting",),
    )
    findings = diagnose_probe(c, probe)
    f = only(findings, FindingId.MODE_NOT_TLS)
    assert "STARTTLS" not in f.summary
    assert "993" in f.advice
    assert FindingId.MODE_EXPECTS_STARTTLS not in ids(findings)


@pytest.mark.parametrize("security", [TLS, STARTTLS, PLAIN])
def test_an_http_answer_is_named_as_http_in_every_mode(security: Security) -> None:
    c = cand(IMAP, "imap.example.org", 993, security)
    probe = ProbeResult(
        ProbeStatus.TLS_ERROR if security is TLS else ProbeStatus.PROTOCOL_ERROR,
        "it answered with HTTP ('HTTP/1.1 400 Bad Request')",
        ip="192.0.2.10",
        timings=Timings(connect=1.0),
        failed_phase=ProbePhase.TLS if security is TLS else ProbePhase.BANNER,
        cause=Cause.HTTP_ANSWER,
        connections=2 if security is TLS else 1,
    )
    findings = diagnose_probe(c, probe)
    assert ids(findings) == [FindingId.PROTOCOL_HTTP]
    assert "answers with HTTP" in findings[0].summary
    assert "speaks STARTTLS" not in findings[0].summary


def test_starttls_spoken_to_port_465_says_it_expects_tls_from_the_start() -> None:
    c = cand(SMTP, "smtp.example.org", 465, STARTTLS)
    probe = ProbeResult(
        ProbeStatus.TIMEOUT,
        "timed out",
        ip="192.0.2.10",
        timings=Timings(connect=1.0),
        detected_security=TLS,
        failed_phase=ProbePhase.BANNER,
        cause=Cause.TIMEOUT,
        connections=2,
    )
    findings = diagnose_probe(c, probe)
    assert ids(findings) == [FindingId.MODE_EXPECTS_TLS]
    f = findings[0]
    assert f.summary == "Port 465 on smtp.example.org expects SSL/TLS from the start, not STARTTLS."
    assert "587" in f.advice
    assert_names_endpoint(f, c)


def test_plain_client_hanging_on_993_claims_tls_only_when_a_tls_connection_showed_it() -> None:
    c = cand(IMAP, "imap.example.org", 993, PLAIN)
    silent = ProbeResult(
        ProbeStatus.TIMEOUT,
        "timed out",
        ip="192.0.2.10",
        timings=Timings(connect=1.0),
        failed_phase=ProbePhase.BANNER,
        cause=Cause.TIMEOUT,
    )
    assert ids(diagnose_probe(c, silent)) == [FindingId.CONNECT_NO_GREETING]
    shown = ProbeResult(
        ProbeStatus.TIMEOUT,
        "timed out",
        ip="192.0.2.10",
        timings=Timings(connect=1.0),
        failed_phase=ProbePhase.BANNER,
        cause=Cause.TIMEOUT,
        detected_security=TLS,
        connections=2,
    )
    f = only(diagnose_probe(c, shown), FindingId.MODE_EXPECTS_TLS)
    assert f.summary == (
        "Port 993 on imap.example.org expects SSL/TLS from the start, "
        "not plain text (no encryption)."
    )
    assert "143" in f.advice


def test_a_greeting_that_never_ends_is_not_called_missing() -> None:
    c = cand(SMTP, "smtp.example.org", 587, STARTTLS)
    probe = ProbeResult(
        ProbeStatus.TIMEOUT,
        "waiting for the greeting: the greeting began (4000 bytes) but did not end in time",
        ip="192.0.2.10",
        timings=Timings(connect=1.0),
        failed_phase=ProbePhase.BANNER,
        cause=Cause.INCOMPLETE,
    )
    findings = diagnose_probe(c, probe)
    assert ids(findings) == [FindingId.CONNECT_GREETING_INCOMPLETE]
    assert "never sent" not in findings[0].summary
    assert_names_endpoint(findings[0], c)


def test_a_stalled_implicit_tls_handshake_mentions_no_greeting() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = ProbeResult(
        ProbeStatus.TIMEOUT,
        "TLS: timed out after 10 s",
        ip="192.0.2.10",
        timings=Timings(connect=1.0),
        failed_phase=ProbePhase.TLS,
        cause=Cause.TIMEOUT,
    )
    findings = diagnose_probe(c, probe)
    assert ids(findings) == [FindingId.TLS_HANDSHAKE_TIMEOUT]
    assert "greeting" not in findings[0].summary
    assert_names_endpoint(findings[0], c)


def test_tls_setting_on_an_unencrypted_port_says_so() -> None:
    c = cand(POP3, "pop.example.org", 110, TLS)
    probe = ProbeResult(
        ProbeStatus.TLS_ERROR,
        "the server did not answer with TLS",
        cause=Cause.NOT_TLS,
        detected_security=PLAIN,
        starttls_offered=False,
        connections=2,
    )
    findings = diagnose_probe(c, probe)
    f = only(findings, FindingId.MODE_EXPECTS_PLAIN)
    assert "995" in f.advice
    assert_names_endpoint(f, c)
    assert FindingId.TLS_HANDSHAKE_FAILED not in ids(findings)


def test_starttls_not_offered_on_imap_is_an_error() -> None:
    c = cand(IMAP, "imap.example.org", 143, STARTTLS)
    probe = ProbeResult(
        ProbeStatus.TLS_ERROR,
        "the server does not offer STARTTLS",
        ip="192.0.2.10",
        timings=Timings(connect=1.0, banner=2.0, capabilities=1.0),
        banner="* OK ready",
        capabilities_before_tls=("IMAP4rev1", "AUTH=PLAIN"),
        auth_mechanisms=("PLAIN",),
        auth_before_tls=("PLAIN",),
        starttls_offered=False,
        detected_security=PLAIN,
    )
    findings = diagnose_probe(c, probe)
    assert sorted(ids(findings)) == sorted(
        [FindingId.STARTTLS_NOT_OFFERED, FindingId.AUTH_BEFORE_TLS]
    )
    f = only(findings, FindingId.STARTTLS_NOT_OFFERED)
    assert f.severity is Severity.ERROR
    assert "993" in f.advice
    assert_names_endpoint(f, c)


def test_starttls_missing_on_port_25_is_only_a_warning() -> None:
    c = cand(SMTP, "mx.example.org", 25, STARTTLS)
    probe = ok(banner="220 mx ESMTP", tls=None, starttls_offered=False, detected_security=PLAIN)
    f = only(diagnose_probe(c, probe), FindingId.STARTTLS_NOT_OFFERED_RELAY)
    assert f.severity is Severity.WARNING
    assert_names_endpoint(f, c)


def test_plaintext_setting_where_starttls_is_offered_is_a_warning() -> None:
    c = cand(POP3, "pop.example.org", 110, PLAIN)
    probe = ok(banner="+OK ready", tls=None, starttls_offered=True, detected_security=STARTTLS)
    findings = diagnose_probe(c, probe)
    assert ids(findings) == [FindingId.SECURITY_PLAINTEXT_SETTING]
    assert findings[0].severity is Severity.WARNING
    assert "STARTTLS" in findings[0].advice
    assert_names_endpoint(findings[0], c)


def test_smtp_auth_offered_before_tls() -> None:
    c = cand(SMTP, "smtp.example.org", 587, STARTTLS)
    probe = ok(
        banner="220 smtp.example.org ESMTP",
        capabilities_before_tls=("PIPELINING", "STARTTLS", "AUTH PLAIN LOGIN"),
        capabilities_after_tls=("PIPELINING", "AUTH PLAIN LOGIN"),
        auth_mechanisms=("PLAIN", "LOGIN"),
        auth_before_tls=("PLAIN", "LOGIN"),
        starttls_offered=True,
        detected_security=STARTTLS,
    )
    findings = diagnose_probe(c, probe)
    assert ids(findings) == [FindingId.AUTH_BEFORE_TLS]
    f = findings[0]
    assert f.severity is Severity.WARNING
    assert "AUTH PLAIN LOGIN" in f.summary
    assert "smtpd_tls_auth_only" in f.advice
    assert_names_endpoint(f, c)


def test_pop3_user_before_tls() -> None:
    c = cand(POP3, "pop.example.org", 110, STARTTLS)
    probe = ok(
        banner="+OK ready",
        capabilities_before_tls=("USER", "STLS", "SASL PLAIN"),
        auth_before_tls=("PLAIN",),
        plaintext_user_before_tls=True,
        starttls_offered=True,
    )
    f = only(diagnose_probe(c, probe), FindingId.AUTH_BEFORE_TLS)
    assert "USER/PASS" in f.summary
    assert "AUTH PLAIN" in f.summary


def test_auth_before_tls_is_not_reported_for_implicit_tls() -> None:
    c = cand(SMTP, "smtp.example.org", 465, TLS)
    probe = ok(banner="220 ok", auth_mechanisms=("PLAIN",), auth_before_tls=("PLAIN",))
    assert diagnose_probe(c, probe) == ()


def test_imap_preauth_on_a_starttls_port_is_an_error() -> None:
    c = cand(IMAP, "imap.example.org", 143, STARTTLS)
    probe = ProbeResult(
        ProbeStatus.TLS_ERROR,
        "the server pre-authenticated the session in plain text (PREAUTH), so STARTTLS is "
        "no longer possible",
        ip="192.0.2.10",
        timings=Timings(connect=1.0, banner=1.0),
        banner="* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in as alice",
        capabilities_before_tls=("IMAP4rev1", "STARTTLS"),
        starttls_offered=True,
        preauth=True,
        detected_security=PLAIN,
    )
    findings = diagnose_probe(c, probe)
    assert ids(findings) == [FindingId.IMAP_PREAUTH]
    f = findings[0]
    assert f.severity is Severity.ERROR
    assert "PREAUTH" in f.summary
    assert_names_endpoint(f, c)


def test_imap_preauth_under_implicit_tls_is_a_warning() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    f = only(diagnose_probe(c, ok(preauth=True)), FindingId.IMAP_PREAUTH)
    assert f.severity is Severity.WARNING


def test_logindisabled_is_good_news() -> None:
    c = cand(IMAP, "imap.example.org", 143, STARTTLS)
    probe = ok(
        capabilities_before_tls=("IMAP4rev1", "STARTTLS", "LOGINDISABLED"),
        starttls_offered=True,
        login_disabled=True,
        auth_mechanisms=("PLAIN",),
    )
    findings = diagnose_probe(c, probe)
    assert ids(findings) == [FindingId.IMAP_LOGINDISABLED]
    assert findings[0].severity is Severity.INFO
    assert "good" in findings[0].summary
    assert_names_endpoint(findings[0], c)


def test_oauth_only_login_is_a_warning() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    f = only(
        diagnose_probe(c, ok(auth_mechanisms=("XOAUTH2", "OAUTHBEARER"))),
        FindingId.AUTH_OAUTH_ONLY,
    )
    assert f.severity is Severity.WARNING
    assert "OAUTHBEARER XOAUTH2" in f.summary


def test_submission_port_without_auth_is_a_warning_but_port_25_is_not() -> None:
    probe = ok(banner="220 ok", starttls_offered=True, auth_mechanisms=())
    c = cand(SMTP, "smtp.example.org", 587, STARTTLS)
    f = only(diagnose_probe(c, probe), FindingId.SMTP_NO_AUTH)
    assert f.severity is Severity.WARNING
    assert_names_endpoint(f, c)
    assert diagnose_probe(cand(SMTP, "mx.example.org", 25, STARTTLS), probe) == ()


def test_smtp_size_limit_is_info_in_megabytes() -> None:
    c = cand(SMTP, "smtp.example.org", 465, TLS)
    probe = ok(banner="220 ok", auth_mechanisms=("PLAIN",), max_size=36_700_160)
    f = only(diagnose_probe(c, probe), FindingId.SMTP_SIZE_LIMIT)
    assert f.severity is Severity.INFO
    assert "35 MB" in f.summary
    assert_names_endpoint(f, c)


# --------------------------------------------------------------------------- TLS


def test_tls_1_0_only_server_is_an_error() -> None:
    c = cand(SMTP, "smtp.example.org", 465, TLS)
    probe = ProbeResult(
        ProbeStatus.TLS_ERROR,
        "no TLS version in common: the server only offers versions this client refuses",
        ip="192.0.2.10",
        timings=Timings(connect=1.0, tls=3.0),
        failed_phase=ProbePhase.TLS,
        cause=Cause.NO_COMMON_TLS_VERSION,
        weak_tls_checked=True,
        weak_tls_version="TLSv1",
        connections=2,
    )
    findings = diagnose_probe(c, probe)
    assert ids(findings) == [FindingId.TLS_OLD_VERSION]
    f = findings[0]
    assert f.severity is Severity.ERROR
    assert "TLS 1.0" in f.summary
    assert_names_endpoint(f, c)


def test_tls_1_1_negotiated_by_the_permissive_retry_is_an_error() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = ProbeResult(
        ProbeStatus.TLS_ERROR,
        "no TLS version in common: the server only offers versions this client refuses",
        cause=Cause.NO_COMMON_TLS_VERSION,
        tls=TlsInfo("TLSv1.1", "AES256-SHA", verified=False),
    )
    f = only(diagnose_probe(c, probe), FindingId.TLS_OLD_VERSION)
    assert "TLS 1.1" in f.summary


def test_old_tls_still_accepted_next_to_tls_1_3_is_a_warning() -> None:
    c = cand(SMTP, "smtp.example.org", 587, STARTTLS)
    probe = ok(
        banner="220 ok",
        starttls_offered=True,
        auth_mechanisms=("PLAIN",),
        weak_tls_checked=True,
        weak_tls_version="TLSv1",
    )
    findings = diagnose_probe(c, probe)
    f = only(findings, FindingId.TLS_OLD_VERSION_ACCEPTED)
    assert f.severity is Severity.WARNING
    assert "TLS 1.0" in f.summary
    assert FindingId.TLS_OLD_VERSION not in ids(findings)


def _failed_cert(
    problem: Cause | None,
    reason: str = "",
    *,
    days_left: int = 200,
    self_signed: bool = False,
    san: tuple[str, ...] = ("imap.example.org",),
    issuer: str = "CN=R11,O=Let's Encrypt,C=US",
) -> ProbeResult:
    cert = CertInfo(
        subject="CN=imap.example.org",
        san=san,
        issuer=issuer,
        not_after="2025-03-01T12:00:00Z",
        days_left=days_left,
        self_signed=self_signed,
    )
    tls = TlsInfo(
        "TLSv1.3",
        "TLS_AES_256_GCM_SHA384",
        verified=False,
        verify_error=reason or (CERT_TEXT[problem] if problem else None),
        cert=cert,
        cert_problem=problem,
    )
    return ProbeResult(
        ProbeStatus.TLS_ERROR,
        f"TLS: {tls.verify_error}",
        ip="192.0.2.10",
        timings=Timings(connect=1.0, tls=4.0),
        tls=tls,
        failed_phase=ProbePhase.TLS,
        cause=problem or Cause.TLS_FAILED,
        connections=2,
    )


def test_expired_certificate() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = _failed_cert(Cause.CERT_EXPIRED, days_left=-3)
    findings = diagnose_probe(c, probe)
    assert ids(findings) == [FindingId.CERT_EXPIRED]
    f = findings[0]
    assert f.severity is Severity.ERROR
    assert "2025-03-01" in f.summary
    assert "3 days ago" in f.summary
    assert "renew" in f.advice
    assert_names_endpoint(f, c)


def test_expired_certificate_from_the_cause_alone() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = ProbeResult(ProbeStatus.TLS_ERROR, "zzz", cause=Cause.CERT_EXPIRED)
    assert ids(diagnose_probe(c, probe)) == [FindingId.CERT_EXPIRED]


_CERT_FINDINGS = {
    Cause.CERT_EXPIRED: FindingId.CERT_EXPIRED,
    Cause.CERT_NOT_YET_VALID: FindingId.CERT_NOT_YET_VALID,
    Cause.CERT_SELF_SIGNED: FindingId.CERT_SELF_SIGNED,
    Cause.CERT_WRONG_NAME: FindingId.CERT_WRONG_NAME,
    Cause.CERT_UNTRUSTED: FindingId.CERT_UNTRUSTED,
    Cause.CERT_INCOMPLETE_CHAIN: FindingId.CERT_INCOMPLETE_CHAIN,
    Cause.CERT_INVALID: FindingId.CERT_INVALID,
}


@pytest.mark.parametrize("cause", [c for c in Cause if c.is_certificate])
def test_each_certificate_cause_gives_its_finding_whatever_the_reason_says(cause: Cause) -> None:
    """The reason of another cause (the old ambiguity of code 19) changes nothing."""
    c = cand(IMAP, "imap.example.org", 993, TLS)
    other = Cause.CERT_SELF_SIGNED if cause is not Cause.CERT_SELF_SIGNED else Cause.CERT_EXPIRED
    probe = ProbeResult(ProbeStatus.TLS_ERROR, CERT_TEXT[other], cause=cause)
    assert ids(diagnose_probe(c, probe)) == [_CERT_FINDINGS[cause]]
    assert set(_CERT_FINDINGS) == {x for x in Cause if x.is_certificate}


def test_certificate_expiring_within_30_days_is_a_warning() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    findings = diagnose_probe(c, ok(tls=good_tls(days_left=12)))
    assert ids(findings) == [FindingId.CERT_EXPIRING]
    f = findings[0]
    assert f.severity is Severity.WARNING
    assert "12 days" in f.summary
    assert "2027-01-01" in f.summary
    assert_names_endpoint(f, c)


def test_expiry_warning_period_is_configurable() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    assert diagnose_probe(c, ok(tls=good_tls(days_left=40))) == ()
    findings = diagnose_probe(c, ok(tls=good_tls(days_left=40)), now_days_warning=45)
    assert ids(findings) == [FindingId.CERT_EXPIRING]


def test_wrong_name_lists_the_names_the_certificate_covers() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = _failed_cert(
        Cause.CERT_WRONG_NAME,
        "certificate is not valid for this host name (Hostname mismatch, certificate is not "
        "valid for 'imap.example.org'.)",
        san=("mail.hoster.net", "*.hoster.net"),
    )
    findings = diagnose_probe(c, probe)
    assert ids(findings) == [FindingId.CERT_WRONG_NAME]
    f = findings[0]
    assert f.severity is Severity.ERROR
    assert "mail.hoster.net" in f.summary
    assert_names_endpoint(f, c)


def test_wrong_name_is_found_in_the_certificate_behind_another_error() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = _failed_cert(Cause.CERT_EXPIRED, days_left=-40, san=("other.example.net",))
    assert ids(diagnose_probe(c, probe)) == [FindingId.CERT_EXPIRED, FindingId.CERT_WRONG_NAME]


def test_wildcard_certificate_covers_one_label() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = _failed_cert(
        Cause.CERT_UNTRUSTED,
        "certificate chain incomplete or issued by an untrusted authority",
        san=("*.example.org",),
        issuer="CN=Corp Internal CA",
    )
    assert ids(diagnose_probe(c, probe)) == [FindingId.CERT_UNTRUSTED]


def test_untrusted_authority_names_the_issuer_and_ca_file() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = _failed_cert(
        Cause.CERT_UNTRUSTED,
        "certificate chain incomplete or issued by an untrusted authority",
        issuer="CN=Corp Internal CA,O=Corp",
    )
    f = only(diagnose_probe(c, probe), FindingId.CERT_UNTRUSTED)
    assert f.severity is Severity.ERROR
    assert "CN=Corp Internal CA" in f.summary
    assert "--ca-file" in f.advice
    assert_names_endpoint(f, c)


def test_words_alone_name_no_certificate_problem() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = ProbeResult(
        ProbeStatus.TLS_ERROR, CERT_TEXT[Cause.CERT_UNTRUSTED], cause=Cause.TLS_FAILED
    )
    assert ids(diagnose_probe(c, probe)) == [FindingId.TLS_HANDSHAKE_FAILED]


def test_self_signed_certificate_is_not_also_called_untrusted() -> None:
    c = cand(POP3, "pop.example.org", 995, TLS)
    probe = _failed_cert(
        Cause.CERT_SELF_SIGNED,
        "self-signed certificate (not issued by a trusted authority)",
        self_signed=True,
        san=("pop.example.org",),
        issuer="CN=pop.example.org",
    )
    findings = diagnose_probe(c, probe)
    assert ids(findings) == [FindingId.CERT_SELF_SIGNED]
    f = findings[0]
    assert f.severity is Severity.ERROR
    assert "self-signed" in f.summary
    assert_names_endpoint(f, c)


def test_incomplete_chain() -> None:
    c = cand(SMTP, "smtp.example.org", 465, TLS)
    probe = _failed_cert(
        Cause.CERT_INCOMPLETE_CHAIN,
        "certificate verification failed: unable to verify the first certificate",
        san=("smtp.example.org",),
    )
    findings = diagnose_probe(c, probe)
    assert ids(findings) == [FindingId.CERT_INCOMPLETE_CHAIN]
    f = findings[0]
    assert f.severity is Severity.ERROR
    assert "intermediate" in f.summary
    assert "fullchain" in f.advice
    assert_names_endpoint(f, c)


def test_unknown_certificate_failure_is_reported_with_its_reason() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = ProbeResult(
        ProbeStatus.TLS_ERROR,
        "certificate verification failed: certificate revoked",
        cause=Cause.CERT_INVALID,
    )
    f = only(diagnose_probe(c, probe), FindingId.CERT_INVALID)
    assert "certificate revoked" in f.summary


def test_other_tls_failure_is_a_handshake_failure() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = ProbeResult(
        ProbeStatus.TLS_ERROR,
        "TLS handshake failed: no cipher or version in common",
        failed_phase=ProbePhase.TLS,
        cause=Cause.TLS_FAILED,
    )
    f = only(diagnose_probe(c, probe), FindingId.TLS_HANDSHAKE_FAILED)
    assert "no cipher" in f.summary
    assert_names_endpoint(f, c)


def test_healthy_endpoint_has_no_findings() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = ok(capabilities_after_tls=("IMAP4rev1", "AUTH=PLAIN"), auth_mechanisms=("PLAIN",))
    assert diagnose_probe(c, probe) == ()


# --------------------------------------------------------------------------- login


@pytest.mark.parametrize(
    ("status", "fid", "severity", "words"),
    [
        (LoginStatus.OK, FindingId.LOGIN_OK, Severity.INFO, "worked"),
        (
            LoginStatus.WRONG_CREDENTIALS,
            FindingId.LOGIN_WRONG_CREDENTIALS,
            Severity.ERROR,
            "wrong user name or password",
        ),
        (
            LoginStatus.APP_PASSWORD_REQUIRED,
            FindingId.LOGIN_APP_PASSWORD,
            Severity.ERROR,
            "app password",
        ),
        (
            LoginStatus.ACCOUNT_DISABLED,
            FindingId.LOGIN_ACCOUNT_DISABLED,
            Severity.ERROR,
            "disabled",
        ),
        (
            LoginStatus.MECHANISM_MISSING,
            FindingId.LOGIN_MECHANISM_MISSING,
            Severity.ERROR,
            "no password login",
        ),
        (LoginStatus.ERROR, FindingId.LOGIN_ERROR, Severity.WARNING, "no clear answer"),
        (LoginStatus.NOT_ATTEMPTED, FindingId.LOGIN_NOT_ATTEMPTED, Severity.INFO, "not tried"),
    ],
)
def test_login_results(status: LoginStatus, fid: FindingId, severity: Severity, words: str) -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    details = {
        LoginStatus.WRONG_CREDENTIALS: "[AUTHENTICATIONFAILED] Authentication failed.",
        LoginStatus.APP_PASSWORD_REQUIRED: "[ALERT] Application-specific password required",
        LoginStatus.ACCOUNT_DISABLED: "[ALERT] Your account is disabled",
    }
    login = LoginResult(status, details.get(status, ""), mechanism="PLAIN")
    probe = ok(
        auth_mechanisms=("PLAIN",),
        login=login,
        status=ProbeStatus.OK if status is LoginStatus.OK else ProbeStatus.AUTH_FAILED,
        timings=Timings(connect=1.0, banner=1.0, tls=3.0, login=40.0),
    )
    f = only(diagnose_probe(c, probe), fid)
    assert f.severity is severity
    assert words in f.summary
    assert_names_endpoint(f, c)
    if status in details:
        assert details[status] in f.summary


def test_login_ok_names_the_mechanism_and_sender_refusal_is_a_warning() -> None:
    c = cand(SMTP, "smtp.example.org", 465, TLS)
    login = LoginResult(LoginStatus.OK, "235 2.7.0 ok", mechanism="PLAIN", sender_ok=False)
    findings = diagnose_probe(c, ok(banner="220 ok", auth_mechanisms=("PLAIN",), login=login))
    assert "using PLAIN" in only(findings, FindingId.LOGIN_OK).summary
    f = only(findings, FindingId.LOGIN_SENDER_REFUSED)
    assert f.severity is Severity.WARNING


def test_auth_failed_without_a_login_result_is_still_reported() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = ok(status=ProbeStatus.AUTH_FAILED, reason="the server dropped the connection")
    f = only(diagnose_probe(c, probe), FindingId.LOGIN_ERROR)
    assert "dropped" in f.summary


def test_skipped_probe_is_info() -> None:
    c = cand(IMAP, "imap.example.org", 993, TLS)
    probe = ProbeResult(ProbeStatus.SKIPPED, "--offline: no connection made")
    f = only(diagnose_probe(c, probe), FindingId.PROBE_SKIPPED)
    assert f.severity is Severity.INFO
    assert "--offline" in f.summary


# --------------------------------------------------------------------------- words change nothing

_WORDS = (
    "zzz",
    "the server closed the connection unexpectedly",
    "certificate has expired; self-signed; untrusted authority; does not exist (NXDOMAIN)",
    "the server did not answer with TLS (wrong version number): it may expect STARTTLS",
    "network unreachable: No route to host",
)


@pytest.mark.parametrize("cause", list(Cause))
@pytest.mark.parametrize("phase", [ProbePhase.CONNECT, ProbePhase.BANNER, ProbePhase.TLS])
@pytest.mark.parametrize("security", [TLS, STARTTLS])
def test_the_findings_follow_the_cause_and_never_the_reason_text(
    cause: Cause, phase: ProbePhase, security: Security
) -> None:
    from mailprobe.net.failures import probe_status

    c = cand(IMAP, "imap.example.org", 993, security)
    found = {
        tuple(
            ids(
                diagnose_probe(
                    c,
                    ProbeResult(
                        probe_status(cause),
                        words,
                        ip="192.0.2.10",
                        timings=Timings(connect=1.0),
                        failed_phase=phase,
                        cause=cause,
                    ),
                )
            )
        )
        for words in _WORDS
    }
    assert len(found) == 1, found
