"""The config-v1.1 parser: the whole format, leniency, hostile input, and the real ISPDB corpus."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from mailprobe.address import parse_address
from mailprobe.models import Protocol, ProviderStatus, Security, ServerSetting
from mailprobe.sources.autoconfig_xml import MAX_CONFIG_BYTES, ConfigParseError, parse_config

ADDRESS = parse_address("Alice.Smith@example.org")

FULL = b"""<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.org">
    <domain>example.org</domain>
    <domain>example.net</domain>
    <displayName>Example Mail</displayName>
    <displayShortName>Example</displayShortName>
    <incomingServer type="imap">
      <hostname>imap.%EMAILDOMAIN%</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.example.org</hostname>
      <port>110</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>password-encrypted</authentication>
      <pop3><leaveMessagesOnServer>true</leaveMessagesOnServer></pop3>
    </incomingServer>
    <incomingServer type="exchange">
      <hostname>ews.example.org</hostname>
      <port>443</port>
      <socketType>SSL</socketType>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.org</hostname>
      <port>587</port>
      <socketType>plain</socketType>
      <username>%EMAILLOCALPART%.%EMAILDOMAIN%</username>
      <authentication>password-cleartext</authentication>
      <addThisServer>true</addThisServer>
    </outgoingServer>
    <documentation url="https://example.org/help">
      <descr lang="en">Setup help</descr>
      <descr lang="de">Hilfe</descr>
    </documentation>
    <enable visiturl="https://example.org/settings">
      <instruction>Turn on IMAP first</instruction>
      <instruction lang="de">Erst IMAP einschalten</instruction>
    </enable>
  </emailProvider>
  <oAuth2>
    <issuer>login.example.org</issuer>
    <scope>mail offline_access</scope>
    <authURL>https://login.example.org/auth</authURL>
    <tokenURL>https://login.example.org/token</tokenURL>
  </oAuth2>
