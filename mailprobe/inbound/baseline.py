"""Baselines for `mailprobe domain`: what changed between two domain JSON reports.

Called by `mailprobe.baseline.compare_reports` when both documents are domain reports, so
`--baseline` and `mailprobe diff` work the same way as for `check`. Change ids:

- `change.mx`: the MX set (hosts, preferences, null MX) changed (warning);
- `change.service`: an MX address stopped (error) or started (info) offering STARTTLS;
- `change.tls_version`: the negotiated version changed (lowered: error, else info);
- `change.cert`: another certificate (a later, still trusted one: info, else warning);
- `change.dane`: the DANE status of an MX changed (lost `ok`: error, gained: info);
- `change.mta_sts`: the effective MTA-STS mode changed (weaker: error, stronger: info);
- `change.finding.new` / `change.finding.resolved`, as for `check`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mailprobe.baseline import finding_changes, tls_session_changes
from mailprobe.models import Change, Severity

if TYPE_CHECKING:
    from mailprobe.inbound.model import DomainReport

Doc = Mapping[str, Any]
_STS_ORDER = (None, "none", "testing", "enforce")


def _mx_set(doc: Doc) -> str:
    if doc.get("null_mx"):
        return "null MX"
    hosts = [f"{m.get('preference')} {m.get('host')}" for m in doc.get("mx") or ()]
    return ", ".join(hosts) or "no MX"


def _addresses(doc: Doc) -> dict[tuple[str, str], Mapping[str, Any]]:
    out: dict[tuple[str, str], Mapping[str, Any]] = {}
    for mx in doc.get("mx") or ():
        for address in mx.get("addresses") or ():
            out[(str(mx.get("host", "")).lower(), str(address.get("ip")))] = address
    return out


def _change(cid: str, severity: Severity, summary: str, host: str | None, **state: Any) -> Change:
    return Change(cid, severity, summary, None, host, 25 if host else None, **state)


def _mx_changes(old: Doc, new: Doc) -> Iterator[Change]:
    before, after = _mx_set(old), _mx_set(new)
    if before != after:
        yield _change(
            "change.mx",
            Severity.WARNING,
            f"The MX set of {new.get('domain')} changed from {before} to {after}.",
            None,
            before=before,
            after=after,
        )
    dane_before = {str(m.get("host")).lower(): m.get("dane") or {} for m in old.get("mx") or ()}
    for mx in new.get("mx") or ():
        host = str(mx.get("host"))
        was = dane_before.get(host.lower(), {}).get("status")
        now = (mx.get("dane") or {}).get("status")
        if was is None or was == now:
            continue
        severity = (
            Severity.ERROR if was == "ok" else Severity.INFO if now == "ok" else Severity.WARNING
        )
        yield _change(
            "change.dane",
            severity,
            f"DANE for {host} is now {now} (was {was}).",
            host,
            before=was,
            after=now,
        )


def _address_changes(old: Doc, new: Doc) -> Iterator[Change]:
    before_all = _addresses(old)
    for (host, ip), address in _addresses(new).items():
        was = before_all.get((host, ip))
        if was is None:
            continue
        where = f"{host} [{ip}] port 25"
        smtp_before, smtp_after = was.get("smtp") or {}, address.get("smtp") or {}
        state_before, state_after = _starttls_state(smtp_before), _starttls_state(smtp_after)
        if (state_before == "STARTTLS") != (state_after == "STARTTLS"):
            lost = state_before == "STARTTLS"
            yield _change(
                "change.service",
                Severity.ERROR if lost else Severity.INFO,
                f"{where} no longer offers STARTTLS ({state_after})."
                if lost
                else f"{where} offers STARTTLS again (was {state_before}).",
                host,
                before=state_before,
                after=state_after,
            )
        tls_after = smtp_after.get("tls") or {}
        dane_ok = (address.get("dane") or {}).get("matched") is True
        yield from tls_session_changes(
            where,
            smtp_before.get("tls") or {},
            tls_after,
            trusted=bool(tls_after.get("verified")) or dane_ok,
            protocol=None,
            host=host,
            port=25,
            untrusted="neither PKIX nor DANE vouches for it",
        )


def _starttls_state(smtp: Mapping[str, Any]) -> str:
    """`STARTTLS`, `no STARTTLS`, or the status of a test that got no answer."""
    starttls = smtp.get("starttls")
    if starttls is None:
        return str(smtp.get("status"))
    return "STARTTLS" if starttls else "no STARTTLS"


def _sts_mode(doc: Doc) -> str | None:
    sts = doc.get("mta_sts") or {}
    mode = sts.get("mode") if sts.get("status") == "ok" else None
    return mode if mode in _STS_ORDER else None


def _sts_changes(old: Doc, new: Doc) -> Iterator[Change]:
    before, after = _sts_mode(old), _sts_mode(new)
    if before == after:
        return
    weaker = _STS_ORDER.index(after) < _STS_ORDER.index(before)
    status = (new.get("mta_sts") or {}).get("status")
    yield _change(
        "change.mta_sts",
        Severity.ERROR if weaker else Severity.INFO,
        f"The MTA-STS mode of {new.get('domain')} is now {after or f'unset ({status})'} "
        f"(was {before or 'unset'}).",
        None,
        before=before,
        after=after,
    )


def compare_domain_docs(old: Doc, new: Doc) -> list[Change]:
    """The changes between two domain report documents (unsorted; see compare_reports)."""
    return [
        *_mx_changes(old, new),
        *_address_changes(old, new),
        *_sts_changes(old, new),
        *finding_changes(old, new),
    ]


def apply_domain_baseline(report: DomainReport, baseline: Doc) -> DomainReport:
    """`report` with `changes` since `baseline` (an earlier domain JSON report)."""
    from mailprobe.baseline import compare_reports

    return replace(report, changes=compare_reports(baseline, report.to_json()))


__all__ = ["apply_domain_baseline", "compare_domain_docs"]
