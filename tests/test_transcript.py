"""`--transcript` on fault servers: events in order, TLS details, caps, both connections,
and how the table and JSON show it."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from faultservers import (
    Behaviour,
    FaultCerts,
    imap_server,
    implicit_tls,
    make_fault_certs,
    pop3_server,
    serve,
    server_context,
)
from mailprobe.models import (
    Candidate,
    NetOptions,
    ProbedCandidate,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Provenance,
    Report,
    Security,
    ServerSetting,
    SourceId,
    TranscriptDirection,
)
from mailprobe.net.dns import DnsClient
from mailprobe.probes import Credentials, ProbeTimeouts, probe_endpoint
from mailprobe.probes.transcript import MAX_TEXT
from mailprobe.redact import REDACTED
from mailprobe.render import json as json_render
from mailprobe.render import table

FAST = ProbeTimeouts(connect=2.0, greeting=2.0, tls=2.0, command=2.0, total=10.0)
IMAP_CAPS = ("IMAP4rev1", "SASL-IR", "STARTTLS", "AUTH=PLAIN")


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> FaultCerts:
    return make_fault_certs(tmp_path_factory.mktemp("transcriptcerts"))


async def _probe(
    certs: FaultCerts, handler: object, host: str, port: int, security: Security, **kw: object
) -> ProbeResult:
    async with serve(handler) as server:  # type: ignore[arg-type]
        protocol = Protocol.POP3 if host.startswith("pop") else Protocol.IMAP
        return await probe_endpoint(
            protocol,
            host,
            port,
            security,
            dns=DnsClient(),
            net=NetOptions(connect_to=(server.route(host, port),), ca_file=certs.ca.cert),
            timeouts=FAST,
            **kw,  # type: ignore[arg-type]
        )


async def test_starttls_conversation_in_order(certs: FaultCerts) -> None:
    handler = imap_server(
        Behaviour(
            caps=IMAP_CAPS,
            caps_tls=("IMAP4rev1", "SASL-IR", "AUTH=PLAIN"),
            starttls=server_context(certs.good),
            login_reply="NO [AUTHENTICATIONFAILED] nope",
        )
    )
    result = await _probe(
        certs,
        handler,
        "imap.fault.test",
        143,
        Security.STARTTLS,
        credentials=Credentials("alice", "hunter2"),
        transcript=True,
    )
    assert result.transcript is not None
    flow = [(e.dir.value, e.text) for e in result.transcript]
    texts = [t for _d, t in flow]
    assert texts[0].startswith("connection 1 to imap.fault.test:143 (starttls): connected to 127.")
    assert flow[1] == ("server", "* OK fault IMAP ready")
    assert ("client", "mp1 CAPABILITY") in flow
    go_ahead = flow.index(("server", "mp2 OK begin TLS"))
    assert flow[go_ahead - 1] == ("client", "mp2 STARTTLS")
    assert flow[go_ahead + 1] == ("event", "TLS handshake starts")
    established = flow[go_ahead + 2][1]
    assert established.startswith("TLS established: TLSv1.")
    assert "certificate subject CN=" in established
    assert flow[go_ahead + 3] == ("client", "mp3 CAPABILITY")
    assert ("client", f"mp4 AUTHENTICATE PLAIN {REDACTED}") in flow
    assert ("server", "mp4 NO [AUTHENTICATIONFAILED] nope") in flow
    assert flow[-1] == ("event", "mailprobe closed the connection")
    assert all("hunter2" not in t for t in texts)
    assert [e.t_ms for e in result.transcript] == sorted(e.t_ms for e in result.transcript)


async def test_long_server_lines_are_capped_with_a_marker(certs: FaultCerts) -> None:
    long_greeting = "+OK " + "x" * 5000
    handler = pop3_server(Behaviour(greeting=long_greeting, caps=("USER",)))
    result = await _probe(certs, handler, "pop.fault.test", 110, Security.PLAIN, transcript=True)
    assert result.status is ProbeStatus.OK
    assert result.transcript is not None
    greeting = next(e for e in result.transcript if e.dir is TranscriptDirection.SERVER)
    assert greeting.text.startswith("+OK xxx")
    assert greeting.text.endswith(f"[... {len(long_greeting) - MAX_TEXT} more characters cut]")


async def test_both_connections_are_recorded(certs: FaultCerts) -> None:
    handler = implicit_tls(server_context(certs.expired), imap_server(Behaviour(caps=IMAP_CAPS)))
    result = await _probe(certs, handler, "imap.fault.test", 993, Security.TLS, transcript=True)
    assert result.status is ProbeStatus.TLS_ERROR
    assert result.transcript is not None
    events = [e.text for e in result.transcript if e.dir is TranscriptDirection.EVENT]
    assert any(e.startswith("connection 1 to imap.fault.test:993 (tls):") for e in events)
    assert any(
        "connection 2 to imap.fault.test:993 (tls, certificate not checked)" in e for e in events
    )
    assert any(e.startswith("TLS handshake failed: SSLCertVerificationError") for e in events)


async def test_not_recorded_unless_asked(certs: FaultCerts) -> None:
    handler = pop3_server(Behaviour(caps=("USER",)))
    result = await _probe(certs, handler, "pop.fault.test", 110, Security.PLAIN)
    assert result.transcript is None


async def test_table_and_json_show_the_transcript(certs: FaultCerts) -> None:
    handler = pop3_server(Behaviour(caps=("USER",)))
    recorded = await _probe(certs, handler, "pop.fault.test", 110, Security.PLAIN, transcript=True)
    setting = ServerSetting(Protocol.POP3, "pop.fault.test", 110, Security.PLAIN)
    candidate = Candidate(setting, (Provenance(SourceId.USER, "typed", trusted=True),))
    report = Report(
        address=None,
        domain="pop.fault.test",
        provider=None,
        recommended={},
        candidates=(ProbedCandidate(candidate, recorded),),
        sources=(),
        findings=(),
        probed=True,
    )
    text = table.render(report)
    section = text[text.index("Transcripts") :]
    assert "POP3 pop.fault.test:110 none (ok)" in section
    assert "S: +OK fault POP3 ready" in section
    assert "C: CAPA" in section
    data = json.loads(json_render.dumps(report))
    transcript = data["candidates"][0]["probe"]["transcript"]
    assert transcript[1] == {
        "t_ms": transcript[1]["t_ms"],
        "dir": "server",
        "text": "+OK fault POP3 ready",
    }
    assert isinstance(transcript[1]["t_ms"], float)
    assert data["candidates"][0]["probe"]["starttls_injection"] is None
    unrecorded = replace(
        report, candidates=(ProbedCandidate(candidate, ProbeResult(ProbeStatus.OK)),)
    )
    data = json.loads(json_render.dumps(unrecorded))
    assert data["candidates"][0]["probe"]["transcript"] is None
    assert "Transcripts" not in table.render(unrecorded)
