"""What a TLS session tells us: version, cipher, the peer certificate, and why it failed.

A verified session's certificate is described from what `ssl` itself decoded
(`getpeercert()`), so the common case never loads `cryptography`. An unverified session
(where `ssl` decodes nothing), a self-issued certificate, or a name `ssl` cannot express
in RFC 4514 short form is read in DER form and parsed with `cryptography`; both paths
give the same `CertInfo`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ssl
import warnings
from typing import TYPE_CHECKING, Any

from mailprobe.models import Cause, CertInfo, TlsInfo
from mailprobe.net.tlsctx import permissive_context

if TYPE_CHECKING:
    from cryptography import x509

#: Protocol versions below TLS 1.2, as `SSLObject.version()` names them.
OLD_TLS_VERSIONS = frozenset({"SSLv2", "SSLv3", "TLSv1", "TLSv1.1"})


def refine_untrusted(
    problem: Cause | None, chain_len: int | None, names_issuer_url: bool
) -> Cause | None:
    """Split "unable to get local issuer" into incomplete chain vs untrusted issuer.

    A server that sends only its leaf, when that leaf points to where its issuer can be
    downloaded (AIA caIssuers, as every public CA's leaves do), most likely forgot the
    intermediate certificate. Otherwise the issuer itself is not trusted here.
    """
    if problem is Cause.CERT_UNTRUSTED and chain_len == 1 and names_issuer_url:
        return Cause.CERT_INCOMPLETE_CHAIN
    return problem


def names_issuer_url(der: bytes | None) -> bool:
    """True if a DER certificate has an AIA caIssuers URL (where to fetch its issuer)."""
    if not der:
        return False
    from cryptography import x509
    from cryptography.x509.oid import AuthorityInformationAccessOID

    try:
        cert = x509.load_der_x509_certificate(der)
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    return any(d.access_method == AuthorityInformationAccessOID.CA_ISSUERS for d in aia)


def chain_length(ssl_object: ssl.SSLObject) -> int | None:
    """How many certificates the server sent, or None where Python cannot tell."""
    inner = getattr(ssl_object, "_sslobj", None)
    getter = getattr(inner, "get_unverified_chain", None)  # public only from Python 3.13
    if getter is None:
        return None
    try:
        chain = getter()
    except (ssl.SSLError, ValueError, AttributeError):
        return None
    return len(chain) if chain is not None else None


def _iso_z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_self_signed(cert: x509.Certificate) -> bool:
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def cert_info(der: bytes, now: dt.datetime | None = None) -> CertInfo | None:
    """Describe a DER certificate; None if it cannot be parsed."""
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    now = now or dt.datetime.now(dt.UTC)
    san: list[str] = []
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        pass
    else:
        san.extend(str(name) for name in ext.get_values_for_type(x509.DNSName))
        san.extend(str(ip) for ip in ext.get_values_for_type(x509.IPAddress))
    not_after = cert.not_valid_after_utc
    return CertInfo(
        subject=cert.subject.rfc4514_string(),
        san=tuple(san),
        issuer=cert.issuer.rfc4514_string(),
        not_after=_iso_z(not_after),
        days_left=(not_after - now).days,
        self_signed=_is_self_signed(cert),
    )


#: OpenSSL's long attribute names that RFC 4514 (and `cryptography`) write as short names.
_SHORT_NAMES = {
    "commonName": "CN",
    "localityName": "L",
    "stateOrProvinceName": "ST",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "streetAddress": "STREET",
    "domainComponent": "DC",
    "userId": "UID",
}


def _escape_dn_value(value: str) -> str:
    """RFC 4514 section 2.4 escaping, as `cryptography` does it."""
    if not value:
        return ""
    for special in ("\\", '"', "+", ",", ";", "<", ">"):
        value = value.replace(special, "\\" + special)
    value = value.replace("\0", "\\00")
    if value[0] in ("#", " "):
        value = "\\" + value
    if value[-1] == " ":
        value = value[:-1] + "\\ "
    return value


def _rfc4514(name: Any) -> str | None:
    """An `ssl`-decoded name as RFC 4514 text, or None if an attribute has no short name."""
    rdns = []
    for rdn in name:
        parts = []
        for key, value in rdn:
            short = _SHORT_NAMES.get(key)
            if short is None or not isinstance(value, str):
                return None
            parts.append(f"{short}={_escape_dn_value(value)}")
        rdns.append("+".join(parts))
    return ",".join(reversed(rdns))


_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}


def _openssl_time(text: str) -> dt.datetime | None:
    """`"Dec  1 06:27:19 2027 GMT"` (how `ssl` prints certificate times) as UTC.

    Parsed by hand: `ssl.cert_time_to_seconds` goes through `time.strptime`, whose
    first use compiles a dozen regular expressions.
    """
    parts = text.split()
    if len(parts) != 5 or parts[4] != "GMT" or parts[0] not in _MONTHS:
        return None
    clock = parts[2].split(":")
    try:
        return dt.datetime(
            int(parts[3]),
            _MONTHS[parts[0]],
            int(parts[1]),
            int(clock[0]),
            int(clock[1]),
            int(clock[2]),
            tzinfo=dt.UTC,
        )
    except (ValueError, IndexError):
        return None


def cert_info_from_ssl(decoded: dict[str, Any], now: dt.datetime | None = None) -> CertInfo | None:
    """Describe a certificate from `SSLObject.getpeercert()` (verified sessions only).

    None when the dictionary is empty or holds something only the DER form can say
    exactly (an attribute without an RFC 4514 short name, or a self-issued certificate,
    whose signature must be checked); the caller then uses `cert_info`.
    """
    import ipaddress

    try:
        subject = _rfc4514(decoded["subject"])
        issuer = _rfc4514(decoded["issuer"])
        not_after_text = decoded["notAfter"]
    except (KeyError, TypeError, ValueError):
        return None
    if subject is None or issuer is None or subject == issuer:
        return None
    dns_names: list[str] = []
    addresses: list[str] = []
    for kind, value in decoded.get("subjectAltName", ()):
        if kind == "DNS":
            dns_names.append(value)
        elif kind == "IP Address":
            try:
                addresses.append(str(ipaddress.ip_address(value.strip())))
            except ValueError:
                return None
    not_after = _openssl_time(not_after_text)
    if not_after is None:
        return None
    now = now or dt.datetime.now(dt.UTC)
    return CertInfo(
        subject=subject,
        san=(*dns_names, *addresses),
        issuer=issuer,
        not_after=_iso_z(not_after),
        days_left=(not_after - now).days,
        self_signed=False,
    )


def tls_info(
    ssl_object: ssl.SSLObject,
    *,
    verified: bool,
    verify_error: str | None = None,
    problem: Cause | None = None,
) -> TlsInfo:
    """Describe an established TLS session."""
    cipher = ssl_object.cipher()
    cert = cert_info_from_ssl(ssl_object.getpeercert() or {}) if verified else None
    if cert is None:
        der = ssl_object.getpeercert(binary_form=True)
        cert = cert_info(der) if der else None
    if problem is None and not verified and cert is not None and cert.self_signed:
        problem = Cause.CERT_SELF_SIGNED
    return TlsInfo(
        version=ssl_object.version() or "unknown",
        cipher=cipher[0] if cipher else "unknown",
        verified=verified,
        verify_error=verify_error,
        cert=cert,
        cert_problem=problem,
    )


def legacy_context() -> ssl.SSLContext:
    """A non-verifying context that offers only TLS 1.0 and 1.1 (the weak-TLS check).

    It is `permissive_context` capped at TLS 1.1. If the local OpenSSL refuses the old
    versions outright, handshakes with it fail and the check reports "not accepted"; it
    never sends credentials.
    """
    ctx = permissive_context()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with contextlib.suppress(ssl.SSLError, ValueError):
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    return ctx


def client_hello(context: ssl.SSLContext, server_name: str) -> bytes:
    """The bytes of the ClientHello `context` would send to `server_name` (no I/O).

    Sent over a plain connection, it repeats exactly what a TLS attempt sent first, so
    the server's answer to it can be read as it is (see `replies.read_hello_answer`).
    """
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    name = server_name.strip("[]")
    tls = context.wrap_bio(incoming, outgoing, server_hostname=name)
    with contextlib.suppress(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()
