"""The finding catalogue (stable ids, documented rules) and the deterministic order."""

from __future__ import annotations

import random
import re
import string

import pytest

import mailprobe.diagnose as diagnose
from mailprobe.diagnose import RULES, FindingId, sort_findings
from mailprobe.diagnose.catalogue import Subject, make_finding
from mailprobe.models import Finding, Protocol, Security, Severity

#: Every placeholder a template may use: the ones make_finding fills plus caller values.
VOCABULARY = {
    # filled by make_finding
    "service", "host", "port", "where", "mode", "tls_port", "starttls_port",
    # supplied by the diagnose modules
    "reason", "port_note", "seconds", "failed", "ip", "asked", "detected", "offered",
    "size", "attach", "version", "when", "date", "days", "names", "issuer", "how",
    "detail", "tried", "why", "domain", "claims", "endpoints", "sources", "source",
    "origin", "name", "hints", "docs", "count", "problems", "total", "kept",
}  # fmt: skip

ID_SHAPE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_id_has_a_documented_rule() -> None:
    assert set(RULES) == set(FindingId)
    for fid, rule in RULES.items():
        assert ID_SHAPE.match(fid.value), fid
        assert rule.when, fid
        assert rule.summary, fid
        assert rule.advice, fid
        assert isinstance(rule.severity, Severity)


def test_ids_are_unique_and_stable() -> None:
    values = [f.value for f in FindingId]
    assert len(values) == len(set(values))
    # A few ids pipelines already match on; renaming them breaks users.
    assert FindingId.CERT_EXPIRED.value == "tls.cert.expired"
    assert FindingId.DISCOVERY_SOURCES_DISAGREE.value == "discovery.sources_disagree"
    assert FindingId("discovery.untrusted_foreign_host").name == "DISCOVERY_UNTRUSTED_FOREIGN_HOST"


@pytest.mark.parametrize("fid", list(FindingId))
def test_templates_use_only_known_placeholders_and_format_cleanly(fid: FindingId) -> None:
    rule = RULES[fid]
    used = placeholders(rule.summary) | placeholders(rule.advice)
    assert used <= VOCABULARY, used - VOCABULARY
    values = {name: f"<{name}>" for name in VOCABULARY}
    subject = Subject(Protocol.IMAP, "imap.example.org", 993, Security.TLS)
    for name in ("service", "host", "port", "where", "mode", "tls_port", "starttls_port"):
        values.pop(name)
    finding = make_finding(fid, subject, severity=None, **values)
    for text in (finding.summary, finding.advice):
        assert "{" not in text
        assert "}" not in text
    assert finding.id == fid.value
    assert finding.severity is rule.severity


def test_make_finding_fills_the_endpoint_and_lets_severity_be_raised() -> None:
    subject = Subject(Protocol.SMTP, "smtp.example.org", 587, Security.STARTTLS)
    f = make_finding(FindingId.CONNECT_REFUSED, subject, severity=Severity.WARNING)
    assert f.summary == "smtp.example.org refused the connection on port 587 (SMTP, STARTTLS)."
    assert f.severity is Severity.WARNING
    assert (f.protocol, f.host, f.port) == (Protocol.SMTP, "smtp.example.org", 587)


def test_a_missing_template_value_is_a_bug() -> None:
    with pytest.raises(KeyError):
        make_finding(FindingId.CONNECT_RESET, Subject(Protocol.IMAP, "h", 1, Security.TLS))


def test_sort_orders_by_severity_protocol_host_port_then_id() -> None:
    def f(
        fid: str, sev: Severity, proto: Protocol | None, host: str | None, port: int | None
    ) -> Finding:
        return Finding(fid, sev, f"{fid} summary", "", proto, host, port)

    expected = [
        f("discovery.nothing_found", Severity.ERROR, None, None, None),
        f("connect.refused", Severity.ERROR, Protocol.IMAP, "a.example.org", 993),
        f("connect.refused", Severity.ERROR, Protocol.IMAP, "b.example.org", 143),
        f("connect.refused", Severity.ERROR, Protocol.IMAP, "b.example.org", 993),
        f("tls.cert.expired", Severity.ERROR, Protocol.IMAP, "b.example.org", 993),
        f("connect.timeout", Severity.ERROR, Protocol.SMTP, "a.example.org", 465),
        f("auth.before_tls", Severity.WARNING, Protocol.IMAP, "a.example.org", 143),
        f("provider.hint", Severity.INFO, None, None, None),
        f("smtp.size_limit", Severity.INFO, Protocol.SMTP, "a.example.org", 465),
    ]
    shuffled = expected[:]
    random.Random(7).shuffle(shuffled)
    assert list(sort_findings(shuffled)) == expected
    assert sort_findings(reversed(expected)) == sort_findings(expected)


def test_sort_keeps_exact_duplicates_once() -> None:
    one = Finding("connect.refused", Severity.ERROR, "x", "y", Protocol.IMAP, "h", 1)
    assert sort_findings([one, one]) == (one,)


def test_public_names_are_exactly_the_documented_ones() -> None:
    public = {n for n in dir(diagnose) if not n.startswith("_")}
    modules = {"catalogue", "connection", "discovery", "endpoint", "order"}
    modules |= {"service", "session", "tls", "annotations", "reference"}
    assert public - modules == set(diagnose.__all__)
