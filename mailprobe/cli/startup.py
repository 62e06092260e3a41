"""The console script's start-up: the cyclic garbage collector waits while code loads.

Loading the command line, the models and the network stack creates a few hundred
thousand objects, none of them garbage; the collector would walk them again and again
(about a fifth of a short command's CPU time). `pause_collection` stops it for the
loading, and `resume_collection`, called where a command's real work starts, freezes
what was loaded (so later collections skip it) and lets the collector run again, so a
long scan collects as usual. Library users are not affected: only the console script
pauses the collector.
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
    """`asyncio.run(coro)` with garbage collection resumed first (see the module text)."""
    import asyncio

    resume_collection()
    return asyncio.run(coro)
