"""Every output format on real bed runs: golden files, a real parser, and exit codes.

Golden files live in tests/golden/formats/ as `<scenario>.<format>`; they were made from
runs against the bed with timings, certificate dates and day counts normalised. After an
intended change of the output, rewrite them with

    MAILPROBE_UPDATE_GOLDEN=1 python -m pytest tests/test_formats_bed.py

and review the diff.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.parser import text_string_to_metric_families as _om
from prometheus_client.parser import text_string_to_metric_families as _classic

from mailprobe.cli import run
from mailprobe.exit_status import ExitStatus

GOLDEN = Path(__file__).parent / "golden" / "formats"
POLICY = GOLDEN / "policy.toml"


def parse_openmetrics(text: str) -> list[Metric]:
    """Families as Prometheus' own client parses OpenMetrics text (strict: needs # EOF)."""
    return list(_om(text))  # type: ignore[no-untyped-call]


def parse_prometheus_text(text: str) -> list[Metric]:
    """Families as the classic text format parser reads them (node_exporter's textfile)."""
    return list(_classic(text))


FORMATS = ("markdown", "junit", "nagios", "openmetrics", "github")


def _probe_args(bed_args: list[str]) -> list[str]:
    i = bed_args.index("--ispdb-url")
    return bed_args[:i] + bed_args[i + 2 :]


def _scenario(name: str, bed_args: list[str]) -> list[str]:
    if name == "check":
        return ["check", "alice@mailprobe.test", *bed_args]
    if name == "policy":
        return ["check", "alice@mailprobe.test", "--policy", str(POLICY), *bed_args]
    if name == "expired":
        return ["probe", "imap.expired.mailprobe.test:993", *_probe_args(bed_args)]
    if name == "ok":
        return ["probe", "imap.mailprobe.test:993", *_probe_args(bed_args)]
    raise AssertionError(name)


_NORMALISE = [
    (re.compile(r'time="[0-9.]+"'), 'time="0.000"'),  # junit
    (re.compile(r"=[0-9.]+ms;"), "=0ms;"),  # nagios perfdata
    (re.compile(r"cert_days'=-?[0-9]+;"), "cert_days'=0;"),
    (re.compile(r"(mailprobe_probe_duration_seconds\{[^}]*\}) [0-9.e-]+"), r"\1 0"),
    (re.compile(r"(mailprobe_cert_expiry_timestamp_seconds\{[^}]*\}) [0-9.e+]+"), r"\1 0"),
    (re.compile(r"\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\dZ)?"), "DATE"),
    (re.compile(r"-?\d+ days"), "N days"),
]


def normalise(text: str) -> str:
    """Output with run-dependent numbers (timings, dates, days left) replaced."""
    for pattern, replacement in _NORMALISE:
        text = pattern.sub(replacement, text)
    return text


def _render(
    capsys: pytest.CaptureFixture[str], scenario: str, fmt: str, bed_args: list[str]
) -> tuple[int, str]:
    code = run([*_scenario(scenario, bed_args), "--format", fmt])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out


@pytest.fixture(autouse=True)
def _no_step_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("scenario", ["check", "policy", "expired"])
def test_golden(
    capsys: pytest.CaptureFixture[str], bed_args: list[str], scenario: str, fmt: str
) -> None:
    _, out = _render(capsys, scenario, fmt, bed_args)
    got = normalise(out)
    path = GOLDEN / f"{scenario}.{fmt}"
    if os.environ.get("MAILPROBE_UPDATE_GOLDEN") == "1":
        path.write_text(got)
    assert got == path.read_text(), f"{path} differs (see the module docstring)"


# --------------------------------------------------------------------------- exit codes


@pytest.mark.parametrize(
    ("scenario", "fmt", "expected"),
    [
        ("check", "json", ExitStatus.OK),
        ("check", "markdown", ExitStatus.OK),
        ("check", "junit", ExitStatus.OK),
        ("check", "openmetrics", ExitStatus.OK),
        ("check", "github", ExitStatus.OK),
        ("policy", "junit", ExitStatus.FINDINGS),
        ("policy", "github", ExitStatus.FINDINGS),
        ("expired", "markdown", ExitStatus.FINDINGS),
        ("expired", "openmetrics", ExitStatus.FINDINGS),
        # nagios: OK 0, WARNING 1, CRITICAL 2
        ("ok", "nagios", 0),
        ("check", "nagios", 1),
        ("policy", "nagios", 2),
        ("expired", "nagios", 2),
    ],
)
def test_exit_codes(
    capsys: pytest.CaptureFixture[str],
    bed_args: list[str],
    scenario: str,
    fmt: str,
    expected: int,
) -> None:
    code, out = _render(capsys, scenario, fmt, bed_args)
    assert code == expected
    if fmt == "nagios":
        status = {0: "OK", 1: "WARNING", 2: "CRITICAL"}[expected]
        assert out.startswith(f"MAILPROBE {status} - ")


