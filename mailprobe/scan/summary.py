"""`scan --summary`: what a scan found, counted as records are written, shown at the end."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from mailprobe.scan.engine import RecordSummary

#: Rows shown for the most common findings and providers.
TOP = 10


@dataclass
class ScanSummary:
    """Counts per verdict, exit status, finding id and provider (bounded by their variety)."""

    verdicts: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    findings: Counter[str] = field(default_factory=Counter)
    providers: Counter[str] = field(default_factory=Counter)

    def add(self, summary: RecordSummary) -> None:
        """Count one written record."""
        self.verdicts[summary.verdict] += 1
        self.statuses[summary.exit_status] += 1
        self.findings.update(set(summary.finding_ids))
        self.providers[summary.provider or "(not in the database)"] += 1

    @property
    def total(self) -> int:
        """Records counted."""
        return sum(self.statuses.values())

    def render(self) -> str:
        """Plain-text tables for stderr."""
        from tabulate import tabulate

        def table(title: str, counter: Counter[str] | Counter[int], head: str) -> str:
            rows = [[key, count] for key, count in counter.most_common(TOP)]
            more = len(counter) - TOP
            text = tabulate(rows, headers=[head, "count"], tablefmt="simple")
            return f"{title}\n{text}" + (f"\n(and {more} more)" if more > 0 else "")

        parts = [
            f"Scanned {self.total} input line(s)",
            table("Verdicts", self.verdicts, "verdict"),
            table("Exit statuses", self.statuses, "exit status"),
            table("Most common findings (inputs with each)", self.findings, "finding"),
            table("Providers", self.providers, "provider"),
        ]
        return "\n\n".join(parts) + "\n"
