"""Hostile or careless configuration documents and DNS answers: bounded, linear, honest.

A file with thousands of servers, an SRV name with a thousand targets, a source naming a
hundred endpoints, Unicode digits posing as ports, usernames with line breaks, and
UTF-16 files: each is attacked more than one way, and every problem that did not stop the
source is visible in the outcome, the JSON and the findings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

import pytest

from dnsfaults import FaultDns, Records, source_context
from mailprobe.address import parse_address
from mailprobe.diagnose import diagnose_discovery
from mailprobe.discovery import MAX_CANDIDATES_PER_SOURCE, discover
from mailprobe.errors import InvalidOptionError
from mailprobe.models import (
    Candidate,
    DiscoveryOptions,
    DiscoveryResult,
    NetOptions,
    ProbedCandidate,
    Protocol,
    Provenance,
    Report,
    Security,
    ServerSetting,
    SourceId,
    SourceOutcome,
)
from mailprobe.option_values import parse_connect_to, parse_nameserver
from mailprobe.render.json import report_to_json
from mailprobe.render.table import render
from mailprobe.sources import autoconfig, srv
from mailprobe.sources.autoconfig_xml import MAX_SERVERS_PER_FILE, ConfigParseError, parse_config
from mailprobe.sources.base import SourceContext, found
from mailprobe.text import ascii_int
from test_http_fakeweb import FakeWeb, context

ADDRESS = parse_address("alice@example.test")
NO_PROVIDERS: Any = cast(Any, object())


def server(host: str, port: str = "993", username: str = "%EMAILADDRESS%") -> str:
    return (
        f'<incomingServer type="imap"><hostname>{host}</hostname><port>{port}</port>'
        f"<socketType>SSL</socketType><username>{username}</username></incomingServer>"
    )


def config(*servers: str, declaration: str = '<?xml version="1.0"?>') -> str:
    return (
        f'{declaration}<clientConfig version="1.1"><emailProvider id="example.test">'
        f"<domain>example.test</domain>{''.join(servers)}</emailProvider></clientConfig>"
    )


# --------------------------------------------------------------------------- size and count


def test_a_file_of_thousands_of_servers_keeps_the_first_forty_and_counts_the_rest() -> None:
    servers = [server(f"h{i}.example.test") for i in range(6000)]
    data = config(*servers).encode()
    assert len(data) < 1024 * 1024
    parsed = parse_config(data, ADDRESS)
    assert [s.host for s in parsed.settings] == [f"h{i}.example.test" for i in range(40)]
    assert len(parsed.settings) == MAX_SERVERS_PER_FILE
    assert any(f"{6000 - 40} more server section(s) ignored" in w for w in parsed.warnings)


def test_thousands_of_copies_of_one_server_become_one_setting() -> None:
    data = config(*[server("imap.example.test")] * 6000).encode()
    parsed = parse_config(data, ADDRESS)
    assert [s.host for s in parsed.settings] == ["imap.example.test"]
    assert parsed.warnings == ()


def test_thousands_of_broken_sections_keep_a_bounded_list_of_warnings() -> None:
    data = config(*[server("h.example.test", port="x")] * 5000, server("ok.example.test")).encode()
    parsed = parse_config(data, ADDRESS)
    assert [s.host for s in parsed.settings] == ["ok.example.test"]
    assert 1 <= len(parsed.warnings) <= 20


async def test_an_srv_name_with_a_thousand_targets_yields_a_few_in_rfc_order() -> None:
    targets = tuple(f"{i // 100} {i % 7} 993 h{i}.example.test." for i in range(1000))
    rules = {"_imaps._tcp.example.test": Records("SRV", targets, truncate_udp=True)}
    async with FaultDns(rules) as dns_server:
        ctx = source_context("alice@example.test", [dns_server.nameserver], timeout=3.0)
        outcome = await srv.run(ctx)
    assert len(outcome.candidates) == srv.MAX_TARGETS_PER_NAME
    # Priority 0 first (targets 0..99), highest weight first within it.
    assert all(int(c.setting.host[1:].split(".")[0]) < 100 for c in outcome.candidates)
    assert f"{1000 - srv.MAX_TARGETS_PER_NAME} more target(s) ignored" in outcome.detail
    assert len(outcome.detail) < 2000


@dataclass
class FloodSource:
    """A source naming `count` distinct endpoints."""

    SOURCE: SourceId
    count: int

    async def run(self, ctx: SourceContext) -> SourceOutcome:
        prov = Provenance(self.SOURCE, "flood", False)
        return found(
            self.SOURCE,
            (
                Candidate(
                    ServerSetting(Protocol.IMAP, f"h{i}.example.test", 993, Security.TLS), (prov,)
                )
                for i in range(self.count)
            ),
            "flood",
        )


@pytest.mark.parametrize("source", [SourceId.SRV, SourceId.AUTODISCOVER, SourceId.MX])
async def test_any_source_is_capped_and_the_cap_is_a_warning_finding(source: SourceId) -> None:
    impls: dict[SourceId, Any] = {s: FloodSource(s, 0) for s in SourceId if s is not SourceId.USER}
    impls[source] = FloodSource(source, 500)
    result = await discover(
        ADDRESS,
        DiscoveryOptions(net=NetOptions(timeout=3.0)),
        providers=NO_PROVIDERS,
        implementations=impls,
    )
    outcome = next(o for o in result.sources if o.source is source)
    assert len(outcome.candidates) == MAX_CANDIDATES_PER_SOURCE
    assert outcome.dropped_candidates == 500 - MAX_CANDIDATES_PER_SOURCE
    assert len(result.candidates) == MAX_CANDIDATES_PER_SOURCE
    findings = {f.id: f for f in diagnose_discovery(result)}
    capped = findings["discovery.too_many_servers"]
    assert capped.severity == "warning"
    assert f"named 500 server settings; only the first {MAX_CANDIDATES_PER_SOURCE}" in (
        capped.summary
    )


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize("port", ["９９３", "٩٩٣", "+993", "0x3e1", "", "99999"])
def test_a_port_that_is_not_plain_ascii_digits_in_range_skips_the_section(port: str) -> None:
    parsed = parse_config(config(server("bad.example.test", port=port)).encode(), ADDRESS)
    assert parsed.settings == ()
    assert parsed.warnings


@pytest.mark.parametrize("text", ["９９３", "٩٩٣", "¹", "-1", " 1", "1" * 25])
def test_ascii_int_refuses_what_int_would_take(text: str) -> None:
    assert ascii_int(text) is None


@pytest.mark.parametrize(
    "option",
    [
        lambda: parse_connect_to("imap.example.test:９９３:127.0.0.1:993"),
        lambda: parse_connect_to("imap.example.test:993:127.0.0.1:٩٩٣"),
        lambda: parse_nameserver("127.0.0.1:５３"),
    ],
)
def test_options_take_ascii_port_numbers_only(option: Any) -> None:
    with pytest.raises(InvalidOptionError, match="not a port number"):
        option()


@pytest.mark.parametrize(
    "username", ["alice\nX-Evil: 1", "ali\rce", "al\tice", "ali\x00ce", "a\x85b"]
)
def test_a_username_with_a_control_character_is_refused(username: str) -> None:
    good = server("ok.example.test")
    bad = server("bad.example.test", username=username.replace("\x00", "&#0;"))
    try:
        parsed = parse_config(config(bad, good).encode(), ADDRESS)
    except ConfigParseError:
        # A NUL character reference is not even well-formed XML; that is a refusal too.
        assert "\x00" in username
        return
    assert [s.host for s in parsed.settings] == ["ok.example.test"]
    assert any("control character" in w for w in parsed.warnings)


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("codec", "declared"),
    [
        ("utf-16", "UTF-16"),  # with a byte order mark
        ("utf-16-le", "UTF-16"),  # no mark: found from the first bytes
        ("utf-16-be", "UTF-16"),
        ("utf-8-sig", "UTF-8"),
        ("latin-1", "ISO-8859-1"),
    ],
)
def test_the_encoding_declaration_and_byte_order_marks_are_honoured(
    codec: str, declared: str
) -> None:
    text = config(
        server("imap.example.test", username="é%EMAILLOCALPART%"),
        declaration=f'<?xml version="1.0" encoding="{declared}"?>',
    )
    parsed = parse_config(text.encode(codec), ADDRESS)
    assert [(s.host, s.username) for s in parsed.settings] == [("imap.example.test", "éalice")]


def test_an_html_page_in_utf16_is_still_recognised_as_html() -> None:
    with pytest.raises(ConfigParseError, match="HTML page"):
        parse_config("<!DOCTYPE html><html><body>hi</body></html>".encode("utf-16"), ADDRESS)


# --------------------------------------------------------------------------- warnings are shown


async def test_autoconfig_warnings_reach_the_outcome_the_json_the_table_and_a_finding() -> None:
    web = FakeWeb()
    body = config(
        server("imap.example.test"),
        server("bad.example.test", port="９９３"),
        server("worse.example.test", username="a\nb"),
    ).encode()
    url = "https://autoconfig.example.test/mail/config-v1.1.xml"
    web.page(url, body)
    ctx = context("alice@example.test", web, {"autoconfig.example.test": ["192.0.2.1"]})
    outcome = await autoconfig.run(ctx)
    assert len(outcome.warnings) == 2
    assert all(w.startswith(url + ": ") for w in outcome.warnings)
    assert "'９９３' is not a number" in outcome.warnings[0]

    result = DiscoveryResult(ADDRESS, outcome.candidates, (outcome,))
    findings = {f.id: f for f in diagnose_discovery(result)}
    warned = findings["discovery.source_warnings"]
    assert warned.severity == "warning"
    assert "has 2 problem(s)" in warned.summary
    assert "control character" in warned.summary


@dataclass
class WarnedSource:
    """A source that found one server and read one section it had to skip."""

    SOURCE: SourceId

    async def run(self, ctx: SourceContext) -> SourceOutcome:
        setting = ServerSetting(Protocol.IMAP, "imap.example.test", 993, Security.TLS)
        outcome = found(
            self.SOURCE,
            [Candidate(setting, (Provenance(self.SOURCE, "https://x.test/c.xml", True),))],
            "found 1 server, 1 warning(s)",
        )
        return replace(outcome, warnings=("https://x.test/c.xml: server section 2 skipped",))


async def test_source_warnings_are_in_the_json_report_and_the_detailed_table() -> None:
    impls: dict[SourceId, Any] = {s: FloodSource(s, 0) for s in SourceId if s is not SourceId.USER}
    impls[SourceId.AUTOCONFIG] = WarnedSource(SourceId.AUTOCONFIG)
    result = await discover(
        ADDRESS,
        DiscoveryOptions(net=NetOptions(timeout=3.0)),
        providers=NO_PROVIDERS,
        implementations=impls,
    )
    report = Report(
        address=ADDRESS.text,
        domain=ADDRESS.domain,
        provider=None,
        recommended=dict.fromkeys(Protocol),
        candidates=tuple(ProbedCandidate(c) for c in result.candidates),
        sources=result.sources,
        findings=diagnose_discovery(result),
    )
    entry = next(s for s in report_to_json(report)["sources"] if s["source"] == "autoconfig")
    assert entry["warnings"] == ["https://x.test/c.xml: server section 2 skipped"]
    assert "server section 2 skipped" in render(report, verbose=True)
    assert any(f.id == "discovery.source_warnings" for f in report.findings)
