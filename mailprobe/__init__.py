"""mailprobe: find and verify the IMAP, POP3 and SMTP settings an e-mail address needs.

::

    import mailprobe
    report = mailprobe.check("alice@example.org", timeout=10)       # discover + verify
    report = mailprobe.discover("alice@example.org", offline=True)  # contacts nothing
    report = mailprobe.probe("imap.example.org:993", protocol="imap", security="tls")
    report = await mailprobe.aio.check("alice@example.org")         # async twins

Every function returns a frozen `Report`. Expected failures (a refused connection, a
timeout) are data in it; invalid arguments raise `InvalidInputError` subclasses.

The package root only re-exports: names load on first use, so `import mailprobe` stays
cheap and loads no network library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailprobe import aio as aio
    from mailprobe.api import check, discover, probe
    from mailprobe.errors import (
        BaselineError,
        InvalidAddressError,
        InvalidArgumentError,
        InvalidInputError,
        InvalidOptionError,
        MailprobeError,
        PolicyError,
        ProviderDbError,
    )
    from mailprobe.exit_status import ExitStatus, exit_status_for
    from mailprobe.models import (
        Candidate,
        Cause,
        CertInfo,
        Change,
        Finding,
        LoginResult,
        LoginStatus,
        ProbedCandidate,
        ProbeResult,
        ProbeStatus,
        Protocol,
        Provenance,
        ProviderInfo,
        ProviderStatus,
        Recommendation,
        Report,
        Security,
        ServerSetting,
        Severity,
        SourceId,
        SourceOutcome,
        SourceStatus,
        Timings,
        TlsInfo,
    )
    from mailprobe.probes.login import Credentials
    from mailprobe.render.json import report_to_json
    from mailprobe.version import __version__

_HOMES = {
    "check": "mailprobe.api",
    "discover": "mailprobe.api",
    "probe": "mailprobe.api",
    "Credentials": "mailprobe.probes.login",
    "report_to_json": "mailprobe.render.json",
    "ExitStatus": "mailprobe.exit_status",
    "exit_status_for": "mailprobe.exit_status",
    "__version__": "mailprobe.version",
    **dict.fromkeys(
        (
            "BaselineError",
            "InvalidAddressError",
            "InvalidArgumentError",
            "InvalidInputError",
            "InvalidOptionError",
            "MailprobeError",
            "PolicyError",
            "ProviderDbError",
        ),
        "mailprobe.errors",
    ),
    **dict.fromkeys(
        (
            "Candidate",
            "Cause",
            "CertInfo",
            "Change",
            "Finding",
            "LoginResult",
            "LoginStatus",
            "ProbeResult",
            "ProbeStatus",
            "ProbedCandidate",
            "Protocol",
            "Provenance",
            "ProviderInfo",
            "ProviderStatus",
            "Recommendation",
            "Report",
            "Security",
            "ServerSetting",
            "Severity",
            "SourceId",
            "SourceOutcome",
            "SourceStatus",
            "Timings",
            "TlsInfo",
        ),
        "mailprobe.models",
    ),
}


def __getattr__(name: str) -> Any:
    if name == "aio":
        return importlib.import_module("mailprobe.aio")
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*_HOMES, "aio"])


__all__ = [
    "BaselineError",
    "Candidate",
    "Cause",
    "CertInfo",
    "Change",
    "Credentials",
    "ExitStatus",
    "Finding",
    "InvalidAddressError",
    "InvalidArgumentError",
    "InvalidInputError",
    "InvalidOptionError",
    "LoginResult",
    "LoginStatus",
    "MailprobeError",
    "PolicyError",
    "ProbeResult",
    "ProbeStatus",
    "ProbedCandidate",
    "Protocol",
    "Provenance",
    "ProviderDbError",
    "ProviderInfo",
    "ProviderStatus",
    "Recommendation",
    "Report",
    "Security",
    "ServerSetting",
    "Severity",
    "SourceId",
    "SourceOutcome",
    "SourceStatus",
    "Timings",
    "TlsInfo",
    "__version__",
    "check",
    "discover",
    "exit_status_for",
    "probe",
    "report_to_json",
]
