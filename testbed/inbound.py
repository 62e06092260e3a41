"""The bed's inbound-mail part for `mailprobe domain`: the signed zone tree, certificates
matching (and not matching) its TLSA records, two Postfix port-25 listeners, MTA-STS sites.

`prepare` writes everything before the daemons start; `Bed` serves the zones with NSD,
resolves them through unbound, adds the listeners to Postfix and the sites to nginx, and
writes DIR/inbound.json (read with `load_inbound`).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from testbed import signed_zones as sz
from testbed.certs import CertPair, make_leaf
from testbed.nginx import Site

INBOUND_JSON = "inbound.json"
POLICY_PATH = "/.well-known/mta-sts.txt"
#: Size of the oversize MTA-STS policy (the limit is 64 KiB).
BIG_POLICY = 70 * 1024

#: Each bed domain of the inbound part and what it exercises (written to inbound.json).
CASES: Mapping[str, str] = {
    f"ee.{sz.SECURE}": "secure; TLSA 3 1 1 and 3 0 2 match the leaf (plus an ignored 1 1 1)",
    f"ta.{sz.SECURE}": "secure; TLSA 2 0 1 matches the CA certificate in the served chain",
    f"nomatch.{sz.SECURE}": "secure; 2 TLSA records, neither matches the self-signed cert",
    f"cname.{sz.SECURE}": "secure; MX alias.* is a CNAME to mx-ee (TLSA at the expanded name)",
    sz.INSECURE: "provably insecure child zone (no DS); TLSA published but not usable",
    sz.BOGUS: "child zone whose signatures expired in 2020: bogus",
    f"nullmx.{sz.SECURE}": "null MX (MX 0 .): accepts no mail",
    f"nullmix.{sz.SECURE}": "null MX next to a real MX: a misconfiguration",
    f"dmarcnone.{sz.SECURE}": "DMARC p=none",
    f"sts-enforce.{sz.SECURE}": "MTA-STS enforce, CRLF policy, MX matches and has a valid cert",
    f"sts-testing.{sz.SECURE}": "MTA-STS testing, LF policy, pattern *.secure.signed.test",
    f"sts-none.{sz.SECURE}": "MTA-STS mode none",
    f"sts-redirect.{sz.SECURE}": "MTA-STS policy URL answers with a redirect",
    f"sts-badmode.{sz.SECURE}": "MTA-STS policy with mode: strict",
    f"sts-nomatch.{sz.SECURE}": "MTA-STS enforce with mx: *.signed.test (two labels short)",
    f"sts-big.{sz.SECURE}": "MTA-STS policy larger than 64 KiB",
    f"sts-badcert.{sz.SECURE}": "MTA-STS enforce; the MX presents a self-signed certificate",
}


@dataclass(frozen=True)
class InboundInfo:
    """What the inbound part offers: resolver, probe name, routes and cases."""

    resolver: str
    dnssec_probe: str
    ca_file: Path
    connect_to: tuple[str, ...]
    ports: Mapping[str, int]
    cases: Mapping[str, str]
    trust_anchor: str

    def cli_args(self) -> list[str]:
        """`mailprobe domain` options that aim DNS, HTTPS and port 25 at the bed."""
        args = ["--nameserver", self.resolver, "--ca-file", str(self.ca_file)]
        args += ["--dnssec-probe", self.dnssec_probe]
        for rule in self.connect_to:
            args += ["--connect-to", rule]
        return args

    def to_json(self) -> dict[str, Any]:
        """The inbound.json document."""
        return {
            "resolver": self.resolver,
            "dnssec_probe": self.dnssec_probe,
            "ca_file": str(self.ca_file),
            "connect_to": list(self.connect_to),
            "ports": dict(self.ports),
            "cases": dict(self.cases),
            "trust_anchor": self.trust_anchor,
        }


def load_inbound(directory: str | os.PathLike[str]) -> InboundInfo:
    """Read DIR/inbound.json of a running bed."""
    doc = json.loads((Path(directory) / INBOUND_JSON).read_text())
    return InboundInfo(
        resolver=str(doc["resolver"]),
        dnssec_probe=str(doc["dnssec_probe"]),
        ca_file=Path(doc["ca_file"]),
        connect_to=tuple(doc["connect_to"]),
        ports={k: int(v) for k, v in doc["ports"].items()},
        cases=dict(doc["cases"]),
        trust_anchor=str(doc["trust_anchor"]),
    )


def write_inbound(directory: Path, info: InboundInfo) -> None:
    """Write DIR/inbound.json."""
    (directory / INBOUND_JSON).write_text(json.dumps(info.to_json(), indent=2) + "\n")


@dataclass(frozen=True)
class Prepared:
    """Files made before the daemons start."""

    zone_files: Mapping[str, Path]
    trust_anchor: str
    certs: Mapping[str, CertPair]
    chain: Path


def _der(pem: Path) -> bytes:
    return x509.load_pem_x509_certificate(pem.read_bytes()).public_bytes(serialization.Encoding.DER)


def _spki(pem: Path) -> bytes:
    return (
        x509.load_pem_x509_certificate(pem.read_bytes())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def tls_names() -> list[str]:
    """Names on the inbound certificate: the good MX hosts and every mta-sts host."""
    names = [sz.MX_EE, sz.MX_TA, sz.MX_INSECURE, sz.MX_BOGUS]
    return names + [f"mta-sts.{label}.{sz.SECURE}" for label in sz.STS_DOMAINS]


def prepare(root: Path, ca: CertPair, other: CertPair) -> Prepared:
    """Certificates, TLSA records and the signed zones, under `root`/inbound."""
    base = root / "inbound"
    certs_dir = base / "certs"
    good = make_leaf(certs_dir, ca, tls_names(), stem="inbound")
    selfsigned = make_leaf(certs_dir, None, [sz.MX_NOMATCH], stem="inbound-selfsigned")
    chain = certs_dir / "inbound-chain.pem"
    chain.write_bytes(good.cert.read_bytes() + ca.cert.read_bytes())
    for pair in (good, selfsigned):
        pair.key.chmod(0o640)
        shutil.chown(pair.key, group="dovecot")
    good_spki, good_der, ca_der = _spki(good.cert), _der(good.cert), _der(ca.cert)

    def tlsa(mx: str, usage: int, selector: int, matching: int, der: bytes) -> sz.Tlsa:
        return sz.Tlsa(
            f"_25._tcp.{mx}", f"{usage} {selector} {matching} {sz.tlsa_digest(der, matching)}"
        )

    records = [
        tlsa(sz.MX_EE, 3, 1, 1, good_spki),
        tlsa(sz.MX_EE, 3, 0, 2, good_der),
        tlsa(sz.MX_EE, 1, 1, 1, good_spki),  # PKIX-EE: not for SMTP, must be ignored
        tlsa(sz.MX_TA, 2, 0, 1, ca_der),
        tlsa(sz.MX_NOMATCH, 3, 1, 1, _spki(other.cert)),
        tlsa(sz.MX_NOMATCH, 2, 0, 1, _der(other.cert)),
        tlsa(sz.MX_INSECURE, 3, 1, 1, good_spki),
        tlsa(sz.MX_BOGUS, 3, 1, 1, good_spki),
    ]
    files, anchor = sz.write_zones(base / "zones", records)
    return Prepared(files, anchor, {"inbound": good, "inbound-selfsigned": selfsigned}, chain)


def postfix_listeners(prepared: Prepared, dane_port: int, nomatch_port: int) -> str:
    """master.cf lines for the two port-25 stand-ins: full chain, and self-signed."""
    good = prepared.certs["inbound"]
    bad = prepared.certs["inbound-selfsigned"]
    return f"""\
