"""bed.json: what a running test bed offers, written at start and read by tests.

Schema (all keys always present)::

    {
      "dir": "/tmp/mailprobe-bed-x",
      "dns": {"ip": "127.0.0.1", "port": 40001},
      "nameserver": "127.0.0.1:40001",
      "ca_file": ".../certs/ca.pem",
      "certs": {"leaf": "...pem", "other": "...pem", "expired": "...pem", "selfsigned": "...pem"},
      "ispdb_url": "https://ispdb.mailprobe.test/v1.1/",
      "ports": {"imap": 40002, "imaps": ..., "pop3": ..., "pop3s": ..., "submission": ...,
                "submissions": ..., "smtp": ..., "http": ..., "https": ...},
      "standard_ports": {"imap": 143, "imaps": 993, ...},
      "connect_to": ["imap2.mailprobe.test:993:127.0.0.2:40003", ..., ":993:127.0.0.1:40003"],
      "connect_to_dns": [":993::40003", ...],
      "alt_ip": "127.0.0.2",
      "user": {"address": "alice@mailprobe.test", "username": "alice@mailprobe.test",
               "password": "..."},
      "domains": ["mailprobe.test", ...],
      "cases": {"mailprobe.test": "what this domain is for", ...},
      "pids": {"nsd": 1, "nginx": 2, "dovecot": 3, "postfix": 4},
      "logs": {"nsd": "...", ...}
    }

Rules use curl's `HOST:PORT:ADDR:PORT` format; an empty HOST matches any host, an empty
ADDR keeps the host (so DNS resolves it). `connect_to` sends every standard port to the
bed's real port on 127.0.0.1 (host rules for `imap2.mailprobe.test` first: it goes to
127.0.0.2). `connect_to_dns` only changes the port and lets DNS (the bed's NSD) pick the
address, which `v6broken` needs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

BED_JSON = "bed.json"

#: The standard port each bed service stands in for.
STANDARD_PORTS: Mapping[str, int] = MappingProxyType(
    {
        "imap": 143,
        "imaps": 993,
        "pop3": 110,
        "pop3s": 995,
        "submission": 587,
        "submissions": 465,
        "smtp": 25,
        "http": 80,
        "https": 443,
    }
)


@dataclass(frozen=True)
class BedUser:
    """The mailbox that exists on the bed's Dovecot (and can submit through Postfix)."""

    address: str
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class DnsServer:
    """Where the bed's NSD answers (UDP and TCP)."""

    ip: str
    port: int


@dataclass(frozen=True)
class BedInfo:
    """Everything a test needs to use a running bed; read with `load_bed`."""

    dir: Path
    dns: DnsServer
    nameserver: str
    ca_file: Path
    certs: Mapping[str, Path]
    ispdb_url: str
    ports: Mapping[str, int]
    standard_ports: Mapping[str, int]
    connect_to: tuple[str, ...]
    connect_to_dns: tuple[str, ...]
    alt_ip: str
    user: BedUser
    domains: tuple[str, ...]
    cases: Mapping[str, str]
    pids: Mapping[str, int]
    logs: Mapping[str, Path]

    def cli_args(self, *, dns_routing: bool = False) -> list[str]:
        """mailprobe options that aim every lookup and connection at the bed.

        With `dns_routing`, the `--connect-to` rules only change ports and the bed's DNS
        picks the address (needed for `v6broken.mailprobe.test`).
        """
        args = ["--nameserver", self.nameserver, "--ca-file", str(self.ca_file)]
        args += ["--ispdb-url", self.ispdb_url]
        for rule in self.connect_to_dns if dns_routing else self.connect_to:
            args += ["--connect-to", rule]
        return args

    def to_json(self) -> dict[str, Any]:
        """The bed.json document (includes the password: keep the file private)."""
        return {
            "dir": str(self.dir),
            "dns": {"ip": self.dns.ip, "port": self.dns.port},
            "nameserver": self.nameserver,
            "ca_file": str(self.ca_file),
            "certs": {k: str(v) for k, v in self.certs.items()},
            "ispdb_url": self.ispdb_url,
            "ports": dict(self.ports),
            "standard_ports": dict(self.standard_ports),
            "connect_to": list(self.connect_to),
            "connect_to_dns": list(self.connect_to_dns),
            "alt_ip": self.alt_ip,
            "user": {
                "address": self.user.address,
                "username": self.user.username,
                "password": self.user.password,
            },
            "domains": list(self.domains),
            "cases": dict(self.cases),
            "pids": dict(self.pids),
            "logs": {k: str(v) for k, v in self.logs.items()},
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> BedInfo:
        """Build from a parsed bed.json document."""
        user = doc["user"]
        return cls(
            dir=Path(doc["dir"]),
            dns=DnsServer(str(doc["dns"]["ip"]), int(doc["dns"]["port"])),
            nameserver=str(doc["nameserver"]),
            ca_file=Path(doc["ca_file"]),
            certs=MappingProxyType({k: Path(v) for k, v in doc["certs"].items()}),
            ispdb_url=str(doc["ispdb_url"]),
            ports=MappingProxyType({k: int(v) for k, v in doc["ports"].items()}),
            standard_ports=MappingProxyType({k: int(v) for k, v in doc["standard_ports"].items()}),
            connect_to=tuple(doc["connect_to"]),
            connect_to_dns=tuple(doc["connect_to_dns"]),
            alt_ip=str(doc["alt_ip"]),
            user=BedUser(str(user["address"]), str(user["username"]), str(user["password"])),
            domains=tuple(doc["domains"]),
            cases=MappingProxyType(dict(doc["cases"])),
            pids=MappingProxyType({k: int(v) for k, v in doc["pids"].items()}),
            logs=MappingProxyType({k: Path(v) for k, v in doc["logs"].items()}),
        )


def write_bed(info: BedInfo) -> Path:
    """Write `info` to DIR/bed.json, readable by its owner only; returns the path."""
    path = info.dir / BED_JSON
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(info.to_json(), out, indent=2)
        out.write("\n")
    tmp.replace(path)
    return path


def load_bed(directory: str | os.PathLike[str]) -> BedInfo:
    """Read DIR/bed.json of a running (or stopped) bed."""
    with open(Path(directory) / BED_JSON) as src:
        return BedInfo.from_json(json.load(src))
