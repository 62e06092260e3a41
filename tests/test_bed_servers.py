"""The real servers of the test bed answer as the other tests expect, via stdlib clients.

These protect the bed itself: if one fails, fix the bed before reading other failures.
"""

from __future__ import annotations

import hashlib
import imaplib
import poplib
import smtplib
import socket
import ssl
import time
import warnings

import dns.exception
import dns.message
import dns.query
import dns.rdatatype
import dns.resolver
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from defusedxml import ElementTree
from defusedxml.common import DTDForbidden, EntitiesForbidden

from testbed import BedInfo

pytestmark = pytest.mark.bed

# --------------------------------------------------------------------------- DNS (NSD)


def _resolver(bed: BedInfo) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [bed.dns.ip]
    resolver.port = bed.dns.port
    resolver.lifetime = 3.0
    return resolver


def _answers(bed: BedInfo, name: str, rdtype: str) -> list[str]:
    return sorted(r.to_text() for r in _resolver(bed).resolve(name, rdtype))


def test_nsd_serves_mx_srv_and_txt_for_the_main_domain(bed: BedInfo) -> None:
    assert _answers(bed, "mailprobe.test", "MX") == ["10 mx.mailprobe.test."]
    assert _answers(bed, "_imaps._tcp.mailprobe.test", "SRV") == ["0 1 993 imap.mailprobe.test."]
    assert _answers(bed, "_submission._tcp.mailprobe.test", "SRV") == [
        "10 1 587 smtp.mailprobe.test."
    ]
    assert _answers(bed, "_pop3._tcp.mailprobe.test", "SRV") == ["0 0 0 ."]
    assert _answers(bed, "mailprobe.test", "TXT")


def test_nsd_answers_over_tcp_too(bed: BedInfo) -> None:
    query = dns.message.make_query("imap.mailprobe.test", "A")
    response = dns.query.tcp(query, bed.dns.ip, port=bed.dns.port, timeout=3.0)
    assert [r.to_text() for rrset in response.answer for r in rrset] == ["127.0.0.1"]


def test_nsd_distinguishes_nxdomain_from_an_empty_answer(bed: BedInfo) -> None:
    with pytest.raises(dns.resolver.NXDOMAIN):
        _resolver(bed).resolve("nothing.mailprobe.test", "MX")
    with pytest.raises(dns.resolver.NoAnswer):
        _resolver(bed).resolve("empty.mailprobe.test", "MX")
    assert _answers(bed, "empty.mailprobe.test", "TXT")


def test_nsd_serves_provider_and_hosting_cases(bed: BedInfo) -> None:
    assert _answers(bed, "gworkspace.mailprobe.test", "MX") == ["1 aspmx.l.google.com."]
    assert _answers(bed, "mxhosted.mailprobe.test", "MX") == ["10 mx1.hoster.test."]
    assert _answers(bed, "autoconfig.hoster.test", "A") == ["127.0.0.1"]
    assert _answers(bed, "imap2.mailprobe.test", "A") == ["127.0.0.2"]
    assert _answers(bed, "v6broken.mailprobe.test", "AAAA") == ["::1"]
    assert _answers(bed, "v6broken.mailprobe.test", "A") == ["127.0.0.1"]


def test_every_listed_domain_is_answered_as_documented(bed: BedInfo) -> None:
    for domain in bed.domains:
        if domain.startswith("nothing."):
            continue
        # Any name that exists answers NOERROR (possibly empty), never NXDOMAIN.
        query = dns.message.make_query(domain, "SOA")
        response = dns.query.udp(query, bed.dns.ip, port=bed.dns.port, timeout=3.0)
        assert response.rcode() == 0, domain


def test_tlsa_record_matches_the_imap_certificate(bed: BedInfo) -> None:
    cert = x509.load_pem_x509_certificate(bed.certs["leaf"].read_bytes())
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    expected = f"3 1 1 {hashlib.sha256(spki).hexdigest()}"
    assert _answers(bed, "_993._tcp.imap.mailprobe.test", "TLSA") == [expected]


# --------------------------------------------------------------------------- HTTP(S) (nginx)