127.0.0.1:{dane_port} inet n - n - - smtpd
  -o syslog_name=postfix/inbound
  -o smtpd_tls_chain_files={good.key},{prepared.chain}
  -o smtpd_tls_security_level=may
127.0.0.1:{nomatch_port} inet n - n - - smtpd
  -o syslog_name=postfix/inbound-nomatch
  -o smtpd_tls_chain_files={bad.key},{bad.cert}
  -o smtpd_tls_security_level=may
"""


def _policy(mode: str, mx: list[str], *, eol: str = "\n", max_age: int = 86400) -> str:
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {m}" for m in mx), f"max_age: {max_age}"]
    return eol.join(lines) + eol


def policies() -> dict[str, str]:
    """The MTA-STS policy body each sts-* domain serves (the redirect case serves none)."""
    return {
        "sts-enforce": _policy("enforce", [sz.MX_EE], eol="\r\n"),
        "sts-testing": _policy("testing", [f"*.{sz.SECURE}"]),
        "sts-none": _policy("none", [sz.MX_EE]),
        "sts-badmode": _policy("strict", [sz.MX_EE]),
        "sts-nomatch": _policy("enforce", [f"*.{sz.PARENT}"]),
        "sts-big": _policy("enforce", [sz.MX_EE]) + "#" * BIG_POLICY + "\n",
        "sts-badcert": _policy("enforce", [sz.MX_NOMATCH]),
    }


def nginx_sites(root: Path) -> list[Site]:
    """HTTPS server blocks for every mta-sts.sts-*.secure.signed.test host."""
    www = root / "inbound" / "www"
    www.mkdir(parents=True, exist_ok=True)
    sites: list[Site] = []
    for label, body in policies().items():
        (www / f"{label}.txt").write_text(body, newline="")
    for label in sz.STS_DOMAINS:
        host = f"mta-sts.{label}.{sz.SECURE}"
        if label == "sts-redirect":
            target = f"https://mta-sts.sts-enforce.{sz.SECURE}{POLICY_PATH}"
            location = f"location = {POLICY_PATH} {{ return 301 {target}; }}\n"
        else:
            location = (
                f"location = {POLICY_PATH} {{ default_type text/plain; types {{ }} "
                f"alias {www / (label + '.txt')}; }}\n"
            )
        sites.append(Site((host,), True, location, cert="inbound"))
    return sites


def routes(dane_port: int, nomatch_port: int, https_port: int) -> tuple[str, ...]:
    """`--connect-to` rules: the self-signed MX to its listener, every other MX and HTTPS."""
    return (
        f"{sz.MX_NOMATCH}:25:127.0.0.1:{nomatch_port}",
        f":25:127.0.0.1:{dane_port}",
        f":443:127.0.0.1:{https_port}",
    )
