"""The public surface of mailprobe.probes: exported names, timeouts, default security."""

from __future__ import annotations

import mailprobe.probes as probe_pkg
from mailprobe.models import ProbePhase, Security
from mailprobe.probes import ProbeTimeouts, default_security


def test_exported_names() -> None:
    assert set(probe_pkg.__all__) == {
        "Credentials",
        "ProbeTimeouts",
        "default_security",
        "probe_endpoint",
    }


def test_default_security_by_port() -> None:
    assert default_security(993) is Security.TLS
    assert default_security(465) is Security.TLS
    assert default_security(995) is Security.TLS
    assert default_security(587) is Security.STARTTLS
    assert default_security(143) is Security.STARTTLS


def test_timeouts_fit_a_deadline_and_keep_the_greeting_generous() -> None:
    t = ProbeTimeouts.within(10.0)
    assert t.total == 10.0
    assert t.greeting > t.connect
    assert all(v <= 10.0 for v in (t.connect, t.greeting, t.tls, t.command))
    assert t.for_phase(ProbePhase.BANNER) == t.greeting
    assert t.for_phase(ProbePhase.CONNECT) == t.connect
    assert ProbeTimeouts().greeting >= 20.0
