"""`mailprobe domain` for CI on the real bed: every --format (golden files, real parsers,
exit codes), --policy with the [domain] rules, --baseline, `mailprobe diff` and
`mailprobe schema --kind domain`.

Golden files live in tests/golden/domain/ as `<scenario>.<format>`, made from runs against
the bed with timings, dates, day counts and key hashes normalised. After an intended
change of the output, rewrite them with

    MAILPROBE_UPDATE_GOLDEN=1 python -m pytest tests/test_domain_ci_bed.py

and review the diff. Every domain JSON document is also checked against the schema by
conftest's autouse hook.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from faultservers import Behaviour, smtp_server
from mailprobe.cli import run
from mailprobe.exit_status import ExitStatus
from mailprobe.inbound.schema import domain_schema
from test_formats_bed import normalise as normalise_formats
from test_formats_bed import parse_openmetrics, parse_prometheus_text
from testbed import BedInfo
from testbed import signed_zones as sz
from testbed.inbound import InboundInfo, load_inbound
from threadserve import serve_in_thread

pytestmark = pytest.mark.bed

S = sz.SECURE
GOLDEN = Path(__file__).parent / "golden" / "domain"
POLICY = GOLDEN / "policy.toml"
FORMATS = ("markdown", "junit", "nagios", "openmetrics", "github")


@pytest.fixture(scope="module")
def inbound(bed: BedInfo) -> InboundInfo:
    """The inbound part of the running bed (inbound.json)."""
    return load_inbound(bed.dir)


@pytest.fixture(autouse=True)
def _no_step_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def _to_nomatch(inbound: InboundInfo, mx: str = sz.MX_EE) -> list[str]:
    """Send port 25 of `mx` to the server whose certificate matches no TLSA record."""
    return ["--connect-to", f"{mx}:25:127.0.0.1:{inbound.ports['nomatch']}"]


def _domain(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo, name: str, *extra: str
) -> tuple[int, str]:
    capsys.readouterr()
    code = run(["domain", name, *extra, *inbound.cli_args()])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out


def _json(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo, name: str, *extra: str
) -> tuple[int, dict[str, Any]]:
    code, out = _domain(capsys, inbound, name, "--json", *extra)
    report: dict[str, Any] = json.loads(out)
    Draft202012Validator(domain_schema()).validate(report)
    return code, report


@pytest.fixture(scope="module")
def baseline_file(
    bed: BedInfo, inbound: InboundInfo, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A stored `domain --json` report of ee.<secure> as it is on the bed (DANE ok)."""
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = run(["domain", f"ee.{S}", "--json", *inbound.cli_args()])
    assert code == 0
    path = tmp_path_factory.mktemp("baseline") / "ee.json"
    path.write_text(buffer.getvalue())
    return path


def _scenario(name: str, inbound: InboundInfo, baseline: Path) -> tuple[str, list[str]]:
    if name == "pass":
        return f"ee.{S}", []
    if name == "fail":
        return f"nomatch.{S}", []
    if name == "policy":
        return f"ee.{S}", ["--policy", str(POLICY)]
    if name == "baseline":
        return f"ee.{S}", [*_to_nomatch(inbound), "--baseline", str(baseline)]
    raise AssertionError(name)


_NORMALISE = [
    (re.compile(r"\b[0-9a-f]{64}\b"), "HASH"),  # key hashes: the bed makes new keys
    (re.compile(r"(mailprobe_domain_starttls_duration_seconds\{[^}]*\}) [0-9.e-]+"), r"\1 0"),
]


def normalise(text: str) -> str:
    """Output with run-dependent numbers (timings, dates, days, key hashes) replaced."""
    text = normalise_formats(text)
    for pattern, replacement in _NORMALISE:
        text = pattern.sub(replacement, text)
    return text


# --------------------------------------------------------------------------- golden files


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("scenario", ["pass", "fail", "policy", "baseline"])
def test_golden(
    capsys: pytest.CaptureFixture[str],
    inbound: InboundInfo,
    baseline_file: Path,
    scenario: str,
    fmt: str,
) -> None:
    name, extra = _scenario(scenario, inbound, baseline_file)
    _code, out = _domain(capsys, inbound, name, *extra, "--format", fmt)
    got = normalise(out)
    path = GOLDEN / f"{scenario}.{fmt}"
    if os.environ.get("MAILPROBE_UPDATE_GOLDEN") == "1":
        path.write_text(got)
    assert got == path.read_text(), f"{path} differs (see the module docstring)"


