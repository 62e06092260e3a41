"""Live, credential-free handshakes with IMAP, POP3 and SMTP endpoints.

`probe_endpoint` is the entry point; it returns a `mailprobe.models.ProbeResult` for
every outcome. `Credentials` enables the optional login test, `ProbeTimeouts` sets the
time allowed for each step.

How situations show up in a `ProbeResult` (what diagnose reads). Every failure also
carries `cause`, a `mailprobe.models.Cause` (listed in docs/causes.md):

=============================  ==========================================================
connection refused             status=refused, failed_phase=connect, connections=0
filtered (no TCP answer)       status=timeout, failed_phase=connect
reset by the server            status=protocol_error, cause=reset (closed: cause=closed)
name does not resolve          status=dns_error, failed_phase=dns
IPv6 fails, IPv4 works         status=ok, failed_attempts=(FailedAttempt("::1", ...),)
greeting delayed               status=ok, timings.banner large (ms)
no greeting (tarpit)           status=timeout, failed_phase=banner, detected_security=None
greeting begun, never ended    status=timeout, failed_phase=banner, cause=incomplete
TLS handshake stalls           status=timeout, failed_phase=tls, cause=timeout
not the expected protocol      status=protocol_error, failed_phase=banner,
                               detected_protocol=the one seen (None for HTTP/garbage)
421 / 554 greeting, IMAP BYE,  status=rate_limited (reason quotes the server)
POP3 -ERR greeting, accept
and close without a greeting
plain spoken to a TLS port     status=timeout, failed_phase=banner, detected_security=tls,
                               facts (tls, capabilities) from the working TLS connection
TLS spoken to a STARTTLS or    status=tls_error, failed_phase=tls,
plain port                     detected_security=starttls|plain, facts from the plain one;
                               no greeting there: cause=not_tls, or what the ClientHello
                               sent in plain text got (cause=http_answer, ...)
STARTTLS not offered           status=tls_error (security=starttls), starttls_offered=False,
                               detected_security=plain
plain requested, STARTTLS      status=ok, tls=None, starttls_offered=True,
offered                        detected_security=starttls
AUTH / USER before TLS         auth_before_tls=(mechanisms), plaintext_user_before_tls (POP3)
IMAP PREAUTH                   preauth=True (status=tls_error when STARTTLS was required)
LOGINDISABLED before TLS       login_disabled=True
certificate problem            status=tls_error, tls.verified=False, tls.cert_problem
                               (cert_expired, cert_self_signed, ...; also the probe's
                               cause), tls.verify_error says it
                               in words, tls.cert from the permissive second connection
TLS below 1.2 only             status=tls_error, tls.version "TLSv1"/"TLSv1.1",
                               weak_tls_checked=True, weak_tls_version=that version
TLS 1.0/1.1 also accepted      (check_weak_tls=True) weak_tls_version="TLSv1.1" etc.
login outcome                  login=LoginResult(status=...); status=auth_failed unless
                               login.status is ok or not_attempted
=============================  ==========================================================

`connections` is the number of TCP connections made (never more than two).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mailprobe.models import default_security

if TYPE_CHECKING:
    from mailprobe.probes.dialog import ProbeTimeouts
    from mailprobe.probes.login import Credentials
    from mailprobe.probes.session import probe_endpoint

# The package is imported whenever its scheduler is; the probe machinery (ssl, asyncio
# streams, DNS) loads only when one of these names is first used.
_LAZY = {
    "Credentials": "mailprobe.probes.login",
    "ProbeTimeouts": "mailprobe.probes.dialog",
    "probe_endpoint": "mailprobe.probes.session",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "Credentials",
    "ProbeTimeouts",
    "default_security",
    "probe_endpoint",
]
