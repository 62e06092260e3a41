"""Probes against small loopback servers that provoke faults real servers won't produce.

Every test also checks, at the server, that the probe used at most two TCP connections.
"""

from __future__ import annotations

import asyncio
import socket
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from faultservers import (
    Behaviour,
    FaultCerts,
    FaultServer,
    Handler,
    accept_and_close,
    garbage,
    http_server,
    imap_server,
    implicit_tls,
    make_fault_certs,
    pop3_server,
    reset_after_connect,
    serve,
    server_context,
    smtp_421,
    smtp_554,
    smtp_server,
    tarpit,
)
from mailprobe.errors import InvalidInputError
from mailprobe.models import (
    Cause,
    ConnectTo,
    LoginStatus,
    NetOptions,
    ProbePhase,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Security,
)
from mailprobe.net.dns import DnsClient, DnsStatus, HostAddresses
from mailprobe.probes import Credentials, ProbeTimeouts, probe_endpoint

FAST = ProbeTimeouts(connect=2.0, greeting=1.0, tls=2.0, command=2.0, total=15.0)
SECRET = "Tr0ub4dor&3-secret"
CREDS = Credentials("alice@fault.test", SECRET)
IMAP_CAPS = ("IMAP4rev1", "SASL-IR", "STARTTLS", "AUTH=PLAIN")
IMAP_CAPS_TLS = ("IMAP4rev1", "SASL-IR", "AUTH=PLAIN")


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> FaultCerts:
    return make_fault_certs(tmp_path_factory.mktemp("faultcerts"))


def _serve(handler: Handler) -> AbstractAsyncContextManager[FaultServer]:
    return serve(handler)


async def _probe(
    server: FaultServer,
    certs: FaultCerts,
    protocol: Protocol,
    host: str,
    port: int,
    security: Security,
    *,
    timeouts: ProbeTimeouts = FAST,
    dns: DnsClient | None = None,
    connect_to: ConnectTo | None = None,
    **kwargs: object,
) -> ProbeResult:
    net = NetOptions(connect_to=(connect_to or server.route(host, port),), ca_file=certs.ca.cert)
    before = server.connections
    result = await probe_endpoint(
        protocol,
        host,
        port,
        security,
        dns=dns or DnsClient(),
        net=net,
        timeouts=timeouts,
        **kwargs,  # type: ignore[arg-type]
    )
    used = server.connections - before
    assert used <= 2
    assert result.connections == used
    return result


def _starttls_imap(certs: FaultCerts, pair_name: str = "good", **kw: object) -> Handler:
    ctx = server_context(getattr(certs, pair_name))
    return imap_server(
        Behaviour(caps=IMAP_CAPS, caps_tls=IMAP_CAPS_TLS, starttls=ctx, **kw)  # type: ignore[arg-type]
    )


def _tls_imap(certs: FaultCerts, pair_name: str = "good", **kw: object) -> Handler:
    ctx = server_context(getattr(certs, pair_name), tls10_only=bool(kw.pop("tls10", False)))
    return implicit_tls(ctx, imap_server(Behaviour(caps=IMAP_CAPS_TLS, **kw)))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- greeting faults


async def test_delayed_greeting_is_reported_not_failed(certs: FaultCerts) -> None:
    handler = imap_server(Behaviour(caps=("IMAP4rev1",), greeting_delay=0.6))
    async with _serve(handler) as server:
        timeouts = ProbeTimeouts(greeting=5.0, tls=2.0, command=2.0)
        result = await _probe(
            server, certs, Protocol.IMAP, "imap.fault.test", 143, Security.PLAIN, timeouts=timeouts
        )
    assert result.status is ProbeStatus.OK
    assert result.timings.banner is not None
    assert result.timings.banner >= 500
    assert server.connections == 1


async def test_tarpit_times_out_waiting_for_the_greeting(certs: FaultCerts) -> None:
    async with _serve(tarpit()) as server:
        result = await _probe(
            server, certs, Protocol.IMAP, "imap.fault.test", 143, Security.STARTTLS
        )
    assert result.status is ProbeStatus.TIMEOUT
    assert result.failed_phase is ProbePhase.BANNER
    assert result.cause is Cause.TIMEOUT
    assert "waiting for the greeting" in result.reason
    assert result.detected_security is None
    # The second connection tried TLS in case the port was implicit TLS; it hung too.
    assert server.connections == 2
    assert any("second connection" in n for n in result.notes)


