"""The JSON report of `mailprobe domain` (same envelope as `check`), deterministic order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mailprobe.inbound.dane import DaneMatch, TlsaRecord
from mailprobe.inbound.model import AddressResult, MxResult
from mailprobe.probes.tls import cert_info
from mailprobe.render.json import SCHEMA_VERSION, to_jsonable
from mailprobe.version import __version__

if TYPE_CHECKING:
    from mailprobe.inbound.model import DomainReport


def _cert(der: bytes | None) -> dict[str, Any] | None:
    info = cert_info(der) if der else None
    if info is None:
        return None
    return {
        "subject": info.subject,
        "san": list(info.san),
        "issuer": info.issuer,
        "not_after": info.not_after,
        "days_left": info.days_left,
        "self_signed": info.self_signed,
    }


def _record(record: TlsaRecord, matched: bool | None, note: str = "") -> dict[str, Any]:
    return {
        "usage": record.usage,
        "selector": record.selector,
        "matching": record.matching,
        "data": record.data,
        "usable": record.usable,
        "matched": matched,
        "note": note or record.note or None,
    }


def _dane(address: AddressResult, mx: MxResult) -> dict[str, Any]:
    match: DaneMatch | None = address.dane
    records = mx.tlsa.records if mx.tlsa is not None else ()
    if match is None:
        return {"matched": None, "reason": None, "records": [_record(r, None) for r in records]}
    judged = {id(m.record): m for m in match.records}
    rows = []
    for record in records:
        m = judged.get(id(record))
        rows.append(_record(record, m.matched if m else None, m.note if m else ""))
    return {"matched": match.matched, "reason": match.reason or None, "records": rows}


def _address(address: AddressResult, mx: MxResult) -> dict[str, Any]:
    smtp = address.smtp
    tls = smtp.tls
    leaf = tls.chain[0] if tls is not None and tls.chain else None
    tls_json = None
    if tls is not None:
        pkix = address.pkix
        tls_json = {
            "version": tls.version,
            "cipher": tls.cipher,
            "verified": bool(pkix and pkix.valid),
            "verify_error": pkix.error if pkix is not None else None,
            "chain_length": len(tls.chain),
            "chain_complete": tls.chain_complete,
            "cert": _cert(leaf),
        }
    return {
        "ip": address.ip,
        "dnssec": str(address.dnssec),
        "smtp": {
            "status": str(smtp.status),
            "starttls": smtp.starttls,
            "banner": smtp.banner or None,
            "ehlo_name": smtp.ehlo_name or None,
            "connected_to": smtp.connected_to or None,
            "detail": smtp.detail or None,
            "elapsed_ms": smtp.elapsed_ms,
            "tls": tls_json,
            "cert": _cert(leaf),
        },
        "dane": _dane(address, mx),
    }


def _mx(mx: MxResult, report: DomainReport) -> dict[str, Any]:
    tlsa = mx.tlsa
    return {
        "host": mx.host,
        "preference": mx.preference,
        "canonical": mx.canonical,
        "verdict": str(report.verdict_of(mx.host)),
        "dnssec": str(mx.dnssec),
        "address_status": str(mx.address_status),
        "addresses": [_address(a, mx) for a in mx.addresses],
        "tlsa_name": tlsa.name if tlsa is not None else None,
        "tlsa_dnssec": str(tlsa.dnssec) if tlsa is not None else None,
        "tlsa_status": str(tlsa.status) if tlsa is not None else None,
        "dane": {"status": str(mx.dane_status), "detail": mx.dane_detail or None},
        "mta_sts_match": mx.mta_sts_match,
    }


def report_to_json(report: DomainReport) -> dict[str, Any]:
    """The whole report as a JSON-ready dict."""
    sts = report.mta_sts
    return {
        "schema_version": SCHEMA_VERSION,
        "mailprobe_version": __version__,
        "generated_at": report.generated_at,
        "duration_ms": report.duration_ms,
        "kind": "domain",
        "domain": report.domain,
        "verdict": str(report.verdict),
        "dnssec": {
            "resolver": report.resolver.resolver,
            "trusted": report.resolver.trusted,
            "validates": report.resolver.validates,
            "probe": report.resolver.probe,
            "detail": report.resolver.detail,
            "mx": str(report.mx_set.dnssec),
        },
        "null_mx": report.mx_set.null_mx,
        "mx_status": str(report.mx_set.status),
        "mx": [_mx(m, report) for m in report.mx],
        "mx_skipped": list(report.mx_set.skipped),
        "mta_sts": {
            "status": str(sts.status),
            "id": sts.id,
            "mode": sts.mode,
            "mx": list(sts.mx),
            "max_age": sts.max_age,
            "url": sts.url,
            "detail": sts.detail or None,
        },
        "tls_rpt": {
            "status": report.tls_rpt.status,
            "record": report.tls_rpt.record,
            "rua": list(report.tls_rpt.rua),
            "detail": report.tls_rpt.detail or None,
        },
        "spf": {
            "status": report.spf.status,
            "record": report.spf.record,
            "detail": report.spf.detail or None,
        },
        "dmarc": {
            "status": report.dmarc.status,
            "record": report.dmarc.record,
            "policy": report.dmarc.policy,
            "location": report.dmarc.location or None,
            "detail": report.dmarc.detail or None,
        },
        "findings": [to_jsonable(f) for f in report.findings],
        "policy_rules": list(report.policy_rules),
        "changes": [to_jsonable(c) for c in report.changes],
    }
