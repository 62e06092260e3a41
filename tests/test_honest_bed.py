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
    assert code == ExitStatus.OK  # the ISPDB still has the settings
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
