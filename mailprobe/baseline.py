"""Baselines: what changed between an earlier JSON report and a new one.

    old = load_baseline("yesterday.json")          # BaselineError if unusable
    report = apply_baseline(report, old)           # report.changes filled in
    changes = compare_reports(old, new_doc)        # both JSON report dicts (mailprobe diff)

Both sides are read as JSON report documents (README, "JSON report"), using only the
documented keys, so a report stored by an earlier mailprobe of the same `schema_version`
compares as well as a fresh one. Change ids: `change.setting`, `change.service`,
`change.finding.new`, `change.finding.resolved`, `change.cert`, `change.tls_version`.
A new error finding, a service that stopped working and a lowered TLS version are errors;
a renewed certificate is info.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from mailprobe.errors import BaselineError
from mailprobe.models import Change, Protocol, Report, Severity

#: The report schema versions this module can compare.
SUPPORTED_SCHEMAS = frozenset({1})
_LABEL = {Protocol.IMAP: "IMAP", Protocol.POP3: "POP3", Protocol.SMTP: "SMTP"}
_WORKING = frozenset({"ok", "auth_failed"})

Doc = Mapping[str, Any]
_EndpointKey = tuple[str, str, int, str]


def check_report_doc(doc: object, name: str) -> Doc:
    """`doc` if it is a JSON report this version can compare, else a BaselineError."""
    if not isinstance(doc, dict) or "schema_version" not in doc:
        raise BaselineError(f"{name}: not a mailprobe JSON report (no schema_version)")
    version = doc["schema_version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise BaselineError(f"{name}: schema_version {version!r} is not a number")
    if version not in SUPPORTED_SCHEMAS:
        newest = max(SUPPORTED_SCHEMAS)
        advice = (
            "upgrade mailprobe or store a new baseline"
            if version > newest
            else "store a new baseline with this mailprobe"
        )
        raise BaselineError(
            f"{name}: report schema_version {version} cannot be compared; this mailprobe "
            f"reads schema_version {', '.join(map(str, sorted(SUPPORTED_SCHEMAS)))} ({advice})"
        )
    shape: tuple[tuple[str, type], ...] = (
        (("mx", list), ("findings", list))
        if doc.get("kind") == "domain"
        else (("recommended", dict), ("candidates", list), ("findings", list))
    )
    for key, kind in shape:
        if not isinstance(doc.get(key), kind):
            raise BaselineError(f"{name}: not a mailprobe JSON report ({key!r} missing)")
    return doc


def load_baseline(path: str | Path) -> Doc:
    """Read an earlier `--json` report from `path` (BaselineError if unusable)."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"{name}: cannot read the baseline: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise BaselineError(f"{name}: not a mailprobe JSON report (not UTF-8)") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{name}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    return check_report_doc(doc, name)


# --------------------------------------------------------------------------- helpers


def _setting(entry: Mapping[str, Any] | None) -> str | None:
    if not entry:
        return None
    return f"{entry.get('host')}:{entry.get('port')} {entry.get('security')}"


def _endpoint(c: Mapping[str, Any]) -> _EndpointKey:
    return (
        str(c.get("protocol")),
        str(c.get("host", "")).lower().rstrip("."),
        int(c.get("port") or 0),
        str(c.get("security")),
    )


def _probes(doc: Doc) -> dict[_EndpointKey, Mapping[str, Any]]:
    out: dict[_EndpointKey, Mapping[str, Any]] = {}
    for c in doc.get("candidates") or ():
        probe = c.get("probe")
        if isinstance(probe, dict):
            out.setdefault(_endpoint(c), probe)
    return out


def _finding_key(f: Mapping[str, Any]) -> tuple[str, str, str, int]:
    return (
        str(f.get("id")),
        str(f.get("protocol") or ""),
        str(f.get("host") or "").lower(),
        int(f.get("port") or 0),
    )


def _protocol(value: object) -> Protocol | None:
    try:
        return Protocol(str(value))
    except ValueError:
        return None


_TLS_ORDER = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")


