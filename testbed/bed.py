"""Start and stop a whole bed: certificates, free ports, NSD, nginx, Dovecot, Postfix.

`Bed` is a context manager; `stop_bed(dir)` stops a bed started by another process.
PIDs are recorded in DIR/pids.json as each daemon starts, so even a half-started bed can
be stopped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType, TracebackType

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from testbed import dovecot, inbound, nginx, nsd, postfix, signed_zones, unbound, zones
from testbed.certs import CertPair, make_ca, make_leaf
from testbed.info import STANDARD_PORTS, BedInfo, BedUser, DnsServer, write_bed
from testbed.ports import bound_udp, free_ports, listening_tcp
from testbed.proc import BedError, alive, stop_pid, tail

SERVICES = ("nsd", "nginx", "dovecot", "postfix", "unbound")
#: Programs each service needs on PATH (or in /usr/sbin).
BINARIES = {
    "nsd": ("nsd", "nsd-checkconf"),
    "nginx": ("nginx",),
    "dovecot": ("dovecot", "doveconf"),
    "postfix": ("postfix", "script"),
    "unbound": ("unbound", "unbound-checkconf", "ldns-keygen", "ldns-signzone"),
}
#: What /proc/PID/exe names for each service's main process (guards against PID reuse).
EXECUTABLES = {
    "nsd": "nsd",
    "nginx": "nginx",
    "dovecot": "dovecot",
    "postfix": "master",
    "unbound": "unbound",
}
PIDS_JSON = "pids.json"
USER = "alice@mailprobe.test"
ISPDB_URL = f"https://ispdb.{zones.MAIN}/v1.1/"
_PORT_NAMES = ("dns", *STANDARD_PORTS)


def missing_binaries() -> list[str]:
    """Programs the bed needs that are not installed."""
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin"
    return [
        name
        for names in BINARIES.values()
        for name in names
        if shutil.which(name, path=path) is None
    ]


def _check_traversable(directory: Path) -> None:
    for parent in [directory, *directory.parents]:
        if not parent.stat().st_mode & stat.S_IXOTH:
            raise BedError(
                f"{parent} is not searchable by other users; the daemons' users "
                f"(www-data, dovecot, postfix, nobody) need to reach {directory}"
            )


def _spki_sha256(cert: Path) -> str:
    loaded = x509.load_pem_x509_certificate(cert.read_bytes())
    spki = loaded.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


def _make_certs(directory: Path) -> dict[str, CertPair]:
    ca = make_ca(directory)
    certs = {
        "ca": ca,
        "leaf": make_leaf(directory, ca, zones.good_cert_names(), stem="leaf"),
        "other": make_leaf(directory, ca, ["other.invalid"], stem="other"),
    }
    hosts_by_kind = {
        kind: [h for h in zones.HOSTS if zones.bad_cert_kind(h) == kind]
        for kind in zones.BAD_CERT_DOMAINS.values()
    }
    certs["expired"] = make_leaf(
        directory,
        ca,
        hosts_by_kind["expired"],
        stem="expired",
        valid_from_days=-60,
        valid_until_days=-1,
    )
    certs["selfsigned"] = make_leaf(directory, None, hosts_by_kind["selfsigned"], stem="selfsigned")
    for pair in certs.values():  # daemons read keys as root, except Dovecot's SNI keys
        pair.key.chmod(0o640)
        shutil.chown(pair.key, group="dovecot")
    return certs


def _connect_rules(ports: dict[str, int]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    by_ip: list[str] = []
    for name in ("imap", "imaps", "pop3", "pop3s"):
        std = STANDARD_PORTS[name]
        by_ip.append(f"imap2.{zones.MAIN}:{std}:{zones.ALT_IP}:{ports[name]}")
    by_ip += [f":{std}:127.0.0.1:{ports[name]}" for name, std in STANDARD_PORTS.items()]
    by_dns = tuple(f":{std}::{ports[name]}" for name, std in STANDARD_PORTS.items())
    return tuple(by_ip), by_dns


def _more_ports(taken: dict[str, int]) -> list[int]:
    """Three more free ports, distinct from `taken` (the first also free for UDP)."""
    while True:
        more = free_ports(3, udp_too=frozenset({0}))
        if not set(more) & set(taken.values()):
            return more


def _record_pid(directory: Path, name: str, pid: int) -> None:
    path = directory / PIDS_JSON
    pids = json.loads(path.read_text()) if path.exists() else {}
    pids[name] = {"pid": pid, "exe": EXECUTABLES[name]}
    path.write_text(json.dumps(pids, indent=2) + "\n")


def stop_bed(directory: str | os.PathLike[str]) -> list[str]:
    """Stop every daemon recorded in DIR/pids.json (waiting for each); returns their names."""
    root = Path(directory)
    path = root / PIDS_JSON
    pids: dict[str, dict[str, object]] = json.loads(path.read_text()) if path.exists() else {}
    master = postfix.pid_file(root / "postfix")
    if "postfix" not in pids and master.exists():
        with contextlib.suppress(ValueError):
            pids["postfix"] = {"pid": int(master.read_text().strip()), "exe": "master"}
    stopped = []
    for name in reversed(SERVICES):
        entry = pids.get(name)
        if entry is not None and stop_pid(int(str(entry["pid"])), str(entry["exe"])):
            stopped.append(name)
    if path.exists():
        path.unlink()
    return stopped


class Bed:
    """A running test bed in `directory` (a fresh temp dir, removed at stop, if None).

    Use as a context manager, or call `start()` / `stop()`. `info` is valid after start.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None, *, keep: bool = False):
        self._given = None if directory is None else Path(directory)
        self._keep = keep or directory is not None
        self._dir: Path | None = None
        self._info: BedInfo | None = None
        self._children: list[subprocess.Popen[bytes]] = []

    @property
    def info(self) -> BedInfo:
        """What the running bed offers (as in bed.json)."""
        if self._info is None:
            raise BedError("the bed is not running")
        return self._info

    def __enter__(self) -> BedInfo:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self, *, attempts: int = 3) -> BedInfo:
        """Start all four daemons on free ports, write bed.json, return its content.

        Retries with new ports if a port was taken meanwhile; raises BedError with the
        daemon's log tail when it cannot start.
        """
        missing = missing_binaries()
        if missing:
            raise BedError(f"missing programs: {', '.join(missing)}")
        if self._given is None:
            self._dir = Path(tempfile.mkdtemp(prefix="mailprobe-bed-"))
        else:
            self._dir = self._given.resolve()
            self._dir.mkdir(parents=True, exist_ok=True)
        self._dir.chmod(0o755)
        _check_traversable(self._dir)
        stop_bed(self._dir)  # a bed still running in this directory would hold stale state
        error: BedError | None = None
        for _ in range(attempts):
            try:
                self._info = self._start_once(self._dir)
                return self._info
            except BedError as exc:
                error = exc
                self._stop_daemons()
        assert error is not None
        raise error

    def _start_once(self, root: Path) -> BedInfo:
        certs = _make_certs(root / "certs")
        ports = dict(
            zip(_PORT_NAMES, free_ports(len(_PORT_NAMES), udp_too=frozenset({0})), strict=True)
        )
        # The inbound part (`mailprobe domain`): resolver and two port-25 stand-ins.
        extra = dict(zip(("resolver", "dane", "nomatch"), _more_ports(ports), strict=True))
        signed = inbound.prepare(root, certs["ca"], certs["other"])
        password = secrets.token_urlsafe(18)
        sasl_socket = root / "sasl" / "auth"
        tlsa = {
            f"_993._tcp.imap.{zones.MAIN}": _spki_sha256(certs["leaf"].cert),
            f"_25._tcp.mx.{zones.MAIN}": _spki_sha256(certs["leaf"].cert),
        }
        nsd_conf = nsd.write_config(root / "nsd", ports["dns"], tlsa, signed.zone_files)
        nginx_conf = nginx.write_config(
            root / "nginx",
            ports["http"],
            ports["https"],
            {**certs, **signed.certs},
            inbound.nginx_sites(root),
        )
        dovecot_conf = dovecot.write_config(
            root / "dovecot", ports, certs, USER, password, sasl_socket
        )
        postfix_conf = postfix.write_config(
            root / "postfix",
            ports,
            certs,
            sasl_socket,
            inbound.postfix_listeners(signed, extra["dane"], extra["nomatch"]),
        )
        unbound_conf = unbound.write_config(
            root / "unbound",
            extra["resolver"],
            ports["dns"],
            signed.trust_anchor,
            signed_zones.ZONES,
        )
        logs = {
            "nsd": root / "nsd" / "nsd.log",
            "nginx": root / "nginx" / "error.log",
            "dovecot": root / "dovecot" / "dovecot.log",
            "postfix": root / "postfix" / "postfix.log",
            "unbound": root / "unbound" / "unbound.log",
        }
        pids: dict[str, int] = {}
        # Recorded one by one, so a failure half-way still stops what already runs.
        pids["nsd"] = self._track(root, "nsd", nsd.start(root / "nsd", nsd_conf))
        pids["nginx"] = self._track(root, "nginx", nginx.start(root / "nginx", nginx_conf))
        pids["dovecot"] = self._track(
            root, "dovecot", dovecot.start(root / "dovecot", dovecot_conf)
        )
        self._wait_for(
            {
                "dovecot": [("127.0.0.1", ports[p]) for p in ("imap", "imaps", "pop3", "pop3s")]
                + [(zones.ALT_IP, ports[p]) for p in ("imap", "imaps", "pop3", "pop3s")]
            },
            set(),
            pids,
            logs,
            extra=lambda: sasl_socket.exists(),
        )
        pids["postfix"] = postfix.start(root / "postfix", postfix_conf)
        _record_pid(root, "postfix", pids["postfix"])
        pids["unbound"] = self._track(
            root, "unbound", unbound.start(root / "unbound", unbound_conf)
        )
        tcp = {
            "nsd": [("127.0.0.1", ports["dns"])],
            "nginx": [("127.0.0.1", ports["http"]), ("127.0.0.1", ports["https"])],
            "postfix": [("127.0.0.1", ports[p]) for p in ("smtp", "submission", "submissions")]
            + [("127.0.0.1", extra["dane"]), ("127.0.0.1", extra["nomatch"])],
            "unbound": [("127.0.0.1", extra["resolver"])],
        }
        udp = {("127.0.0.1", ports["dns"]), ("127.0.0.1", extra["resolver"])}
        self._wait_for(tcp, udp, pids, logs)
        by_ip, by_dns = _connect_rules(ports)
        info = BedInfo(
            dir=root,
            dns=DnsServer("127.0.0.1", ports["dns"]),
            nameserver=f"127.0.0.1:{ports['dns']}",
            ca_file=certs["ca"].cert,
            certs=MappingProxyType({k: v.cert for k, v in certs.items() if k != "ca"}),
            ispdb_url=ISPDB_URL,
            ports=MappingProxyType({k: v for k, v in ports.items() if k != "dns"}),
            standard_ports=STANDARD_PORTS,
            connect_to=by_ip,
            connect_to_dns=by_dns,
            alt_ip=zones.ALT_IP,
            user=BedUser(USER, USER, password),
            domains=zones.DOMAINS,
            cases=zones.CASES,
            pids=MappingProxyType(pids),
            logs=MappingProxyType(logs),
        )
        write_bed(info)
        inbound.write_inbound(
            root,
            inbound.InboundInfo(
                resolver=f"127.0.0.1:{extra['resolver']}",
                dnssec_probe=signed_zones.PARENT,
                ca_file=certs["ca"].cert,
                connect_to=inbound.routes(extra["dane"], extra["nomatch"], ports["https"]),
                ports=MappingProxyType(extra),
                cases=inbound.CASES,
                trust_anchor=signed.trust_anchor,
            ),
        )
        return info

    def _track(self, root: Path, name: str, child: subprocess.Popen[bytes]) -> int:
        self._children.append(child)
        _record_pid(root, name, child.pid)
        return child.pid

    def _wait_for(
        self,
        tcp: dict[str, list[tuple[str, int]]],
        udp: set[tuple[str, int]],
        pids: dict[str, int],
        logs: dict[str, Path],
        *,
        extra: Callable[[], bool] | None = None,
        timeout: float = 15.0,
    ) -> None:
        deadline = time.monotonic() + timeout
        while True:
            listening = listening_tcp()
            waiting = {name for name, addrs in tcp.items() if not set(addrs) <= listening}
            if not udp <= bound_udp():
                waiting.add("nsd")
            if extra is not None and not extra():
                waiting.add("dovecot")
            if not waiting:
                return
            for name in waiting:
                if name in pids and not alive(pids[name]):
                    raise BedError(f"{name} exited during start; log:\n{tail(logs[name])}")
            if time.monotonic() > deadline:
                name = sorted(waiting)[0]
                raise BedError(f"{name} did not start listening; log:\n{tail(logs[name])}")
            time.sleep(0.02)

    def _stop_daemons(self) -> None:
        if self._dir is not None:
            stop_bed(self._dir)
        for child in self._children:
            if child.poll() is None:
                child.kill()
            child.wait()
        self._children.clear()

    def stop(self) -> None:
        """Stop every daemon by PID (waiting for each); remove a temp dir it created."""
        self._stop_daemons()
        self._info = None
        if self._dir is not None and not self._keep:
            shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None
