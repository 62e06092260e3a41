"""The recipes of docs/monitoring.md, run against the bed as they are written there.

Each recipe block is found by its `<!-- recipe: NAME -->` marker; the mailprobe command is
taken from it, `postmaster@example.org` becomes the bed's address and the bed's network
options are added. Sample outputs on the page must match a real run (timings aside).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as _om

from mailprobe.cli import run
from mailprobe.exit_status import ExitStatus

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "docs" / "monitoring.md"
ADDRESS = "postmaster@example.org"
BED_ADDRESS = "alice@mailprobe.test"


def _recipes() -> dict[str, str]:
    text = PAGE.read_text()
    found = re.findall(r"<!-- recipe: (\w+) -->\n```\w*\n(.*?)```", text, flags=re.S)
    return dict(found)


def _samples() -> list[str]:
    """The unmarked code blocks (sample outputs), in page order."""
    text = PAGE.read_text()
    return re.findall(r"(?<!-->)\n\n```\n(.*?)```", text, flags=re.S)


def _argv(command: str, bed_args: list[str]) -> list[str]:
    """A documented `mailprobe ...` command as argv for the bed (output redirection cut)."""
    words = shlex.split(command.split(" > ")[0].split(" | ")[0])
    assert words[0].endswith("mailprobe"), command
    words = [BED_ADDRESS if w == ADDRESS else w for w in words[1:]]
    return [*words, *bed_args]


def _timings(text: str) -> str:
    """Text without the numbers that differ per run (probe times, days left)."""
    return re.sub(r"cert_days'=\d+;", "cert_days'=N;", re.sub(r"=[0-9.]+ms;", "=0ms;", text))


@pytest.fixture
def recipes() -> dict[str, str]:
    found = _recipes()
    assert set(found) == {
        "policy",
        "github",
        "gitlab",
        "nagios",
        "icinga",
        "cron",
        "alerts",
        "domain_nagios",  # tested in test_domain_ci_bed.py
        "domain_alerts",
    }
    return found


def test_policy_recipe_is_valid(
    recipes: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mail-policy.toml"
    path.write_text(recipes["policy"])
    assert run(["policy", "check", str(path)]) == ExitStatus.OK
    assert "valid policy, 7 rules" in capsys.readouterr().out


def test_github_workflow_recipe(
    recipes: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    bed_args: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "mail-policy.toml").write_text(recipes["policy"])
    runs = re.findall(r"run: (mailprobe .*)", recipes["github"])
    check, keep = runs
    # The report of an earlier run's "keep" step, stored as the baseline (`|| true` there:
    # the bed breaks one rule of the policy, so it exits with 1).
    assert run(_argv(keep, bed_args)) == ExitStatus.FINDINGS
    (tmp_path / ".github" / "mail-baseline.json").write_text(capsys.readouterr().out)
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code = run(_argv(check, bed_args))
    out = capsys.readouterr().out
    assert code == ExitStatus.FINDINGS  # the policy's no_plaintext_auth is violated
    github_sample = next(s for s in _samples() if s.startswith("::error"))
    assert out == github_sample
    assert "### Policy" in summary.read_text()
    assert "Changes since the baseline" not in summary.read_text()  # nothing changed


def test_gitlab_junit_recipe(
    recipes: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    bed_args: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "mail-policy.toml").write_text(recipes["policy"])
    [script] = re.findall(r"- (mailprobe .*)", recipes["gitlab"])
    report_name = script.split(" > ")[1].strip()
    assert report_name in re.findall(r"junit: (\S+)", recipes["gitlab"])
    code = run(_argv(script, bed_args))
    (tmp_path / report_name).write_text(capsys.readouterr().out)
    assert code == ExitStatus.FINDINGS
    root = ET.parse(tmp_path / report_name).getroot()
    assert root.find("testsuite[@name='alice@mailprobe.test']") is not None
    assert len(root.findall(".//failure")) == 1


def test_nagios_command_definition(
    recipes: dict[str, str], capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    line = re.search(r"command_line\s+(.*)", recipes["nagios"])
    call = re.search(r"check_command\s+check_mailprobe!(.*)", recipes["nagios"])
    assert line is not None
    assert call is not None
    args = call.group(1).split("!")
    command = line.group(1)
    for i, value in enumerate(args, 1):
        command = command.replace(f"${'ARG'}{i}$", value)
    code = run(_argv(command, bed_args))
    out = capsys.readouterr().out
    assert code == 1  # WARNING
    nagios_sample = next(s for s in _samples() if s.startswith("MAILPROBE"))
    assert _timings(out) == _timings(nagios_sample)


def test_icinga_check_command(
    recipes: dict[str, str], capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    text = recipes["icinga"]
    command = re.search(r"command = \[ (.*) \]", text)
    assert command is not None
    words = [w.strip().strip('"') for w in command.group(1).split(",")]
    values = dict(re.findall(r"vars\.(\w+) = (\S+)", text))
    argv: list[str] = []
    for word in words:
        var = re.fullmatch(r"\$(\w+)\$", word)
        argv.append(values[var.group(1)].strip('"') if var else word)
    for option, var in re.findall(r'"(--[\w-]+)" = "\$(\w+)\$"', text):
        if var in values:  # Icinga leaves out arguments whose value is not set
            argv += [option, values[var].strip('"')]
    assert argv[1:3] == ["check", ADDRESS]
    assert "--policy" not in argv
    code = run(_argv(" ".join(argv), bed_args))
    out = capsys.readouterr().out
    assert code == 1
    assert re.search(r"cert_days'=\d+;21:;;;", out)


def test_node_exporter_cron_line(
    recipes: dict[str, str], tmp_path: Path, bed_args: list[str]
) -> None:
    line = recipes["cron"].strip()
    fields = line.split(" ", 5)
    assert len(fields) == 6  # five time fields and the command
    command = fields[5].replace("/var/lib/node_exporter/textfile", str(tmp_path))
    bed = " ".join(map(shlex.quote, bed_args))
    mailprobe = f"{shlex.quote(sys.executable)} -m mailprobe check {BED_ADDRESS} {bed}"
    command = command.replace(f"mailprobe check {ADDRESS}", mailprobe)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run(["sh", "-c", command], cwd=REPO, env=env, timeout=60, check=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mailprobe.prom"]
    families = {f.name for f in _om((tmp_path / "mailprobe.prom").read_text())}  # type: ignore[no-untyped-call]
    assert "mailprobe_cert_expiry_timestamp_seconds" in families
    # A failing run (a bad option: nothing on stdout) leaves the last good file alone.
    broken = command.replace(" check ", " check --timeout -5 ")
    subprocess.run(["sh", "-c", broken], cwd=REPO, env=env, timeout=60, check=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mailprobe.prom"]
    assert "mailprobe_service_up" in (tmp_path / "mailprobe.prom").read_text()


def test_alert_rules_use_metrics_and_labels_we_emit(
    recipes: dict[str, str], capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    assert run(["check", BED_ADDRESS, "--format", "openmetrics", *bed_args]) == 0
    emitted = {
        f.name: {label for s in f.samples for label in s.labels}
        for f in _om(capsys.readouterr().out)  # type: ignore[no-untyped-call]
    }
    rules = re.split(r"\n\s+- alert: ", recipes["alerts"])[1:]
    assert len(rules) == 3
    for rule in rules:
        expr = re.search(r"expr: (.*)", rule)
        assert expr is not None
        metrics = set(re.findall(r"mailprobe_\w+", expr.group(1)))
        assert metrics, rule
        assert metrics <= set(emitted), metrics - set(emitted)
        labels = set(re.findall(r"\$labels\.(\w+)", rule))
        selectors = set(re.findall(r"(\w+)=\"", expr.group(1)))
        for metric in metrics:
            assert labels | selectors <= emitted[metric], (metric, labels - emitted[metric])


def test_sample_metrics_are_real_output(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    assert run(["check", BED_ADDRESS, "--format", "openmetrics", *bed_args]) == 0
    real = capsys.readouterr().out.splitlines()
    sample = next(s for s in _samples() if s.startswith("# HELP"))

    def shape(line: str) -> str:
        return re.sub(r"\} [0-9.e+]+$", "} N", line)

    real_shapes = {shape(line) for line in real}
    for line in sample.splitlines():
        if line.startswith(("mailprobe_probe_duration", "mailprobe_cert_expiry")):
            assert shape(line) in real_shapes, line
        else:
            assert line in real, line
