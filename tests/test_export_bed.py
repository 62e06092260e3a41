"""`mailprobe export` against the real bed, and each format read back by a real parser."""

from __future__ import annotations

import json
import plistlib
from pathlib import Path
from typing import Any

import pytest

from mailprobe.address import parse_address
from mailprobe.cli import run
from mailprobe.exit_status import ExitStatus
from mailprobe.export.formats import profile_uuids
from mailprobe.models import Protocol, Security
from mailprobe.sources.autoconfig_xml import parse_config
from testbed.info import BedInfo

ADDRESS = "alice@mailprobe.test"


def _export(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(["export", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_thunderbird_export_is_read_back_by_mailprobes_parser(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    code, out, _ = _export(capsys, ADDRESS, "--format", "thunderbird", *bed_args)
    assert code == ExitStatus.OK
    assert "<!-- verified by mailprobe" in out
    parsed = parse_config(out.encode(), parse_address(ADDRESS))
    assert parsed.domains == ("mailprobe.test",)
    assert parsed.warnings == ()
    found = {(s.protocol, s.host, s.port, s.security, s.username) for s in parsed.settings}
    assert found == {
        (Protocol.IMAP, "imap.mailprobe.test", 993, Security.TLS, ADDRESS),
        (Protocol.POP3, "pop.mailprobe.test", 995, Security.TLS, ADDRESS),
        (Protocol.SMTP, "smtp.mailprobe.test", 465, Security.TLS, ADDRESS),
    }
    # Placeholders, so the file serves every mailbox of the domain.
    assert out.count("<username>%EMAILADDRESS%</username>") == 3
    other = parse_config(out.encode(), parse_address("bob@mailprobe.test"))
    assert {s.username for s in other.settings} == {"bob@mailprobe.test"}


def _plist(text: str) -> dict[str, Any]:
    doc = plistlib.loads(text.encode())
    assert isinstance(doc, dict)
    return doc


def test_mobileconfig_export_has_the_keys_and_types_apple_expects(
    capsys: pytest.CaptureFixture[str], bed_args: list[str], bed: BedInfo
) -> None:
    code, out, _ = _export(capsys, ADDRESS, "--format", "mobileconfig", *bed_args)
    assert code == ExitStatus.OK
    profile = _plist(out)
    assert profile["PayloadType"] == "Configuration"
    assert profile["PayloadVersion"] == 1
    profile_uuid, payload_uuid = profile_uuids(ADDRESS)
    assert profile["PayloadUUID"] == profile_uuid
    assert profile["PayloadIdentifier"].endswith(profile_uuid)
    assert profile["MailprobeVerified"] is True
    (mail,) = profile["PayloadContent"]
    expected_types: dict[str, type] = {
        "PayloadType": str,
        "PayloadVersion": int,
        "PayloadUUID": str,
        "PayloadIdentifier": str,
        "EmailAccountType": str,
        "EmailAccountName": str,
        "EmailAddress": str,
        "IncomingMailServerHostName": str,
        "IncomingMailServerPortNumber": int,
        "IncomingMailServerUseSSL": bool,
        "IncomingMailServerAuthentication": str,
        "IncomingMailServerUsername": str,
        "OutgoingMailServerHostName": str,
        "OutgoingMailServerPortNumber": int,
        "OutgoingMailServerUseSSL": bool,
        "OutgoingMailServerAuthentication": str,
        "OutgoingMailServerUsername": str,
        "OutgoingPasswordSameAsIncomingPassword": bool,
    }
    for key, kind in expected_types.items():
        assert isinstance(mail[key], kind), key
    assert mail["PayloadType"] == "com.apple.mail.managed"
    assert mail["PayloadUUID"] == payload_uuid
    assert mail["EmailAccountType"] == "EmailTypeIMAP"
    assert mail["EmailAccountName"] == ADDRESS
    assert mail["EmailAddress"] == ADDRESS
    assert (mail["IncomingMailServerHostName"], mail["IncomingMailServerPortNumber"]) == (
        "imap.mailprobe.test",
        993,
    )
    assert (mail["OutgoingMailServerHostName"], mail["OutgoingMailServerPortNumber"]) == (
        "smtp.mailprobe.test",
        465,
    )
    assert mail["IncomingMailServerUseSSL"] is True
    assert mail["IncomingMailServerAuthentication"] == "EmailAuthPassword"
    # Never a password, under any key or as a value.
    assert not any(
        "Password" in key and key != "OutgoingPasswordSameAsIncomingPassword" for key in mail
    )
    assert bed.user.password not in out
    # Stable: the same address gives the same identifiers on every run.
    code, again, _ = _export(capsys, ADDRESS, "--format", "mobileconfig", *bed_args)
    assert _plist(again)["PayloadUUID"] == profile_uuid


def test_json_export_holds_the_recommended_settings_only(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    code, out, _ = _export(capsys, ADDRESS, "--format", "json", *bed_args)
    assert code == ExitStatus.OK
    doc = json.loads(out)
    assert set(doc) == {"address", "verified", "note", "incoming", "outgoing", "missing"}
    assert doc["verified"] is True
    assert [s["protocol"] for s in doc["incoming"]] == ["imap", "pop3"]
    assert doc["incoming"][0] == {
        "protocol": "imap",
        "host": "imap.mailprobe.test",
        "port": 993,
        "security": "tls",
        "username": ADDRESS,
        "verified": True,
    }
    assert doc["outgoing"]["port"] == 465
    assert "candidates" not in out
    assert "findings" not in out


@pytest.mark.parametrize("flag", ["--offline", "--no-verify"])
def test_unverified_exports_say_so_in_every_format(
    capsys: pytest.CaptureFixture[str], bed_args: list[str], flag: str
) -> None:
    address = "bob@gmail.com" if flag == "--offline" else ADDRESS
    code, out, _ = _export(capsys, address, "--format", "json", flag, *bed_args)
    assert code == ExitStatus.OK
    doc = json.loads(out)
    assert doc["verified"] is False
    assert doc["note"].startswith("NOT verified")
    assert all(s["verified"] is None for s in doc["incoming"])
    code, xml, _ = _export(capsys, address, "--format", "thunderbird", flag, *bed_args)
    assert code == ExitStatus.OK
    assert "<!-- NOT verified" in xml
    parse_config(xml.encode(), parse_address(address))  # still a valid file
    code, plist, _ = _export(capsys, address, "--format", "mobileconfig", flag, *bed_args)
    profile = _plist(plist)
    assert profile["MailprobeVerified"] is False
    assert "NOT verified" in profile["PayloadDescription"]
    assert "NOT verified" in profile["PayloadContent"][0]["PayloadDescription"]


def test_output_file_is_not_replaced_without_force(
    capsys: pytest.CaptureFixture[str], bed_args: list[str], tmp_path: Path
) -> None:
    target = tmp_path / "config-v1.1.xml"
    code, out, _ = _export(capsys, ADDRESS, "-f", "thunderbird", "--output", str(target), *bed_args)
    assert code == ExitStatus.OK
    assert out == ""
    first = target.read_text(encoding="utf-8")
    parse_config(first.encode(), parse_address(ADDRESS))
    target.write_text("keep me", encoding="utf-8")
    code, out, err = _export(capsys, ADDRESS, "-f", "json", "-o", str(target), *bed_args)
    assert code == ExitStatus.USAGE
    assert "exists" in err
    assert "--force" in err
    assert target.read_text(encoding="utf-8") == "keep me"
    code, _, _ = _export(capsys, ADDRESS, "-f", "json", "-o", str(target), "--force", *bed_args)
    assert code == ExitStatus.OK
    assert json.loads(target.read_text(encoding="utf-8"))["address"] == ADDRESS
    code, out, _ = _export(capsys, ADDRESS, "-f", "json", "--output", "-", *bed_args)
    assert code == ExitStatus.OK
    assert json.loads(out)["address"] == ADDRESS


@pytest.mark.parametrize("domain", ["expired", "selfsigned", "wrongcert"])
def test_nothing_verified_is_refused_with_the_reason(
    capsys: pytest.CaptureFixture[str], bed_args: list[str], domain: str
) -> None:
    address = f"alice@{domain}.mailprobe.test"
    code, out, err = _export(capsys, address, "-f", "json", "--timeout", "5", *bed_args)
    assert code == ExitStatus.NOT_FOUND
    assert out == ""
    assert "no verified" in err
    assert "--no-verify" in err
