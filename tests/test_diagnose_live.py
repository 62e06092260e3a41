"""End to end on loopback: a real probe against a misbehaving server, then diagnose_probe.

These keep the diagnosis honest about what probes really report: each fault server
(tests/faultservers.py) provokes one situation, and the finding must name it.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from faultservers import (
    Behaviour,
    FaultCerts,
    FaultServer,
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
    ProbeResult,
    Protocol,
    Provenance,
    Security,
    ServerSetting,
    Severity,
    SourceId,
)
from mailprobe.net.dns import DnsClient
from mailprobe.probe import ProbeTimeouts, probe_endpoint

IMAP, POP3, SMTP = Protocol.IMAP, Protocol.POP3, Protocol.SMTP
TLS, STARTTLS = Security.TLS, Security.STARTTLS
FAST = ProbeTimeouts(connect=2.0, greeting=0.6, tls=2.0, command=2.0, total=8.0)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> FaultCerts:
    return make_fault_certs(tmp_path_factory.mktemp("diagnose-certs"))


@pytest.fixture
def good_ctx(certs: FaultCerts) -> ssl.SSLContext:
    return server_context(certs.good)


@pytest.fixture
def closed_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    yield port


async def probe_and_diagnose(
    protocol: Protocol,
    host: str,
    port: int,
    security: Security,
    route: ConnectTo,
    ca_file: Path,
) -> tuple[ProbeResult, tuple[Finding, ...]]:
    net = NetOptions(connect_to=(route,), ca_file=ca_file, timeout=8.0)
    probe = await probe_endpoint(
        protocol, host, port, security, dns=DnsClient(timeout=1.0), net=net, timeouts=FAST
    )
    candidate = Candidate(
        ServerSetting(protocol, host, port, security),
        (Provenance(SourceId.USER, f"{host}:{port}", trusted=True),),
    )
    return probe, diagnose_probe(candidate, probe)


def ids(findings: tuple[Finding, ...]) -> list[str]:
    return [f.id for f in findings]


async def test_live_refused(certs: FaultCerts, closed_port: int) -> None:
    route = ConnectTo("imap.fault.test", 993, "127.0.0.1", closed_port)
    _, findings = await probe_and_diagnose(IMAP, "imap.fault.test", 993, TLS, route, certs.ca.cert)
    assert ids(findings) == [FindingId.CONNECT_REFUSED]


async def test_live_reset(certs: FaultCerts) -> None:
    async with serve(reset_after_connect()) as server:
        route = server.route("imap.fault.test", 143)
        _, findings = await probe_and_diagnose(
            IMAP, "imap.fault.test", 143, STARTTLS, route, certs.ca.cert
        )
    assert ids(findings) == [FindingId.CONNECT_RESET]


async def test_live_silent_server_on_a_starttls_port(certs: FaultCerts) -> None:
    async with serve(tarpit()) as server:
        route = server.route("smtp.fault.test", 587)
        _, findings = await probe_and_diagnose(
            SMTP, "smtp.fault.test", 587, STARTTLS, route, certs.ca.cert
        )
    assert ids(findings) == [FindingId.CONNECT_NO_GREETING]


async def test_live_421_is_rate_limited(certs: FaultCerts) -> None:
    async with serve(smtp_421()) as server:
        route = server.route("smtp.fault.test", 587)
        _, findings = await probe_and_diagnose(
            SMTP, "smtp.fault.test", 587, STARTTLS, route, certs.ca.cert
        )
    assert ids(findings) == [FindingId.CONNECT_RATE_LIMITED]
    assert "421" in findings[0].summary


async def test_live_pop3_behind_an_imap_setting(certs: FaultCerts) -> None:
    async with serve(pop3_server(Behaviour(caps=("USER",)))) as server:
        route = server.route("imap.fault.test", 143)
        _, findings = await probe_and_diagnose(
            IMAP, "imap.fault.test", 143, STARTTLS, route, certs.ca.cert
        )
    assert ids(findings) == [FindingId.PROTOCOL_WRONG_SERVICE]
    assert "POP3" in findings[0].summary


async def test_live_tls_spoken_to_starttls_port(
    certs: FaultCerts, good_ctx: ssl.SSLContext
) -> None:
    behaviour = Behaviour(
        caps=("STARTTLS", "AUTH PLAIN"), caps_tls=("AUTH PLAIN",), starttls=good_ctx
    )
    async with serve(smtp_server(behaviour)) as server:
        route = server.route("smtp.fault.test", 587)
        _, findings = await probe_and_diagnose(
            SMTP, "smtp.fault.test", 587, TLS, route, certs.ca.cert
        )
    assert FindingId.MODE_EXPECTS_STARTTLS in ids(findings)
    f = findings[0]
    assert f.id == FindingId.MODE_EXPECTS_STARTTLS
    assert f.summary == "Port 587 on smtp.fault.test speaks STARTTLS: choose STARTTLS, not SSL/TLS."


async def test_live_starttls_spoken_to_implicit_tls_port(
    certs: FaultCerts, good_ctx: ssl.SSLContext
) -> None:
    inner = smtp_server(Behaviour(caps=("AUTH PLAIN",)))
    async with serve(implicit_tls(good_ctx, inner)) as server:
        route = server.route("smtp.fault.test", 465)
        _, findings = await probe_and_diagnose(
            SMTP, "smtp.fault.test", 465, STARTTLS, route, certs.ca.cert
        )
    assert ids(findings)[0] == FindingId.MODE_EXPECTS_TLS
    assert findings[0].summary == (
        "Port 465 on smtp.fault.test expects SSL/TLS from the start, not STARTTLS."
    )


async def test_live_starttls_missing_and_auth_before_tls(certs: FaultCerts) -> None:
    behaviour = Behaviour(caps=("IMAP4rev1", "AUTH=PLAIN"))
    async with serve(imap_server(behaviour)) as server:
        route = server.route("imap.fault.test", 143)
        _, findings = await probe_and_diagnose(
            IMAP, "imap.fault.test", 143, STARTTLS, route, certs.ca.cert
        )
    assert sorted(ids(findings)) == sorted(
        [FindingId.STARTTLS_NOT_OFFERED, FindingId.AUTH_BEFORE_TLS]
    )


async def test_live_preauth(certs: FaultCerts, good_ctx: ssl.SSLContext) -> None:
    behaviour = Behaviour(
        greeting="* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] welcome back",
        caps=("IMAP4rev1", "STARTTLS"),
        starttls=good_ctx,
    )
    async with serve(imap_server(behaviour)) as server:
        route = server.route("imap.fault.test", 143)
        _, findings = await probe_and_diagnose(
            IMAP, "imap.fault.test", 143, STARTTLS, route, certs.ca.cert
        )
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
    ctx = server_context(getattr(certs, which))
    inner = pop3_server(Behaviour(caps=("USER",)))
    async with serve(implicit_tls(ctx, inner)) as server:
        route: ConnectTo = FaultServer.route(server, "pop.fault.test", 995)
        _, findings = await probe_and_diagnose(
            POP3, "pop.fault.test", 995, TLS, route, certs.ca.cert
        )
    assert len(findings) == 1, ids(findings)
    assert findings[0].id in expected
    assert findings[0].severity is Severity.ERROR
    assert "pop.fault.test" in findings[0].summary
