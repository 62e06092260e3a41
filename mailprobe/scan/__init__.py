"""Bulk scans of many addresses or domains: JSON Lines in input order, politely, nothing lost.

`read_inputs` turns a byte stream into input records; `scan` handles them with a bounded
window and writes one JSON line each; `resume` continues an interrupted output file;
`summary` counts what was found; `cluster` spreads the work over a Dask cluster. See
docs/scanning.md.
"""

from mailprobe.scan.engine import RecordSummary, ScanSettings, ScanTotals, scan
from mailprobe.scan.inputs import InputLine, read_inputs

__all__ = ["InputLine", "RecordSummary", "ScanSettings", "ScanTotals", "read_inputs", "scan"]
