"""`mailprobe domain DOMAIN`: how safely the world can deliver mail to DOMAIN.

Parses options, calls `mailprobe.inbound.run_domain`, renders, picks the exit code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mailprobe.cli.options import (
    BaselineOpt,
    CaFileOpt,
    ConnectToOpt,
    DebugOpt,
    FailOnIdOpt,
    FailOnOpt,
    FormatOpt,
    JsonOpt,
    NameserverOpt,
    PolicyOpt,
    TimeoutOpt,
    TrustAdOpt,
    net_options,
)
from mailprobe.cli.startup import run_collected
from mailprobe.models import Severity

if TYPE_CHECKING:
    from mailprobe.cli.output import OutputOptions
    from mailprobe.inbound.model import DomainReport

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

  mailprobe domain example.org --policy mail-policy.toml --format junit

  mailprobe domain example.org --baseline yesterday.json --format nagios
"""


def domain(
    domain_name: Annotated[str, typer.Argument(metavar="DOMAIN", help="e.g. example.org")],
    json_out: JsonOpt = False,
    fmt: FormatOpt = None,
    timeout: TimeoutOpt = 30.0,
    nameserver: NameserverOpt = None,
    connect_to: ConnectToOpt = None,
    ca_file: CaFileOpt = None,
    trust_ad: TrustAdOpt = False,
    dnssec_probe: DnssecProbeOpt = ".",
    ehlo_name: EhloOpt = None,
    fail_on: FailOnOpt = Severity.ERROR,
    fail_on_id: FailOnIdOpt = None,
    policy: PolicyOpt = None,
    baseline: BaselineOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Check how safely mail can be delivered to DOMAIN: MX, DNSSEC, STARTTLS on port 25,
    DANE, MTA-STS, TLS-RPT, SPF and DMARC.

    DNSSEC relies on the resolver's AD bit, trusted from a loopback resolver or with
    --trust-ad, once the resolver proved that it validates (see --dnssec-probe).
    --policy can require DANE, MTA-STS, TLS-RPT, STARTTLS and DNSSEC ([domain] table);
    --baseline takes an earlier `domain --json` report of the same domain.
    """
    from mailprobe.cli.app import _setup_logging
    from mailprobe.cli.output import OutputOptions
    from mailprobe.inbound import DomainOptions, run_domain

    _setup_logging(debug)
    out = OutputOptions.from_cli(
        json_out=json_out,
        fmt=fmt,
        fail_on=fail_on,
        fail_on_id=fail_on_id,
        policy=policy,
        baseline=baseline,
    )
    if out.baseline is not None and out.baseline.get("kind") != "domain":
        from mailprobe.errors import BaselineError

        raise BaselineError(f"{baseline}: not a `mailprobe domain --json` report")
    options = DomainOptions(
        net=net_options(timeout, nameserver, connect_to, ca_file, trust_ad=trust_ad),
        dnssec_probe=dnssec_probe,
        ehlo_name=ehlo_name,
    )
    report = run_collected(run_domain(domain_name, options))
    raise typer.Exit(finish_domain(report, out))


def finish_domain(report: DomainReport, out: OutputOptions) -> int:
    """Apply the policy and baseline, render to stdout, and return the exit code."""
    from mailprobe.cli.output import conclude
    from mailprobe.inbound.exit import domain_exit_status

    if out.policy is not None:
        from mailprobe.inbound.policy import apply_domain_policy

        report = apply_domain_policy(report, out.policy)
    if out.baseline is not None:
        from mailprobe.inbound.baseline import apply_domain_baseline

        report = apply_domain_baseline(report, out.baseline)
    return conclude(
        out,
        "mailprobe.render.domain",
        report,
        lambda: int(domain_exit_status(report, out.rule.severity, out.rule.ids)),
    )
