"""NSD: authoritative for the bed's zones on 127.0.0.1 (UDP and TCP), state in DIR/nsd."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from testbed import zones
from testbed.proc import BedError, run, spawn


def server_config(
    root: Path, port: int, zone_files: Mapping[str, str | Path], *, server_extra: str = ""
) -> str:
    """The text of an nsd.conf serving `zone_files` (zone name -> file) on 127.0.0.1:`port`.

    `server_extra` adds lines to the `server:` section (e.g. turning rate limiting off).
    """
    zones_text = "".join(
        f'\nzone:\n    name: "{name}"\n    zonefile: "{path}"\n'
        for name, path in zone_files.items()
    )
    return f"""server:
    ip-address: 127.0.0.1@{port}
    port: {port}
    do-ip6: no
    server-count: 1
    verbosity: 1
    username: nsd
    chroot: ""
    zonesdir: "{root}"
    database: ""
    zonelistfile: "{root}/zone.list"
    xfrdfile: "{root}/xfrd.state"
    xfrdir: "{root}"
    pidfile: "{root}/nsd.pid"
    logfile: "{root}/nsd.log"
    hide-version: yes
    reuseport: no
{server_extra}
remote-control:
    control-enable: no
{zones_text}"""


def write_config(
    root: Path, port: int, tlsa: Mapping[str, str], extra_zones: Mapping[str, Path] | None = None
) -> Path:
    """Write nsd.conf and the zone files under `root`; returns the config path.

    `extra_zones` maps further zone names to ready zone files (the signed tree).
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{zones.MAIN}.zone").write_text(zones.main_zone(tlsa))
    (root / f"{zones.HOSTER}.zone").write_text(zones.hoster_zone())
    conf = root / "nsd.conf"
    files: dict[str, str | Path] = {
        zones.MAIN: f"{zones.MAIN}.zone",
        zones.HOSTER: f"{zones.HOSTER}.zone",
        **(extra_zones or {}),
    }
    conf.write_text(server_config(root, port, files))
    shutil.chown(root, user="nsd")
    return conf


def start(root: Path, conf: Path) -> subprocess.Popen[bytes]:
    """Check the config and start NSD in the foreground (so the PID is ours)."""
    log = root / "nsd.out"
    if run(["nsd-checkconf", str(conf)], log) != 0:
        raise BedError(f"nsd-checkconf rejected {conf}: see {log}")
    return spawn(["nsd", "-d", "-c", str(conf)], log)
