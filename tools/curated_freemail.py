"""Freemail group of the round-2 provider data (issue #14), applied by curate_providers.py.

Scope: the domain lists that large freemail and webmail services publish for their users,
and such services the database still lacks. Every fact here was seen on the provider's own
page (the `source` URL) or in an upstream reference file named in `sources`; hints are in
our own words. Evidence for each entry, and the lists that were checked and found already
complete, is kept by the maintainers outside the repository.

Most big services were already complete in the database when this group was curated: the
upstream ISPDB and Delta Chat files for Microsoft (hotmail.com, outlook.com), Yahoo, AOL,
iCloud, Proton, Tuta, Mail.ru, Yandex, Rambler, GMX, WEB.DE, mail.com and Fastmail list no
domain the database does not already hold, and the providers' own pages we could read
(Proton's address types, Tuta's alias help, Runbox's domain note) name no further domain
either. Domains we could only find in third-party lists were left out.
"""

from __future__ import annotations

from typing import Any

#: New entries, as keyword arguments of `curate_providers.New`.
PROVIDERS: list[dict[str, Any]] = [
    {
        "id": "tom-com",
        "name": "TOM Mail (China)",
        "domains": ["tom.com"],
        # TOM's help centre names its hosts but no ports or TLS modes, so no server is
        # listed here (the hint carries the host names instead).
        "servers": "",
        "source": "https://mail.tom.com/webmail-static/help/tomcom/index.html",
        "status": "preparation",
        "hints": [
            "TOM's help centre gives pop.tom.com for incoming (POP3) and smtp.tom.com for "
            "outgoing mail but names no ports or encryption; mailprobe lists no servers "
            "for it, so check the connection settings with TOM before relying on them."
        ],
        "website": "https://mail.tom.com/",
    },
]

#: Domains to add to existing providers (none found beyond what the database lists).
EXTRA_DOMAINS: dict[str, list[str]] = {}
