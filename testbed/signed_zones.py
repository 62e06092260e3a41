"""The signed zone tree for `mailprobe domain`: `signed.test` with secure, insecure and bogus
children, signed with `ldns-signzone` at every start.

- `signed.test` is signed; its DS is unbound's trust anchor. It delegates three children.
- `secure.signed.test` is signed and has a DS in the parent: the DANE and MTA-STS cases.
- `insecure.signed.test` is unsigned and has no DS: provably insecure, TLSA is ignored.
- `bogus.signed.test` has a DS, but its signatures expired in 2020: validation fails.

Every name with an address points at 127.0.0.1; `--connect-to` rules pick the real port.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from testbed.proc import BedError

PARENT = "signed.test"
SECURE = f"secure.{PARENT}"
INSECURE = f"insecure.{PARENT}"
BOGUS = f"bogus.{PARENT}"
#: Zones NSD serves for the tree (parent first).
ZONES = (PARENT, SECURE, INSECURE, BOGUS)

#: MX host names (their certificates, TLSA records and listeners are set up by `inbound`).
MX_EE = f"mx-ee.{SECURE}"
MX_TA = f"mx-ta.{SECURE}"
MX_NOMATCH = f"mx-nomatch.{SECURE}"
MX_INSECURE = f"mx.{INSECURE}"
MX_BOGUS = f"mx.{BOGUS}"

#: MTA-STS test domains under `secure.signed.test`: label -> (mode served, MX host).
STS_DOMAINS: Mapping[str, tuple[str, str]] = {
    "sts-enforce": ("enforce", MX_EE),
    "sts-testing": ("testing", MX_EE),
    "sts-none": ("none", MX_EE),
    "sts-redirect": ("enforce", MX_EE),
    "sts-badmode": ("enforce", MX_EE),
    "sts-nomatch": ("enforce", MX_EE),
    "sts-big": ("enforce", MX_EE),
    "sts-badcert": ("enforce", MX_NOMATCH),
}

_SIGNED_FROM = "20200101"
_SIGNED_UNTIL = "20200201"


@dataclass(frozen=True)
class Tlsa:
    """One TLSA record: owner name and its `usage selector matching data` text."""

    owner: str
    rdata: str


def _soa(origin: str) -> list[str]:
    return [
        f"$ORIGIN {origin}.",
        "$TTL 300",
        f"@ IN SOA ns.{PARENT}. hostmaster.{PARENT}. 2024010101 3600 600 86400 300",
        f"@ IN NS ns.{PARENT}.",
    ]


def _rel(name: str, origin: str) -> str:
    return "@" if name == origin else name.removesuffix("." + origin)


def _policy_records(domain: str, origin: str, *, dmarc: str = "reject") -> list[str]:
    """SPF, DMARC and TLS-RPT records for a well-run domain."""
    owner = _rel(domain, origin)
    sub = "" if owner == "@" else "." + owner
    return [
        f'{owner} IN TXT "v=spf1 mx -all"',
        f'_dmarc{sub} IN TXT "v=DMARC1; p={dmarc}; rua=mailto:dmarc@{domain}"',
        f'_smtp._tls{sub} IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@{domain}"',
    ]


def secure_zone(tlsa: list[Tlsa]) -> str:
    """Zone text of `secure.signed.test` (unsigned; `sign` adds the signatures)."""
    o = SECURE
    lines = _soa(o)
    for host in (MX_EE, MX_TA, MX_NOMATCH):
        lines.append(f"{_rel(host, o)} IN A 127.0.0.1")
    lines.append(f"alias IN CNAME {MX_EE}.")
    cases = {"ee": MX_EE, "ta": MX_TA, "nomatch": MX_NOMATCH, "cname": f"alias.{o}"}
    for label, mx in cases.items():
        lines.append(f"{label} IN MX 10 {mx}.")
        lines += _policy_records(f"{label}.{o}", o)
    lines += ["nullmx IN MX 0 .", *_policy_records(f"nullmx.{o}", o)]
    lines += ["nullmix IN MX 0 .", f"nullmix IN MX 10 {MX_EE}."]
    lines += _policy_records(f"nullmix.{o}", o)
    lines += ["dmarcnone IN MX 10 " + MX_EE + "."]
    lines += _policy_records(f"dmarcnone.{o}", o, dmarc="none")
    for label, (_mode, mx) in STS_DOMAINS.items():
        lines.append(f"{label} IN MX 10 {mx}.")
        lines.append(f'_mta-sts.{label} IN TXT "v=STSv1; id=20240101T000000"')
        lines.append(f"mta-sts.{label} IN A 127.0.0.1")
        lines += _policy_records(f"{label}.{o}", o)
    for record in tlsa:
        lines.append(f"{_rel(record.owner, o)} IN TLSA {record.rdata}")
    return "\n".join(lines) + "\n"


def leaf_zone(origin: str, mx: str, tlsa: list[Tlsa]) -> str:
    """Zone text of the insecure or bogus child: MX, its address and TLSA, policy records."""
    lines = _soa(origin)
    lines += [f"@ IN MX 10 {mx}.", f"{_rel(mx, origin)} IN A 127.0.0.1"]
    lines += _policy_records(origin, origin)
    lines += [f"{_rel(t.owner, origin)} IN TLSA {t.rdata}" for t in tlsa]
    return "\n".join(lines) + "\n"


def parent_zone(ds: Mapping[str, str]) -> str:
    """Zone text of `signed.test`: delegations, with the children's DS records in `ds`."""
    lines = _soa(PARENT)
    lines.append("ns IN A 127.0.0.1")
    for child in (SECURE, INSECURE, BOGUS):
        lines.append(f"{_rel(child, PARENT)} IN NS ns.{PARENT}.")
    for child, record in ds.items():
        lines.append(f"{_rel(child, PARENT)} IN DS {record}")
    return "\n".join(lines) + "\n"


