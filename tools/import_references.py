"""Convert the two reference provider databases into mailprobe's provider_db/ TOML files.

Usage (from the repository root):

    python tools/import_references.py [--reference DIR] [--out provider_db] [--dry-run]

Reads `DIR/ispdb/*.xml` (Thunderbird config-v1.1) and `DIR/deltachat-provider-db/*.md`
(YAML front matter), merges entries that share a domain, applies mailprobe's security
policy (a plaintext server is dropped when the same provider offers TLS or STARTTLS for
that protocol), and writes one TOML file per provider.

Only facts are taken over: domains, host names, ports, TLS modes, username forms, auth
methods, OAuth2 endpoints and documentation URLs. Prose from the references is never
copied; a provider that needs a preparation step gets a generic hint until someone writes
a better one by hand.

Re-running is safe: when a provider file exists, everything curated by hand (name, status,
hints, docs, website, oauth2, mx_patterns, source, checked, extra domains and servers,
overrides) is kept, and only the reference facts are refreshed. Entries listed in
`provider_db/_reference_exclusions.toml` are skipped.

The parsing functions (`read_ispdb`, `read_deltachat`, `read_front_matter`) are also used
by the test that compares the shipped database with the references.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET

_SECURITY = {"ssl": "tls", "tls": "tls", "starttls": "starttls", "plain": "plain"}
_AUTH = {
    "oauth2": "oauth2",
    "password-cleartext": "password-cleartext",
    "plain": "password-cleartext",
    "password-encrypted": "password-encrypted",
    "secure": "password-encrypted",
    "none": "none",
    "ntlm": "ntlm",
    "gssapi": "gssapi",
    "client-ip-address": "client-ip-address",
    "tls-client-cert": "tls-client-cert",
}
_DC_USERNAME = {"EMAIL": "%EMAILADDRESS%", "EMAILLOCALPART": "%EMAILLOCALPART%"}

#: Nicer ids for well-known providers (reference file stem -> mailprobe id).
ID_RENAMES = {
    "ispdb:googlemail.com": "gmail",
    "ispdb:hotmail.com": "outlook",
    "ispdb:office365.com": "microsoft365",
    "ispdb:yahoo.com": "yahoo",
    "ispdb:aol.com": "aol",
    "ispdb:me.com": "icloud",
    "ispdb:gmx.net": "gmx",
    "ispdb:gmx.com": "gmx-com",
    "ispdb:web.de": "web-de",
    "ispdb:mail.com": "mail-com",
    "ispdb:1und1.de": "1und1",
    "ispdb:t-online.de": "t-online",
    "ispdb:yandex.ru": "yandex",
    "ispdb:mail.ru": "mail-ru",
    "ispdb:qq.com": "qq",
    "ispdb:163.com": "163",
    "ispdb:126.com": "126",
    "ispdb:yeah.net": "yeah-net",
    "ispdb:naver.com": "naver",
    "ispdb:daum.net": "daum",
    "ispdb:zoho.com": "zoho",
    "ispdb:zoho.eu": "zoho-eu",
    "ispdb:zoho.in": "zoho-in",
    "ispdb:zoho.jp": "zoho-jp",
    "ispdb:zoho.com.au": "zoho-au",
    "ispdb:zohocloud.ca": "zoho-ca",
    "ispdb:messagingengine.com": "fastmail",
    "ispdb:posteo.de": "posteo",
    "ispdb:emailsrvr.com": "rackspace",
    "ispdb:wildwestdomains.com": "godaddy",
    "ispdb:gandi.net": "gandi",
    "ispdb:ovh.net": "ovh",
    "ispdb:strato.de": "strato",
    "ispdb:free.fr": "free",
    "ispdb:orange.fr": "orange",
    "ispdb:sfr.fr": "sfr",
    "ispdb:laposte.net": "laposte",
    "ispdb:libero.it": "libero",
    "ispdb:virgilio.it": "virgilio",
    "ispdb:seznam.cz": "seznam",
    "ispdb:wp.pl": "wp-pl",
    "ispdb:onet.pl": "onet",
    "ispdb:uol.com.br": "uol",
    "ispdb:bol.com.br": "bol",
    "ispdb:rediffmail.com": "rediffmail",
    "ispdb:bigpond.com": "telstra",
    "ispdb:comcast.net": "comcast",
    "ispdb:att.net": "att",
    "ispdb:verizon.net": "verizon",
    "ispdb:btinternet.com": "bt",
    "ispdb:sky.com": "sky",
    "ispdb:virginmedia.com": "virginmedia",
    "ispdb:bell.net": "bell",
    "ispdb:yahoo.co.jp": "yahoo-japan",
    "ispdb:rambler.ru": "rambler",
    "deltachat:icloud": "icloud",
    "deltachat:protonmail": "proton",
    "deltachat:tutanota": "tutanota",
    "deltachat:mailbox.org": "mailbox-org",
    "deltachat:migadu": "migadu",
    "deltachat:purelymail.com": "purelymail",
    "deltachat:infomaniak.com": "infomaniak",
    "deltachat:freenet.de": "freenet",
    "deltachat:rogers.com": "rogers",
    "deltachat:aliyun": "aliyun",
}

#: Entries that describe the same provider without sharing a domain: entry -> provider id.
JOIN = {"deltachat:fastmail": "fastmail"}

#: Reference domains that name mail exchangers rather than mailboxes; they also become
#: MX patterns of the provider that owns them.
MX_DOMAINS = frozenset(
    {
        "mail.protection.outlook.com",
        "olc.protection.outlook.com",
        "mail.am0.yahoodns.net",
        "am0.yahoodns.net",
        "yahoodns.net",
        "mail.gm0.yahoodns.net",
        "kundenserver.de",
        "ispgateway.de",
        "rzone.de",
        "secureserver.net",
        "ovh.net",
        "schlund.de",
        "messagingengine.com",
        "gandi.net",
        "biglobe.ne.jp",
    }
)

#: Plaintext-only entries for which the provider publishes a TLS endpoint we know of:
#: (reference server as "proto host:port security") -> replacement (host, port, security).
KNOWN_TLS_REPLACEMENTS: dict[str, tuple[str, int, str]] = {
    "pop3 pop.nifty.com:110 plain": ("pop.nifty.com", 995, "tls"),
    "smtp smtp.nifty.com:587 plain": ("smtp.nifty.com", 465, "tls"),
}


@dataclass(frozen=True)
class RefServer:
    """One server as a reference states it, in mailprobe's vocabulary."""

    protocol: str
    host: str
    port: int
    security: str
    username: str | None
    auth: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, int, str]:
        """The endpoint identity: protocol, host, port, security."""
        return (self.protocol, self.host.lower(), self.port, self.security)

    @property
    def label(self) -> str:
        """`proto host:port security`, the subject format of overrides."""
        return f"{self.protocol} {self.host}:{self.port} {self.security}"


