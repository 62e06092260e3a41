"""Pure protocol parsers: bytes and lines in, values out, no sockets."""

from __future__ import annotations

import pytest

from mailprobe.models import Protocol
from mailprobe.net.failures import ProtocolViolation
from mailprobe.probes.replies import (
    ImapKind,
    SmtpReplyBuilder,
    decode_line,
    describe_foreign_greeting,
    excerpt,
    has_capability,
    imap_auth_mechanisms,
    imap_capabilities,
    parse_ehlo,
    parse_imap_line,
    parse_pop3_capa,
    parse_pop3_status,
    parse_smtp_line,
    parse_smtp_reply,
    pop3_unstuff,
    recognise_greeting,
)

# --------------------------------------------------------------------------- lines


def test_decode_line_strips_crlf_or_lf_and_survives_bad_utf8() -> None:
    assert decode_line(b"* OK ready\r\n") == "* OK ready"
    assert decode_line(b"+OK\n") == "+OK"
    assert decode_line(b"220 caf\xe9\r\n") == "220 caf\ufffd"


def test_excerpt_replaces_control_characters_and_cuts() -> None:
    assert excerpt("a\x00b\x1bc") == "a?b?c"
    assert excerpt("x" * 500, 10) == "xxxxxxx..."


# --------------------------------------------------------------------------- greetings


@pytest.mark.parametrize(
    ("line", "protocol"),
    [
        ("* OK [CAPABILITY IMAP4rev1] Dovecot ready.", Protocol.IMAP),
        ("* PREAUTH IMAP4rev1 server logged in as alice", Protocol.IMAP),
        ("* BYE Too many connections", Protocol.IMAP),
        ("+OK Dovecot ready.", Protocol.POP3),
        ("-ERR [SYS/TEMP] too busy", Protocol.POP3),
        ("220 mx.example.org ESMTP Postfix", Protocol.SMTP),
        ("220-mx.example.org ESMTP first line", Protocol.SMTP),
        ("421 4.7.0 Too many connections", Protocol.SMTP),
        ("554", Protocol.SMTP),
        ("HTTP/1.1 400 Bad Request", None),
        ("SSH-2.0-OpenSSH_9.2", None),
        ("\x00\x01garbage", None),
        ("", None),
    ],
)
def test_recognise_greeting(line: str, protocol: Protocol | None) -> None:
    assert recognise_greeting(line) is protocol


def test_describe_foreign_greeting_names_http_ssh_and_garbage() -> None:
    assert describe_foreign_greeting("HTTP/1.1 400 Bad Request") == "an HTTP server"
    assert describe_foreign_greeting("SSH-2.0-OpenSSH") == "an SSH server"
    assert "unrecognised data" in describe_foreign_greeting("\x00\xffzz")


# --------------------------------------------------------------------------- IMAP


def test_imap_greeting_with_capability_code() -> None:
    resp = parse_imap_line(
        "* OK [CAPABILITY IMAP4rev1 SASL-IR STARTTLS AUTH=PLAIN LOGINDISABLED] Dovecot ready."
    )
    assert resp.kind is ImapKind.UNTAGGED
    assert resp.word == "OK"
    assert resp.code == "CAPABILITY"
    assert resp.text == "Dovecot ready."
    caps = imap_capabilities(resp)
    assert caps == ("IMAP4rev1", "SASL-IR", "STARTTLS", "AUTH=PLAIN", "LOGINDISABLED")
    assert imap_auth_mechanisms(caps) == ("PLAIN",)
    assert has_capability(caps, "logindisabled")


def test_imap_untagged_capability_list() -> None:
    resp = parse_imap_line("* CAPABILITY IMAP4rev1 auth=login AUTH=XOAUTH2 IDLE")
    assert resp.word == "CAPABILITY"
    caps = imap_capabilities(resp)
    assert caps is not None
    assert imap_auth_mechanisms(caps) == ("LOGIN", "XOAUTH2")


def test_imap_tagged_no_with_response_code() -> None:
    resp = parse_imap_line("a2 NO [AUTHENTICATIONFAILED] Authentication failed.")
    assert resp.kind is ImapKind.TAGGED
    assert resp.tag == "a2"
    assert resp.word == "NO"
    assert resp.code == "AUTHENTICATIONFAILED"
    assert resp.text == "Authentication failed."
    assert imap_capabilities(resp) is None