# --------------------------------------------------------------------------- exit codes


@pytest.mark.parametrize(
    ("name", "fmt", "expected"),
    [
        (f"ee.{S}", "markdown", ExitStatus.OK),
        (f"ee.{S}", "junit", ExitStatus.OK),
        (f"ee.{S}", "openmetrics", ExitStatus.OK),
        (f"ee.{S}", "github", ExitStatus.OK),
        (f"nomatch.{S}", "junit", ExitStatus.FINDINGS),
        (f"nomatch.{S}", "markdown", ExitStatus.FINDINGS),
        (f"nothing.{S}", "openmetrics", ExitStatus.NOT_FOUND),
        # nagios: OK 0, WARNING 1, CRITICAL 2
        (f"ee.{S}", "nagios", 0),
        (f"dmarcnone.{S}", "nagios", 1),
        (f"nomatch.{S}", "nagios", 2),
        (sz.BOGUS, "nagios", 2),
        (f"nothing.{S}", "nagios", 2),
    ],
)
def test_exit_codes(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo, name: str, fmt: str, expected: int
) -> None:
    code, out = _domain(capsys, inbound, name, "--format", fmt)
    assert code == expected
    if fmt == "nagios":
        status = {0: "OK", 1: "WARNING", 2: "CRITICAL"}[expected]
        assert out.startswith(f"MAILPROBE {status} - {name}: ")


def test_nagios_critical_when_port_25_is_unreachable(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo
) -> None:
    closed = ["--connect-to", ":25:127.0.0.1:9"]  # discard port: nothing listens
    code, out = _domain(capsys, inbound, f"ee.{S}", *closed, "--format", "nagios")
    assert code == 2
    assert out.startswith(f"MAILPROBE CRITICAL - ee.{S}: ")
    assert " time'=" not in out.splitlines()[0]  # nothing was timed: no STARTTLS test ran


