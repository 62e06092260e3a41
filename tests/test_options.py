"""Parsing of option values given as text."""

from __future__ import annotations

import pytest

from mailprobe.errors import InvalidOptionError
from mailprobe.models import ConnectTo, Nameserver, NetOptions, SourceId
from mailprobe.option_values import (
    check_timeout,
    parse_connect_to,
    parse_host_port,
    parse_nameserver,
    parse_sources,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", Nameserver("127.0.0.1", 53)),
        ("127.0.0.1:5353", Nameserver("127.0.0.1", 5353)),
        ("::1", Nameserver("::1", 53)),
        ("[::1]:5353", Nameserver("::1", 5353)),
    ],
)
def test_nameserver_accepts_ip_with_optional_port(text: str, expected: Nameserver) -> None:
    assert parse_nameserver(text) == expected


@pytest.mark.parametrize("text", ["dns.example.org", "127.0.0.1:0", "127.0.0.1:x", "[::1"])
def test_nameserver_rejects_names_and_bad_ports(text: str) -> None:
    with pytest.raises(InvalidOptionError, match="--nameserver"):
        parse_nameserver(text)


def test_connect_to_parses_curl_syntax_including_ipv6_and_wildcards() -> None:
    assert parse_connect_to("imap.example.org:993:127.0.0.1:10993") == ConnectTo(
        "imap.example.org", 993, "127.0.0.1", 10993
    )
    assert parse_connect_to(":443:[::1]:8443") == ConnectTo("", 443, "::1", 8443)


def test_connect_to_rule_routes_only_matching_host_and_port() -> None:
    net = NetOptions(
        connect_to=(
            parse_connect_to("imap.example.org:993:127.0.0.2:1"),
            parse_connect_to(":443:127.0.0.1:8443"),
        )
    )
    assert net.route("IMAP.example.org.", 993) == ("127.0.0.2", 1)
    assert net.route("imap.example.org", 143) is None
    assert net.route("anything.test", 443) == ("127.0.0.1", 8443)


@pytest.mark.parametrize("text", ["a:b", "h:99999:127.0.0.1:1", "h:1:2"])
def test_connect_to_rejects_malformed_rules(text: str) -> None:
    with pytest.raises(InvalidOptionError, match="--connect-to"):
        parse_connect_to(text)


def test_sources_accepts_comma_lists_and_rejects_unknown_names() -> None:
    assert parse_sources(["srv,autoconfig", "mx"]) == {
        SourceId.SRV,
        SourceId.AUTOCONFIG,
        SourceId.MX,
    }
    with pytest.raises(InvalidOptionError, match="unknown source 'dns'"):
        parse_sources(["dns"])
    with pytest.raises(InvalidOptionError):
        parse_sources([","])


def test_host_port_forms() -> None:
    assert parse_host_port("imap.example.org") == ("imap.example.org", None)
    assert parse_host_port("imap.example.org:993") == ("imap.example.org", 993)
    assert parse_host_port("[::1]:143") == ("::1", 143)
    with pytest.raises(InvalidOptionError):
        parse_host_port("imap.example.org:http")


def test_timeout_must_be_positive() -> None:
    assert check_timeout(2.5) == 2.5
    with pytest.raises(InvalidOptionError):
        check_timeout(0)
