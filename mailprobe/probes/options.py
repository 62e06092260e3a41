"""`CheckOptions`: what verification may do (a plain value; importing it loads no I/O code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailprobe.models import DiscoveryOptions

if TYPE_CHECKING:
    from mailprobe.probes.login import Credentials
    from mailprobe.probes.sharing import SharedProbes


@dataclass(frozen=True)
class CheckOptions:
    """What verification may do, on top of the discovery options."""

    discovery: DiscoveryOptions = field(default_factory=DiscoveryOptions)
    max_connections: int = 10
    per_host_connections: int = 2
    credentials: Credentials | None = None
    username_override: bool = False
    allow_plaintext_login: bool = False
    sender_check: bool = False
    check_weak_tls: bool = False
    #: Record the protocol conversation of every probe (`ProbeResult.transcript`).
    transcript: bool = False
    #: Probe results shared by every address of a bulk scan (see probes/sharing.py).
    shared_probes: SharedProbes | None = field(default=None, compare=False, repr=False)
    cert_warn_days: int = 30  # a certificate expiring within this many days: a warning