def tls_rank(version: str) -> int:
    """Position of a negotiated version, oldest first (unknown, newer names sort last)."""
    name = "TLSv1" if version == "TLSv1.0" else version
    return _TLS_ORDER.index(name) if name in _TLS_ORDER else len(_TLS_ORDER)


def _where(key: _EndpointKey) -> str:
    protocol, host, port, security = key
    label = _LABEL.get(Protocol(protocol), protocol) if _protocol(protocol) else protocol
    return f"{host} port {port} ({label}, {security.upper()})"


def cert_text(cert: Mapping[str, Any]) -> str:
    """`valid until ..., issuer ...`: a certificate in a change's before/after."""
    return f"valid until {cert.get('not_after')}, issuer {cert.get('issuer')}"


# --------------------------------------------------------------------------- comparisons


def _settings(old: Doc, new: Doc) -> Iterator[Change]:
    for protocol in Protocol:
        before_entry = (old.get("recommended") or {}).get(str(protocol))
        after_entry = (new.get("recommended") or {}).get(str(protocol))
        before, after = _setting(before_entry), _setting(after_entry)
        label = _LABEL[protocol]
        if before != after:
            if after is None:
                summary = f"No {label} setting any more (was {before})."
            elif before is None:
                summary = f"{label} setting appeared: {after}."
            else:
                summary = f"The recommended {label} setting changed from {before} to {after}."
            yield Change(
                "change.setting",
                Severity.WARNING if after is None or before is not None else Severity.INFO,
                summary,
                protocol=protocol,
                host=(after_entry or before_entry or {}).get("host"),
                port=(after_entry or before_entry or {}).get("port"),
                before=before,
                after=after,
            )
        was = (before_entry or {}).get("verified")
        now = (after_entry or {}).get("verified")
        if was is None or (after_entry is not None and now is None):
            continue  # a discover report tested nothing: no service state to compare
        if was is True and now is not True:
            yield Change(
                "change.service",
                Severity.ERROR,
                f"{label} stopped working (was {before}).",
                protocol=protocol,
                host=(after_entry or before_entry or {}).get("host"),
                port=(after_entry or before_entry or {}).get("port"),
                before="works",
                after="not working" if after_entry else "no setting",
            )
        elif was is not True and now is True:
            yield Change(
                "change.service",
                Severity.INFO,
                f"{label} works again ({after}).",
                protocol=protocol,
                host=(after_entry or {}).get("host"),
                port=(after_entry or {}).get("port"),
                before="not working",
                after="works",
            )


def finding_changes(old: Doc, new: Doc) -> Iterator[Change]:
    """`change.finding.new` and `change.finding.resolved` between two report documents."""
    before = {_finding_key(f): f for f in old.get("findings") or ()}
    after = {_finding_key(f): f for f in new.get("findings") or ()}
    for key, f in after.items():
        if key not in before:
            yield _finding_change("change.finding.new", f, None, f.get("severity"))
    for key, f in before.items():
        if key not in after:
            yield _finding_change("change.finding.resolved", f, f.get("severity"), None)


def _finding_change(change_id: str, f: Mapping[str, Any], before: object, after: object) -> Change:
    new = change_id.endswith(".new")
    try:
        severity = Severity(str(f.get("severity"))) if new else Severity.INFO
    except ValueError:
        severity = Severity.WARNING
    what = "New finding" if new else "Resolved"
    return Change(
        change_id,
        severity,
        f"{what}: {f.get('id')}: {f.get('summary')}",
        protocol=_protocol(f.get("protocol")),
        host=f.get("host"),
        port=f.get("port"),
        before=None if before is None else f"{f.get('id')} ({before})",
        after=None if after is None else f"{f.get('id')} ({after})",
    )


def _tls_changes(old: Doc, new: Doc) -> Iterator[Change]:
    before_probes = _probes(old)
    for key, probe in _probes(new).items():
        was = before_probes.get(key)
        if was is None:
            continue
        tls_after = probe.get("tls") or {}
        yield from tls_session_changes(
            _where(key),
            was.get("tls") or {},
            tls_after,
            trusted=bool(tls_after.get("verified")),
            protocol=_protocol(key[0]),
            host=key[1],
            port=key[2],
        )


