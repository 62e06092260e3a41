"""Round-2 provider data from the UPSTREAM reference databases, applied by curate_providers.py.

The local reference snapshot in `../shared/reference/` lags behind the two public provider
databases it was taken from. This module carries facts from upstream files the snapshot
lacks (or lists fewer domains/servers for):

- the Thunderbird ISPDB, GitHub `thunderbird/autoconfig` `ispdb/*` (MPL 2.0);
- the Delta Chat provider database, GitHub `deltachat/provider-db` `_providers/*.md`
  (MPL 2.0).

Only facts are taken over (domains, host names, ports, TLS modes, username forms, links);
every hint is written in our own words. Servers are listed in the upstream file's order.
Plaintext endpoints are kept where the upstream file lists them (the entry records
`security = "plain"` and mailprobe warns about it); an unauthenticated port-25 relay is
left out because the entry format would wrongly give it a password login.
"""

from __future__ import annotations

from typing import Any


def _ispdb(name: str) -> list[str]:
    return [f"ispdb (upstream thunderbird/autoconfig): ispdb/{name}"]


def _deltachat(name: str) -> list[str]:
    return [f"deltachat (upstream deltachat/provider-db): _providers/{name}"]


def _autoconfig(domain: str) -> str:
    return f"https://autoconfig.thunderbird.net/v1.1/{domain}"


def _delta(name: str) -> str:
    return f"https://providers.delta.chat/{name}/"


PLAIN_HINT = (
    "Some of the listed servers only work without encryption: prefer the TLS ports and "
    "never send the password over a plaintext connection."
)

#: New entries, as keyword arguments of `curate_providers.New`.
PROVIDERS: list[dict[str, Any]] = [
    # ---------------------------------------------------------------- Thunderbird ISPDB
    {
        "id": "smokeofanarchy.ru",
        "name": "Smoke of Anarchy Mail",
        "domains": ["smokeofanarchy.ru"],
        "servers": "imap imaps.smokeofanarchy.ru 993 tls; pop3 pop3s.smokeofanarchy.ru 995 tls; "
        "smtp submission.smokeofanarchy.ru 587 starttls; "
        "smtp submissions.smokeofanarchy.ru 465 tls; smtp smtps.smokeofanarchy.ru 465 tls; "
        "imap imap.smokeofanarchy.ru 143 plain; pop3 pop3.smokeofanarchy.ru 110 plain",
        "source": _autoconfig("smokeofanarchy.ru"),
        "hints": [PLAIN_HINT],
        "sources": _ispdb("smokeofanarchy.ru.xml"),
    },
    {
        "id": "tugraz",
        "name": "TU Graz (staff mail)",
        "domains": ["tugraz.at"],
        "servers": "imap sbox.tugraz.at 993 tls; smtp mailrelay.tugraz.at 587 starttls",
        "source": "https://email.tugraz.at/zugangsdaten/#faq694",
        "docs": ["https://email.tugraz.at/zugangsdaten/#faq694"],
        "user": None,
        "hints": ["Sign in with your TU Graz user name rather than the e-mail address."],
        "sources": _ispdb("tugraz.at.xml"),
    },
    {
        "id": "infn-torino",
        "name": "INFN Sezione di Torino",
        "domains": ["to.infn.it"],
        "servers": "imap mail-to.infn.it 993 tls; smtp mail-to.infn.it 587 starttls",
        "source": "https://wiki.to.infn.it/doku.php?id=calcolo:news:impostazioni_imap_smtp",
        "docs": ["https://wiki.to.infn.it/doku.php?id=calcolo:news:impostazioni_imap_smtp"],
        "sources": _ispdb("to.infn.it.xml"),
    },
    {
        "id": "whosts.pl",
        "name": "whosts.pl (Poland)",
        "domains": ["whosts.pl"],
        "servers": "imap imap.whosts.pl 993 tls; pop3 pop3.whosts.pl 995 tls; "
        "smtp smtp.whosts.pl 587 starttls; smtp smtp.whosts.pl 465 tls",
        "source": _autoconfig("whosts.pl"),
        "sources": _ispdb("whosts.pl.xml"),
    },
    {
        "id": "cchang.de",
        "name": "cchang.de",
        "domains": ["cchang.de"],
        "servers": "imap mail.34555.net 993 tls; smtp mail.34555.net 465 tls",
        "source": _autoconfig("cchang.de"),
        "sources": _ispdb("cchang.de.xml"),
    },
    # ---------------------------------------------------------------- Delta Chat
    {
        "id": "sdf.org",
        "name": "SDF Public Access UNIX System",
        "domains": ["sdf.org"],
        "servers": "imap mx.sdf.org 993 tls",
        "source": _delta("sdf.org"),
        "status": "preparation",
        "user": "%EMAILLOCALPART%",
        "hints": [
            "Before a mail program can send, create an SMTP AUTH secret in the SDF shell "
            "(see SDF's SMTP authentication tutorial); the IMAP login is the SDF user name."
        ],
        "docs": ["https://sdf.org/?tutorials/smtpauth"],
        "website": "https://sdf.org",
        "sources": _deltachat("sdf.org.md"),
    },
    {
        "id": "strato-nl",
        "name": "Strato (strato.com)",
        "domains": ["strato.com"],
        "servers": "imap imap.strato.com 993 tls; smtp smtp.strato.com 587 tls",
        "source": _delta("strati.com"),
        "website": "https://strato.nl/",
        "sources": _deltachat("strati.com.md"),
    },
    {
        "id": "bitmessage.ch",
        "name": "Bitmessage Mail Gateway",
        "domains": ["bitmessage.ch"],
        "servers": "imap mail.bitmessage.ch 993 tls; smtp mail.bitmessage.ch 465 tls",
        "source": _delta("bitmessage.ch"),
        "hints": [
            "The gateway stopped accepting new accounts in April 2019; existing accounts "
            "were reported working, with the servers entered by hand."
        ],
        "website": "https://bitmessage.ch",
        "sources": _deltachat("bitmessage.ch.md"),
    },
]

