"""The bundled provider database: settings and hints for the providers people really use.

    db = default_db()                      # the bundled folder; read on first lookup
    provider = db.by_domain("gmail.com")   # exact domain, then *.wildcards
    provider = db.by_mx("aspmx.l.google.com")
    settings = provider.settings_for(address)

See `provider_db/README.md` for the file format.
"""

from __future__ import annotations

from mailprobe.providers.db import (
    ProviderDb,
    bundled_path,
    check_folder,
    cross_check,
    default_db,
    load_folder,
    provider_files,
)
from mailprobe.providers.export import export_autoconfig
from mailprobe.providers.model import (
    PLACEHOLDERS,
    AuthMethod,
    OAuth2Endpoints,
    Override,
    OverrideKind,
    Provider,
    ReferenceSource,
    ServerEntry,
    fill_placeholders,
)
from mailprobe.providers.validate import is_host_name, load_provider_file, provider_from_table

__all__ = [
    "PLACEHOLDERS",
    "AuthMethod",
    "OAuth2Endpoints",
    "Override",
    "OverrideKind",
    "Provider",
    "ProviderDb",
    "ReferenceSource",
    "ServerEntry",
    "bundled_path",
    "check_folder",
    "cross_check",
    "default_db",
    "export_autoconfig",
    "fill_placeholders",
    "is_host_name",
    "load_folder",
    "load_provider_file",
    "provider_files",
    "provider_from_table",
]
