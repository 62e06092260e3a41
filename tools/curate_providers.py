"""Apply mailprobe's hand-curated provider data to provider_db/ (reproducible, idempotent).

Usage (from the repository root, after `tools/import_references.py` if you ran it):

    python tools/curate_providers.py [--out provider_db] [--dry-run]

What it does, in this order:

1. Every existing entry gets `source` (the settings page it was compared with: the
   provider's own page from `SOURCE_URLS` or its first `docs` link, else the public page of
   the reference entry it came from) and `checked` (`CHECKED`). The old `last_checked`
   month is dropped.
2. `EXTRA_DOMAINS` adds domains a provider publishes for its users to existing entries.
3. `SUCCESSORS` turns entries for legacy domains into pointers at the company that now
   serves them (`successor = "id"`, no servers of their own), recording each reference
   server dropped that way as an override.
4. `NEW_PROVIDERS` writes entries for providers the reference databases do not know,
   from the providers' own published settings (round-2 additions live in
   `curated_round2.py`).

Every fact here comes from the provider's own help pages (or, for the two upstream
entries marked so, from the Delta Chat provider database, MPL 2.0); nothing is copied
from another application's database. Hints are written in our own words.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from curated_round2 import (
    ROUND2_EXTRA_DOMAINS,
    ROUND2_EXTRA_SERVERS,
    ROUND2_PROVIDERS,
    ROUND2_SOURCE_URLS,
)
from import_references import default_source, to_toml

CHECKED = datetime.date(2026, 12, 1)
OWN = "mailprobe: provider's published settings"
TLS, STARTTLS = "tls", "starttls"

#: The provider's own settings page, for entries whose file names none in `docs`.
SOURCE_URLS: dict[str, str] = {
    # Pages seen on the providers' own sites.
    "arubapec.it": "https://guide.pec.it/posta-pec/configurare-casella-pec/bozza.aspx",
    "legalmail": "https://help.infocert.digital/Home/Guida/guide-to-configuring-legalmail-with-apple-mail?lang=en",
    "gandi": "https://docs.gandi.net/en/gandimail/standard_email_settings/index.html",
    "proton": "https://proton.me/support/protonmail-bridge-clients",
    "migadu": "https://migadu.com/guides/imap/",
    # The provider's own help site, where the entry names no page of its own (a stable
    # address rather than a remembered deep link).
    "aruba": "https://guide.hosting.aruba.it/",
    "dreamhost": "https://help.dreamhost.com/",
    "hostinger": "https://support.hostinger.com/",
    "infomaniak": "https://www.infomaniak.com/en/support/faq/",
    "kolabnow": "https://kb.kolabnow.com/",
    "mailbox-org": "https://kb.mailbox.org/",
    "mailfence": "https://kb.mailfence.com/",
    "namecheap-privateemail": "https://www.namecheap.com/support/knowledgebase/",
    "purelymail": "https://purelymail.com/docs",
    "runbox": "https://help.runbox.com/",
    "startmail": "https://support.startmail.com/",
    "titan": "https://support.titan.email/",
    "tutanota": "https://tuta.com/support",
    "abv-bg": "https://www.abv.bg/",
    "aliceadsl": "https://assistance.free.fr/",
    "au-kddi": "https://www.au.com/support/",
    "azet-sk": "https://pomoc.azet.sk/",
    "bbox": "https://www.assistance.bouyguestelecom.fr/",
    "centrum-cz": "https://napoveda.centrum.cz/",
    "china-telecom-189": "https://mail.189.cn/",
    "docomo": "https://www.docomo.ne.jp/service/docomo_mail/",
    "eclipso": "https://www.eclipso.de/",
    "freemail-hu": "https://freemail.hu/",
    "frontier": "https://frontier.com/helpcenter",
    "gazeta-pl": "https://poczta.gazeta.pl/",
    "juno": "https://www.juno.com/",
    "kakao": "https://cs.kakao.com/",
    "microsoft365-china": "https://learn.microsoft.com/en-us/microsoft-365/admin/services-in-china/services-in-china",
    "microsoft365-gcc-high": "https://learn.microsoft.com/en-us/office365/servicedescriptions/office-365-platform-service-description/office-365-us-government/gcc-high-and-dod",
    "netease-188": "https://help.mail.163.com/",
    "netease-vip-126": "https://help.mail.163.com/",
    "netease-vip-163": "https://help.mail.163.com/",
    "netzero": "https://www.netzero.net/",
    "optimum-net": "https://www.optimum.net/support/",
    "optonline": "https://www.optimum.net/support/",
    "optus": "https://www.optus.com.au/support",
    "planet-nz": "https://kiwiinternet.co.nz/support/email-server-settings/",
    "shaw": "https://www.shaw.ca/",
    "sina-cn": "https://mail.sina.com.cn/",
    "sina-vip": "https://mail.sina.com.cn/",
    "sohu": "https://mail.sohu.com/",
    "telus": "https://www.telus.com/support",
    "terra": "https://www.terra.com.br/",
    "tsinghua": "https://www.tsinghua.edu.cn/",
    "windstream": "https://www.windstream.com/support",
}

#: Domains a provider publishes for its users, beyond what the references list.
EXTRA_DOMAINS: dict[str, list[str]] = {
    "outlook": [
        "hotmail.co.uk",
        "hotmail.co.jp",
        "hotmail.co.th",
        "hotmail.co.za",
        "hotmail.com.ar",
        "hotmail.com.au",
        "hotmail.com.br",
        "hotmail.com.tr",
        "hotmail.com.tw",
        "hotmail.com.vn",
        "live.co.uk",
        "live.co.za",
        "live.com.au",
        "live.com.ar",
        "live.com.mx",
        "live.com.my",
        "live.com.sg",
        "live.com.pt",
        "live.fr",
        "live.de",
        "live.it",
        "live.nl",
        "live.be",
        "live.ca",
        "live.at",
        "live.cl",
        "live.dk",
        "live.hk",
        "live.ie",
        "live.in",
        "live.jp",
        "live.no",
        "live.ru",
        "live.se",
        "live.cn",
        "livemail.tw",
        "passport.com",
        "outlook.co.nz",
    ],
    "interia": ["interia.com", "intmail.pl", "adresik.net", "vip.interia.pl", "pisz.to", "pacz.to"],
    "seznam": ["stream.cz", "firmy.cz"],
    "tiscali.it": ["tiscalinet.it"],
    "talktalk": ["lineone.net", "tinyworld.co.uk", "onetel.com", "onetel.net"],
    "qq": ["foxmail.com", "vip.qq.com"],
    "bluewin.ch": ["bluemail.ch", "swissonline.ch"],
    "au-kddi": ["ezweb.ne.jp"],
    "yahoo-japan": ["ymail.ne.jp"],
    "disroot": ["getgoogleoff.me"],
    "windstream": ["alltel.net"],
    "frontier": ["citlink.net", "czn.net", "epix.net", "newnorth.net"],
}

#: Host suffixes of the mail exchangers a provider publishes for its domains.
EXTRA_MX: dict[str, list[str]] = {
    "gmail": ["gmail-smtp-in.l.google.com"],
    "posteo": ["posteo.de"],
    "disroot": ["disroot.org"],
    "riseup.net": ["riseup.net"],
    "autistici.org": ["autistici.org"],
    "systemli.org": ["systemli.org"],
    "hey.com": ["app.hey.com"],
    "freenet": ["freenet.de"],
    "wp-pl": ["wp.pl"],
    "onet": ["poczta.onet.pl"],
    "rambler": ["rambler.ru"],
    "sina": ["sinamail.sina.com.cn"],
    "daum": ["hanmail.net"],
    "yahoo-japan": ["mail.yahoo.co.jp"],
    "docomo": ["docomo.ne.jp"],
    "au-kddi": ["ezweb.ne.jp"],
    "nifty.com": ["nifty.com"],
    "hushmail": ["hushmail.com"],
    "comcast": ["comcast.net"],
    "virginmedia": ["ukmail.iss.as9143.net"],
    "ziggo.nl": ["mail.iss.as9143.net"],
    "cock-li": ["cock.li"],
}

#: Endpoints a provider documents beyond what the references list ("protocol host port
#: security"), added after the entry's other servers of that protocol, in the provider's
#: order. Username and auth follow the entry's existing server of the same protocol.
EXTRA_SERVERS: dict[str, list[str]] = {
    "one.com": ["smtp send.one.com 587 starttls"],
    "ovh": ["smtp ssl0.ovh.net 587 starttls"],
    "hostinger": ["smtp smtp.hostinger.com 587 starttls"],
    "godaddy": ["smtp smtpout.secureserver.net 587 starttls"],
    "rackspace": ["smtp secure.emailsrvr.com 587 starttls"],
    "purelymail": ["smtp smtp.purelymail.com 587 starttls"],
    "hetzner.de": ["smtp mail.your-server.de 587 starttls"],
    "disroot": ["smtp disroot.org 465 tls"],
    "riseup.net": ["smtp mail.riseup.net 587 starttls"],
    "free": ["smtp smtp.free.fr 587 starttls"],
    "titan": ["smtp smtp.titan.email 587 starttls"],
}

#: Deliberate differences from a reference recorded on existing entries.
EXTRA_OVERRIDES: dict[str, list[dict[str, str]]] = {
    "yahoo": [
        {
            "source": "ispdb",
            "kind": "domain-moved",
            "subject": "cox.net",
            "reason": "Cox is a company of its own whose mailboxes Yahoo now hosts: the "
            "cox entry names Yahoo as its successor.",
        }
    ],
}

#: Legacy entries whose domains another company now serves: id -> (successor id, hint).
SUCCESSORS: dict[str, tuple[str, str]] = {
    "verizon": (
        "aol",
        "Verizon.net mailboxes were moved to AOL Mail: sign in at AOL and use an AOL app "
        "password in the mail program.",
    ),
    "ntlworld.com": (
        "virginmedia",
        "ntlworld.com addresses are Virgin Media mailboxes and use Virgin Media's servers.",
    ),
    "blueyonder.co.uk": (
        "virginmedia",
        "blueyonder.co.uk addresses are Virgin Media mailboxes and use Virgin Media's servers.",
    ),
    "virgin.net": (
        "virginmedia",
        "virgin.net addresses are Virgin Media mailboxes and use Virgin Media's servers.",
    ),
}


@dataclass
class New:
    """A provider the reference databases lack, from its own published settings."""

    id: str
    name: str
    domains: list[str]
    servers: str  # "imap host 993 tls; smtp host 587 starttls"; "" for none
    source: str
    status: str = "ok"
    hints: list[str] = field(default_factory=list)
    mx: list[str] = field(default_factory=list)
    website: str | None = None
    user: str = "%EMAILADDRESS%"
    successor: str | None = None
    sources: list[str] = field(default_factory=lambda: [OWN])
    overrides: list[dict[str, str]] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)


def _servers(spec: str, user: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        protocol, host, port, security = part.split()
        out.append(
            {
                "protocol": protocol,
                "host": host,
                "port": int(port),
                "security": security,
                "username": user,
                "auth": ["password-cleartext"],
            }
        )
    return out


FORWARDING_HINT = (
    "This is a forwarding (alias) address: there is no mailbox to read with IMAP or POP3. "
    "Set up the mailbox the aliases forward to instead."
)
DISPOSABLE_HINT = (
    "A public throw-away inbox read on the service's web site: there is no IMAP, POP3 or "
    "SMTP access and anyone who knows the name can read the mail."
)
CLOSED = "The service has closed down; addresses at these domains no longer receive mail."

NEW_PROVIDERS: list[New] = [
    # ---------------------------------------------------------------- legacy domains
    New(
        "cox",
        "Cox (mail now at Yahoo)",
        ["cox.net"],
        "",
        "https://help.yahoo.com/kb/new-mail-for-desktop/imap-server-settings-yahoo-mail-sln4075.html",
        status="preparation",
        successor="yahoo",
        hints=[
            "Cox.net mailboxes now live at Yahoo Mail: sign in there and create a Yahoo "
            "app password for the mail program."
        ],
        website="https://www.cox.com/",
    ),
    # ---------------------------------------------------------------- privacy-focused
    New(
        "ctemplar",
        "CTemplar",
        ["ctemplar.com"],
        "",
        "https://ctemplar.com/",
        status="broken",
        hints=[CLOSED + " (CTemplar shut down in 2022.)"],
    ),
    New(
        "skiff",
        "Skiff Mail",
        ["skiff.com"],
        "",
        "https://skiff.com/",
        status="broken",
        hints=[CLOSED + " (Skiff closed in 2024.)"],
    ),
    New(
        "soverin",
        "Soverin",
        ["soverin.net"],
        "imap imap.soverin.net 993 tls; smtp smtp.soverin.net 465 tls; "
        "smtp smtp.soverin.net 587 starttls",
        "https://soverin.net/",
        website="https://soverin.net/",
    ),
    New(
        "cyon",
        "cyon (Switzerland)",
        ["cyon.ch"],
        "imap mail.cyon.ch 993 tls; pop3 mail.cyon.ch 995 tls; smtp mail.cyon.ch 465 tls; "
        "smtp mail.cyon.ch 587 starttls",
        "https://www.cyon.ch/support",
        mx=["mail.cyon.ch"],
        website="https://www.cyon.ch/",
    ),
    New(
        "antagonist",
        "Antagonist (custom domains)",
        ["antagonist.nl"],
        "imap mail.antagonist.nl 993 tls; smtp mail.antagonist.nl 587 starttls",
        "https://www.antagonist.nl/help/nl/email/client/overview",
        status="preparation",
        hints=[
            "Antagonist hosts mail for its customers' own domains: create the mailbox in "
            "the Antagonist control panel first."
        ],
        website="https://www.antagonist.nl/",
        sources=["deltachat (upstream deltachat/provider-db): antagonist.nl.md"],
    ),
    New(
        "acesttoi.fr",
        "acesttoi.fr (chatmail)",
        ["acesttoi.fr"],
        "imap acesttoi.fr 993 tls; smtp acesttoi.fr 465 tls; imap acesttoi.fr 143 starttls; "
        "smtp acesttoi.fr 587 starttls",
        "https://providers.delta.chat/acesttoi.fr/",
        sources=["deltachat (upstream deltachat/provider-db): acesttoi.fr.md"],
    ),
    New(
        "forpsi",
        "Forpsi (Czech Republic)",
        ["forpsi.com"],
        "imap imap.forpsi.com 993 tls; "
        "smtp smtp.forpsi.com 465 tls; smtp smtp.forpsi.com 587 starttls",
        "https://www.forpsi.com/",
        website="https://www.forpsi.com/",
    ),
    New(
        "all-inkl",
        "ALL-INKL.COM (custom domains)",
        ["all-inkl.com"],
        "",
        "https://all-inkl.com/",
        status="preparation",
        hints=[
            "Each ALL-INKL account has its own server (wNNNNNNN.kasserver.com): take the "
            "server name and mailbox login from the KAS administration."
        ],
        mx=["kasserver.com"],
        website="https://all-inkl.com/",
        sources=[OWN, "deltachat (upstream deltachat/provider-db): all-inkl.com.md"],
    ),
    # ---------------------------------------------------------------- forwarding services
    New(
        "improvmx",
        "ImprovMX (forwarding)",
        [],
        "",
        "https://improvmx.com/",
        status="broken",
        hints=[FORWARDING_HINT],
        mx=["improvmx.com"],
        website="https://improvmx.com/",
    ),
    New(
        "cloudflare-email-routing",
        "Cloudflare Email Routing (forwarding)",
        [],
        "",
        "https://developers.cloudflare.com/email-routing/",
        status="broken",
        hints=[FORWARDING_HINT],
        mx=["mx.cloudflare.net"],
    ),
    New(
        "namecheap-forwarding",
        "Namecheap email forwarding",
        [],
        "",
        "https://www.namecheap.com/support/knowledgebase/",
        status="broken",
        hints=[FORWARDING_HINT],
        mx=["registrar-servers.com"],
    ),
    New(
        "porkbun-forwarding",
        "Porkbun email forwarding",
        [],
        "",
        "https://kb.porkbun.com/",
        status="broken",
        hints=[FORWARDING_HINT],
        mx=["fwd1.porkbun.com", "fwd2.porkbun.com"],
    ),
    New(
        "simplelogin",
        "SimpleLogin (Proton) aliases",
        [
            "simplelogin.com",
            "simplelogin.co",
            "simplelogin.fr",
            "aleeas.com",
            "slmail.me",
            "silomails.com",
            "slmails.com",
            "8alias.com",
            "8shield.net",
            "dralias.com",
        ],
        "",
        "https://simplelogin.io/docs/",
        status="broken",
        hints=[FORWARDING_HINT],
        website="https://simplelogin.io/",
    ),
    New(
        "addy-io",
        "addy.io (AnonAddy) aliases",
        ["addy.io", "anonaddy.com", "anonaddy.me"],
        "",
        "https://addy.io/help/",
        status="broken",
        hints=[FORWARDING_HINT],
        website="https://addy.io/",
    ),
    New(
        "firefox-relay",
        "Firefox Relay aliases",
        ["mozmail.com"],
        "",
        "https://relay.firefox.com/",
        status="broken",
        hints=[FORWARDING_HINT],
        website="https://relay.firefox.com/",
    ),
    New(
        "duckduckgo-email",
        "DuckDuckGo Email Protection",
        ["duck.com"],
        "",
        "https://duckduckgo.com/email/",
        status="broken",
        hints=[FORWARDING_HINT],
    ),
    New(
        "apple-hide-my-email",
        "Apple Hide My Email",
        ["privaterelay.appleid.com"],
        "",
        "https://support.apple.com/",
        status="broken",
        hints=[FORWARDING_HINT],
    ),
    New(
        "33mail",
        "33Mail aliases",
        ["33mail.com", "*.33mail.com"],
        "",
        "https://www.33mail.com/",
        status="broken",
        hints=[FORWARDING_HINT],
    ),
    New(
        "spamgourmet",
        "Spamgourmet (disposable forwarding)",
        ["spamgourmet.com", "spamgourmet.net", "spamgourmet.org"],
        "",
        "https://www.spamgourmet.com/",
        status="broken",
        hints=[FORWARDING_HINT],
    ),
    New(
        "trashmail",
        "TrashMail (disposable forwarding)",
        [
            "trashmail.com",
            "trashmail.net",
            "trashmail.de",
            "trashmail.me",
            "wegwerfmail.de",
            "wegwerfmail.net",
            "wegwerfmail.org",
            "kurzepost.de",
            "objectmail.com",
            "proxymail.eu",
            "rcpt.at",
        ],
        "",
        "https://trashmail.com/",
        status="broken",
        hints=[FORWARDING_HINT],
    ),
    # ---------------------------------------------------------------- public disposable inboxes
    New(
        "mailinator",
        "Mailinator (public disposable inboxes)",
        ["mailinator.com"],
        "",
        "https://www.mailinator.com/",
        status="broken",
        hints=[DISPOSABLE_HINT],
    ),
    New(
        "guerrillamail",
        "Guerrilla Mail (disposable inboxes)",
        [
            "guerrillamail.com",
            "guerrillamail.net",
            "guerrillamail.org",
            "guerrillamail.biz",
            "guerrillamail.de",
            "guerrillamail.info",
            "guerrillamailblock.com",
            "sharklasers.com",
            "grr.la",
            "pokemail.net",
            "spam4.me",
        ],
        "",
        "https://www.guerrillamail.com/",
        status="broken",
        hints=[DISPOSABLE_HINT],
    ),
    New(
        "yopmail",
        "YOPmail (disposable inboxes)",
        ["yopmail.com", "yopmail.fr", "yopmail.net"],
        "",
        "https://yopmail.com/",
        status="broken",
        hints=[DISPOSABLE_HINT],
    ),
    New(
        "maildrop",
        "Maildrop (disposable inboxes)",
        ["maildrop.cc"],
        "",
        "https://maildrop.cc/",
        status="broken",
        hints=[DISPOSABLE_HINT],
    ),
    New(
        "dispostable",
        "Dispostable (disposable inboxes)",
        ["dispostable.com"],
        "",
        "https://www.dispostable.com/",
        status="broken",
        hints=[DISPOSABLE_HINT],
    ),
    # ---------------------------------------------------------------- national portals
    New(
        "atlas-cz",
        "Atlas.cz",
        ["atlas.cz"],
        "imap imap.atlas.cz 993 tls; pop3 pop3.atlas.cz 995 tls; smtp smtp.atlas.cz 465 tls",
        "https://www.atlas.cz/",
        website="https://www.atlas.cz/",
    ),
    New(
        "volny-cz",
        "Volny.cz",
        ["volny.cz"],
        "imap imap.volny.cz 993 tls; pop3 pop3.volny.cz 995 tls; smtp smtp.volny.cz 465 tls",
        "https://www.volny.cz/",
        website="https://www.volny.cz/",
    ),
    New(
        "zoznam-sk",
        "Zoznam.sk",
        ["zoznam.sk"],
        "imap imap.zoznam.sk 993 tls; pop3 pop3.zoznam.sk 995 tls; smtp smtp.zoznam.sk 465 tls",
        "https://www.zoznam.sk/",
        website="https://www.zoznam.sk/",
    ),
    New(
        "mail-bg",
        "Mail.bg",
        ["mail.bg"],
        "imap imap.mail.bg 993 tls; pop3 pop3.mail.bg 995 tls; smtp smtp.mail.bg 465 tls",
        "https://mail.bg/",
        website="https://mail.bg/",
    ),
    New(
        "netcologne",
        "NetCologne",
        ["netcologne.de"],
        "imap imap.netcologne.de 993 tls; pop3 pop3.netcologne.de 995 tls; "
        "smtp smtp.netcologne.de 465 tls",
        "https://www.netcologne.de/",
        website="https://www.netcologne.de/",
    ),
    New(
        "iinet",
        "iiNet",
        ["iinet.net.au"],
        "imap mail.iinet.net.au 993 tls; pop3 mail.iinet.net.au 995 tls; "
        "smtp mail.iinet.net.au 465 tls; smtp mail.iinet.net.au 587 starttls",
        "https://www.iinet.net.au/",
        website="https://www.iinet.net.au/",
    ),
    New(
        "internode",
        "Internode",
        ["internode.on.net"],
        "imap mail.internode.on.net 993 tls; pop3 mail.internode.on.net 995 tls; "
        "smtp mail.internode.on.net 465 tls",
        "https://www.internode.on.net/support/",
        website="https://www.internode.on.net/",
    ),
    New(
        "tpg",
        "TPG",
        ["tpg.com.au"],
        "imap mail.tpg.com.au 993 tls; pop3 mail.tpg.com.au 995 tls; "
        "smtp mail.tpg.com.au 465 tls; smtp mail.tpg.com.au 587 starttls",
        "https://www.tpg.com.au/",
        website="https://www.tpg.com.au/",
    ),
]


NEW_PROVIDERS += [New(**entry) for entry in ROUND2_PROVIDERS]
for _pid, _extra in ROUND2_EXTRA_DOMAINS.items():
    EXTRA_DOMAINS[_pid] = [*EXTRA_DOMAINS.get(_pid, []), *_extra]
for _pid, _specs in ROUND2_EXTRA_SERVERS.items():
    EXTRA_SERVERS[_pid] = [*EXTRA_SERVERS.get(_pid, []), *_specs]
SOURCE_URLS.update(ROUND2_SOURCE_URLS)

#: Where the facts added to an existing entry came from, beyond its own `sources`.
EXTRA_SOURCES: dict[str, list[str]] = {}

#: Round-2 data modules, one per group of providers (see each module's docstring). Each may
#: define PROVIDERS, EXTRA_DOMAINS, EXTRA_SERVERS, EXTRA_MX, EXTRA_SOURCES, SOURCE_URLS and
#: SUCCESSORS in the shapes used above.
GROUP_MODULES = ("curated_upstream", "curated_freemail", "curated_legacy", "curated_regional")


def _merge_group(module: Any) -> None:
    NEW_PROVIDERS.extend(New(**entry) for entry in getattr(module, "PROVIDERS", []))
    for table, extra in (
        (EXTRA_DOMAINS, getattr(module, "EXTRA_DOMAINS", {})),
        (EXTRA_SERVERS, getattr(module, "EXTRA_SERVERS", {})),
        (EXTRA_MX, getattr(module, "EXTRA_MX", {})),
        (EXTRA_SOURCES, getattr(module, "EXTRA_SOURCES", {})),
    ):
        for pid, values in extra.items():
            table[pid] = [*table.get(pid, []), *values]
    SOURCE_URLS.update(getattr(module, "SOURCE_URLS", {}))
    SUCCESSORS.update(getattr(module, "SUCCESSORS", {}))


for _name in GROUP_MODULES:
    _merge_group(importlib.import_module(_name))


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Give an existing entry `source` and `checked`; drop the old `last_checked` month."""
    data.pop("last_checked", None)
    pid = data["id"]
    source = SOURCE_URLS.get(pid) or default_source(
        list(data.get("docs", [])), list(data.get("sources", [])), data.get("website")
    )
    data["source"] = source
    data["checked"] = CHECKED
    return data


