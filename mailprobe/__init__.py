"""mailprobe: find and verify the IMAP, POP3 and SMTP settings an e-mail address needs.

The library is async at the core::

    import asyncio, mailprobe
    report = asyncio.run(mailprobe.check("alice@example.org"))
    print(report.recommended[mailprobe.Protocol.IMAP])

`discover` only gathers candidates (no mail server is contacted), `check` discovers and
verifies with live handshakes, `probe_setting` verifies one user-typed setting. Every result is a
frozen dataclass from `mailprobe.models`; `report_to_json` gives the stable JSON report.

For CI (imported on demand, to keep start-up light): `mailprobe.policy.apply_policy(report,
mailprobe.policy.load_policy("policy.toml"))` adds `policy.*` findings, and
`mailprobe.baseline.apply_baseline(report, mailprobe.baseline.load_baseline("old.json"))`
lists the `changes` since an earlier report.
"""

from mailprobe.address import parse_address
from mailprobe.discovery import discover
from mailprobe.errors import (
    BaselineError,
    InvalidAddressError,
    InvalidInputError,
    InvalidOptionError,
    MailprobeError,
    PolicyError,
    ProviderDbError,
)
from mailprobe.exit_status import ExitStatus, exit_status_for
from mailprobe.models import (
    Address,
    Candidate,
    Cause,
    CertInfo,
    Change,
    ConnectTo,
    DiscoveryOptions,
    DiscoveryResult,
    Finding,
    LoginResult,
    LoginStatus,
    Nameserver,
    NetOptions,
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
from mailprobe.pipeline import CheckOptions
from mailprobe.pipeline import run_check as check
from mailprobe.pipeline import run_discover as discover_report
from mailprobe.pipeline import run_probe as probe_setting
from mailprobe.render.json import report_to_json
from mailprobe.version import __version__

__all__ = [
    "Address",
    "BaselineError",
    "Candidate",
    "Cause",
    "CertInfo",
    "Change",
    "CheckOptions",
    "ConnectTo",
    "DiscoveryOptions",
    "DiscoveryResult",
    "ExitStatus",
    "Finding",
    "InvalidAddressError",
    "InvalidInputError",
    "InvalidOptionError",
    "LoginResult",
    "LoginStatus",
    "MailprobeError",
    "Nameserver",
    "NetOptions",
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
    "discover_report",
    "exit_status_for",
    "parse_address",
    "probe_setting",
    "report_to_json",
]
