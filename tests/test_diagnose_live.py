"""End to end on loopback: a real probe against a misbehaving server, then diagnose_probe.

These keep the diagnosis honest about what probes really report: each fault server
(tests/faultservers.py) provokes one situation, and the finding must name it.
"""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest

from faultservers import (
    Behaviour,
    FaultCerts,
    Handler,
    imap_server,
    implicit_tls,
    make_fault_certs,
    pop3_server,
    reset_after_connect,
    serve,
    server_context,
    smtp_421,
    smtp_server,
    tarpit,
)
from mailprobe.diagnose import FindingId, diagnose_probe
from mailprobe.models import (
    Candidate,
    ConnectTo,
    Finding,
    NetOptions,
    Protocol,
    Provenance,
    Security,
    ServerSetting,
    Severity,
    SourceId,
)
from mailprobe.net.dns import DnsClient
from mailprobe.probes import ProbeTimeouts, probe_endpoint

IMAP, POP3, SMTP = Protocol.IMAP, Protocol.POP3, Protocol.SMTP
TLS, STARTTLS = Security.TLS, Security.STARTTLS
NAMES = {IMAP: "imap.fault.test", POP3: "pop.fault.test", SMTP: "smtp.fault.test"}
FAST = ProbeTimeouts(connect=2.0, greeting=0.6, tls=2.0, command=2.0, total=8.0)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> FaultCerts:
    return make_fault_certs(tmp_path_factory.mktemp("diagnose-certs"))


@pytest.fixture
def good_ctx(certs: FaultCerts) -> ssl.SSLContext:
    return server_context(certs.good)


