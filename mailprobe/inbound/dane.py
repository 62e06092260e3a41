"""DANE for SMTP (RFC 7672, RFC 6698/7671): TLSA lookup and matching against a served chain.

Only DANE-TA(2) and DANE-EE(3) records count for SMTP; selectors 0 (full certificate) and
1 (SubjectPublicKeyInfo); matching types 0 (exact), 1 (SHA-256) and 2 (SHA-512).

- DANE-EE matches the leaf and ignores its names and dates (RFC 7672 §3.1.1).
- DANE-TA must match a certificate the server sent above the leaf; the leaf must chain up
  to it, carry the TLSA base domain or the MX host name, and be within its dates (§3.1.2).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from mailprobe.diagnose.tls import name_matches
from mailprobe.inbound.pkix import expiry_problem, san_names

USAGES = {2: "DANE-TA", 3: "DANE-EE"}
_DIGEST_BYTES = {1: 32, 2: 64}


@dataclass(frozen=True)
class TlsaRecord:
    """One TLSA record and whether SMTP may use it (and why not)."""

    usage: int
    selector: int
    matching: int
    data: str  # hex
    usable: bool
    note: str = ""

    @property
    def text(self) -> str:
        """`usage selector matching data` as in a zone file (data shortened)."""
        short = self.data if len(self.data) <= 20 else self.data[:16] + "…"
        return f"{self.usage} {self.selector} {self.matching} {short}"


def parse_record(usage: int, selector: int, matching: int, data: bytes) -> TlsaRecord:
    """A TLSA record with its usability for SMTP decided."""
    note = ""
    if usage not in USAGES:
        note = f"usage {usage} is not used for SMTP (only 2 DANE-TA and 3 DANE-EE)"
    elif selector not in (0, 1):
        note = f"unknown selector {selector}"
    elif matching not in (0, 1, 2):
        note = f"unknown matching type {matching}"
    elif matching in _DIGEST_BYTES and len(data) != _DIGEST_BYTES[matching]:
        want = _DIGEST_BYTES[matching]
        note = f"the digest has {len(data)} bytes, matching type {matching} needs {want}"
    return TlsaRecord(usage, selector, matching, data.hex(), not note, note)


@dataclass(frozen=True)
class RecordMatch:
    """A usable record and whether it matched the served chain."""

    record: TlsaRecord
    matched: bool
    note: str = ""


@dataclass(frozen=True)
class DaneMatch:
    """The DANE verdict for one served chain."""

    matched: bool
    records: tuple[RecordMatch, ...]
    reason: str


def _selected(cert: x509.Certificate, selector: int) -> bytes:
    if selector == 0:
        return cert.public_bytes(serialization.Encoding.DER)
    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _digest(content: bytes, matching: int) -> str:
    if matching == 1:
        return hashlib.sha256(content).hexdigest()
    if matching == 2:
        return hashlib.sha512(content).hexdigest()
    return content.hex()


def association(cert: x509.Certificate, selector: int, matching: int) -> str:
    """The TLSA association data of `cert` for a selector and matching type (hex)."""
    return _digest(_selected(cert, selector), matching)


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _ta_check(
    certs: list[x509.Certificate], anchor: int, names: tuple[str, ...], now: dt.datetime
) -> str:
    """Why a DANE-TA match at `anchor` does not authenticate the leaf ('' if it does)."""
    for index in range(anchor):
        if not _issued_by(certs[index], certs[index + 1]):
            return f"certificate {index} of the chain is not signed by certificate {index + 1}"
        problem = expiry_problem(certs[index], now)
        if problem:
            return problem if index == 0 else f"chain certificate {index}: {problem}"
    leaf_names = san_names(certs[0])
    if not any(name_matches(n, leaf_names) for n in names):
        shown = ", ".join(leaf_names[:5]) or "no DNS names"
        return f"the trust anchor matches, but the certificate is for {shown}, not {names[0]}"
    return ""


def match_chain(
    records: tuple[TlsaRecord, ...],
    chain: tuple[bytes, ...],
    names: tuple[str, ...],
    now: dt.datetime | None = None,
) -> DaneMatch:
    """Match the usable `records` against the served `chain` (DER, leaf first).

    `names` are the reference identifiers for DANE-TA: the TLSA base domain first, then the
    MX host name. Only usable records are judged and returned.
    """
    now = now or dt.datetime.now(dt.UTC)
    usable = [r for r in records if r.usable]
    if not usable:
        return DaneMatch(False, (), "no usable TLSA records (only usages 2 and 3 count)")
    if not chain:
        return DaneMatch(False, tuple(RecordMatch(r, False) for r in usable), "no certificate")
    certs = [x509.load_der_x509_certificate(der) for der in chain]
    results: list[RecordMatch] = []
    authenticated = False
    ta_failures: list[str] = []
    for record in usable:
        if record.usage == 3:
            hit = association(certs[0], record.selector, record.matching) == record.data.lower()
            results.append(RecordMatch(record, hit))
            authenticated = authenticated or hit
            continue
        anchor = next(
            (
                i
                for i in range(1, len(certs))
                if association(certs[i], record.selector, record.matching) == record.data.lower()
            ),
            None,
        )
        if anchor is None:
            results.append(RecordMatch(record, False))
            continue
        why = _ta_check(certs, anchor, names, now)
        results.append(RecordMatch(record, True, why))
        if why:
            ta_failures.append(why)
        else:
            authenticated = True
    if authenticated:
        return DaneMatch(True, tuple(results), "")
    if ta_failures:
        return DaneMatch(False, tuple(results), ta_failures[0])
    spki = association(certs[0], 1, 1)
    count = len(usable)
    what = "the TLSA record does not" if count == 1 else f"none of the {count} TLSA records"
    reason = f"{what} match; the server presents key SHA-256 {spki}"
    if len(certs) > 1:
        reason += f" and {len(certs) - 1} more certificate(s), none of them a listed trust anchor"
    return DaneMatch(False, tuple(results), reason)
