"""Every finding follows from what was observed (hostile servers that invite a wrong claim).

- An HTTP server on 993 answers the TLS ClientHello with `HTTP/1.1 400`: the report must
  say HTTP, never "speaks STARTTLS" when the plain second connection got no greeting.
- A greeting that keeps coming without its last line is not "never sent".
- A stalled implicit-TLS handshake says nothing about a greeting.

Each runs a real probe against a small asyncio server, then diagnosis, and checks the
cause (data) and the finding (words).
"""

from __future__ import annotations

import pytest

from faultservers import (
    HTTP_400,
    FaultCerts,
    FaultServer,
    Handler,
    answer_then_hang_up,
    answers_first_bytes,
    endless_smtp_greeting,
    http_server,
    imap_starttls_then_stall,
    make_fault_certs,
    serve,
    stalled_tls,
)
from mailprobe.diagnose import FindingId, diagnose_probe
from mailprobe.models import (
    Candidate,
    Cause,
    NetOptions,
    ProbePhase,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Provenance,
    Security,
    ServerSetting,
    SourceId,
)
from mailprobe.net.dns import DnsClient
from mailprobe.probes import ProbeTimeouts, probe_endpoint

QUICK = ProbeTimeouts(connect=2.0, greeting=0.6, tls=0.6, command=1.0, total=8.0)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> FaultCerts:
    return make_fault_certs(tmp_path_factory.mktemp("evidencecerts"))


async def _probe(
    handler: Handler,
    certs: FaultCerts,
    protocol: Protocol,
    host: str,
    port: int,
    security: Security,
    timeouts: ProbeTimeouts = QUICK,
) -> tuple[ProbeResult, list[str], FaultServer]:
    async with serve(handler) as server:
        net = NetOptions(connect_to=(server.route(host, port),), ca_file=certs.ca.cert)
        result = await probe_endpoint(
            protocol, host, port, security, dns=DnsClient(), net=net, timeouts=timeouts
        )
    setting = ServerSetting(protocol, host, port, security)
    candidate = Candidate(setting, (Provenance(SourceId.USER, "test", trusted=True),))
    findings = diagnose_probe(candidate, result)
    words = [f"{f.id}: {f.summary} {f.advice}" for f in findings]
    assert result.connections <= 2
    return result, words, server


def _ids(words: list[str]) -> list[str]:
    return [w.split(":", 1)[0] for w in words]


# --------------------------------------------------------------------------- HTTP on 993


@pytest.mark.parametrize("keep_open", [False, True])
async def test_http_server_on_993_is_named_http_not_starttls(
    certs: FaultCerts, keep_open: bool
) -> None:
    handler = answers_first_bytes(HTTP_400, keep_open=keep_open)
    result, words, server = await _probe(
        handler, certs, Protocol.IMAP, "imap.fault.test", 993, Security.TLS
    )
    assert result.cause is Cause.HTTP_ANSWER
    assert result.status is ProbeStatus.TLS_ERROR
    assert result.detected_security is None
    assert "HTTP/1.1 400" in result.reason
    assert _ids(words) == [FindingId.PROTOCOL_HTTP]
    assert "STARTTLS" not in words[0].split(".")[0]  # the summary claims no mode
    assert server.connections == 2


async def test_http_server_on_465_smtp_too(certs: FaultCerts) -> None:
    result, words, _server = await _probe(
        answers_first_bytes(b"HTTP/1.0 400 Bad request\r\n\r\n"),
        certs,
        Protocol.SMTP,
        "smtp.fault.test",
        465,
        Security.TLS,
    )
    assert result.cause is Cause.HTTP_ANSWER
    assert _ids(words) == [FindingId.PROTOCOL_HTTP]


async def test_http_server_that_speaks_first_on_a_plain_port(certs: FaultCerts) -> None:
    result, words, _server = await _probe(
        http_server(), certs, Protocol.IMAP, "imap.fault.test", 143, Security.STARTTLS
    )
    assert result.cause is Cause.HTTP_ANSWER
    assert result.failed_phase is ProbePhase.BANNER
    assert _ids(words) == [FindingId.PROTOCOL_HTTP]


