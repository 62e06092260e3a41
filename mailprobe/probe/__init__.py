"""Live, credential-free handshakes with IMAP, POP3 and SMTP endpoints.

`probe_endpoint` is the entry point; it returns a `mailprobe.models.ProbeResult` for
every outcome. `Credentials` enables the optional login test, `ProbeTimeouts` sets the
time allowed for each step.
"""

from mailprobe.probe.dialog import ProbeTimeouts
from mailprobe.probe.login import Credentials
from mailprobe.probe.session import STANDARD_PORTS, default_security, probe_endpoint

__all__ = [
    "STANDARD_PORTS",
    "Credentials",
    "ProbeTimeouts",
    "default_security",
    "probe_endpoint",
]
