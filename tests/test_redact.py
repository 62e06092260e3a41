"""The redaction rules: every encoding of the secret goes, nothing else changes (no sockets)."""

from __future__ import annotations

import base64
import contextlib
import logging
from urllib.parse import quote, quote_plus

import pytest

from mailprobe.models import LoginStatus
from mailprobe.probes.transcript import MAX_ENTRIES, Recorder, cap
from mailprobe.redact import PROTOCOL_WORDS, REDACTED, LogRedactor, Redactor, encodings

USER = "alice@example.org"


def _r(password: str) -> Redactor:
    return Redactor.for_password(password, USER)


# ----------------------------------------------------------------- our words stay intact


@pytest.mark.parametrize(
    ("password", "text"),
    [
        ("Auth", "mp1 NO [AUTHENTICATIONFAILED] Authentication failed."),
        ("wrong", "login: wrong_credentials: 535 5.7.8 bad"),
        ("ok", "* OK [CAPABILITY IMAP4rev1] ready; +OK Dovecot ready."),
        ("OK", "* OK the login was okay; tokens: TOKEN"),
        ("LOGIN", "* CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN"),
        ("error", "status error_rate errors"),
        ("fail", "Authentication failed (failure)"),
        ("Plain", "AUTH=PLAIN AUTH=LOGIN"),
        ("plain", "250-AUTH PLAIN LOGIN"),
        ("err", "-ERR [AUTH] Authentication failed."),
        ("ok", "250 2.0.0 Ok: queued"),
        ("no", "a1 NO nothing"),
        ("ready", "220 smtp.example.org ESMTP already"),
        ("a", "a1 OK done; mailprobe says a-ok"),
    ],
)
def test_protocol_words_and_longer_words_are_left_alone(password: str, text: str) -> None:
    # "a-ok" holds "a" as a token, which is the one change allowed here
    expected = text.replace("a-ok", f"{REDACTED}-ok") if password == "a" else text
    assert _r(password).text(text) == expected


def test_status_names_stay_intact_with_a_status_name_as_password() -> None:
    for status in LoginStatus:
        assert _r(status.value).text(f"login: {status.value}_x") == f"login: {status.value}_x"


# ----------------------------------------------------------------- every encoding goes


PASSWORDS = ["ok", "wrong", "Auth", "error", "p@ss w%rd/é", 'quo"te\\back', "Tr0ub4dor&3"]


def _server_forms(password: str) -> dict[str, str]:
    """How a server could echo `password`, computed independently of mailprobe.redact."""
    raw = password.encode()
    forms = {
        "raw": password,
        "upper": password.upper(),
        "lower": password.lower(),
        "title": password.title(),
        "url": quote(password, safe=""),
        "url_lower": quote(password, safe="").lower(),
        "url_path": quote(password),
        "url_plus": quote_plus(password),
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
        "b64": base64.b64encode(raw).decode(),
        "sasl_plain": base64.b64encode(b"\0" + USER.encode() + b"\0" + raw).decode(),
        "imap_quoted": password.replace("\\", "\\\\").replace('"', '\\"'),
    }
    with contextlib.suppress(UnicodeEncodeError):
        forms["url_latin1"] = quote(password.encode("latin-1"), safe="")
    return forms


@pytest.mark.parametrize("password", PASSWORDS)
def test_every_encoding_is_redacted_as_a_token(password: str) -> None:
    redactor = _r(password)
    for name, form in _server_forms(password).items():
        if form.upper() in PROTOCOL_WORDS and form != password:
            continue  # a case variant equal to a protocol keyword: see the next test
        text = f"NO bad login (you sent {name}={form}; see logs)"
        assert redactor.text(text) == f"NO bad login (you sent {name}={REDACTED}; see logs)", name


def test_case_variants_equal_to_protocol_keywords_are_the_protocol_speaking() -> None:
    assert _r("ok").text("* OK you sent ok") == f"* OK you sent {REDACTED}"
    assert _r("auth").text("-ERR [AUTH] you sent auth") == f"-ERR [AUTH] you sent {REDACTED}"
    # keywords in capitals are never redacted: garbling every greeting would reveal "OK"
    assert _r("OK").text("* OK ready") == "* OK ready"
    assert _r("Ok").text("250 2.0.0 Ok") == f"250 2.0.0 {REDACTED}"


def test_inside_a_longer_word_is_not_a_token() -> None:
    assert _r("secret").text("secrets secret_x xsecret secret") == (
        f"secrets secret_x xsecret {REDACTED}"
    )
    assert _r("p@ss w%rd/é").text("xp@ss w%rd/é p@ss w%rd/éx") == "xp@ss w%rd/é p@ss w%rd/éx"


def test_encodings_are_exact_and_longest_first() -> None:
    forms = encodings("pw", "bob")
    assert forms == tuple(sorted(forms, key=lambda f: (-len(f), f)))
    assert base64.b64encode(b"\0bob\0pw").decode() in forms
    assert base64.b64encode(b"bob\0bob\0pw").decode() in forms
    assert "7077" in forms


def test_an_empty_redactor_changes_nothing() -> None:
    assert not Redactor()
    assert Redactor().text("anything ok") == "anything ok"
    assert Redactor.for_password(None).text("x") == "x"
    assert "hunter2" not in repr(_r("hunter2"))


# ----------------------------------------------------------------- the log filter


def test_log_filter_redacts_arguments_not_our_wording() -> None:
    flt = LogRedactor(_r("probe"))
    record = logging.LogRecord(
        "mailprobe.x", logging.DEBUG, __file__, 1, "probe %s: %s", ("imap", "you sent probe"), None
    )
    assert flt.filter(record)
    assert record.getMessage() == f"probe imap: you sent {REDACTED}"
    bare = logging.LogRecord("x", logging.DEBUG, __file__, 1, "said probe", None, None)
    flt.filter(bare)
    assert bare.getMessage() == f"said {REDACTED}"


def test_log_filter_keeps_status_enums() -> None:
    flt = LogRedactor(_r("error"))
    record = logging.LogRecord(
        "x", logging.DEBUG, __file__, 1, "%s %s", (LoginStatus.ERROR, "error"), None
    )
    flt.filter(record)
    assert record.getMessage() == f"error {REDACTED}"


# ----------------------------------------------------------------- the transcript recorder


def test_recorder_caps_long_lines_and_many_lines() -> None:
    recorder = Recorder(_r("hunter2"))
    recorder.server("x" * 1000)
    recorder.server("250 you said hunter2\x07")
    for _ in range(MAX_ENTRIES + 5):
        recorder.client("NOOP")
    entries = recorder.entries()
    assert entries[0].text == cap("x" * 1000)
    assert entries[0].text.endswith("[... 700 more characters cut]")
    assert entries[1].text == f"250 you said {REDACTED}?"
    assert len(entries) == MAX_ENTRIES + 1
    assert entries[-1].dir == "event"
    assert "7 more lines not recorded" in entries[-1].text
    assert all(e.t_ms >= 0 for e in entries)
