"""Provider data curated in round 2 of the provider database, applied by curate_providers.py.

Kept apart from `curate_providers.py` so that each fact sits next to the page it was
compared with. Every entry here was written by the mailprobe developers from the
provider's own published settings or help pages (the `source` URL); nothing is copied
from another application's database, and every hint is in our own words.

Only facts we could tie to the provider's own documentation are listed. Domains and host
names we could not confirm were left out on purpose (see the round-2 note in
provider_db/README.md).
"""

from __future__ import annotations

from typing import Any

FORWARDING_HINT = (
    "This is a forwarding (alias) address: there is no mailbox to read with IMAP or POP3. "
    "Set up the mailbox the aliases forward to instead."
)
CLOSED = "The service has closed down; addresses at these domains no longer receive mail."

#: New entries, as keyword arguments of `curate_providers.New`.
ROUND2_PROVIDERS: list[dict[str, Any]] = [
    # ---------------------------------------------------------------- certified mail (PEC)
    {
        "id": "namirial-pec",
        "name": "Namirial PEC (certified mail, Italy)",
        "domains": ["sicurezzapostale.it"],
        "servers": "pop3 pops.sicurezzapostale.it 995 tls; smtp smtps.sicurezzapostale.it 465 tls",
        "source": "https://www.namirial.com/",
        "mx": ["sicurezzapostale.it"],
        "website": "https://www.namirial.com/",
        "hints": [
            "A certified-mail (PEC) box: messages must be sent through Namirial's own SMTP "
            "server, whatever domain the PEC address uses."
        ],
    },
    # ---------------------------------------------------------------- regional portals
    {
        "id": "nate",
        "name": "Nate Mail (Korea)",
        "domains": ["nate.com"],
        "servers": "imap imap.nate.com 993 tls; smtp smtp.mail.nate.com 465 tls",
        "source": "https://helpdesk.nate.com/",
        "status": "preparation",
        "hints": [
            "Switch on IMAP/SMTP access in the Nate Mail settings (환경설정) before adding the "
            "account to a mail program."
        ],
        "website": "https://mail.nate.com/",
    },
    # ---------------------------------------------------------------- privacy-focused
    {
        "id": "jpberlin",
        "name": "JPBerlin",
        "domains": ["jpberlin.de"],
        "servers": "imap mail.jpberlin.de 993 tls; pop3 mail.jpberlin.de 995 tls; "
        "smtp mail.jpberlin.de 465 tls; smtp mail.jpberlin.de 587 starttls",
        "source": "https://www.jpberlin.de/hilfe/",
        "website": "https://www.jpberlin.de/",
    },
    {
        "id": "criptext",
        "name": "Criptext",
        "domains": ["criptext.com"],
        "servers": "",
        "source": "https://criptext.com/",
        "status": "broken",
        "hints": [CLOSED + " (Criptext shut its mail service down in 2022.)"],
    },
    {
        "id": "proton-pass-aliases",
        "name": "Proton Pass aliases",
        "domains": ["passmail.net", "passinbox.com"],
        "servers": "",
        "source": "https://proton.me/pass",
        "status": "broken",
        "hints": [FORWARDING_HINT],
        "website": "https://proton.me/pass",
    },
    # ---------------------------------------------------------------- legacy ISP domains
    {
        "id": "eastlink",
        "name": "Eastlink (Canada)",
        "domains": [
            "eastlink.ca",
            "dccnet.com",
            "personainternet.com",
            "cabletv.on.ca",
            "amtelecom.net",
            "xcelco.on.ca",
        ],
        "servers": "",
        "source": "https://www.eastlink.ca/support/internet-wifi/eastlink-webmail",
        "status": "preparation",
        "hints": [
            "Eastlink also serves the addresses of the cable companies it took over (Delta "
            "and Coast Cable, Persona, Bluewater, Amtelecom): sign in with the full address "
            "and take the mail program settings from Eastlink's email help."
        ],
        "website": "https://www.eastlink.ca/",
    },
    # ---------------------------------------------------------------- hosting (custom domains)
    {
        "id": "mm-com",
        "name": "MMcom (Germany)",
        "domains": ["mm-com.de"],
        "servers": "imap mail.mm-com.de 143 starttls; imap mail.mm-com.de 993 tls; "
        "pop3 mail.mm-com.de 110 starttls; pop3 mail.mm-com.de 995 tls; "
        "smtp mail.mm-com.de 587 starttls; smtp mail.mm-com.de 465 tls",
        "source": "https://mm-com.de/?p=2248",
        "website": "https://mm-com.de/",
    },
    {
        "id": "kinamo",
        "name": "Kinamo (Belgium, custom domains)",
        "domains": ["kinamo.be"],
        "servers": "imap in.kinamo.be 993 tls; pop3 in.kinamo.be 995 tls; "
        "smtp out.kinamo.be 587 starttls",
        "source": "https://www.kinamo.be/en/knowledge-base/"
        "which-incoming-and-outgoing-server-do-i-need-to-specify-for-my-kinamo-e-mail-address",
        "website": "https://www.kinamo.be/",
    },
    {
        "id": "hover",
        "name": "Hover email (custom domains)",
        "domains": [],
        "servers": "imap mail.hover.com 993 tls; pop3 mail.hover.com 995 tls; "
        "smtp mail.hover.com 465 tls",
        "source": "https://help.hover.com/hc/en-us/articles/217282007-Troubleshoot-receiving-emails",
        "mx": ["mx.hover.com.cust.hostedemail.com"],
        "website": "https://www.hover.com/",
    },
    {
        "id": "siteground",
        "name": "SiteGround (custom domains)",
        "domains": [],
        "servers": "",
        "source": "https://www.siteground.com/kb/",
        "status": "preparation",
        "hints": [
            "SiteGround mailboxes use the server name of the hosting account: take the IMAP "
            "and SMTP host from Site Tools > Email > Accounts > Mail Configuration."
        ],
        "mx": ["mailspamprotection.com"],
        "website": "https://www.siteground.com/",
    },
    {
        "id": "uberspace",
        "name": "Uberspace (custom domains)",
        "domains": [],
        "servers": "",
        "source": "https://manual.uberspace.de/",
        "status": "preparation",
        "hints": [
            "Each Uberspace account lives on its own host (NAME.uberspace.de): use that host "
            "name for IMAP and SMTP, with the mailbox login from the Uberspace manual."
        ],
        "mx": ["uberspace.de"],
        "website": "https://uberspace.de/",
    },
]

#: Endpoints a provider documents beyond what the entry lists ("protocol host port
#: security"), as in `curate_providers.EXTRA_SERVERS`.
ROUND2_EXTRA_SERVERS: dict[str, list[str]] = {
    "windstream": ["pop3 pop.windstream.net 995 tls"],
}

#: The provider's own settings page for existing entries, replacing a help-site root.
ROUND2_SOURCE_URLS: dict[str, str] = {
    "windstream": "https://www.windstream.com/support/my-account/email-101/"
    "what-server-settings-do-i-use-for-windstream-email",
}

#: Domains a provider publishes for its users, added in round 2.
ROUND2_EXTRA_DOMAINS: dict[str, list[str]] = {
    "i.ua": ["ua.fm", "email.ua"],
    "mailo.com": ["netcourrier.com"],
}