async def test_tarpit_on_a_tls_port_times_out_in_the_handshake(certs: FaultCerts) -> None:
    async with _serve(tarpit()) as server:
        result = await _probe(server, certs, Protocol.IMAP, "imap.fault.test", 993, Security.TLS)
    assert result.status is ProbeStatus.TIMEOUT
    assert result.failed_phase is ProbePhase.TLS
    assert server.connections == 1


async def test_garbage_greeting_is_not_the_expected_protocol(certs: FaultCerts) -> None:
    async with _serve(garbage()) as server:
        result = await _probe(server, certs, Protocol.POP3, "pop.fault.test", 110, Security.PLAIN)
    assert result.status is ProbeStatus.PROTOCOL_ERROR
    assert result.detected_protocol is None
    assert "does not speak the expected protocol" in result.reason
    assert server.connections == 1


async def test_http_server_is_named(certs: FaultCerts) -> None:
    async with _serve(http_server()) as server:
        result = await _probe(server, certs, Protocol.IMAP, "imap.fault.test", 143, Security.PLAIN)
    assert result.status is ProbeStatus.PROTOCOL_ERROR
    assert "HTTP server" in result.reason


async def test_smtp_port_that_speaks_imap(certs: FaultCerts) -> None:
    async with _serve(imap_server(Behaviour())) as server:
        result = await _probe(
            server, certs, Protocol.SMTP, "smtp.fault.test", 587, Security.STARTTLS
        )
    assert result.status is ProbeStatus.PROTOCOL_ERROR
    assert result.detected_protocol is Protocol.IMAP
    assert "speaks IMAP" in result.reason
    assert result.failed_phase is ProbePhase.BANNER
    assert server.connections == 1


async def test_imap_port_that_speaks_smtp(certs: FaultCerts) -> None:
    async with _serve(smtp_server(Behaviour())) as server:
        result = await _probe(server, certs, Protocol.IMAP, "imap.fault.test", 143, Security.PLAIN)
    assert result.status is ProbeStatus.PROTOCOL_ERROR
    assert result.detected_protocol is Protocol.SMTP


async def test_reset_after_connect(certs: FaultCerts) -> None:
    async with _serve(reset_after_connect()) as server:
        result = await _probe(server, certs, Protocol.IMAP, "imap.fault.test", 143, Security.PLAIN)
    assert result.status is ProbeStatus.PROTOCOL_ERROR
    assert result.cause in (Cause.RESET, Cause.CLOSED)
    assert server.connections == 1


async def test_smtp_421_greeting_is_rate_limited(certs: FaultCerts) -> None:
    async with _serve(smtp_421()) as server:
        result = await _probe(
            server, certs, Protocol.SMTP, "smtp.fault.test", 587, Security.STARTTLS
        )
    assert result.status is ProbeStatus.RATE_LIMITED
    assert "421" in result.reason
    assert result.banner is not None
    assert server.connections == 1


async def test_smtp_554_greeting_is_rate_limited(certs: FaultCerts) -> None:
    async with _serve(smtp_554()) as server:
        result = await _probe(server, certs, Protocol.SMTP, "smtp.fault.test", 25, Security.PLAIN)
    assert result.status is ProbeStatus.RATE_LIMITED
    assert "554" in result.reason


async def test_accept_and_close_is_rate_limited(certs: FaultCerts) -> None:
    async with _serve(accept_and_close()) as server:
        result = await _probe(
            server, certs, Protocol.SMTP, "smtp.fault.test", 587, Security.STARTTLS
        )
    assert result.status is ProbeStatus.RATE_LIMITED
    assert "without a greeting" in result.reason
    assert server.connections == 1


async def test_imap_bye_greeting_is_rate_limited(certs: FaultCerts) -> None:
    handler = imap_server(Behaviour(greeting="* BYE Too many connections from your IP"))
    async with _serve(handler) as server:
        result = await _probe(server, certs, Protocol.IMAP, "imap.fault.test", 143, Security.PLAIN)
    assert result.status is ProbeStatus.RATE_LIMITED


async def test_pop3_err_greeting_is_rate_limited(certs: FaultCerts) -> None:
    handler = pop3_server(Behaviour(greeting="-ERR [SYS/TEMP] too many sessions"))
    async with _serve(handler) as server:
        result = await _probe(server, certs, Protocol.POP3, "pop.fault.test", 110, Security.PLAIN)
    assert result.status is ProbeStatus.RATE_LIMITED


