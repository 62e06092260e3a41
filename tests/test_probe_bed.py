"""Probes against the real loopback bed: Dovecot (IMAP, POP3) and Postfix (SMTP).

Standard ports are routed to the bed's real ports with connect-to rules, so host names,
SNI and certificate checks are the real ones. `imap2.mailprobe.test` goes to 127.0.0.2,
where Dovecot refuses plain-text login before TLS.
"""

from __future__ import annotations

import pytest

from mailprobe.models import (
    Cause,
    ConnectTo,
    LoginStatus,
    Nameserver,
    NetOptions,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Security,
)
from mailprobe.net.dns import DnsClient
from mailprobe.probes import Credentials, ProbeTimeouts, probe_endpoint
from testbed import BedInfo

_ALT_SERVICES = ("imap", "imaps", "pop3", "pop3s")


def _net(bed: BedInfo) -> NetOptions:
    rules = [
        ConnectTo("imap2.mailprobe.test", bed.standard_ports[s], bed.alt_ip, bed.ports[s])
        for s in _ALT_SERVICES
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
    bed: BedInfo,
    protocol: Protocol,
    host: str,
    port: int,
    security: Security,
    **kwargs: object,
) -> ProbeResult:
    net = _net(bed)
    return await probe_endpoint(
        protocol,
        host,
        port,
        security,
        dns=DnsClient(net.nameservers),
        net=net,
        **kwargs,  # type: ignore[arg-type]
    )


def _creds(bed: BedInfo, *, wrong: bool = False) -> Credentials:
    password = "wrong-" + bed.user.password if wrong else bed.user.password
    return Credentials(bed.user.username, password)


ENDPOINTS = [
    (Protocol.IMAP, "imap.mailprobe.test", 143, Security.STARTTLS),
    (Protocol.IMAP, "imap.mailprobe.test", 993, Security.TLS),
    (Protocol.POP3, "pop.mailprobe.test", 110, Security.STARTTLS),
    (Protocol.POP3, "pop.mailprobe.test", 995, Security.TLS),
    (Protocol.SMTP, "smtp.mailprobe.test", 587, Security.STARTTLS),
    (Protocol.SMTP, "smtp.mailprobe.test", 465, Security.TLS),
    (Protocol.SMTP, "mx.mailprobe.test", 25, Security.STARTTLS),
]


@pytest.mark.parametrize(("protocol", "host", "port", "security"), ENDPOINTS)
async def test_real_servers_handshake(
    bed: BedInfo, protocol: Protocol, host: str, port: int, security: Security
) -> None:
    result = await _probe(bed, protocol, host, port, security)
    assert result.status is ProbeStatus.OK, result.reason
    assert result.connections == 1
    assert result.detected_protocol is protocol
    assert result.detected_security is security
    assert result.tls is not None
    assert result.tls.verified
    assert result.tls.version in ("TLSv1.2", "TLSv1.3")
    assert result.tls.cert is not None
    assert host in result.tls.cert.san
    assert result.tls.cert.days_left > 30
    assert result.capabilities_after_tls
    assert result.timings.connect is not None
    assert result.timings.banner is not None
    assert result.timings.tls is not None
    assert result.timings.total is not None
    if security is Security.STARTTLS:
        assert result.starttls_offered is True
        assert result.capabilities_before_tls
    else:
        assert result.capabilities_before_tls == ()


async def test_dovecot_refuses_plaintext_login_on_second_address(bed: BedInfo) -> None:
    guarded = await _probe(bed, Protocol.IMAP, "imap2.mailprobe.test", 143, Security.STARTTLS)
    assert guarded.ip == bed.alt_ip
    assert guarded.login_disabled
    assert guarded.auth_before_tls == ()
    assert "PLAIN" in guarded.auth_mechanisms
    trusting = await _probe(bed, Protocol.IMAP, "imap.mailprobe.test", 143, Security.STARTTLS)
    assert not trusting.login_disabled
    assert "PLAIN" in trusting.auth_before_tls


async def test_plaintext_login_refused_before_tls(bed: BedInfo) -> None:
    result = await _probe(
        bed,
        Protocol.IMAP,
        "imap2.mailprobe.test",
        143,
        Security.PLAIN,
        credentials=_creds(bed),
        allow_plaintext_login=True,
    )
    assert result.login is not None
    assert result.login.status is LoginStatus.MECHANISM_MISSING
    assert result.status is ProbeStatus.AUTH_FAILED
    assert result.detected_security is Security.STARTTLS


async def test_pop3_on_second_address_hides_user_before_tls(bed: BedInfo) -> None:
    result = await _probe(bed, Protocol.POP3, "imap2.mailprobe.test", 110, Security.STARTTLS)
    assert result.status is ProbeStatus.OK
    assert not result.plaintext_user_before_tls
    assert result.auth_before_tls == ()
    assert "PLAIN" in result.auth_mechanisms


async def test_postfix_submission_offers_auth_only_after_tls(bed: BedInfo) -> None:
    result = await _probe(bed, Protocol.SMTP, "smtp.mailprobe.test", 587, Security.STARTTLS)
    assert result.auth_before_tls == ()
    assert result.starttls_offered is True
    assert "PLAIN" in result.auth_mechanisms
    assert result.max_size is not None
    assert result.max_size > 0


