"""Client configurations built from a report: Thunderbird autoconfig, Apple profile, JSON.

    client_settings(report, verified_only=True)   the servers to hand over (ClientSettings)
    to_thunderbird(settings)                       config-v1.1 XML for autoconfig.DOMAIN
    to_mobileconfig(settings)                      unsigned .mobileconfig, no password
    to_json(settings)                              the recommended settings only

Nothing here does I/O; `mailprobe export` (mailprobe/cli/export.py) runs the check and
writes the file.
"""

from __future__ import annotations

from mailprobe.export.formats import to_json, to_mobileconfig, to_thunderbird
from mailprobe.export.settings import ClientSettings, ExportServer, client_settings

__all__ = [
    "ClientSettings",
    "ExportServer",
    "client_settings",
    "to_json",
    "to_mobileconfig",
    "to_thunderbird",
]
