"""Judging a certificate chain collected without verification: WebPKI validity for a name.

The chain a server presented on port 25 is checked afterwards, with `cryptography`'s
verifier, against the system's CA store plus `--ca-file`. This is what MTA-STS (RFC 8461)
requires of every MX; DANE (RFC 7672) judges the same chain differently (see `dane`).
"""

from __future__ import annotations

import datetime as dt
import functools
import ssl
import warnings
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from mailprobe.diagnose.tls import name_matches


@dataclass(frozen=True)
class PkixResult:
    """Whether a chain is valid for a name under the WebPKI, and why not."""

    valid: bool
    error: str | None = None


def _load_pem_file(path: Path) -> list[x509.Certificate]:
    try:
        with warnings.catch_warnings():
            # Old CA certificates in system stores trip cryptography's strictness warnings.
            warnings.simplefilter("ignore")
            return x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError):
        return []


@functools.lru_cache(maxsize=4)
def trust_store(ca_file: Path | None) -> tuple[x509.Certificate, ...]:
    """The system CA certificates (OpenSSL's default file or directory) plus `ca_file`."""
    paths = ssl.get_default_verify_paths()
    certs: list[x509.Certificate] = []
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and Path(candidate).is_file():
            certs = _load_pem_file(Path(candidate))
            break
    if not certs:
        for directory in (paths.capath, paths.openssl_capath):
            if directory and Path(directory).is_dir():
                for entry in sorted(Path(directory).iterdir()):
                    if entry.suffix in (".pem", ".crt") or entry.name[-2:-1] == ".":
                        certs += _load_pem_file(entry)
                break
    if ca_file is not None:
        certs += _load_pem_file(ca_file)
    return tuple(certs)


def san_names(cert: x509.Certificate) -> tuple[str, ...]:
    """The certificate's DNS names (SAN), falling back to none when it has no SAN."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return ()
    return tuple(str(n) for n in ext.get_values_for_type(x509.DNSName))


def expiry_problem(cert: x509.Certificate, now: dt.datetime) -> str | None:
    """Why `cert` is not valid at `now` (expired or not yet valid), or None."""
    if cert.not_valid_after_utc < now:
        return f"the certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}"
    if cert.not_valid_before_utc > now:
        return f"the certificate is not valid before {cert.not_valid_before_utc:%Y-%m-%d}"
    return None


def verify_chain(
    chain: tuple[bytes, ...], host: str, ca_file: Path | None, now: dt.datetime | None = None
) -> PkixResult:
    """Is the DER `chain` (leaf first) WebPKI-valid for `host`?"""
    if not chain:
        return PkixResult(False, "the server presented no certificate")
    now = now or dt.datetime.now(dt.UTC)
    try:
        certs = [x509.load_der_x509_certificate(der) for der in chain]
    except ValueError as exc:
        return PkixResult(False, f"unreadable certificate ({exc})")
    leaf = certs[0]
    problem = expiry_problem(leaf, now)
    if problem:
        return PkixResult(False, problem)
    names = san_names(leaf)
    if not name_matches(host, names):
        shown = ", ".join(names[:5]) or "no DNS names"
        return PkixResult(False, f"the certificate is for {shown}, not {host}")
    anchors = trust_store(ca_file)
    if not anchors:
        return PkixResult(False, "no trusted CA certificates found on this system")
    verifier = (
        PolicyBuilder()
        .store(Store(list(anchors)))
        .time(now.replace(tzinfo=None))
        .build_server_verifier(x509.DNSName(host))
    )
    try:
        verifier.verify(leaf, certs[1:])
    except VerificationError as exc:
        if leaf.issuer == leaf.subject:
            return PkixResult(False, "the certificate is self-signed")
        issuer = leaf.issuer.rfc4514_string()
        why = str(exc).split(" (encountered processing", 1)[0].removeprefix("validation failed: ")
        return PkixResult(
            False, f"the certificate is not issued by a trusted CA (issuer {issuer}; {why})"
        )
    except ValueError as exc:
        return PkixResult(False, f"the certificate cannot be checked: {exc}")
    return PkixResult(True)
