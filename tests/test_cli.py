"""The command-line contract: exit codes, stdout/stderr split, default command, JSON shape."""

from __future__ import annotations

import json

import pytest

from mailprobe.cli import run
from mailprobe.exit_status import ExitStatus, exit_status_for
from mailprobe.models import (
    Candidate,
    Finding,
    ProbedCandidate,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Provenance,
    Report,
    Security,
    ServerSetting,
    Severity,
    SourceId,
)
from schemacheck import valid_report, valid_scan_line


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "address",
    [
        "",
        "alice",
        "a@b@example.org",
        "al ice@example.org",
        "alice@" + "x" * 64 + ".org",
        "alice@exa\x07mple.org",
        "alice@localhost",
    ],
)
def test_invalid_address_gives_one_error_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], address: str
) -> None:
    code, out, err = _run(capsys, "discover", address, "--offline")
    assert code == ExitStatus.USAGE
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("mailprobe: error: ")
    assert "Traceback" not in err


def test_bad_option_value_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "discover", "alice@example.org", "--nameserver", "dns.example")
    assert code == ExitStatus.USAGE
    assert out == ""
    assert "--nameserver" in err


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _run(capsys, "discover", "alice@example.org", "--frobnicate")
    assert code == ExitStatus.USAGE
    assert "frobnicate" in err


