"""The export writers on their own: selection, placeholders, profile keys, honesty notes."""

from __future__ import annotations

import json
import plistlib
import uuid

import pytest

from mailprobe.address import parse_address
from mailprobe.cli import run
from mailprobe.exit_status import ExitStatus
from mailprobe.export import client_settings, to_json, to_mobileconfig, to_thunderbird
from mailprobe.export.formats import mobileconfig_dict, profile_uuids
from mailprobe.models import (
    Candidate,
    ProbedCandidate,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Provenance,
    Recommendation,
    Report,
    Security,
    ServerSetting,
    SourceId,
)
from mailprobe.pipeline import run_discover
from mailprobe.sources.autoconfig_xml import parse_config

ADDRESS = "carol@example.org"


def _rec(setting: ServerSetting, status: ProbeStatus | None) -> Recommendation:
    candidate = Candidate(setting, (Provenance(SourceId.AUTOCONFIG, "https://x", trusted=True),))
    probe = ProbeResult(status) if status is not None else None
    verified = None if status is None else status is ProbeStatus.OK
    return Recommendation(candidate, verified=verified, probe=probe)


def _report(
    imap: Recommendation | None, pop3: Recommendation | None, smtp: Recommendation | None
) -> Report:
    recs = {Protocol.IMAP: imap, Protocol.POP3: pop3, Protocol.SMTP: smtp}
    probed = [ProbedCandidate(r.candidate, r.probe) for r in recs.values() if r is not None]
    return Report(
        address=ADDRESS,
        domain="example.org",
        provider=None,
        recommended=recs,
        candidates=tuple(probed),
        sources=(),
        findings=(),
        probed=any(r is not None and r.probe is not None for r in recs.values()),
    )


IMAP_OK = _rec(ServerSetting(Protocol.IMAP, "mail.example.org", 993, Security.TLS), ProbeStatus.OK)
POP_OK = _rec(
    ServerSetting(Protocol.POP3, "mail.example.org", 110, Security.STARTTLS, username="carol"),
    ProbeStatus.OK,
)
SMTP_OK = _rec(
    ServerSetting(Protocol.SMTP, "smtp.example.org", 587, Security.STARTTLS), ProbeStatus.OK
)
SMTP_BAD = _rec(
    ServerSetting(Protocol.SMTP, "smtp.example.org", 465, Security.TLS), ProbeStatus.TLS_ERROR
)


def test_only_verified_services_are_taken() -> None:
    settings = client_settings(_report(IMAP_OK, None, SMTP_BAD))
    assert [s.protocol for s in settings.incoming] == [Protocol.IMAP]
    assert settings.outgoing is None
    assert not settings.complete
    assert Protocol.SMTP in settings.missing
    loose = client_settings(_report(IMAP_OK, None, SMTP_BAD), verified_only=False)
    assert loose.complete
    assert loose.verified is False  # the SMTP server failed its probe


def test_a_probe_report_cannot_be_exported() -> None:
    report = _report(IMAP_OK, None, SMTP_OK)
    report = Report(**{**report.__dict__, "address": None})
    with pytest.raises(ValueError, match="address"):
        client_settings(report)


def test_thunderbird_uses_placeholders_and_reads_back() -> None:
    text = to_thunderbird(client_settings(_report(IMAP_OK, POP_OK, SMTP_OK)))
    assert "<username>%EMAILADDRESS%</username>" in text
    assert "<username>%EMAILLOCALPART%</username>" in text
    parsed = parse_config(text.encode(), parse_address("dave@example.org"))
    users = {s.protocol: s.username for s in parsed.settings}
    assert users == {
        Protocol.IMAP: "dave@example.org",
        Protocol.POP3: "dave",
        Protocol.SMTP: "dave@example.org",
    }
    assert [s.security for s in parsed.settings] == [
        Security.TLS,
        Security.STARTTLS,
        Security.STARTTLS,
    ]


def test_mobileconfig_for_pop_and_starttls() -> None:
    settings = client_settings(_report(None, POP_OK, SMTP_OK))
    profile = plistlib.loads(to_mobileconfig(settings).encode())
    (mail,) = profile["PayloadContent"]
    assert mail["EmailAccountType"] == "EmailTypePOP"
    assert mail["IncomingMailServerUsername"] == "carol"
    assert mail["IncomingMailServerPortNumber"] == 110
    assert mail["IncomingMailServerUseSSL"] is True  # STARTTLS counts as SSL for Apple
    profile_uuid, payload_uuid = profile_uuids(ADDRESS)
    assert uuid.UUID(profile_uuid).version == 5
    assert profile_uuids(ADDRESS.upper()) == (profile_uuid, payload_uuid)
    assert profile_uuids("other@example.org")[0] != profile_uuid
    with pytest.raises(ValueError, match="incoming and an outgoing"):
        mobileconfig_dict(client_settings(_report(IMAP_OK, None, SMTP_BAD)))


def test_plain_text_server_is_not_marked_ssl() -> None:
    plain = _rec(
        ServerSetting(Protocol.IMAP, "mail.example.org", 143, Security.PLAIN), ProbeStatus.OK
    )
    mail = mobileconfig_dict(client_settings(_report(plain, None, SMTP_OK)))["PayloadContent"][0]
    assert mail["IncomingMailServerUseSSL"] is False


def test_json_is_the_recommended_settings_only() -> None:
    doc = json.loads(to_json(client_settings(_report(IMAP_OK, None, SMTP_OK))))
    assert doc["verified"] is True
    assert doc["missing"] == ["pop3"]
    assert doc["outgoing"] == {
        "protocol": "smtp",
        "host": "smtp.example.org",
        "port": 587,
        "security": "starttls",
        "username": ADDRESS,
        "verified": True,
    }


def test_a_double_hyphen_cannot_end_the_xml_comment_early() -> None:
    report = _report(IMAP_OK, None, SMTP_OK)
    report = Report(**{**report.__dict__, "address": "a---b@example.org"})
    xml = to_thunderbird(client_settings(report))
    comment = xml.splitlines()[1]
    assert comment.startswith("<!-- ")
    assert comment.endswith(" -->")
    assert "--" not in comment[4:-3]
    parse_config(xml.encode(), parse_address("a---b@example.org"))


async def test_offline_discovery_exports_unverified() -> None:
    report = await run_discover("bob@gmail.com", None)
    settings = client_settings(report, verified_only=False)
    assert settings.complete
    assert settings.verified is False
    xml = to_thunderbird(settings)
    assert xml.splitlines()[1].startswith("<!-- NOT verified")
    assert "--" not in xml.splitlines()[1][4:-3]  # nothing that would end the comment early
    parse_config(xml.encode(), parse_address("bob@gmail.com"))


def test_cli_offline_export_to_stdout_and_missing_format(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run(["export", "bob@gmail.com", "--offline", "--format", "mobileconfig"])
    out, _ = capsys.readouterr()
    assert code == ExitStatus.OK
    profile = plistlib.loads(out.encode())
    assert profile["PayloadContent"][0]["IncomingMailServerHostName"] == "imap.gmail.com"
    assert "NOT verified" in profile["PayloadDescription"]
    code = run(["export", "bob@gmail.com", "--offline"])
    _, err = capsys.readouterr()
    assert code == ExitStatus.USAGE
    assert "--format" in err


def test_cli_offline_export_of_an_unknown_domain_finds_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run(["export", "bob@unknown.invalid", "--offline", "-f", "json"])
    out, err = capsys.readouterr()
    assert code == ExitStatus.NOT_FOUND
    assert out == ""
    assert "no incoming (IMAP or POP3) and outgoing (SMTP) setting found" in err
