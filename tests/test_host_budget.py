"""The per-mail-server-address budget: connections at once and new connections per second."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from mailprobe.net.budget import HostBudget


async def test_at_most_n_connections_at_once_per_address_and_others_never_wait() -> None:
    budget = HostBudget(per_host=2)
    busy: dict[str, int] = {"a": 0, "b": 0}
    most: dict[str, int] = {"a": 0, "b": 0}

    async def connection(ip: str) -> None:
        release = await budget.acquire(ip)
        busy[ip] += 1
        most[ip] = max(most[ip], busy[ip])
        await asyncio.sleep(0.01)
        busy[ip] -= 1
        release()

    await asyncio.gather(*(connection("a") for _ in range(10)), connection("b"))
    assert most == {"a": 2, "b": 1}
    assert budget.busy("a") == 0


async def test_new_connections_per_second_are_spaced() -> None:
    budget = HostBudget(per_host=5, rate=20.0)
    starts: list[float] = []

    async def connection() -> None:
        release = await budget.acquire("a")
        starts.append(time.monotonic())
        release()

    await asyncio.gather(*(connection() for _ in range(4)))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(gap >= 0.045 for gap in gaps), gaps


async def test_a_released_slot_is_released_once_and_cancelled_waiters_give_back_nothing() -> None:
    budget = HostBudget(per_host=1)
    release = await budget.acquire("a")
    waiter = asyncio.ensure_future(budget.acquire("a"))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    release()
    release()  # a second call changes nothing
    again = await asyncio.wait_for(budget.acquire("a"), 1.0)
    assert budget.busy("a") == 1
    again()
    assert budget.busy("a") == 0


def test_invalid_budgets_are_refused() -> None:
    with pytest.raises(ValueError, match="per_host"):
        HostBudget(per_host=0)
    with pytest.raises(ValueError, match="rate"):
        HostBudget(rate=0)