@dataclass
class RefEntry:
    """One provider entry of a reference database (facts only, no prose)."""

    source: str  # "ispdb" or "deltachat"
    file: str
    name: str
    domains: list[str]
    servers: list[RefServer]
    status: str = "ok"
    docs: list[str] = field(default_factory=list)
    website: str | None = None
    oauth2: dict[str, Any] | None = None
    needs_enabling: bool = False
    has_hint: bool = False
    strict_tls_off: bool = False

    @property
    def key(self) -> str:
        """`source:stem`, used by ID_RENAMES."""
        stem = self.file.rsplit(".", 1)[0]
        return f"{self.source}:{stem}"


# --------------------------------------------------------------------------- ispdb


def _text(elem: Any, tag: str) -> str | None:
    found = elem.find(tag)
    if found is None or found.text is None:
        return None
    text: str = found.text.strip()
    return text or None


def read_ispdb_file(path: Path) -> RefEntry:
    """Parse one Thunderbird config-v1.1 file into a RefEntry (imap/pop3/smtp only)."""
    root = SafeET.parse(path).getroot()
    provider = root.find("emailProvider")
    if provider is None:
        raise ValueError(f"{path}: no emailProvider element")
    domains = [d.text.strip().lower() for d in provider.findall("domain") if d.text]
    servers: list[RefServer] = []
    for elem in provider:
        if elem.tag not in ("incomingServer", "outgoingServer"):
            continue
        protocol = (elem.get("type") or "").lower()
        if protocol not in ("imap", "pop3", "smtp"):
            continue
        host, port, socket = _text(elem, "hostname"), _text(elem, "port"), _text(elem, "socketType")
        if host is None or port is None or socket is None:
            continue
        auth = tuple(
            dict.fromkeys(
                _AUTH.get(a.text.strip().lower(), a.text.strip().lower())
                for a in elem.findall("authentication")
                if a.text and a.text.strip()
            )
        )
        servers.append(
            RefServer(
                protocol,
                host.lower() if "%" not in host else host,
                int(port),
                _SECURITY[socket.lower()],
                _text(elem, "username"),
                auth,
            )
        )
    docs = [d.get("url", "") for d in provider.findall("documentation") if d.get("url")]
    oauth2 = None
    oauth_elem = root.find("oAuth2")
    if oauth_elem is not None:
        oauth2 = {
            "issuer": _text(oauth_elem, "issuer"),
            "scopes": (_text(oauth_elem, "scope") or "").split(),
            "auth_url": _text(oauth_elem, "authURL"),
            "token_url": _text(oauth_elem, "tokenURL"),
        }
    name = _text(provider, "displayName") or provider.get("id") or path.stem
    return RefEntry(
        source="ispdb",
        file=path.name,
        name=name,
        domains=list(dict.fromkeys(domains)),
        servers=servers,
        docs=docs,
        oauth2=oauth2,
        needs_enabling=root.find("enable") is not None or provider.find("enable") is not None,
    )


