"""Round-2 provider data, group "legacy": ISP and telecom mail and the legacy domains that a
successor company now serves. Applied by `curate_providers.py` (see `GROUP_MODULES`).

Every fact here was seen on the provider's own pages (the `source` URL of each entry, and
the evidence notes kept with the round-2 work); hints are in our own words. Domains and
endpoints that could only be found on third-party "email settings" sites were left out.
"""

from __future__ import annotations

from typing import Any

#: CenturyLink's own settings page, which lists the legacy domains it serves.
CENTURYLINK_SETTINGS = (
    "https://www.centurylink.com/home/help/internet/email/"
    "how-to-set-up-your-email-server-settings-to-go-through-pop-and-smtp.html"
)

#: New entries, as keyword arguments of `curate_providers.New`.
PROVIDERS: list[dict[str, Any]] = [
    {
        "id": "qwestoffice",
        "name": "Qwest Office (CenturyLink, qwestoffice.net)",
        "domains": ["qwestoffice.net"],
        "servers": "pop3 pop.qwestoffice.net 110 plain; smtp smtp.qwestoffice.net 465 tls",
        "source": CENTURYLINK_SETTINGS,
        "status": "preparation",
        "hints": [
            "CenturyLink documents only unencrypted POP3 (port 110) for qwestoffice.net "
            "mailboxes, so the password travels in clear text when mail is fetched; sending "
            "uses SSL on port 465."
        ],
        "website": "https://www.centurylink.com/",
    },
    {
        "id": "telenor-no",
        "name": "Telenor Online e-post (Norway)",
        "domains": ["online.no", "frisurf.no"],
        "servers": "",
        "source": "https://www.telenor.no/privat/vilkar/vilkar_telenor_online_epost.page",
        "status": "preparation",
        "hints": [
            "Telenor's Online e-post (online.no, and the older Frisurf addresses at "
            "frisurf.no): the webmail at telenor.no/online signs in with Telenor ID; a mail "
            "program sends with the Online user name and password. Take the server names from "
            "Telenor's e-post help."
        ],
        "docs": ["https://www.telenor.no/kundeservice/e-post/oppsett/webmail"],
        "website": "https://www.online.no/",
    },
]

#: Domains a provider publishes for its users, added to existing entries.
EXTRA_DOMAINS: dict[str, list[str]] = {
    # Rogers' own help asks for "your @rogers.com or @nl.rogers.com email address".
    "rogers": ["nl.rogers.com"],
    # Frontier's (FrontierNet) help: CTAZ (ctaz.com) addresses sign in through the
    # citlink.net mail system that Frontier runs.
    "frontier": ["ctaz.com"],
    # CenturyLink: qwest.net uses the same settings as centurylink.net.
    "centurylink.net": ["qwest.net"],
}

#: Endpoints a provider documents beyond what the entry lists.
EXTRA_SERVERS: dict[str, list[str]] = {}

#: MX host suffixes for existing entries.
EXTRA_MX: dict[str, list[str]] = {}

#: The provider's own settings page for existing entries.
SOURCE_URLS: dict[str, str] = {
    "centurylink.net": CENTURYLINK_SETTINGS,
    "centurytel.net": CENTURYLINK_SETTINGS,
    "elpasotel.net": CENTURYLINK_SETTINGS,
    "q.com": CENTURYLINK_SETTINGS,
    "rogers": "https://www.rogers.com/support/internet/updating-your-rogers-yahoo-email-settings",
}

#: Existing legacy entries that now point at the company serving their domains.
SUCCESSORS: dict[str, tuple[str, str]] = {
    "centurytel.net": (
        "centurylink.net",
        "CenturyLink lists these former CenturyTel, Madison River and Gulf Telephone "
        "domains as using the same mail servers as centurylink.net.",
    ),
    "elpasotel.net": (
        "centurylink.net",
        "CenturyLink lists elpasotel.net as using the same mail servers as centurylink.net.",
    ),
    "q.com": (
        "centurylink.net",
        "CenturyLink lists q.com (and qwest.net) as using the same mail servers as "
        "centurylink.net.",
    ),
    "rogers": (
        "yahoo",
        "Rogers addresses are Rogers Yahoo! Mail mailboxes on Yahoo's servers: add them with "
        "a mail program that offers the Yahoo sign-in; Rogers no longer issues app "
        "passwords for other programs.",
    ),
}