def _keygen(directory: Path, zone: str) -> tuple[str, str]:
    """A fresh ECDSA P-256 key for `zone`: (key base path, DS rdata text)."""
    done = subprocess.run(
        ["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", zone],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    if done.returncode != 0:
        raise BedError(f"ldns-keygen failed for {zone}: {done.stderr.strip()}")
    base = directory / done.stdout.strip()
    ds_text = base.with_name(base.name + ".ds").read_text().split()
    # "zone. IN DS tag alg digest-type digest" -> "tag alg digest-type digest"
    return str(base), " ".join(ds_text[3:])


def _sign(zone: str, text: str, key: str, out: Path, *, expired: bool = False) -> None:
    src = out.with_suffix(".unsigned")
    src.write_text(text)
    argv = ["ldns-signzone", "-o", zone, "-f", str(out)]
    if expired:
        argv += ["-i", _SIGNED_FROM, "-e", _SIGNED_UNTIL]
    done = subprocess.run(
        [*argv, str(src), key], capture_output=True, text=True, check=False, timeout=30
    )
    if done.returncode != 0:
        raise BedError(f"ldns-signzone failed for {zone}: {done.stderr.strip()}")


def write_zones(directory: Path, tlsa: list[Tlsa]) -> tuple[dict[str, Path], str]:
    """Write and sign the tree's zone files in `directory` with fresh keys.

    Returns the zone files by zone name and the trust anchor (DS of `signed.test`).
    """
    directory.mkdir(parents=True, exist_ok=True)
    keys_dir = directory / "keys"
    keys_dir.mkdir(exist_ok=True)
    files = {zone: directory / f"{zone}.zone" for zone in ZONES}

    def owned(zone: str) -> list[Tlsa]:
        return [t for t in tlsa if t.owner.endswith("." + zone)]

    secure_key, secure_ds = _keygen(keys_dir, SECURE)
    _sign(SECURE, secure_zone(owned(SECURE)), secure_key, files[SECURE])
    bogus_key, bogus_ds = _keygen(keys_dir, BOGUS)
    _sign(BOGUS, leaf_zone(BOGUS, MX_BOGUS, owned(BOGUS)), bogus_key, files[BOGUS], expired=True)
    files[INSECURE].write_text(leaf_zone(INSECURE, MX_INSECURE, owned(INSECURE)))
    parent_key, parent_ds = _keygen(keys_dir, PARENT)
    _sign(PARENT, parent_zone({SECURE: secure_ds, BOGUS: bogus_ds}), parent_key, files[PARENT])
    return files, f"{PARENT}. IN DS {parent_ds}"


def tlsa_digest(der: bytes, matching: int) -> str:
    """The TLSA association data of `der` for a matching type (0 full, 1 SHA-256, 2 SHA-512)."""
    if matching == 1:
        return hashlib.sha256(der).hexdigest()
    if matching == 2:
        return hashlib.sha512(der).hexdigest()
    return der.hex()