def _get(
    bed: BedInfo, host: str, path: str, *, https: bool = True, post: bytes | None = None
) -> httpx.Response:
    """One request to nginx by address, with SNI and Host for `host` (fresh client each time:
    a pooled connection would keep the previous name's SNI)."""
    scheme, port = ("https", bed.ports["https"]) if https else ("http", bed.ports["http"])
    context = ssl.create_default_context(cafile=str(bed.ca_file))
    with httpx.Client(verify=context, timeout=5.0, follow_redirects=False) as client:
        return client.request(
            "POST" if post is not None else "GET",
            f"{scheme}://127.0.0.1:{port}{path}",
            headers={"Host": host},
            extensions={"sni_hostname": host},
            content=post,
        )


def _servers(xml: bytes) -> list[tuple[str, str, str, str]]:
    root = ElementTree.fromstring(xml)
    assert root.tag == "clientConfig"
    assert root.get("version") == "1.1"
    return [
        (
            node.get("type", ""),
            node.findtext("hostname", ""),
            node.findtext("port", ""),
            node.findtext("socketType", ""),
        )
        for node in root.iter()
        if node.tag in {"incomingServer", "outgoingServer"}
    ]


def test_autoconfig_serves_the_main_config_over_https(bed: BedInfo) -> None:
    response = _get(bed, "autoconfig.mailprobe.test", "/mail/config-v1.1.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    servers = _servers(response.content)
    assert ("imap", "imap.mailprobe.test", "993", "SSL") in servers
    assert ("imap", "imap.mailprobe.test", "143", "STARTTLS") in servers
    assert ("pop3", "pop.mailprobe.test", "995", "SSL") in servers
    assert ("smtp", "smtp.mailprobe.test", "465", "SSL") in servers
    assert ("smtp", "smtp.mailprobe.test", "587", "STARTTLS") in servers
    assert b"<documentation" in response.content


def test_nginx_negotiates_tls13(bed: BedInfo) -> None:
    context = ssl.create_default_context(cafile=str(bed.ca_file))
    with (
        socket.create_connection(("127.0.0.1", bed.ports["https"]), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="autoconfig.mailprobe.test") as tls,
    ):
        assert tls.version() == "TLSv1.3"


def test_ispdb_knows_only_its_two_domains(bed: BedInfo) -> None:
    assert bed.ispdb_url == "https://ispdb.mailprobe.test/v1.1/"
    for domain in ("mailprobe.test", "ispdbonly.mailprobe.test"):
        response = _get(bed, "ispdb.mailprobe.test", f"/v1.1/{domain}")
        assert response.status_code == 200
        assert _servers(response.content)
    assert _get(bed, "ispdb.mailprobe.test", "/v1.1/example.org").status_code == 404


def test_mx_hoster_serves_a_config(bed: BedInfo) -> None:
    response = _get(bed, "autoconfig.hoster.test", "/mail/config-v1.1.xml")
    assert ("imap", "imap.mailprobe.test", "993", "SSL") in _servers(response.content)


def test_downgrade_redirects_https_to_a_working_http_config(bed: BedInfo) -> None:
    host = "autoconfig.downgrade.mailprobe.test"
    response = _get(bed, host, "/mail/config-v1.1.xml")
    assert response.status_code == 301
    assert response.headers["location"] == f"http://{host}/mail/config-v1.1.xml"
    plain = _get(bed, host, "/mail/config-v1.1.xml", https=False)
    assert plain.status_code == 200
    assert _servers(plain.content)


def test_httponly_has_its_config_only_over_http(bed: BedInfo) -> None:
    host = "autoconfig.httponly.mailprobe.test"
    assert _get(bed, host, "/mail/config-v1.1.xml").status_code == 404
    assert _servers(_get(bed, host, "/mail/config-v1.1.xml", https=False).content)


def test_wellknown_serves_from_the_domain_itself(bed: BedInfo) -> None:
    path = "/.well-known/autoconfig/mail/config-v1.1.xml"
    assert _servers(_get(bed, "wellknown.mailprobe.test", path).content)


def test_redirect_loop_never_ends(bed: BedInfo) -> None:
    host = "autoconfig.loop.mailprobe.test"
    path = "/mail/config-v1.1.xml"
    seen = []
    for _ in range(4):
        response = _get(bed, host, path)
        assert response.status_code == 302
        path = httpx.URL(response.headers["location"]).path
        seen.append(path)
    assert "/mail/config-v1.1.xml" in seen


@pytest.mark.parametrize("domain", ["wrongcert", "expired", "selfsigned"])
def test_bad_certificate_sites_fail_verification(bed: BedInfo, domain: str) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        _get(bed, f"autoconfig.{domain}.mailprobe.test", "/mail/config-v1.1.xml")


def test_hostile_autoconfig_documents_are_served(bed: BedInfo) -> None:
    def fetch(name: str) -> httpx.Response:
        return _get(bed, f"autoconfig.{name}.mailprobe.test", "/mail/config-v1.1.xml")

    html = fetch("html")
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    with pytest.raises(ElementTree.ParseError):
        ElementTree.fromstring(fetch("truncated").content)
    with pytest.raises((DTDForbidden, EntitiesForbidden)):
        ElementTree.fromstring(fetch("laughs").content, forbid_dtd=True)
    assert len(fetch("big").content) == 5 * 1024 * 1024


def test_exchange_autodiscover_answers_post(bed: BedInfo) -> None:
    request = b'<?xml version="1.0"?><Autodiscover/>'
    host = "autodiscover.exchange.mailprobe.test"
    response = _get(bed, host, "/autodiscover/autodiscover.xml", post=request)
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    types = [el.text for el in root.iter() if el.tag.endswith("}Type")]
    assert types == ["IMAP", "SMTP"]


# --------------------------------------------------------------------------- IMAP/POP3 (Dovecot)


def test_imap_starttls_and_login(bed: BedInfo, bed_tls: ssl.SSLContext) -> None:
    with imaplib.IMAP4("127.0.0.1", bed.ports["imap"], timeout=5) as imap:
        assert "STARTTLS" in imap.capabilities
        imap.starttls(bed_tls)
        assert imap.login(bed.user.username, bed.user.password)[0] == "OK"
        assert imap.select("INBOX")[0] == "OK"


def test_imaps_login(bed: BedInfo, bed_tls: ssl.SSLContext) -> None:
    with imaplib.IMAP4_SSL("127.0.0.1", bed.ports["imaps"], ssl_context=bed_tls, timeout=5) as imap:
        assert imap.login(bed.user.username, bed.user.password)[0] == "OK"


def test_imap_on_alt_ip_refuses_login_before_tls(bed: BedInfo, bed_tls: ssl.SSLContext) -> None:
    with imaplib.IMAP4(bed.alt_ip, bed.ports["imap"], timeout=5) as imap:
        assert "LOGINDISABLED" in imap.capabilities
        assert not any(c.startswith("AUTH=") for c in imap.capabilities)
        imap.starttls(bed_tls)
        assert "LOGINDISABLED" not in imap.capabilities
        assert "AUTH=PLAIN" in imap.capabilities


def test_wrong_password_fails_fast(bed: BedInfo, bed_tls: ssl.SSLContext) -> None:
    for _ in range(2):  # a second attempt would be slowed by an anvil auth penalty
        start = time.monotonic()
        with (
            imaplib.IMAP4_SSL(
                "127.0.0.1", bed.ports["imaps"], ssl_context=bed_tls, timeout=5
            ) as imap,
            pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"),
        ):
            imap.login(bed.user.username, "not-the-password")
        assert time.monotonic() - start < 1.5


def _tls11_only(bed: BedInfo) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(bed.ca_file))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def test_postfix_still_speaks_tls11_while_dovecot_refuses_it(bed: BedInfo) -> None:
    context = _tls11_only(bed)
    with smtplib.SMTP_SSL(
        "127.0.0.1", bed.ports["submissions"], context=context, timeout=5
    ) as smtp:
        assert smtp.sock is not None
        assert isinstance(smtp.sock, ssl.SSLSocket)
        assert smtp.sock.version() == "TLSv1.1"
    with (
        socket.create_connection(("127.0.0.1", bed.ports["imaps"]), timeout=5) as raw,
        pytest.raises(ssl.SSLError),
    ):
        context.wrap_socket(raw, server_hostname="imap.mailprobe.test")


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("imap.wrongcert.mailprobe.test", "Hostname mismatch"),
        ("imap.expired.mailprobe.test", "expired"),
        ("pop.selfsigned.mailprobe.test", "self-signed"),
    ],
)
def test_dovecot_presents_bad_certificates_by_sni(bed: BedInfo, host: str, reason: str) -> None:
    context = ssl.create_default_context(cafile=str(bed.ca_file))
    with (
        socket.create_connection(("127.0.0.1", bed.ports["imaps"]), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError, match=reason),
    ):
        context.wrap_socket(raw, server_hostname=host)


