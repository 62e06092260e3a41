"""`--explain` against every misbehaving loopback server of the suite.

Each scenario runs a real `run_probe` (the library behind `mailprobe probe`) against a
fault server from tests/faultservers.py, renders the explanation, and checks that it names
the problem in plain words, gives the settings to type, and uses no jargon.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from faultservers import (
    Behaviour,
    FaultCerts,
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
from mailprobe.models import (
    ConnectTo,
    DiscoveryOptions,
    LoginStatus,
    NetOptions,
    ProbeStatus,
    Protocol,
    Report,
    Security,
)
from mailprobe.net.dns import DnsClient, DnsStatus, HostAddresses
from mailprobe.pipeline import CheckOptions, run_probe
from mailprobe.probes import Credentials
from mailprobe.render.explain import explain_steps, render_markdown, render_text

IMAP, POP3, SMTP = Protocol.IMAP, Protocol.POP3, Protocol.SMTP
TLS, STARTTLS, PLAIN = Security.TLS, Security.STARTTLS, Security.PLAIN
NAMES = {IMAP: "imap.fault.test", POP3: "pop.fault.test", SMTP: "smtp.fault.test"}
WIDTH = 72
SECRET = "Tr0ub4dor&3-secret"

#: Words a customer should never have to read.
JARGON = (
    "ECONNREFUSED",
    "SSLError",
    "errno",
    "verify failed",
    "verification failed",
    "handshake",
    "SASL",
    "Traceback",
    "PREAUTH",
    "LOGINDISABLED",
    "EHLO",
    "CAPABILITY",
    "X509",
    "wrong version number",
    "WRONG_VERSION",
    "None:",  # a Python None leaking into text
)
#: Raw enum values (statuses, login statuses, finding ids) must not leak either.
RAW_NAMES = tuple(
    sorted(
        {s.value for s in ProbeStatus if "_" in s.value}
        | {s.value for s in LoginStatus if "_" in s.value}
        | {"connect.refused", "tls.cert", "mode.expects", "login.wrong", "auth_failed"}
    )
)


def assert_no_jargon(text: str) -> None:
    """No jargon and no raw status names."""
    for word in (*JARGON, *RAW_NAMES):
        assert word.lower() not in text.lower(), (word, text)


def assert_plain(text: str) -> None:
    """No jargon, no raw status names, every line within the width."""
    assert_no_jargon(text)
    for line in text.splitlines():
        assert len(line) <= WIDTH, line
    assert re.search(r"^1\. ", text, re.MULTILINE), text


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> FaultCerts:
    return make_fault_certs(tmp_path_factory.mktemp("explain-certs"))


class _NoSuchHost(DnsClient):
    async def addresses(self, host: str) -> HostAddresses:
        return HostAddresses(host, (), DnsStatus.NXDOMAIN, 0.0, f"{host} does not exist")


async def probe_report(
    route: ConnectTo | None,
    protocol: Protocol,
    port: int,
    security: Security,
    certs: FaultCerts,
    *,
    timeout: float = 8.0,
    credentials: Credentials | None = None,
    dns: DnsClient | None = None,
    sender_check: bool = False,
) -> Report:
    """`mailprobe probe NAME:PORT -p PROTOCOL -s SECURITY`, as a library call."""
    net = NetOptions(connect_to=(route,) if route else (), ca_file=certs.ca.cert, timeout=timeout)
    options = CheckOptions(
        discovery=DiscoveryOptions(net=net),
        credentials=credentials,
        username_override=True,
        sender_check=sender_check,
    )
    return await run_probe(
        NAMES[protocol],
        port,
        protocol,
        security,
        options,
        dns=dns or DnsClient(timeout=1.0),
    )


@dataclass(frozen=True)
class Scenario:
    """One fault: the server, what is typed, and words the explanation must contain."""

    name: str
    handler: Callable[[FaultCerts], Handler]
    protocol: Protocol
    port: int
    security: Security
    expect: tuple[str, ...]
    timeout: float = 8.0
    login: bool = False
    sender_check: bool = False


def _good(certs: FaultCerts) -> ssl.SSLContext:
    return server_context(certs.good)


def _imap_starttls(certs: FaultCerts, **kw: object) -> Handler:
    return imap_server(
        Behaviour(
            caps=("IMAP4rev1", "SASL-IR", "STARTTLS", "AUTH=PLAIN"),
            caps_tls=("IMAP4rev1", "SASL-IR", "AUTH=PLAIN"),
            starttls=_good(certs),
            **kw,  # type: ignore[arg-type]
        )
    )


def _pop3_tls(pair: str) -> Callable[[FaultCerts], Handler]:
    return lambda c: implicit_tls(server_context(getattr(c, pair)), pop3_server(Behaviour()))


async def _no_ehlo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An old SMTP server that refuses EHLO (only HELO) and offers no encryption."""
    writer.write(b"220 old.fault.test SMTP\r\n")
    while line := await reader.readline():
        command = line.upper()
        if command.startswith(b"EHLO"):
            writer.write(b"502 5.5.2 what?\r\n")
        elif command.startswith(b"HELO"):
            writer.write(b"250 old.fault.test\r\n")
        elif command.startswith(b"QUIT"):
            writer.write(b"221 bye\r\n")
            await writer.drain()
            return
        await writer.drain()


