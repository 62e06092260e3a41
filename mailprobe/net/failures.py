"""The one place that turns low-level network exceptions into causes, statuses and reasons.

Sources and probes catch `Exception` subclasses from sockets, ssl, asyncio, dnspython,
httpx and anyio at their boundary and call `classify`; nothing else in mailprobe inspects
exception types from those libraries. A `Failure` carries a `Cause` (data, read by
diagnosis) and a reason (words, read by people); the probe and source statuses follow
from the cause through one table. `VERIFY_CODES` is the one table of OpenSSL certificate
verification codes. `docs/causes.md` describes every cause.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from mailprobe.models import Cause, ProbeStatus, SourceStatus

#: What each cause means, in one sentence (the vocabulary table of `docs/causes.md`).
CAUSE_MEANINGS: Mapping[Cause, str] = MappingProxyType(
    {
        Cause.NO_SUCH_HOST: "the name does not exist (NXDOMAIN) or has no address records",
        Cause.DNS_FAILED: "the DNS servers failed to answer (SERVFAIL, refused, malformed)",
        Cause.DNS_TIMEOUT: "the DNS lookup got no answer in time",
        Cause.REFUSED: "the TCP connection was refused",
        Cause.UNREACHABLE: "the network has no route to the address",
        Cause.TIMEOUT: "nothing arrived in time (connect, answer or handshake)",
        Cause.INCOMPLETE: "the server started an answer (e.g. its greeting) but did not finish "
        "it in time",
        Cause.RESET: "the connection was reset or aborted",
        Cause.CLOSED: "the server closed the connection where an answer was due",
        Cause.RATE_LIMITED: "the server turned the connection away for now (SMTP 421, busy)",
        Cause.NOT_TLS: "the server answered the TLS handshake with bytes that are not TLS",
        Cause.HTTP_ANSWER: "the server answered with HTTP: a web server listens there",
        Cause.STARTTLS_INJECTION: "plain text arrived together with the STARTTLS go-ahead "
        "(response injection); the session was abandoned",
        Cause.NO_COMMON_TLS_VERSION: "client and server share no TLS version",
        Cause.TLS_FAILED: "the TLS handshake failed for another reason (the reason says which)",
        Cause.STARTTLS_NOT_OFFERED: "STARTTLS was required but the server does not offer it",
        Cause.STARTTLS_REFUSED: "the server offers STARTTLS but refused the command",
        Cause.CERT_EXPIRED: "the certificate has expired",
        Cause.CERT_NOT_YET_VALID: "the certificate is not valid yet",
        Cause.CERT_SELF_SIGNED: "the certificate is self-signed",
        Cause.CERT_WRONG_NAME: "the certificate is not valid for the host name",
        Cause.CERT_UNTRUSTED: "the certificate's issuer is not trusted here",
        Cause.CERT_INCOMPLETE_CHAIN: "the server does not send its intermediate certificate",
        Cause.CERT_INVALID: "the certificate failed verification for another reason",
        Cause.WRONG_PROTOCOL: "the server speaks another protocol than the one expected",
        Cause.GARBAGE: "the server's answer is malformed or not understood",
        Cause.TOO_LARGE: "the server sent more than allowed (line, reply or document size)",
        Cause.HTTP_STATUS: "the web server answered with an error status",
        Cause.REDIRECT_LOOP: "redirects looped or exceeded the limit",
        Cause.INSECURE_HTTP: "plain HTTP (or a redirect to it) was not followed",
        Cause.INVALID_URL: "a URL (given or redirected to) is invalid",
        Cause.INVALID_DOCUMENT: "a fetched document is not a valid settings document",
        Cause.OTHER: "an unexpected error; the reason names it",
    }
)

_PROBE_STATUS: Mapping[Cause, ProbeStatus] = MappingProxyType(
    {
        **dict.fromkeys(
            (Cause.NO_SUCH_HOST, Cause.DNS_FAILED, Cause.DNS_TIMEOUT), ProbeStatus.DNS_ERROR
        ),
        **dict.fromkeys((Cause.REFUSED, Cause.UNREACHABLE), ProbeStatus.REFUSED),
        **dict.fromkeys((Cause.TIMEOUT, Cause.INCOMPLETE), ProbeStatus.TIMEOUT),
        Cause.RATE_LIMITED: ProbeStatus.RATE_LIMITED,
        **dict.fromkeys(
            (
                Cause.NOT_TLS,
                Cause.NO_COMMON_TLS_VERSION,
                Cause.TLS_FAILED,
                Cause.STARTTLS_NOT_OFFERED,
                Cause.STARTTLS_REFUSED,
                Cause.STARTTLS_INJECTION,
                *(c for c in Cause if c.is_certificate),
            ),
            ProbeStatus.TLS_ERROR,
        ),
        **dict.fromkeys(
            (
                Cause.RESET,
                Cause.CLOSED,
                Cause.HTTP_ANSWER,
                Cause.WRONG_PROTOCOL,
                Cause.GARBAGE,
                Cause.TOO_LARGE,
                Cause.HTTP_STATUS,
                Cause.REDIRECT_LOOP,
                Cause.INSECURE_HTTP,
                Cause.INVALID_URL,
                Cause.INVALID_DOCUMENT,
                Cause.OTHER,
            ),
            ProbeStatus.PROTOCOL_ERROR,
        ),
    }
)

#: Causes that mean "out of time" (a source ending with one of them timed out).
TIMEOUT_CAUSES = frozenset({Cause.TIMEOUT, Cause.DNS_TIMEOUT, Cause.INCOMPLETE})

#: Causes of a failed name lookup.
DNS_CAUSES = frozenset({Cause.NO_SUCH_HOST, Cause.DNS_FAILED, Cause.DNS_TIMEOUT})


def probe_status(cause: Cause) -> ProbeStatus:
    """The probe status a failure with `cause` ends in."""
    return _PROBE_STATUS[cause]


@dataclass(frozen=True)
class Failure:
    """A classified failure: its cause (data) and a sentence a person can act on."""

    cause: Cause
    reason: str

    @property
    def probe_status(self) -> ProbeStatus:
        """The probe status this failure maps to."""
        return _PROBE_STATUS[self.cause]

    @property
    def source_status(self) -> SourceStatus:
        """The source status this failure maps to."""
        return SourceStatus.TIMEOUT if self.cause in TIMEOUT_CAUSES else SourceStatus.ERROR


class ProtocolViolation(Exception):
    """Raised inside probes, parsers and fetchers when a peer breaks the rules.

    It is classified with its `cause` (malformed data unless told otherwise) and its
    message as the reason.
    """

    def __init__(self, message: str, cause: Cause = Cause.GARBAGE) -> None:
        super().__init__(message)
        self.cause = cause


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

    It is classified with its `cause` (one of `DNS_CAUSES`) and its message as the reason.
    """

    def __init__(self, message: str, cause: Cause = Cause.NO_SUCH_HOST) -> None:
        super().__init__(message)
        self.cause = cause


