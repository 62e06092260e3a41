"""The one place that turns low-level network exceptions into statuses and plain reasons.

Sources and probes catch `Exception` subclasses from sockets, ssl, asyncio, dnspython and
httpx at their boundary and call `classify`; nothing else in mailprobe inspects exception
types from those libraries.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
import sys
from dataclasses import dataclass
from enum import StrEnum

from mailprobe.models import ProbeStatus, SourceStatus


class FailureKind(StrEnum):
    """What went wrong, independent of who was asking."""

    REFUSED = "refused"
    RESET = "reset"
    TIMEOUT = "timeout"
    DNS = "dns"
    TLS = "tls"
    PROTOCOL = "protocol"
    UNREACHABLE = "unreachable"
    OTHER = "other"


@dataclass(frozen=True)
class Failure:
    """A classified failure: its kind and a sentence a person can act on."""

    kind: FailureKind
    reason: str

    @property
    def probe_status(self) -> ProbeStatus:
        """The probe status this failure maps to."""
        return _PROBE_STATUS[self.kind]

    @property
    def source_status(self) -> SourceStatus:
        """The source status this failure maps to."""
        return SourceStatus.TIMEOUT if self.kind is FailureKind.TIMEOUT else SourceStatus.ERROR


_PROBE_STATUS = {
    FailureKind.REFUSED: ProbeStatus.REFUSED,
    FailureKind.RESET: ProbeStatus.PROTOCOL_ERROR,
    FailureKind.TIMEOUT: ProbeStatus.TIMEOUT,
    FailureKind.DNS: ProbeStatus.DNS_ERROR,
    FailureKind.TLS: ProbeStatus.TLS_ERROR,
    FailureKind.PROTOCOL: ProbeStatus.PROTOCOL_ERROR,
    FailureKind.UNREACHABLE: ProbeStatus.REFUSED,
    FailureKind.OTHER: ProbeStatus.PROTOCOL_ERROR,
}


class ProtocolViolation(Exception):
    """Raised inside probes and parsers when a peer says something the protocol forbids.

    It is classified as `FailureKind.PROTOCOL` with its message as the reason.
    """


@dataclass(frozen=True)
class AttemptFailure:
    """One server address that could not be connected to, and why."""

    ip: str
    failure: Failure


class ConnectFailed(Exception):
    """Raised when every address of a host refused or timed out; carries each attempt.

    It is classified as the failure of the last attempt.
    """

    def __init__(self, attempts: tuple[AttemptFailure, ...]) -> None:
        self.attempts = attempts
        reasons = "; ".join(f"{a.ip}: {a.failure.reason}" for a in attempts)
        super().__init__(reasons or "no address to connect to")


class DnsLookupFailed(Exception):
    """Raised by the address lookup when a host name has no usable address.

    It is classified as `FailureKind.DNS` with its message as the reason.
    """


def describe_tls_error(exc: ssl.SSLError) -> str:
    """A plain-language reason for a TLS failure, naming certificate problems precisely."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        message = (exc.verify_message or str(exc)).strip()
        code = exc.verify_code
        if code == 10:
            return "certificate has expired"
        if code in (18, 19):
            return "self-signed certificate (not issued by a trusted authority)"
        if code in (20, 21):
            return "certificate chain incomplete or issued by an untrusted authority"
        if code == 62 or "hostname mismatch" in message.lower():
            return f"certificate is not valid for this host name ({message})"
        return f"certificate verification failed: {message}"
    reason = getattr(exc, "reason", None) or ""
    text = str(reason or exc)
    lowered = text.lower()
    if "wrong_version_number" in lowered or "wrong version number" in lowered:
        return (
            "the server did not answer with TLS (wrong version number): "
            "it may expect plain text or STARTTLS on this port"
        )
    if "unsupported_protocol" in lowered or "no protocols available" in lowered:
        return "no TLS version in common: the server only offers versions this client refuses"
    if "handshake_failure" in lowered or "sslv3_alert_handshake_failure" in lowered:
        return "TLS handshake failed: no cipher or version in common"
    if "record_layer_failure" in lowered or "packet length too long" in lowered:
        return (
            "the server did not answer with TLS: it may expect plain text or STARTTLS on this port"
        )
    return f"TLS error: {text}"