def _smtp_tls(certs: FaultCerts, **kw: object) -> Handler:
    return implicit_tls(_good(certs), smtp_server(Behaviour(**kw)))  # type: ignore[arg-type]


SCENARIOS = [
    Scenario(
        "reset", lambda c: reset_after_connect(), IMAP, 143, STARTTLS, ("cut the connection",)
    ),
    Scenario("tarpit", lambda c: tarpit(), SMTP, 587, STARTTLS, ("said nothing",), timeout=3.0),
    Scenario("garbage", lambda c: garbage(), IMAP, 143, STARTTLS, ("does not speak IMAP",)),
    Scenario("http", lambda c: http_server(), IMAP, 143, STARTTLS, ("belongs to a web server",)),
    Scenario("accept_close", lambda c: accept_and_close(), POP3, 110, STARTTLS, ("turning",)),
    Scenario("smtp_421", lambda c: smtp_421(), SMTP, 587, STARTTLS, ("turning", "Too many")),
    Scenario("smtp_554", lambda c: smtp_554(), SMTP, 587, STARTTLS, ("turning", "blocked")),
    Scenario(
        "imap_bye",
        lambda c: imap_server(Behaviour(greeting="* BYE Too many connections from your IP")),
        IMAP,
        143,
        PLAIN,
        ("turning", "Too many connections"),
    ),
    Scenario(
        "pop3_err",
        lambda c: pop3_server(Behaviour(greeting="-ERR [SYS/TEMP] too many sessions")),
        POP3,
        110,
        PLAIN,
        ("turning", "too many sessions"),
    ),
    Scenario(
        "pop3_behind_imap",
        lambda c: pop3_server(Behaviour(caps=("USER",))),
        IMAP,
        143,
        STARTTLS,
        ("meant for POP3, not IMAP",),
    ),
    Scenario(
        "smtp_behind_imap_tls_port",
        lambda c: implicit_tls(_good(c), smtp_server(Behaviour(caps=("AUTH PLAIN",)))),
        IMAP,
        993,
        TLS,
        ("meant for SMTP, not IMAP",),
    ),
    Scenario(
        "tls_to_starttls_port",
        lambda c: smtp_server(
            Behaviour(caps=("STARTTLS", "AUTH PLAIN"), caps_tls=("AUTH PLAIN",), starttls=_good(c))
        ),
        SMTP,
        587,
        TLS,
        ("needs the encryption setting STARTTLS", "Change Encryption from SSL/TLS to STARTTLS"),
    ),
    Scenario(
        "starttls_to_tls_port",
        lambda c: implicit_tls(_good(c), smtp_server(Behaviour(caps=("AUTH PLAIN",)))),
        SMTP,
        465,
        STARTTLS,
        ("needs the encryption setting SSL/TLS", "Change Encryption from STARTTLS to SSL/TLS"),
    ),
    Scenario(
        "tls_to_plain_only_port",
        lambda c: smtp_server(Behaviour(caps=("AUTH PLAIN",))),
        SMTP,
        587,
        TLS,
        ("offers no encryption at all",),
    ),
    Scenario(
        "starttls_missing",
        lambda c: imap_server(Behaviour(caps=("IMAP4rev1", "AUTH=PLAIN"))),
        IMAP,
        143,
        STARTTLS,
        ("cannot encrypt the connection", "readable"),
    ),
    Scenario(
        "preauth",
        lambda c: imap_server(
            Behaviour(
                greeting="* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] welcome back",
                caps=("IMAP4rev1", "STARTTLS"),
                starttls=_good(c),
            )
        ),
        IMAP,
        143,
        STARTTLS,
        ("without a password", "unsafe"),
    ),
    Scenario("cert_expired", _pop3_tls("expired"), POP3, 995, TLS, ("has expired",)),
    Scenario(
        "cert_wrong_name", _pop3_tls("wrong_name"), POP3, 995, TLS, ("different server name",)
    ),
    Scenario("cert_self_signed", _pop3_tls("self_signed"), POP3, 995, TLS, ("home-made",)),
    Scenario("cert_untrusted", _pop3_tls("untrusted"), POP3, 995, TLS, ("does not trust",)),
    Scenario("cert_incomplete", _pop3_tls("incomplete"), POP3, 995, TLS, ("certificate",)),
    Scenario(
        "cert_over_starttls",
        lambda c: imap_server(
            Behaviour(
                caps=("IMAP4rev1", "STARTTLS"),
                caps_tls=("IMAP4rev1", "AUTH=PLAIN"),
                starttls=server_context(c.expired),
            )
        ),
        IMAP,
        143,
        STARTTLS,
        ("has expired",),
    ),
    Scenario(
        "tls_1_0_only",
        lambda c: implicit_tls(server_context(c.good, tls10_only=True), pop3_server(Behaviour())),
        POP3,
        995,
        TLS,
        ("outdated encryption",),
    ),
    Scenario(
        "smtp_no_auth",
        lambda c: smtp_server(
            Behaviour(caps=("STARTTLS", "SIZE 1000"), caps_tls=("SIZE 1000",), starttls=_good(c))
        ),
        SMTP,
        587,
        STARTTLS,
        ("does not let mail apps sign in",),
    ),
    Scenario(
        "tarpit_on_a_tls_port",
        lambda c: tarpit(),
        IMAP,
        993,
        TLS,
        ("never finished switching on encryption",),
        timeout=3.0,
    ),
    Scenario(
        "overlong_greeting",
        lambda c: imap_server(Behaviour(greeting="* OK " + "x" * 70_000)),
        IMAP,
        143,
        PLAIN,
        ("does not speak IMAP",),
    ),
    Scenario(
        "delayed_greeting",
        lambda c: _imap_starttls(c, greeting_delay=0.6),
        IMAP,
        143,
        STARTTLS,
        ("Receiving mail (IMAP) works",),
    ),
    Scenario(
        "logindisabled",
        lambda c: imap_server(
            Behaviour(
                caps=("IMAP4rev1", "STARTTLS", "LOGINDISABLED"),
                caps_tls=("IMAP4rev1", "AUTH=PLAIN"),
                starttls=_good(c),
            )
        ),
        IMAP,
        143,
        STARTTLS,
        ("Receiving mail (IMAP) works", "Encryption: STARTTLS"),
    ),
    Scenario(
        "no_ehlo_no_encryption",
        lambda c: _no_ehlo,
        SMTP,
        25,
        PLAIN,
        ("but without encryption", "cannot encrypt the connection on port 25", "None (unsafe"),
    ),
    Scenario(
        "plain_typed_but_starttls_offered",
        _imap_starttls,
        IMAP,
        143,
        PLAIN,
        ("Change Encryption from None to STARTTLS", "Encryption: STARTTLS"),
    ),
    Scenario(
        "echoed_password",
        lambda c: _smtp_tls(c, caps=("AUTH LOGIN",), login_reply="535 5.7.8 bad", echo_login=True),
        SMTP,
        465,
        TLS,
        ("rejected the username or password", 'The server said: "535 5.7.8 bad'),
        login=True,
    ),
    Scenario(
        "login_mechanism_missing",
        lambda c: _smtp_tls(c, caps=("AUTH CRAM-MD5",)),
        SMTP,
        465,
        TLS,
        ("offers no way to sign in with a password", "Which way of signing in"),
        login=True,
    ),
    Scenario(
        "sender_refused",
        lambda c: _smtp_tls(c, caps=("AUTH PLAIN",), mail_reply="553 5.7.1 not yours"),
        SMTP,
        465,
        TLS,
        ("refused to send mail from this address",),
        login=True,
        sender_check=True,
    ),
    Scenario(
        "oauth_only",
        lambda c: implicit_tls(
            _good(c), smtp_server(Behaviour(caps=("AUTH XOAUTH2 OAUTHBEARER",)))
        ),
        SMTP,
        465,
        TLS,
        ("web page",),
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_every_fault_is_named_without_jargon(certs: FaultCerts, scenario: Scenario) -> None:
    name = NAMES[scenario.protocol]
    async with serve(scenario.handler(certs)) as server:
        report = await probe_report(
            server.route(name, scenario.port),
            scenario.protocol,
            scenario.port,
            scenario.security,
            certs,
            timeout=scenario.timeout,
            credentials=Credentials("alice@fault.test", SECRET) if scenario.login else None,
            sender_check=scenario.sender_check,
        )
    text = render_text(report, width=WIDTH)
    assert SECRET not in text
    assert_plain(text)
    flat = " ".join(text.split())
    for words in scenario.expect:
        assert words in flat, (scenario.name, words, text)
    assert "Server:" in text
    assert name in text
    assert "Encryption:" in text
    # The markdown form says the same and is just as free of jargon.
    assert_no_jargon(render_markdown(report))


async def test_refused_port_suggests_the_usual_port_and_what_to_ask(certs: FaultCerts) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = int(sock.getsockname()[1])
    route = ConnectTo(NAMES[IMAP], 1143, "127.0.0.1", closed)
    report = await probe_report(route, IMAP, 1143, TLS, certs)
    text = render_text(report, width=WIDTH)
    assert_plain(text)
    flat = " ".join(text.split())
    assert "refused the connection on port 1143" in flat
    assert "Try Port 993 instead of 1143" in flat
    assert 'ask the provider or the mail administrator: "Is IMAP on' in flat


async def test_unknown_server_name(certs: FaultCerts) -> None:
    report = await probe_report(None, IMAP, 993, TLS, certs, dns=_NoSuchHost())
    text = render_text(report, width=WIDTH)
    assert_plain(text)
    assert "the server name imap.fault.test does not exist" in " ".join(text.split())


@pytest.mark.parametrize(
    ("reply", "expect", "quoted"),
    [
        (
            "NO [AUTHENTICATIONFAILED] Authentication failed.",
            "rejected the username or password",
            "[AUTHENTICATIONFAILED] Authentication failed.",
        ),
        (
            "NO [ALERT] Application-specific password required: https://support.example",
            "wants an app password",
            "Application-specific password required",
        ),
        ("NO [EXPIRED] account expired", "account is disabled", "account expired"),
    ],
)
async def test_login_refusals_quote_the_server(
    certs: FaultCerts, reply: str, expect: str, quoted: str
) -> None:
    secret = "Tr0ub4dor&3-secret"
    async with serve(_imap_starttls(certs, login_reply=reply)) as server:
        report = await probe_report(
            server.route(NAMES[IMAP], 143),
            IMAP,
            143,
            STARTTLS,
            certs,
            credentials=Credentials("alice@fault.test", secret),
        )
    text = render_text(report, width=WIDTH)
    assert_plain(text)
    flat = " ".join(text.split())
    assert expect in flat
    assert "the server settings are right" in flat
    said = flat.split('The server said: "', 1)[1]
    assert quoted in said
    assert secret not in text
    assert "refuses my sign-in" in flat


async def test_a_healthy_server_is_short_and_complete(certs: FaultCerts) -> None:
    async with serve(_imap_starttls(certs)) as server:
        report = await probe_report(server.route(NAMES[IMAP], 143), IMAP, 143, STARTTLS, certs)
    text = render_text(report, width=WIDTH)
    assert_plain(text)
    assert len(text.splitlines()) < 20
    steps = [s.text for s in explain_steps(report)]
    assert steps[0] == "Receiving mail (IMAP) works: imap.fault.test answered on port 143."
    (settings,) = [s for s in explain_steps(report) if s.fields]
    fields = dict(settings.fields)
    assert fields == {
        "Server": "imap.fault.test",
        "Port": "143",
        "Encryption": "STARTTLS",
        "Username": "your full e-mail address (usually)",
        "Password": "your normal e-mail password",
    }
    assert "ask" not in text.lower()