async def test_postfix_accepts_weak_tls_and_dovecot_does_not(bed: BedInfo) -> None:
    postfix = await _probe(
        bed, Protocol.SMTP, "smtp.mailprobe.test", 587, Security.STARTTLS, check_weak_tls=True
    )
    assert postfix.status is ProbeStatus.OK
    assert postfix.weak_tls_checked
    assert postfix.weak_tls_version in ("TLSv1", "TLSv1.1")
    assert postfix.connections == 2
    dovecot = await _probe(
        bed, Protocol.IMAP, "imap.mailprobe.test", 993, Security.TLS, check_weak_tls=True
    )
    assert dovecot.weak_tls_checked
    assert dovecot.weak_tls_version is None
    assert dovecot.connections == 2


@pytest.mark.parametrize(
    ("protocol", "host", "port", "security"),
    [
        (Protocol.IMAP, "imap.mailprobe.test", 993, Security.TLS),
        (Protocol.IMAP, "imap2.mailprobe.test", 143, Security.STARTTLS),
        (Protocol.POP3, "pop.mailprobe.test", 995, Security.TLS),
        (Protocol.SMTP, "smtp.mailprobe.test", 587, Security.STARTTLS),
        (Protocol.SMTP, "smtp.mailprobe.test", 465, Security.TLS),
    ],
)
async def test_login_ok_and_wrong_password(
    bed: BedInfo, protocol: Protocol, host: str, port: int, security: Security
) -> None:
    good = await _probe(bed, protocol, host, port, security, credentials=_creds(bed))
    assert good.status is ProbeStatus.OK, good.reason
    assert good.login is not None
    assert good.login.status is LoginStatus.OK
    assert good.timings.login is not None
    wrong = _creds(bed, wrong=True)
    bad = await _probe(bed, protocol, host, port, security, credentials=wrong)
    assert bad.status is ProbeStatus.AUTH_FAILED
    assert bad.login is not None
    assert bad.login.status is LoginStatus.WRONG_CREDENTIALS
    for result in (good, bad):
        for text in (repr(result), str(result), result.reason, result.login.detail):  # type: ignore[union-attr]
            assert bed.user.password not in text
            assert wrong.password not in text
    assert bed.user.password not in repr(wrong)


async def test_smtp_sender_check_after_login(bed: BedInfo) -> None:
    result = await _probe(
        bed,
        Protocol.SMTP,
        "smtp.mailprobe.test",
        587,
        Security.STARTTLS,
        credentials=_creds(bed),
        sender_check=bed.user.address,
    )
    assert result.login is not None
    assert result.login.status is LoginStatus.OK
    assert result.login.sender_ok is True
    assert bed.user.password not in repr(result)


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("imap.expired.mailprobe.test", Cause.CERT_EXPIRED),
        ("imap.wrongcert.mailprobe.test", Cause.CERT_WRONG_NAME),
        ("imap.selfsigned.mailprobe.test", Cause.CERT_SELF_SIGNED),
    ],
)
async def test_dovecot_certificate_problems(bed: BedInfo, host: str, problem: Cause) -> None:
    for port, security in ((993, Security.TLS), (143, Security.STARTTLS)):
        result = await _probe(bed, Protocol.IMAP, host, port, security, credentials=_creds(bed))
        assert result.status is ProbeStatus.TLS_ERROR
        assert result.tls is not None
        assert result.tls.cert_problem is problem
        assert not result.tls.verified
        assert result.connections == 2
        assert result.login is None or result.login.status is not LoginStatus.OK


async def test_plain_spoken_to_dovecot_imaps_finds_implicit_tls(bed: BedInfo) -> None:
    timeouts = ProbeTimeouts(greeting=1.5, tls=5.0, command=5.0)
    result = await _probe(
        bed, Protocol.IMAP, "imap.mailprobe.test", 993, Security.STARTTLS, timeouts=timeouts
    )
    assert result.status is ProbeStatus.TIMEOUT
    assert result.detected_security is Security.TLS
    assert result.connections == 2


async def test_plain_spoken_to_postfix_465_finds_implicit_tls(bed: BedInfo) -> None:
    timeouts = ProbeTimeouts(greeting=1.5, tls=5.0, command=5.0)
    result = await _probe(
        bed, Protocol.SMTP, "smtp.mailprobe.test", 465, Security.STARTTLS, timeouts=timeouts
    )
    assert result.status is ProbeStatus.TIMEOUT
    assert result.detected_security is Security.TLS
    assert result.connections == 2


@pytest.mark.parametrize(
    ("protocol", "host", "port"),
    [
        (Protocol.IMAP, "imap.mailprobe.test", 143),
        (Protocol.POP3, "pop.mailprobe.test", 110),
        (Protocol.SMTP, "smtp.mailprobe.test", 587),
    ],
)
async def test_tls_spoken_to_starttls_port_finds_starttls(
    bed: BedInfo, protocol: Protocol, host: str, port: int
) -> None:
    result = await _probe(bed, protocol, host, port, Security.TLS)
    assert result.status is ProbeStatus.TLS_ERROR
    assert result.detected_security is Security.STARTTLS
    assert result.connections == 2
    assert result.tls is not None
    assert result.tls.verified


async def test_imap_port_probed_as_smtp_names_the_protocol(bed: BedInfo) -> None:
    net = _net(bed)
    rule = ConnectTo("smtp.mailprobe.test", 587, "127.0.0.1", bed.ports["imap"])
    result = await probe_endpoint(
        Protocol.SMTP,
        "smtp.mailprobe.test",
        587,
        Security.STARTTLS,
        dns=DnsClient(net.nameservers),
        net=NetOptions(connect_to=(rule,), ca_file=bed.ca_file),
    )
    assert result.status is ProbeStatus.PROTOCOL_ERROR
    assert result.detected_protocol is Protocol.IMAP
