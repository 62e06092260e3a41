"""Credentials, SASL encodings, redaction, and classification of login answers.

`mailprobe.redact.REDACTED` replaces a credential in every line mailprobe records.

Policy (enforced by `probe_endpoint` and its caller):

- A password is sent only over TLS whose certificate verified, unless the caller passes
  `allow_plaintext_login=True`; never over the permissive diagnosis connection.
- One attempt per endpoint.
- The caller (the check orchestration) decides which hosts may receive credentials: only
  hosts from a trusted source or named by the user. `probe_endpoint` trusts its caller.
- The password never appears in a result, reason, repr, transcript or exception
  message: lines carrying it are recorded with `<redacted>` in its place where they are
  written, and server text is passed through a `mailprobe.redact.Redactor` before it is
  kept.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from mailprobe.models import LoginResult, LoginStatus
from mailprobe.probes.replies import ImapResponse, Pop3Status, SmtpReply, excerpt
from mailprobe.redact import Redactor, encodings


@dataclass(frozen=True)
class Credentials:
    """A user name and password for the optional login test; the repr hides the password."""

    username: str
    password: str = field(repr=False)

    def secrets(self) -> tuple[str, ...]:
        """Every form in which the password could travel or be echoed back."""
        return encodings(self.password, self.username)

    def redactor(self) -> Redactor:
        """The `Redactor` that keeps this password (in every encoding) out of text."""
        return Redactor.for_password(self.password, self.username)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def plain_response(creds: Credentials) -> str:
    """The SASL PLAIN initial response (RFC 4616), base64 encoded, empty authzid."""
    return _b64(f"\0{creds.username}\0{creds.password}")


def login_username(creds: Credentials) -> str:
    """The user name for SASL LOGIN, base64 encoded."""
    return _b64(creds.username)


def login_password(creds: Credentials) -> str:
    """The password for SASL LOGIN, base64 encoded."""
    return _b64(creds.password)


def redact(text: str, creds: Credentials | None) -> str:
    """`text` with every token that is the password, in any encoding, replaced.

    See `mailprobe.redact` for what counts as a token and which encodings are known.
    """
    if creds is None:
        return text
    return creds.redactor().text(text)


def imap_quote(text: str) -> str | None:
    """`text` as an IMAP quoted string, or None if it cannot be quoted (CR, LF, NUL)."""
    if any(ch in text for ch in "\r\n\0"):
        return None
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --------------------------------------------------------------------------- classification

_APP_PASSWORD = re.compile(
    r"application[- ]specific password|app[- ]?password|web ?login|web browser"
    r"|log ?in via|sign ?in via|basic auth\w* is disabled|oauth|5\.7\.9\b|5\.7\.14\b"
    r"|5\.7\.139\b",
    re.IGNORECASE,
)
_DISABLED = re.compile(
    r"\bdisabled\b|\bsuspended\b|\blocked\b|\bdeactivated\b|account (?:is )?inactive",
    re.IGNORECASE,
)


def _result(status: LoginStatus, detail: str, mechanism: str) -> LoginResult:
    return LoginResult(status=status, detail=excerpt(detail), mechanism=mechanism)


def _by_text(text: str) -> LoginStatus | None:
    if _APP_PASSWORD.search(text):
        return LoginStatus.APP_PASSWORD_REQUIRED
    if _DISABLED.search(text):
        return LoginStatus.ACCOUNT_DISABLED
    return None


def classify_imap_login(
    tagged: ImapResponse, alerts: tuple[str, ...], mechanism: str
) -> LoginResult:
    """Classify the tagged answer to LOGIN/AUTHENTICATE (plus any `[ALERT]` texts seen).

    RFC 5530 codes: AUTHENTICATIONFAILED and AUTHORIZATIONFAILED are wrong credentials,
    EXPIRED and CONTACTADMIN an unusable account, UNAVAILABLE a temporary server fault,
    PRIVACYREQUIRED a login the server refuses without TLS.
    """
    detail = " ".join([f"[{tagged.code}]" if tagged.code else "", tagged.text, *alerts]).strip()
    if tagged.word == "OK":
        return _result(LoginStatus.OK, detail, mechanism)
    code = tagged.code or ""
    if code in ("UNAVAILABLE", "PRIVACYREQUIRED") or tagged.word == "BAD":
        return _result(LoginStatus.ERROR, detail, mechanism)
    by_text = _by_text(detail)
    if by_text is not None:
        return _result(by_text, detail, mechanism)
    if code in ("EXPIRED", "CONTACTADMIN"):
        return _result(LoginStatus.ACCOUNT_DISABLED, detail, mechanism)
    return _result(LoginStatus.WRONG_CREDENTIALS, detail, mechanism)


def classify_pop3_login(status: Pop3Status, mechanism: str) -> LoginResult:
    """Classify the final POP3 answer to PASS or AUTH (RFC 2449 / 3206 codes)."""
    detail = " ".join([f"[{status.code}]" if status.code else "", status.text]).strip()
    if status.ok:
        return _result(LoginStatus.OK, detail, mechanism)
    if status.code in ("SYS/TEMP", "IN-USE"):
        return _result(LoginStatus.ERROR, detail, mechanism)
    by_text = _by_text(detail)
    if by_text is not None:
        return _result(by_text, detail, mechanism)
    if status.code == "SYS/PERM":
        return _result(LoginStatus.ERROR, detail, mechanism)
    return _result(LoginStatus.WRONG_CREDENTIALS, detail, mechanism)


def classify_smtp_auth(reply: SmtpReply, mechanism: str) -> LoginResult:
    """Classify the final answer to SMTP AUTH (RFC 4954 codes)."""
    detail = f"{reply.code} {reply.text}"
    if reply.code == 235:
        return _result(LoginStatus.OK, detail, mechanism)
    if reply.code == 534:
        return _result(LoginStatus.APP_PASSWORD_REQUIRED, detail, mechanism)
    by_text = _by_text(detail)
    if by_text is not None:
        return _result(by_text, detail, mechanism)
    if reply.code == 525:
        return _result(LoginStatus.ACCOUNT_DISABLED, detail, mechanism)
    if reply.code == 504:
        return _result(LoginStatus.MECHANISM_MISSING, detail, mechanism)
    if reply.code == 535:
        return _result(LoginStatus.WRONG_CREDENTIALS, detail, mechanism)
    return _result(LoginStatus.ERROR, detail, mechanism)
