"""Shared fixtures: the real-server loopback test bed (NSD, nginx, Dovecot, Postfix).

`bed` uses the running bed named by MAILPROBE_BED (a directory with bed.json), or starts
one for the session. Without the servers (or without root) bed tests are skipped, except
under CI=true, where a missing or broken bed fails them: CI must never pass by skipping.
"""

from __future__ import annotations

import os
import ssl
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# `testbed` lives beside the package in the checkout, not in the installed distribution.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from testbed import Bed, BedError, BedInfo, load_bed, missing_binaries  # noqa: E402
from testbed.proc import alive  # noqa: E402


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"test bed unavailable under CI: {reason}", pytrace=False)
    pytest.skip(f"test bed unavailable: {reason}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the bed with `bed`, so `-m "not bed"` deselects them."""
    for item in items:
        if "bed" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.bed)


_skipped_bed_tests: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember bed tests that were skipped (CI must not pass that way)."""
    if report.skipped and "bed" in report.keywords:
        _skipped_bed_tests.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI, a skipped real-server test fails the run."""
    if _in_ci() and _skipped_bed_tests and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say why CI fails when real-server tests were skipped."""
    if _in_ci() and _skipped_bed_tests:
        terminalreporter.write_line(
            f"CI: {len(_skipped_bed_tests)} real-server test(s) skipped; CI fails on that: "
            + ", ".join(_skipped_bed_tests[:5]),
            red=True,
        )


@pytest.fixture(scope="session")
def bed() -> Iterator[BedInfo]:
    """The running test bed: ports, DNS server, CA file, connect-to rules, the mail user."""
    given = os.environ.get("MAILPROBE_BED")
    if given:
        try:
            info = load_bed(given)
        except (OSError, ValueError, KeyError) as exc:
            pytest.fail(f"MAILPROBE_BED={given}: cannot read bed.json: {exc}", pytrace=False)
        down = [name for name, pid in info.pids.items() if not alive(pid)]
        if down:
            pytest.fail(f"MAILPROBE_BED={given}: not running: {', '.join(down)}", pytrace=False)
        yield info
        return
    missing = missing_binaries()
    if missing:
        _unavailable(f"missing programs: {', '.join(missing)}")
    if os.geteuid() != 0:
        _unavailable("starting the daemons needs root (they switch to their own users)")
    running = Bed()
    try:
        info = running.start()
    except BedError as exc:
        pytest.fail(f"test bed failed to start: {exc}", pytrace=False)
    try:
        yield info
    finally:
        running.stop()


@pytest.fixture(scope="session")
def bed_args(bed: BedInfo) -> list[str]:
    """mailprobe CLI options aiming DNS, HTTPS, ISPDB and every connection at the bed."""
    return bed.cli_args()


@pytest.fixture(scope="session")
def bed_dns_args(bed: BedInfo) -> list[str]:
    """Like `bed_args`, but `--connect-to` only maps ports; the bed's DNS picks addresses."""
    return bed.cli_args(dns_routing=True)


@pytest.fixture
def bed_tls(bed: BedInfo) -> ssl.SSLContext:
    """A client TLS context that trusts only the bed's CA."""
    return ssl.create_default_context(cafile=str(bed.ca_file))


@pytest.fixture(autouse=True)
def _json_documents_match_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every report, scan line and domain report built during a test is schema-valid.

    The JSON renderer's builders are wrapped so that each document is validated against
    the schema shipped in the package (`mailprobe schema`) as it is made; an invalid one
    fails the test that produced it.
    """
    from typing import Any

    import mailprobe.render.json as json_render
    import schemacheck

    report_to_json = json_render.report_to_json
    scan_line = json_render.scan_line
    scan_error_line = json_render.scan_error_line

    def checked_report(report: Any) -> dict[str, Any]:
        return schemacheck.valid_report(report_to_json(report))

    def checked_line(text: str, report: Any, exit_status: int) -> dict[str, Any]:
        return schemacheck.valid_scan_line(scan_line(text, report, exit_status))

    def checked_error_line(text: str, error: str, exit_status: int) -> dict[str, Any]:
        return schemacheck.valid_scan_line(scan_error_line(text, error, exit_status))

    monkeypatch.setattr(json_render, "report_to_json", checked_report)
    import mailprobe

    if getattr(mailprobe, "report_to_json", None) is report_to_json:  # bound at import
        monkeypatch.setattr(mailprobe, "report_to_json", checked_report)
    monkeypatch.setattr(json_render, "scan_line", checked_line)
    monkeypatch.setattr(json_render, "scan_error_line", checked_error_line)

    import mailprobe.inbound.report as domain_json

    domain_to_json = domain_json.report_to_json

    def checked_domain(report: Any) -> dict[str, Any]:
        return schemacheck.valid_domain_report(domain_to_json(report))

    monkeypatch.setattr(domain_json, "report_to_json", checked_domain)