def test_imap_preauth_bye_and_continuation() -> None:
    assert parse_imap_line("* PREAUTH welcome").word == "PREAUTH"
    assert parse_imap_line("* BYE shutting down").word == "BYE"
    cont = parse_imap_line("+ ")
    assert cont.kind is ImapKind.CONTINUATION


@pytest.mark.parametrize(
    "line", ["a1", "a1 HELLO there", "* OK [CAPABILITY IMAP4rev1 unterminated", ""]
)
def test_imap_malformed_lines_are_protocol_violations(line: str) -> None:
    with pytest.raises(ProtocolViolation):
        parse_imap_line(line)


# --------------------------------------------------------------------------- POP3


def test_pop3_status_lines() -> None:
    assert parse_pop3_status("+OK Dovecot ready.").ok
    err = parse_pop3_status("-ERR [AUTH] Authentication failed.")
    assert not err.ok
    assert err.code == "AUTH"
    assert err.text == "Authentication failed."
    assert parse_pop3_status("-ERR nope").code is None
    with pytest.raises(ProtocolViolation):
        parse_pop3_status("220 smtp here")


def test_pop3_capa_lists_stls_user_and_sasl() -> None:
    capa = parse_pop3_capa(("TOP", "UIDL", "STLS", "USER", "SASL PLAIN login", "IMPLEMENTATION x"))
    assert capa.stls
    assert capa.user
    assert capa.sasl == ("PLAIN", "LOGIN")
    bare = parse_pop3_capa(("TOP",))
    assert not bare.stls
    assert not bare.user
    assert bare.sasl == ()


def test_pop3_unstuff() -> None:
    assert pop3_unstuff("..hidden") == ".hidden"
    assert pop3_unstuff("USER") == "USER"


# --------------------------------------------------------------------------- SMTP


def test_smtp_line_shapes() -> None:
    assert parse_smtp_line("250-PIPELINING").more
    last = parse_smtp_line("250 SIZE 1000")
    assert (last.code, last.more, last.text) == (250, False, "SIZE 1000")
    bare = parse_smtp_line("250")
    assert (bare.code, bare.more, bare.text) == (250, False, "")
    with pytest.raises(ProtocolViolation):
        parse_smtp_line("* OK imap")


def test_smtp_multiline_ehlo_reply() -> None:
    reply = parse_smtp_reply(
        [
            "250-mx.example.org",
            "250-PIPELINING",
            "250-SIZE 35882577",
            "250-STARTTLS",
            "250-AUTH PLAIN LOGIN XOAUTH2",
            "250-AUTH=PLAIN LOGIN CRAM-MD5",
            "250 ENHANCEDSTATUSCODES",
        ]
    )
    assert reply.code == 250
    info = parse_ehlo(reply)
    assert info.starttls
    assert info.size == 35882577
    assert info.auth == ("PLAIN", "LOGIN", "XOAUTH2", "CRAM-MD5")
    assert info.keywords[0] == "PIPELINING"


def test_smtp_reply_without_extensions() -> None:
    info = parse_ehlo(parse_smtp_reply(["250 mx.example.org"]))
    assert not info.starttls
    assert info.auth == ()
    assert info.size is None


def test_smtp_enhanced_code_and_text() -> None:
    reply = parse_smtp_reply(
        ["534-5.7.9 Application-specific password required.", "534 5.7.9 Learn more at x"]
    )
    assert reply.code == 534
    assert reply.enhanced == "5.7.9"
    assert "Application-specific" in reply.text
    assert not reply.ok


def test_smtp_reply_code_change_mid_reply_is_a_violation() -> None:
    with pytest.raises(ProtocolViolation):
        parse_smtp_reply(["250-a", "251 b"])


def test_smtp_reply_with_extra_line_is_a_violation() -> None:
    with pytest.raises(ProtocolViolation):
        parse_smtp_reply(["250 done", "250 again"])


def test_smtp_builder_reports_completion_line_by_line() -> None:
    builder = SmtpReplyBuilder()
    builder.feed("421-4.7.0 busy")
    assert not builder.done
    with pytest.raises(ProtocolViolation):
        builder.reply()
    builder.feed("421 4.7.0 try later")
    assert builder.done
    assert builder.reply().code == 421