def test_pop3_stls_and_login(bed: BedInfo, bed_tls: ssl.SSLContext) -> None:
    pop = poplib.POP3("127.0.0.1", bed.ports["pop3"], timeout=5)
    try:
        assert "STLS" in pop.capa()
        pop.stls(bed_tls)
        pop.user(bed.user.username)
        assert pop.pass_(bed.user.password).startswith(b"+OK")
        assert pop.stat()[0] == 0
    finally:
        pop.quit()


def test_pop3s_login(bed: BedInfo, bed_tls: ssl.SSLContext) -> None:
    pop = poplib.POP3_SSL("127.0.0.1", bed.ports["pop3s"], context=bed_tls, timeout=5)
    try:
        pop.user(bed.user.username)
        assert pop.pass_(bed.user.password).startswith(b"+OK")
    finally:
        pop.quit()


def test_v6broken_ipv6_is_refused_while_ipv4_works(bed: BedInfo) -> None:
    try:
        socket.create_connection(("::1", bed.ports["imaps"]), timeout=2).close()
    except OSError:  # refused, or no IPv6 loopback at all
        pass
    else:
        pytest.fail("something answers on [::1] at the bed's IMAPS port")
    socket.create_connection(("127.0.0.1", bed.ports["imaps"]), timeout=2).close()