async def test_overlong_line_is_a_protocol_error(certs: FaultCerts) -> None:
    handler = imap_server(Behaviour(greeting="* OK " + "x" * 70_000))
    async with _serve(handler) as server:
        result = await _probe(server, certs, Protocol.IMAP, "imap.fault.test", 143, Security.PLAIN)
    assert result.status is ProbeStatus.PROTOCOL_ERROR
    assert "longer than" in result.reason


async def test_connection_refused(certs: FaultCerts) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    net = NetOptions(connect_to=(ConnectTo("imap.fault.test", 993, "127.0.0.1", closed_port),))
    result = await probe_endpoint(
        Protocol.IMAP, "imap.fault.test", 993, Security.TLS, dns=DnsClient(), net=net, timeouts=FAST
    )
    assert result.status is ProbeStatus.REFUSED
    assert result.failed_phase is ProbePhase.CONNECT
    assert result.connections == 0


class _DualStackDns(DnsClient):
    """Answers every name with ::1 first, then 127.0.0.1 (no real DNS)."""

    async def addresses(self, host: str) -> HostAddresses:
        return HostAddresses(host, ("::1", "127.0.0.1"), DnsStatus.OK, 0.0)


async def test_ipv6_failing_while_ipv4_works_is_recorded(certs: FaultCerts) -> None:
    async with _serve(imap_server(Behaviour())) as server:
        rule = ConnectTo("imap.fault.test", 143, "dual.fault.test", server.port)
        result = await _probe(
            server,
            certs,
            Protocol.IMAP,
            "imap.fault.test",
            143,
            Security.PLAIN,
            dns=_DualStackDns(),
            connect_to=rule,
        )
    assert result.status is ProbeStatus.OK
    assert result.ip == "127.0.0.1"
    assert [a.ip for a in result.failed_attempts] == ["::1"]
    assert result.failed_attempts[0].status is ProbeStatus.REFUSED


# --------------------------------------------------------------------------- capabilities


async def test_imap_preauth_in_plain_text(certs: FaultCerts) -> None:
    handler = imap_server(Behaviour(greeting="* PREAUTH [CAPABILITY IMAP4rev1] hello alice"))
    async with _serve(handler) as server:
        plain = await _probe(server, certs, Protocol.IMAP, "imap.fault.test", 143, Security.PLAIN)
        secure = await _probe(
            server, certs, Protocol.IMAP, "imap.fault.test", 143, Security.STARTTLS
        )
    assert plain.status is ProbeStatus.OK
    assert plain.preauth
    assert secure.status is ProbeStatus.TLS_ERROR
    assert secure.preauth
    assert "PREAUTH" in secure.reason


async def test_imap_auth_offered_before_tls(certs: FaultCerts) -> None:
    async with _serve(_starttls_imap(certs)) as server:
        result = await _probe(
            server, certs, Protocol.IMAP, "imap.fault.test", 143, Security.STARTTLS
        )
    assert result.status is ProbeStatus.OK
    assert result.auth_before_tls == ("PLAIN",)
    assert result.starttls_offered is True
    assert result.capabilities_before_tls == IMAP_CAPS
    assert result.capabilities_after_tls == IMAP_CAPS_TLS
    assert result.tls is not None
    assert result.tls.verified
    assert result.tls.cert is not None
    assert "imap.fault.test" in result.tls.cert.san
    assert result.tls.cert.not_after.endswith("Z")
    assert result.detected_security is Security.STARTTLS
    assert server.connections == 1


async def test_imap_logindisabled_before_tls(certs: FaultCerts) -> None:
    caps = ("IMAP4rev1", "STARTTLS", "LOGINDISABLED")
    handler = imap_server(
        Behaviour(caps=caps, caps_tls=IMAP_CAPS_TLS, starttls=server_context(certs.good))
    )
    async with _serve(handler) as server:
        result = await _probe(
            server, certs, Protocol.IMAP, "imap.fault.test", 143, Security.STARTTLS
        )
    assert result.status is ProbeStatus.OK
    assert result.login_disabled
    assert result.auth_before_tls == ()
    assert result.auth_mechanisms == ("PLAIN",)


