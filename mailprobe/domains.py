"""Registrable domains (public suffix list), MX host order, and domains to ask about an MX host.

The public suffix list is loaded on first use, not at import time (it takes tens of
milliseconds). Unknown top-level domains count as public suffixes, so `mx.hoster.test`
has the registrable domain `hoster.test`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import dns.rdata


@cache
def _psl() -> Any:
    from publicsuffixlist import PublicSuffixList

    # Rules are kept in their Unicode form only (A-label variants would double the
    # parsing time); names are converted to Unicode before each query instead.
    return PublicSuffixList(accept_encoded_idn=False)


def _to_unicode(name: str) -> str:
    if "xn--" not in name:
        return name
    import idna  # only for IDN names: its tables take milliseconds to load

    try:
        return idna.decode(name)
    except (idna.IDNAError, UnicodeError):
        return name


def _to_ascii(name: str) -> str:
    if name.isascii():
        return name
    import idna

    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return name


def _clean(host: str) -> str:
    return host.strip().rstrip(".").lower()


def registrable_domain(host: str) -> str | None:
    """The registrable domain of `host` (e.g. `mx1.mail.hoster.co.uk` -> `hoster.co.uk`).

    None when `host` is itself a public suffix or not a usable name. `host` should be in
    A-label (ASCII) form; the answer is lower-case without a trailing dot.
    """
    name = _clean(host)
    if not name or ".." in name:
        return None
    result = _psl().privatesuffix(_to_unicode(name))
    return _to_ascii(str(result)).lower() if result else None


def is_within(host: str, domain: str) -> bool:
    """True if `host` is `domain` or a name below it (case and trailing dot ignored)."""
    h, d = _clean(host), _clean(domain)
    return bool(d) and (h == d or h.endswith("." + d))


def mx_config_domains(mx_host: str) -> tuple[str, ...]:
    """The domains to ask for configuration about an MX host, most general first.

    The registrable domain of the MX host, then the next label up from the host itself
    when that is a different name below the registrable domain:
    `mx1.mail.hoster.example` -> (`hoster.example`, `mail.hoster.example`);
    `mx1.hoster.example` -> (`hoster.example`,).
    """
    name = _clean(mx_host)
    registrable = registrable_domain(name)
    if registrable is None:
        return ()
    domains = [registrable]
    parent = name.split(".", 1)[1] if "." in name else ""
    if parent != registrable and is_within(parent, registrable):
        domains.append(parent)
    return tuple(domains)


def mx_hosts(records: Iterable[dns.rdata.Rdata]) -> tuple[str, ...]:
    """MX exchange names, lowest preference first (ties by name), without duplicates.

    A null MX (exchange `.`, RFC 7505) is dropped; an answer made only of it gives `()`.
    """
    pairs = sorted(
        (int(getattr(r, "preference", 0)), str(getattr(r, "exchange", "")).rstrip(".").lower())
        for r in records
    )
    hosts: list[str] = []
    for _preference, host in pairs:
        if host and host not in hosts:
            hosts.append(host)
    return tuple(hosts)