# --------------------------------------------------------------------------- SMTP (Postfix)


def test_submission_refuses_auth_before_starttls(bed: BedInfo, bed_tls: ssl.SSLContext) -> None:
    with smtplib.SMTP("127.0.0.1", bed.ports["submission"], timeout=5) as smtp:
        smtp.ehlo("client.mailprobe.test")
        assert smtp.has_extn("starttls")
        assert not smtp.has_extn("auth")
        code, _ = smtp.docmd("AUTH", "LOGIN")
        assert code >= 500
        smtp.starttls(context=bed_tls)
        smtp.ehlo("client.mailprobe.test")
        assert {"PLAIN", "LOGIN"} <= set(smtp.esmtp_features["auth"].upper().split())
        assert smtp.login(bed.user.username, bed.user.password)[0] == 235


def test_submissions_login_over_implicit_tls(bed: BedInfo, bed_tls: ssl.SSLContext) -> None:
    with smtplib.SMTP_SSL(
        "127.0.0.1", bed.ports["submissions"], context=bed_tls, timeout=5
    ) as smtp:
        smtp.ehlo("client.mailprobe.test")
        assert smtp.login(bed.user.username, bed.user.password)[0] == 235


def test_submission_rejects_a_wrong_password(bed: BedInfo, bed_tls: ssl.SSLContext) -> None:
    with (
        smtplib.SMTP_SSL("127.0.0.1", bed.ports["submissions"], context=bed_tls, timeout=5) as smtp,
        pytest.raises(smtplib.SMTPAuthenticationError),
    ):
        smtp.login(bed.user.username, "not-the-password")


def test_mx_port_offers_starttls_but_never_auth(bed: BedInfo, bed_tls: ssl.SSLContext) -> None:
    with smtplib.SMTP("127.0.0.1", bed.ports["smtp"], timeout=5) as smtp:
        code, _ = smtp.ehlo("client.mailprobe.test")
        assert code == 250
        assert smtp.has_extn("starttls")
        smtp.starttls(context=bed_tls)
        smtp.ehlo("client.mailprobe.test")
        assert not smtp.has_extn("auth")
        smtp.mail("someone@example.org")
        code, _ = smtp.rcpt("alice@mailprobe.test")
        assert code >= 500  # relays and delivers nothing
