"""Read-only views of a domain report that policies and output formats share."""

from __future__ import annotations

from collections.abc import Iterator

from mailprobe.inbound.model import AddressResult, DomainReport, MxResult
from mailprobe.models import CertInfo


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


__all__ = ["address_name", "addresses", "leaf_cert"]
