"""`diagnose_probe`: every finding about one probed endpoint."""

from __future__ import annotations

from mailprobe.diagnose.connection import address_findings, greeting_findings, status_findings
from mailprobe.diagnose.session import capability_findings, login_findings
from mailprobe.diagnose.tls import tls_findings
from mailprobe.models import Candidate, Finding, ProbeResult

#: Certificates expiring within this many days get a warning.
DEFAULT_EXPIRY_WARNING_DAYS = 30


def diagnose_probe(
    candidate: Candidate,
    probe: ProbeResult,
    *,
    now_days_warning: int = DEFAULT_EXPIRY_WARNING_DAYS,
) -> tuple[Finding, ...]:
    """Findings for one endpoint: why it failed, and what it showed about itself.

    The cause of a failure is named once (a port/mode mismatch rather than the TLS error it
    causes); facts the probe observed (capabilities, certificate, login answer) are
    reported whether or not the probe succeeded. `now_days_warning` is the number of days
    before certificate expiry that earns a warning.
    """
    cause = status_findings(candidate, probe)
    return (
        *cause,
        *address_findings(candidate, probe),
        *greeting_findings(candidate, probe),
        *tls_findings(candidate, probe, warn_days=now_days_warning, explained=bool(cause)),
        *capability_findings(candidate, probe),
        *login_findings(candidate, probe),
    )
