"""Secrets in every form, end to end: servers that echo the password in each encoding.

Each fault server decodes the credential it received and writes it back in many
encodings, each as `name=VALUE;`, in untagged lines, multi-line replies and the final
answer. The command line then runs with MAILPROBE_PASSWORD, `--debug` and `--transcript`,
and every `name=...;` in the JSON, the table and the debug log must read `<redacted>`,
while mailprobe's own words (`wrong_credentials`, `[AUTHENTICATIONFAILED]`) stay intact.
A server that never received the password (an untrusted endpoint) is scrubbed too.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

import schemacheck
from faultservers import (
    FaultCerts,
    FaultServer,
    Handler,
    implicit_tls,
    make_fault_certs,
    serve,
    server_context,
)
from mailprobe.models import (
    Candidate,
    DiscoveryOptions,
    LoginStatus,
    NetOptions,
    Protocol,
    Provenance,
    Security,
    ServerSetting,
    SourceId,
)
from mailprobe.net.dns import DnsClient
from mailprobe.probes import Credentials
from mailprobe.probes.scheduler import CheckOptions, probe_candidates
from mailprobe.redact import REDACTED

ROOT = Path(__file__).resolve().parent.parent
PASSWORDS = ["ok", "wrong", "Auth", "error", "p@ss w%rd/é", "Tr0ub4dor&3"]
MARKER = re.compile(r"\b(raw|upper|lower|url|urlplus|urllow|hex|HEX|b64|quoted)=([^;\n]*);")
USER = "alice@fault.test"


def echo_forms(password: str) -> dict[str, str]:
    """The password as careless servers write it back (independent of mailprobe.redact)."""
    raw = password.encode()
    forms = {
        "raw": password,
        "upper": password.upper(),
        "lower": password.lower(),
        "url": quote(password, safe=""),
        "urlplus": quote_plus(password),
        "urllow": quote(password, safe="").lower(),
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
        "b64": base64.b64encode(raw).decode(),
        "quoted": password.replace("\\", "\\\\").replace('"', '\\"'),
    }
    # a case variant that is the protocol's own keyword is not an echo we can tell apart
    return {k: v for k, v in forms.items() if v == password or v.upper() not in ("OK", "AUTH")}


def _password_from_plain(blob: str) -> str:
    return base64.b64decode(blob).split(b"\0")[-1].decode("utf-8", "replace")


def _markers(password: str, keys: tuple[str, ...] | None = None) -> list[str]:
    forms = echo_forms(password)
    return [f"{k}={v};" for k, v in forms.items() if keys is None or k in keys]


async def _line(reader: asyncio.StreamReader) -> str | None:
    raw = await reader.readline()
    return raw.decode("utf-8", "replace").rstrip("\r\n") if raw else None


def imap_echo() -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] echo ready\r\n")
        while (line := await _line(reader)) is not None:
            tag, _, rest = line.partition(" ")
            parts = rest.split(" ")
            word = parts[0].upper()
            if word == "AUTHENTICATE":
                password = _password_from_plain(parts[2])
                for marker in _markers(password):
                    writer.write(f"* NO {marker}\r\n".encode())
                tail = " ".join(_markers(password, ("raw", "url", "HEX")))
                writer.write(
                    f"{tag} NO [AUTHENTICATIONFAILED] Authentication failed ({tail})\r\n".encode()
                )
            elif word == "LOGOUT":
                writer.write(f"* BYE\r\n{tag} OK bye\r\n".encode())
                await writer.drain()
                return
            else:
                writer.write(f"{tag} BAD unknown\r\n".encode())
            await writer.drain()

    return handler


def pop3_echo() -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"+OK echo ready\r\n")
        while (line := await _line(reader)) is not None:
            word = line.split(" ", 1)[0].upper()
            if word == "CAPA":
                writer.write(b"+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n")
            elif word == "AUTH":
                writer.write(b"+ \r\n")
                await writer.drain()
                password = _password_from_plain(await _line(reader) or "")
                tail = " ".join(_markers(password, ("raw", "upper", "urlplus", "hex", "b64")))
                writer.write(f"-ERR [AUTH] Authentication failed ({tail})\r\n".encode())
            elif word == "QUIT":
                writer.write(b"+OK bye\r\n")
                await writer.drain()
                return
            else:
                writer.write(b"-ERR unknown\r\n")
            await writer.drain()

    return handler


def smtp_echo() -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 smtp.fault.test ESMTP echo\r\n")
        while (line := await _line(reader)) is not None:
            parts = line.split(" ")
            word = parts[0].upper()
            if word == "EHLO":
                writer.write(b"250-smtp.fault.test\r\n250 AUTH PLAIN\r\n")
            elif word == "AUTH":
                password = _password_from_plain(parts[2])
                lines = [f"535-5.7.8 {m}" for m in _markers(password)]
                lines.append("535 5.7.8 Authentication credentials invalid")
                writer.write(("\r\n".join(lines) + "\r\n").encode())
            elif word == "QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                return
            else:
                writer.write(b"502 unknown\r\n")
            await writer.drain()

    return handler


SERVERS = {
    Protocol.IMAP: (imap_echo, "imap.fault.test", 993),
    Protocol.POP3: (pop3_echo, "pop.fault.test", 995),
    Protocol.SMTP: (smtp_echo, "smtp.fault.test", 465),
}


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> FaultCerts:
    return make_fault_certs(tmp_path_factory.mktemp("echocerts"))


@contextmanager
def threaded(handler: Handler) -> Iterator[FaultServer]:
    """Run a fault server in a thread of its own, for a mailprobe subprocess to reach."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = asyncio.Event()
    holder: list[FaultServer] = []

    async def main() -> None:
        async with serve(handler) as server:
            holder.append(server)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield holder[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


def _mailprobe(password: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MAILPROBE_PASSWORD": password, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "mailprobe", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        cwd=ROOT,
    )


def _run_probe(
    certs: FaultCerts, protocol: Protocol, password: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    factory, host, port = SERVERS[protocol]
    with threaded(implicit_tls(server_context(certs.good), factory())) as server:
        return _mailprobe(
            password,
            "probe",
            f"{host}:{port}",
            "--protocol",
            protocol.value,
            "--security",
            "tls",
            "--connect-to",
            f"{host}:{port}:127.0.0.1:{server.port}",
            "--ca-file",
            str(certs.ca.cert),
            "--login",
            "--username",
            USER,
            "--transcript",
            "--debug",
            "--timeout",
            "10",
            *extra,
        )


def _assert_all_redacted(text: str, password: str) -> int:
    """Every `name=VALUE;` echo in `text` reads `<redacted>`; returns how many there were."""
    names = set(echo_forms(password))
    found = [(k, v) for k, v in MARKER.findall(text) if k in names]
    leaked = [(k, v) for k, v in found if v != REDACTED]
    assert not leaked, leaked
    return len(found)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


@pytest.mark.parametrize("password", PASSWORDS)
@pytest.mark.parametrize("protocol", list(SERVERS))
def test_json_and_debug_never_show_an_echoed_password(
    certs: FaultCerts, protocol: Protocol, password: str
) -> None:
    done = _run_probe(certs, protocol, password, "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    schemacheck.valid_report(report)
    probe = report["candidates"][0]["probe"]
    assert probe["login"]["status"] == "wrong_credentials"
    if protocol is Protocol.IMAP:
        assert "[AUTHENTICATIONFAILED]" in probe["login"]["detail"]
    echoes = sum(_assert_all_redacted(s, password) for s in _strings(report))
    assert echoes >= 3  # the echoes arrived (in the transcript and the login detail)
    assert any(e["text"].endswith(REDACTED) for e in probe["transcript"] if e["dir"] == "client")
    assert _assert_all_redacted(done.stderr, password) >= 1  # the debug log quotes the reason
    assert "wrong_credentials" in done.stderr


@pytest.mark.parametrize("password", ["wrong", "p@ss w%rd/é", "ok"])
@pytest.mark.parametrize("protocol", list(SERVERS))
def test_table_output_never_shows_an_echoed_password(
    certs: FaultCerts, protocol: Protocol, password: str
) -> None:
    done = _run_probe(certs, protocol, password)
    assert done.returncode == 1, done.stderr
    assert "Transcripts" in done.stdout
    assert _assert_all_redacted(done.stdout, password) >= 3
    assert _assert_all_redacted(done.stderr, password) >= 1
    assert "wrong_credentials" in done.stdout
    assert f"C: {REDACTED}" in done.stdout or f"PLAIN {REDACTED}" in done.stdout


def _greeting_with(password: str) -> Handler:
    """An IMAP server that prints the password in its greeting without ever getting it."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hexed = password.encode().hex()
        writer.write(
            f"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi raw={password}; hex={hexed};\r\n".encode()
        )
        while (line := await _line(reader)) is not None:
            tag = line.split(" ", 1)[0]
            writer.write(f"{tag} NO raw={password}; hex={password.encode().hex()};\r\n".encode())
            await writer.drain()

    return handler


async def test_an_endpoint_that_never_got_the_password_is_scrubbed_too(
    certs: FaultCerts,
) -> None:
    password = "wrong"
    ctx = server_context(certs.good)
    async with (
        serve(implicit_tls(ctx, _greeting_with(password))) as untrusted,
        serve(implicit_tls(ctx, imap_echo())) as trusted,
    ):
        settings = [
            ServerSetting(Protocol.IMAP, "imap.fault.test", 993, Security.TLS),
            ServerSetting(Protocol.IMAP, "pop.fault.test", 993, Security.TLS),
        ]
        candidates = [
            Candidate(settings[0], (Provenance(SourceId.USER, "typed", trusted=True),)),
            Candidate(settings[1], (Provenance(SourceId.SRV, "srv", trusted=False),)),
        ]
        net = NetOptions(
            connect_to=(
                trusted.route("imap.fault.test", 993),
                untrusted.route("pop.fault.test", 993),
            ),
            ca_file=certs.ca.cert,
        )
        options = CheckOptions(
            discovery=DiscoveryOptions(net=net),
            credentials=Credentials(USER, password),
            username_override=True,
            transcript=True,
        )
        loop = asyncio.get_running_loop()
        probed = await probe_candidates(candidates, options, DnsClient(), loop.time() + 10)
    got, never = probed[0].probe, probed[1].probe
    assert got is not None
    assert never is not None
    assert got.login is not None
    assert got.login.status is LoginStatus.WRONG_CREDENTIALS
    assert never.login is not None
    assert never.login.status is LoginStatus.NOT_ATTEMPTED
    assert never.banner is not None
    assert f"raw={REDACTED};" in never.banner
    assert never.transcript is not None
    text = "\n".join(e.text for e in never.transcript)
    assert f"raw={REDACTED};" in text
    assert f"hex={REDACTED};" in text
    assert _assert_all_redacted(text, password) == 2


@pytest.mark.parametrize(
    ("protocol", "password"),
    [
        (Protocol.SMTP, "250"),
        (Protocol.SMTP, "535"),
        (Protocol.SMTP, "5.7.8"),
        (Protocol.IMAP, "mp1"),
        (Protocol.IMAP, "mp2"),
        (Protocol.IMAP, "NO"),
        (Protocol.POP3, "+OK"),
        (Protocol.POP3, "-ERR"),
    ],
)
async def test_password_equal_to_a_tag_or_reply_code_does_not_break_the_dialogue(
    certs: FaultCerts, protocol: Protocol, password: str
) -> None:
    """Redaction never touches what the protocol parses (tags, codes, status words)."""
    from faultservers import Behaviour, imap_server, pop3_server, smtp_server
    from mailprobe.probes import ProbeTimeouts, probe_endpoint

    behaviour = {
        Protocol.IMAP: (imap_server, ("IMAP4rev1", "AUTH=PLAIN"), "NO [AUTHENTICATIONFAILED] no"),
        Protocol.POP3: (pop3_server, ("USER",), "-ERR [AUTH] no"),
        Protocol.SMTP: (smtp_server, ("AUTH PLAIN",), "535 5.7.8 no"),
    }
    factory, caps, reply = behaviour[protocol]
    _factory, host, port = SERVERS[protocol]
    handler = implicit_tls(
        server_context(certs.good),
        factory(Behaviour(caps=caps, login_reply=reply, echo_login=True)),
    )
    async with serve(handler) as server:
        result = await probe_endpoint(
            protocol,
            host,
            port,
            Security.TLS,
            dns=DnsClient(),
            net=NetOptions(connect_to=(server.route(host, port),), ca_file=certs.ca.cert),
            timeouts=ProbeTimeouts(connect=2, greeting=2, tls=2, command=2, total=10),
            credentials=Credentials(USER, password),
            transcript=True,
        )
    assert result.login is not None
    assert result.login.status is LoginStatus.WRONG_CREDENTIALS, result.reason
    assert result.transcript is not None
    sent = [e.text for e in result.transcript if e.dir == "client" and REDACTED in e.text]
    assert sent
