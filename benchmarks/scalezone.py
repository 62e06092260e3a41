"""A generated DNS zone of many mail domains, served by an NSD of its own on loopback.

`scale.test` holds N domains in three kinds, by index: the six mail SRV records (RFC 6186 /
8314) pointing at a shared hoster, an MX record only, and nothing at all (the name does not
exist). A share of the SRV domains can point at fault servers instead (see bench_scan.py).
NSD's response rate limiting is turned off (`rrl-ratelimit: 0`): its default of 200
answers per second would otherwise throttle a benchmark to a fraction of its speed.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from testbed.nsd import server_config

ZONE = "scale.test"
SRV_SERVICES = (
    ("_imaps._tcp", 993, "imap"),
    ("_imap._tcp", 143, "imap"),
    ("_pop3s._tcp", 995, "pop"),
    ("_pop3._tcp", 110, "pop"),
    ("_submissions._tcp", 465, "smtp"),
    ("_submission._tcp", 587, "smtp"),
)
FAULT_HOSTS = ("tarpit", "reset", "garbage")


def domain(index: int) -> str:
    """The name of domain number `index` (whether or not it exists in the zone)."""
    return f"d{index}.{ZONE}"


def kind(index: int) -> str:
    """`srv`, `mx` or `none`, in turns."""
    return ("srv", "mx", "none")[index % 3]


def zone_text(count: int, fault_share: float = 0.0) -> str:
    """The zone file; `fault_share` of the SRV domains point at the fault hosts."""
    lines = [
        f"$ORIGIN {ZONE}.",
        "$TTL 300",
        f"@ IN SOA ns.{ZONE}. admin.{ZONE}. 1 3600 600 86400 300",
        f"@ IN NS ns.{ZONE}.",
        "ns IN A 127.0.0.1",
        "mail.hoster IN A 127.0.0.1",
    ]
    lines += [f"{name} IN A 127.0.0.1" for name in FAULT_HOSTS]
    every = round(1 / fault_share) if fault_share else 0
    srv_seen = 0
    for index in range(count):
        label = f"d{index}"
        if kind(index) == "srv":
            srv_seen += 1
            faulty = every and srv_seen % every == 0
            target = f"{FAULT_HOSTS[srv_seen % 3]}.{ZONE}." if faulty else f"mail.hoster.{ZONE}."
            for service, port, _name in SRV_SERVICES:
                lines.append(f"{service}.{label} IN SRV 0 1 {port} {target}")
        elif kind(index) == "mx":
            lines.append(f"{label} IN MX 10 mx.{label}")
            lines.append(f"mx.{label} IN A 127.0.0.1")
    return "\n".join(lines) + "\n"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        port = int(udp.getsockname()[1])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
        tcp.bind(("127.0.0.1", port))  # the same port must be free for TCP too
    return port


@dataclass(frozen=True)
class ScaleDns:
    """A running NSD serving the scale zone."""

    port: int
    pid: int

    @property
    def nameserver(self) -> str:
        """The `--nameserver` value."""
        return f"127.0.0.1:{self.port}"


@contextlib.contextmanager
def serve_zone(count: int, fault_share: float = 0.0) -> Iterator[ScaleDns]:
    """Start NSD for a zone of `count` domains; stop it (by PID) afterwards."""
    root = Path(tempfile.mkdtemp(prefix="mailprobe-scalezone-"))
    shutil.chown(root, user="nsd")
    (root / f"{ZONE}.zone").write_text(zone_text(count, fault_share))
    port = _free_port()
    conf = root / "nsd.conf"
    no_rate_limit = "    rrl-ratelimit: 0\n    rrl-whitelist-ratelimit: 0\n"
    text = server_config(root, port, {ZONE: f"{ZONE}.zone"}, server_extra=no_rate_limit)
    # Two NSD processes on one port (SO_REUSEPORT) drain bursts of queries twice as fast.
    text = text.replace("server-count: 1", "server-count: 2").replace(
        "reuseport: no", "reuseport: yes"
    )
    conf.write_text(text)
    checked = subprocess.run(["nsd-checkconf", str(conf)], capture_output=True, text=True)
    if checked.returncode != 0:
        raise RuntimeError(f"nsd-checkconf: {checked.stderr.strip()}")
    # Hundreds of queries arrive at once; NSD 4.6 cannot size its socket buffers, and the
    # kernel's default drops some of them (clients then wait seconds to retry). NSD's
    # sockets get a larger default while it starts; the old value is restored at once.
    with _socket_buffer_default(RECEIVE_BUFFER):
        process = subprocess.Popen(
            ["nsd", "-d", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            _wait_for(port)
        except BaseException:
            process.kill()
            raise
    try:
        yield ScaleDns(port, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)


RECEIVE_BUFFER = 4 * 1024 * 1024
_RMEM_DEFAULT = Path("/proc/sys/net/core/rmem_default")


@contextlib.contextmanager
def _socket_buffer_default(size: int) -> Iterator[None]:
    """Raise the kernel's default socket receive buffer for the duration (root only)."""
    try:
        old = _RMEM_DEFAULT.read_text().strip()
        _RMEM_DEFAULT.write_text(str(size))
    except OSError:
        yield  # not allowed here: NSD keeps the default buffer
        return
    try:
        yield
    finally:
        _RMEM_DEFAULT.write_text(old)


def _wait_for(port: int) -> None:
    import dns.message
    import dns.query

    query = dns.message.make_query(f"ns.{ZONE}.", "A")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            dns.query.udp(query, "127.0.0.1", port=port, timeout=0.5)
            return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"NSD did not answer on port {port}")
