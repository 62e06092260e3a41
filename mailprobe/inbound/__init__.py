"""Inbound mail security of a domain (`mailprobe domain`): MX, DNSSEC, STARTTLS on port 25,
DANE, MTA-STS, TLS-RPT, SPF and DMARC.

`await run_domain("example.org", DomainOptions(...))` returns a `DomainReport`;
`domain_check(...)` is its synchronous twin. `report.to_json()` is the JSON report.
"""

from __future__ import annotations

import asyncio
import concurrent.futures

from mailprobe.inbound.engine import run_domain
from mailprobe.inbound.model import DaneStatus, DomainOptions, DomainReport, Verdict


def domain_check(domain: str, options: DomainOptions | None = None) -> DomainReport:
    """Synchronous `run_domain`; works inside a running event loop's thread too."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run_domain(domain, options))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run_domain(domain, options)).result()


__all__ = ["DaneStatus", "DomainOptions", "DomainReport", "Verdict", "domain_check", "run_domain"]
