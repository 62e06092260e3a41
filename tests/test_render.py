"""The table and JSON renderers, from reports built by hand."""

from __future__ import annotations

import json

from mailprobe.models import (
    Candidate,
    CertInfo,
    Finding,
    ProbedCandidate,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Provenance,
    Recommendation,
    Report,
    Security,
    ServerSetting,
    Severity,
    SourceId,
    SourceOutcome,
    SourceStatus,
    TlsInfo,
)
from mailprobe.render import json as json_render
from mailprobe.render import table

IMAPS = ServerSetting(Protocol.IMAP, "imap.example.org", 993, Security.TLS, "alice@example.org")
CANDIDATE = Candidate(
    IMAPS,
    (
        Provenance(SourceId.AUTOCONFIG, "https://example.org/a.xml", True),
        Provenance(SourceId.SRV, "_imaps._tcp.example.org", False),
    ),
)
MISMATCH = ProbeResult(
    ProbeStatus.TLS_ERROR,
    "plain text",
    detected_security=Security.STARTTLS,
    connections=2,
)
OK = ProbeResult(
    ProbeStatus.OK,
    tls=TlsInfo(
        "TLSv1.3",
        "TLS_AES_256_GCM_SHA384",
        True,
        cert=CertInfo(
            "CN=imap.example.org", ("imap.example.org",), "CN=CA", "2027-01-01T00:00:00Z", 36
        ),
    ),
    detected_security=Security.TLS,
)


def _flat(text: str) -> str:
    """The text with every run of white space as one space (table cells wrap)."""
    return " ".join(text.split())


def _report(probe: ProbeResult | None, *, probed: bool) -> Report:
    skipped = [
        SourceOutcome(s, SourceStatus.SKIPPED, 0.0, "offline: no network")
        for s in (SourceId.ISPDB, SourceId.SRV)
    ]
    return Report(
        address="alice@example.org",
        domain="example.org",
        provider=None,
        recommended={
            Protocol.IMAP: Recommendation(CANDIDATE, verified=(probe is OK) if probed else None)
        },
        candidates=(ProbedCandidate(CANDIDATE, probe),),
        sources=(SourceOutcome(SourceId.AUTOCONFIG, SourceStatus.FOUND, 12.0, "found 1"), *skipped),
        findings=(Finding("x.y", Severity.WARNING, "Something to know.", "Do this."),),
        probed=probed,
    )


def test_table_names_the_mode_a_port_really_speaks_only_when_it_differs() -> None:
    wrong = _flat(table.render(_report(MISMATCH, probed=True), details=True))
    assert "[port speaks STARTTLS]" in wrong
    assert "NOT WORKING" in wrong
    right = _flat(table.render(_report(OK, probed=True), details=True))
    assert "port speaks" not in right
    assert "ok, TLSv1.3" in right
    assert "IMAP works" in right


def test_table_lists_provenance_with_trust_and_merges_sources_skipped_for_one_reason() -> None:
    text = table.render(_report(None, probed=False), details=True)
    assert "srv (untrusted): _imaps._tcp.example.org" in text
    assert "autoconfig: example.org/a.xml" in text  # https:// dropped in tables
    assert "ispdb, srv" in text
    assert text.count("offline: no network") == 1
    assert "not tested" in text
    assert "WARN  Something to know." in text
    assert "-> Do this." in text


def test_default_table_leaves_out_candidates_and_sources() -> None:
    text = table.render(_report(OK, probed=True))
    assert "Candidates" not in text
    assert "Sources" not in text
    assert "Settings to use" in text


def test_json_report_has_every_contract_field() -> None:
    doc = json.loads(json_render.dumps(_report(OK, probed=True)))
    assert set(doc) >= {
        "schema_version",
        "mailprobe_version",
        "address",
        "domain",
        "provider",
        "recommended",
        "candidates",
        "sources",
        "findings",
    }
    assert doc["recommended"]["pop3"] is None
    probe = doc["candidates"][0]["probe"]
    assert set(probe) >= {
        "status",
        "ip",
        "timings_ms",
        "banner",
        "capabilities_before_tls",
        "capabilities_after_tls",
        "auth_mechanisms",
        "tls",
        "login",
    }
    assert set(probe["timings_ms"]) == {
        "dns",
        "connect",
        "banner",
        "tls",
        "capabilities",
        "login",
        "total",
    }
    assert probe["tls"]["cert"]["days_left"] == 36
    assert doc["candidates"][0]["sources"][1] == {
        "source": "srv",
        "origin": "_imaps._tcp.example.org",
        "trusted": False,
    }
    assert doc["findings"][0]["severity"] == "warning"


def test_json_lines_mode_writes_one_line() -> None:
    import io

    out = io.StringIO()
    json_render.write(_report(None, probed=False), out, lines=True)
    assert out.getvalue().count("\n") == 1
    assert json.loads(out.getvalue())["candidates"][0]["probe"] is None
