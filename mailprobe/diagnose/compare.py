"""`compare_with_discovery`: what a customer typed against what discovery recommends.

`mailprobe probe HOST --address alice@example.org` probes the typed setting and discovers
the settings for the address; each field that differs (server, port, security, user
name) becomes a `typed.differs` finding naming both values.
"""

from __future__ import annotations

from dataclasses import replace

from mailprobe.diagnose.catalogue import MODE_NAMES, FindingId, Subject, make_finding
from mailprobe.diagnose.order import sort_findings
from mailprobe.models import Finding, Protocol, Recommendation, Report, ServerSetting

_ADVICE = {
    "server": "Check the server name with the customer: a typo or an old server name is the "
    "usual cause. Use the recommended one unless the provider documents the typed one.",
    "port": "Change the port in the mail app to the recommended one (and the security with "
    "it: each port expects one mode).",
    "security": "Change the security (encryption) setting in the mail app to the recommended one.",
    "user name": "Most providers want the full e-mail address as the user name; use the "
    "recommended one unless the provider says otherwise.",
}


def _typed_setting(report: Report, protocol: Protocol) -> ServerSetting | None:
    """What the user typed: the typed setting, else the one the probe settled on."""
    for setting in report.typed:
        if setting.protocol is protocol:
            return setting
    rec = report.recommended.get(protocol)
    return rec.candidate.setting if rec is not None else None


def _fields(
    typed: ServerSetting, rec: ServerSetting, typed_username: str | None
) -> list[tuple[str, str, str]]:
    pairs = [
        ("server", typed.host.lower().rstrip("."), rec.host.lower().rstrip(".")),
        ("port", str(typed.port), str(rec.port)),
        ("security", MODE_NAMES[typed.security], MODE_NAMES[rec.security]),
    ]
    if typed_username is not None and rec.username:
        pairs.append(("user name", typed_username, rec.username))
    return [(name, a, b) for name, a, b in pairs if a != b]


def compare_settings(
    protocol: Protocol,
    typed: ServerSetting,
    recommended: Recommendation | None,
    address: str,
    *,
    typed_username: str | None = None,
) -> tuple[Finding, ...]:
    """One finding per differing field, one `typed.matches` when none differs, or
    `typed.not_compared` when discovery had nothing for `protocol`."""
    subject = Subject(protocol, typed.host, typed.port, typed.security)
    if recommended is None:
        return (make_finding(FindingId.TYPED_NOT_COMPARED, subject, address=address),)
    rec = recommended.candidate.setting
    verified = {True: " (and it works from here)", False: " (it did not work from here either)"}
    note = verified.get(recommended.verified, "") if recommended.verified is not None else ""
    differences = _fields(typed, rec, typed_username)
    if not differences:
        shown = f"{typed.host} port {typed.port} {MODE_NAMES[typed.security]}"
        return (make_finding(FindingId.TYPED_MATCHES, subject, typed=shown, address=address),)
    return tuple(
        make_finding(
            FindingId.TYPED_DIFFERS,
            subject,
            field=name,
            typed=value,
            recommended=wanted,
            address=address,
            verified=note,
            advice=_ADVICE[name],
        )
        for name, value, wanted in differences
    )


def compare_with_discovery(
    probe_report: Report, discovered: Report, *, typed_username: str | None = None
) -> Report:
    """`probe_report` with findings comparing its typed settings to `discovered`'s
    recommendations, for every protocol the probe was about."""
    address = discovered.address or discovered.domain
    found: list[Finding] = []
    for protocol in Protocol:
        typed = _typed_setting(probe_report, protocol)
        if typed is None:
            continue
        found.extend(
            compare_settings(
                protocol,
                typed,
                discovered.recommended.get(protocol),
                address,
                typed_username=typed_username,
            )
        )
    return replace(probe_report, findings=sort_findings([*probe_report.findings, *found]))
