"""The one table that reads meaning out of free-text failure reasons.

Structured fields (`ProbeResult.status`, `TlsInfo.cert_problem`, `detected_security`, ...)
come first; these patterns only name what a probe could report as text alone. They match
the reasons written by `mailprobe.net.failures`, `mailprobe.net.dns` and the probes.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Reason(StrEnum):
    """What a failure reason says, as far as diagnosis cares."""

    RESET = "reset"
    UNREACHABLE = "unreachable"
    NO_SUCH_HOST = "no_such_host"
    NOT_TLS = "not_tls"
    NO_COMMON_VERSION = "no_common_version"
    CERT_EXPIRED = "cert_expired"
    CERT_NOT_YET_VALID = "cert_not_yet_valid"
    CERT_SELF_SIGNED = "cert_self_signed"
    CERT_INCOMPLETE_CHAIN = "cert_incomplete_chain"
    CERT_UNTRUSTED = "cert_untrusted"
    CERT_WRONG_NAME = "cert_wrong_name"
    CERT_OTHER = "cert_other"


# First match wins, so the more precise patterns come first.
_TABLE: tuple[tuple[Reason, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.IGNORECASE))
    for reason, pattern in (
        (Reason.RESET, r"closed the connection|connection (was )?(reset|aborted)|broken pipe"),
        (Reason.UNREACHABLE, r"unreachable|no route to host"),
        (Reason.NO_SUCH_HOST, r"does not exist|nxdomain|has no a or aaaa|no address"),
        (Reason.NOT_TLS, r"wrong.version.number|did not answer with tls|record.layer.failure"),
        (Reason.NO_COMMON_VERSION, r"no tls version in common|unsupported.protocol"),
        (Reason.CERT_EXPIRED, r"certificate (has )?expired"),
        (Reason.CERT_NOT_YET_VALID, r"not yet valid|not valid yet"),
        (Reason.CERT_SELF_SIGNED, r"self.signed"),
        (
            Reason.CERT_INCOMPLETE_CHAIN,
            r"chain incomplete(?! or)|incomplete chain|intermediate|verify the first certificate",
        ),
        (Reason.CERT_UNTRUSTED, r"untrusted authority|not trusted|unable to get (local )?issuer"),
        (Reason.CERT_WRONG_NAME, r"not valid for this host name|hostname mismatch"),
        (Reason.CERT_OTHER, r"certificate"),
    )
)


def read_reason(text: str | None) -> Reason | None:
    """The first `Reason` whose pattern occurs in `text`, or None."""
    if not text:
        return None
    for reason, pattern in _TABLE:
        if pattern.search(text):
            return reason
    return None
