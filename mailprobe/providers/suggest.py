"""`similar_domains`: "did you mean gmail.com?" for a mistyped provider domain.

A typo is one edit: a letter left out, added, changed, or two neighbours swapped
(`gmial.com`, `outlok.com`). Two domains are one edit apart exactly when deleting at most
one letter from each gives the same string, so an index from every single-letter deletion
of every known domain finds the candidates with a dozen dictionary look-ups. The index is
built once per database; a scan of many unknown domains would otherwise compare each one
with every known domain.
"""

from __future__ import annotations

import difflib
import weakref
from collections.abc import Iterator

from mailprobe.providers.db import ProviderDb, default_db

#: How alike two domains must be (difflib ratio) to be offered as a correction:
#: `gmial.com`/`gmail.com` is 0.89, `outlok.com`/`outlook.com` 0.95, `gmx.de`/`gmx.at` 0.67.
CUTOFF = 0.85


def _deletions(name: str) -> Iterator[str]:
    """`name` itself and `name` with each one letter left out."""
    yield name
    for i in range(len(name)):
        yield name[:i] + name[i + 1 :]


class _TypoIndex:
    """Known concrete domains, and which of them each single deletion comes from."""

    def __init__(self, db: ProviderDb) -> None:
        self.known = frozenset(d for p in db.providers() for d in p.exact_domains)
        self.by_deletion: dict[str, set[str]] = {}
        for domain in self.known:
            for variant in _deletions(domain):
                self.by_deletion.setdefault(variant, set()).add(domain)

    def one_edit_away(self, name: str) -> set[str]:
        found: set[str] = set()
        for variant in _deletions(name):
            found.update(self.by_deletion.get(variant, ()))
        return found


_indexes: weakref.WeakKeyDictionary[ProviderDb, _TypoIndex] = weakref.WeakKeyDictionary()


def _index(db: ProviderDb) -> _TypoIndex:
    index = _indexes.get(db)
    if index is None:
        index = _indexes[db] = _TypoIndex(db)
    return index


def similar_domains(
    domain: str, db: ProviderDb | None = None, *, limit: int = 3
) -> tuple[str, ...]:
    """Domains of known providers that look like a typo of `domain`, closest first.

    Empty when `domain` itself is known or nothing is close enough. Wildcard domains are
    not suggested (a person types a concrete domain).
    """
    index = _index(db or default_db())
    name = domain.lower().rstrip(".")
    if name in index.known:
        return ()
    candidates = sorted(index.one_edit_away(name))
    return tuple(difflib.get_close_matches(name, candidates, n=limit, cutoff=CUTOFF))