def test_nagios_unknown_on_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for argv in (
        ["check", "not-an-address", "--format", "nagios"],
        ["check", "alice@example.org", "--format=nagios", "--timeout", "-1"],
        ["check", "alice@example.org", "-f", "nagios", "--no-such-option"],
    ):
        code = run(argv)
        out, err = capsys.readouterr()
        assert code == 3, argv
        assert out.startswith("MAILPROBE UNKNOWN - "), out
        assert len(out.splitlines()) == 1
        assert err  # the usual message stays on stderr
    bad = tmp_path / "p.toml"
    bad.write_text("[tls]\nverify = true\n")
    code = run(["check", "alice@example.org", "--format", "nagios", "--policy", str(bad)])
    out, _ = capsys.readouterr()
    assert code == 3
    assert out == f"MAILPROBE UNKNOWN - {bad}:2: tls.verify: unknown key (known here: " + (
        "min_version, cert_min_days, verified)\n"
    )


def test_nagios_unknown_on_internal_failure(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import mailprobe.pipeline

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(mailprobe.pipeline, "run_probe", broken)
    code = run(["probe", "imap.example.org:993", "--format", "nagios"])
    out, _ = capsys.readouterr()
    assert code == 3
    assert out.startswith("MAILPROBE UNKNOWN - internal error: RuntimeError: simulated bug")
    # Without --format nagios the same failure keeps exit status 70.
    assert run(["probe", "imap.example.org:993"]) == ExitStatus.INTERNAL
    capsys.readouterr()


# --------------------------------------------------------------------------- parsers

#: 'label'=value[UOM];[warn];[crit];[min];[max] (trailing fields may be left out).
_PERF = re.compile(
    r"'(?P<label>[^'=]+)'=(?P<value>-?[0-9.]+)(?P<uom>ms|s|us|%|B|KB|MB|TB|c)?"
    r"(?:;(?P<warn>[0-9:~@.-]*)(?:;(?P<crit>[0-9:~@.-]*)"
    r"(?:;(?P<min>[0-9.-]*)(?:;(?P<max>[0-9.-]*))?)?)?)?$"
)


def test_nagios_output_follows_the_plugin_guidelines(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    code, out = _render(capsys, "policy", "nagios", bed_args)
    first, *long_text = out.splitlines()
    status, perf = first.split(" | ")
    assert re.match(r"^MAILPROBE (OK|WARNING|CRITICAL|UNKNOWN) - \S", status)
    assert code == 2
    assert status.startswith("MAILPROBE CRITICAL")
    items = perf.split(" '")
    parsed = [_PERF.match(item if item.startswith("'") else "'" + item) for item in items]
    assert all(parsed), [i for i, p in zip(items, parsed, strict=True) if not p]
    by_label = {p["label"]: p for p in parsed if p}
    imap = by_label["imap imap.mailprobe.test:993 time"]
    assert imap["uom"] == "ms"
    assert float(imap["value"]) > 0
    cert = by_label["imap imap.mailprobe.test:993 cert_days"]
    assert int(cert["value"]) > 300
    assert (cert["warn"], cert["crit"]) == ("30:", "14:")  # --cert-warn-days, policy
    assert by_label["findings_error"]["value"] == "1"
    assert any("policy.require.no_plaintext_auth" in line for line in long_text)


def test_junit_parses_as_jenkins_and_gitlab_read_it(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    _, out = _render(capsys, "policy", "junit", bed_args)
    root = ET.fromstring(out.encode())
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    assert suite.get("name") == "alice@mailprobe.test"
    cases = suite.findall("testcase")
    assert int(suite.get("tests", "-1")) == len(cases)
    classes = [c.get("classname") for c in cases]
    assert classes[:4] == ["discovery", "imap", "pop3", "smtp"]
    policy_cases = {c.get("name"): c for c in cases if c.get("classname") == "policy"}
    assert set(policy_cases) == {
        "require.services",
        "require.no_plaintext_auth",
        "tls.min_version",
        "tls.cert_min_days",
        "expect.imap.port",
        "expect.imap.security",
    }
    for case in cases:
        assert float(case.get("time", "x")) >= 0
    assert float(suite.get("time", "x")) == pytest.approx(
        sum(float(c.get("time", "0")) for c in cases), abs=0.01
    )
    failed = [c for c in cases if c.find("failure") is not None]
    assert int(suite.get("failures", "-1")) == len(failed) == 1
    failure = policy_cases["require.no_plaintext_auth"].find("failure")
    assert failure is not None
    assert failure.get("type") == "policy.require.no_plaintext_auth"
    assert "imap.mailprobe.test port 143" in failure.get("message", "")
    assert "disable_plaintext_auth" in (failure.text or "")  # the advice
    # The warning (auth.before_tls) is below --fail-on error: no failure for IMAP ...
    imap = cases[1]
    assert imap.find("failure") is None
    # ... but with --fail-on warning it becomes one.
    code = run([*_scenario("check", bed_args), "--format", "junit", "--fail-on", "warning"])
    root = ET.fromstring(capsys.readouterr().out.encode())
    imap_failure = root.find("testsuite/testcase[@classname='imap']/failure")
    assert imap_failure is not None
    assert imap_failure.get("type") == "auth.before_tls"
    assert code == ExitStatus.FINDINGS


def test_openmetrics_parses_with_prometheus_client(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    _, out = _render(capsys, "check", "openmetrics", bed_args)
    assert out.endswith("# EOF\n")
    families = {f.name: f for f in parse_openmetrics(out)}
    assert set(families) == {
        "mailprobe_service_up",
        "mailprobe_probe_duration_seconds",
        "mailprobe_cert_expiry_timestamp_seconds",
        "mailprobe_findings",
    }
    up = families["mailprobe_service_up"].samples
    assert {(s.labels["service"], s.labels["port"], s.value) for s in up} == {
        ("imap", "993", 1.0),
        ("imap", "143", 1.0),
        ("pop3", "995", 1.0),
        ("smtp", "465", 1.0),
        ("smtp", "587", 1.0),
    }
    for sample in up:
        assert set(sample.labels) == {"address", "service", "host", "port", "security"}
        assert sample.labels["address"] == "alice@mailprobe.test"
    expiry = families["mailprobe_cert_expiry_timestamp_seconds"].samples
    import time

    assert all(s.value > time.time() + 300 * 86400 for s in expiry)
    durations = families["mailprobe_probe_duration_seconds"].samples
    assert all(0 < s.value < 10 for s in durations)
    findings = {s.labels["severity"]: s.value for s in families["mailprobe_findings"].samples}
    assert findings == {"error": 0.0, "warning": 1.0, "info": 3.0}
    # node_exporter's textfile collector reads the classic text format: same families.
    classic = {f.name for f in parse_prometheus_text(out)}
    assert classic == set(families)


def test_openmetrics_escapes_label_values() -> None:
    from mailprobe.models import Report
    from mailprobe.render.openmetrics import escape_label, render

    assert escape_label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    report = Report(
        address='o"dd\\name\n@example.org',
        domain="example.org",
        provider=None,
        recommended={},
        candidates=(),
        sources=(),
        findings=(),
    )
    [family] = list(parse_openmetrics(render(report)))
    assert {s.labels["address"] for s in family.samples} == {'o"dd\\name\n@example.org'}


def test_github_commands_and_step_summary(
    capsys: pytest.CaptureFixture[str],
    bed_args: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out = _render(capsys, "policy", "github", bed_args)
    assert code == ExitStatus.FINDINGS
    lines = out.splitlines()
    command = re.compile(r"^::(error|warning) title=(?P<title>[^:]+)::(?P<message>.+)$")
    assert all(command.match(line) for line in lines), lines
    kinds = [line.split(" ", 1)[0] for line in lines]
    assert kinds == ["::error", "::warning"]
    assert "policy.require.no_plaintext_auth imap.mailprobe.test%3A143" in lines[0]
    assert "%0A" in lines[0]  # summary and advice on separate lines of the annotation
    text = summary.read_text()
    assert text.startswith("earlier step\n## mailprobe: alice@mailprobe.test")
    assert "**Verdict: failed (exit status 1).**" in text
    assert "`policy.require.no_plaintext_auth`" in text


def test_json_short_form_and_contradiction(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    code = run(["discover", "alice@mailprobe.test", "--json", "--format", "json", *bed_args])
    assert code == ExitStatus.OK
    assert capsys.readouterr().out.startswith("{")
    code = run(["discover", "alice@mailprobe.test", "--json", "--format", "junit", *bed_args])
    _, err = capsys.readouterr()
    assert code == ExitStatus.USAGE
    assert "--json and --format junit contradict" in err


def test_discover_renders_every_format(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    for fmt in FORMATS:
        code = run(["discover", "alice@mailprobe.test", "--format", fmt, *bed_args])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        if fmt == "nagios":
            assert code == 0
            assert out.startswith("MAILPROBE OK - alice@mailprobe.test: IMAP found (not tested)")
        else:
            assert code == ExitStatus.OK
        if fmt == "junit":
            ET.fromstring(out.encode())
        if fmt == "openmetrics":
            names = {f.name for f in parse_openmetrics(out)}
            assert names == {"mailprobe_findings"}  # nothing was probed
