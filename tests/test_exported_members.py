"""The public API is exactly what `mailprobe.__all__` lists, and nothing more."""

from __future__ import annotations

import mailprobe

#: The documented public names (README "Library"): the three functions, the report and
#: what it holds, the exceptions, the exit status rule, `Credentials` and the version.
PUBLIC = {
    "check",
    "discover",
    "probe",
    "Credentials",
    "Report",
    "Recommendation",
    "Candidate",
    "ServerSetting",
    "Provenance",
    "ProbedCandidate",
    "ProbeResult",
    "TlsInfo",
    "Cause",
    "CertInfo",
    "Timings",
    "LoginResult",
    "LoginStatus",
    "SourceOutcome",
    "Finding",
    "Change",
    "ProviderInfo",
    "ProviderStatus",
    "Protocol",
    "Security",
    "Severity",
    "SourceId",
    "SourceStatus",
    "ProbeStatus",
    "MailprobeError",
    "PolicyError",
    "BaselineError",
    "InvalidInputError",
    "InvalidAddressError",
    "InvalidOptionError",
    "InvalidArgumentError",
    "ProviderDbError",
    "ExitStatus",
    "exit_status_for",
    "report_to_json",
    "__version__",
}


def test_all_is_exactly_the_documented_public_api() -> None:
    assert set(mailprobe.__all__) == PUBLIC
    assert len(mailprobe.__all__) == len(PUBLIC)


def test_the_old_option_objects_are_not_exported() -> None:
    for name in ("CheckOptions", "DiscoveryOptions", "NetOptions", "InternalError"):
        assert name not in mailprobe.__all__
        assert not hasattr(mailprobe, name)


def test_the_async_twins_live_in_mailprobe_aio() -> None:
    assert set(mailprobe.aio.__all__) == {"check", "discover", "probe"}


def test_importing_the_package_loads_only_its_root() -> None:
    import subprocess
    import sys

    code = (
        "import sys, mailprobe; print(sorted(m for m in sys.modules if m.startswith('mailprobe')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "['mailprobe']"


def test_all_names_the_public_members_and_nothing_else() -> None:
    public = {
        name
        for name in dir(mailprobe)
        if not name.startswith("_") and not isinstance(getattr(mailprobe, name), type(mailprobe))
    }
    assert public == set(mailprobe.__all__) - {"__version__"}


def test_every_exported_name_resolves() -> None:
    for name in mailprobe.__all__:
        assert getattr(mailprobe, name) is not None


def test_importing_the_package_loads_no_network_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys, mailprobe; "
        "print(','.join(m for m in ('httpx', 'dns.resolver', 'cryptography') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_no_exported_name_is_shadowed_by_a_submodule() -> None:
    import importlib.util

    clashes = [n for n in mailprobe.__all__ if importlib.util.find_spec(f"mailprobe.{n}")]
    assert clashes == []


def test_an_offline_lookup_loads_no_network_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys, io; from mailprobe.cli import run; out = sys.stdout; "
        "sys.stdout = io.StringIO(); status = run(['discover', 'you@gmail.com', '--offline',"
        " '--json']); sys.stdout = out; "
        "print(status, ','.join(m for m in ('httpx', 'dns.resolver', 'cryptography',"
        " 'publicsuffixlist') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["0"]


def test_dead_code_stays_removed() -> None:
    import dataclasses

    import mailprobe.discovery
    import mailprobe.errors
    from mailprobe.models import DiscoveryResult

    assert not hasattr(mailprobe.errors, "InternalError")
    assert "InternalError" not in mailprobe.__all__
    assert "findings" not in {f.name for f in dataclasses.fields(DiscoveryResult)}
    assert not hasattr(mailprobe.discovery, "trusted_user_provenance")


def test_every_report_offers_its_json() -> None:
    from mailprobe.models import Report

    report = Report("a@example.org", "example.org", None, {}, (), (), ())
    doc = report.to_json()
    assert doc["schema_version"] == 1
    assert set(doc["recommended"]) == {"imap", "pop3", "smtp"}
    assert doc["generated_at"] is None  # set by the pipeline, not by hand-built reports