def test_offline_gmail_answers_from_the_bundled_database(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = _run(capsys, "you@gmail.com", "--offline")
    assert code == ExitStatus.OK, err
    assert "imap.gmail.com" in out
    assert "smtp.gmail.com" in out
    assert "provider_db" in out


def test_offline_json_follows_schema_1_with_null_probes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _err = _run(capsys, "discover", "you@gmail.com", "--offline", "--json")
    assert code == ExitStatus.OK
    doc = valid_report(out)
    assert doc["schema_version"] == 1
    assert doc["address"] == "you@gmail.com"
    assert doc["domain"] == "gmail.com"
    assert doc["provider"]["id"]
    imap = doc["recommended"]["imap"]
    assert imap["host"] == "imap.gmail.com"
    assert imap["port"] == 993
    assert imap["security"] == "tls"
    assert imap["verified"] is None
    assert imap["sources"] == ["provider_db"]
    assert imap["provenance"] == [
        {"source": "provider_db", "origin": "provider_db:gmail", "trusted": True}
    ]
    assert imap["probe_status"] is None
    assert imap["login"] is None
    assert doc["provider"]["domains"][0] == "gmail.com"
    assert doc["probed"] is False
    assert set(doc["recommended"]) == {"imap", "pop3", "smtp"}
    assert all(c["probe"] is None for c in doc["candidates"])
    sources = {s["source"]: s["status"] for s in doc["sources"]}
    assert sources["provider_db"] == "found"
    assert sources["srv"] == "skipped"


def test_json_output_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    """Three runs (the first with cold caches) print the same report, apart from the
    fields that measure the run itself."""

    def strip(text: str) -> dict[str, object]:
        doc = valid_report(text)
        assert doc.pop("generated_at")
        assert doc.pop("duration_ms") >= 0
        for s in doc["sources"]:
            s["elapsed_ms"] = 0
        return doc

    runs = [_run(capsys, "discover", "you@gmail.com", "--offline", "--json") for _ in range(3)]
    assert [code for code, _out, _err in runs] == [ExitStatus.OK] * 3
    first, second, third = (strip(out) for _code, out, _err in runs)
    assert first == second == third
    assert first["candidates"]


def test_unknown_domain_offline_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _run(capsys, "discover", "alice@unknown-domain.test", "--offline", "--json")
    assert code == ExitStatus.NOT_FOUND
    assert valid_report(out)["candidates"] == []


def test_bare_address_means_check(capsys: pytest.CaptureFixture[str]) -> None:
    a = _run(capsys, "you@gmail.com", "--offline", "--json")
    b = _run(capsys, "check", "you@gmail.com", "--offline", "--json")
    assert a[0] == b[0] == ExitStatus.OK
    assert valid_report(a[1])["recommended"] == valid_report(b[1])["recommended"]


def test_help_teaches_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _run(capsys, "--help")
    assert code == 0
    for command in ("check", "discover", "probe", "scan", "db", "schema"):
        assert command in out


def test_login_refuses_offline_and_password_stdin_needs_login(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _run(capsys, "check", "you@gmail.com", "--offline", "--login")[0] == ExitStatus.USAGE
    code, _out, err = _run(capsys, "check", "you@gmail.com", "--password-stdin")
    assert code == ExitStatus.USAGE
    assert "--login" in err


def test_probe_without_protocol_on_an_odd_port_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _out, err = _run(capsys, "probe", "mail.example.org:2525")
    assert code == ExitStatus.USAGE
    assert "--protocol" in err


def _report(findings: tuple[Finding, ...], statuses: tuple[ProbeStatus, ...]) -> Report:
    setting = ServerSetting(Protocol.IMAP, "imap.example.org", 993, Security.TLS)
    candidate = Candidate(setting, (Provenance(SourceId.SRV, "x", False),))
    probed = tuple(ProbedCandidate(candidate, ProbeResult(s)) for s in statuses)
    return Report("a@example.org", "example.org", None, {}, probed, (), findings, probed=True)


def test_exit_status_rules() -> None:
    warning = Finding("x.warn", Severity.WARNING, "w")
    error = Finding("x.err", Severity.ERROR, "e")
    empty = Report("a@example.org", "example.org", None, {}, (), (), ())
    assert exit_status_for(empty) == ExitStatus.NOT_FOUND
    assert exit_status_for(_report((), (ProbeStatus.OK,))) == ExitStatus.OK
    blocked = _report((error,), (ProbeStatus.TIMEOUT, ProbeStatus.REFUSED))
    assert exit_status_for(blocked) == ExitStatus.UNTESTABLE
    mixed = _report((error,), (ProbeStatus.TIMEOUT, ProbeStatus.TLS_ERROR))
    assert exit_status_for(mixed) == ExitStatus.FINDINGS
    assert exit_status_for(_report((warning,), (ProbeStatus.OK,))) == ExitStatus.OK
    assert (
        exit_status_for(_report((warning,), (ProbeStatus.OK,)), Severity.WARNING)
        == ExitStatus.FINDINGS
    )


def test_scan_offline_keeps_input_order_and_reports_bad_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    data = b"# list\nyahoo.com\n\nbad@@x\nyou@gmail.com\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, _err = _run(capsys, "scan", "-", "--offline")
    records = [valid_scan_line(line) for line in out.splitlines()]
    assert [r["input"] for r in records] == ["yahoo.com", "bad@@x", "you@gmail.com"]
    assert records[0]["address"] == "postmaster@yahoo.com"
    assert records[0]["recommended"]["imap"]["host"]
    assert records[1]["exit_status"] == ExitStatus.USAGE
    assert "error" in records[1]
    assert records[2]["recommended"]["imap"]["host"] == "imap.gmail.com"
    assert code == ExitStatus.FINDINGS


def test_scan_of_an_unreadable_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "scan", "/nonexistent/list.txt", "--offline")
    assert code == ExitStatus.USAGE
    assert out == ""
    assert "cannot read" in err


@pytest.mark.parametrize("flag", ["--sender-check", "--allow-plaintext-login", "--password-stdin"])
def test_login_only_flags_without_login_are_usage_errors(
    capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    code, out, err = _run(capsys, "check", "you@gmail.com", flag)
    assert code == ExitStatus.USAGE
    assert out == ""
    assert f"{flag} only makes sense with --login" in err


def test_login_without_any_password_source_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.delenv("MAILPROBE_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _out, err = _run(capsys, "check", "you@gmail.com", "--login", "--timeout", "1")
    assert code == ExitStatus.USAGE
    assert "MAILPROBE_PASSWORD" in err


def test_json_report_says_when_it_was_made_and_how_long_it_took(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import re
    from datetime import UTC, datetime, timedelta

    before = datetime.now(UTC)
    code, out, _err = _run(capsys, "discover", "you@gmail.com", "--offline", "--json")
    after = datetime.now(UTC)
    doc = valid_report(out)
    assert code == ExitStatus.OK
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", doc["generated_at"])
    made = datetime.fromisoformat(doc["generated_at"])
    assert before - timedelta(milliseconds=1) <= made <= after
    assert 0 <= doc["duration_ms"] <= (after - before).total_seconds() * 1000 + 1


def test_schema_command_prints_the_shipped_schema(capsys: pytest.CaptureFixture[str]) -> None:
    from mailprobe.render.schema import load_schema_text

    code, out, err = _run(capsys, "schema")
    assert code == ExitStatus.OK
    assert err == ""
    assert out == load_schema_text()
    schema = json.loads(out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "ScanLine" in schema["$defs"]
