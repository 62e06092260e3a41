"""Round-2 provider data, regional group: national portals, certified mail, privacy services.

Applied by `curate_providers.py` (see `GROUP_MODULES` there). Every fact here was read on
the provider's own help or settings pages (the `source` URL of each entry, or the URL noted
next to each extra domain, server or MX pattern); nothing is copied from another
application's database, and every hint is written in our own words. Domains and host names
that could not be tied to a provider page were left out on purpose.
"""

from __future__ import annotations

from typing import Any

#: New entries, as keyword arguments of `curate_providers.New`.
PROVIDERS: list[dict[str, Any]] = [
    # ---------------------------------------------------------------- Italy
    {
        # http://eolo.it/home/assistenza/serve-aiuto/guide-tec/posta-elettronica/come-configurare-outlook.html
        "id": "eolo",
        "name": "EOLO (Italy)",
        "domains": ["ngi.it"],
        "servers": "imap mail-in.eolo.it 993 tls; smtp mail-out.eolo.it 465 tls",
        "source": "http://eolo.it/home/assistenza/serve-aiuto/guide-tec/posta-elettronica/"
        "come-configurare-outlook.html",
        "website": "http://eolo.it/",
    },
    {
        # https://www.kleis.it/assistenza/configurazione-giga-mail/accesso-ai-servizi-smtp-pop-e-imap/
        "id": "kleis-gigamail",
        "name": "Kleis Giga Mail (Italy)",
        "domains": ["cbsolt.net"],
        "servers": "pop3 pop.cbsolt.net 995 tls; imap imap.cbsolt.net 993 tls; "
        "smtp smtp.cbsolt.net 587 starttls; smtp smtp.cbsolt.net 465 tls",
        "source": "https://www.kleis.it/assistenza/configurazione-giga-mail/"
        "accesso-ai-servizi-smtp-pop-e-imap/",
        "website": "https://www.kleis.it/",
    },
    # ---------------------------------------------------------------- Czech Republic
    {
        # https://www.ktkadan.cz/stranka/email_nastaveni_serveru
        "id": "ktkadan",
        "name": "Kabelová televize Kadaň (Czech Republic)",
        "domains": ["ktkadan.cz"],
        "servers": "imap mail.ktkadan.cz 143 starttls; imap mail.ktkadan.cz 993 tls; "
        "pop3 mail.ktkadan.cz 995 tls; smtp mail.ktkadan.cz 587 starttls; "
        "smtp mail.ktkadan.cz 465 tls",
        "source": "https://www.ktkadan.cz/stranka/email_nastaveni_serveru",
        "website": "https://www.ktkadan.cz/",
    },
    # ---------------------------------------------------------------- Nordics
    {
        # https://posti.anvia.net/login.php
        "id": "anvia-elisa",
        "name": "Anvia addresses (mail now at Elisa, Finland)",
        "domains": [
            "anvianet.fi",
            "netikka.fi",
            "ssvnet.fi",
            "hakunetikka.fi",
            "kuusnetikka.fi",
            "pp.kpnet.fi",
        ],
        "servers": "",
        "source": "https://posti.anvia.net/login.php",
        "status": "preparation",
        "hints": [
            "Anvia's mailboxes moved to Elisa in April 2017 with unchanged addresses: the web "
            "mail is at webmail.elisa.fi (full address and password); take the mail program "
            "settings from Elisa's help pages."
        ],
        "website": "https://elisa.fi/",
    },
]

#: Domains a provider publishes for its users, added to existing entries.
EXTRA_DOMAINS: dict[str, list[str]] = {
    # https://guide.pec.it/posta-pec/faq-errori-comuni/faq/primo-acquisto-e-caselle-cancellate.aspx
    "arubapec.it": ["pec.cloud", "casellapec.com", "pecditta.com", "pecaruba.it"],
}

#: Endpoints a provider documents beyond what the entry lists, in the provider's order.
EXTRA_SERVERS: dict[str, list[str]] = {}

#: Mail exchangers a provider publishes for the domains it serves.
EXTRA_MX: dict[str, list[str]] = {
    # https://guide.hosting.aruba.it/servizi/pec-su-dominio/modalita-acquisto-attivazione-servizio-pec-su-dominio.aspx
    "arubapec.it": ["mx.pec.aruba.it"],
    # https://www.legalmail.it/documentazione/
    "legalmail": ["mx.cert.legalmail.it"],
}

#: The provider's own settings page for existing entries.
SOURCE_URLS: dict[str, str] = {
    "aruba": "https://guide.hosting.aruba.it/email/configurazione-email-pc-dispositivi-mobili/"
    "configurazione-casella-dominio-pc-mac-pop.aspx",
}

#: Existing legacy entries that now point at their successor: id -> (successor, hint).
SUCCESSORS: dict[str, tuple[str, str]] = {}
