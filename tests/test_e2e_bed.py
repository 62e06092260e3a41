"""End to end through the command line against the real bed (NSD, nginx, Dovecot, Postfix)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mailprobe.cli import run
from mailprobe.exit_status import ExitStatus
from schemacheck import valid_report, valid_scan_line
from testbed.info import BedInfo

REPO = Path(__file__).resolve().parent.parent


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, valid_report(out), err


def _probe_args(bed_args: list[str]) -> list[str]:
    """The bed options that `probe` takes (it has no discovery, so no --ispdb-url)."""
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


def _sources(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["source"]: s for s in doc["sources"]}


def test_discover_combines_autoconfig_ispdb_and_srv_with_provenance(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    code, doc, _ = _json(capsys, "discover", "alice@mailprobe.test", "--json", *bed_args)
    assert code == ExitStatus.OK
    imap = doc["recommended"]["imap"]
    assert (imap["host"], imap["port"], imap["security"]) == ("imap.mailprobe.test", 993, "tls")
    assert imap["trusted"] is True
    assert imap["verified"] is None
    assert {"autoconfig", "ispdb", "srv"} <= set(imap["sources"])
    first = doc["candidates"][0]
    by_source = {p["source"]: p for p in first["sources"]}
    assert by_source["autoconfig"]["trusted"] is True
    assert by_source["autoconfig"]["origin"].startswith("https://autoconfig.mailprobe.test/")
    assert by_source["srv"]["trusted"] is False
    assert by_source["srv"]["origin"] == "_imaps._tcp.mailprobe.test"
    assert doc["recommended"]["smtp"]["port"] == 465
    sources = _sources(doc)
    assert sources["autoconfig"]["status"] == "found"
    assert sources["srv"]["status"] == "found"
    assert "_pop3._tcp.mailprobe.test" in sources["srv"]["detail"]
    assert all(c["probe"] is None for c in doc["candidates"])


@pytest.mark.parametrize(
    ("domain", "reason_words"),
    [
        ("html.mailprobe.test", ("xml",)),
        ("truncated.mailprobe.test", ("xml",)),
        ("laughs.mailprobe.test", ("entit", "dtd")),
        ("big.mailprobe.test", ("1 mib", "larger", "too large")),
        ("loop.mailprobe.test", ("redirect",)),
        ("wrongcert.mailprobe.test", ("certificate",)),
        ("expired.mailprobe.test", ("expired",)),
        ("selfsigned.mailprobe.test", ("self-signed", "self signed")),
    ],
)
def test_hostile_or_broken_autoconfig_becomes_a_clear_source_outcome(
    capsys: pytest.CaptureFixture[str],
    bed_args: list[str],
    domain: str,
    reason_words: tuple[str, ...],
) -> None:
    start = time.monotonic()
    code, doc, _ = _json(
        capsys,
        "discover",
        f"alice@{domain}",
        "--json",
        "--timeout",
        "5",
        "--sources",
        "autoconfig",
        *bed_args,
    )
    assert time.monotonic() - start < 6
    assert code in (ExitStatus.OK, ExitStatus.NOT_FOUND)
    autoconfig = _sources(doc)["autoconfig"]
    assert autoconfig["status"] == "error", autoconfig
    detail = autoconfig["detail"].lower()
    assert any(word in detail for word in reason_words), detail


def test_redirect_to_http_is_refused_unless_allowed_and_then_untrusted(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    argv = ["discover", "alice@downgrade.mailprobe.test", "--json", "--sources", "autoconfig"]
    _code, strict, _ = _json(capsys, *argv, *bed_args)
    assert strict["candidates"] == []
    assert "http" in _sources(strict)["autoconfig"]["detail"].lower()
    _code, allowed, _ = _json(capsys, *argv, "--allow-http", *bed_args)
    assert allowed["candidates"], allowed["sources"]
    assert all(not c["trusted"] for c in allowed["candidates"])


def test_nonexistent_domain_finds_nothing_and_exits_3(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    code, doc, _ = _json(
        capsys, "discover", "alice@nothing.mailprobe.test", "--json", "--timeout", "5", *bed_args
    )
    assert code == ExitStatus.NOT_FOUND
    assert doc["candidates"] == []
    assert all(s["status"] in ("empty", "error", "skipped") for s in doc["sources"])


def test_custom_domain_hosted_elsewhere_is_found_through_the_mx_host(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    _code, doc, _ = _json(
        capsys, "discover", "alice@mxhosted.mailprobe.test", "--json", "--sources", "mx", *bed_args
    )
    mx = _sources(doc)["mx"]
    assert mx["status"] == "found", mx
    assert "hoster.test" in mx["detail"]
    assert doc["candidates"]
    assert all(not c["trusted"] for c in doc["candidates"])  # MX is not DNSSEC-validated


def test_check_verifies_every_service_against_the_real_servers(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    code, doc, _ = _json(capsys, "check", "alice@mailprobe.test", "--json", *bed_args)
    assert code in (ExitStatus.OK, ExitStatus.FINDINGS)
    for protocol in ("imap", "pop3", "smtp"):
        rec = doc["recommended"][protocol]
        assert rec["verified"] is True, (protocol, rec)
        assert rec["security"] == "tls"
    probes = [c["probe"] for c in doc["candidates"]]
    assert all(p is not None for p in probes)
    imaps = next(c for c in doc["candidates"] if c["port"] == 993)
    assert imaps["probe"]["status"] == "ok"
    assert imaps["probe"]["tls"]["verified"] is True
    assert imaps["probe"]["tls"]["version"] in ("TLSv1.2", "TLSv1.3")
    assert imaps["probe"]["tls"]["cert"]["days_left"] > 300
    assert imaps["probe"]["timings_ms"]["total"] > 0
    submission = next(c for c in doc["candidates"] if c["port"] == 587)
    assert submission["probe"]["capabilities_after_tls"]
    assert any("AUTH" in cap.upper() for cap in submission["probe"]["capabilities_after_tls"])


def _cli(
    args: list[str], env_extra: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MAILPROBE_PASSWORD"}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "mailprobe", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=False,
    )


def test_login_succeeds_and_the_password_never_appears_in_any_output(
    bed: BedInfo, bed_args: list[str]
) -> None:
    password = bed.user.password
    proc = _cli(
        ["check", bed.user.address, "--login", "--json", "--debug", *bed_args],
        {"MAILPROBE_PASSWORD": password},
    )
    assert password not in proc.stdout
    assert password not in proc.stderr
    doc = valid_report(proc.stdout)
    logins = [c["probe"]["login"] for c in doc["candidates"] if c["probe"]["login"]]
    assert logins
    assert any(login["status"] == "ok" for login in logins), logins
    for protocol in ("imap", "pop3", "smtp"):
        rec = doc["recommended"][protocol]
        assert rec["login"]["status"] == "ok", (protocol, rec)
        assert (rec["probe_status"], rec["probe_reason"], rec["verified"]) == ("ok", "", True)
    table = _cli(
        ["check", bed.user.address, "--login", *bed_args], {"MAILPROBE_PASSWORD": password}
    )
    assert password not in table.stdout + table.stderr


def test_wrong_password_is_classified_and_not_echoed(bed: BedInfo, bed_args: list[str]) -> None:
    wrong = "Wr0ng-" + bed.user.password[::-1]
    proc = _cli(
        ["check", bed.user.address, "--login", "--password-stdin", "--json", "--debug", *bed_args],
        {},
        stdin=wrong + "\n",
    )
    assert wrong not in proc.stdout + proc.stderr
    assert proc.returncode == ExitStatus.FINDINGS
    doc = valid_report(proc.stdout)
    statuses = {c["probe"]["login"]["status"] for c in doc["candidates"] if c["probe"]["login"]}
    assert "wrong_credentials" in statuses
    # The recommendation says what happened at its own endpoint: a rejected password is
    # not "verified", and `.recommended.imap.login.status` answers without a join.
    for protocol in ("imap", "pop3", "smtp"):
        rec = doc["recommended"][protocol]
        assert rec["login"]["status"] == "wrong_credentials", (protocol, rec)
        assert rec["probe_status"] == "auth_failed"
        assert "wrong_credentials" in rec["probe_reason"]
        assert rec["verified"] is False
        same = [
            c
            for c in doc["candidates"]
            if (c["protocol"], c["host"], c["port"], c["security"])
            == (protocol, rec["host"], rec["port"], rec["security"])
        ]
        assert [c["probe"]["login"] for c in same] == [rec["login"]]


def test_probe_with_a_wrong_password_is_not_verified(bed: BedInfo, bed_args: list[str]) -> None:
    wrong = "Wr0ng-" + bed.user.password[::-1]
    proc = _cli(
        [
            "probe",
            "imap.mailprobe.test:993",
            "--protocol",
            "imap",
            "--login",
            "--username",
            bed.user.address,
            "--password-stdin",
            "--json",
            *_probe_args(bed_args),
        ],
        {},
        stdin=wrong + "\n",
    )
    assert wrong not in proc.stdout + proc.stderr
    rec = valid_report(proc.stdout)["recommended"]["imap"]
    assert rec["login"]["status"] == "wrong_credentials", rec
    assert rec["probe_status"] == "auth_failed"
    assert rec["verified"] is False


def test_probe_names_the_mode_a_port_really_speaks(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    code, doc, _ = _json(
        capsys,
        "probe",
        "imap.mailprobe.test:143",
        "--protocol",
        "imap",
        "--security",
        "tls",
        "--json",
        *_probe_args(bed_args),
    )
    assert code == ExitStatus.FINDINGS
    (candidate,) = doc["candidates"]
    assert candidate["probe"]["detected_security"] == "starttls"
    assert any("STARTTLS" in f["advice"] for f in doc["findings"])


def test_probe_fills_in_missing_port_and_mode(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    code, doc, _ = _json(
        capsys,
        "probe",
        "smtp.mailprobe.test",
        "--protocol",
        "smtp",
        "--json",
        *_probe_args(bed_args),
    )
    assert {(c["port"], c["security"]) for c in doc["candidates"]} == {
        (465, "tls"),
        (587, "starttls"),
    }
    assert doc["recommended"]["smtp"]["verified"] is True
    assert code in (ExitStatus.OK, ExitStatus.FINDINGS)


def test_scan_writes_one_json_line_per_input_in_order(tmp_path: Path, bed_args: list[str]) -> None:
    listing = tmp_path / "addresses.txt"
    listing.write_text(
        "# comment\nalice@mailprobe.test\nnot-an-address@\n\nispdbonly.mailprobe.test\n"
    )
    proc = _cli(["scan", str(listing), *bed_args], {})
    lines = [valid_scan_line(line) for line in proc.stdout.splitlines()]
    assert [line["input"] for line in lines] == [
        "alice@mailprobe.test",
        "not-an-address@",
        "ispdbonly.mailprobe.test",
    ]
    assert lines[0]["schema_version"] == 1
    assert lines[0]["recommended"]["imap"]["host"] == "imap.mailprobe.test"
    assert "error" in lines[1]
    assert lines[2]["candidates"]
    assert proc.returncode == ExitStatus.FINDINGS


def test_weak_tls_option_names_servers_that_still_accept_tls_1_1(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    args = _probe_args(bed_args)
    _code, postfix, _ = _json(
        capsys, "probe", "smtp.mailprobe.test:465", "--weak-tls", "--json", *args
    )
    _code, dovecot, _ = _json(
        capsys, "probe", "imap.mailprobe.test:993", "--weak-tls", "--json", *args
    )
    assert "tls.old_version_accepted" in {f["id"] for f in postfix["findings"]}
    assert postfix["candidates"][0]["probe"]["weak_tls_version"] in ("TLSv1", "TLSv1.1")
    assert "tls.old_version_accepted" not in {f["id"] for f in dovecot["findings"]}
    for doc in (postfix, dovecot):
        probe = doc["candidates"][0]["probe"]
        assert probe["weak_tls_checked"] is True
        assert probe["connections"] == 2
