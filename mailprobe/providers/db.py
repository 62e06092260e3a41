"""The provider database: a folder of TOML files, validated and indexed on first use.

Nothing is read at import time or in the constructor. The first lookup parses every file,
checks the folder as a whole (no domain or MX pattern claimed twice) and builds the
indexes; later lookups are dictionary hits. A folder that validated before and has not
changed is read from a compact per-user index instead (see `cache.py`), and a lookup
then decodes only the provider it returns. `default_db()` is the bundled database,
shared by the whole process.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from mailprobe.errors import ProviderDbError
from mailprobe.providers.model import Provider
from mailprobe.providers.validate import load_provider_file, successor_problems

if TYPE_CHECKING:
    from mailprobe.providers.cache import CachedIndex

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_MAX_REPORTED = 25


def bundled_path() -> Path:
    """The bundled `provider_db` folder: inside the wheel, else beside the package.

    A wheel carries it as `mailprobe/_provider_db`; a checkout or an editable install
    finds `provider_db/` next to the `mailprobe` package.
    """
    for candidate in (_PACKAGE_DIR / "_provider_db", _PACKAGE_DIR.parent / "provider_db"):
        if candidate.is_dir():
            return candidate
    raise ProviderDbError(
        f"the bundled provider database is missing (looked in {_PACKAGE_DIR / '_provider_db'} "
        f"and {_PACKAGE_DIR.parent / 'provider_db'})"
    )


def provider_files(folder: Path) -> list[Path]:
    """The provider files of a folder, sorted; names starting with `_` are not providers."""
    return sorted(p for p in folder.glob("*.toml") if not p.name.startswith("_"))


def cross_check(providers: Iterable[Provider]) -> list[str]:
    """Problems between files: an id, domain or MX pattern claimed by two providers."""
    problems: list[str] = []
    ids: dict[str, Provider] = {}
    domains: dict[str, Provider] = {}
    patterns: dict[str, Provider] = {}
    for provider in providers:
        name = provider.path.name if provider.path else provider.id
        if provider.id in ids:
            problems.append(f"{name}: id: {provider.id!r} is already used by another entry")
        ids.setdefault(provider.id, provider)
        for field, values, claimed in (
            ("domains", provider.domains, domains),
            ("mx_patterns", provider.mx_patterns, patterns),
        ):
            for i, value in enumerate(values):
                other = claimed.get(value)
                if other is not None and other is not provider:
                    other_name = other.path.name if other.path else other.id
                    problems.append(
                        f"{name}: {field}[{i}]: {value!r} is already claimed by {other_name}"
                    )
                claimed.setdefault(value, provider)
    problems.extend(successor_problems(ids))
    return problems


def check_folder(folder: Path) -> tuple[tuple[Provider, ...], list[str]]:
    """Validate every file of `folder`; returns the good providers and every problem."""
    if not folder.is_dir():
        return (), [f"{folder}: no such folder"]
    providers: list[Provider] = []
    problems: list[str] = []
    files = provider_files(folder)
    if not files:
        problems.append(f"{folder}: contains no provider files (*.toml)")
    for path in files:
        try:
            providers.append(load_provider_file(path))
        except ProviderDbError as exc:
            problems.append(str(exc))
    problems.extend(cross_check(providers))
    return tuple(providers), problems


def load_folder(folder: Path) -> tuple[Provider, ...]:
    """Every provider of `folder`, or ProviderDbError listing the problems found."""
    providers, problems = check_folder(folder)
    if problems:
        shown = problems[:_MAX_REPORTED]
        more = len(problems) - len(shown)
        suffix = f"\n... and {more} more" if more else ""
        raise ProviderDbError("\n".join(shown) + suffix)
    return providers


@dataclass(frozen=True)
class _Index:
    """Names -> provider ids, and a way to get the provider of an id.

    Built from parsed files (`build`, checked as a whole) or taken from the compact cache
    (`from_cache`, checked when it was written), where a provider is decoded on first use.
    """

    ids: tuple[str, ...]
    exact: dict[str, str]
    wildcard: dict[str, str]
    mx: dict[str, str]
    provider: Callable[[str], Provider]

    @classmethod
    def build(cls, providers: Iterable[Provider]) -> _Index:
        ordered = tuple(sorted(providers, key=lambda p: p.id))
        problems = cross_check(ordered)
        if problems:
            raise ProviderDbError("\n".join(problems[:_MAX_REPORTED]))
        exact: dict[str, str] = {}
        wildcard: dict[str, str] = {}
        mx: dict[str, str] = {}
        for provider in ordered:
            for domain in provider.domains:
                if domain.startswith("*."):
                    wildcard[domain[2:]] = provider.id
                else:
                    exact[domain] = provider.id
            for pattern in provider.mx_patterns:
                mx[pattern] = provider.id
        by_id = {p.id: p for p in ordered}
        return cls(tuple(by_id), exact, wildcard, mx, by_id.__getitem__)

    @classmethod
    def from_cache(cls, cached: CachedIndex) -> _Index:
        return cls(cached.ids, cached.exact, cached.wildcard, cached.mx, cached.provider)

    def find(self, table: dict[str, str], name: str) -> Provider | None:
        provider_id = table.get(name)
        return None if provider_id is None else self.provider(provider_id)

    @property
    def ordered(self) -> tuple[Provider, ...]:
        return tuple(self.provider(i) for i in self.ids)


def _normalise(name: str) -> str:
    text = name.strip().rstrip(".").lower()
    if text.isascii():
        return text
    import idna  # only for the rare Unicode input; callers normally pass A-labels

    try:
        return idna.encode(text, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):
        return text


class ProviderDb:
    """Provider lookups by domain, MX host, id or text; the index is built on first use.

    Construct with `ProviderDb.load(folder)` (None: the bundled database) or
    `ProviderDb.from_providers(...)`. A folder that fails validation raises
    `ProviderDbError` from the first lookup, naming each file and field at fault.
    """

    def __init__(
        self,
        folder: Path | None = None,
        providers: Iterable[Provider] | None = None,
        *,
        cache: bool = True,
    ) -> None:
        self._folder = folder
        self._given = tuple(providers) if providers is not None else None
        self._cache = cache
        self._index: _Index | None = None

    @classmethod
    def load(cls, path: Path | None = None, *, cache: bool = True) -> ProviderDb:
        """A database over `path` (None: the bundled folder); files are read on first use.

        With `cache`, a folder that validated before and has not changed since is read
        from a per-user JSON cache instead of being parsed again (see `cache.py`).
        """
        return cls(folder=path, cache=cache)

    @classmethod
    def from_providers(cls, providers: Iterable[Provider]) -> ProviderDb:
        """A database over providers already in memory (tests, tools)."""
        return cls(providers=providers)

    @property
    def folder(self) -> Path | None:
        """The folder this database reads, or None when built from memory."""
        if self._given is not None:
            return None
        return self._folder if self._folder is not None else bundled_path()

    @property
    def loaded(self) -> bool:
        """True once the files have been read and indexed."""
        return self._index is not None

    def _get_index(self) -> _Index:
        if self._index is None:
            if self._given is not None:
                self._index = _Index.build(self._given)
            else:
                folder = self.folder
                assert folder is not None
                self._index = self._read_folder(folder)
        return self._index

    def _read_folder(self, folder: Path) -> _Index:
        stamp = None
        if self._cache:
            from mailprobe.providers.cache import fingerprint, read_cache

            try:
                stamp = fingerprint(folder)
            except OSError:
                stamp = None
            cached = read_cache(folder, stamp) if stamp is not None else None
            if cached is not None:
                return _Index.from_cache(cached)
        index = _Index.build(load_folder(folder))
        if stamp is not None:
            from mailprobe.providers.cache import write_cache

            write_cache(folder, stamp, index.ordered, (index.exact, index.wildcard, index.mx))
        return index

    def ensure_loaded(self) -> None:
        """Read, validate and index now (raises ProviderDbError if anything is wrong)."""
        self._get_index()

    def by_domain(self, domain: str) -> Provider | None:
        """The provider of `domain`: an exact entry first, then the closest `*.` wildcard."""
        index = self._get_index()
        name = _normalise(domain)
        found = index.find(index.exact, name)
        if found is not None or not index.wildcard:
            return found
        rest = name
        while "." in rest:
            rest = rest.split(".", 1)[1]
            found = index.find(index.wildcard, rest)
            if found is not None:
                return found
        return None

    def by_mx(self, mx_host: str) -> Provider | None:
        """The provider whose MX pattern is the longest suffix of `mx_host` (label-aligned)."""
        index = self._get_index()
        rest = _normalise(mx_host)
        while True:
            found = index.find(index.mx, rest)
            if found is not None:
                return found
            if "." not in rest:
                return None
            rest = rest.split(".", 1)[1]

    def effective(self, provider: Provider) -> Provider:
        """`provider` with its successor's servers when it names one and lists none."""
        if provider.servers or provider.successor is None:
            return provider
        heir = self.get(provider.successor)
        if heir is None:
            return provider
        return replace(provider, servers=heir.servers, oauth2=provider.oauth2 or heir.oauth2)

    def get(self, provider_id: str) -> Provider | None:
        """The provider with this id, or None."""
        index = self._get_index()
        wanted = provider_id.strip().lower()
        return index.provider(wanted) if wanted in index.ids else None

    def providers(self) -> tuple[Provider, ...]:
        """Every provider, sorted by id."""
        return self._get_index().ordered

    def search(self, text: str) -> tuple[Provider, ...]:
        """Providers whose id, name or a domain contains `text` (case-insensitive).

        Exact hits (the id, or a domain equal to `text`) come first, then the rest by id.
        An empty `text` returns every provider.
        """
        needle = text.strip().lower()
        ordered = self._get_index().ordered
        if not needle:
            return ordered
        exact: list[Provider] = []
        partial: list[Provider] = []
        for provider in ordered:
            if provider.id == needle or needle in provider.domains:
                exact.append(provider)
            elif (
                needle in provider.id
                or needle in provider.name.lower()
                or any(needle in d for d in provider.domains)
            ):
                partial.append(provider)
        return tuple(exact + partial)

    def stats(self) -> dict[str, int]:
        """Counts for reports: providers, domains, MX patterns."""
        index = self._get_index()
        return {
            "providers": len(index.ids),
            "domains": len(index.exact) + len(index.wildcard),
            "mx_patterns": len(index.mx),
        }


@functools.cache
def default_db() -> ProviderDb:
    """The bundled database, one instance per process (loaded on its first lookup)."""
    return ProviderDb.load()
