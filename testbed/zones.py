"""The bed's DNS data: zones `mailprobe.test` and `hoster.test`, and what each name is for.

Every name that gets an address is listed in `HOSTS`; the main certificate covers all of
them except the names under the bad-certificate domains (`BAD_CERT_DOMAINS`).
Services are published on their standard ports; `--connect-to` rules reach the real ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

MAIN = "mailprobe.test"
HOSTER = "hoster.test"
ALT_IP = "127.0.0.2"

#: Domains whose autoconfig and IMAP/POP3 servers present a deliberately bad certificate.
BAD_CERT_DOMAINS: Mapping[str, str] = MappingProxyType(
    {
        f"wrongcert.{MAIN}": "other",
        f"expired.{MAIN}": "expired",
        f"selfsigned.{MAIN}": "selfsigned",
    }
)

#: Domains with a valid generic config somewhere; each has imap./pop./smtp. hosts.
CONFIG_DOMAINS = (
    f"downgrade.{MAIN}",
    f"httponly.{MAIN}",
    f"wellknown.{MAIN}",
    f"ispdbonly.{MAIN}",
    f"exchange.{MAIN}",
    *BAD_CERT_DOMAINS,
)

#: Test domains and what each one exercises (written to bed.json as "cases").
CASES: Mapping[str, str] = MappingProxyType(
    {
        MAIN: "complete setup: MX, SRV (pop3 explicitly not offered), autoconfig, ISPDB, "
        "autodiscover, TLSA on _993._tcp.imap and _25._tcp.mx",
        f"empty.{MAIN}": "exists with only a TXT record: no MX, SRV or address",
        f"nothing.{MAIN}": "does not exist (NXDOMAIN)",
        f"gworkspace.{MAIN}": "MX 1 aspmx.l.google.com. (provider detection by MX only)",
        f"mxhosted.{MAIN}": "MX mx1.hoster.test.; autoconfig.hoster.test has the config",
        f"html.{MAIN}": "autoconfig answers 200 with an HTML page",
        f"truncated.{MAIN}": "autoconfig XML cut off mid-element",
        f"laughs.{MAIN}": "autoconfig is a billion-laughs entity bomb",
        f"big.{MAIN}": "autoconfig body is 5 MiB",
        f"loop.{MAIN}": "autoconfig redirects in a loop",
        f"downgrade.{MAIN}": "https autoconfig redirects to http, which serves a valid config",
        f"wrongcert.{MAIN}": "autoconfig and imap/pop hosts present a certificate for "
        "other.invalid",
        f"expired.{MAIN}": "autoconfig and imap/pop hosts present an expired certificate",
        f"selfsigned.{MAIN}": "autoconfig and imap/pop hosts present a self-signed certificate",
        f"wellknown.{MAIN}": "no autoconfig host; https://D/.well-known/autoconfig/... serves",
        f"httponly.{MAIN}": "config only on http://autoconfig.D; https answers 404",
        f"exchange.{MAIN}": "Exchange POX Autodiscover on autodiscover.D (POST)",
        f"ispdbonly.{MAIN}": "only the ISPDB knows it",
        f"v6broken.{MAIN}": "host with AAAA ::1 (nothing listens) and A 127.0.0.1 (works); "
        "needs the connect_to_dns rules",
        f"imap2.{MAIN}": "host on 127.0.0.2: Dovecot refuses login before TLS (LOGINDISABLED)",
        HOSTER: "hosting provider zone: autoconfig.hoster.test, mx1.hoster.test",
    }
)

DOMAINS: tuple[str, ...] = tuple(CASES)


def _hosts() -> dict[str, str]:
    hosts: dict[str, str] = {MAIN: "127.0.0.1", f"ns.{MAIN}": "127.0.0.1"}
    for label in ("imap", "pop", "smtp", "mx", "mail", "autoconfig", "autodiscover", "ispdb"):
        hosts[f"{label}.{MAIN}"] = "127.0.0.1"
    hosts[f"imap2.{MAIN}"] = ALT_IP
    hosts[f"v6broken.{MAIN}"] = "127.0.0.1"
    for fault in ("html", "truncated", "laughs", "big", "loop"):
        hosts[f"autoconfig.{fault}.{MAIN}"] = "127.0.0.1"
    for domain in CONFIG_DOMAINS:
        for label in ("imap", "pop", "smtp"):
            hosts[f"{label}.{domain}"] = "127.0.0.1"
    for domain in (f"downgrade.{MAIN}", f"httponly.{MAIN}", *BAD_CERT_DOMAINS):
        hosts[f"autoconfig.{domain}"] = "127.0.0.1"
    hosts[f"wellknown.{MAIN}"] = "127.0.0.1"
    hosts[f"autodiscover.exchange.{MAIN}"] = "127.0.0.1"
    for label in ("ns", "autoconfig", "mx1"):
        hosts[f"{label}.{HOSTER}"] = "127.0.0.1"
    return hosts


#: Every name with an IPv4 address, and that address.
HOSTS: Mapping[str, str] = MappingProxyType(_hosts())


def bad_cert_kind(host: str) -> str | None:
    """Which bad certificate `host` presents ("other", "expired", "selfsigned"), if any."""
    for domain, kind in BAD_CERT_DOMAINS.items():
        if host == domain or host.endswith("." + domain):
            return kind
    return None


def good_cert_names() -> list[str]:
    """Names for the main certificate's SAN: every host without a bad certificate."""
    names = [h for h in HOSTS if bad_cert_kind(h) is None]
    return [*names, HOSTER, "127.0.0.1", ALT_IP]


def _owner(name: str, origin: str) -> str:
    return "@" if name == origin else name.removesuffix("." + origin)


def _soa(origin: str) -> list[str]:
    return [
        f"$ORIGIN {origin}.",
        "$TTL 300",
        f"@ IN SOA ns.{origin}. hostmaster.{origin}. 2024010101 3600 600 86400 300",
        f"@ IN NS ns.{origin}.",
    ]


def main_zone(tlsa: Mapping[str, str]) -> str:
    """Zone file text for mailprobe.test; `tlsa` maps owner names to 3 1 1 digests."""
    lines = _soa(MAIN)
    lines += [
        "@ IN MX 10 mx",
        '@ IN TXT "v=spf1 -all"',
        "_imaps._tcp IN SRV 0 1 993 imap",
        "_imap._tcp IN SRV 10 1 143 imap",
        "_pop3s._tcp IN SRV 0 1 995 pop",
        "_pop3._tcp IN SRV 0 0 0 .",
        "_submissions._tcp IN SRV 0 1 465 smtp",
        "_submission._tcp IN SRV 10 1 587 smtp",
        "v6broken IN AAAA ::1",
        'empty IN TXT "this name has no mail records"',
        "gworkspace IN MX 1 aspmx.l.google.com.",
        "mxhosted IN MX 10 mx1.hoster.test.",
        'ispdbonly IN TXT "only the ISPDB knows this domain"',
    ]
    for name, ip in HOSTS.items():
        if name == MAIN or name.endswith("." + MAIN):
            lines.append(f"{_owner(name, MAIN)} IN A {ip}")
    for owner, digest in tlsa.items():
        lines.append(f"{_owner(owner, MAIN)} IN TLSA 3 1 1 {digest}")
    return "\n".join(lines) + "\n"


def hoster_zone() -> str:
    """Zone file text for hoster.test."""
    lines = _soa(HOSTER)
    for name, ip in HOSTS.items():
        if name.endswith("." + HOSTER):
            lines.append(f"{_owner(name, HOSTER)} IN A {ip}")
    return "\n".join(lines) + "\n"