@pytest.fixture
def closed_port() -> int:
    """A loopback port that was free a moment ago and has no listener now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def diagnose_endpoint(
    protocol: Protocol,
    name: str,
    port: int,
    security: Security,
    route: ConnectTo,
    ca_file: Path,
) -> tuple[Finding, ...]:
    """Probe `name:port` (sent to `route`) for real, then diagnose what the probe saw."""
    net = NetOptions(connect_to=(route,), ca_file=ca_file, timeout=8.0)
    probe = await probe_endpoint(
        protocol, name, port, security, dns=DnsClient(timeout=1.0), net=net, timeouts=FAST
    )
    candidate = Candidate(
        ServerSetting(protocol, name, port, security),
        (Provenance(SourceId.USER, f"{name}:{port}", trusted=True),),
    )
    return diagnose_probe(candidate, probe)


async def diagnose_server(
    handler: Handler, protocol: Protocol, port: int, security: Security, certs: FaultCerts
) -> tuple[Finding, ...]:
    """Run `handler` as a fault server and diagnose a probe of it under its usual name."""
    name = NAMES[protocol]
    async with serve(handler) as server:
        return await diagnose_endpoint(
            protocol, name, port, security, server.route(name, port), certs.ca.cert
        )


def ids(findings: tuple[Finding, ...]) -> list[str]:
    return [f.id for f in findings]


async def test_live_refused(certs: FaultCerts, closed_port: int) -> None:
    route = ConnectTo("imap.fault.test", 993, "127.0.0.1", closed_port)
    findings = await diagnose_endpoint(IMAP, "imap.fault.test", 993, TLS, route, certs.ca.cert)
    assert ids(findings) == [FindingId.CONNECT_REFUSED]


async def test_live_reset(certs: FaultCerts) -> None:
    findings = await diagnose_server(reset_after_connect(), IMAP, 143, STARTTLS, certs)
    assert ids(findings) == [FindingId.CONNECT_RESET]


async def test_live_silent_server_on_a_starttls_port(certs: FaultCerts) -> None:
    findings = await diagnose_server(tarpit(), SMTP, 587, STARTTLS, certs)
    assert ids(findings) == [FindingId.CONNECT_NO_GREETING]


async def test_live_421_is_rate_limited(certs: FaultCerts) -> None:
    findings = await diagnose_server(smtp_421(), SMTP, 587, STARTTLS, certs)
    assert ids(findings) == [FindingId.CONNECT_RATE_LIMITED]
    assert "421" in findings[0].summary


async def test_live_pop3_behind_an_imap_setting(certs: FaultCerts) -> None:
    findings = await diagnose_server(
        pop3_server(Behaviour(caps=("USER",))), IMAP, 143, STARTTLS, certs
    )
    assert ids(findings) == [FindingId.PROTOCOL_WRONG_SERVICE]
    assert "POP3" in findings[0].summary


async def test_live_tls_spoken_to_starttls_port(
    certs: FaultCerts, good_ctx: ssl.SSLContext
) -> None:
    behaviour = Behaviour(
        caps=("STARTTLS", "AUTH PLAIN"), caps_tls=("AUTH PLAIN",), starttls=good_ctx
    )
    findings = await diagnose_server(smtp_server(behaviour), SMTP, 587, TLS, certs)
    assert findings[0].id == FindingId.MODE_EXPECTS_STARTTLS
    assert findings[0].summary == (
        "Port 587 on smtp.fault.test speaks STARTTLS: choose STARTTLS, not SSL/TLS."
    )


async def test_live_starttls_spoken_to_implicit_tls_port(
    certs: FaultCerts, good_ctx: ssl.SSLContext
) -> None:
    handler = implicit_tls(good_ctx, smtp_server(Behaviour(caps=("AUTH PLAIN",))))
    findings = await diagnose_server(handler, SMTP, 465, STARTTLS, certs)
    assert findings[0].id == FindingId.MODE_EXPECTS_TLS
    assert findings[0].summary == (
        "Port 465 on smtp.fault.test expects SSL/TLS from the start, not STARTTLS."
    )


async def test_live_starttls_missing_and_auth_before_tls(certs: FaultCerts) -> None:
    handler = imap_server(Behaviour(caps=("IMAP4rev1", "AUTH=PLAIN")))
    findings = await diagnose_server(handler, IMAP, 143, STARTTLS, certs)
    assert sorted(ids(findings)) == sorted(
        [FindingId.STARTTLS_NOT_OFFERED, FindingId.AUTH_BEFORE_TLS]
    )


async def test_live_preauth(certs: FaultCerts, good_ctx: ssl.SSLContext) -> None:
    behaviour = Behaviour(
        greeting="* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] welcome back",
        caps=("IMAP4rev1", "STARTTLS"),
        starttls=good_ctx,
    )
    findings = await diagnose_server(imap_server(behaviour), IMAP, 143, STARTTLS, certs)
    assert ids(findings) == [FindingId.IMAP_PREAUTH]
    assert findings[0].severity is Severity.ERROR


@pytest.mark.parametrize(
    ("which", "expected"),
    [
        ("expired", {FindingId.CERT_EXPIRED}),
        ("wrong_name", {FindingId.CERT_WRONG_NAME}),
        ("self_signed", {FindingId.CERT_SELF_SIGNED}),
        ("untrusted", {FindingId.CERT_UNTRUSTED}),
        # Python < 3.13 cannot see the chain the server sent, so both are honest answers.
        ("incomplete", {FindingId.CERT_INCOMPLETE_CHAIN, FindingId.CERT_UNTRUSTED}),
    ],
)
async def test_live_certificate_problems(
    certs: FaultCerts, which: str, expected: set[FindingId]
) -> None:
    handler = implicit_tls(server_context(getattr(certs, which)), pop3_server(Behaviour()))
    findings = await diagnose_server(handler, POP3, 995, TLS, certs)
    assert len(findings) == 1, ids(findings)
    assert findings[0].id in expected
    assert findings[0].severity is Severity.ERROR
    assert "pop.fault.test" in findings[0].summary


async def test_live_tls_1_0_only_server(certs: FaultCerts) -> None:
    handler = implicit_tls(server_context(certs.good, tls10_only=True), pop3_server(Behaviour()))
    findings = await diagnose_server(handler, POP3, 995, TLS, certs)
    assert ids(findings) == [FindingId.TLS_OLD_VERSION]
    assert "TLS 1.0" in findings[0].summary