# --------------------------------------------------------------------------- TLS

#: OpenSSL X509_V_ERR_* verification codes (see `man openssl-verify`) and what they name.
#: The one table: probes, HTTP fetches and diagnosis all read certificate causes from it.
VERIFY_CODES: Mapping[int, Cause] = MappingProxyType(
    {
        2: Cause.CERT_INCOMPLETE_CHAIN,  # unable to get issuer certificate
        9: Cause.CERT_NOT_YET_VALID,
        10: Cause.CERT_EXPIRED,
        18: Cause.CERT_SELF_SIGNED,  # depth-zero self-signed certificate: the leaf itself
        19: Cause.CERT_UNTRUSTED,  # a self-signed root in the chain that is not trusted here
        20: Cause.CERT_UNTRUSTED,  # unable to get local issuer (may be refined: see probes.tls)
        21: Cause.CERT_INCOMPLETE_CHAIN,  # unable to verify the first certificate
        62: Cause.CERT_WRONG_NAME,  # host name mismatch
        64: Cause.CERT_WRONG_NAME,  # IP address mismatch
    }
)

#: How each certificate cause reads in a reason.
CERT_TEXT: Mapping[Cause, str] = MappingProxyType(
    {
        Cause.CERT_EXPIRED: "the certificate has expired",
        Cause.CERT_NOT_YET_VALID: "the certificate is not valid yet",
        Cause.CERT_SELF_SIGNED: "the certificate is self-signed (not issued by a trusted "
        "authority)",
        Cause.CERT_WRONG_NAME: "the certificate is not valid for this host name",
        Cause.CERT_UNTRUSTED: "the certificate is issued by an authority that is not trusted here",
        Cause.CERT_INCOMPLETE_CHAIN: "the server does not send the intermediate certificate "
        "(incomplete chain)",
        Cause.CERT_INVALID: "certificate verification failed",
    }
)

