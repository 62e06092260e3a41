"""A per-user JSON cache of a validated provider folder, so start-up skips TOML parsing.

Parsing a few hundred TOML files with the standard library takes about a tenth of a
second; reading one JSON file takes a few milliseconds. The cache is keyed by the folder's
path and every file's name, size and modification time, so any edit invalidates it. A
missing, stale, unreadable or malformed cache is ignored and the folder is parsed again;
failing to write one is silent. `MAILPROBE_CACHE_DIR` moves the cache,
`MAILPROBE_NO_CACHE=1` turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
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

_FORMAT = 2
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


def fingerprint(folder: Path, files: list[Path]) -> str:
    """A digest of the folder path and each file's name, size and mtime."""
    digest = hashlib.sha256(f"{_FORMAT}\n{folder.resolve()}\n".encode())
    for path in files:
        stat = path.stat()
        digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _cache_file(directory: Path, folder: Path) -> Path:
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    return directory / f"providerdb-{key}.json"


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


def read_cache(folder: Path, stamp: str) -> tuple[Provider, ...] | None:
    """The cached providers of `folder` if the cache has this `fingerprint`, else None."""
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
        return tuple(_provider(p, folder) for p in data["providers"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_cache(folder: Path, stamp: str, providers: tuple[Provider, ...]) -> None:
    """Store validated providers of `folder` under the `fingerprint` taken before parsing.

    Any failure to write is ignored.
    """
    directory = cache_dir()
    if directory is None:
        return
    payload = {
        "format": _FORMAT,
        "fingerprint": stamp,
        "providers": [p.to_dict() for p in providers],
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
