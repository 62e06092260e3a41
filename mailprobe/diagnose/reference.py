"""docs/findings.md, generated from the catalogue (`catalogue.RULES`).

`tools/regenerate.py` writes the page; a test checks the committed page is up to date, so
the documented ids, severities and meanings are always the ones mailprobe reports.
"""

from __future__ import annotations

from mailprobe.diagnose.catalogue import RULES, FindingId

_GROUPS = {
    "connect": "Connecting",
    "dns": "Resolving server names",
    "net": "Network paths",
    "mode": "Security mode on the port",
    "protocol": "Protocol",
    "starttls": "STARTTLS",
    "security": "Clear-text settings",
    "auth": "Authentication offered",
    "smtp": "SMTP specifics",
    "imap": "IMAP specifics",
    "tls": "TLS and certificates",
    "login": "Login test (--login)",
    "probe": "Probes",
    "service": "Verdict per service",
    "discovery": "Discovery",
    "provider": "Provider database",
}


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def findings_markdown() -> str:
    """The whole docs/findings.md page."""
    lines = [
        "# Findings",
        "",
        "<!-- Generated from mailprobe/diagnose/catalogue.py by tools/regenerate.py;"
        " do not edit. -->",
        "",
        "Every finding mailprobe reports has a stable dotted `id` (pipelines match on it; its",
        "meaning never changes), a default `severity` and plain-language `summary` and",
        "`advice` (see [the JSON report](json-report.md), `findings`). A few findings are",
        "raised at a different severity when the facts call for it (for example",
        "`tls.cert.expiring` is a warning near expiry); the table shows the default.",
        "",
        "Severities: `error` means the setting does not work or is unsafe; `warning` means",
        "it works but something should be fixed; `info` is worth knowing. `--fail-on`",
        "chooses the severity that makes the exit status 1 ([exit codes](exit-codes.md)).",
        "",
        "Two more families are not in this catalogue: a `--policy` violation is a finding",
        "`policy.<table>.<key>` (e.g. `policy.tls.min_version`) with the policy's severity,",
        "and `--baseline` adds `change.*` entries to `changes`; README (CI and monitoring)",
        "lists both.",
        "",
        f"{len(RULES)} findings in {len({fid.value.split('.')[0] for fid in FindingId})} groups.",
    ]
    groups: dict[str, list[FindingId]] = {}
    for fid in FindingId:
        groups.setdefault(fid.value.split(".")[0], []).append(fid)
    for prefix, ids in groups.items():
        lines += ["", f"## {_GROUPS.get(prefix, prefix)}", ""]
        lines += ["| id | severity | raised when |", "|---|---|---|"]
        for fid in ids:
            rule = RULES[fid]
            lines.append(f"| `{fid.value}` | {rule.severity.value} | {_cell(rule.when)} |")
    return "\n".join(lines) + "\n"
