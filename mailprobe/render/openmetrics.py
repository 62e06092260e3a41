"""OpenMetrics text for Prometheus: node_exporter's textfile collector and the Pushgateway.

Gauges, base units, names per the Prometheus naming rules:

    mailprobe_service_up{address,service,host,port,security}            1 or 0 per endpoint
    mailprobe_probe_duration_seconds{address,service,host,port,security}
    mailprobe_cert_expiry_timestamp_seconds{address,service,host,port,security}
    mailprobe_findings{address,severity}
    mailprobe_changes{address,severity}                                 with a baseline

Discover reports (nothing probed) carry only the finding counts. Label values are escaped
(backslash, double quote, newline); the text ends with `# EOF`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import IO

from mailprobe.exit_status import Assessed
from mailprobe.models import Change, Finding, ProbedCandidate, Report, Severity
from mailprobe.render.verdict import who, works

Labels = Sequence[tuple[str, str]]


def escape_label(value: str) -> str:
    """A label value with backslash, double quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: Labels) -> str:
    return "{" + ",".join(f'{k}="{escape_label(v)}"' for k, v in labels) + "}"


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _endpoint_labels(address: str, pc: ProbedCandidate) -> Labels:
    s = pc.candidate.setting
    return (
        ("address", address),
        ("service", str(s.protocol)),
        ("host", s.host),
        ("port", str(s.port)),
        ("security", str(s.security)),
    )


def timestamp(iso: str) -> float | None:
    """Unix time of an ISO 8601 date (`...Z`), or None if it cannot be read."""
    try:
        when = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


class Family:
    """One gauge metric family and its samples."""

    def __init__(self, name: str, help_text: str) -> None:
        self.name = name
        self.help = help_text
        self.samples: list[str] = []

    def add(self, labels: Labels, value: float) -> None:
        """Add a sample with `labels` (escaped here)."""
        self.samples.append(f"{self.name}{_labels(labels)} {_number(value)}")

    def lines(self) -> list[str]:
        """HELP, TYPE and the samples (nothing for a family without samples)."""
        if not self.samples:
            return []
        return [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} gauge", *self.samples]


def render(report: Report) -> str:
    """The metrics of `report` as OpenMetrics text."""
    address = who(report)
    up = Family("mailprobe_service_up", "1 if the endpoint answered as configured, else 0.")
    duration = Family(
        "mailprobe_probe_duration_seconds", "Time the live test of the endpoint took."
    )
    expiry = Family(
        "mailprobe_cert_expiry_timestamp_seconds",
        "When the endpoint's TLS certificate expires (Unix time).",
    )
    for pc in report.candidates:
        probe = pc.probe
        if probe is None:
            continue
        labels = _endpoint_labels(address, pc)
        up.add(labels, 1 if works(pc) else 0)
        if probe.timings.total is not None:
            duration.add(labels, round(probe.timings.total / 1000, 6))
        cert = probe.tls.cert if probe.tls is not None else None
        stamp = timestamp(cert.not_after) if cert is not None else None
        if stamp is not None:
            expiry.add(labels, stamp)
    base = (("address", address),)
    families = [up, duration, expiry, *count_families(report, base)]
    return exposition(families)


def _per_severity(
    name: str, help_text: str, items: Sequence[Finding | Change], base: Labels
) -> Family:
    family = Family(name, help_text)
    for severity in Severity:
        count = sum(1 for i in items if i.severity is severity)
        family.add((*base, ("severity", str(severity))), count)
    return family


def count_families(report: Assessed, base: Labels) -> list[Family]:
    """`mailprobe_findings{...,severity}` and, with a baseline, `mailprobe_changes`."""
    families = [
        _per_severity(
            "mailprobe_findings", "Findings of the last run, by severity.", report.findings, base
        )
    ]
    if report.changes:
        families.append(
            _per_severity(
                "mailprobe_changes",
                "Changes since the baseline, by severity.",
                report.changes,
                base,
            )
        )
    return families


def exposition(families: Sequence[Family]) -> str:
    """The families as OpenMetrics text, ending with `# EOF`."""
    lines = [line for family in families for line in family.lines()]
    return "\n".join([*lines, "# EOF"]) + "\n"


def write(report: Report, stream: IO[str]) -> None:
    """Write the metrics to `stream`."""
    stream.write(render(report))
