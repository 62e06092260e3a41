"""The explanation renderer on its own: coverage of the catalogue, wrapping, Markdown, quoting."""

from __future__ import annotations

import re

import pytest

from mailprobe.diagnose import FindingId
from mailprobe.models import (
    Candidate,
    Cause,
    Finding,
    LoginResult,
    LoginStatus,
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
)
from mailprobe.pipeline import run_discover
from mailprobe.render import explain
from mailprobe.render.explain import (
    explain_steps,
    plain_steps,
    render_markdown,
    render_text,
    server_words,
    terminal_width,
)

#: Findings that never explain why one endpoint fails: they are about discovery, the
#: provider (explained from the report's provider fields), a whole service, or good news.
NOT_ENDPOINT_PROBLEMS = {
    "connect.greeting_slow",
    "smtp.size_limit",
    "imap.logindisabled",
    "login.ok",
    "login.not_attempted",
    "service.no_working_endpoint",
    "service.not_tested",
    "service.starttls_only",
    "discovery.nothing_found",
    "discovery.sources_disagree",
    "discovery.untrusted_foreign_host",
    "discovery.plaintext_only",
    "discovery.not_offered",
    "discovery.source_warnings",
    "discovery.too_many_servers",
    "provider.broken",
    "provider.preparation",
    "provider.hint",
    # a broken autoconfig URL, and `probe --address` comparing what was typed with discovery
    "discovery.autoconfig_broken",
    "typed.differs",
    "typed.matches",
    "typed.not_compared",
}
#: Causes that only discovery sources report.
WEB_CAUSES = {
    Cause.HTTP_STATUS,
    Cause.REDIRECT_LOOP,
    Cause.INSECURE_HTTP,
    Cause.INVALID_URL,
    Cause.INVALID_DOCUMENT,
    Cause.OTHER,
}


def test_every_endpoint_finding_has_plain_words() -> None:
    for fid in FindingId:
        if fid.value in NOT_ENDPOINT_PROBLEMS:
            continue
        assert fid.value in explain._WHY or fid.value in explain._NOTES, fid
    for key in [*explain._WHY, *explain._NOTES]:
        assert key in {f.value for f in FindingId} or key == "starttls.refused", key


def test_every_probe_cause_has_plain_words() -> None:
    for cause in Cause:
        if cause not in WEB_CAUSES:
            assert explain._CAUSE_WHY[cause] in explain._WHY, cause


def test_plain_words_are_jargon_free() -> None:
    texts = [*explain._WHY.values(), *explain._NOTES.values(), *explain._STATUS_WHY.values()]
    for text in texts:
        for word in ("handshake", "SASL", "errno", "verify", "STLS", "PREAUTH", "_"):
            assert word not in text, (word, text)


def _setting(port: int = 993, security: Security = Security.TLS) -> ServerSetting:
    return ServerSetting(Protocol.IMAP, "imap.example.org", port, security)


def _report(probe: ProbeResult, *findings: Finding, setting: ServerSetting | None = None) -> Report:
    candidate = Candidate(
        setting or _setting(),
        (Provenance(SourceId.USER, "imap.example.org:993", trusted=True),),
    )
    rec = Recommendation(candidate, verified=probe.status is ProbeStatus.OK, probe=probe)
    return Report(
        address=None,
        domain="imap.example.org",
        provider=None,
        recommended={Protocol.IMAP: rec, Protocol.POP3: None, Protocol.SMTP: None},
        candidates=(ProbedCandidate(candidate, probe),),
        sources=(),
        findings=findings,
        probed=True,
    )


def test_cause_explains_when_no_finding_does() -> None:
    report = _report(ProbeResult(ProbeStatus.TLS_ERROR, "x", cause=Cause.CERT_EXPIRED))
    assert "security certificate of imap.example.org has expired" in render_text(report, 200)


def test_finding_beats_the_status_and_prose_is_never_read() -> None:
    finding = Finding(
        "connect.refused",
        Severity.ERROR,
        "summary with ECONNREFUSED jargon",
        "advice with errno 111",
        Protocol.IMAP,
        "imap.example.org",
        993,
    )
    report = _report(ProbeResult(ProbeStatus.REFUSED, "[Errno 111] ECONNREFUSED"), finding)
    text = render_text(report, 200)
    assert "refused the connection on port 993" in text
    assert "Errno" not in text
    assert "ECONNREFUSED" not in text


@pytest.mark.parametrize("width", [40, 60, 80, 100])
def test_wrapping_respects_the_width(width: int) -> None:
    probe = ProbeResult(
        ProbeStatus.AUTH_FAILED,
        login=LoginResult(LoginStatus.WRONG_CREDENTIALS, "NO [AUTHENTICATIONFAILED] " + "x " * 80),
    )
    text = render_text(_report(probe), width)
    for line in text.splitlines():
        assert len(line) <= width, line
    assert re.search(r"^1\. ", text, re.MULTILINE)


def test_width_comes_from_columns_then_defaults_to_80(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "66")
    assert terminal_width() == 66
    monkeypatch.setenv("COLUMNS", "10")
    assert terminal_width() == explain.MIN_WIDTH
    monkeypatch.delenv("COLUMNS")
    # Under pytest standard output is not a terminal: the fallback applies.
    assert terminal_width() in (80, *range(explain.MIN_WIDTH, explain.MAX_WIDTH + 1))


def test_server_words_are_one_clipped_line_without_control_characters() -> None:
    assert server_words('a\r\nb\x1b[31m "c"\u2028d') == "a b [31m 'c' d"
    long = server_words("y" * 500)
    assert long is not None
    assert len(long) == explain.QUOTE_LIMIT
    assert long.endswith("...")
    assert server_words(" \x00 ") is None


def test_markdown_is_a_numbered_list_with_escaped_server_words() -> None:
    probe = ProbeResult(
        ProbeStatus.AUTH_FAILED,
        login=LoginResult(LoginStatus.WRONG_CREDENTIALS, "NO *bold* <b>[x]</b>"),
    )
    markdown = render_markdown(_report(probe))
    assert markdown.startswith("## imap.example.org: what to do\n")
    assert re.search(r"^1\. ", markdown, re.MULTILINE)
    assert "   - Server: `imap.example.org`" in markdown
    assert r"\*bold\*" in markdown
    assert "<b>" not in markdown


def test_plain_steps_are_strings_with_their_fields() -> None:
    report = _report(ProbeResult(ProbeStatus.OK))
    steps = plain_steps(report)
    assert all(isinstance(s, str) for s in steps)
    assert any("Server: imap.example.org\nPort: 993\nEncryption: SSL/TLS" in s for s in steps)
    assert len(steps) == len(explain_steps(report))


def test_plain_text_setting_is_called_unsafe() -> None:
    report = _report(ProbeResult(ProbeStatus.OK), setting=_setting(143, Security.PLAIN))
    text = " ".join(render_text(report, 100).split())
    assert "Encryption: None (unsafe" in text
    assert "but without encryption" in text


async def test_offline_report_says_not_verified_and_names_the_app_password() -> None:
    report = await run_discover("bob@gmail.com", None)
    assert not report.probed
    text = render_text(report, 80)
    flat = " ".join(text.split())
    assert "not verified" in flat
    assert "Password: an app password" in flat
    assert "https://support.google.com/" in flat
    assert len(text.splitlines()) < 24