def add_servers(servers: list[dict[str, Any]], specs: list[str]) -> list[dict[str, Any]]:
    """`servers` with each spec inserted after the last server of its protocol (once)."""
    out = list(servers)
    for spec in specs:
        protocol, host, port, security = spec.split()
        if any(
            (s["protocol"], s["host"], s["port"], s["security"])
            == (protocol, host, int(port), security)
            for s in out
        ):
            continue
        same = [i for i, s in enumerate(out) if s["protocol"] == protocol]
        model = out[same[-1]] if same else {}
        entry = {
            "protocol": protocol,
            "host": host,
            "port": int(port),
            "security": security,
            "username": model.get("username", "%EMAILADDRESS%"),
            "auth": list(model.get("auth", ["password-cleartext"])),
        }
        out.insert(same[-1] + 1 if same else len(out), entry)
    return out


def apply_successor(data: dict[str, Any], successor: str, hint: str) -> dict[str, Any]:
    """Point a legacy entry at its successor; its own reference servers become overrides."""
    overrides = list(data.get("overrides", []))
    known = {(o["kind"], o["subject"]) for o in overrides}
    reference = "ispdb" if any(s.startswith("ispdb") for s in data.get("sources", [])) else None
    for server in data.get("servers", []):
        subject = f"{server['protocol']} {server['host']}:{server['port']} {server['security']}"
        if reference and ("server-replaced", subject) not in known:
            overrides.append(
                {
                    "source": reference,
                    "kind": "server-replaced",
                    "subject": subject,
                    "reason": f"The domain is now served by {successor}; its servers apply.",
                }
            )
    data["servers"] = []
    data["overrides"] = overrides
    data["successor"] = successor
    if hint not in data.get("hints", []):
        data["hints"] = [*data.get("hints", []), hint]
    return data


