"""OpenMetrics text for a domain report (node_exporter textfile collector, Pushgateway).

    mailprobe_domain_mx_starttls_up{domain,mx,ip}              1 if STARTTLS worked, else 0
    mailprobe_domain_starttls_duration_seconds{domain,mx,ip}
    mailprobe_domain_dane_valid{domain,mx,ip}                  1 if a usable TLSA record matched
    mailprobe_cert_expiry_timestamp_seconds{domain,mx,ip}
    mailprobe_domain_mta_sts_enforce{domain}                   1 with a valid enforce policy
    mailprobe_domain_tls_rpt_valid{domain}
    mailprobe_domain_dnssec_secure{domain}                     MX RRset and MX addresses secure
    mailprobe_domain_verdict{domain}                           0 pass, 1 warning, 2 fail
    mailprobe_findings{domain,severity}
    mailprobe_changes{domain,severity}                         with a baseline

Label values are escaped and the text ends with `# EOF` (the check renderer's helpers).
"""

from __future__ import annotations

from typing import IO

from mailprobe.inbound.model import DomainReport
from mailprobe.inbound.views import addresses, leaf_cert
from mailprobe.render.openmetrics import Family, count_families, exposition, timestamp


def render(report: DomainReport) -> str:
    """The metrics of the domain report as OpenMetrics text."""
    domain = (("domain", report.domain),)
    up = Family("mailprobe_domain_mx_starttls_up", "1 if STARTTLS on port 25 worked, else 0.")
    duration = Family(
        "mailprobe_domain_starttls_duration_seconds", "Time the port 25 STARTTLS test took."
    )
    dane = Family(
        "mailprobe_domain_dane_valid", "1 if the certificate matched a usable TLSA record."
    )
    expiry = Family(
        "mailprobe_cert_expiry_timestamp_seconds",
        "When the MX address's TLS certificate expires (Unix time).",
    )
    for mx, address in addresses(report):
        labels = (*domain, ("mx", mx.host), ("ip", address.ip))
        up.add(labels, 1 if address.smtp.starttls and address.smtp.tls is not None else 0)
        if address.smtp.starttls is not None:
            duration.add(labels, round(address.smtp.elapsed_ms / 1000, 6))
        dane.add(labels, 1 if address.dane is not None and address.dane.matched else 0)
        cert = leaf_cert(address)
        stamp = timestamp(cert.not_after) if cert is not None else None
        if stamp is not None:
            expiry.add(labels, stamp)
    facts = report.facts()
    flags = []
    for name, fact, help_text in (
        (
            "mailprobe_domain_mta_sts_enforce",
            "mta_sts_enforce",
            "1 with a valid MTA-STS policy in enforce mode.",
        ),
        ("mailprobe_domain_tls_rpt_valid", "tls_rpt", "1 with a valid TLS-RPT record."),
        (
            "mailprobe_domain_dnssec_secure",
            "dnssec",
            "1 if the MX records and MX addresses are DNSSEC-secure.",
        ),
    ):
        family = Family(name, help_text)
        family.add(domain, 1 if facts[fact] else 0)
        flags.append(family)
    verdict = Family("mailprobe_domain_verdict", "The domain's verdict: 0 pass, 1 warning, 2 fail.")
    verdict.add(domain, report.verdict.rank)
    families = [up, duration, dane, expiry, *flags, verdict, *count_families(report, domain)]
    return exposition(families)


def write(report: DomainReport, stream: IO[str]) -> None:
    """Write the metrics to `stream`."""
    stream.write(render(report))
