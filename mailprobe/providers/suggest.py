"""`similar_domains`: "did you mean gmail.com?" for a mistyped provider domain."""

from __future__ import annotations

import difflib

from mailprobe.providers.db import ProviderDb, default_db

#: How alike two domains must be (difflib ratio) to be offered as a correction:
#: `gmial.com`/`gmail.com` is 0.89, `outlok.com`/`outlook.com` 0.95, `gmx.de`/`gmx.at` 0.67.
CUTOFF = 0.85


def similar_domains(
    domain: str, db: ProviderDb | None = None, *, limit: int = 3
) -> tuple[str, ...]:
    """Domains of known providers that look like a typo of `domain`, closest first.

    Empty when `domain` itself is known or nothing is close enough. Wildcard domains are
    not suggested (a person types a concrete domain).
    """
    providers = (db or default_db()).providers()
    known = {d for p in providers for d in p.exact_domains}
    name = domain.lower().rstrip(".")
    if name in known:
        return ()
    return tuple(difflib.get_close_matches(name, sorted(known), n=limit, cutoff=CUTOFF))