def test_nagios_unknown_on_usage_and_internal_errors(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text("[domain]\ndane = true\nmta-sts = 'enforce'\n")
    code = run(["domain", "example.org", "--format", "nagios", "--policy", str(bad)])
    out, _ = capsys.readouterr()
    assert code == 3
    assert out == (
        f"MAILPROBE UNKNOWN - {bad}:3: domain.mta-sts: unknown key (known here: "
        "starttls, dnssec, dane, tls_rpt, mta_sts)\n"
    )
    code = run(["domain", "example.org", "-f", "nagios", "--timeout", "-1"])
    out, _ = capsys.readouterr()
    assert (code, out.startswith("MAILPROBE UNKNOWN - ")) == (3, True)

    import mailprobe.inbound

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(mailprobe.inbound, "run_domain", broken)
    code = run(["domain", "example.org", "--format", "nagios"])
    out, _ = capsys.readouterr()
    assert code == 3
    assert out.startswith("MAILPROBE UNKNOWN - internal error: RuntimeError: simulated bug")


# --------------------------------------------------------------------------- real parsers

_PERF = re.compile(r"'(?P<label>[^'=]+)'=(?P<value>-?[0-9.]+)(?P<uom>ms)?(;[0-9:]*){0,4}$")


def test_nagios_perfdata_per_mx_address(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo
) -> None:
    _code, out = _domain(capsys, inbound, f"ee.{S}", "--format", "nagios", "--policy", str(POLICY))
    _status, perf = out.splitlines()[0].split(" | ")
    items = {}
    for item in re.findall(r"'[^']+'=\S+", perf):
        match = _PERF.match(item)
        assert match, item
        items[match["label"]] = match
    time = items[f"{sz.MX_EE} 127.0.0.1 time"]
    assert time["uom"] == "ms"
    assert float(time["value"]) > 0
    days = items[f"{sz.MX_EE} 127.0.0.1 cert_days"]
    assert int(days["value"]) > 300
    # warning from the default 30 days, critical from the policy's tls.cert_min_days
    assert days.group(0).endswith(";30:;14:;;")
    assert items["findings_error"]["value"] == "1"  # the policy wants MTA-STS enforce


def test_junit_parses_and_names_a_case_per_check(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo
) -> None:
    code, out = _domain(
        capsys, inbound, f"nomatch.{S}", "--format", "junit", "--policy", str(POLICY)
    )
    assert code == 1
    root = ET.fromstring(out.split("\n", 1)[1])
    [suite] = root.findall("testsuite")
    assert suite.get("name") == f"nomatch.{S}"
    cases = {(c.get("classname"), c.get("name")): c for c in suite.findall("testcase")}
    assert set(cases) >= {
        ("mx", f"{sz.MX_NOMATCH} [127.0.0.1]"),
        ("domain", "MX set"),
        ("domain", "MTA-STS"),
        ("domain", "TLS-RPT"),
        ("domain", "SPF"),
        ("domain", "DMARC"),
        ("policy", "domain.dane"),
        ("policy", "domain.tls_rpt"),
    }
    mx = cases[("mx", f"{sz.MX_NOMATCH} [127.0.0.1]")]
    failure = mx.find("failure")
    assert failure is not None
    assert failure.get("type") == "dane.mismatch"
    assert float(mx.get("time", "0")) > 0
    assert cases[("policy", "domain.dane")].find("failure") is not None
    assert cases[("policy", "domain.tls_rpt")].find("failure") is None
    assert cases[("domain", "SPF")].find("failure") is None
    failures = sum(1 for c in suite.findall("testcase") if c.find("failure") is not None)
    assert suite.get("failures") == str(failures)
    assert suite.get("tests") == str(len(cases))


def test_junit_fail_on_warning_fails_the_domain_case(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo
) -> None:
    code, out = _domain(
        capsys, inbound, f"dmarcnone.{S}", "--format", "junit", "--fail-on", "warning"
    )
    assert code == 1
    root = ET.fromstring(out.split("\n", 1)[1])
    dmarc = root.find("testsuite/testcase[@name='DMARC']")
    assert dmarc is not None
    failure = dmarc.find("failure")
    assert failure is not None
    assert failure.get("type") == "dmarc.policy_none"


def test_openmetrics_parses_with_prometheus_client(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo
) -> None:
    _code, out = _domain(capsys, inbound, f"sts-enforce.{S}", "--format", "openmetrics")
    assert out.endswith("# EOF\n")
    families = {f.name: f for f in parse_openmetrics(out)}
    assert {f.name for f in parse_prometheus_text(out)} == set(families)
    where = {"domain": f"sts-enforce.{S}", "mx": sz.MX_EE, "ip": "127.0.0.1"}
    [up] = families["mailprobe_domain_mx_starttls_up"].samples
    assert (up.labels, up.value) == (where, 1)
    [dane] = families["mailprobe_domain_dane_valid"].samples
    assert (dane.labels, dane.value) == (where, 1)
    [expiry] = families["mailprobe_cert_expiry_timestamp_seconds"].samples
    assert expiry.labels == where
    assert expiry.value > 1.7e9
    [enforce] = families["mailprobe_domain_mta_sts_enforce"].samples
    assert (enforce.labels, enforce.value) == ({"domain": f"sts-enforce.{S}"}, 1)
    [duration] = families["mailprobe_domain_starttls_duration_seconds"].samples
    assert 0 < duration.value < 30
    findings = {s.labels["severity"]: s.value for s in families["mailprobe_findings"].samples}
    assert findings == {"error": 0, "warning": 0, "info": 0}
    # an insecure zone: no DANE
    _code, out = _domain(capsys, inbound, sz.INSECURE, "--format", "openmetrics")
    families = {f.name: f for f in parse_openmetrics(out)}
    [dane] = families["mailprobe_domain_dane_valid"].samples
    assert dane.value == 0
    [secure] = families["mailprobe_domain_dnssec_secure"].samples
    assert secure.value == 0


def test_github_writes_annotations_and_the_step_summary(
    capsys: pytest.CaptureFixture[str],
    inbound: InboundInfo,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out = _domain(capsys, inbound, f"nomatch.{S}", "--format", "github")
    assert code == 1
    lines = out.splitlines()
    assert any(line.startswith("::error title=mailprobe dane.mismatch ") for line in lines)
    assert any(
        line.startswith("::warning title=mailprobe starttls.cert_untrusted") for line in lines
    )
    text = summary.read_text()
    assert text.startswith("earlier step\n## mailprobe domain: nomatch")
    assert "| 10 | mx-nomatch" in text


# --------------------------------------------------------------------------- policies


@pytest.mark.parametrize(
    ("rule", "passing", "failing"),
    [
        ("dane = true", f"ee.{S}", sz.INSECURE),
        ("dane = true", f"ta.{S}", f"nomatch.{S}"),
        ("dnssec = true", f"ee.{S}", sz.INSECURE),
        ('mta_sts = "enforce"', f"sts-enforce.{S}", f"sts-testing.{S}"),
        ('mta_sts = "testing"', f"sts-testing.{S}", f"sts-none.{S}"),
        ('mta_sts = "testing"', f"sts-enforce.{S}", f"sts-redirect.{S}"),
        ("starttls = true", f"ee.{S}", f"nullmx.{S}"),
    ],
)
def test_domain_policy_rules(
    capsys: pytest.CaptureFixture[str],
    inbound: InboundInfo,
    tmp_path: Path,
    rule: str,
    passing: str,
    failing: str,
) -> None:
    key = "domain." + rule.split(" ")[0]
    policy = tmp_path / "p.toml"
    policy.write_text(f"[domain]\n{rule}\n")
    _code, good = _json(capsys, inbound, passing, "--policy", str(policy))
    assert good["policy_rules"] == [key]
    assert not [f for f in good["findings"] if f["policy"]]
    code, bad = _json(capsys, inbound, failing, "--policy", str(policy))
    violations = [f for f in bad["findings"] if f["id"] == f"policy.{key}"]
    assert violations, bad["findings"]
    assert all(f["policy"] == key and f["severity"] == "error" for f in violations)
    assert code in (ExitStatus.FINDINGS, ExitStatus.NOT_FOUND)


def test_starttls_rule_fails_on_an_mx_without_starttls(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo, tmp_path: Path
) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text("[domain]\nstarttls = true\n[severity]\n'domain.starttls' = 'warning'\n")
    with serve_in_thread(smtp_server(Behaviour(caps=("PIPELINING", "8BITMIME")))) as plain:
        route = ["--connect-to", f"{sz.MX_EE}:25:127.0.0.1:{plain.port}"]
        code, report = _json(capsys, inbound, f"ee.{S}", *route, "--policy", str(policy))
    [violation] = [f for f in report["findings"] if f["id"] == "policy.domain.starttls"]
    assert violation["severity"] == "warning"
    assert violation["host"] == sz.MX_EE
    assert "does not offer STARTTLS" in violation["summary"]
    assert code == ExitStatus.FINDINGS  # starttls.missing is an error of its own


def test_tls_rules_apply_to_mx_addresses(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo, tmp_path: Path
) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('[tls]\nmin_version = "1.2"\ncert_min_days = 3000\nverified = true\n')
    _code, report = _json(capsys, inbound, f"nomatch.{S}", "--policy", str(policy))
    assert report["policy_rules"] == ["tls.min_version", "tls.cert_min_days", "tls.verified"]
    ids = {f["id"] for f in report["findings"] if f["policy"]}
    assert ids == {"policy.tls.cert_min_days", "policy.tls.verified"}  # TLS 1.3 is fine


def test_tls_rpt_rule(inbound: InboundInfo) -> None:
    """The bed publishes TLS-RPT everywhere: the failing case drops the record from a
    real report."""
    from mailprobe.inbound import DomainOptions, domain_check
    from mailprobe.inbound.policy import apply_domain_policy
    from mailprobe.inbound.tls_rpt import TlsRptResult
    from mailprobe.models import NetOptions
    from mailprobe.option_values import parse_connect_to, parse_nameserver
    from mailprobe.policy import parse_policy

    net = NetOptions(
        nameservers=(parse_nameserver(inbound.resolver),),
        connect_to=tuple(parse_connect_to(r) for r in inbound.connect_to),
        ca_file=inbound.ca_file,
    )
    report = domain_check(f"ee.{S}", DomainOptions(net=net, dnssec_probe=inbound.dnssec_probe))
    policy = parse_policy("[domain]\ntls_rpt = true\n")
    assert [f for f in apply_domain_policy(report, policy).findings if f.policy] == []
    absent = replace(report, tls_rpt=TlsRptResult("absent", detail="no _smtp._tls TXT record"))
    judged = apply_domain_policy(absent, policy)
    [violation] = [f for f in judged.findings if f.policy]
    assert violation.id == "policy.domain.tls_rpt"
    assert "absent" in violation.summary
    assert judged.verdict == "fail"  # a domain-wide violation counts toward the verdict
    # The library renders it the way the command line does.
    import io

    from mailprobe.render.domain import write_domain_report
    from mailprobe.render.formats import OutputFormat

    stream = io.StringIO()
    assert write_domain_report(judged, OutputFormat.NAGIOS, stream) == 2
    assert stream.getvalue().startswith(f"MAILPROBE CRITICAL - ee.{S}: FAIL, 1 MX (")
    assert report.facts()["dnssec"] is True
    assert absent.facts()["tls_rpt"] is False


def test_policy_check_accepts_the_domain_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["policy", "check", str(POLICY)]) == 0
    out = capsys.readouterr().out
    for key in ("domain.starttls", "domain.dnssec", "domain.dane", "domain.mta_sts"):
        assert f"  {key}" in out


# --------------------------------------------------------------------------- baselines


def test_baseline_lists_the_changes(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo, baseline_file: Path
) -> None:
    code, report = _json(
        capsys, inbound, f"ee.{S}", *_to_nomatch(inbound), "--baseline", str(baseline_file)
    )
    assert code == ExitStatus.FINDINGS
    changes = {c["id"]: c for c in report["changes"]}
    assert changes["change.dane"]["severity"] == "error"
    assert (changes["change.dane"]["before"], changes["change.dane"]["after"]) == ("ok", "fail")
    cert = changes["change.cert"]
    assert cert["severity"] == "warning"  # neither PKIX nor DANE vouches for the new one
    assert cert["host"] == sz.MX_EE
    assert cert["port"] == 25
    assert "CN=mailprobe test CA" in cert["before"]
    assert f"CN={sz.MX_NOMATCH}" in cert["after"]
    new = [c for c in report["changes"] if c["id"] == "change.finding.new"]
    assert any("dane.mismatch" in c["summary"] for c in new)
    # The same run compared with itself: nothing changed, exit 0 (info only).
    code, again = _json(capsys, inbound, f"ee.{S}", "--baseline", str(baseline_file))
    assert (code, again["changes"]) == (0, [])


def test_diff_of_stored_domain_reports(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo, baseline_file: Path, tmp_path: Path
) -> None:
    _code, out = _domain(capsys, inbound, f"ee.{S}", "--json", *_to_nomatch(inbound))
    later = tmp_path / "later.json"
    later.write_text(out)
    assert run(["diff", str(baseline_file), str(later)]) == ExitStatus.FINDINGS
    text = capsys.readouterr().out
    assert "change.dane" in text
    assert "change.cert" in text
    # Back again: the certificate returns, DANE is ok again, all info.
    assert run(["diff", str(later), str(baseline_file), "--json"]) == ExitStatus.OK
    doc = json.loads(capsys.readouterr().out)
    assert doc["address"] == f"ee.{S}"
    assert {c["severity"] for c in doc["changes"]} == {"info"}
    assert run(["diff", str(later), str(baseline_file), "--fail-on-id", "change.dane"]) == 1
    capsys.readouterr()


def test_baseline_of_another_kind_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
    bed_args: list[str],
    inbound: InboundInfo,
    baseline_file: Path,
    tmp_path: Path,
) -> None:
    capsys.readouterr()
    assert run(["check", "alice@mailprobe.test", "--json", *bed_args]) in (0, 1)
    check = tmp_path / "check.json"
    check.write_text(capsys.readouterr().out)
    code, _out = _domain(capsys, inbound, f"ee.{S}", "--baseline", str(check))
    assert code == ExitStatus.USAGE
    assert run(["diff", str(check), str(baseline_file)]) == ExitStatus.USAGE
    assert "cannot compare a check report" in capsys.readouterr().err


