"""A progress bar on stderr for `scan` (tqdm), shown only when stderr is a terminal."""

from __future__ import annotations

from typing import IO

from mailprobe.exit_status import ExitStatus
from mailprobe.scan.engine import RecordSummary


class ScanProgress:
    """Done/total (when the total is known), rate, ETA, and how many lines failed."""

    def __init__(self, stream: IO[str], total: int | None) -> None:
        import shutil

        from tqdm import tqdm

        # A terminal that reports no size (0 x 0, as some ptys do) would hide the bar.
        size = shutil.get_terminal_size((100, 24))
        self._bar = tqdm(
            total=total,
            file=stream,
            unit="line",
            ncols=min(size.columns or 100, 120),
            nrows=size.lines or 24,
            smoothing=0.1,
            mininterval=0.25,
        )
        self._failed = 0
        self._errors = 0

    def update(self, summary: RecordSummary) -> None:
        """Count one written record."""
        if summary.exit_status != int(ExitStatus.OK):
            self._failed += 1
        if summary.verdict in {"invalid input", "given up at the deadline", "internal error"}:
            self._errors += 1
        self._bar.set_postfix(failed=self._failed, errors=self._errors, refresh=False)
        self._bar.update(1)

    def close(self) -> None:
        """Finish the bar (leaves its last state on the terminal)."""
        self._bar.close()