async def test_pop3_user_and_sasl_before_tls(certs: FaultCerts) -> None:
    handler = pop3_server(
        Behaviour(
            caps=("TOP", "STLS", "USER", "SASL PLAIN"),
            caps_tls=("TOP", "USER", "SASL PLAIN"),
            starttls=server_context(certs.good),
        )
    )
    async with _serve(handler) as server:
        result = await _probe(
            server, certs, Protocol.POP3, "pop.fault.test", 110, Security.STARTTLS
        )
    assert result.status is ProbeStatus.OK
    assert result.plaintext_user_before_tls
    assert result.auth_before_tls == ("PLAIN",)
    assert result.starttls_offered is True
    assert result.tls is not None


async def test_smtp_auth_before_tls_size_and_multiline_greeting(certs: FaultCerts) -> None:
    handler = smtp_server(
        Behaviour(
            greeting="220-smtp.fault.test ESMTP\n220 second greeting line",
            caps=("PIPELINING", "SIZE 52428800", "STARTTLS", "AUTH PLAIN LOGIN"),
            caps_tls=("PIPELINING", "SIZE 52428800", "AUTH PLAIN LOGIN"),
            starttls=server_context(certs.good),
        )
    )
    async with _serve(handler) as server:
        result = await _probe(
            server, certs, Protocol.SMTP, "smtp.fault.test", 587, Security.STARTTLS
        )
    assert result.status is ProbeStatus.OK
    assert result.auth_before_tls == ("PLAIN", "LOGIN")
    assert result.auth_mechanisms == ("PLAIN", "LOGIN")
    assert result.max_size == 52428800
    assert result.banner is not None
    assert "second greeting line" in result.banner
    assert server.connections == 1


async def test_starttls_not_offered(certs: FaultCerts) -> None:
    handler = smtp_server(Behaviour(caps=("PIPELINING", "AUTH PLAIN")))
    async with _serve(handler) as server:
        result = await _probe(
            server, certs, Protocol.SMTP, "smtp.fault.test", 587, Security.STARTTLS
        )
    assert result.status is ProbeStatus.TLS_ERROR
    assert result.starttls_offered is False
    assert result.detected_security is Security.PLAIN
    assert "does not offer STARTTLS" in result.reason
    assert server.connections == 1


async def test_smtp_ehlo_refused_falls_back_to_helo(certs: FaultCerts) -> None:
    async def no_ehlo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 old.fault.test SMTP\r\n")
        while line := await reader.readline():
            if line.upper().startswith(b"EHLO"):
                writer.write(b"502 5.5.2 what?\r\n")
            elif line.upper().startswith(b"HELO"):
                writer.write(b"250 old.fault.test\r\n")
            elif line.upper().startswith(b"QUIT"):
                writer.write(b"221 bye\r\n")
                await writer.drain()
                return
            await writer.drain()

    async with _serve(no_ehlo) as server:
        result = await _probe(server, certs, Protocol.SMTP, "smtp.fault.test", 25, Security.PLAIN)
    assert result.status is ProbeStatus.OK
    assert result.starttls_offered is False
    assert any("HELO" in n for n in result.notes)


# --------------------------------------------------------------------------- TLS faults


@pytest.mark.parametrize(
    ("pair", "problem", "words"),
    [
        ("expired", Cause.CERT_EXPIRED, "expired"),
        ("wrong_name", Cause.CERT_WRONG_NAME, "other.invalid"),
        ("self_signed", Cause.CERT_SELF_SIGNED, "self-signed"),
        ("incomplete", Cause.CERT_INCOMPLETE_CHAIN, "intermediate"),
        ("untrusted", Cause.CERT_UNTRUSTED, "not trusted"),
    ],
)
async def test_certificate_problems_are_named(
    certs: FaultCerts, pair: str, problem: Cause, words: str
) -> None:
    async with _serve(_tls_imap(certs, pair)) as server:
        result = await _probe(server, certs, Protocol.IMAP, "imap.fault.test", 993, Security.TLS)
    assert result.status is ProbeStatus.TLS_ERROR
    assert result.tls is not None
    assert not result.tls.verified
    assert result.tls.cert_problem is problem
    assert result.cause is problem
    assert result.tls.verify_error is not None
    assert words in result.tls.verify_error
    assert result.tls.cert is not None
    assert result.detected_security is Security.TLS
    assert server.connections == 2
    if problem is Cause.CERT_EXPIRED:
        assert result.tls.cert.days_left < 0
    if problem is Cause.CERT_SELF_SIGNED:
        assert result.tls.cert.self_signed