# --------------------------------------------------------------------------- schema


def test_schema_kind_domain(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["schema", "--kind", "domain"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == domain_schema()
    assert printed["properties"]["kind"] == {"const": "domain"}
    assert run(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["$id"] == "urn:mailprobe:report:1"
    assert run(["schema", "--kind", "nothing"]) == ExitStatus.USAGE
    capsys.readouterr()


def test_every_domain_json_is_checked(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo
) -> None:
    import schemacheck

    before = schemacheck.counts["domain"]
    _domain(capsys, inbound, f"ee.{S}", "--format", "json")
    assert schemacheck.counts["domain"] == before + 1


def test_baseline_rules_on_edited_reports(baseline_file: Path) -> None:
    """What the bed cannot switch in place (TLS version, MTA-STS mode, MX set, STARTTLS)
    is edited into a copy of a real stored report."""
    import copy

    from mailprobe.baseline import compare_reports

    old = json.loads(baseline_file.read_text())

    def changes(edit: Any) -> dict[str, tuple[str, str | None, str | None]]:
        new = copy.deepcopy(old)
        edit(new)
        return {c.id: (str(c.severity), c.before, c.after) for c in compare_reports(old, new)}

    assert changes(lambda d: None) == {}
    smtp = ("mx", 0, "addresses", 0, "smtp")

    def at(doc: dict[str, Any], path: tuple[Any, ...]) -> Any:
        for key in path:
            doc = doc[key]
        return doc

    def lower_tls(d: dict[str, Any]) -> None:
        at(d, smtp)["tls"]["version"] = "TLSv1.1"

    version = old["mx"][0]["addresses"][0]["smtp"]["tls"]["version"]
    assert changes(lower_tls)["change.tls_version"] == ("error", version, "TLSv1.1")

    def no_starttls(d: dict[str, Any]) -> None:
        at(d, smtp).update(starttls=False, tls=None, cert=None)

    assert changes(no_starttls)["change.service"] == ("error", "STARTTLS", "no STARTTLS")

    def enforce(d: dict[str, Any]) -> None:
        d["mta_sts"].update(status="ok", mode="enforce")

    assert changes(enforce)["change.mta_sts"] == ("info", None, "enforce")
    stronger = copy.deepcopy(old)
    enforce(stronger)
    [weaker] = compare_reports(stronger, old)
    assert (weaker.id, weaker.severity, weaker.before, weaker.after) == (
        "change.mta_sts",
        "error",
        "enforce",
        None,
    )

    def other_mx(d: dict[str, Any]) -> None:
        d["mx"][0]["host"] = f"mx2.{S}"

    mx = changes(other_mx)["change.mx"]
    assert mx == ("warning", f"10 {sz.MX_EE}", f"10 mx2.{S}")


# --------------------------------------------------------------------------- docs/monitoring.md

MONITORING = Path(__file__).resolve().parent.parent / "docs" / "monitoring.md"


def _recipe(name: str) -> str:
    text = MONITORING.read_text()
    match = re.search(rf"<!-- recipe: {name} -->\n```\w*\n(.*?)```", text, flags=re.S)
    assert match, name
    return match.group(1)


def test_domain_nagios_recipe(capsys: pytest.CaptureFixture[str], inbound: InboundInfo) -> None:
    recipe = _recipe("domain_nagios")
    command = re.search(r"command_line\s+(.*)", recipe)
    service = re.search(r"check_command\s+check_mailprobe_domain!(.*)", recipe)
    assert command
    assert service
    domain, policy = service.group(1).split("!")
    assert (domain, policy) == ("example.org", "/etc/mailprobe/domain-policy.toml")
    words = command.group(1).split()
    assert words[0] == "/usr/local/bin/mailprobe"
    argv = [{"$ARG1$": f"ee.{S}", "$ARG2$": str(POLICY)}.get(w, w) for w in words[1:]]
    capsys.readouterr()
    code = run([*argv, *inbound.cli_args()])
    out = capsys.readouterr().out
    assert code == 2
    sample = MONITORING.read_text().split("Output on the bed for a domain")[1]
    shown = re.search(r"```\n(.*?)```", sample, flags=re.S)
    assert shown
    assert normalise(out) == normalise(shown.group(1))
    # The policy on the page is the one the test used.
    page_policy = re.search(r"```toml\n(\[domain\].*?)```", MONITORING.read_text(), flags=re.S)
    assert page_policy
    assert page_policy.group(1) in POLICY.read_text()


def test_domain_alert_rules_use_metrics_and_labels_we_emit(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo
) -> None:
    _code, out = _domain(capsys, inbound, f"sts-enforce.{S}", "--format", "openmetrics")
    emitted = {
        f.name: {label for s in f.samples for label in s.labels} for f in parse_openmetrics(out)
    }
    rules = re.split(r"\n\s+- alert: ", _recipe("domain_alerts"))[1:]
    assert len(rules) == 3
    for rule in rules:
        expr = re.search(r"expr: (.*)", rule)
        assert expr is not None
        metrics = set(re.findall(r"mailprobe_\w+", expr.group(1)))
        assert metrics
        assert metrics <= set(emitted), metrics - set(emitted)
        labels = set(re.findall(r"\$labels\.(\w+)", rule))
        # every label the summary names is on the metric the alert is about
        assert any(labels <= emitted[m] for m in metrics), (rule, labels)
