"""Every policy rule against real reports of the bed: one passing and one failing case each.

The reports come from real runs (Dovecot, Postfix, NSD, nginx; a TLS 1.2-only fault server
for the negotiated-version case); the policies are parsed from TOML as a user writes them.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from pathlib import Path

import pytest

from mailprobe.cli import run
from mailprobe.cli.options import discovery_options
from mailprobe.exit_status import ExitStatus
from mailprobe.models import Protocol, Report, Security, Severity
from mailprobe.pipeline import CheckOptions, run_check, run_discover, run_probe
from mailprobe.policy import apply_policy, parse_policy
from testbed.info import BedInfo
from threadserve import bed_signed_leaf, serve_in_thread, tls_imap


def _options(
    bed: BedInfo,
    *,
    connect_to: tuple[str, ...] = (),
    ispdb: str = "",
    check_weak_tls: bool = False,
) -> CheckOptions:
    discovery = discovery_options(
        offline=False,
        timeout=10.0,
        nameserver=[bed.nameserver],
        connect_to=[*connect_to, *bed.connect_to],
        ca_file=bed.ca_file,
        ispdb_url=ispdb or bed.ispdb_url,
        allow_http=False,
        send_address=False,
        sources=None,
    )
    return CheckOptions(discovery=discovery, check_weak_tls=check_weak_tls)


@pytest.fixture(scope="module")
def reports(bed: BedInfo, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    """Real reports of the bed, made once for the module."""
    out: dict[str, Report] = {}
    out["full"] = asyncio.run(run_check("alice@mailprobe.test", _options(bed)))
    out["imap993"] = asyncio.run(
        run_probe("imap.mailprobe.test", 993, Protocol.IMAP, Security.TLS, _options(bed))
    )
    out["imap143"] = asyncio.run(
        run_probe("imap.mailprobe.test", 143, Protocol.IMAP, None, _options(bed))
    )
    out["smtp587"] = asyncio.run(
        run_probe("smtp.mailprobe.test", 587, Protocol.SMTP, None, _options(bed))
    )
    out["smtp587_weak"] = asyncio.run(
        run_probe(
            "smtp.mailprobe.test", 587, Protocol.SMTP, None, _options(bed, check_weak_tls=True)
        )
    )
    # Autoconfig of expired.mailprobe.test fails on its certificate: nothing is found.
    out["nothing"] = asyncio.run(run_check("alice@expired.mailprobe.test", _options(bed)))
    out["expired"] = asyncio.run(
        run_probe("imap.expired.mailprobe.test", 993, Protocol.IMAP, None, _options(bed))
    )
    # An "ISPDB" whose URL ends in a query serves another domain's configuration for any
    # domain: it then names other servers than autoconfig and SRV do.
    other = "https://wellknown.mailprobe.test/.well-known/autoconfig/mail/config-v1.1.xml?d="
    out["disagree"] = asyncio.run(
        run_discover("alice@mailprobe.test", _options(bed, ispdb=other).discovery)
    )
    pair = bed_signed_leaf(
        tmp_path_factory.mktemp("policy-certs"),
        bed.ca_file,
        ["imap.mailprobe.test"],
        days=200,
        stem="tls12",
    )
    with serve_in_thread(tls_imap(pair, max_version=ssl.TLSVersion.TLSv1_2)) as server:
        rule = f"imap.mailprobe.test:993:127.0.0.1:{server.port}"
        out["tls12"] = asyncio.run(
            run_probe(
                "imap.mailprobe.test",
                993,
                Protocol.IMAP,
                Security.TLS,
                _options(bed, connect_to=(rule,)),
            )
        )
    return out


CASES = [
    # (rule key, policy TOML, report that passes, report that fails)
    ("require.services", '[require]\nservices = ["imap", "smtp"]', "full", "imap993"),
    ("require.services", '[require]\nservices = ["imap"]', "imap993", "nothing"),
    ("require.services", '[require]\nservices = ["imap"]', "imap993", "expired"),
    ("require.implicit_tls", "[require]\nimplicit_tls = true", "full", "smtp587"),
    ("require.implicit_tls", "[require]\nimplicit_tls = true", "imap993", "imap143"),
    ("require.no_plaintext_auth", "[require]\nno_plaintext_auth = true", "imap993", "full"),
    ("tls.min_version", '[tls]\nmin_version = "1.3"', "imap993", "tls12"),
    ("tls.min_version", '[tls]\nmin_version = "1.2"', "smtp587", "smtp587_weak"),
    ("tls.cert_min_days", "[tls]\ncert_min_days = 14", "full", "expired"),
    ("tls.cert_min_days", "[tls]\ncert_min_days = 300", "full", "tls12"),
    ("tls.verified", "[tls]\nverified = true", "full", "expired"),
    ("expect.imap.host", '[expect.imap]\nhost = "imap.mailprobe.test"', "full", "expired"),
    ("expect.imap.host", '[expect.imap]\nhost = "IMAP.mailprobe.test."', "imap993", "nothing"),
    ("expect.imap.port", "[expect.imap]\nport = 993", "full", "imap143"),
    ("expect.imap.security", '[expect.imap]\nsecurity = "tls"', "imap993", "imap143"),
    ("expect.smtp.port", "[expect.smtp]\nport = 465", "full", "smtp587"),
    ("expect.smtp.security", '[expect.smtp]\nsecurity = "tls"', "full", "smtp587"),
    ("sources.agree", '[sources]\nagree = ["autoconfig", "ispdb"]', "full", "disagree"),
]


@pytest.mark.parametrize(("key", "toml", "passing", "failing"), CASES)
def test_rule_passes_and_fails_on_real_reports(
    reports: dict[str, Report], key: str, toml: str, passing: str, failing: str
) -> None:
    policy = parse_policy(toml, "policy.toml")
    assert key in policy.rules()
    ok = apply_policy(reports[passing], policy)
    assert [f for f in ok.findings if f.policy] == []
    assert ok.policy_rules == policy.rules()
    bad = apply_policy(reports[failing], policy)
    violations = [f for f in bad.findings if f.policy == key]
    assert violations, f"{key} not violated by {failing}"
    for f in violations:
        assert f.id == f"policy.{key}"
        assert f.severity is Severity.ERROR
        assert key in f.summary
    others = [f for f in bad.findings if f.policy and f.policy != key]
    assert others == []


def test_sources_that_agree_pass_where_others_disagree(reports: dict[str, Report]) -> None:
    report = reports["disagree"]
    assert "discovery.sources_disagree" in {f.id for f in report.findings}
    policy = parse_policy('[sources]\nagree = ["autoconfig", "srv"]', "p.toml")
    assert [f for f in apply_policy(report, policy).findings if f.policy] == []
    policy = parse_policy('[sources]\nagree = ["srv", "ispdb"]', "p.toml")
    violations = [f for f in apply_policy(report, policy).findings if f.policy]
    assert {f.protocol for f in violations} == {Protocol.IMAP, Protocol.POP3, Protocol.SMTP}
    assert "ispdb says imap.wellknown.mailprobe.test:993 tls" in violations[0].summary


def test_violations_name_the_endpoint(reports: dict[str, Report]) -> None:
    policy = parse_policy('[tls]\nmin_version = "1.2"', "p.toml")
    [finding] = [f for f in apply_policy(reports["smtp587_weak"], policy).findings if f.policy]
    assert (finding.protocol, finding.host, finding.port) == (
        Protocol.SMTP,
        "smtp.mailprobe.test",
        587,
    )
    assert "TLSv1.1" in finding.summary or "TLSv1" in finding.summary


def test_severity_default_and_per_rule_override(reports: dict[str, Report]) -> None:
    policy = parse_policy(
        "[require]\nno_plaintext_auth = true\n[tls]\ncert_min_days = 400\n"
        '[severity]\ndefault = "warning"\n"tls.cert_min_days" = "info"\n',
        "p.toml",
    )
    report = apply_policy(reports["full"], policy)
    severities = {f.policy: f.severity for f in report.findings if f.policy}
    assert severities == {
        "require.no_plaintext_auth": Severity.WARNING,
        "tls.cert_min_days": Severity.INFO,
    }


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mail-policy.toml"
    path.write_text(text)
    return path


def test_policy_on_the_command_line_decides_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    strict = _write(tmp_path, "[require]\nno_plaintext_auth = true\n")
    code = run(["check", "alice@mailprobe.test", "--json", "--policy", str(strict), *bed_args])
    doc = json.loads(capsys.readouterr().out)
    assert code == ExitStatus.FINDINGS
    [violation] = [f for f in doc["findings"] if f["policy"]]
    assert violation["id"] == "policy.require.no_plaintext_auth"
    assert violation["policy"] == "require.no_plaintext_auth"
    assert (violation["host"], violation["port"]) == ("imap.mailprobe.test", 143)
    assert all(f["policy"] is None for f in doc["findings"] if f is not violation)

    lenient = _write(
        tmp_path, '[require]\nno_plaintext_auth = true\n[severity]\ndefault = "warning"\n'
    )
    code = run(["check", "alice@mailprobe.test", "-q", "--policy", str(lenient), *bed_args])
    out = capsys.readouterr().out
    assert code == ExitStatus.OK
    assert "Policy require.no_plaintext_auth" in out
    code = run(
        [
            "check",
            "alice@mailprobe.test",
            "--policy",
            str(lenient),
            "--fail-on",
            "warning",
            *bed_args,
        ]
    )
    capsys.readouterr()
    assert code == ExitStatus.FINDINGS


def test_fail_on_id_glob_fails_whatever_the_severity(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    base = ["check", "alice@mailprobe.test", "--json", *bed_args]
    assert run(base) == ExitStatus.OK  # only a warning and infos
    capsys.readouterr()
    assert run([*base, "--fail-on-id", "smtp.*"]) == ExitStatus.FINDINGS  # info findings
    capsys.readouterr()
    assert run([*base, "--fail-on-id", "tls.cert.*", "--fail-on-id", "nothing"]) == 0
    capsys.readouterr()


def test_cert_warn_days_sets_the_expiry_warning(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    base = ["probe", "imap.mailprobe.test:993", "--json"]
    args = [a for a in bed_args]
    i = args.index("--ispdb-url")
    del args[i : i + 2]
    code = run([*base, *args])
    doc = json.loads(capsys.readouterr().out)
    days = doc["candidates"][0]["probe"]["tls"]["cert"]["days_left"]
    assert code == ExitStatus.OK
    assert "tls.cert.expiring" not in {f["id"] for f in doc["findings"]}
    code = run([*base, *args, "--cert-warn-days", str(days + 1), "--fail-on", "warning"])
    doc = json.loads(capsys.readouterr().out)
    assert "tls.cert.expiring" in {f["id"] for f in doc["findings"]}
    assert code == ExitStatus.FINDINGS
