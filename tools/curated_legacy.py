"""Round-2 provider data, group "legacy": ISP and telecom mail and the legacy domains that a
successor company now serves. Applied by `curate_providers.py` (see `GROUP_MODULES`).

Every fact here was seen on the provider's own pages (the `source` URL of each entry, and
the evidence notes kept with the round-2 work); hints are in our own words. Domains and
endpoints that could only be found on third-party "email settings" sites were left out.
"""

from __future__ import annotations

from typing import Any

#: New entries, as keyword arguments of `curate_providers.New`.
PROVIDERS: list[dict[str, Any]] = []

#: Domains a provider publishes for its users, added to existing entries.
EXTRA_DOMAINS: dict[str, list[str]] = {
    # Rogers' own help asks for "your @rogers.com or @nl.rogers.com email address".
    "rogers": ["nl.rogers.com"],
    # Frontier's (FrontierNet) help: CTAZ (ctaz.com) addresses sign in through the
    # citlink.net mail system that Frontier runs.
    "frontier": ["ctaz.com"],
}

#: Endpoints a provider documents beyond what the entry lists.
EXTRA_SERVERS: dict[str, list[str]] = {}

#: MX host suffixes for existing entries.
EXTRA_MX: dict[str, list[str]] = {}

#: The provider's own settings page for existing entries.
SOURCE_URLS: dict[str, str] = {
    "rogers": "https://www.rogers.com/support/internet/updating-your-rogers-yahoo-email-settings",
}

#: Existing legacy entries that now point at the company serving their domains.
SUCCESSORS: dict[str, tuple[str, str]] = {
    "rogers": (
        "yahoo",
        "Rogers addresses are Rogers Yahoo! Mail mailboxes on Yahoo's servers: add them with "
        "a mail program that offers the Yahoo sign-in; Rogers no longer issues app "
        "passwords for other programs.",
    ),
}
