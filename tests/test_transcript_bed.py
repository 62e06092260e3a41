"""`--transcript` against the real bed: Dovecot (IMAP, POP3) and Postfix (SMTP).

The login uses the real password and wrong passwords that collide with protocol words
(status names, keywords, parts of the servers' replies). The credential lines must read
`<redacted>`, the servers' own words must stay intact, and nothing is recorded unless
asked.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import schemacheck
from mailprobe.models import (
    ConnectTo,
    LoginStatus,
    Nameserver,
    NetOptions,
    ProbeResult,
    Protocol,
    Security,
    TranscriptDirection,
)
from mailprobe.net.dns import DnsClient
from mailprobe.probes import Credentials, probe_endpoint
from mailprobe.redact import REDACTED
from testbed import BedInfo

ROOT = Path(__file__).resolve().parent.parent

ENDPOINTS = [
    (Protocol.IMAP, "imap.mailprobe.test", 993, Security.TLS),
    (Protocol.IMAP, "imap2.mailprobe.test", 143, Security.STARTTLS),
    (Protocol.POP3, "pop.mailprobe.test", 995, Security.TLS),
    (Protocol.POP3, "imap2.mailprobe.test", 110, Security.STARTTLS),
    (Protocol.SMTP, "smtp.mailprobe.test", 587, Security.STARTTLS),
    (Protocol.SMTP, "smtp.mailprobe.test", 465, Security.TLS),
]

#: Wrong passwords that are parts of the servers' words, in another case, or keywords:
#: nothing the servers say may change.
INSIDE_WORDS = ["ok", "OK", "Auth", "auth", "wrong", "fail", "AUTH", "plain", "PLAIN"]

#: Wrong passwords that the servers print as whole words: those words are redacted
#: (a server echoing the password looks the same), everything else stays.
WHOLE_WORDS = ["failed", "ready", "error", "Authentication"]

#: What each server always says (with no password among it).
INTACT = {
    Protocol.IMAP: ("* OK", "AUTH=PLAIN", "[AUTHENTICATIONFAILED] Authentication failed."),
    Protocol.POP3: ("+OK", "-ERR [AUTH] Authentication failed."),
    Protocol.SMTP: ("250", "AUTH PLAIN", "535 5.7.8 Error: authentication failed"),
}

#: The only shapes a recorded line carrying a credential may have.
CREDENTIAL_LINE = re.compile(
    r"(?:mp\d+ AUTHENTICATE PLAIN |AUTH PLAIN |PASS |mp\d+ LOGIN \S+ )?<redacted>"
)


def _net(bed: BedInfo) -> NetOptions:
    rules = [
        ConnectTo("imap2.mailprobe.test", bed.standard_ports[s], bed.alt_ip, bed.ports[s])
        for s in ("imap", "imaps", "pop3", "pop3s")
    ]
    rules += [
        ConnectTo("", bed.standard_ports[name], "127.0.0.1", port)
        for name, port in bed.ports.items()
    ]
    return NetOptions(
        nameservers=(Nameserver(bed.dns.ip, bed.dns.port),),
        connect_to=tuple(rules),
        ca_file=bed.ca_file,
    )


async def _probe(
    bed: BedInfo, endpoint: tuple[Protocol, str, int, Security], password: str, **kw: object
) -> ProbeResult:
    protocol, host, port, security = endpoint
    net = _net(bed)
    return await probe_endpoint(
        protocol,
        host,
        port,
        security,
        dns=DnsClient(net.nameservers),
        net=net,
        credentials=Credentials(bed.user.username, password),
        **kw,  # type: ignore[arg-type]
    )


def _texts(result: ProbeResult, direction: TranscriptDirection) -> list[str]:
    assert result.transcript is not None
    return [e.text for e in result.transcript if e.dir is direction]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e[0]}-{e[2]}")
async def test_transcript_of_a_good_login(
    bed: BedInfo, endpoint: tuple[Protocol, str, int, Security]
) -> None:
    result = await _probe(bed, endpoint, bed.user.password, transcript=True)
    assert result.login is not None
    assert result.login.status is LoginStatus.OK
    assert result.transcript is not None
    events = _texts(result, TranscriptDirection.EVENT)
    assert any(e.startswith("connection 1 to ") for e in events)
    established = [e for e in events if e.startswith("TLS established: TLSv1.")]
    assert len(established) == 1
    assert "certificate subject CN=" in established[0]
    clients = _texts(result, TranscriptDirection.CLIENT)
    assert any(c.endswith(REDACTED) for c in clients)
    plain = base64.b64encode(f"\0{bed.user.username}\0{bed.user.password}".encode()).decode()
    everything = "\n".join(e.text for e in result.transcript)
    assert bed.user.password not in everything
    assert plain not in everything
    times = [e.t_ms for e in result.transcript]
    assert times == sorted(times)
    if endpoint[3] is Security.STARTTLS:
        # the go-ahead comes before the handshake, the capabilities are asked again after it
        start = events.index("TLS handshake starts")
        assert start > 0


def _credential_lines(result: ProbeResult) -> list[str]:
    lines = [c for c in _texts(result, TranscriptDirection.CLIENT) if REDACTED in c]
    assert lines
    for line in lines:
        assert CREDENTIAL_LINE.fullmatch(line), line
    return lines


@pytest.mark.parametrize("password", INSIDE_WORDS)
@pytest.mark.parametrize("endpoint", ENDPOINTS[::2], ids=lambda e: f"{e[0]}-{e[2]}")
async def test_password_inside_the_servers_words_changes_nothing(
    bed: BedInfo, endpoint: tuple[Protocol, str, int, Security], password: str
) -> None:
    result = await _probe(bed, endpoint, password, transcript=True)
    assert result.login is not None
    assert result.login.status is LoginStatus.WRONG_CREDENTIALS
    servers = "\n".join(_texts(result, TranscriptDirection.SERVER))
    for words in INTACT[endpoint[0]]:
        assert words in servers, (words, servers)
    assert REDACTED not in servers
    assert REDACTED not in result.login.detail
    _credential_lines(result)


@pytest.mark.parametrize("password", WHOLE_WORDS)
@pytest.mark.parametrize("endpoint", ENDPOINTS[::2], ids=lambda e: f"{e[0]}-{e[2]}")
async def test_password_as_a_whole_server_word_is_redacted_alone(
    bed: BedInfo, endpoint: tuple[Protocol, str, int, Security], password: str
) -> None:
    result = await _probe(bed, endpoint, password, transcript=True)
    assert result.login is not None
    assert result.login.status is LoginStatus.WRONG_CREDENTIALS
    servers = "\n".join(_texts(result, TranscriptDirection.SERVER))
    as_word = re.compile(rf"(?<!\w){re.escape(password)}(?!\w)", re.IGNORECASE)
    assert not as_word.search(servers)
    said = {Protocol.IMAP: "[AUTHENTICATIONFAILED]", Protocol.POP3: "-ERR [AUTH]"}
    said[Protocol.SMTP] = "535 5.7.8"
    assert said[endpoint[0]] in servers
    if as_word.search(" ".join(INTACT[endpoint[0]])):
        assert REDACTED in servers
    _credential_lines(result)


async def test_nothing_is_recorded_unless_asked(bed: BedInfo) -> None:
    result = await _probe(bed, ENDPOINTS[0], bed.user.password)
    assert result.transcript is None


def test_cli_transcript_with_login(bed: BedInfo, bed_args: list[str]) -> None:
    env = {**os.environ, "MAILPROBE_PASSWORD": "ok", "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "mailprobe", "check", bed.user.address]
    argv += [*bed_args, "--login", "--transcript", "--json", "--debug", "--timeout", "15"]
    done = subprocess.run(
        argv, capture_output=True, text=True, env=env, timeout=90, check=False, cwd=ROOT
    )
    report = json.loads(done.stdout)
    schemacheck.valid_report(report)
    probed = [c for c in report["candidates"] if c["probe"] is not None]
    assert probed
    for candidate in probed:
        transcript = candidate["probe"]["transcript"]
        assert isinstance(transcript, list)
        for entry in transcript:
            assert set(entry) == {"t_ms", "dir", "text"}
            assert entry["dir"] in ("client", "server", "event")
    logins = [c["probe"]["login"] for c in probed if c["probe"]["login"] is not None]
    assert any(lg["status"] == "wrong_credentials" for lg in logins)
    texts = [e["text"] for c in probed for e in c["probe"]["transcript"]]
    assert any(t.endswith(f"PLAIN {REDACTED}") for t in texts)
    assert any(t.startswith("* OK") for t in texts)  # "OK" is the server's, not the password
    assert any(t.startswith("+OK") for t in texts)
    assert "wrong_credentials" in done.stderr
