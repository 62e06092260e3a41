"""Baselines against the real bed: a stored report, then the same endpoint served with
another certificate (signed by the bed's CA) and another TLS version by a small TLS
server, reached through a `--connect-to` rule placed before the bed's own rules."""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any

import pytest

from mailprobe.cli import run
from mailprobe.exit_status import ExitStatus
from testbed.info import BedInfo
from threadserve import bed_signed_leaf, serve_in_thread, tls_imap


def _probe_args(bed_args: list[str]) -> list[str]:
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


def _run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, json.loads(out)


def _ids(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in doc["changes"]}


@pytest.fixture
def stored(tmp_path: Path, capsys: pytest.CaptureFixture[str], bed_args: list[str]) -> Path:
    """A real `probe imap.mailprobe.test:993 --json` report of the bed, stored as a file."""
    code, doc = _run_json(
        capsys, "probe", "imap.mailprobe.test:993", "--json", *_probe_args(bed_args)
    )
    assert code == ExitStatus.OK
    assert doc["changes"] == []
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc))
    return path


def test_another_certificate_and_lower_tls_version_are_changes(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    bed: BedInfo,
    bed_args: list[str],
    stored: Path,
) -> None:
    old = json.loads(stored.read_text())
    old_cert = old["candidates"][0]["probe"]["tls"]["cert"]
    pair = bed_signed_leaf(tmp_path, bed.ca_file, ["imap.mailprobe.test"], days=400, stem="new")
    with serve_in_thread(tls_imap(pair, max_version=ssl.TLSVersion.TLSv1_2)) as server:
        rule = f"imap.mailprobe.test:993:127.0.0.1:{server.port}"
        argv = ["probe", "imap.mailprobe.test:993", "--json", "--connect-to", rule]
        code, doc = _run_json(capsys, *argv, *_probe_args(bed_args), "--baseline", str(stored))
    assert server.connections >= 1
    changes = _ids(doc)
    cert = changes["change.cert"]
    assert cert["severity"] == "info"  # verified, valid for longer: a renewal
    assert (cert["protocol"], cert["host"], cert["port"]) == ("imap", "imap.mailprobe.test", 993)
    assert old_cert["not_after"] in cert["before"]
    new_cert = doc["candidates"][0]["probe"]["tls"]["cert"]
    assert new_cert["not_after"] in cert["after"]
    assert new_cert["not_after"] > old_cert["not_after"]
    version = changes["change.tls_version"]
    assert (version["severity"], version["before"], version["after"]) == (
        "error",
        "TLSv1.3",
        "TLSv1.2",
    )
    for change in doc["changes"]:
        assert set(change) == {
            "id",
            "severity",
            "protocol",
            "host",
            "port",
            "before",
            "after",
            "summary",
        }
    # A lowered TLS version is an error, so the run fails at the default --fail-on error.
    assert code == ExitStatus.FINDINGS

    # `mailprobe diff` of the two stored reports says the same and exits the same way.
    new = tmp_path / "new.json"
    new.write_text(json.dumps(doc))
    code, diffed = _run_json(capsys, "diff", str(stored), str(new), "--format", "json")
    assert code == ExitStatus.FINDINGS
    assert diffed["changes"] == doc["changes"]
    code, _ = _run_json(
        capsys, "diff", str(stored), str(new), "--json", "--fail-on-id", "change.nothing"
    )
    assert code == ExitStatus.FINDINGS
    code = run(["diff", str(stored), str(stored)])
    out, _ = capsys.readouterr()
    assert code == ExitStatus.OK
    assert out.startswith("No changes")


def test_renewed_certificate_alone_is_info_and_passes(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    bed: BedInfo,
    bed_args: list[str],
    stored: Path,
) -> None:
    pair = bed_signed_leaf(tmp_path, bed.ca_file, ["imap.mailprobe.test"], days=500, stem="r")
    with serve_in_thread(tls_imap(pair)) as server:
        rule = f"imap.mailprobe.test:993:127.0.0.1:{server.port}"
        code, doc = _run_json(
            capsys,
            "probe",
            "imap.mailprobe.test:993",
            "--json",
            "--connect-to",
            rule,
            *_probe_args(bed_args),
            "--baseline",
            str(stored),
        )
    changes = _ids(doc)
    assert changes["change.cert"]["severity"] == "info"
    assert "change.tls_version" not in changes
    assert all(c["severity"] != "error" for c in doc["changes"])
    assert code == ExitStatus.OK
    # ... unless the pipeline asks to fail on any certificate change.
    new = tmp_path / "new.json"
    new.write_text(json.dumps(doc))
    assert run(["diff", str(stored), str(new), "--fail-on-id", "change.cert"]) == 1
    out, _ = capsys.readouterr()
    assert "change.cert" in out


def test_service_that_stops_working_is_an_error_change(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    bed_args: list[str],
    stored: Path,
) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    rule = f"imap.mailprobe.test:993:127.0.0.1:{closed}"
    code, doc = _run_json(
        capsys,
        "probe",
        "imap.mailprobe.test:993",
        "--json",
        "--connect-to",
        rule,
        *_probe_args(bed_args),
        "--baseline",
        str(stored),
    )
    changes = _ids(doc)
    assert changes["change.service"]["severity"] == "error"
    assert changes["change.service"]["before"] == "works"
    new_findings = [c for c in doc["changes"] if c["id"] == "change.finding.new"]
    assert any(c["severity"] == "error" for c in new_findings)
    assert code == ExitStatus.UNTESTABLE  # every probe refused: 4 comes before 1


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        ({"schema_version": 2}, "schema_version 2 cannot be compared"),
        ({"schema_version": None}, "not a number"),
        ({"address": "bob@example.org"}, "report for bob@example.org, not for imap.mailprobe"),
    ],
)
def test_unusable_baseline_is_a_usage_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    bed_args: list[str],
    stored: Path,
    edit: dict[str, Any],
    words: str,
) -> None:
    doc = json.loads(stored.read_text())
    doc.update(edit)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    code = run(["probe", "imap.mailprobe.test:993", *_probe_args(bed_args), "--baseline", str(bad)])
    out, err = capsys.readouterr()
    assert code == ExitStatus.USAGE
    assert words in err
    assert out == ""