async def test_certificate_problem_over_starttls(certs: FaultCerts) -> None:
    async with _serve(_starttls_imap(certs, "expired")) as server:
        result = await _probe(
            server, certs, Protocol.IMAP, "imap.fault.test", 143, Security.STARTTLS
        )
    assert result.status is ProbeStatus.TLS_ERROR
    assert result.tls is not None
    assert result.tls.cert_problem is Cause.CERT_EXPIRED
    assert result.capabilities_before_tls == IMAP_CAPS
    assert server.connections == 2


async def test_tls_10_only_server_is_named(certs: FaultCerts) -> None:
    async with _serve(_tls_imap(certs, "good", tls10=True)) as server:
        result = await _probe(server, certs, Protocol.IMAP, "imap.fault.test", 993, Security.TLS)
    assert result.status is ProbeStatus.TLS_ERROR
    assert result.tls is not None
    assert result.tls.version == "TLSv1"
    assert "TLSv1" in result.reason
    assert "1.2" in result.reason
    assert result.weak_tls_checked
    assert result.weak_tls_version == "TLSv1"
    assert server.connections == 2


async def test_no_password_over_a_failed_tls_connection(certs: FaultCerts) -> None:
    async with _serve(_tls_imap(certs, "self_signed", echo_login=True)) as server:
        result = await _probe(
            server,
            certs,
            Protocol.IMAP,
            "imap.fault.test",
            993,
            Security.TLS,
            credentials=CREDS,
        )
    assert result.status is ProbeStatus.TLS_ERROR
    assert result.login is None or result.login.status is not LoginStatus.OK
    assert SECRET not in repr(result)


# --------------------------------------------------------------------------- mode mismatch


async def test_plain_spoken_to_implicit_tls_port_is_detected(certs: FaultCerts) -> None:
    async with _serve(_tls_imap(certs)) as server:
        result = await _probe(
            server, certs, Protocol.IMAP, "imap.fault.test", 993, Security.STARTTLS
        )
    assert result.status is ProbeStatus.TIMEOUT
    assert result.failed_phase is ProbePhase.BANNER
    assert result.detected_security is Security.TLS
    assert "implicit TLS" in result.reason
    assert result.tls is not None
    assert result.tls.verified
    assert server.connections == 2


async def test_tls_spoken_to_starttls_port_is_detected(certs: FaultCerts) -> None:
    async with _serve(_starttls_imap(certs)) as server:
        result = await _probe(server, certs, Protocol.IMAP, "imap.fault.test", 143, Security.TLS)
    assert result.status is ProbeStatus.TLS_ERROR
    assert result.failed_phase is ProbePhase.TLS
    assert result.detected_security is Security.STARTTLS
    assert "STARTTLS" in result.reason
    assert result.capabilities_after_tls == IMAP_CAPS_TLS
    assert server.connections == 2


async def test_tls_spoken_to_plain_only_port_is_detected(certs: FaultCerts) -> None:
    handler = pop3_server(Behaviour(caps=("USER",)))
    async with _serve(handler) as server:
        result = await _probe(server, certs, Protocol.POP3, "pop.fault.test", 995, Security.TLS)
    assert result.status is ProbeStatus.TLS_ERROR
    assert result.detected_security is Security.PLAIN
    assert server.connections == 2


# --------------------------------------------------------------------------- login


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        (None, LoginStatus.OK),
        ("NO [AUTHENTICATIONFAILED] Authentication failed.", LoginStatus.WRONG_CREDENTIALS),
        (
            "NO [ALERT] Application-specific password required: https://support.example",
            LoginStatus.APP_PASSWORD_REQUIRED,
        ),
        ("NO [EXPIRED] account expired", LoginStatus.ACCOUNT_DISABLED),
    ],
)
async def test_imap_login_outcomes(
    certs: FaultCerts, reply: str | None, status: LoginStatus
) -> None:
    async with _serve(_starttls_imap(certs, login_reply=reply)) as server:
        result = await _probe(
            server,
            certs,
            Protocol.IMAP,
            "imap.fault.test",
            143,
            Security.STARTTLS,
            credentials=CREDS,
        )
    assert result.login is not None
    assert result.login.status is status
    expected = ProbeStatus.OK if status is LoginStatus.OK else ProbeStatus.AUTH_FAILED
    assert result.status is expected
    assert result.timings.login is not None
    assert server.connections == 1