def read_ispdb(folder: Path) -> list[RefEntry]:
    """Every provider of the ISPDB folder, sorted by file name."""
    return [read_ispdb_file(p) for p in sorted(folder.glob("*.xml"))]


# --------------------------------------------------------------------------- deltachat


def _scalar(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text in ("true", "True"):
        return True
    if text in ("false", "False"):
        return False
    if text.lstrip("-").isdigit():
        return int(text)
    return text


def _strip_comment(line: str) -> str:
    if line.lstrip().startswith("#"):
        return ""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and i > 0 and line[i - 1] in " \t":
            return line[:i].rstrip()
    return line.rstrip()


def read_front_matter(text: str) -> dict[str, Any]:
    """Read the YAML front matter of a Delta Chat provider file.

    Supports exactly the subset those files use: nested mappings, block lists (also at
    the parent key's indentation), lists of mappings, quoted and plain scalars, literal
    block scalars (`|`) and comments.
    """
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ValueError("no front matter")
    body: list[str] = []
    for line in lines[1:]:
        if line.strip() == "---":
            break
        body.append(line)
    else:
        raise ValueError("front matter is not closed")
    parser = _FrontMatter(body)
    value = parser.block(0)
    if not isinstance(value, dict):
        raise ValueError("front matter is not a mapping")
    return value


class _FrontMatter:
    def __init__(self, raw: list[str]) -> None:
        self.raw = raw
        self.lines: list[tuple[int, str, int]] = []  # (indent, content, raw index)
        for index, line in enumerate(raw):
            content = _strip_comment(line)
            if content.strip():
                self.lines.append((len(content) - len(content.lstrip(" ")), content.strip(), index))
        self.pos = 0

    def peek(self) -> tuple[int, str, int] | None:
        return self.lines[self.pos] if self.pos < len(self.lines) else None

    def block(self, indent: int) -> Any:
        line = self.peek()
        if line is None:
            return None
        if line[1].startswith("- ") or line[1] == "-":
            return self.sequence(line[0])
        return self.mapping(line[0])

    def sequence(self, indent: int) -> list[Any]:
        items: list[Any] = []
        while (line := self.peek()) is not None and line[0] == indent and line[1].startswith("-"):
            rest = line[1][1:].strip()
            if not rest:
                self.pos += 1
                items.append(self.block(indent + 1))
            elif _is_key(rest):
                # "- key: value" starts a mapping whose keys sit two columns further in.
                self.lines[self.pos] = (indent + 2, rest, line[2])
                items.append(self.mapping(indent + 2))
            else:
                self.pos += 1
                items.append(_scalar(rest))
        return items

    def mapping(self, indent: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while (line := self.peek()) is not None and line[0] == indent and _is_key(line[1]):
            key, _, rest = line[1].partition(":")
            rest = rest.strip()
            self.pos += 1
            if rest in ("|", "|-", ">", ">-"):
                result[key.strip()] = self.literal(indent, line[2])
            elif rest:
                result[key.strip()] = _scalar(rest)
            else:
                nxt = self.peek()
                if nxt is not None and (
                    nxt[0] > indent or (nxt[0] == indent and nxt[1].startswith("-"))
                ):
                    result[key.strip()] = self.block(nxt[0])
                else:
                    result[key.strip()] = None
        return result

    def literal(self, indent: int, raw_index: int) -> str:
        collected: list[str] = []
        while (line := self.peek()) is not None and line[0] > indent:
            self.pos += 1
            collected.append(line[1])
        return "\n".join(collected)


def _is_key(text: str) -> bool:
    if text.startswith(("'", '"', "-")):
        return False
    key, sep, rest = text.partition(":")
    return bool(sep) and (not rest or rest.startswith(" ")) and " " not in key.strip()


def read_deltachat_file(path: Path) -> RefEntry:
    """Parse one Delta Chat provider file into a RefEntry (facts only)."""
    meta = read_front_matter(path.read_text(encoding="utf-8"))
    servers: list[RefServer] = []
    for item in meta.get("server") or []:
        protocol = str(item["type"]).lower()
        username = _DC_USERNAME[str(item.get("username_pattern", "EMAIL")).upper()]
        servers.append(
            RefServer(
                protocol,
                str(item["hostname"]).lower(),
                int(item["port"]),
                _SECURITY[str(item["socket"]).lower()],
                username,
                (),
            )
        )
    opt = meta.get("opt") or {}
    website = meta.get("website")
    return RefEntry(
        source="deltachat",
        file=path.name,
        name=str(meta.get("name") or path.stem),
        domains=list(dict.fromkeys(str(d).lower() for d in meta.get("domains") or [])),
        servers=servers,
        status=str(meta.get("status", "OK")).lower(),
        website=str(website) if website else None,
        has_hint=bool(meta.get("before_login_hint") or meta.get("after_login_hint")),
        strict_tls_off=opt.get("strict_tls") is False,
    )


def read_deltachat(folder: Path) -> list[RefEntry]:
    """Every provider of the Delta Chat folder, sorted by file name."""
    return [read_deltachat_file(p) for p in sorted(folder.glob("*.md"))]


# --------------------------------------------------------------------------- exclusions


def read_exclusions(path: Path) -> list[dict[str, Any]]:
    """The `[[excluded]]` tables of `_reference_exclusions.toml` (empty when absent)."""
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    excluded: list[dict[str, Any]] = data.get("excluded", [])
    return excluded


# --------------------------------------------------------------------------- merging


@dataclass
class Draft:
    """A provider being assembled from reference entries."""

    id: str
    name: str
    status: str
    domains: list[str] = field(default_factory=list)
    servers: list[RefServer] = field(default_factory=list)
    server_origin: dict[tuple[str, str, int, str], str] = field(default_factory=dict)
    docs: list[str] = field(default_factory=list)
    website: str | None = None
    oauth2: dict[str, Any] | None = None
    sources: list[str] = field(default_factory=list)
    overrides: list[dict[str, str]] = field(default_factory=list)
    mx_patterns: list[str] = field(default_factory=list)
    needs_enabling: bool = False
    has_hint: bool = False
    strict_tls_off: bool = False
    dc_status: str | None = None

    def add_server(self, server: RefServer, origin: str) -> None:
        """Add a server or merge its auth methods into an identical endpoint."""
        for i, existing in enumerate(self.servers):
            if existing.key == server.key:
                auth = tuple(dict.fromkeys(existing.auth + server.auth))
                username = existing.username or server.username
                if existing.username and server.username and existing.username != server.username:
                    self.overrides.append(
                        {
                            "source": origin,
                            "kind": "username-changed",
                            "subject": f"{server.label} {server.username}",
                            "reason": f"The references disagree; {existing.username} is "
                            "kept because the server accepts the full address.",
                        }
                    )
                self.servers[i] = RefServer(
                    existing.protocol,
                    existing.host,
                    existing.port,
                    existing.security,
                    username,
                    auth,
                )
                return
        self.servers.append(server)
        self.server_origin[server.key] = origin

    def absorb(self, entry: RefEntry) -> None:
        """Merge a reference entry's facts into this draft."""
        for domain in entry.domains:
            if domain not in self.domains:
                self.domains.append(domain)
        for server in entry.servers:
            self.add_server(server, entry.source)
        for url in entry.docs:
            if url not in self.docs:
                self.docs.append(url)
        if entry.website and "://" not in entry.website:
            entry.website = f"https://{entry.website}"
        self.website = self.website or entry.website
        self.oauth2 = self.oauth2 or entry.oauth2
        self.sources.append(f"{entry.source}:{entry.file}")
        self.needs_enabling = self.needs_enabling or entry.needs_enabling
        self.has_hint = self.has_hint or entry.has_hint
        self.strict_tls_off = self.strict_tls_off or entry.strict_tls_off
        if entry.source == "deltachat":
            self.dc_status = entry.status
            self.status = _stricter(self.status, entry.status)


def _stricter(a: str, b: str) -> str:
    order = {"ok": 0, "preparation": 1, "broken": 2}
    return a if order[a] >= order[b] else b


def _new_id(entry: RefEntry, taken: set[str]) -> str:
    wanted = ID_RENAMES.get(entry.key, entry.key.split(":", 1)[1].lower())
    candidate, n = wanted, 2
    while candidate in taken:
        candidate, n = f"{wanted}-{n}", n + 1
    return candidate


def merge(entries: Iterable[RefEntry], excluded_files: set[str]) -> dict[str, Draft]:
    """Group reference entries into providers: an entry joins the provider owning most of
    its domains; every provider owning one of its domains also gets its servers."""
    drafts: dict[str, Draft] = {}
    owner: dict[str, str] = {}
    for entry in entries:
        if f"{entry.source}:{entry.file}" in excluded_files:
            continue
        counts: dict[str, int] = {}
        for domain in entry.domains:
            if domain in owner:
                counts[owner[domain]] = counts.get(owner[domain], 0) + 1
        if entry.key in JOIN:
            target = JOIN[entry.key]
        elif counts:
            target = max(counts, key=lambda pid: counts[pid])
        else:
            target = _new_id(entry, set(drafts))
            drafts[target] = Draft(target, entry.name, "ok")
        draft = drafts[target]
        others = [pid for pid in counts if pid != target]
        draft.absorb(entry)
        for domain in draft.domains:
            owner.setdefault(domain, target)
        # Domains another provider already owns stay there; that provider must also
        # offer what this reference says for them.
        for pid in others:
            shared = [d for d in entry.domains if owner[d] == pid]
            print(
                f"note: {entry.source}:{entry.file} shares {shared} with {pid}; "
                f"merged into {target}",
                file=sys.stderr,
            )
            draft.domains = [d for d in draft.domains if d not in shared]
            for server in entry.servers:
                drafts[pid].add_server(server, entry.source)
            drafts[pid].sources.append(f"{entry.source}:{entry.file}")
    for draft in drafts.values():
        draft.mx_patterns = [d for d in draft.domains if d in MX_DOMAINS]
    return drafts


def apply_security_policy(draft: Draft) -> None:
    """Drop plaintext servers where a secure one exists; swap in known TLS endpoints."""
    kept: list[RefServer] = []
    for server in draft.servers:
        if server.security != "plain":
            kept.append(server)
            continue
        origin = draft.server_origin.get(server.key, "ispdb")
        replacement = KNOWN_TLS_REPLACEMENTS.get(server.label)
        if replacement is not None:
            host, port, security = replacement
            new = RefServer(server.protocol, host, port, security, server.username, server.auth)
            kept.append(new)
            draft.overrides.append(
                {
                    "source": origin,
                    "kind": "server-replaced",
                    "subject": server.label,
                    "reason": f"Replaced by {new.label}: the provider publishes an encrypted "
                    "endpoint, so the password never crosses the network in the clear.",
                }
            )
            continue
        secure = [
            s for s in draft.servers if s.protocol == server.protocol and s.security != "plain"
        ]
        if secure:
            draft.overrides.append(
                {
                    "source": origin,
                    "kind": "server-dropped",
                    "subject": server.label,
                    "reason": f"Unencrypted; {secure[0].label} serves the same mailbox "
                    "with TLS (RFC 8314).",
                }
            )
            continue
        kept.append(server)
    draft.servers = kept


# --------------------------------------------------------------------------- output


def _generic_hints(draft: Draft) -> list[str]:
    hints: list[str] = []
    if draft.status == "preparation":
        if draft.needs_enabling:
            hints.append(
                "Mail-client access is switched off by default: turn on IMAP/POP3 access in "
                "the webmail settings before adding the account to a mail program."
            )
        else:
            hints.append(
                "The account needs a one-time preparation step on the provider's website "
                "before a mail program can log in; see the documentation link."
            )
    elif draft.status == "broken":
        hints.append(
            "This provider does not work with ordinary mail programs over IMAP/POP3 and SMTP."
        )
    if any(s.security == "plain" for s in draft.servers):
        hints.append(
            "The only settings on record use unencrypted connections; ask the provider "
            "whether STARTTLS or TLS is offered before sending a password."
        )
    if draft.strict_tls_off:
        hints.append(
            "The servers have been seen with certificates that do not verify; expect "
            "certificate warnings."
        )
    return hints


def _server_dict(server: RefServer) -> dict[str, Any]:
    data: dict[str, Any] = {
        "protocol": server.protocol,
        "host": server.host,
        "port": server.port,
        "security": server.security,
    }
    if server.username:
        data["username"] = server.username
    data["auth"] = list(server.auth) or ["password-cleartext"]
    return data


def reference_url(source: str) -> str | None:
    """The public URL of a reference entry (`ispdb:FILE` or `deltachat:FILE`), if any."""
    kind, _, name = source.partition(":")
    kind = kind.split(" (upstream", 1)[0]
    stem = name.strip().removesuffix(".xml").removesuffix(".md")
    if kind == "ispdb" and stem:
        return f"https://autoconfig.thunderbird.net/v1.1/{stem}"
    if kind == "deltachat" and stem:
        return f"https://providers.delta.chat/{stem}/"
    return None


def default_source(docs: list[str], sources: list[str], website: str | None) -> str | None:
    """The settings URL an entry was compared with: its own docs, else a reference entry."""
    if docs:
        return docs[0]
    for source in sources:
        url = reference_url(source)
        if url:
            return url
    return website


def draft_to_dict(
    draft: Draft, existing: dict[str, Any] | None, checked: datetime.date
) -> dict[str, Any]:
    """The provider table to write, keeping hand-curated keys of an existing file."""
    servers = [_server_dict(s) for s in draft.servers]
    data: dict[str, Any] = {
        "id": draft.id,
        "name": draft.name,
        "status": draft.status,
        "domains": list(draft.domains),
        "mx_patterns": list(draft.mx_patterns),
        "servers": servers,
        "hints": _generic_hints(draft),
        "docs": list(draft.docs),
        "website": draft.website,
        "oauth2": draft.oauth2,
        "source": None,
        "checked": checked,
        "sources": list(dict.fromkeys(draft.sources)),
        "overrides": list(draft.overrides),
    }
    data["source"] = default_source(data["docs"], data["sources"], data["website"])
    if existing is None:
        return data
    for key in (
        "name",
        "status",
        "hints",
        "docs",
        "website",
        "oauth2",
        "source",
        "checked",
        "successor",
    ):
        if key in existing:
            data[key] = existing[key]
    for key in ("domains", "mx_patterns", "sources"):
        data[key] = list(dict.fromkeys([*existing.get(key, []), *data[key]]))
    moved = {
        o["subject"]
        for o in existing.get("overrides", [])
        if o.get("kind") in ("domain-moved", "domain-dropped")
    }
    data["domains"] = [d for d in data["domains"] if d not in moved]
    dropped = {
        o["subject"]
        for o in existing.get("overrides", [])
        if o.get("kind") in ("server-dropped", "server-replaced")
    }
    dropped |= {o["subject"] for o in draft.overrides}

    def label(s: dict[str, Any]) -> str:
        return f"{s['protocol']} {s['host']}:{s['port']} {s['security']}"

    merged_servers = [s for s in existing.get("servers", []) if label(s) not in dropped]
    known = {label(s) for s in merged_servers}
    merged_servers += [s for s in servers if label(s) not in known | dropped]
    # A legacy entry with a successor uses the successor's servers and lists none itself.
    data["servers"] = [] if existing.get("successor") else merged_servers
    overrides = list(existing.get("overrides", []))
    seen = {(o["source"], o["kind"], o["subject"]) for o in overrides}
    overrides += [o for o in draft.overrides if (o["source"], o["kind"], o["subject"]) not in seen]
    data["overrides"] = overrides
    return data


def _toml_value(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        items = [_toml_value(v) for v in value]
        inline = "[" + ", ".join(items) + "]"
        if len(inline) <= 88 and all(len(i) < 60 for i in items):
            return inline
        return "[\n" + "".join(f"    {i},\n" for i in items) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


_TOP_KEYS = (
    "id",
    "name",
    "status",
    "domains",
    "mx_patterns",
    "hints",
    "docs",
    "website",
    "source",
    "checked",
    "sources",
    "successor",
)


def to_toml(data: dict[str, Any]) -> str:
    """Write a provider table as TOML in mailprobe's key order (stdlib has no writer)."""
    out: list[str] = []
    for key in _TOP_KEYS:
        value = data.get(key)
        if value is None or (key in ("mx_patterns", "hints", "docs") and not value):
            continue
        out.append(f"{key} = {_toml_value(value)}")
    for server in data.get("servers", []):
        out.append("\n[[servers]]")
        for key in ("protocol", "host", "port", "security", "username", "auth"):
            if server.get(key) is not None:
                out.append(f"{key} = {_toml_value(server[key])}")
    oauth2 = data.get("oauth2")
    if oauth2:
        out.append("\n[oauth2]")
        for key in ("issuer", "scopes", "auth_url", "token_url"):
            if oauth2.get(key):
                out.append(f"{key} = {_toml_value(oauth2[key])}")
    for override in data.get("overrides", []):
        out.append("\n[[overrides]]")
        for key in ("source", "kind", "subject", "reason"):
            out.append(f"{key} = {_toml_value(override[key])}")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the import; returns the process exit code."""
    repo = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reference", type=Path, default=repo.parent / "shared" / "reference")
    parser.add_argument("--out", type=Path, default=repo / "provider_db")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    exclusions = read_exclusions(args.out / "_reference_exclusions.toml")
    excluded_files = {f"{e['source']}:{e['file']}" for e in exclusions}
    entries = read_ispdb(args.reference / "ispdb") + read_deltachat(
        args.reference / "deltachat-provider-db"
    )
    drafts = merge(entries, excluded_files)
    today = datetime.date.today()
    for draft in drafts.values():
        apply_security_policy(draft)
        path = args.out / f"{draft.id}.toml"
        existing = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else None
        text = to_toml(draft_to_dict(draft, existing, today))
        if not args.dry_run:
            path.write_text(text, encoding="utf-8")
    print(f"{len(drafts)} providers from {len(entries)} reference entries", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
