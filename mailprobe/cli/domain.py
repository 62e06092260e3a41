"""`mailprobe domain DOMAIN`: how safely the world can deliver mail to DOMAIN.

Parses options, calls `mailprobe.inbound.run_domain`, renders, picks the exit code.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

from mailprobe.cli.options import (
    CaFileOpt,
    ConnectToOpt,
    DebugOpt,
    FailOnOpt,
    JsonOpt,
    NameserverOpt,
    TimeoutOpt,
    TrustAdOpt,
    net_options,
)
from mailprobe.models import Severity

DnssecProbeOpt = Annotated[
    str,
    typer.Option(
        "--dnssec-probe",
        metavar="NAME",
        help="A name known to be DNSSEC-signed, asked to prove the resolver validates "
        "(default: the root zone '.').",
    ),
]
EhloOpt = Annotated[
    str | None,
    typer.Option(
        "--ehlo-name",
        metavar="HOST",
        help="Name sent in EHLO (default: this machine's FQDN, else its address literal).",
    ),
]

EXAMPLES = """Examples:

  mailprobe domain example.org    (MX, DNSSEC, STARTTLS, DANE, MTA-STS, TLS-RPT, SPF, DMARC)

  mailprobe domain example.org --json --fail-on warning    (for CI)

  mailprobe domain example.org --nameserver 127.0.0.1    (a local validating resolver)
"""


def domain(
    domain_name: Annotated[str, typer.Argument(metavar="DOMAIN", help="e.g. example.org")],
    json_out: JsonOpt = False,
    timeout: TimeoutOpt = 30.0,
    nameserver: NameserverOpt = None,
    connect_to: ConnectToOpt = None,
    ca_file: CaFileOpt = None,
    trust_ad: TrustAdOpt = False,
    dnssec_probe: DnssecProbeOpt = ".",
    ehlo_name: EhloOpt = None,
    fail_on: FailOnOpt = Severity.ERROR,
    debug: DebugOpt = False,
) -> None:
    """Check how safely mail can be delivered to DOMAIN: MX, DNSSEC, STARTTLS on port 25,
    DANE, MTA-STS, TLS-RPT, SPF and DMARC.

    DNSSEC relies on the resolver's AD bit, trusted from a loopback resolver or with
    --trust-ad, once the resolver proved that it validates (see --dnssec-probe).
    """
    from mailprobe.cli.app import _setup_logging
    from mailprobe.inbound import DomainOptions, run_domain
    from mailprobe.inbound.exit import domain_exit_status

    _setup_logging(debug)
    options = DomainOptions(
        net=net_options(timeout, nameserver, connect_to, ca_file, trust_ad=trust_ad),
        dnssec_probe=dnssec_probe,
        ehlo_name=ehlo_name,
    )
    report = asyncio.run(run_domain(domain_name, options))
    if json_out:
        import json

        sys.stdout.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        from mailprobe.inbound.text import write

        write(report, sys.stdout)
    raise typer.Exit(int(domain_exit_status(report, fail_on)))
