"""Provider database speed: index build (cold and from the cache) and 10,000 lookups.

    python benchmarks/bench_providerdb.py

Prints milliseconds measured in this run; the lookup target is under 50 ms in total for
10,000 random domains once the index is built. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import os
import random
import tempfile
import time

from mailprobe.providers import ProviderDb

LOOKUPS = 10_000
TARGET_MS = 50.0


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def main() -> None:
    """Run the measurements and print one line each."""
    with tempfile.TemporaryDirectory() as cache:
        os.environ["MAILPROBE_CACHE_DIR"] = cache

        start = time.perf_counter()
        cold = ProviderDb.load(cache=False)
        cold.ensure_loaded()
        cold_ms = _ms(start)

        ProviderDb.load().ensure_loaded()  # writes the cache
        start = time.perf_counter()
        warm = ProviderDb.load()
        warm.ensure_loaded()
        warm_ms = _ms(start)

    rng = random.Random(4)
    known = [d for p in cold.providers() for d in p.domains if not d.startswith("*.")]
    names: list[str] = []
    for _ in range(LOOKUPS):
        roll = rng.random()
        if roll < 0.5:
            names.append(rng.choice(known))
        elif roll < 0.8:
            names.append(f"user{rng.randrange(10**6)}.example-{rng.randrange(999)}.test")
        else:
            names.append(f"a.b.{rng.choice(known)}")  # walks the wildcard index
    mx_hosts = [f"mx{rng.randrange(9)}.{rng.choice(known)}" for _ in range(LOOKUPS)]

    start = time.perf_counter()
    hits = sum(1 for name in names if cold.by_domain(name) is not None)
    domain_ms = _ms(start)
    start = time.perf_counter()
    mx_hits = sum(1 for host in mx_hosts if cold.by_mx(host) is not None)
    mx_ms = _ms(start)

    stats = cold.stats()
    print(
        f"database: {stats['providers']} providers, {stats['domains']} domains, "
        f"{stats['mx_patterns']} MX patterns"
    )
    print(f"index build, parsing every TOML file: {cold_ms:8.1f} ms")
    print(f"index build, from the per-user cache: {warm_ms:8.1f} ms")
    verdict = "meets" if domain_ms < TARGET_MS else "MISSES"
    print(
        f"{LOOKUPS:,} by_domain lookups ({hits:,} hits): {domain_ms:8.1f} ms total "
        f"({verdict} the {TARGET_MS:.0f} ms target)"
    )
    print(f"{LOOKUPS:,} by_mx lookups ({mx_hits:,} hits):     {mx_ms:8.1f} ms total")


if __name__ == "__main__":
    main()
