"""Baseline comparison on report documents: every change id, severities, old reports."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from mailprobe.baseline import compare_reports, load_baseline
from mailprobe.errors import BaselineError
from mailprobe.models import Protocol, Severity


def _doc() -> dict[str, Any]:
    """A schema_version 1 report as mailprobe 0.1 wrote it (no `changes`, no `policy`)."""
    cert = {
        "subject": "CN=imap.example.org",
        "san": ["imap.example.org"],
        "issuer": "CN=Example CA",
        "not_after": "2027-01-01T00:00:00Z",
        "days_left": 36,
        "self_signed": False,
    }
    probe = {
        "status": "ok",
        "tls": {"version": "TLSv1.3", "cipher": "x", "verified": True, "cert": cert},
    }
    return {
        "schema_version": 1,
        "mailprobe_version": "0.1.0",
        "address": "alice@example.org",
        "domain": "example.org",
        "recommended": {
            "imap": {"host": "imap.example.org", "port": 993, "security": "tls", "verified": True},
            "pop3": None,
            "smtp": {"host": "smtp.example.org", "port": 465, "security": "tls", "verified": True},
        },
        "candidates": [
            {
                "protocol": "imap",
                "host": "imap.example.org",
                "port": 993,
                "security": "tls",
                "probe": probe,
            }
        ],
        "sources": [],
        "findings": [
            {
                "id": "smtp.size_limit",
                "severity": "info",
                "protocol": "smtp",
                "host": "smtp.example.org",
                "port": 465,
                "summary": "accepts messages up to 10 MB.",
                "advice": "",
            }
        ],
    }


def test_same_report_has_no_changes() -> None:
    assert compare_reports(_doc(), _doc()) == ()


def test_setting_and_service_changes() -> None:
    new = _doc()
    new["recommended"]["imap"] = {
        "host": "imap.example.org",
        "port": 143,
        "security": "starttls",
        "verified": True,
    }
    new["recommended"]["smtp"]["verified"] = False
    changes = {c.id + ":" + str(c.protocol): c for c in compare_reports(_doc(), new)}
    setting = changes["change.setting:imap"]
    assert setting.severity is Severity.WARNING
    assert (setting.before, setting.after) == (
        "imap.example.org:993 tls",
        "imap.example.org:143 starttls",
    )
    service = changes["change.service:smtp"]
    assert service.severity is Severity.ERROR
    assert (service.before, service.after) == ("works", "not working")
    # ... and back: working again is good news.
    back = {c.id: c for c in compare_reports(new, _doc()) if c.protocol is Protocol.SMTP}
    assert back["change.service"].severity is Severity.INFO


def test_new_and_resolved_findings() -> None:
    new = _doc()
    new["findings"] = [
        {
            "id": "tls.cert.expiring",
            "severity": "warning",
            "protocol": "imap",
            "host": "imap.example.org",
            "port": 993,
            "summary": "expires in 20 days",
            "advice": "",
            "policy": None,
        },
        {
            "id": "policy.tls.min_version",
            "severity": "error",
            "protocol": "imap",
            "host": "imap.example.org",
            "port": 993,
            "summary": "below 1.3",
            "advice": "",
            "policy": "tls.min_version",
        },
    ]
    changes = compare_reports(_doc(), new)
    assert [(c.id, c.severity) for c in changes] == [
        ("change.finding.new", Severity.ERROR),
        ("change.finding.new", Severity.WARNING),
        ("change.finding.resolved", Severity.INFO),
    ]
    assert changes[0].after == "policy.tls.min_version (error)"
    assert changes[2].before == "smtp.size_limit (info)"


def test_same_finding_with_new_words_is_no_change() -> None:
    old, new = _doc(), _doc()
    new["findings"][0]["summary"] = "accepts messages up to 20 MB."
    assert compare_reports(old, new) == ()


@pytest.mark.parametrize(
    ("before", "after", "severity"),
    [
        ("TLSv1.3", "TLSv1.2", Severity.ERROR),
        ("TLSv1.2", "TLSv1.3", Severity.INFO),
        ("TLSv1.1", "TLSv1", Severity.ERROR),
    ],
)
def test_tls_version_changes(before: str, after: str, severity: Severity) -> None:
    old, new = _doc(), _doc()
    old["candidates"][0]["probe"]["tls"]["version"] = before
    new["candidates"][0]["probe"]["tls"]["version"] = after
    [change] = compare_reports(old, new)
    assert (change.id, change.severity, change.before, change.after) == (
        "change.tls_version",
        severity,
        before,
        after,
    )


def test_certificate_replaced_renewed_or_not() -> None:
    new = _doc()
    cert = new["candidates"][0]["probe"]["tls"]["cert"]
    cert["not_after"] = "2027-04-01T00:00:00Z"
    [renewed] = compare_reports(_doc(), new)
    assert (renewed.id, renewed.severity) == ("change.cert", Severity.INFO)
    assert renewed.before == "valid until 2027-01-01T00:00:00Z, issuer CN=Example CA"
    cert["not_after"] = "2026-12-01T00:00:00Z"  # sooner than before: not a renewal
    [worse] = compare_reports(_doc(), new)
    assert worse.severity is Severity.WARNING
    cert["not_after"] = "2027-04-01T00:00:00Z"
    new["candidates"][0]["probe"]["tls"]["verified"] = False
    [unverified] = compare_reports(_doc(), new)
    assert unverified.severity is Severity.WARNING


def test_discover_reports_compare_settings_only() -> None:
    old, new = _doc(), _doc()
    for doc in (old, new):
        for rec in doc["recommended"].values():
            if rec:
                rec["verified"] = None
        doc["candidates"][0]["probe"] = None
    assert compare_reports(old, new) == ()
    new["recommended"]["pop3"] = {"host": "pop.example.org", "port": 995, "security": "tls"}
    [appeared] = compare_reports(old, new)
    assert (appeared.id, appeared.severity) == ("change.setting", Severity.INFO)


def test_newer_report_keys_are_ignored() -> None:
    new = _doc()
    new["generated_at"] = "2026-12-01T06:00:00Z"
    new["changes"] = []
    new["findings"][0]["policy"] = None
    assert compare_reports(_doc(), new) == ()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{", "old.json:1: not valid JSON"),
        ("[]", "not a mailprobe JSON report (no schema_version)"),
        ('{"schema_version": 2}', "schema_version 2 cannot be compared; this mailprobe reads"),
        ('{"schema_version": 0}', "store a new baseline with this mailprobe"),
        ('{"schema_version": 1, "recommended": {}}', "('candidates' missing)"),
    ],
)
def test_unusable_baseline_files(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "old.json"
    path.write_text(text)
    with pytest.raises(BaselineError) as caught:
        load_baseline(path)
    assert words in str(caught.value)


def test_baseline_for_another_address() -> None:
    other = copy.deepcopy(_doc())
    other["address"] = "bob@example.net"
    with pytest.raises(BaselineError, match=r"report for bob@example\.net, not for alice"):
        compare_reports(other, _doc())


def test_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_text(json.dumps(_doc()))
    assert compare_reports(load_baseline(path), _doc()) == ()