async def test_non_tls_answer_with_a_silent_second_connection_claims_no_mode(
    certs: FaultCerts,
) -> None:
    """The second connection is closed at once: nothing says STARTTLS or plain."""
    result, words, server = await _probe(
        answer_then_hang_up(HTTP_400),
        certs,
        Protocol.IMAP,
        "imap.fault.test",
        993,
        Security.TLS,
    )
    assert server.connections == 2
    assert result.cause is Cause.NOT_TLS
    assert result.detected_security is None
    assert _ids(words) == [FindingId.MODE_NOT_TLS]
    assert not any("speaks STARTTLS" in w for w in words)


async def test_garbage_answer_to_the_client_hello_is_not_called_starttls(
    certs: FaultCerts,
) -> None:
    result, words, _server = await _probe(
        answers_first_bytes(b"\x00\x01 what is this?\r\n"),
        certs,
        Protocol.POP3,
        "pop.fault.test",
        995,
        Security.TLS,
    )
    assert result.cause is Cause.GARBAGE
    assert result.detected_security is None
    assert _ids(words) == [FindingId.MODE_NOT_TLS]


# --------------------------------------------------------------------------- greetings


async def test_greeting_lines_that_never_end_until_the_probe_limit(certs: FaultCerts) -> None:
    timeouts = ProbeTimeouts(connect=2.0, greeting=1.0, tls=1.0, command=1.0, total=1.5)
    result, words, _server = await _probe(
        endless_smtp_greeting(0.05),
        certs,
        Protocol.SMTP,
        "smtp.fault.test",
        587,
        Security.STARTTLS,
        timeouts,
    )
    assert result.status is ProbeStatus.TIMEOUT
    assert result.cause is Cause.INCOMPLETE
    assert result.failed_phase is ProbePhase.BANNER
    assert _ids(words) == [FindingId.CONNECT_GREETING_INCOMPLETE]
    assert "never sent" not in words[0]
    assert result.connections == 1  # a begun greeting is no reason to try TLS


async def test_greeting_lines_that_stop_before_the_last_one(certs: FaultCerts) -> None:
    result, words, _server = await _probe(
        endless_smtp_greeting(0.01, lines=3),
        certs,
        Protocol.SMTP,
        "smtp.fault.test",
        587,
        Security.STARTTLS,
    )
    assert result.cause is Cause.INCOMPLETE
    assert _ids(words) == [FindingId.CONNECT_GREETING_INCOMPLETE]
    assert "began" in result.reason


async def test_a_flood_of_greeting_lines_is_too_large_not_missing(certs: FaultCerts) -> None:
    result, words, _server = await _probe(
        endless_smtp_greeting(0.01, burst=200),
        certs,
        Protocol.SMTP,
        "smtp.fault.test",
        587,
        Security.STARTTLS,
    )
    assert result.status is ProbeStatus.PROTOCOL_ERROR
    assert result.cause is Cause.TOO_LARGE
    assert _ids(words) == [FindingId.PROTOCOL_UNEXPECTED]
    assert "did not end" in words[0]


# --------------------------------------------------------------------------- stalled TLS


@pytest.mark.parametrize("how", ["silent", "half_record", "no_read"])
async def test_stalled_implicit_tls_handshake_says_nothing_about_a_greeting(
    certs: FaultCerts, how: str
) -> None:
    result, words, server = await _probe(
        stalled_tls(how), certs, Protocol.IMAP, "imap.fault.test", 993, Security.TLS
    )
    assert result.status is ProbeStatus.TIMEOUT
    assert result.cause is Cause.TIMEOUT
    assert result.failed_phase is ProbePhase.TLS
    assert result.banner is None
    assert _ids(words) == [FindingId.TLS_HANDSHAKE_TIMEOUT]
    assert "greeting" not in words[0]
    assert server.connections == 1


async def test_stalled_handshake_after_starttls(certs: FaultCerts) -> None:
    result, words, _server = await _probe(
        imap_starttls_then_stall(),
        certs,
        Protocol.IMAP,
        "imap.fault.test",
        143,
        Security.STARTTLS,
    )
    assert result.cause is Cause.TIMEOUT
    assert result.failed_phase is ProbePhase.TLS
    assert result.banner is not None
    assert _ids(words) == [FindingId.TLS_HANDSHAKE_TIMEOUT]
