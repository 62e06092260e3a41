"""The CI renderers on hand-built reports: changes, escaping, edge statuses."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from mailprobe.exit_status import FailRule
from mailprobe.models import (
    Candidate,
    Change,
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
    Timings,
)
from mailprobe.render import github, junit, markdown, nagios, openmetrics, table
from mailprobe.render.formats import OutputFormat, RenderOptions, write_report

SETTING = ServerSetting(Protocol.IMAP, "imap.example.org", 993, Security.TLS)
CANDIDATE = Candidate(SETTING, (Provenance(SourceId.SRV, "_imaps._tcp.example.org", False),))
PROBE = ProbeResult(ProbeStatus.REFUSED, "refused", timings=Timings(total=12.5))
CHANGE = Change(
    "change.tls_version",
    Severity.ERROR,
    "imap.example.org port 993 now negotiates TLSv1.2 (was TLSv1.3).",
    Protocol.IMAP,
    "imap.example.org",
    993,
    "TLSv1.3",
    "TLSv1.2",
)
ODD = Finding(
    "discovery.odd",
    Severity.WARNING,
    "Server said <b>|x|</b> *loudly* \x07 and 100% sure,\nreally",
    "Ask: them, please.",
)


def _report(**kw: object) -> Report:
    base: dict[str, object] = {
        "address": "alice@example.org",
        "domain": "example.org",
        "provider": None,
        "recommended": {Protocol.IMAP: Recommendation(CANDIDATE, verified=False)},
        "candidates": (ProbedCandidate(CANDIDATE, PROBE),),
        "sources": (),
        "findings": (ODD,),
        "probed": True,
        "changes": (CHANGE,),
    }
    base.update(kw)
    return Report(**base)  # type: ignore[arg-type]


def test_changes_appear_in_every_human_format() -> None:
    report = _report()
    assert "Changes since the baseline" in table.render(report)
    assert "now negotiates TLSv1.2" in table.render(report)
    text = markdown.render(report)
    assert "### Changes since the baseline" in text
    assert "`change.tls_version`" in text


def test_markdown_escapes_server_text() -> None:
    text = markdown.render(_report())
    assert "<b>" not in text
    assert r"\<b\>\|x\|\</b\> \*loudly\*" in text
    assert "\nreally" not in text  # one line per finding


def test_junit_change_case_and_xml_safe_text() -> None:
    out = io.StringIO()
    junit.write(_report(), out, FailRule())
    root = ET.fromstring(out.getvalue().encode())
    changes = root.find("testsuite/testcase[@classname='baseline']")
    assert changes is not None
    failure = changes.find("failure")
    assert failure is not None
    assert failure.get("type") == "change.tls_version"
    # A warning is below --fail-on error: the IMAP case has no failure for it.
    assert root.find("testsuite/testcase[@classname='imap']/failure") is None
    strict = io.StringIO()
    junit.write(_report(), strict, FailRule(Severity.WARNING))
    found = ET.fromstring(strict.getvalue().encode()).find(
        "testsuite/testcase[@classname='discovery']"
    )
    assert found is None  # no sources: no discovery case; the finding has no protocol
    assert "\x07" not in strict.getvalue()


def test_github_escapes_properties_and_data() -> None:
    lines = github.commands(_report(), FailRule())
    assert lines[0].startswith("::warning title=mailprobe discovery.odd::")
    assert "100%25 sure,%0Areally%0AAsk: them" in lines[0]
    assert lines[1].startswith(
        "::error title=mailprobe change.tls_version imap.example.org%3A993::"
    )
    # --fail-on-id turns a warning into an error annotation.
    assert github.commands(_report(), FailRule(ids=("discovery.*",)))[0].startswith("::error")


def test_nagios_status_for_changes_ids_and_empty_reports() -> None:
    assert nagios.nagios_status(_report()) is nagios.NagiosStatus.CRITICAL
    # Every probe refused: nothing could be tested, which a monitor must see as CRITICAL.
    assert nagios.nagios_status(_report(changes=())) is nagios.NagiosStatus.CRITICAL
    working = ProbedCandidate(CANDIDATE, ProbeResult(ProbeStatus.OK))
    only_warning = _report(changes=(), candidates=(working,))
    assert nagios.nagios_status(only_warning) is nagios.NagiosStatus.WARNING
    assert (
        nagios.nagios_status(only_warning, FailRule(ids=("discovery.odd",)))
        is nagios.NagiosStatus.CRITICAL
    )
    nothing = _report(candidates=(), recommended={}, findings=(), changes=())
    assert nagios.nagios_status(nothing) is nagios.NagiosStatus.CRITICAL
    text = nagios.render(nothing)
    assert text.startswith("MAILPROBE CRITICAL - alice@example.org: IMAP not found")
    out = io.StringIO()
    assert nagios.unknown("bad | thing\nhere", out) is nagios.NagiosStatus.UNKNOWN
    assert out.getvalue() == "MAILPROBE UNKNOWN - bad / thing here\n"


def test_openmetrics_counts_changes_and_down_endpoints() -> None:
    text = openmetrics.render(_report())
    assert 'mailprobe_service_up{address="alice@example.org",service="imap"' in text
    assert text.count("} 0\n") >= 1
    assert 'mailprobe_changes{address="alice@example.org",severity="error"} 1' in text
    assert "mailprobe_probe_duration_seconds" in text
    assert "mailprobe_cert_expiry_timestamp_seconds" not in text  # no certificate seen


def test_write_report_returns_only_the_nagios_code() -> None:
    for fmt in OutputFormat:
        out = io.StringIO()
        code = write_report(_report(), fmt, out, RenderOptions())
        assert out.getvalue()
        assert (code is not None) == (fmt is OutputFormat.NAGIOS)
