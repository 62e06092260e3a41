"""JUnit XML for a domain report: one testsuite per domain; one testcase per MX address
(classname `mx`), one per domain-wide check (classname `domain`: MX set, MTA-STS,
TLS-RPT, SPF, DMARC), one per policy rule and one for the changes since a baseline.

A finding about an MX host fails the cases of those of its addresses it names (or all of
them when it names none); a finding or change fails its case when it is at or above
`--fail-on` or matches `--fail-on-id`. The XML itself is the check renderer's.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import IO

from mailprobe.exit_status import FailRule
from mailprobe.inbound.model import AddressResult, DomainReport, MxResult
from mailprobe.inbound.views import address_name, record_rows
from mailprobe.models import Change, Finding
from mailprobe.render.junit import Case, changes_cases, document, policy_cases, write_document

#: Domain-wide test cases and the finding id prefixes (host-less findings) they own.
_DOMAIN_CASES = (
    ("MX set", ("mx.", "dnssec.")),
    ("MTA-STS", ("mta_sts.",)),
    ("TLS-RPT", ("tls_rpt.",)),
    ("SPF", ("spf.",)),
    ("DMARC", ("dmarc.",)),
)


def _mentions(finding: Finding | Change, ip: str) -> bool:
    return ip in finding.summary.replace("[", " ").replace("]", " ").replace(":", " ").split()


def _address_output(address: AddressResult) -> list[str]:
    smtp = address.smtp
    lines = [f"port 25: {smtp.status}, STARTTLS {smtp.starttls}, DNSSEC {address.dnssec}"]
    if smtp.tls is not None:
        trusted = address.pkix is not None and address.pkix.valid
        lines.append(f"TLS: {smtp.tls.version} {smtp.tls.cipher}, PKIX valid {trusted}")
    if address.dane is not None:
        lines.append(f"DANE matched: {address.dane.matched}")
    if smtp.detail:
        lines.append(smtp.detail)
    return lines


def _mx_cases(report: DomainReport, mx: MxResult, rule: FailRule) -> list[Case]:
    own: list[Finding | Change] = [
        f
        for f in report.findings
        if f.host == mx.host and f.policy is None and rule.fails(f.id, f.severity)
    ]
    if not mx.addresses:
        case = Case("mx", mx.host, failing=own)
        case.output = ["localhost" if mx.localhost else f"addresses: {mx.address_status}"]
        return [case]
    ips = [a.ip for a in mx.addresses]
    host_wide = [f for f in own if not any(_mentions(f, ip) for ip in ips)]
    cases = []
    for address in mx.addresses:
        case = Case("mx", address_name(mx, address), address.smtp.elapsed_ms / 1000)
        case.failing = [f for f in own if _mentions(f, address.ip)] + host_wide
        case.output = _address_output(address)
        cases.append(case)
    return cases


def _domain_cases(report: DomainReport, rule: FailRule) -> list[Case]:
    states = dict(record_rows(report))
    states["MX set"] = f"{report.mx_set.status}, DNSSEC {report.mx_set.dnssec}" + (
        ", null MX" if report.mx_set.null_mx else ""
    )
    cases = []
    for name, prefixes in _DOMAIN_CASES:
        case = Case("domain", name)
        case.failing = [
            f
            for f in report.findings
            if f.host is None
            and f.policy is None
            and f.id.startswith(prefixes)
            and rule.fails(f.id, f.severity)
        ]
        case.output = [states[name]]
        cases.append(case)
    return cases


def build(report: DomainReport, rule: FailRule | None = None) -> ET.Element:
    """The `<testsuites>` element for the domain report."""
    rule = rule or FailRule()
    cases = [case for mx in report.mx for case in _mx_cases(report, mx, rule)]
    cases += _domain_cases(report, rule)
    cases += policy_cases(report.policy_rules, report.findings, rule)
    cases += changes_cases(report.changes, rule)
    return document(report.domain, cases)


def write(report: DomainReport, stream: IO[str], rule: FailRule | None = None) -> None:
    """Write the JUnit XML document to `stream`."""
    write_document(build(report, rule), stream)
