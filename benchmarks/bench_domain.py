"""`mailprobe domain` benchmark: every inbound case of the bed, measured in one run.

1. Each bed case as its own process (`python -m mailprobe domain D --json`), wall time
   per case and in total, with the verdict and exit code of each.
2. The same cases in one process (the library, one after the other), to separate the
   checks from interpreter start-up; printed as the ratio process total / library total.
3. One case against `openssl s_client -starttls smtp` with DANE records: how many
   openssl handshakes fit into one whole `domain` check (which adds DNSSEC, TLSA,
   MTA-STS, TLS-RPT, SPF and DMARC).

Uses a running bed (MAILPROBE_BED=DIR) or starts and stops its own. Loopback only.

    python benchmarks/bench_domain.py
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bedutil import REPO, running_bed
from mailprobe.inbound import DomainOptions, run_domain
from mailprobe.models import NetOptions
from mailprobe.option_values import parse_connect_to, parse_nameserver
from testbed import signed_zones as sz
from testbed.inbound import InboundInfo, load_inbound

#: Byte-compiled modules cached as in a normal installation (this may run with
#: PYTHONDONTWRITEBYTECODE set, which would make every process compile every module).
_ENV = {
    **os.environ,
    "PYTHONDONTWRITEBYTECODE": "",
    "PYTHONPYCACHEPREFIX": "/tmp/mailprobe-bench-pyc",
}


def _process(inbound: InboundInfo, domain: str) -> tuple[float, int, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mailprobe", "domain", domain, "--json", *inbound.cli_args()],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env=_ENV,
    )
    elapsed = time.perf_counter() - start
    return elapsed, done.returncode, json.loads(done.stdout)["verdict"]


async def _library(inbound: InboundInfo, domains: list[str]) -> float:
    net = NetOptions(
        nameservers=(parse_nameserver(inbound.resolver),),
        connect_to=tuple(parse_connect_to(r) for r in inbound.connect_to),
        ca_file=inbound.ca_file,
        timeout=30,
    )
    options = DomainOptions(net=net, dnssec_probe=inbound.dnssec_probe)
    start = time.perf_counter()
    for domain in domains:
        await run_domain(domain, options)
    return time.perf_counter() - start


def _openssl(inbound: InboundInfo, rrdata: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            "openssl",
            "s_client",
            "-brief",
            "-starttls",
            "smtp",
            "-connect",
            f"127.0.0.1:{inbound.ports['dane']}",
            "-servername",
            sz.MX_EE,
            "-dane_tlsa_domain",
            sz.MX_EE,
            "-dane_tlsa_rrdata",
            rrdata,
        ],
        input=b"QUIT\r\n",
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - start


def main() -> None:
    with running_bed() as bed:
        inbound = load_inbound(bed.dir)
        domains = list(inbound.cases)
        _process(inbound, domains[0])  # fills the byte-code cache
        total = 0.0
        print(f"{'case':<34} {'verdict':<8} exit  seconds")
        for domain in domains:
            elapsed, code, verdict = _process(inbound, domain)
            total += elapsed
            print(f"{domain:<34} {verdict:<8} {code:>4}  {elapsed:7.3f}")
        library = asyncio.run(_library(inbound, domains))
        each = total / len(domains)
        print(f"\n{len(domains)} cases as processes: {total:.2f} s ({each:.3f} s each)")
        print(f"same cases in one process:  {library:.2f} s ({library / len(domains):.3f} s each)")
        print(f"ratio processes / library:  {total / library:.1f}")
        one, _code, _v = _process(inbound, f"ee.{sz.SECURE}")
        report = asyncio.run(_library(inbound, [f"ee.{sz.SECURE}"]))
        tlsa = json.loads(
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "mailprobe",
                    "domain",
                    f"ee.{sz.SECURE}",
                    "--json",
                    *inbound.cli_args(),
                ],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=False,
            ).stdout
        )["mx"][0]["addresses"][0]["dane"]["records"][0]
        rrdata = f"{tlsa['usage']} {tlsa['selector']} {tlsa['matching']} {tlsa['data']}"
        handshake = min(_openssl(inbound, rrdata) for _ in range(3))
        print(
            f"one full domain check (process {one:.3f} s, library {report:.3f} s) = "
            f"{one / handshake:.1f} openssl DANE handshakes ({handshake:.3f} s each)"
        )


if __name__ == "__main__":
    main()
