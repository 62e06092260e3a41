"""The recorded conversation of one probe connection (`--transcript`).

`LineStream` feeds a `Recorder` with every line it sends and reads and with the TLS
events, so every protocol gets a transcript without code of its own. Client lines are
recorded as the script says they may be shown (credentials already replaced with
`<redacted>`); server lines pass through the probe's `Redactor`. Long lines are cut, and
so is a transcript that grows past `MAX_ENTRIES`, each with a marker saying how much.
"""

from __future__ import annotations

import time

from mailprobe.models import TranscriptDirection, TranscriptEntry
from mailprobe.redact import Redactor

#: Longest line kept in a transcript; the rest is replaced by a marker.
MAX_TEXT = 300

#: Most entries kept per connection; later ones are counted in a final marker.
MAX_ENTRIES = 400


def cap(text: str, limit: int = MAX_TEXT) -> str:
    """`text` cut to `limit` characters, with a marker saying how many were cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]} [... {len(text) - limit} more characters cut]"


class Recorder:
    """Collects the entries of one connection, timed from when it was made."""

    def __init__(self, redactor: Redactor | None = None, *, start: float | None = None) -> None:
        self._redactor = redactor or Redactor()
        self._start = time.perf_counter() if start is None else start
        self._entries: list[TranscriptEntry] = []
        self._dropped = 0

    def _add(self, direction: TranscriptDirection, text: str) -> None:
        if len(self._entries) >= MAX_ENTRIES:
            self._dropped += 1
            return
        t_ms = round((time.perf_counter() - self._start) * 1000, 1)
        clean = "".join(ch if ch.isprintable() else "?" for ch in text)
        self._entries.append(TranscriptEntry(t_ms, direction, cap(clean)))

    def client(self, shown: str) -> None:
        """A line mailprobe sent, as it may be shown (credentials already redacted)."""
        self._add(TranscriptDirection.CLIENT, shown)

    def server(self, text: str) -> None:
        """A line the server sent (redacted here, token by token)."""
        self._add(TranscriptDirection.SERVER, self._redactor.text(text))

    def event(self, text: str) -> None:
        """Something that happened on the connection (connect, TLS, close)."""
        self._add(TranscriptDirection.EVENT, self._redactor.text(text))

    def entries(self) -> tuple[TranscriptEntry, ...]:
        """What was recorded, with a final marker if entries had to be dropped."""
        if not self._dropped:
            return tuple(self._entries)
        t_ms = self._entries[-1].t_ms if self._entries else 0.0
        marker = TranscriptEntry(
            t_ms,
            TranscriptDirection.EVENT,
            f"[... {self._dropped} more lines not recorded (limit {MAX_ENTRIES})]",
        )
        return (*self._entries, marker)