#: Domains the upstream files list for providers we already have.
EXTRA_DOMAINS: dict[str, list[str]] = {
    # ispdb/charter.com.xml lists charter.com next to charter.net.
    "charter.net": ["charter.com"],
    # ispdb/ionos.* (legacy files without .xml): brand and mail-exchanger domains.
    "ionos-de": ["ionos.de"],
    "ionos-us": ["ionos.com", "1and1.com", "perfora.net"],
    "ionos-uk": ["ionos.co.uk", "1and1.co.uk", "oneandone.co.uk"],
    "ionos-es": ["ionos.es", "1and1.es", "clienteservidor.es"],
    "ionos-fr": ["ionos.fr", "1and1.fr", "unetun.com"],
    "ionos-it": ["ionos.it", "1and1.it", "servercliente.it"],
    # deltachat _providers/blindzeln.de.md spells the first domain correctly; the
    # snapshot's "delta.blinzeln.de" lacks a "d".
    "blindzeln.org": ["delta.blindzeln.de"],
}

#: Endpoints the upstream files list beyond our entries.
EXTRA_SERVERS: dict[str, list[str]] = {
    "charter.net": ["imap imap.charter.net 143 plain"],
    "ionos-de": ["imap imap.ionos.de 143 starttls", "pop3 pop.ionos.de 110 starttls"],
    "ionos-us": ["imap imap.ionos.com 143 starttls", "pop3 pop.ionos.com 110 starttls"],
    "ionos-uk": ["imap imap.ionos.co.uk 143 starttls", "pop3 pop.ionos.co.uk 110 starttls"],
    "ionos-es": ["imap imap.ionos.es 143 starttls", "pop3 pop.ionos.es 110 starttls"],
    "ionos-fr": ["imap imap.ionos.fr 143 starttls", "pop3 pop.ionos.fr 110 starttls"],
    "ionos-it": ["imap imap.ionos.it 143 starttls", "pop3 pop.ionos.it 110 starttls"],
}