</clientConfig>
"""


def config_with(servers: str) -> bytes:
    return (
        '<clientConfig version="1.1"><emailProvider id="x">'
        f"<domain>example.org</domain>{servers}</emailProvider></clientConfig>"
    ).encode()


def imap(host: str = "imap.example.org", port: str = "993", socket: str = "SSL") -> str:
    return (
        f'<incomingServer type="imap"><hostname>{host}</hostname><port>{port}</port>'
        f"<socketType>{socket}</socketType><username>%EMAILADDRESS%</username></incomingServer>"
    )


# --------------------------------------------------------------------------- the whole format


def test_full_file_gives_servers_with_placeholders_filled_in() -> None:
    parsed = parse_config(FULL, ADDRESS)
    assert parsed.settings == (
        ServerSetting(
            Protocol.IMAP,
            "imap.example.org",
            993,
            Security.TLS,
            "Alice.Smith@example.org",
            ("OAuth2", "password-cleartext"),
        ),
        ServerSetting(
            Protocol.POP3,
            "pop.example.org",
            110,
            Security.STARTTLS,
            "Alice.Smith",
            ("password-encrypted",),
        ),
        ServerSetting(
            Protocol.SMTP,
            "smtp.example.org",
            587,
            Security.PLAIN,
            "Alice.Smith.example.org",
            ("password-cleartext",),
        ),
    )
    assert parsed.warnings == ()


def test_full_file_gives_provider_domains_docs_enable_and_oauth2() -> None:
    parsed = parse_config(FULL, ADDRESS)
    assert parsed.provider_id == "example.org"
    assert (parsed.display_name, parsed.short_name) == ("Example Mail", "Example")
    assert parsed.domains == ("example.org", "example.net")
    assert parsed.other_servers == ("exchange",)
    assert len(parsed.documentation) == 1
    assert parsed.documentation[0].url == "https://example.org/help"
    assert parsed.documentation[0].descriptions == ("Setup help", "Hilfe")
    assert len(parsed.enable) == 1
    assert parsed.enable[0].visit_url == "https://example.org/settings"
    assert parsed.enable[0].instructions == ("Turn on IMAP first", "Erst IMAP einschalten")
    assert parsed.oauth2 is not None
    assert parsed.oauth2.issuer == "login.example.org"
    assert parsed.oauth2.scopes == ("mail", "offline_access")
    assert parsed.oauth2.auth_url == "https://login.example.org/auth"
    assert parsed.oauth2.token_url == "https://login.example.org/token"


def test_provider_info_is_in_preparation_when_something_must_be_enabled() -> None:
    info = parse_config(FULL, ADDRESS).provider_info()
    assert info is not None
    assert (info.id, info.name, info.status) == (
        "example.org",
        "Example Mail",
        ProviderStatus.PREPARATION,
    )
    assert info.hints == ("Turn on IMAP first",)
    assert info.docs == ("https://example.org/help",)


def test_provider_without_enable_is_ok() -> None:
    info = parse_config(config_with(imap()), ADDRESS).provider_info()
    assert info is not None
    assert info.status is ProviderStatus.OK


def test_namespaced_elements_and_case_of_socket_type_are_accepted() -> None:
    data = (
        b'<c:clientConfig xmlns:c="urn:x"><c:emailProvider id="x">'
        b'<c:incomingServer type="IMAP"><c:hostname>IMAP.Example.ORG.</c:hostname>'
        b"<c:port> 993 </c:port><c:socketType>ssl</c:socketType></c:incomingServer>"
        b"</c:emailProvider></c:clientConfig>"
    )
    parsed = parse_config(data, ADDRESS)
    assert [s.endpoint for s in parsed.settings] == [
        (Protocol.IMAP, "imap.example.org", 993, Security.TLS)
    ]


def test_exact_duplicate_servers_are_listed_once() -> None:
    parsed = parse_config(config_with(imap() + imap()), ADDRESS)
    assert len(parsed.settings) == 1


# --------------------------------------------------------------------------- leniency


@pytest.mark.parametrize(
    ("server", "reason"),
    [
        (imap(port="abc"), "not a number"),
        (imap(port="70000"), "out of range"),
        (imap(socket="TLSv9"), "unknown socketType"),
        (imap(host=""), "no <hostname>"),
        (imap(host="%REALNAME%.example.org"), "not a usable host name"),
        (imap(host="bad host"), "not a usable host name"),
        (
            '<incomingServer type="imap"><hostname>h.example.org</hostname></incomingServer>',
            "no <port>",
        ),
        (
            '<outgoingServer type="imap"><hostname>h.example.org</hostname></outgoingServer>',
            "does not belong",
        ),
    ],
)
def test_a_bad_server_section_is_skipped_with_a_warning_and_the_rest_kept(
    server: str, reason: str
) -> None:
    good = imap(host="good.example.org")
    parsed = parse_config(config_with(server + good), ADDRESS)
    assert [s.host for s in parsed.settings] == ["good.example.org"]
    assert len(parsed.warnings) == 1
    assert "server section 1 skipped" in parsed.warnings[0]
    assert reason in parsed.warnings[0]


def test_file_with_only_unusable_servers_still_parses_with_no_settings() -> None:
    parsed = parse_config(config_with(imap(port="x")), ADDRESS)
    assert parsed.settings == ()
    assert len(parsed.warnings) == 1


def test_second_email_provider_is_ignored_with_a_warning() -> None:
    data = (
        '<clientConfig><emailProvider id="a">' + imap() + "</emailProvider>"
        '<emailProvider id="b">'
        + imap(host="other.example.org")
        + "</emailProvider></clientConfig>"
    ).encode()
    parsed = parse_config(data, ADDRESS)
    assert parsed.provider_id == "a"
    assert [s.host for s in parsed.settings] == ["imap.example.org"]
    assert "only the first is used" in parsed.warnings[0]


# --------------------------------------------------------------------------- hostile input

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<clientConfig><emailProvider id="&lol9;"/></clientConfig>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<clientConfig><emailProvider id="&x;"/></clientConfig>
"""


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (BILLION_LAUGHS, "DTD or entities"),
        (EXTERNAL_ENTITY, "DTD or entities"),
        (b"<!DOCTYPE clientConfig><clientConfig/>", "DTD or entities"),
        (b"<!DOCTYPE html><html><body>Welcome</body></html>", "HTML page"),
        (b"  <html><head><title>x</title></head></html>", "HTML page"),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
            b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html/>',
            "HTML page",
        ),
        (b'{"not": "xml"}', "not XML"),
        (b"", "empty"),
        (b"  \n ", "empty"),
        (FULL[: len(FULL) // 2], "not well-formed XML"),
        (b"<clientConfig><emailProvider></clientConfig>", "not well-formed XML"),
        (b'<h:html xmlns:h="http://www.w3.org/1999/xhtml"/>', "<html> (an HTML page?)"),
        (b"<autodiscover/>", "root element is <autodiscover>"),
        (b"<clientConfig/>", "no <emailProvider>"),
    ],
)
def test_hostile_or_foreign_input_is_refused_with_a_plain_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ConfigParseError) as caught:
        parse_config(data, ADDRESS)
    assert reason in str(caught.value)


