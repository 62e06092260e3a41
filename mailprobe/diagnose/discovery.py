"""`diagnose_discovery`: findings about what the sources said, before any probe."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from mailprobe.diagnose.catalogue import (
    MODE_NAMES,
    SERVICE_NAMES,
    FindingId,
    Subject,
    clip,
    listing,
    make_finding,
)
from mailprobe.domains import is_within, registrable_domain
from mailprobe.models import (
    SOURCE_ORDER,
    Candidate,
    DiscoveryResult,
    Finding,
    Protocol,
    ProviderInfo,
    ProviderStatus,
    Security,
    Severity,
    SourceId,
    SourceStatus,
)

#: How sources are named in sentences.
SOURCE_NAMES: Mapping[SourceId, str] = MappingProxyType(
    {
        SourceId.PROVIDER_DB: "mailprobe's provider database",
        SourceId.AUTOCONFIG: "the domain's autoconfig file",
        SourceId.ISPDB: "the Thunderbird ISPDB",
        SourceId.SRV: "DNS SRV records",
        SourceId.MX: "the MX-based lookup",
        SourceId.AUTODISCOVER: "Exchange Autodiscover",
        SourceId.GUESS: "guessing",
        SourceId.USER: "your input",
    }
)

_FAILED = frozenset({SourceStatus.ERROR, SourceStatus.TIMEOUT})


def _host(name: str) -> str:
    return name.lower().rstrip(".")


def _nothing_found(result: DiscoveryResult) -> Finding:
    ran = [o for o in result.sources if o.status is not SourceStatus.SKIPPED]
    skipped = [o.source.value for o in result.sources if o.status is SourceStatus.SKIPPED]
    if ran and all(o.status in _FAILED for o in ran):
        why = (
            "Every source that was asked failed or timed out, so the network may be the "
            "problem: check the connection and try again, perhaps with a longer --timeout."
        )
    else:
        why = (
            "The domain publishes no mail settings (no autoconfig file, no SRV records) and "
            "its provider is not in mailprobe's database."
        )
    if skipped:
        why += f" Not asked: {', '.join(skipped)}."
    domain = result.address.domain
    return make_finding(FindingId.DISCOVERY_NOTHING_FOUND, Subject(), domain=domain, why=why)


def _provider(provider: ProviderInfo) -> Finding | None:
    fid = {
        ProviderStatus.BROKEN: FindingId.PROVIDER_BROKEN,
        ProviderStatus.PREPARATION: FindingId.PROVIDER_PREPARATION,
    }.get(provider.status, FindingId.PROVIDER_HINT)
    if fid is FindingId.PROVIDER_HINT and not provider.hints:
        return None
    hints = " ".join(clip(h, 400) for h in provider.hints)
    if fid is not FindingId.PROVIDER_HINT:
        # The template ends the sentence itself; don't leave two full stops.
        hints = f": {hints.rstrip('.')}" if hints else ""
    docs = f" More: {', '.join(provider.docs)}" if provider.docs else ""
    return make_finding(fid, Subject(), name=provider.name, hints=hints, docs=docs)


def _trusted_claims(
    candidates: tuple[Candidate, ...],
) -> dict[Protocol, dict[SourceId, set[tuple[str, int]]]]:
    claims: dict[Protocol, dict[SourceId, set[tuple[str, int]]]] = {}
    for c in candidates:
        endpoint = (_host(c.setting.host), c.setting.port)
        for p in c.sources:
            if p.trusted:
                claims.setdefault(c.protocol, {}).setdefault(p.source, set()).add(endpoint)
    return claims


def _disagreements(result: DiscoveryResult) -> list[Finding]:
    """Trusted sources whose endpoints for a protocol have nothing in common."""
    found: list[Finding] = []
    for protocol, by_source in sorted(_trusted_claims(result.candidates).items()):
        sources = sorted(by_source, key=lambda s: s.precedence)
        disjoint = any(
            not (by_source[a] & by_source[b])
            for i, a in enumerate(sources)
            for b in sources[i + 1 :]
        )
        if not disjoint:
            continue
        claims = "; ".join(
            f"{SOURCE_NAMES[s]} says "
            + ", ".join(f"{h} port {port}" for h, port in sorted(by_source[s]))
            for s in sources
        )
        found.append(
            make_finding(
                FindingId.DISCOVERY_SOURCES_DISAGREE,
                Subject(protocol),
                domain=result.address.domain,
                claims=claims,
            )
        )
    return found


def _home_domains(result: DiscoveryResult) -> list[str]:
    """Domains a server may belong to without suspicion: the address's and its provider's."""
    domains = [registrable_domain(result.address.domain) or result.address.domain]
    if result.provider is not None:
        domains.extend(d.removeprefix("*.") for d in result.provider.domains)
    for c in result.candidates:
        if c.trusted:
            domains.append(registrable_domain(c.setting.host) or _host(c.setting.host))
    return domains


def _foreign_hosts(result: DiscoveryResult) -> list[Finding]:
    """Hosts outside the home domains that only untrusted sources named (one per host)."""
    if all(c.trusted for c in result.candidates):
        return []  # nothing to check; spares loading the public suffix list
    home = _home_domains(result)
    by_host: dict[str, list[Candidate]] = {}
    for c in result.candidates:
        host = _host(c.setting.host)
        if not c.trusted and not any(is_within(host, d) for d in home):
            by_host.setdefault(host, []).append(c)
    found: list[Finding] = []
    for host, cands in sorted(by_host.items()):
        endpoints = ", ".join(f"{SERVICE_NAMES[c.protocol]} port {c.setting.port}" for c in cands)
        named_by = {p.source for c in cands for p in c.sources}
        sources = ", ".join(SOURCE_NAMES[s] for s in SOURCE_ORDER if s in named_by)
        found.append(
            make_finding(
                FindingId.DISCOVERY_UNTRUSTED_FOREIGN_HOST,
                Subject(host=host),
                domain=result.address.domain,
                endpoints=endpoints,
                sources=sources,
            )
        )
    return found


def _plaintext_sources(result: DiscoveryResult) -> list[Finding]:
    """Sources that list a protocol only without encryption."""
    encrypted = {c.protocol for c in result.candidates if c.setting.security is not Security.PLAIN}
    found: list[Finding] = []
    for outcome in result.sources:
        by_protocol: dict[Protocol, list[Candidate]] = {}
        for c in outcome.candidates:
            by_protocol.setdefault(c.protocol, []).append(c)
        for protocol, cands in sorted(by_protocol.items()):
            if any(c.setting.security is not Security.PLAIN for c in cands):
                continue
            service = SERVICE_NAMES[protocol]
            if protocol in encrypted:
                why = (
                    f"Other sources offer encrypted {service} settings, which mailprobe "
                    f"recommends instead; this entry is probably outdated."
                )
            else:
                why = (
                    f"No encrypted {service} setting was found at all. Ask the provider for "
                    "one (SSL/TLS or STARTTLS): without it the password travels readable."
                )
            first = cands[0].setting
            found.append(
                make_finding(
                    FindingId.DISCOVERY_PLAINTEXT_ONLY,
                    Subject(protocol, first.host, first.port, first.security),
                    severity=Severity.INFO if protocol in encrypted else None,
                    source=SOURCE_NAMES[outcome.source].capitalize(),
                    domain=result.address.domain,
                    where=listing([f"{c.setting.host} port {c.setting.port}" for c in cands]),
                    why=why,
                )
            )
    return found


def _not_offered(result: DiscoveryResult) -> list[Finding]:
    """Services a source says are deliberately absent (SRV target '.')."""
    found: list[Finding] = []
    for outcome in result.sources:
        for item in outcome.not_offered:
            listed = [
                c
                for c in result.candidates
                if c.protocol is item.protocol and c.setting.security is item.security
            ]
            mode = MODE_NAMES[item.security]
            service = SERVICE_NAMES[item.protocol]
            if listed:
                why = (
                    f"Yet other sources list {service} with {mode} "
                    f"({listing([f'{c.setting.host} port {c.setting.port}' for c in listed])}); "
                    "one of them is outdated, and the probe results show which."
                )
            else:
                why = f"Mail apps should use another {service} setting; nothing to do."
            found.append(
                make_finding(
                    FindingId.DISCOVERY_NOT_OFFERED,
                    Subject(item.protocol, security=item.security),
                    domain=result.address.domain,
                    origin=item.origin,
                    why=why,
                )
            )
    return found


def _source_problems(result: DiscoveryResult) -> list[Finding]:
    """Warnings a source collected while reading, and settings dropped by the per-source cap."""
    found: list[Finding] = []
    for outcome in result.sources:
        name = SOURCE_NAMES[outcome.source]
        if outcome.dropped_candidates:
            kept = len(outcome.candidates)
            found.append(
                make_finding(
                    FindingId.DISCOVERY_TOO_MANY_SERVERS,
                    Subject(),
                    source=name[0].upper() + name[1:],
                    total=kept + outcome.dropped_candidates,
                    kept=kept,
                )
            )
        if outcome.warnings:
            found.append(
                make_finding(
                    FindingId.DISCOVERY_SOURCE_WARNINGS,
                    Subject(),
                    source=name[0].upper() + name[1:],
                    count=len(outcome.warnings),
                    problems=listing([clip(w, 200) for w in outcome.warnings], limit=3),
                )
            )
    return found


def diagnose_discovery(result: DiscoveryResult) -> tuple[Finding, ...]:
    """Findings about discovery: nothing found, provider status and hints, trusted sources
    that disagree, untrusted hosts outside the address's domain, plaintext-only sources,
    and services DNS says are not offered.
    """
    found: list[Finding] = []
    if not result.candidates:
        found.append(_nothing_found(result))
    if result.provider is not None:
        provider = _provider(result.provider)
        if provider is not None:
            found.append(provider)
    found.extend(_disagreements(result))
    found.extend(_foreign_hosts(result))
    found.extend(_plaintext_sources(result))
    found.extend(_not_offered(result))
    found.extend(_source_problems(result))
    return tuple(found)
