"""Read-only views of a domain report that policies and output formats share."""

from __future__ import annotations

from collections.abc import Iterator

from mailprobe.inbound.model import AddressResult, DomainReport, MxResult
from mailprobe.models import CertInfo, ProbeStatus


def addresses(report: DomainReport) -> Iterator[tuple[MxResult, AddressResult]]:
    """Every (MX host, address) pair in report order."""
    for mx in report.mx:
        for address in mx.addresses:
            yield mx, address


def leaf_cert(address: AddressResult) -> CertInfo | None:
    """The certificate the address presented on port 25 (None without TLS)."""
    tls = address.smtp.tls
    if tls is None or not tls.chain:
        return None
    from mailprobe.probes.tls import cert_info

    return cert_info(tls.chain[0])


def address_name(mx: MxResult, address: AddressResult) -> str:
    """`mx.example.org [192.0.2.1]`: how an MX address is named in output."""
    return f"{mx.host} [{address.ip}]"


def starttls_cell(mx: MxResult) -> str:
    """`192.0.2.1: TLSv1.3, trusted; ...`: port 25 of every address of `mx`."""
    cells = []
    for a in mx.addresses:
        s = a.smtp
        if s.status is not ProbeStatus.OK:
            cells.append(f"{a.ip}: {s.status}")
        elif not s.starttls:
            cells.append(f"{a.ip}: no STARTTLS")
        else:
            tls = s.tls
            trusted = "trusted" if a.pkix is not None and a.pkix.valid else "untrusted cert"
            cells.append(f"{a.ip}: {tls.version if tls else '?'}, {trusted}")
    return "; ".join(cells) or ("localhost" if mx.localhost else "no address")


def dane_cell(mx: MxResult) -> str:
    """`ok (2 usable of 3)`: the DANE status of `mx` and its records."""
    text = str(mx.dane_status)
    if mx.tlsa is not None and mx.tlsa.records:
        usable = sum(1 for r in mx.tlsa.records if r.usable)
        text += f" ({usable} usable of {len(mx.tlsa.records)})"
    return text


def sts_match_cell(mx: MxResult) -> str:
    """Whether the MTA-STS policy lists `mx`: `listed`, `NOT listed` or `-`."""
    return {None: "-", True: "listed", False: "NOT listed"}[mx.mta_sts_match]


def record_rows(report: DomainReport) -> list[list[str]]:
    """`[name, state]` rows for MTA-STS, TLS-RPT, SPF and DMARC."""
    sts = report.mta_sts
    sts_text = str(sts.status)
    if sts.mode:
        sts_text += f", mode {sts.mode}, mx {', '.join(sts.mx)}, max_age {sts.max_age}"
    elif sts.detail and sts.status != "absent":
        sts_text += f": {sts.detail}"
    rpt = report.tls_rpt
    return [
        ["MTA-STS", sts_text],
        ["TLS-RPT", rpt.status + (f": {', '.join(rpt.rua)}" if rpt.rua else "")],
        ["SPF", report.spf.status + (f": {report.spf.record}" if report.spf.record else "")],
        [
            "DMARC",
            report.dmarc.status + (f": p={report.dmarc.policy}" if report.dmarc.policy else ""),
        ],
    ]


__all__ = [
    "address_name",
    "addresses",
    "dane_cell",
    "leaf_cert",
    "record_rows",
    "starttls_cell",
    "sts_match_cell",
]