def classify(exc: BaseException) -> Failure:
    """Map an exception raised by network code to a `Failure`.

    Unknown exception types are classified as OTHER with their message, so a surprising
    error becomes a reported failure instead of a traceback.
    """
    if isinstance(exc, ConnectFailed):
        if not exc.attempts:
            return Failure(FailureKind.DNS, "no address to connect to")
        last = exc.attempts[-1].failure
        if len(exc.attempts) == 1:
            return last
        return Failure(last.kind, f"{last.reason} (tried {len(exc.attempts)} addresses: {exc})")
    if isinstance(exc, ProtocolViolation):
        return Failure(FailureKind.PROTOCOL, str(exc))
    if isinstance(exc, DnsLookupFailed):
        return Failure(FailureKind.DNS, str(exc))
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return Failure(FailureKind.TIMEOUT, "timed out")
    # httpx and dnspython are imported lazily by the code that uses them (start-up time
    # counts); an exception from either can only exist once its module is loaded.
    if "httpx" in sys.modules:
        failure = _classify_httpx(exc)
        if failure is not None:
            return failure
    if "dns.exception" in sys.modules:
        failure = _classify_dns(exc)
        if failure is not None:
            return failure
    if isinstance(exc, ssl.SSLError):
        return Failure(FailureKind.TLS, describe_tls_error(exc))
    if isinstance(exc, ConnectionRefusedError):
        return Failure(FailureKind.REFUSED, "connection refused")
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, asyncio.IncompleteReadError)):
        return Failure(FailureKind.RESET, "the server closed the connection unexpectedly")
    if isinstance(exc, ConnectionAbortedError):
        return Failure(FailureKind.RESET, "the connection was aborted")
    if isinstance(exc, socket.gaierror):
        return Failure(FailureKind.DNS, f"host name lookup failed: {exc.strerror or exc}")
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL):
            return Failure(FailureKind.UNREACHABLE, f"network unreachable: {exc.strerror or exc}")
        if exc.errno == errno.ETIMEDOUT:
            return Failure(FailureKind.TIMEOUT, "connection timed out")
        if exc.errno == errno.ECONNREFUSED:
            return Failure(FailureKind.REFUSED, "connection refused")
        return Failure(FailureKind.OTHER, f"network error: {exc.strerror or exc}")
    if isinstance(exc, UnicodeError):
        return Failure(FailureKind.PROTOCOL, f"undecodable data from the server: {exc}")
    return Failure(FailureKind.OTHER, f"{type(exc).__name__}: {exc}")


def _classify_httpx(exc: BaseException) -> Failure | None:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return Failure(FailureKind.TIMEOUT, "HTTP request timed out")
    if isinstance(exc, httpx.ConnectError):
        inner = _cause_failure(exc)
        if inner is not None:
            return inner
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate" in text.lower():
            return Failure(FailureKind.TLS, f"certificate verification failed: {text}")
        if "refused" in text.lower():
            return Failure(FailureKind.REFUSED, "connection refused")
        return Failure(FailureKind.UNREACHABLE, f"could not connect: {text}")
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.LocalProtocolError)):
        return Failure(FailureKind.PROTOCOL, f"HTTP protocol error: {exc}")
    if isinstance(exc, httpx.ReadError):
        return Failure(FailureKind.RESET, "connection closed while reading the HTTP answer")
    if isinstance(exc, httpx.HTTPError):
        return Failure(FailureKind.OTHER, f"HTTP error: {exc}")
    return None


def _cause_failure(exc: BaseException) -> Failure | None:
    """The first specific failure among the exceptions behind `exc`.

    httpx wraps httpcore's error, which wraps anyio's "All connection attempts failed",
    which wraps the real cause (refused, a certificate error, ...), sometimes inside an
    exception group: walk the chain breadth-first until something more precise than OTHER.
    """
    seen = {id(exc)}
    queue: list[BaseException | None] = [exc.__cause__, exc.__context__]
    while queue and len(seen) < 32:
        inner = queue.pop(0)
        if inner is None or id(inner) in seen:
            continue
        seen.add(id(inner))
        if isinstance(inner, BaseExceptionGroup):
            queue.extend(inner.exceptions)
        else:
            failure = classify(inner)
            if failure.kind is not FailureKind.OTHER:
                return failure
        queue.extend((inner.__cause__, inner.__context__))
    return None


def _classify_dns(exc: BaseException) -> Failure | None:
    import dns.exception
    import dns.resolver

    if isinstance(exc, dns.exception.Timeout):
        return Failure(FailureKind.TIMEOUT, "DNS lookup timed out")
    if isinstance(exc, dns.resolver.NXDOMAIN):
        return Failure(FailureKind.DNS, "the name does not exist (NXDOMAIN)")
    if isinstance(exc, dns.resolver.NoAnswer):
        return Failure(FailureKind.DNS, "no record of that type")
    if isinstance(exc, dns.resolver.NoNameservers):
        return Failure(FailureKind.DNS, "DNS servers failed to answer (SERVFAIL or refused)")
    if isinstance(exc, dns.exception.DNSException):
        return Failure(FailureKind.DNS, f"DNS error: {exc}")
    return None
