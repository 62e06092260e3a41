"""TLS client contexts: strict (system store plus `--ca-file`) and permissive (diagnosis only)."""

from __future__ import annotations

import functools
import os
import ssl
import warnings
from pathlib import Path

from mailprobe.errors import InvalidInputError


@functools.lru_cache(maxsize=8)
def strict_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """A verifying client context: system CA store, plus `ca_file` when given.

    Verifies the chain and the host name; TLS 1.2 is the floor because anything older is
    reported as a weakness rather than silently accepted. Cached per CA file (loading the
    system store takes tens of milliseconds) and shared: callers must not modify it.
    Raises InvalidInputError when `ca_file` cannot be read as PEM certificates.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies chain and host name
    capath = hashed_system_store()
    if capath is not None:
        ctx.load_verify_locations(capath=capath)
    else:
        ctx.load_default_certs(ssl.Purpose.SERVER_AUTH)
    if ca_file is not None:
        try:
            ctx.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise InvalidInputError(f"cannot load the CA file {ca_file}: {exc}") from None
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def hashed_system_store() -> str | None:
    """The system's hashed CA directory, when it holds the same CAs as the system bundle.

    `update-ca-certificates` (Debian, Ubuntu, Alpine) writes the bundle file and a
    directory of hash-named links to the same certificates side by side. Given the
    directory, OpenSSL reads a CA certificate only when a chain needs it, instead of
    parsing every certificate of the bundle up front, which costs tens to hundreds of
    milliseconds per process. None (use Python's default loading) unless the bundle and
    directory in use (after `SSL_CERT_FILE` / `SSL_CERT_DIR`) are OpenSSL's own defaults,
    side by side, and the directory has hash links.
    """
    paths = ssl.get_default_verify_paths()
    if not paths.cafile or not paths.capath or not paths.openssl_capath:
        return None
    real = os.path.realpath
    cafile, capath = real(paths.cafile), real(paths.capath)
    if cafile != real(paths.openssl_cafile) or capath != real(paths.openssl_capath):
        return None  # pointed elsewhere by the environment: honour it as given
    if os.path.dirname(cafile) != capath:
        return None
    try:
        with os.scandir(capath) as entries:
            if any(_is_hash_link(entry.name) for entry in entries):
                return capath
    except OSError:
        return None
    return None


def _is_hash_link(name: str) -> bool:
    stem, _, suffix = name.partition(".")
    return len(stem) == 8 and suffix.isdigit() and all(c in "0123456789abcdef" for c in stem)


def permissive_context() -> ssl.SSLContext:
    """A context that accepts any certificate and old TLS versions.

    Used only for a second connection whose sole purpose is to name why the strict one
    failed (expired, self-signed, TLS 1.0 only). Never used to send credentials.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        # Asking for TLS 1.0 is the point here: it lets us name "server only speaks TLS 1.0".
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.set_ciphers("ALL:@SECLEVEL=0")
        except (ssl.SSLError, ValueError):
            # Some OpenSSL builds refuse these; the defaults still name most failures.
            pass
    return ctx
