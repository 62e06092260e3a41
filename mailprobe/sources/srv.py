"""The `srv` source: DNS SRV records for mail services (RFC 6186, RFC 8314).

Six names are looked up at once: `_imaps._tcp.D`, `_imap._tcp.D`, `_pop3s._tcp.D`,
`_pop3._tcp.D`, `_submissions._tcp.D` and `_submission._tcp.D`. Each record becomes a
candidate whose provenance origin is the record name; it is trusted only when the answer
was DNSSEC-authenticated (AD bit). The username is the full address (RFC 6186 §3).

A record set whose only target is `.` says the service is deliberately not offered
(RFC 2782): it gives no candidate but a `NotOffered` entry on the outcome.

Ordering: RFC 2782 orders by priority and then picks randomly by weight, which would make
reports differ between runs. Candidates keep dnspython's priority grouping
(`Rdataset.processing_order`) but list each priority group by weight (heaviest, i.e. most
likely picked first, on top), then target and port, so the output is stable.
`selection_order` gives the randomised RFC 2782 order for a client that wants it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

import dns.name
import dns.rdata
import dns.rdataset
from dns.rdtypes.IN.SRV import SRV

from mailprobe.models import (
    Candidate,
    Cause,
    NotOffered,
    Protocol,
    Provenance,
    Security,
    ServerSetting,
    SourceId,
    SourceOutcome,
    SourceStatus,
)
from mailprobe.net.dns import DnsAnswer, DnsStatus
from mailprobe.sources.base import SourceContext, skipped

SOURCE = SourceId.SRV


@dataclass(frozen=True)
class SrvService:
    """One RFC 6186 / RFC 8314 service label and the setting it stands for."""

    label: str  # e.g. "_imaps._tcp"
    protocol: Protocol
    security: Security

    def record_name(self, domain: str) -> str:
        """The SRV owner name for `domain`, e.g. `_imaps._tcp.example.org`."""
        return f"{self.label}.{domain.rstrip('.')}"


#: The services looked up, in report order (implicit TLS before STARTTLS, per RFC 8314).
SERVICES: tuple[SrvService, ...] = (
    SrvService("_imaps._tcp", Protocol.IMAP, Security.TLS),
    SrvService("_imap._tcp", Protocol.IMAP, Security.STARTTLS),
    SrvService("_pop3s._tcp", Protocol.POP3, Security.TLS),
    SrvService("_pop3._tcp", Protocol.POP3, Security.STARTTLS),
    SrvService("_submissions._tcp", Protocol.SMTP, Security.TLS),
    SrvService("_submission._tcp", Protocol.SMTP, Security.STARTTLS),
)


def service_of(record_name: str) -> SrvService | None:
    """The service a record name such as `_pop3._tcp.example.org` belongs to, if any."""
    lowered = record_name.lower()
    for service in SERVICES:
        if lowered.startswith(service.label + "."):
            return service
    return None


def report_order(records: Iterable[SRV]) -> list[SRV]:
    """SRV records in a stable RFC 2782 order for reports.

    Priority groups come first, lowest priority first, as RFC 2782 clients try them;
    inside a group the random weighted pick (`selection_order`) is replaced by weight
    descending, then target and port, so equal inputs always give equal output.
    """
    return sorted(records, key=lambda r: (r.priority, -r.weight, _host(r), r.port))


def selection_order(records: Iterable[SRV]) -> list[SRV]:
    """The order an RFC 2782 client would try the records in (weighted random; dnspython)."""
    rdatas: list[dns.rdata.Rdata] = list(records)
    if not rdatas:
        return []
    chosen = dns.rdataset.from_rdata_list(0, rdatas).processing_order()
    return [r for r in chosen if isinstance(r, SRV)]


#: Most targets taken from one SRV name; a real service has one or a few.
MAX_TARGETS_PER_NAME = 8


def _host(record: SRV) -> str:
    target: dns.name.Name = record.target
    return target.to_text(omit_final_dot=True).lower()


@dataclass(frozen=True)
class _Lookup:
    """What one service's record set contributed."""

    service: SrvService
    origin: str
    answer: DnsAnswer
    candidates: tuple[Candidate, ...]
    not_offered: bool
    notes: tuple[str, ...]


