"""Keeping the password out of every report, transcript and log line.

Two rules, documented in docs/security.md:

- **Our own lines** are redacted where they are written: a protocol script that sends a
  credential also says what may be shown instead (`AUTHENTICATE PLAIN <redacted>`), so no
  pattern matching is needed and nothing else in the line changes.
- **Server text** (and any text that may quote it) is redacted by token: a run of
  characters equal to the password, or to one of its encodings, is replaced with
  `<redacted>` only where it is not part of a longer word. `[AUTHENTICATIONFAILED]` stays
  intact for the password `Auth`, and `wrong_credentials` for the password `wrong`, so the
  output neither garbles our words nor hints at a short password.

The encodings are the ones a server or a library could plausibly produce: the password
itself and in another case, IMAP-quoted/escaped, URL-encoded (UTF-8 and Latin-1, `%20` and
`+` for spaces), hex, base64 (of the password and of the SASL PLAIN and LOGIN messages),
HTML- and JSON-escaped, and as Python's `repr`/`ascii` write it. Case variants of the
password are not matched on the protocol's own keywords (`OK`, `NO`, `ERR`, ...), which a
server prints whatever the password is, nor on those keywords written in capitals: a
password `OK` leaves `* OK` alone, because redacting every greeting would reveal it.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
from collections.abc import Iterable
from enum import Enum
from functools import cached_property
from urllib.parse import quote, quote_plus

#: What replaces a secret wherever it is written.
REDACTED = "<redacted>"

#: Words the protocols print on their own. Written in capitals, or in another case than
#: the password, such a token is the protocol speaking, not an echo, and is kept.
PROTOCOL_WORDS = frozenset(
    {
        "OK",
        "NO",
        "BAD",
        "BYE",
        "PREAUTH",
        "ERR",
        "AUTH",
        "LOGIN",
        "PLAIN",
        "CAPABILITY",
        "CAPA",
        "STARTTLS",
        "STLS",
        "USER",
        "PASS",
        "QUIT",
        "LOGOUT",
        "EHLO",
        "HELO",
        "ESMTP",
        "SMTP",
        "IMAP",
        "POP3",
        "SASL",
        "TLS",
    }
)

_WORD = re.compile(r"\w")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def encodings(secret: str, username: str | None = None) -> tuple[str, ...]:
    """Every exact form in which `secret` could travel or be echoed, longest first.

    `username` adds the SASL PLAIN messages that carry both (with and without authzid).
    """
    raw = secret.encode("utf-8")
    forms: set[str] = {
        secret,
        secret.replace("\\", "\\\\").replace('"', '\\"'),  # IMAP quoted string content
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        raw.hex(),
        _b64(raw),
        _b64(raw).rstrip("="),
        base64.urlsafe_b64encode(raw).decode("ascii"),
        html.escape(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        ascii(secret)[1:-1],
    }
    try:
        latin = secret.encode("latin-1")
    except UnicodeEncodeError:
        pass
    else:
        forms |= {quote(latin, safe=""), quote_plus(latin), latin.hex()}
    if username is not None:
        user = username.encode("utf-8")
        for message in (b"\0" + user + b"\0" + raw, user + b"\0" + user + b"\0" + raw):
            forms |= {_b64(message), _b64(message).rstrip("=")}
    return tuple(sorted((f for f in forms if f), key=lambda f: (-len(f), f)))


def _bounded(form: str) -> str:
    """A pattern for `form` that does not match inside a longer word."""
    pattern = re.escape(form)
    if _WORD.match(form[0]):
        pattern = r"(?<!\w)" + pattern
    if _WORD.match(form[-1]):
        pattern += r"(?!\w)"
    return pattern


def _hex_or_percent(form: str) -> bool:
    return "%" in form or (len(form) % 2 == 0 and all(c in "0123456789abcdef" for c in form))


class Redactor:
    """Replaces the secrets it was given (and their encodings) in server text.

    An empty Redactor (no secrets) returns every text unchanged at no cost.
    """

    def __init__(self, secrets: Iterable[str] = (), *, username: str | None = None) -> None:
        self._secrets = tuple(s for s in secrets if s)
        self._username = username

    @classmethod
    def for_password(cls, password: str | None, username: str | None = None) -> Redactor:
        """A Redactor for one password (None: a Redactor that changes nothing)."""
        return cls((password,) if password else (), username=username)

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secret(s))"

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        """Exact forms (hex and %-escapes in any case) and case variants of each secret."""
        if not self._secrets:
            return None
        forms: dict[str, bool] = {}  # form -> matched ignoring case
        for secret in self._secrets:
            for form in encodings(secret, self._username):
                forms[form] = forms.get(form, False) or _hex_or_percent(form)
            forms[secret] = True
        ordered = sorted(forms, key=lambda f: (-len(f), f))
        parts = ["(?i:" + _bounded(f) + ")" if forms[f] else _bounded(f) for f in ordered]
        return re.compile("|".join(parts))

    @cached_property
    def _exact(self) -> frozenset[str]:
        return frozenset(f for s in self._secrets for f in encodings(s, self._username))

    def _replace(self, match: re.Match[str]) -> str:
        token = match.group(0)
        if token.upper() in PROTOCOL_WORDS and (token.isupper() or token not in self._exact):
            # The protocol's own keyword: written in capitals, or in another case than the
            # password. Redacting it would garble every greeting and hint at the password.
            return token
        return REDACTED

    def text(self, text: str) -> str:
        """`text` with every token that is a secret (in any encoding) replaced."""
        pattern = self._pattern
        if pattern is None or not text:
            return text
        return pattern.sub(self._replace, text)

    def optional(self, text: str | None) -> str | None:
        """`text` redacted, keeping None."""
        return None if text is None else self.text(text)

    def many(self, texts: Iterable[str]) -> tuple[str, ...]:
        """Each of `texts` redacted."""
        return tuple(self.text(t) for t in texts)

    def contains(self, text: str) -> bool:
        """True if `text` holds a secret as a token (in any encoding)."""
        pattern = self._pattern
        return pattern is not None and any(
            self._replace(m) == REDACTED for m in pattern.finditer(text)
        )


class LogRedactor(logging.Filter):
    """A logging filter that redacts the data (not the wording) of every log record.

    Only the arguments of a record are redacted: the format string is mailprobe's own
    wording, which a common-word password must not garble. A message logged without
    arguments is redacted as a whole.
    """

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def _arg(self, value: object) -> object:
        if isinstance(value, Enum):
            return value  # our own vocabulary (status names)
        if isinstance(value, str):
            return self.redactor.text(value)
        if isinstance(value, int | float | type(None)):
            return value
        return self.redactor.text(str(value))

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.redactor:
            return True
        if record.args:
            if isinstance(record.args, dict):
                record.args = {k: self._arg(v) for k, v in record.args.items()}
            else:
                record.args = tuple(self._arg(a) for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = self.redactor.text(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redactor.text(
                logging.Formatter().formatException(record.exc_info)
            )
            record.exc_info = None
        return True


def install_log_redaction(redactor: Redactor) -> LogRedactor | None:
    """Redact every record that reaches a handler of the root logger (the `--debug` log)."""
    if not redactor:
        return None
    flt = LogRedactor(redactor)
    for handler in logging.getLogger().handlers:
        handler.addFilter(flt)
    return flt


__all__ = [
    "PROTOCOL_WORDS",
    "REDACTED",
    "LogRedactor",
    "Redactor",
    "encodings",
    "install_log_redaction",
]