async def test_imap_login_without_sasl_ir_uses_continuation(certs: FaultCerts) -> None:
    handler = imap_server(
        Behaviour(
            caps=("IMAP4rev1", "STARTTLS"),
            caps_tls=("IMAP4rev1", "AUTH=PLAIN"),
            starttls=server_context(certs.good),
        )
    )
    async with _serve(handler) as server:
        result = await _probe(
            server,
            certs,
            Protocol.IMAP,
            "imap.fault.test",
            143,
            Security.STARTTLS,
            credentials=CREDS,
        )
    assert result.login is not None
    assert result.login.status is LoginStatus.OK
    assert result.login.mechanism == "PLAIN"


async def test_imap_mechanism_missing(certs: FaultCerts) -> None:
    handler = imap_server(
        Behaviour(
            caps=("IMAP4rev1", "STARTTLS", "LOGINDISABLED"),
            caps_tls=("IMAP4rev1", "LOGINDISABLED", "AUTH=XOAUTH2"),
            starttls=server_context(certs.good),
        )
    )
    async with _serve(handler) as server:
        result = await _probe(
            server,
            certs,
            Protocol.IMAP,
            "imap.fault.test",
            143,
            Security.STARTTLS,
            credentials=CREDS,
        )
    assert result.login is not None
    assert result.login.status is LoginStatus.MECHANISM_MISSING
    assert result.status is ProbeStatus.AUTH_FAILED


async def test_login_is_not_sent_without_tls(certs: FaultCerts) -> None:
    handler = imap_server(Behaviour(caps=("IMAP4rev1", "AUTH=PLAIN"), echo_login=True))
    async with _serve(handler) as server:
        refused = await _probe(
            server,
            certs,
            Protocol.IMAP,
            "imap.fault.test",
            143,
            Security.PLAIN,
            credentials=CREDS,
        )
        allowed = await _probe(
            server,
            certs,
            Protocol.IMAP,
            "imap.fault.test",
            143,
            Security.PLAIN,
            credentials=CREDS,
            allow_plaintext_login=True,
        )
    assert refused.login is not None
    assert refused.login.status is LoginStatus.NOT_ATTEMPTED
    assert refused.status is ProbeStatus.OK
    assert allowed.login is not None
    assert allowed.login.status is LoginStatus.OK
    assert SECRET not in repr(allowed)


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        ("+OK logged in", LoginStatus.OK),
        ("-ERR [AUTH] Authentication failed.", LoginStatus.WRONG_CREDENTIALS),
    ],
)
async def test_pop3_login_outcomes(certs: FaultCerts, reply: str, status: LoginStatus) -> None:
    for caps in (("USER",), ("SASL PLAIN",)):
        handler = implicit_tls(
            server_context(certs.good), pop3_server(Behaviour(caps=caps, login_reply=reply))
        )
        async with _serve(handler) as server:
            result = await _probe(
                server,
                certs,
                Protocol.POP3,
                "pop.fault.test",
                995,
                Security.TLS,
                credentials=CREDS,
            )
        assert result.login is not None
        assert result.login.status is status
        assert result.login.mechanism == ("USER" if caps == ("USER",) else "PLAIN")


@pytest.mark.parametrize(
    ("mechs", "reply", "status"),
    [
        ("AUTH PLAIN LOGIN", None, LoginStatus.OK),
        ("AUTH LOGIN", None, LoginStatus.OK),
        ("AUTH PLAIN", "535 5.7.8 Error: authentication failed", LoginStatus.WRONG_CREDENTIALS),
        (
            "AUTH PLAIN",
            "534-5.7.9 Application-specific password required.\n534 5.7.9 Learn more",
            LoginStatus.APP_PASSWORD_REQUIRED,
        ),
        ("AUTH CRAM-MD5", None, LoginStatus.MECHANISM_MISSING),
    ],
)
async def test_smtp_login_outcomes(
    certs: FaultCerts, mechs: str, reply: str | None, status: LoginStatus
) -> None:
    handler = implicit_tls(
        server_context(certs.good),
        smtp_server(Behaviour(caps=("PIPELINING", mechs), login_reply=reply)),
    )
    async with _serve(handler) as server:
        result = await _probe(
            server, certs, Protocol.SMTP, "smtp.fault.test", 465, Security.TLS, credentials=CREDS
        )
    assert result.login is not None
    assert result.login.status is status


