"""A verified session's certificate, read from `ssl`, says exactly what `cryptography` says.

`cert_info_from_ssl` spares the probe path from loading `cryptography`; it must give the
same `CertInfo` as the DER parser, or decline (None) so the caller falls back to it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mailprobe.probes.tls import cert_info, cert_info_from_ssl, tls_info
from testbed import BedInfo

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
_KEY = ec.generate_private_key(ec.SECP256R1())


def _name(*pairs: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in pairs])


def _cert(subject: x509.Name, issuer: x509.Name, sans: list[x509.GeneralName]) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(_KEY.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2027, 3, 4, 5, 6, 7, tzinfo=dt.UTC))
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(_KEY, hashes.SHA256())


def _decoded_by_ssl(cert: x509.Certificate, tmp_path: Path) -> dict[str, Any]:
    """What `SSLSocket.getpeercert()` returns for `cert` (CPython's own decoder)."""
    pem = tmp_path / "cert.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    decoded: dict[str, Any] = ssl._ssl._test_decode_cert(str(pem))  # type: ignore[attr-defined]
    return decoded


CA = _name((NameOID.COUNTRY_NAME, "DE"), (NameOID.ORGANIZATION_NAME, "Example CA"))

NAMES = {
    "plain": _name((NameOID.COMMON_NAME, "mail.example.org")),
    "several attributes": _name(
        (NameOID.COUNTRY_NAME, "DE"),
        (NameOID.STATE_OR_PROVINCE_NAME, "Berlin"),
        (NameOID.LOCALITY_NAME, "Berlin"),
        (NameOID.ORGANIZATION_NAME, "Example GmbH"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, "Mail"),
        (NameOID.COMMON_NAME, "mail.example.org"),
    ),
    "characters RFC 4514 escapes": _name(
        (NameOID.ORGANIZATION_NAME, 'A, B + "C" <d>; e\\f'),
        (NameOID.COMMON_NAME, "#lead and trail "),
    ),
    "unicode": _name(
        (NameOID.ORGANIZATION_NAME, "Müller & Söhne"), (NameOID.COMMON_NAME, "ü.example")
    ),
    "domain components": _name(
        (NameOID.DOMAIN_COMPONENT, "org"),
        (NameOID.DOMAIN_COMPONENT, "example"),
        (NameOID.COMMON_NAME, "mail"),
    ),
}

SANS = [
    x509.DNSName("mail.example.org"),
    x509.DNSName("*.example.org"),
    x509.IPAddress(ipaddress.ip_address("192.0.2.7")),
    x509.IPAddress(ipaddress.ip_address("2001:db8::25")),
]


@pytest.mark.parametrize("kind", sorted(NAMES))
def test_both_readings_agree(kind: str, tmp_path: Path) -> None:
    cert = _cert(NAMES[kind], CA, SANS)
    from_ssl = cert_info_from_ssl(_decoded_by_ssl(cert, tmp_path), NOW)
    from_der = cert_info(cert.public_bytes(serialization.Encoding.DER), NOW)
    assert from_ssl is not None
    assert from_ssl == from_der


def test_no_alternative_names(tmp_path: Path) -> None:
    cert = _cert(NAMES["plain"], CA, [])
    from_ssl = cert_info_from_ssl(_decoded_by_ssl(cert, tmp_path), NOW)
    assert from_ssl is not None
    assert from_ssl == cert_info(cert.public_bytes(serialization.Encoding.DER), NOW)
    assert from_ssl.san == ()


@pytest.mark.parametrize(
    "subject",
    [
        # An attribute RFC 4514 has no short name for: only the DER form gives its OID.
        _name((NameOID.EMAIL_ADDRESS, "postmaster@example.org"), (NameOID.COMMON_NAME, "x")),
        # Self-issued: whether it is self-signed needs the signature checked.
        CA,
    ],
    ids=["email attribute", "self-issued"],
)
def test_what_only_the_der_form_can_say_is_declined(subject: x509.Name, tmp_path: Path) -> None:
    cert = _cert(subject, CA, SANS)
    assert cert_info_from_ssl(_decoded_by_ssl(cert, tmp_path), NOW) is None


def test_a_verified_bed_session_reads_the_same_either_way(bed: BedInfo) -> None:
    ctx = ssl.create_default_context(cafile=str(bed.ca_file))
    with (
        socket.create_connection(("127.0.0.1", bed.ports["imaps"]), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname="imap.mailprobe.test") as tls,
    ):
        decoded = tls.getpeercert()
        der = tls.getpeercert(binary_form=True)
        assert decoded
        assert der is not None
        # An SSLSocket answers the same questions as the SSLObject of a stream.
        info = tls_info(tls, verified=True)  # type: ignore[arg-type]
    assert cert_info_from_ssl(decoded) == cert_info(der)
    assert info.cert == cert_info(der)
    assert info.cert is not None
    assert "imap.mailprobe.test" in info.cert.san
