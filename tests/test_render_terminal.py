"""Issue 9, points 7-9 without servers: width, wrapping, URLs, times, colour, what is shown."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest

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
    TlsInfo,
    TranscriptDirection,
    TranscriptEntry,
)
from mailprobe.render import table
from mailprobe.render.term import (
    ColorMode,
    color_for,
    round_ms,
    shorten_url,
    width_for,
    wrap,
)
from mailprobe.render.verdict import steps_for

LONG_HOST = "mail.other-provider-with-a-very-long-name.example.net"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _report(
    login: LoginResult | None = None,
    status: ProbeStatus = ProbeStatus.OK,
    findings: tuple[Finding, ...] = (),
    host: str = LONG_HOST,
) -> Report:
    setting = ServerSetting(Protocol.IMAP, host, 993, Security.TLS, "alice@example.org")
    candidate = Candidate(
        setting,
        (
            Provenance(
                SourceId.AUTOCONFIG,
                "https://autoconfig.example.org/mail/config-v1.1.xml?emailaddress=alice",
                True,
            ),
        ),
    )
    probe = ProbeResult(
        status,
        "login: wrong_credentials: no" if status is ProbeStatus.AUTH_FAILED else "",
        tls=TlsInfo("TLSv1.3", "TLS_AES_256_GCM_SHA384", True),
        login=login,
    )
    return Report(
        address="alice@example.org",
        domain="example.org",
        provider=None,
        recommended={Protocol.IMAP: Recommendation(candidate, verified=True)},
        candidates=(ProbedCandidate(candidate, probe),),
        sources=(),
        findings=findings,
        probed=True,
    )


# --------------------------------------------------------------------------- point 1


def test_a_rejected_login_never_reads_works() -> None:
    rejected = LoginResult(LoginStatus.WRONG_CREDENTIALS, "no")
    text = table.render(_report(rejected, ProbeStatus.AUTH_FAILED))
    verdict = text.split("Settings to use")[0]
    assert "works" not in verdict
    assert "LOGIN FAILED" in verdict
    assert "reachable" in verdict
    assert "TLS 1.3 OK" in verdict
    assert "login rejected: wrong user name or password" in " ".join(verdict.split())


def test_app_password_is_named_in_the_verdict() -> None:
    app = LoginResult(LoginStatus.APP_PASSWORD_REQUIRED, "use an app password")
    text = " ".join(table.render(_report(app, ProbeStatus.AUTH_FAILED)).split())
    assert "login rejected: app password needed" in text


def test_a_working_login_reads_works_with_each_step() -> None:
    text = " ".join(table.render(_report(LoginResult(LoginStatus.OK))).split())
    assert "IMAP works" in text
    assert "reachable, TLS 1.3 OK, login OK" in text


@pytest.mark.parametrize(
    ("status", "cause", "step"),
    [
        (ProbeStatus.REFUSED, Cause.REFUSED, "connection refused"),
        (ProbeStatus.REFUSED, Cause.UNREACHABLE, "no route to the server from this network"),
        (ProbeStatus.TLS_ERROR, Cause.CERT_EXPIRED, "reachable, certificate expired"),
        (
            ProbeStatus.TLS_ERROR,
            Cause.CERT_WRONG_NAME,
            "reachable, certificate is for another name",
        ),
        (ProbeStatus.TLS_ERROR, Cause.TLS_FAILED, "reachable, encryption failed"),
        (
            ProbeStatus.TLS_ERROR,
            Cause.STARTTLS_INJECTION,
            "reachable, STARTTLS answer tampered with: abandoned",
        ),
        (ProbeStatus.PROTOCOL_ERROR, Cause.HTTP_ANSWER, "reachable, but a web server answers"),
        (ProbeStatus.PROTOCOL_ERROR, Cause.GARBAGE, "reachable, unexpected answer"),
        (ProbeStatus.DNS_ERROR, Cause.NO_SUCH_HOST, "server name not found"),
        (ProbeStatus.DNS_ERROR, Cause.DNS_TIMEOUT, "server name lookup timed out"),
    ],
)
def test_a_failed_step_is_worded_from_its_cause(
    status: ProbeStatus, cause: Cause, step: str
) -> None:
    setting = ServerSetting(Protocol.IMAP, "imap.example.org", 993, Security.TLS, "alice")
    probe = ProbeResult(status, "whatever the reason says", cause=cause)
    assert steps_for(setting, probe) == (step,)
    # the reason's words never change the step
    assert steps_for(setting, replace(probe, reason="connection refused")) == (step,)


def test_a_port_speaking_another_mode_wins_over_the_cause() -> None:
    setting = ServerSetting(Protocol.IMAP, "imap.example.org", 143, Security.TLS, "alice")
    probe = ProbeResult(
        ProbeStatus.TLS_ERROR, "not TLS", cause=Cause.NOT_TLS, detected_security=Security.STARTTLS
    )
    assert steps_for(setting, probe) == ("reachable, but the port speaks STARTTLS",)


def test_transcripts_show_without_details_and_add_no_terms() -> None:
    report = _report(LoginResult(LoginStatus.OK), host="imap.example.org")
    pc = report.candidates[0]
    entries = (
        TranscriptEntry(0.0, TranscriptDirection.SERVER, "* OK trusted STARTTLS server ready"),
        TranscriptEntry(1.5, TranscriptDirection.CLIENT, "a1 LOGOUT"),
    )
    probe = replace(pc.probe, transcript=entries) if pc.probe else None
    report = replace(report, candidates=(replace(pc, probe=probe),))
    text = table.render(report)
    assert "Transcripts" in text
    assert "S: * OK trusted STARTTLS server ready" in text
    assert "C: a1 LOGOUT" in text
    legend = text.split("Terms (more in")[1] if "Terms (more in" in text else ""
    assert "STARTTLS " not in legend  # the server's word, not mailprobe's
    assert "trusted " not in legend
    assert "SSL/TLS" in legend  # the settings table's own term is still explained


# --------------------------------------------------------------------------- point 7


def test_width_from_columns_then_terminal_then_80() -> None:
    assert width_for(io.StringIO(), {"COLUMNS": "120"}) == 120
    assert width_for(io.StringIO(), {}) == 80  # piped
    assert width_for(io.StringIO(), {"COLUMNS": "junk"}) == 80


def test_wrapping_never_cuts_a_host_name_and_hangs_the_indent() -> None:
    text = f"The certificate of {LONG_HOST} port 993 is not valid for the name {LONG_HOST}."
    lines = wrap(text, 50, first="  WARN  ")
    assert lines[0].startswith("  WARN  ")
    assert all(line.startswith("        ") for line in lines[1:])
    assert sum(LONG_HOST in line for line in lines) == 2  # whole, never split
    assert not any(line.endswith("port") for line in lines)  # "port 993" stays together


def test_long_urls_are_shortened_keeping_the_host() -> None:
    url = "https://autoconfig.example.org/mail/config-v1.1.xml?emailaddress=alice%40example.org"
    short = shorten_url(url)
    assert short.startswith("autoconfig.example.org/")
    assert short.endswith("config-v1.1.xml?...")
    assert len(short) <= 48
    assert shorten_url("http://a.example/x") == "http://a.example/x"  # http:// is kept


def test_times_are_rounded() -> None:
    assert round_ms(5950.67) == "6.0 s"
    assert round_ms(56.4) == "56 ms"
    assert round_ms(None) == ""


@pytest.mark.parametrize(("width", "details"), [(60, False), (80, True), (100, True)])
def test_the_report_fits_the_width(width: int, details: bool) -> None:
    finding = Finding(
        "x.y",
        Severity.WARNING,
        f"Something long about {LONG_HOST} port 993 that needs wrapping to fit the terminal.",
        "Do this, and then that, and then something else entirely before you give up.",
    )
    report = _report(findings=(finding,), host="imap.example.org")
    text = table.render(report, details=details, width=width)
    for line in text.splitlines():
        # A line may only overflow when it holds one unbreakable word (a long host name).
        assert len(line) <= width or LONG_HOST in line, line
    assert LONG_HOST in text


# --------------------------------------------------------------------------- point 8


def test_default_is_verdict_settings_findings_and_details_add_tables() -> None:
    report = _report()
    default = table.render(report)
    assert "Verdict" in default
    assert "Settings to use" in default
    assert "Candidates" not in default
    assert "Sources" not in default
    detailed = table.render(report, details=True)
    assert "Candidates" in detailed


def test_generic_no_working_server_is_left_out_when_a_specific_error_says_why() -> None:
    specific = Finding(
        "connect.refused",
        Severity.ERROR,
        "refused",
        protocol=Protocol.IMAP,
        host=LONG_HOST,
        port=993,
    )
    generic = Finding(
        "service.no_working_endpoint", Severity.ERROR, "No working IMAP server was found"
    )
    generic = Finding(generic.id, generic.severity, generic.summary, protocol=Protocol.IMAP)
    report = _report(status=ProbeStatus.REFUSED, findings=(specific, generic))
    assert "No working IMAP server" not in table.render(report)
    assert "No working IMAP server" in table.render(report, details=True)


def test_terms_get_a_one_line_legend_and_the_glossary() -> None:
    text = table.render(_report())
    assert "docs/glossary.md" in text
    assert "SSL/TLS   " in text or "SSL/TLS  " in text


# --------------------------------------------------------------------------- point 9


def test_colour_only_on_a_terminal_and_never_with_no_color() -> None:
    assert color_for(_Tty(), ColorMode.AUTO, {}) is True
    assert color_for(io.StringIO(), ColorMode.AUTO, {}) is False
    assert color_for(_Tty(), ColorMode.AUTO, {"NO_COLOR": "1"}) is False
    assert color_for(io.StringIO(), ColorMode.ALWAYS, {"NO_COLOR": "1"}) is True
    assert color_for(_Tty(), ColorMode.NEVER, {}) is False


def test_colours_mark_errors_red_warnings_yellow_and_works_green() -> None:
    error = Finding("e.e", Severity.ERROR, "bad")
    warning = Finding("w.w", Severity.WARNING, "hmm")
    text = table.render(_report(findings=(error, warning)), color=True)
    assert "\x1b[31mERROR" in text
    assert "\x1b[33mWARN" in text
    assert "\x1b[32mworks" in text
    plain = table.render(_report(findings=(error, warning)))
    assert "\x1b[" not in plain


def test_write_to_a_pipe_has_no_colour_and_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    out = io.StringIO()
    table.write(_report(), out)
    assert "\x1b[" not in out.getvalue()
    tty = _Tty()
    monkeypatch.delenv("NO_COLOR", raising=False)
    table.write(_report(), tty)
    assert "\x1b[32mworks" in tty.getvalue()


def test_quoted_server_text_is_cut_between_words() -> None:
    from mailprobe.diagnose.catalogue import clip

    text = "connecting to mail.other.test.example failed for reasons unknown to anyone"
    clipped = clip(text, 40)
    assert clipped == "connecting to mail.other.test.example..."
    assert clip(f"failed at {LONG_HOST} today", 30) == "failed at..."


def test_an_untrusted_certificate_is_not_plain_works() -> None:
    report = _report()
    (pc,) = report.candidates
    assert pc.probe is not None
    bad_tls = TlsInfo("TLSv1.3", "TLS_AES_256_GCM_SHA384", False, verify_error="self-signed")
    probe = replace(pc.probe, tls=bad_tls)
    report = replace(report, candidates=(ProbedCandidate(pc.candidate, probe),))
    text = " ".join(table.render(report).split())
    assert "IMAP CERT NOT TRUSTED" in text
    assert "TLS 1.3, certificate NOT trusted" in text