def test_more_than_one_mib_is_refused_before_parsing() -> None:
    data = config_with(imap()) + b" " * MAX_CONFIG_BYTES
    with pytest.raises(ConfigParseError, match="larger than 1 MiB"):
        parse_config(data, ADDRESS)


def test_five_mib_of_data_is_refused() -> None:
    with pytest.raises(ConfigParseError, match="larger than 1 MiB"):
        parse_config(b"<" + b"a" * (5 * MAX_CONFIG_BYTES), ADDRESS)


def test_parse_error_is_a_value_error() -> None:
    assert issubclass(ConfigParseError, ValueError)


# --------------------------------------------------------------------------- the real ISPDB corpus

ISPDB = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "ispdb"
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_SERVER = re.compile(r'<(incomingServer|outgoingServer)\s+type="([^"]+)"\s*>(.*?)</\1>', re.S)
_SOCKETS = {"SSL": Security.TLS, "STARTTLS": Security.STARTTLS, "plain": Security.PLAIN}


def _field(block: str, name: str) -> str:
    found = re.search(rf"<{name}>\s*([^<]*?)\s*</{name}>", block)
    return found.group(1) if found else ""


def independent_reading(text: str) -> list[tuple[Protocol, str, int, Security]]:
    """Servers read with regular expressions only, as a cross-check of the parser."""
    text = _COMMENT.sub("", text)
    servers: list[tuple[Protocol, str, int, Security]] = []
    for _tag, kind, block in _SERVER.findall(text):
        if kind not in ("imap", "pop3", "smtp"):
            continue
        host = _field(block, "hostname").replace("%EMAILDOMAIN%", ADDRESS.domain).lower()
        entry = (
            Protocol(kind),
            host,
            int(_field(block, "port")),
            _SOCKETS[_field(block, "socketType")],
        )
        if entry not in servers:
            servers.append(entry)
    return servers


def corpus() -> list[Path]:
    return sorted(ISPDB.glob("*.xml")) if ISPDB.is_dir() else []


@pytest.mark.skipif(not corpus(), reason="reference ISPDB corpus not present (../shared/reference)")
def test_every_ispdb_file_parses_to_the_servers_an_independent_reading_finds() -> None:
    files = corpus()
    totals: Counter[tuple[Protocol, Security]] = Counter()
    expected_totals: Counter[tuple[Protocol, Security]] = Counter()
    for path in files:
        data = path.read_bytes()
        parsed = parse_config(data, ADDRESS)
        expected = independent_reading(data.decode("utf-8"))
        assert [s.endpoint for s in parsed.settings] == expected, path.name
        assert parsed.warnings == (), path.name
        text = _COMMENT.sub("", data.decode("utf-8"))
        assert len(parsed.domains) == len(re.findall(r"<domain>", text)), path.name
        assert parsed.provider_id, path.name
        for setting in parsed.settings:
            totals[(setting.protocol, setting.security)] += 1
            assert "%" not in (setting.username or ""), path.name
        expected_totals.update((p, s) for p, _h, _port, s in expected)
    assert len(files) == 163
    assert totals == expected_totals
    assert sum(totals.values()) == 509


@pytest.mark.skipif(not corpus(), reason="reference ISPDB corpus not present (../shared/reference)")
def test_ispdb_extras_are_read_from_real_files() -> None:
    gmail = parse_config((ISPDB / "googlemail.com.xml").read_bytes(), ADDRESS)
    assert gmail.oauth2 is not None
    assert gmail.oauth2.issuer == "accounts.google.com"
    assert gmail.enable[0].visit_url is not None
    assert len(gmail.documentation) == 4
    office = parse_config((ISPDB / "office365.com.xml").read_bytes(), ADDRESS)
    assert set(office.other_servers) == {"ews", "owa", "graph", "exchange"}
    fastmail = parse_config((ISPDB / "messagingengine.com.xml").read_bytes(), ADDRESS)
    assert fastmail.enable == ()
    assert len(fastmail.documentation) >= 2
