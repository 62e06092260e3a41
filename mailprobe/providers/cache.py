"""A per-user compact index of a validated provider folder, so a lookup skips TOML parsing.

Parsing a few hundred TOML files with the standard library takes about a tenth of a
second. The cache is one JSON file: the domain, wildcard and MX maps (each name -> the
provider id) and every provider as its own small JSON text, decoded only when a lookup
returns it. So a lookup costs one file read, one dictionary hit and one provider built,
not the whole database.

The cache is keyed by the folder's path and every file's name, size and modification
time, so any edit invalidates it. A missing, stale, unreadable or malformed cache is
ignored and the folder is parsed again; failing to write one is silent.
`MAILPROBE_CACHE_DIR` moves the cache, `MAILPROBE_NO_CACHE=1` turns it off.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zlib
from datetime import date
from pathlib import Path
from typing import Any

from mailprobe.models import Protocol, ProviderStatus, Security
from mailprobe.providers.model import (
    AuthMethod,
    OAuth2Endpoints,
    Override,
    OverrideKind,
    Provider,
    ReferenceSource,
    ServerEntry,
)

_FORMAT = 3
# Plain dict lookups: calling the enum classes costs more than the JSON parse itself.
_PROTOCOLS = {m.value: m for m in Protocol}
_SECURITY = {m.value: m for m in Security}
_AUTH = {m.value: m for m in AuthMethod}
_STATUS = {m.value: m for m in ProviderStatus}
_MAX_CACHE = 32 * 1024 * 1024


def cache_dir() -> Path | None:
    """Where caches live, or None when caching is switched off."""
    if os.environ.get("MAILPROBE_NO_CACHE", "") not in ("", "0"):
        return None
    explicit = os.environ.get("MAILPROBE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "mailprobe"


def fingerprint(folder: Path) -> str:
    """The folder path and each provider file's name, size and mtime, as one text.

    Provider files are the `*.toml` files whose names do not start with `_` (as in
    `db.provider_files`); one directory scan, no per-file path objects.
    """
    lines = [f"{_FORMAT}", str(folder.resolve())]
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if name.endswith(".toml") and not name.startswith("_") and entry.is_file():
                stat = entry.stat()
                lines.append(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}")
    lines[2:] = sorted(lines[2:])
    return "\n".join(lines)


def _cache_file(directory: Path, folder: Path) -> Path:
    key = zlib.crc32(str(folder.resolve()).encode("utf-8", "surrogateescape"))
    return directory / f"providerdb-{key:08x}.json"


class CachedIndex:
    """The lookup maps of a cached folder; providers are decoded one at a time, on demand."""

    def __init__(self, folder: Path, data: dict[str, Any]) -> None:
        self.folder = folder
        self.exact: dict[str, str] = data["exact"]
        self.wildcard: dict[str, str] = data["wildcard"]
        self.mx: dict[str, str] = data["mx"]
        self._payloads: dict[str, str] = data["providers"]
        self._decoded: dict[str, Provider] = {}
        if not all(
            isinstance(m, dict) for m in (self.exact, self.wildcard, self.mx, self._payloads)
        ):
            raise TypeError("malformed provider cache")

    @property
    def ids(self) -> tuple[str, ...]:
        """Every provider id, sorted."""
        return tuple(sorted(self._payloads))

    def provider(self, provider_id: str) -> Provider:
        """The provider with this id (KeyError if there is none)."""
        found = self._decoded.get(provider_id)
        if found is None:
            found = _provider(json.loads(self._payloads[provider_id]), self.folder)
            self._decoded[provider_id] = found
        return found


def _provider(data: dict[str, Any], folder: Path) -> Provider:
    oauth = data["oauth2"]
    return Provider(
        id=data["id"],
        name=data["name"],
        status=_STATUS[data["status"]],
        domains=tuple(data["domains"]),
        servers=tuple(
            ServerEntry(
                protocol=_PROTOCOLS[s["protocol"]],
                host=s["host"],
                port=int(s["port"]),
                security=_SECURITY[s["security"]],
                username=s["username"],
                auth=tuple(_AUTH[a] for a in s["auth"]),
            )
            for s in data["servers"]
        ),
        mx_patterns=tuple(data["mx_patterns"]),
        hints=tuple(data["hints"]),
        docs=tuple(data["docs"]),
        website=data["website"],
        oauth2=(
            OAuth2Endpoints(
                oauth["issuer"], tuple(oauth["scopes"]), oauth["auth_url"], oauth["token_url"]
            )
            if oauth
            else None
        ),
        source=data["source"],
        checked=date.fromisoformat(data["checked"]) if data["checked"] else None,
        sources=tuple(data["sources"]),
        successor=data["successor"],
        overrides=tuple(
            Override(
                ReferenceSource(o["source"]), OverrideKind(o["kind"]), o["subject"], o["reason"]
            )
            for o in data["overrides"]
        ),
        path=folder / f"{data['id']}.toml",
    )


def read_cache(folder: Path, stamp: str) -> CachedIndex | None:
    """The cached index of `folder` if the cache has this `fingerprint`, else None."""
    directory = cache_dir()
    if directory is None:
        return None
    path = _cache_file(directory, folder)
    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_CACHE + 1)
        if len(raw) > _MAX_CACHE:
            return None
        data = json.loads(raw)
        if data.get("format") != _FORMAT or data.get("fingerprint") != stamp:
            return None
        index = CachedIndex(folder, data)
        # Decode one entry now, so a cache in an unexpected shape is rejected here.
        ids = index.ids
        if ids:
            index.provider(ids[0])
        return index
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_cache(
    folder: Path,
    stamp: str,
    providers: tuple[Provider, ...],
    maps: tuple[dict[str, str], dict[str, str], dict[str, str]],
) -> None:
    """Store validated providers of `folder` under the `fingerprint` taken before parsing.

    `maps` are the exact-domain, wildcard and MX maps (name -> provider id) of the index.
    Any failure to write is ignored.
    """
    directory = cache_dir()
    if directory is None:
        return
    exact, wildcard, mx = maps
    payload = {
        "format": _FORMAT,
        "fingerprint": stamp,
        "exact": exact,
        "wildcard": wildcard,
        "mx": mx,
        "providers": {
            p.id: json.dumps(p.to_dict(), ensure_ascii=False, separators=(",", ":"))
            for p in providers
        },
    }
    tmp_name: str | None = None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=directory, prefix=".providerdb-", delete=False
        ) as handle:
            tmp_name = handle.name
            json.dump(payload, handle, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp_name, _cache_file(directory, folder))
        tmp_name = None
    except OSError:
        pass
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
