"""TLS client contexts: strict (system store plus `--ca-file`) and permissive (diagnosis only)."""

from __future__ import annotations

import functools
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
    ctx = ssl.create_default_context()
    if ca_file is not None:
        try:
            ctx.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise InvalidInputError(f"cannot load the CA file {ca_file}: {exc}") from None
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


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
