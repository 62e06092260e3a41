"""Login answer classification, SASL encodings and password redaction (no sockets)."""

from __future__ import annotations

import base64

import pytest

from mailprobe.models import LoginStatus
from mailprobe.probes import Credentials
from mailprobe.probes.login import (
    classify_imap_login,
    classify_pop3_login,
    classify_smtp_auth,
    imap_quote,
    plain_response,
    redact,
)
from mailprobe.probes.replies import parse_imap_line, parse_pop3_status, parse_smtp_reply

SECRET = "s3cr3t-Pa55"
CREDS = Credentials("alice@example.org", SECRET)


def test_credentials_repr_and_str_hide_the_password() -> None:
    assert SECRET not in repr(CREDS)
    assert SECRET not in str(CREDS)
    assert "alice@example.org" in repr(CREDS)


def test_plain_response_is_rfc4616() -> None:
    decoded = base64.b64decode(plain_response(CREDS))
    assert decoded == b"\0alice@example.org\0" + SECRET.encode()


def test_redact_removes_every_form_of_the_password() -> None:
    b64 = base64.b64encode(SECRET.encode()).decode()
    text = f"you sent {SECRET} and {b64} and {plain_response(CREDS)}"
    cleaned = redact(text, CREDS)
    assert SECRET not in cleaned
    assert b64 not in cleaned
    assert plain_response(CREDS) not in cleaned
    assert redact("nothing here", None) == "nothing here"


def test_redact_removes_the_password_as_imap_login_escapes_it() -> None:
    creds = Credentials("alice@example.org", 'pa"ss\\word')
    echoed = 'a2 BAD unexpected arguments: "alice@example.org" "pa\\"ss\\\\word"'
    assert redact(echoed, creds) == 'a2 BAD unexpected arguments: "alice@example.org" "<redacted>"'


def test_imap_quote() -> None:
    assert imap_quote('a"b\\c') == '"a\\"b\\\\c"'
    assert imap_quote("line\nbreak") is None


@pytest.mark.parametrize(
    ("line", "alerts", "status"),
    [
        ("a1 OK [CAPABILITY IMAP4rev1] Logged in", (), LoginStatus.OK),
        ("a1 NO [AUTHENTICATIONFAILED] Authentication failed.", (), LoginStatus.WRONG_CREDENTIALS),
        ("a1 NO Login failed", (), LoginStatus.WRONG_CREDENTIALS),
        (
            "a1 NO [ALERT] Application-specific password required: https://x (Failure)",
            (),
            LoginStatus.APP_PASSWORD_REQUIRED,
        ),
        (
            "a1 NO [AUTHENTICATIONFAILED] Invalid credentials",
            ("[ALERT] Please log in via your web browser",),
            LoginStatus.APP_PASSWORD_REQUIRED,
        ),
        ("a1 NO [EXPIRED] Password expired", (), LoginStatus.ACCOUNT_DISABLED),
        ("a1 NO Account disabled by the administrator", (), LoginStatus.ACCOUNT_DISABLED),
        ("a1 NO [UNAVAILABLE] Backend down, try later", (), LoginStatus.ERROR),
        ("a1 NO [PRIVACYREQUIRED] Use TLS first", (), LoginStatus.ERROR),
        ("a1 BAD syntax", (), LoginStatus.ERROR),
    ],
)
def test_classify_imap_login(line: str, alerts: tuple[str, ...], status: LoginStatus) -> None:
    result = classify_imap_login(parse_imap_line(line), alerts, "PLAIN")
    assert result.status is status
    assert result.mechanism == "PLAIN"


@pytest.mark.parametrize(
    ("line", "status"),
    [
        ("+OK Logged in.", LoginStatus.OK),
        ("-ERR [AUTH] Authentication failed.", LoginStatus.WRONG_CREDENTIALS),
        ("-ERR invalid password", LoginStatus.WRONG_CREDENTIALS),
        ("-ERR [SYS/TEMP] try later", LoginStatus.ERROR),
        ("-ERR [IN-USE] mailbox locked by another session", LoginStatus.ERROR),
        ("-ERR [AUTH] Web login required", LoginStatus.APP_PASSWORD_REQUIRED),
        ("-ERR [AUTH] Account suspended", LoginStatus.ACCOUNT_DISABLED),
    ],
)
def test_classify_pop3_login(line: str, status: LoginStatus) -> None:
    assert classify_pop3_login(parse_pop3_status(line), "USER").status is status


@pytest.mark.parametrize(
    ("lines", "status"),
    [
        (["235 2.7.0 Authentication successful"], LoginStatus.OK),
        (["535 5.7.8 Error: authentication failed"], LoginStatus.WRONG_CREDENTIALS),
        (
            ["534-5.7.9 Application-specific password required.", "534 5.7.9 Learn more"],
            LoginStatus.APP_PASSWORD_REQUIRED,
        ),
        (
            ["534-5.7.14 <https://x> Please log in via your web browser", "534 5.7.14 then"],
            LoginStatus.APP_PASSWORD_REQUIRED,
        ),
        (
            ["535 5.7.139 Authentication unsuccessful, basic authentication is disabled."],
            LoginStatus.APP_PASSWORD_REQUIRED,
        ),
        (["535 5.7.8 Account disabled"], LoginStatus.ACCOUNT_DISABLED),
        (["525 5.7.13 User account inactive"], LoginStatus.ACCOUNT_DISABLED),
        (["504 5.5.4 Unrecognized authentication type"], LoginStatus.MECHANISM_MISSING),
        (["454 4.7.0 Temporary authentication failure"], LoginStatus.ERROR),
    ],
)
def test_classify_smtp_auth(lines: list[str], status: LoginStatus) -> None:
    assert classify_smtp_auth(parse_smtp_reply(lines), "PLAIN").status is status
