"""SPF (RFC 7208) and DMARC (RFC 7489) records: present, syntactically valid, policy named."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from mailprobe.domains import registrable_domain
from mailprobe.inbound.dnssec import SecureResolver, txt_strings

#: Mechanisms and modifiers that cost a DNS lookup (RFC 7208 §4.6.4 allows 10).
_LOOKUP_TERMS = ("include", "a", "mx", "ptr", "exists", "redirect")
_MECHANISM = re.compile(r"^([+\-~?]?)(all|include|a|mx|ptr|ip4|ip6|exists)(?:([:/])(.*))?$", re.I)
_MODIFIER = re.compile(r"^([a-z][a-z0-9_.-]*)=(.*)$", re.I)
DMARC_POLICIES = ("none", "quarantine", "reject")


@dataclass(frozen=True)
class SpfResult:
    """status: ok | absent | invalid | dns_error; `warnings` for valid but risky records."""

    status: str
    record: str | None = None
    detail: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class DmarcResult:
    """status: ok | absent | invalid | dns_error; `policy` is the p= value."""

    status: str
    record: str | None = None
    policy: str | None = None
    location: str = ""
    detail: str = ""


def _term_problem(term: str) -> str | None:
    mech = _MECHANISM.match(term)
    if mech:
        name, sep, arg = mech.group(2).lower(), mech.group(3), mech.group(4)
        if name == "all" and sep:
            return f"'{term}': all takes no argument"
        if name in ("include", "exists") and (sep != ":" or not arg):
            return f"'{term}': {name} needs a domain"
        if name in ("ip4", "ip6"):
            if sep != ":" or not arg:
                return f"'{term}': {name} needs an address"
            try:
                network = ipaddress.ip_network(arg, strict=False)
            except ValueError:
                return f"'{term}': {arg!r} is not an IP address or network"
            if network.version != int(name[-1]):
                return f"'{term}': {arg} is not an IPv{name[-1]} address"
        return None
    if _MODIFIER.match(term):
        return None
    return f"'{term}' is neither a mechanism nor a modifier"


def parse_spf(texts: list[str]) -> SpfResult:
    """Judge the TXT strings at the domain itself."""
    records = [t for t in texts if re.match(r"^v=spf1(\s|$)", t, re.I)]
    if not records:
        return SpfResult("absent", detail="no v=spf1 record")
    if len(records) > 1:
        return SpfResult("invalid", records[0], f"{len(records)} v=spf1 records (a permerror)")
    record = records[0]
    terms = record.split()[1:]
    for term in terms:
        problem = _term_problem(term)
        if problem:
            return SpfResult("invalid", record, problem)
    lookups = sum(
        1
        for t in terms
        if re.split(r"[:/=]", t.lstrip("+-~?"), maxsplit=1)[0].lower() in _LOOKUP_TERMS
    )
    if lookups > 10:
        return SpfResult(
            "invalid", record, f"{lookups} terms need DNS lookups; at most 10 are allowed"
        )
    warnings = []
    if any(t.lower() in ("+all", "all") for t in terms):
        warnings.append("'+all' lets every server on the internet send as this domain")
    return SpfResult("ok", record, "", tuple(warnings))


def parse_dmarc(texts: list[str], location: str) -> DmarcResult:
    """Judge the TXT strings at `_dmarc.DOMAIN` (or the organizational domain)."""
    records = [t for t in texts if re.match(r"^v\s*=\s*DMARC1\s*(;|$)", t)]
    if not records:
        return DmarcResult("absent", location=location, detail="no v=DMARC1 record")
    if len(records) > 1:
        detail = f"{len(records)} v=DMARC1 records; receivers ignore them all"
        return DmarcResult("invalid", records[0], location=location, detail=detail)
    record = records[0]
    tags: dict[str, str] = {}
    for part in record.split(";")[1:]:
        key, sep, value = part.strip().partition("=")
        if not part.strip():
            continue
        if not sep:
            return DmarcResult(
                "invalid", record, None, location, f"'{part.strip()}' is not tag=value"
            )
        tags.setdefault(key.strip().lower(), value.strip())
    policy = tags.get("p", "").lower() or None
    if policy is None:
        return DmarcResult("invalid", record, None, location, "no p= policy tag")
    if policy not in DMARC_POLICIES:
        return DmarcResult(
            "invalid", record, policy, location, f"p={policy} is not none, quarantine or reject"
        )
    sp = tags.get("sp", "").lower()
    if sp and sp not in DMARC_POLICIES:
        return DmarcResult("invalid", record, policy, location, f"sp={sp} is not a policy")
    pct = tags.get("pct")
    if pct is not None and (not pct.isdigit() or int(pct) > 100):
        return DmarcResult("invalid", record, policy, location, f"pct={pct} is not 0 to 100")
    for key in ("adkim", "aspf"):
        if key in tags and tags[key].lower() not in ("r", "s"):
            return DmarcResult(
                "invalid", record, policy, location, f"{key}={tags[key]} is not r or s"
            )
    for key in ("rua", "ruf"):
        for uri in filter(None, (u.strip() for u in tags.get(key, "").split(","))):
            if ":" not in uri:
                return DmarcResult(
                    "invalid", record, policy, location, f"{key} {uri!r} is not a URI"
                )
    return DmarcResult("ok", record, policy, location, f"policy p={policy}")


async def check_spf(domain: str, resolver: SecureResolver) -> SpfResult:
    """Look up and judge the SPF record of `domain`."""
    lookup = await resolver.query(domain, "TXT")
    if not lookup.status.is_answer:
        return SpfResult("dns_error", detail=lookup.detail)
    return parse_spf(txt_strings(lookup))


async def check_dmarc(domain: str, resolver: SecureResolver) -> DmarcResult:
    """DMARC at `_dmarc.DOMAIN`, else at the organizational domain (RFC 7489 §6.6.3).

    The public suffix list (tens of milliseconds to load) is consulted only when the
    domain itself has no record.
    """
    place = domain
    while True:
        lookup = await resolver.query(f"_dmarc.{place}", "TXT")
        if not lookup.status.is_answer:
            return DmarcResult("dns_error", location=f"_dmarc.{place}", detail=lookup.detail)
        result = parse_dmarc(txt_strings(lookup), f"_dmarc.{place}")
        if result.status != "absent" or place != domain:
            return result
        org = registrable_domain(domain)
        if not org or org == domain:
            return result
        place = org