def _read(service: SrvService, origin: str, answer: DnsAnswer, username: str) -> _Lookup:
    records = [r for r in answer.records if isinstance(r, SRV)]
    real = [r for r in records if r.target != dns.name.root]
    notes: list[str] = []
    candidates: list[Candidate] = []
    provenance = Provenance(SOURCE, origin, trusted=answer.authenticated)
    ordered = report_order(real)
    if len(ordered) > MAX_TARGETS_PER_NAME:
        notes.append(
            f"{origin}: {len(ordered) - MAX_TARGETS_PER_NAME} more target(s) ignored "
            f"(mailprobe takes the first {MAX_TARGETS_PER_NAME} in RFC 2782 order)"
        )
        ordered = ordered[:MAX_TARGETS_PER_NAME]
    for record in ordered:
        if record.port == 0:
            notes.append(f"{origin}: ignored {_host(record)} with port 0")
            continue
        setting = ServerSetting(
            protocol=service.protocol,
            host=_host(record),
            port=record.port,
            security=service.security,
            username=username,
        )
        candidates.append(Candidate(setting, (provenance,)))
    if real and len(real) < len(records):
        notes.append(f"{origin}: ignored the '.' target next to real targets")
    not_offered = bool(records) and not real
    return _Lookup(service, origin, answer, tuple(candidates), not_offered, tuple(notes))


async def run(ctx: SourceContext) -> SourceOutcome:
    """Look up the six mail SRV names concurrently and turn the records into candidates."""
    if ctx.options.offline:
        return skipped(SOURCE, "offline: no network")
    domain = ctx.address.domain
    origins = [service.record_name(domain) for service in SERVICES]
    answers = await asyncio.gather(*(ctx.dns.query(origin, "SRV") for origin in origins))
    lookups = [
        _read(service, origin, answer, ctx.address.text)
        for service, origin, answer in zip(SERVICES, origins, answers, strict=True)
    ]
    return _outcome(lookups)


def _outcome(lookups: list[_Lookup]) -> SourceOutcome:
    candidates = tuple(c for lookup in lookups for c in lookup.candidates)
    not_offered = tuple(
        NotOffered(lookup.service.protocol, lookup.service.security, lookup.origin)
        for lookup in lookups
        if lookup.not_offered
    )
    failed = [lookup for lookup in lookups if not lookup.answer.status.is_answer]
    parts: list[str] = []
    for lookup in lookups:
        if lookup.candidates:
            targets = ", ".join(f"{c.setting.host}:{c.setting.port}" for c in lookup.candidates)
            signed = " (DNSSEC-authenticated)" if lookup.answer.authenticated else ""
            parts.append(f"{lookup.origin} -> {targets}{signed}")
    if not_offered:
        names = ", ".join(n.origin for n in not_offered)
        parts.append(f"explicitly not offered (target '.'): {names}")
    parts.extend(note for lookup in lookups for note in lookup.notes)
    parts.extend(_failures(failed))
    absent = len(lookups) - len(failed) - sum(1 for x in lookups if x.candidates or x.not_offered)
    if absent and not candidates:
        parts.append(f"no SRV record at {absent} of {len(lookups)} names")
    detail = "; ".join(parts)
    if candidates:
        return SourceOutcome(
            SOURCE, SourceStatus.FOUND, 0.0, detail, candidates, not_offered=not_offered
        )
    if failed:
        # Without an answer from every name we cannot claim that nothing exists.
        all_timeouts = all(x.answer.status is DnsStatus.TIMEOUT for x in failed)
        status = SourceStatus.TIMEOUT if all_timeouts else SourceStatus.ERROR
        causes = [x.answer.status.cause for x in failed]
        cause = Cause.DNS_TIMEOUT if all_timeouts else _first_failure(causes)
        return SourceOutcome(SOURCE, status, 0.0, detail, not_offered=not_offered, cause=cause)
    return SourceOutcome(SOURCE, SourceStatus.EMPTY, 0.0, detail, not_offered=not_offered)


def _first_failure(causes: Iterable[Cause | None]) -> Cause:
    """The first cause that is not a timeout (a mix of failures is reported as the error)."""
    return next((c for c in causes if c and c is not Cause.DNS_TIMEOUT), Cause.DNS_FAILED)


def _failures(failed: list[_Lookup]) -> list[str]:
    """One line per distinct failure reason, naming every record name it hit."""
    by_reason: dict[str, list[str]] = {}
    for lookup in failed:
        answer = lookup.answer
        reason = answer.detail.removeprefix(f"DNS lookup of {answer.name} {answer.rdtype} ")
        by_reason.setdefault(reason, []).append(lookup.origin)
    return [f"lookup of {', '.join(names)} {reason}" for reason, names in by_reason.items()]
