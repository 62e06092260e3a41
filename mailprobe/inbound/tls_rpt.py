"""TLS-RPT (RFC 8460): one `v=TLSRPTv1` TXT record at `_smtp._tls.DOMAIN` with `rua` URIs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailprobe.inbound.dnssec import SecureResolver, txt_strings


@dataclass(frozen=True)
class TlsRptResult:
    """status: ok | absent | invalid | dns_error."""

    status: str
    record: str | None = None
    rua: tuple[str, ...] = ()
    detail: str = ""


def _uri_ok(uri: str) -> bool:
    if uri.lower().startswith("mailto:"):
        return re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", uri[7:].split("!", 1)[0]) is not None
    return uri.lower().startswith("https://") and len(uri) > len("https://") + 3


def parse_tls_rpt(texts: list[str]) -> TlsRptResult:
    """Judge the TXT strings found at `_smtp._tls.DOMAIN`."""
    records = [t for t in texts if re.match(r"^v=TLSRPTv1\s*(;|$)", t)]
    if not records:
        return TlsRptResult("absent", detail="no v=TLSRPTv1 record")
    if len(records) > 1:
        detail = f"{len(records)} v=TLSRPTv1 records; RFC 8460 says to use none of them"
        return TlsRptResult("invalid", records[0], detail=detail)
    record = records[0]
    fields: dict[str, str] = {}
    for part in record.split(";")[1:]:
        key, sep, value = part.strip().partition("=")
        if sep:
            fields.setdefault(key.strip().lower(), value.strip())
    rua = tuple(u.strip() for u in fields.get("rua", "").split(",") if u.strip())
    if not rua:
        return TlsRptResult("invalid", record, detail="the record has no rua= reporting address")
    bad = [u for u in rua if not _uri_ok(u)]
    if bad:
        detail = f"rua {bad[0]!r} is not a mailto: address or an https:// URL"
        return TlsRptResult("invalid", record, rua, detail)
    return TlsRptResult("ok", record, rua, "reports go to " + ", ".join(rua))


async def check_tls_rpt(domain: str, resolver: SecureResolver) -> TlsRptResult:
    """Look up and judge the TLS-RPT record of `domain`."""
    lookup = await resolver.query(f"_smtp._tls.{domain}", "TXT")
    if not lookup.status.is_answer:
        return TlsRptResult("dns_error", detail=lookup.detail)
    return parse_tls_rpt(txt_strings(lookup))
