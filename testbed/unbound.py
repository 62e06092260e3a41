"""unbound: a validating resolver on loopback in front of NSD, for the signed zone tree.

Stub zones send every `signed.test` query to the bed's NSD; the trust anchor is the DS of
`signed.test`. Everything else is refused, so the resolver never recurses to the outside.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from testbed.proc import BedError, run, spawn


def write_config(
    root: Path, port: int, nsd_port: int, trust_anchor: str, zones: Sequence[str]
) -> Path:
    """Write unbound.conf under `root`; returns its path."""
    root.mkdir(parents=True, exist_ok=True)
    parent = zones[0]
    stubs = "".join(
        f'stub-zone:\n    name: "{zone}."\n    stub-addr: 127.0.0.1@{nsd_port}\n' for zone in zones
    )
    conf = root / "unbound.conf"
    conf.write_text(
        f"""server:
    interface: 127.0.0.1@{port}
    port: {port}
    do-ip6: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "{root}"
    pidfile: "{root}/unbound.pid"
    logfile: ""
    use-syslog: no
    verbosity: 1
    val-log-level: 2
    num-threads: 1
    so-reuseport: no
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    module-config: "validator iterator"
    trust-anchor: "{trust_anchor}"
    ede: yes
    # No recursion to the outside: everything but the test tree is refused.
    local-zone: "." refuse
    local-zone: "test." nodefault
    local-zone: "{parent}." transparent
    # Every start signs the zones anew; nothing worth caching across queries of a test run.
    cache-max-ttl: 5
    cache-max-negative-ttl: 5

remote-control:
    control-enable: no

{stubs}"""
    )
    return conf


def start(root: Path, conf: Path) -> subprocess.Popen[bytes]:
    """Check the config and start unbound in the foreground (so the PID is ours)."""
    log = root / "unbound.log"
    if run(["unbound-checkconf", str(conf)], log) != 0:
        raise BedError(f"unbound-checkconf rejected {conf}: see {log}")
    return spawn(["unbound", "-d", "-c", str(conf)], log)
