"""Autodiscover POX/JSON builders and parsers: settings, security mapping, errors, hostile input."""

from __future__ import annotations

import pytest
from defusedxml import ElementTree as SafeET

from mailprobe.models import Protocol, Security, ServerSetting
from mailprobe.sources.autodiscover_xml import (
    MAX_ANSWER_BYTES,
    RESPONSE_SCHEMA,
    AutodiscoverParseError,
    parse_json_url,
    parse_pox,
    pox_request,
)
from test_autoconfig_xml import BILLION_LAUGHS

NS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"


def pox(account: str, user: str = "<User><DisplayName>Alice</DisplayName></User>") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="{NS}">'
        f'<Response xmlns="{RESPONSE_SCHEMA}">{user}<Account>{account}</Account></Response>'
        "</Autodiscover>"
    ).encode()


def protocol(kind: str, **fields: str) -> str:
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
    return f"<Protocol><Type>{kind}</Type>{inner}</Protocol>"


SETTINGS = pox(
    "<AccountType>email</AccountType><Action>settings</Action>"
    + protocol("EXCH", Server="ex.example.org")
    + protocol("IMAP", Server="imap.example.org", Port="993", LoginName="alice", SSL="on")
    + protocol("POP3", Server="pop.example.org", Port="110", SSL="on", SPA="on")
    + protocol("SMTP", Server="smtp.example.org", Port="587", Encryption="TLS")
    + protocol("SMTP", Server="smtp.example.org", Port="25", SSL="off", AuthRequired="off")
)


def test_request_names_the_address_and_the_2006a_schema() -> None:
    body = pox_request("a<b>@example.org")
    root = SafeET.fromstring(body)
    ns = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006}"
    assert root.find(f"{ns}Request/{ns}EMailAddress").text == "a<b>@example.org"
    assert root.find(f"{ns}Request/{ns}AcceptableResponseSchema").text == RESPONSE_SCHEMA


def test_settings_answer_gives_imap_pop3_smtp_with_security_from_ssl_port_and_encryption() -> None:
    parsed = parse_pox(SETTINGS)
    assert parsed.settings == (
        ServerSetting(
            Protocol.IMAP, "imap.example.org", 993, Security.TLS, "alice", ("password-cleartext",)
        ),
        ServerSetting(Protocol.POP3, "pop.example.org", 110, Security.STARTTLS, None, ("NTLM",)),
        ServerSetting(
            Protocol.SMTP,
            "smtp.example.org",
            587,
            Security.STARTTLS,
            None,
            ("password-cleartext",),
        ),
        ServerSetting(Protocol.SMTP, "smtp.example.org", 25, Security.PLAIN, None, ()),
    )
    assert parsed.other_protocols == ("EXCH",)
    assert parsed.display_name == "Alice"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"Port": "465", "Encryption": "SSL"}, (465, Security.TLS)),
        ({"Port": "143", "Encryption": "None"}, (143, Security.PLAIN)),
        ({"Port": "993", "Encryption": "Auto"}, (993, Security.TLS)),
        ({"Port": "143", "Encryption": "Auto"}, (143, Security.STARTTLS)),
        ({"SSL": "on"}, (993, Security.TLS)),
        ({"SSL": "off"}, (143, Security.PLAIN)),
    ],
)
def test_security_and_default_ports(fields: dict[str, str], expected: tuple[int, Security]) -> None:
    parsed = parse_pox(pox(protocol("IMAP", Server="imap.example.org", **fields)))
    assert (parsed.settings[0].port, parsed.settings[0].security) == expected


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"Port": "993"}, "no <Server>"),
        ({"Server": "bad host", "Port": "993"}, "not a usable host name"),
        ({"Server": "imap.example.org", "Port": "x"}, "not a number"),
        ({"Server": "imap.example.org", "Port": "0"}, "out of range"),
        ({"Server": "imap.example.org", "Encryption": "Quantum"}, "unknown Encryption"),
    ],
)
def test_bad_protocol_section_is_skipped_with_a_warning(
    fields: dict[str, str], reason: str
) -> None:
    good = protocol("SMTP", Server="smtp.example.org", Port="465")
    parsed = parse_pox(pox(protocol("IMAP", **fields) + good))
    assert [s.protocol for s in parsed.settings] == [Protocol.SMTP]
    assert len(parsed.warnings) == 1
    assert reason in parsed.warnings[0]


def test_redirect_actions_are_reported() -> None:
    by_address = parse_pox(
        pox("<Action>redirectAddr</Action><RedirectAddr>a@other.example</RedirectAddr>")
    )
    by_url = parse_pox(
        pox("<Action>redirectUrl</Action><RedirectUrl>https://ad.other.example/x</RedirectUrl>")
    )
    assert by_address.redirect_address == "a@other.example"
    assert by_url.redirect_url == "https://ad.other.example/x"
    assert by_address.settings == by_url.settings == ()


def test_server_error_answer_is_reported_not_raised() -> None:
    data = (
        f'<Autodiscover xmlns="{NS}"><Response><Error Time="1" Id="2">'
        "<ErrorCode>600</ErrorCode><Message>Invalid Request</Message></Error></Response>"
        "</Autodiscover>"
    ).encode()
    assert parse_pox(data).error == "server error 600: Invalid Request"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (BILLION_LAUGHS, "DTD or entities"),
        (b"<!DOCTYPE html><html><body>Outlook Web App</body></html>", "HTML page"),
        (b"Not Found", "not XML"),
        (SETTINGS[:200], "not well-formed XML"),
        (b"<clientConfig/>", "root element is <clientConfig>"),
        (f'<Autodiscover xmlns="{NS}"/>'.encode(), "no <Response>"),
        (f'<Autodiscover xmlns="{NS}"><Response/></Autodiscover>'.encode(), "neither <Account>"),
        (b"<" * (MAX_ANSWER_BYTES + 1), "larger than 1 MiB"),
    ],
)
def test_hostile_or_foreign_pox_answers_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(AutodiscoverParseError) as caught:
        parse_pox(data)
    assert reason in str(caught.value)


def test_json_answer_gives_the_pox_url() -> None:
    data = b'{"Protocol":"AutodiscoverV1","Url":"https://outlook.example/autodiscover/autodiscover.xml"}'
    assert parse_json_url(data) == "https://outlook.example/autodiscover/autodiscover.xml"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<html></html>", "not JSON"),
        (b"[1, 2]", "not an object"),
        (
            b'{"ErrorCode":"InvalidProtocol","ErrorMessage":"The given protocol value is invalid"}',
            "server error",
        ),
        (b"{}", "no Url"),
        (b" " * (MAX_ANSWER_BYTES + 1), "larger than 1 MiB"),
        (b"\xff\xfe\x00", "not JSON"),
    ],
)
def test_bad_json_answers_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(AutodiscoverParseError) as caught:
        parse_json_url(data)
    assert reason in str(caught.value)
