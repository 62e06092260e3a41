"""Issue 9 on the real bed: every verdict and piece of advice is true of what was observed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mailprobe.cli import run
from mailprobe.exit_status import ExitStatus
from testbed import BedInfo


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, json.loads(out)


def _text(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out


def probe_args(bed_args: list[str]) -> list[str]:
    """The bed options `probe` takes (it runs no discovery, so no --ispdb-url)."""
    out: list[str] = []
    skip = False
    for arg in bed_args:
        if skip:
            skip = False
        elif arg == "--ispdb-url":
            skip = True
        else:
            out.append(arg)
    return out


def _ids(doc: dict[str, Any]) -> list[str]:
    return [f["id"] for f in doc["findings"]]


# --------------------------------------------------------------------------- point 2


def test_starttls_typed_on_465_is_not_blamed_on_the_network(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    code, doc = _json(
        capsys,
        "probe",
        "smtp.mailprobe.test:465",
        "-s",
        "starttls",
        "--json",
        "--timeout",
        "4",
        *probe_args(bed_args),
    )
    assert code != ExitStatus.UNTESTABLE  # the server answered
    assert "mode.expects_tls" in _ids(doc)
    assert not any("another network" in f["advice"] for f in doc["findings"])


def test_a_refused_port_is_an_answer_not_exit_4(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    # Nothing listens on 2525: the bed's host answers with a refusal.
    code, doc = _json(
        capsys,
        "probe",
        "smtp.mailprobe.test:2525",
        "--protocol",
        "smtp",
        "-s",
        "starttls",
        "--json",
        "--timeout",
        "4",
        *probe_args(bed_args),
    )
    assert code == ExitStatus.FINDINGS
    assert "connect.refused" in _ids(doc)
    assert not any("another network" in f["advice"] for f in doc["findings"])


def test_offline_unknown_domain_claims_nothing_about_sources_never_asked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, doc = _json(capsys, "check", "alice@unknown-domain.test", "--offline", "--json")
    assert code == ExitStatus.NOT_FOUND
    (f,) = [f for f in doc["findings"] if f["id"] == "discovery.nothing_found"]
    assert "publishes" not in f["advice"]
    assert "SRV records" not in f["advice"]
    assert "Not asked" in f["advice"]


def test_a_broken_provider_is_not_called_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _json(capsys, "check", "alice@hey.com", "--offline", "--json")
    assert code == ExitStatus.NOT_FOUND
    assert "provider.broken" in _ids(doc)
    text = " ".join(f["summary"] + " " + f["advice"] for f in doc["findings"])
    assert "not in mailprobe's database" not in text


# --------------------------------------------------------------------------- point 5


@pytest.mark.parametrize(
    ("domain", "words"),
    [
        ("html.mailprobe.test", "HTML page"),
        ("laughs.mailprobe.test", "DTD or entities"),
        ("loop.mailprobe.test", "redirect loop"),
        ("wrongcert.mailprobe.test", "not valid for this host name"),
    ],
)
def test_a_broken_autoconfig_is_a_warning_with_its_url(
    capsys: pytest.CaptureFixture[str], bed_args: list[str], domain: str, words: str
) -> None:
    code, doc = _json(
        capsys,
        "discover",
        f"alice@{domain}",
        "--json",
        "--timeout",
        "5",
        "--fail-on",
        "warning",
        *bed_args,
    )
    broken = [f for f in doc["findings"] if f["id"] == "discovery.autoconfig_broken"]
    url = f"https://autoconfig.{domain}/mail/config-v1.1.xml"
    mine = [f for f in broken if url in f["summary"]]
    assert mine, doc["findings"]
    assert mine[0]["severity"] == "warning"
    assert words in mine[0]["summary"]
    assert code in (ExitStatus.FINDINGS, ExitStatus.NOT_FOUND)
    assert code != ExitStatus.OK


def test_broken_autoconfig_fails_fail_on_warning_where_settings_exist(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    argv = ["discover", "alice@wrongcert.mailprobe.test", "--json", "--timeout", "5", *bed_args]
    code, _ = _json(capsys, *argv)
    assert code == ExitStatus.OK  # guessed names still give candidates
    code, _ = _json(capsys, *argv, "--fail-on", "warning")
    assert code == ExitStatus.FINDINGS


# --------------------------------------------------------------------------- point 6


def test_good_news_does_not_fail_fail_on_info(
    capsys: pytest.CaptureFixture[str], bed: BedInfo, bed_args: list[str]
) -> None:
    # imap2 refuses passwords until TLS (LOGINDISABLED): good news only.
    code, doc = _json(
        capsys,
        "probe",
        "imap2.mailprobe.test:143",
        "--protocol",
        "imap",
        "--json",
        "--fail-on",
        "info",
        *probe_args(bed_args),
    )
    severities = {f["id"]: f["severity"] for f in doc["findings"]}
    assert severities.get("imap.logindisabled") == "good"
    assert set(severities.values()) == {"good"}
    assert code == ExitStatus.OK


def test_a_working_login_is_good_news(
    capsys: pytest.CaptureFixture[str],
    bed: BedInfo,
    bed_args: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAILPROBE_PASSWORD", bed.user.password)
    code, doc = _json(
        capsys,
        "probe",
        "imap.mailprobe.test:993",
        "--login",
        "--username",
        bed.user.username,
        "--json",
        "--fail-on",
        "info",
        *probe_args(bed_args),
    )
    assert [(f["id"], f["severity"]) for f in doc["findings"]] == [("login.ok", "good")]
    assert code == ExitStatus.OK


def test_fail_on_good_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["check", "alice@gmail.com", "--offline", "--fail-on", "good"]) == 2
    assert "good news never fails" in capsys.readouterr().err


# --------------------------------------------------------------------------- point 1


@pytest.mark.parametrize("command", ["check", "probe"])
def test_a_wrong_password_never_reads_works(
    capsys: pytest.CaptureFixture[str],
    bed_args: list[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    monkeypatch.setenv("MAILPROBE_PASSWORD", "not-the-password")
    if command == "check":
        argv = ["check", "alice@mailprobe.test", "--login", *bed_args]
    else:
        argv = [
            "probe",
            "imap.mailprobe.test:993",
            "--login",
            "--username",
            "alice@mailprobe.test",
            *probe_args(bed_args),
        ]
    code, text = _text(capsys, *argv)
    assert code == ExitStatus.FINDINGS
    verdict = " ".join(text.split("Settings to use")[0].split())
    assert "works" not in verdict
    assert "IMAP LOGIN FAILED" in verdict
    assert "reachable, TLS 1.3 OK, login rejected: wrong user name or password" in verdict


# --------------------------------------------------------------------------- points 7, 8, 9


def test_real_output_fits_80_columns_and_shows_the_verdict_first(
    capsys: pytest.CaptureFixture[str], bed_args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    code, text = _text(capsys, "alice@mailprobe.test", *bed_args)
    assert code == ExitStatus.OK
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[2] == "Verdict"
    assert "Candidates" not in text
    assert "Sources" not in text
    assert "\x1b[" not in text  # piped: no colour
    _, brief = _text(capsys, "alice@mailprobe.test", "--brief", *bed_args)
    assert "Candidates" not in brief  # --brief is the default
    _, detailed = _text(capsys, "alice@mailprobe.test", "--details", *bed_args)
    assert "Candidates" in detailed
    assert "Sources" in detailed
    assert max(len(line) for line in detailed.splitlines()) <= 80
    assert "https://" not in detailed  # URLs shortened in tables
    assert not any(" ms" in line and "." in line.split(" ms")[0][-4:] for line in lines)


def test_columns_and_colour_options(
    capsys: pytest.CaptureFixture[str], bed_args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    _, text = _text(capsys, "alice@mailprobe.test", "--color", "always", *bed_args)
    assert "\x1b[32mworks" in text
    assert max(len(line) for line in text.splitlines() if "\x1b" not in line) <= 60
    monkeypatch.setenv("NO_COLOR", "1")
    _, text = _text(capsys, "alice@mailprobe.test", "--color", "never", *bed_args)
    assert "\x1b[" not in text


# --------------------------------------------------------------------------- point 10


@pytest.mark.parametrize(
    "pasted",
    ["Alice <alice@mailprobe.test>", "mailto:alice@mailprobe.test", "alice@mailprobe.test,"],
)
def test_pasted_addresses_work_on_the_bed(
    capsys: pytest.CaptureFixture[str], bed_args: list[str], pasted: str
) -> None:
    code, doc = _json(capsys, "discover", pasted, "--json", *bed_args)
    assert code == ExitStatus.OK
    assert doc["address"] == "alice@mailprobe.test"


def test_an_address_with_a_port_points_to_probe(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["alice@example.org:993"]) == ExitStatus.USAGE
    assert "mailprobe probe" in capsys.readouterr().err


def test_idn_is_shown_in_unicode_with_the_a_label_in_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, doc = _json(capsys, "check", "alice@bücher.example", "--offline", "--json")
    assert doc["domain"] == "xn--bcher-kva.example"
    assert doc["domain_unicode"] == "bücher.example"
    _, text = _text(capsys, "check", "alice@bücher.example", "--offline")
    assert text.splitlines()[0].startswith("alice@bücher.example")


@pytest.mark.parametrize(
    ("typo", "meant"), [("gmial.com", "gmail.com"), ("outlok.com", "outlook.com")]
)
def test_a_mistyped_provider_domain_gets_did_you_mean(
    capsys: pytest.CaptureFixture[str], typo: str, meant: str
) -> None:
    code, doc = _json(capsys, "check", f"alice@{typo}", "--offline", "--json")
    assert code == ExitStatus.NOT_FOUND
    (f,) = [f for f in doc["findings"] if f["id"] == "discovery.nothing_found"]
    assert f"Did you mean {meant}?" in f["advice"]


def test_a_mistyped_command_gets_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["discovr", "alice@example.org"]) == ExitStatus.USAGE
    assert "did you mean `mailprobe discover`" in capsys.readouterr().err


# --------------------------------------------------------------------------- point 11


def test_a_non_standard_port_is_detected_with_protocol_alone(
    capsys: pytest.CaptureFixture[str], bed: BedInfo
) -> None:
    port = bed.ports["imaps"]
    code, doc = _json(
        capsys,
        "probe",
        f"imap.mailprobe.test:{port}",
        "--protocol",
        "imap",
        "--json",
        "--nameserver",
        bed.nameserver,
        "--ca-file",
        str(bed.ca_file),
        "--connect-to",
        f"imap.mailprobe.test:{port}:127.0.0.1:{port}",
        "--username",
        "alice",
    )
    assert code == ExitStatus.OK
    rec = doc["recommended"]["imap"]
    assert (rec["port"], rec["security"], rec["verified"]) == (port, "tls", True)
    assert rec["username"] == "alice"  # --username is kept
    assert doc["typed"][0]["security"] == "tls"
    assert not [f for f in doc["findings"] if f["severity"] == "error"]


def test_a_failing_typed_setting_shows_the_working_one_and_what_failed(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    argv = ["probe", "smtp.mailprobe.test:465", "-s", "starttls", "--timeout", "4"]
    code, doc = _json(capsys, *argv, "--json", *probe_args(bed_args))
    assert code == ExitStatus.FINDINGS  # what was typed is wrong
    rec = doc["recommended"]["smtp"]
    assert (rec["port"], rec["security"], rec["verified"]) == (465, "tls", True)
    assert doc["typed"] == [
        {
            "protocol": "smtp",
            "host": "smtp.mailprobe.test",
            "port": 465,
            "security": "starttls",
            "username": None,
            "auth": [],
        }
    ]
    _, text = _text(capsys, *argv, *probe_args(bed_args))
    flat = " ".join(text.split())
    assert "SMTP works smtp.mailprobe.test:465 SSL/TLS" in flat
    assert "typed FAILED smtp.mailprobe.test:465 STARTTLS: reachable, but the port speaks" in flat


def test_probe_with_address_names_each_difference(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    code, doc = _json(
        capsys,
        "probe",
        "smtp.mailprobe.test:587",
        "-s",
        "starttls",
        "--username",
        "alice",
        "--address",
        "alice@mailprobe.test",
        "--json",
        *bed_args,
    )
    differs = {f["summary"] for f in doc["findings"] if f["id"] == "typed.differs"}
    assert any("The port typed for SMTP is 587" in s and "recommends 465" in s for s in differs)
    assert any("The security typed for SMTP is STARTTLS" in s for s in differs)
    assert any("The user name typed for SMTP is alice" in s for s in differs)
    assert not any("server typed" in s for s in differs)  # the host matches
    assert code == ExitStatus.OK  # differences are warnings; the typed setting works