@pytest.mark.parametrize(
    ("mail_reply", "ok"), [("250 2.1.0 Ok", True), ("553 5.7.1 not yours", False)]
)
async def test_smtp_sender_check(certs: FaultCerts, mail_reply: str, ok: bool) -> None:
    handler = implicit_tls(
        server_context(certs.good),
        smtp_server(Behaviour(caps=("AUTH PLAIN",), mail_reply=mail_reply)),
    )
    async with _serve(handler) as server:
        result = await _probe(
            server,
            certs,
            Protocol.SMTP,
            "smtp.fault.test",
            465,
            Security.TLS,
            credentials=CREDS,
            sender_check="alice@fault.test",
        )
    assert result.login is not None
    assert result.login.status is LoginStatus.OK
    assert result.login.sender_ok is ok


@pytest.mark.parametrize("protocol", [Protocol.IMAP, Protocol.POP3, Protocol.SMTP])
async def test_echoed_password_never_reaches_the_result(
    certs: FaultCerts, protocol: Protocol
) -> None:
    ctx = server_context(certs.good)
    failing = {
        Protocol.IMAP: ("NO [AUTHENTICATIONFAILED] bad", imap_server, ("IMAP4rev1", "AUTH=PLAIN")),
        Protocol.POP3: ("-ERR [AUTH] bad", pop3_server, ("USER",)),
        Protocol.SMTP: ("535 5.7.8 bad", smtp_server, ("AUTH LOGIN",)),
    }
    reply, factory, caps = failing[protocol]
    handler = implicit_tls(ctx, factory(Behaviour(caps=caps, login_reply=reply, echo_login=True)))
    port = {Protocol.IMAP: 993, Protocol.POP3: 995, Protocol.SMTP: 465}[protocol]
    host = f"{'pop' if protocol is Protocol.POP3 else protocol.value}.fault.test"
    async with _serve(handler) as server:
        result = await _probe(server, certs, protocol, host, port, Security.TLS, credentials=CREDS)
    assert result.login is not None
    assert result.login.status is LoginStatus.WRONG_CREDENTIALS
    assert "you sent" in result.login.detail  # the echo arrived, redacted
    for text in (repr(result), str(result), result.reason, result.login.detail):
        assert SECRET not in text


async def test_overall_time_limit(certs: FaultCerts) -> None:
    timeouts = ProbeTimeouts(connect=2.0, greeting=5.0, tls=5.0, command=2.0, total=0.5)
    async with _serve(tarpit()) as server:
        result = await _probe(
            server, certs, Protocol.IMAP, "imap.fault.test", 143, Security.PLAIN, timeouts=timeouts
        )
    assert result.status is ProbeStatus.TIMEOUT
    assert result.timings.total is not None
    assert result.timings.total < 2000
    assert any("overall limit" in n for n in result.notes)


async def test_unusable_sender_is_invalid_input() -> None:
    with pytest.raises(InvalidInputError):
        await probe_endpoint(
            Protocol.SMTP,
            "smtp.fault.test",
            587,
            Security.STARTTLS,
            dns=DnsClient(),
            net=NetOptions(),
            sender_check="x>\r\nDATA",
        )


class _NoDns(DnsClient):
    """Knows no name at all (no real DNS)."""

    async def addresses(self, host: str) -> HostAddresses:
        return HostAddresses(host, (), DnsStatus.NXDOMAIN, 0.0, f"{host} does not exist")


async def test_unknown_host_is_a_dns_error() -> None:
    result = await probe_endpoint(
        Protocol.IMAP,
        "imap.nowhere.test",
        993,
        Security.TLS,
        dns=_NoDns(),
        net=NetOptions(),
        timeouts=FAST,
    )
    assert result.status is ProbeStatus.DNS_ERROR
    assert result.failed_phase is ProbePhase.DNS
    assert "does not exist" in result.reason
    assert result.connections == 0


async def test_plain_requested_but_starttls_offered_is_detected(certs: FaultCerts) -> None:
    async with _serve(_starttls_imap(certs)) as server:
        result = await _probe(server, certs, Protocol.IMAP, "imap.fault.test", 143, Security.PLAIN)
    assert result.status is ProbeStatus.OK
    assert result.tls is None
    assert result.starttls_offered is True
    assert result.detected_security is Security.STARTTLS


async def test_unreadable_ca_file_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError):
        await probe_endpoint(
            Protocol.IMAP,
            "imap.fault.test",
            993,
            Security.TLS,
            dns=DnsClient(),
            net=NetOptions(ca_file=tmp_path / "missing.pem"),
        )