def new_entry(entry: New) -> dict[str, Any]:
    """The TOML table of one new provider."""
    return {
        "id": entry.id,
        "name": entry.name,
        "status": entry.status,
        "domains": entry.domains,
        "mx_patterns": entry.mx,
        "hints": entry.hints,
        "docs": entry.docs,
        "website": entry.website,
        "source": entry.source,
        "checked": CHECKED,
        "sources": entry.sources,
        "successor": entry.successor,
        "servers": _servers(entry.servers, entry.user),
        "overrides": entry.overrides,
    }


def main(argv: list[str] | None = None) -> int:
    """Rewrite the provider folder; returns the process exit code."""
    repo = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=repo / "provider_db")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    tables: dict[str, dict[str, Any]] = {}
    for path in sorted(args.out.glob("*.toml")):
        if not path.name.startswith("_"):
            tables[path.stem] = migrate(tomllib.loads(path.read_text(encoding="utf-8")))
    for entry in NEW_PROVIDERS:
        tables[entry.id] = new_entry(entry)
    # Domains claimed by a new entry leave the entry that listed them before.
    claimed = {d: e.id for e in NEW_PROVIDERS for d in e.domains}
    for pid, data in tables.items():
        data["domains"] = [d for d in data["domains"] if claimed.get(d, pid) == pid]
    for pid, extra in EXTRA_DOMAINS.items():
        data = tables[pid]
        data["domains"] = list(dict.fromkeys([*data["domains"], *extra]))
    for pid, specs in EXTRA_SERVERS.items():
        tables[pid]["servers"] = add_servers(tables[pid].get("servers", []), specs)
    for pid, patterns in EXTRA_MX.items():
        data = tables[pid]
        data["mx_patterns"] = list(dict.fromkeys([*data.get("mx_patterns", []), *patterns]))
    for pid, extra_sources in EXTRA_SOURCES.items():
        data = tables[pid]
        data["sources"] = list(dict.fromkeys([*data.get("sources", []), *extra_sources]))
    for pid, extra_overrides in EXTRA_OVERRIDES.items():
        data = tables[pid]
        known = {(o["kind"], o["subject"]) for o in data.get("overrides", [])}
        data["overrides"] = [
            *data.get("overrides", []),
            *(o for o in extra_overrides if (o["kind"], o["subject"]) not in known),
        ]
        data["hints"] = [h for h in data.get("hints", []) if not h.startswith("Cox.net")]
    for pid, (successor, hint) in SUCCESSORS.items():
        tables[pid] = apply_successor(tables[pid], successor, hint)
    for pid, data in tables.items():
        text = to_toml(data)
        if not args.dry_run:
            (args.out / f"{pid}.toml").write_text(text, encoding="utf-8")
    print(f"{len(tables)} provider files ({len(NEW_PROVIDERS)} curated here)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
