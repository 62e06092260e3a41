"""The console script's start-up: the cyclic garbage collector waits while code loads.

Loading the command line, the models and the network stack creates many objects, none
of them garbage; the collector would walk them again and again while they load (a few
milliseconds of a short command's CPU time). `pause_collection` stops it for the
loading, and `run_collected`, where a command's real work starts, freezes what was
loaded (so later collections skip it) and lets the collector run again, so a long scan
collects as usual. Library users are not affected: only the console script pauses the
collector.
"""

from __future__ import annotations

import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_paused = [False]


def pause_collection() -> None:
    """Stop cyclic garbage collection until `resume_collection` (console script only)."""
    if gc.isenabled():
        gc.disable()
        _paused[0] = True


def resume_collection() -> None:
    """Freeze everything loaded so far and collect garbage again, if start-up paused it."""
    if _paused[0]:
        _paused[0] = False
        gc.freeze()
        gc.enable()


def run_collected(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine to completion (`mailprobe.api.run_sync`), with garbage
    collection resumed first (see the module text). Every command runs its work here."""
    from mailprobe.api import run_sync

    resume_collection()
    return run_sync(lambda: coro)