# OpenSSL reasons meaning the peer's first bytes were not a TLS record at all.
_PLAINTEXT_REASONS = frozenset(
    {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST"}
)
_NO_COMMON_VERSION_REASONS = frozenset(
    {"UNSUPPORTED_PROTOCOL", "NO_PROTOCOLS_AVAILABLE", "TLSV1_ALERT_PROTOCOL_VERSION"}
)

_NOT_TLS_TEXT = (
    "the server did not answer with TLS: it may expect plain text or STARTTLS on this port"
)


def cert_cause(exc: BaseException) -> Cause | None:
    """The certificate cause a failed handshake names, or None if it names none."""
    if not isinstance(exc, ssl.SSLCertVerificationError):
        return None
    cause = VERIFY_CODES.get(exc.verify_code)
    if cause is None and "hostname mismatch" in (exc.verify_message or "").lower():
        cause = Cause.CERT_WRONG_NAME
    return cause or Cause.CERT_INVALID


def tls_failure(exc: ssl.SSLError) -> Failure:
    """The cause and a plain reason for a TLS failure, naming certificate problems precisely."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        message = (exc.verify_message or str(exc)).strip()
        cause = cert_cause(exc) or Cause.CERT_INVALID
        text = CERT_TEXT[cause]
        if cause in (Cause.CERT_WRONG_NAME, Cause.CERT_INVALID):
            text = f"{text} ({message})"
        return Failure(cause, text)
    reason = str(getattr(exc, "reason", None) or "").upper()
    if reason in _PLAINTEXT_REASONS:
        return Failure(Cause.NOT_TLS, _NOT_TLS_TEXT)
    if reason in _NO_COMMON_VERSION_REASONS:
        return Failure(
            Cause.NO_COMMON_TLS_VERSION,
            "no TLS version in common: the server only offers versions this client refuses",
        )
    if "HANDSHAKE_FAILURE" in reason:
        return Failure(Cause.TLS_FAILED, "TLS handshake failed: no cipher or version in common")
    return Failure(Cause.TLS_FAILED, f"TLS error: {getattr(exc, 'reason', None) or exc}")


def is_plaintext_answer(exc: BaseException) -> bool:
    """True if a TLS handshake failed because the server answered with non-TLS bytes,
    or spoke plain text before an implicit-TLS handshake even began."""
    if isinstance(exc, ProtocolViolation):
        return exc.cause is Cause.NOT_TLS
    return isinstance(exc, ssl.SSLError) and str(exc.reason).upper() in _PLAINTEXT_REASONS


# --------------------------------------------------------------------------- classify


def classify(exc: BaseException) -> Failure:
    """Map an exception raised by network code to a `Failure`.

    Exception groups (anyio inside httpx, asyncio task groups) are opened and their most
    specific member classified, so a group never reaches a report. Unknown exception types
    are classified as OTHER with their message, so a surprising error becomes a reported
    failure instead of a traceback.
    """
    if isinstance(exc, BaseExceptionGroup):
        return _classify_group(exc)
    if isinstance(exc, ConnectFailed):
        if not exc.attempts:
            return Failure(Cause.NO_SUCH_HOST, "no address to connect to")
        last = exc.attempts[-1].failure
        if len(exc.attempts) == 1:
            return last
        return Failure(last.cause, f"{last.reason} (tried {len(exc.attempts)} addresses: {exc})")
    if isinstance(exc, (ProtocolViolation, DnsLookupFailed)):
        return Failure(exc.cause, str(exc))
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return Failure(Cause.TIMEOUT, "timed out")
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
        return tls_failure(exc)
    return _classify_builtin(exc)


def _classify_builtin(exc: BaseException) -> Failure:
    if isinstance(exc, ConnectionRefusedError):
        return Failure(Cause.REFUSED, "connection refused")
    if isinstance(exc, asyncio.IncompleteReadError):
        return Failure(Cause.CLOSED, "the server closed the connection unexpectedly")
    if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
        return Failure(Cause.RESET, "the server closed the connection unexpectedly (reset)")
    if isinstance(exc, ConnectionAbortedError):
        return Failure(Cause.RESET, "the connection was aborted")
    if isinstance(exc, socket.gaierror):
        return Failure(Cause.NO_SUCH_HOST, f"host name lookup failed: {exc.strerror or exc}")
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL):
            return Failure(Cause.UNREACHABLE, f"network unreachable: {exc.strerror or exc}")
        if exc.errno == errno.ETIMEDOUT:
            return Failure(Cause.TIMEOUT, "connection timed out")
        if exc.errno == errno.ECONNREFUSED:
            return Failure(Cause.REFUSED, "connection refused")
        return Failure(Cause.OTHER, f"network error: {exc.strerror or exc}")
    if isinstance(exc, OverflowError) and "port" in str(exc):
        # socket.connect() on a port outside 0-65535 (e.g. a redirect to :99999)
        return Failure(Cause.INVALID_URL, f"invalid port number ({exc})")
    if isinstance(exc, UnicodeError):
        return Failure(Cause.GARBAGE, f"undecodable data from the server: {exc}")
    return Failure(Cause.OTHER, f"{type(exc).__name__}: {exc}")


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    found: list[BaseException] = []
    for inner in group.exceptions:
        if isinstance(inner, BaseExceptionGroup):
            found.extend(_leaves(inner))
        else:
            found.append(inner)
    return found


def _classify_group(group: BaseExceptionGroup[BaseException]) -> Failure:
    """The failure of the most specific exception inside a group (never the group itself)."""
    failures = [classify(leaf) for leaf in _leaves(group)]
    for failure in failures:
        if failure.cause is not Cause.OTHER:
            return failure
    if failures:
        return failures[0]
    return Failure(Cause.OTHER, "an empty exception group")


def _classify_httpx(exc: BaseException) -> Failure | None:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return Failure(Cause.TIMEOUT, "HTTP request timed out")
    if isinstance(exc, httpx.ConnectError):
        inner = _cause_failure(exc)
        if inner is not None:
            return inner
        # No chained exception to read (a transport that raised ConnectError itself):
        # the library's own message is all there is.
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            return Failure(Cause.CERT_INVALID, f"certificate verification failed: {text}")
        if "refused" in text.lower():
            return Failure(Cause.REFUSED, "connection refused")
        return Failure(Cause.UNREACHABLE, f"could not connect: {text}")
    if isinstance(exc, httpx.InvalidURL):
        return Failure(Cause.INVALID_URL, f"invalid URL: {exc}")
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.LocalProtocolError)):
        return Failure(Cause.GARBAGE, f"HTTP protocol error: {exc}")
    if isinstance(exc, httpx.ReadError):
        inner = _cause_failure(exc)
        if inner is not None and inner.cause is not Cause.RESET:
            return inner
        return Failure(Cause.RESET, "connection closed while reading the HTTP answer")
    if isinstance(exc, httpx.TooManyRedirects):
        return Failure(Cause.REDIRECT_LOOP, f"HTTP error: {exc}")
    if isinstance(exc, httpx.HTTPError):
        return _cause_failure(exc) or Failure(Cause.OTHER, f"HTTP error: {exc}")
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
            if failure.cause is not Cause.OTHER:
                return failure
        queue.extend((inner.__cause__, inner.__context__))
    return None


def _classify_dns(exc: BaseException) -> Failure | None:
    import dns.exception
    import dns.resolver

    if isinstance(exc, dns.exception.Timeout):
        return Failure(Cause.DNS_TIMEOUT, "DNS lookup timed out")
    if isinstance(exc, dns.resolver.NXDOMAIN):
        return Failure(Cause.NO_SUCH_HOST, "the name does not exist (NXDOMAIN)")
    if isinstance(exc, dns.resolver.NoAnswer):
        return Failure(Cause.NO_SUCH_HOST, "no record of that type")
    if isinstance(exc, dns.resolver.NoNameservers):
        return Failure(Cause.DNS_FAILED, "DNS servers failed to answer (SERVFAIL or refused)")
    if isinstance(exc, dns.exception.DNSException):
        return Failure(Cause.DNS_FAILED, f"DNS error: {exc}")
    return None


def cause_table() -> str:
    """The Markdown table of every cause, its probe status and meaning (docs/causes.md)."""
    rows = ["| cause | usual probe status | meaning |", "|---|---|---|"]
    rows += [f"| `{c}` | `{_PROBE_STATUS[c]}` | {CAUSE_MEANINGS[c]} |" for c in Cause]
    return "\n".join(rows)


def verify_code_table() -> str:
    """The Markdown table of OpenSSL verification codes and their causes (docs/causes.md)."""
    rows = ["| OpenSSL verify code | cause |", "|---|---|"]
    rows += [f"| {code} | `{cause}` |" for code, cause in sorted(VERIFY_CODES.items())]
    return "\n".join(rows)