def tls_session_changes(
    where: str,
    tls_before: Mapping[str, Any],
    tls_after: Mapping[str, Any],
    *,
    trusted: bool,
    protocol: Protocol | None,
    host: str,
    port: int,
    untrusted: str = "it is not a verified renewal",
) -> Iterator[Change]:
    """`change.tls_version` and `change.cert` between two `tls` objects of one endpoint
    (`where` names it in the summary). A later certificate that is `trusted` is a renewal
    (info); any other replacement is a warning, its summary ending with `untrusted`."""
    v_before, v_after = tls_before.get("version"), tls_after.get("version")
    if v_before and v_after and v_before != v_after:
        lowered = tls_rank(v_after) < tls_rank(v_before)
        yield Change(
            "change.tls_version",
            Severity.ERROR if lowered else Severity.INFO,
            f"{where} now negotiates {v_after} (was {v_before}).",
            protocol=protocol,
            host=host,
            port=port,
            before=v_before,
            after=v_after,
        )
    cert_before, cert_after = tls_before.get("cert"), tls_after.get("cert")
    if not cert_before or not cert_after:
        return
    if all(cert_before.get(k) == cert_after.get(k) for k in ("not_after", "issuer", "subject")):
        return
    renewed = str(cert_after.get("not_after")) >= str(cert_before.get("not_after")) and trusted
    yield Change(
        "change.cert",
        Severity.INFO if renewed else Severity.WARNING,
        f"{where} presents another certificate: {cert_text(cert_after)} "
        f"(was {cert_text(cert_before)})" + ("." if renewed else f"; {untrusted}."),
        protocol=protocol,
        host=host,
        port=port,
        before=cert_text(cert_before),
        after=cert_text(cert_after),
    )


_ORDER = {p: i for i, p in enumerate(Protocol)}


def change_order(c: Change) -> tuple[int, int, str, int, str, str]:
    """Sort key of changes: most severe first, then by protocol, host, port, id."""
    return (
        -c.severity.rank,
        -1 if c.protocol is None else _ORDER[c.protocol],
        (c.host or "").lower(),
        c.port or 0,
        c.id,
        c.summary,
    )


def compare_reports(old: Doc, new: Doc) -> tuple[Change, ...]:
    """The changes from report document `old` to `new` (same address or, for
    `mailprobe domain` reports, same domain), in a fixed order.

    Raises BaselineError if either is not a comparable report or they are for different
    addresses.
    """
    check_report_doc(old, "baseline")
    check_report_doc(new, "report")
    who_old = old.get("address") or old.get("domain")
    who_new = new.get("address") or new.get("domain")
    if (old.get("kind") == "domain") != (new.get("kind") == "domain"):
        kinds = {True: "a domain report", False: "a check report"}
        raise BaselineError(
            f"cannot compare {kinds[old.get('kind') == 'domain']} of {who_old} with "
            f"{kinds[new.get('kind') == 'domain']} of {who_new}"
        )
    if str(who_old).lower() != str(who_new).lower():
        raise BaselineError(f"the baseline is a report for {who_old}, not for {who_new}")
    if new.get("kind") == "domain":
        from mailprobe.inbound.baseline import compare_domain_docs

        return tuple(sorted(compare_domain_docs(old, new), key=change_order))
    changes = [*_settings(old, new), *finding_changes(old, new), *_tls_changes(old, new)]
    return tuple(sorted(changes, key=change_order))


def apply_baseline(report: Report, baseline: Doc) -> Report:
    """`report` with `changes` since `baseline` (an earlier JSON report document)."""
    from mailprobe.render.json import report_to_json

    return replace(report, changes=compare_reports(baseline, report_to_json(report)))


__all__ = [
    "SUPPORTED_SCHEMAS",
    "apply_baseline",
    "cert_text",
    "change_order",
    "check_report_doc",
    "compare_reports",
    "finding_changes",
    "load_baseline",
    "tls_rank",
    "tls_session_changes",
]
