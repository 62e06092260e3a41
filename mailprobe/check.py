"""The three jobs behind the commands: discover, check (discover + verify), probe one endpoint.

Each returns a `Report`. Probes of distinct endpoints run concurrently, bounded by a
global connection limit and at most two at once per host, under the same deadline as
discovery. Credentials go only to endpoints that a trusted source or the user named.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from mailprobe.address import parse_address
from mailprobe.discovery import discover, rank_candidates
from mailprobe.models import (
    IMPLICIT_TLS_PORTS,
    STANDARD_PORTS,
    Address,
    Candidate,
    DiscoveryOptions,
    DiscoveryResult,
    Finding,
    LoginResult,
    LoginStatus,
    ProbedCandidate,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Provenance,
    Recommendation,
    Report,
    Security,
    ServerSetting,
    SourceId,
    SourceOutcome,
)

if TYPE_CHECKING:
    from mailprobe.net.dns import DnsClient
    from mailprobe.probe import Credentials
    from mailprobe.providerdb import ProviderDb

#: Share of the deadline discovery may use in `check`, so probes keep time of their own.
DISCOVERY_SHARE = 0.5


@dataclass(frozen=True)
class CheckOptions:
    """What verification may do, on top of the discovery options."""

    discovery: DiscoveryOptions = field(default_factory=DiscoveryOptions)
    max_connections: int = 10
    per_host_connections: int = 2
    credentials: Credentials | None = None
    username_override: bool = False
    allow_plaintext_login: bool = False
    sender_check: bool = False
    ipv4_only: bool = False


#: Called when a probe starts (candidate) and ends (candidate, result); for progress output.
ProbeObserver = Callable[[Candidate, ProbeResult | None], None]


def _report(
    discovery: DiscoveryResult,
    probed: Sequence[ProbedCandidate],
    findings: Sequence[Finding],
    *,
    was_probed: bool,
) -> Report:
    from mailprobe.diagnose import sort_findings

    recommended = {p: recommend(p, probed, was_probed=was_probed) for p in Protocol}
    return Report(
        address=discovery.address.text if discovery.address.local else None,
        domain=discovery.address.domain,
        provider=discovery.provider,
        recommended=recommended,
        candidates=tuple(probed),
        sources=discovery.sources,
        findings=sort_findings(findings),
        probed=was_probed,
    )


def _works(probe: ProbeResult | None) -> bool:
    """The server answered as configured; a refused password still proves the setting."""
    return probe is not None and probe.status in (ProbeStatus.OK, ProbeStatus.AUTH_FAILED)


def recommend(
    protocol: Protocol, probed: Sequence[ProbedCandidate], *, was_probed: bool
) -> Recommendation | None:
    """The setting to use for `protocol`.

    Without probes: the best-ranked candidate that is not a bare guess. With probes: the
    best-ranked one that worked, preferring a verified certificate; if none worked, the
    best-ranked candidate marked unverified.
    """
    options = [pc for pc in probed if pc.candidate.protocol is protocol]
    if not options:
        return None
    if not was_probed:
        named = [pc for pc in options if pc.candidate.source_ids != (SourceId.GUESS,)]
        return Recommendation(named[0].candidate, verified=None) if named else None
    working = [pc for pc in options if _works(pc.probe)]
    if working:

        def cert_ok(pc: ProbedCandidate) -> int:
            tls = pc.probe.tls if pc.probe is not None else None
            security = pc.candidate.setting.security
            return 0 if security is not Security.PLAIN and tls is not None and tls.verified else 1

        best = min(working, key=lambda pc: (cert_ok(pc), working.index(pc)))
        return Recommendation(best.candidate, verified=True)
    return Recommendation(options[0].candidate, verified=False)


async def run_discover(
    address: str | Address,
    options: DiscoveryOptions | None = None,
    *,
    providers: ProviderDb | None = None,
    on_outcome: Callable[[SourceOutcome], None] | None = None,
) -> Report:
    """Discover only: no connection to any mail server. Probe fields stay None."""
    from mailprobe.diagnose import diagnose_discovery

    result = await discover(address, options, providers=providers, on_outcome=on_outcome)
    probed = [ProbedCandidate(c, None) for c in result.candidates]
    return _report(result, probed, diagnose_discovery(result), was_probed=False)


def _may_send_password(candidate: Candidate) -> tuple[bool, str]:
    if any(p.source is SourceId.USER for p in candidate.sources):
        return True, ""
    if candidate.trusted:
        return True, ""
    return False, "not attempted: this host was learned only from an untrusted source"


async def probe_candidates(
    candidates: Sequence[Candidate],
    options: CheckOptions,
    dns: DnsClient,
    deadline: float,
    on_probe: ProbeObserver | None = None,
    default_username: str | None = None,
) -> list[ProbedCandidate]:
    """Probe each candidate once, concurrently within the connection limits and deadline.

    The result keeps the order of `candidates`; a probe still running at the deadline is
    reported as a timeout.
    """
    from mailprobe.probe import ProbeTimeouts, probe_endpoint

    global_limit = asyncio.Semaphore(max(1, options.max_connections))
    host_limits: dict[str, asyncio.Semaphore] = {}
    net = options.discovery.net

    async def one(candidate: Candidate) -> ProbeResult:
        setting = candidate.setting
        host_key = setting.host.lower().rstrip(".")
        host_limit = host_limits.setdefault(
            host_key, asyncio.Semaphore(max(1, options.per_host_connections))
        )
        credentials = options.credentials
        refusal = ""
        if credentials is not None:
            allowed, refusal = _may_send_password(candidate)
            if not allowed:
                credentials = None
            elif not options.username_override:
                username = setting.username or default_username or credentials.username
                credentials = replace(credentials, username=username)
        sender = default_username if default_username and "@" in default_username else None
        if sender is None and credentials is not None and "@" in credentials.username:
            sender = credentials.username
        async with global_limit, host_limit:
            remaining = max(0.5, deadline - time.monotonic())
            if on_probe is not None:
                on_probe(candidate, None)
            result = await probe_endpoint(
                setting.protocol,
                setting.host,
                setting.port,
                setting.security,
                dns=dns,
                net=net,
                timeouts=ProbeTimeouts.within(remaining),
                credentials=credentials,
                allow_plaintext_login=options.allow_plaintext_login,
                sender_check=(sender if credentials and options.sender_check and sender else None),
            )
        if refusal and options.credentials is not None and result.login is None:
            result = replace(result, login=LoginResult(LoginStatus.NOT_ATTEMPTED, refusal))
        if on_probe is not None:
            on_probe(candidate, result)
        return result

    tasks = [asyncio.create_task(one(c)) for c in candidates]
    if tasks:
        remaining = max(0.0, deadline - time.monotonic())
        _done, pending = await asyncio.wait(tasks, timeout=remaining + 0.5)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
    results: list[ProbedCandidate] = []
    for candidate, task in zip(candidates, tasks, strict=True):
        if task.cancelled():
            probe = ProbeResult(ProbeStatus.TIMEOUT, "no result within the overall deadline")
        else:
            probe = task.result()
        results.append(ProbedCandidate(candidate, probe))
    return results


def _keep(pc: ProbedCandidate) -> bool:
    """Bare guesses stay in the report only when a probe confirmed them."""
    if pc.candidate.source_ids != (SourceId.GUESS,):
        return True
    return _works(pc.probe)


async def run_check(
    address: str | Address,
    options: CheckOptions | None = None,
    *,
    providers: ProviderDb | None = None,
    dns: DnsClient | None = None,
    on_outcome: Callable[[SourceOutcome], None] | None = None,
    on_probe: ProbeObserver | None = None,
) -> Report:
    """Discover the settings for `address`, probe every distinct endpoint, and diagnose.

    One deadline (`--timeout`) covers the whole run: discovery may use half of it, the
    probes the rest.
    """
    from mailprobe.diagnose import diagnose_discovery, diagnose_probe, diagnose_service
    from mailprobe.net.dns import DnsClient

    opts = options or CheckOptions()
    net = opts.discovery.net
    start = time.monotonic()
    deadline = start + net.timeout
    resolver = dns or DnsClient(net.nameservers, timeout=min(net.timeout, 5.0))
    parsed = address if isinstance(address, Address) else parse_address(address)
    result = await discover(
        parsed,
        opts.discovery,
        providers=providers,
        dns=resolver,
        on_outcome=on_outcome,
        deadline=start + net.timeout * DISCOVERY_SHARE,
    )
    chosen = list(result.candidates)
    probed = await probe_candidates(
        chosen, opts, resolver, deadline, on_probe, default_username=parsed.text
    )
    kept = [pc for pc in probed if _keep(pc)]
    findings: list[Finding] = list(diagnose_discovery(result))
    for pc in kept:
        if pc.probe is not None:
            findings.extend(diagnose_probe(pc.candidate, pc.probe))
    for protocol in Protocol:
        findings.extend(
            diagnose_service(protocol, [pc for pc in kept if pc.candidate.protocol is protocol])
        )
    return _report(result, kept, findings, was_probed=True)


def infer_protocol(port: int) -> Protocol | None:
    """The protocol a standard port implies (993 -> IMAP, 465 -> SMTP, ...), else None."""
    for (protocol, _security), standard in STANDARD_PORTS.items():
        if standard == port:
            return protocol
    if port == 25:
        return Protocol.SMTP
    return None


def infer_security(port: int) -> Security:
    """The mode a port implies: implicit TLS on 993/995/465, STARTTLS elsewhere."""
    return Security.TLS if port in IMPLICIT_TLS_PORTS else Security.STARTTLS


def user_candidates(
    host: str, port: int | None, protocol: Protocol, security: Security | None
) -> tuple[Candidate, ...]:
    """The endpoints to try for a setting the user typed, filling in what is missing.

    No port: both standard ports of the protocol (implicit TLS and STARTTLS, or the given
    mode only). No mode: the one the port implies (the probe says if the port disagrees).
    """
    origin = f"{host}:{port}" if port else host
    provenance = Provenance(SourceId.USER, origin, trusted=True)
    settings: list[ServerSetting] = []
    if port is None:
        modes = [security] if security is not None else [Security.TLS, Security.STARTTLS]
        for mode in modes:
            standard = STANDARD_PORTS[(protocol, mode)]
            settings.append(ServerSetting(protocol, host, standard, mode))
    else:
        settings.append(ServerSetting(protocol, host, port, security or infer_security(port)))
    return rank_candidates(Candidate(s, (provenance,)) for s in settings)


async def run_probe(
    host: str,
    port: int | None,
    protocol: Protocol,
    security: Security | None,
    options: CheckOptions | None = None,
    *,
    dns: DnsClient | None = None,
    on_probe: ProbeObserver | None = None,
) -> Report:
    """Verify a setting the user typed in; detect a missing port or mode."""
    from mailprobe.address import normalise_domain
    from mailprobe.diagnose import diagnose_probe, diagnose_service
    from mailprobe.net.dns import DnsClient
    from mailprobe.net.ipaddr import is_ip_literal

    opts = options or CheckOptions()
    net = opts.discovery.net
    name = (
        host.strip("[]")
        if is_ip_literal(host)
        else normalise_domain(host, allow_single_label=True)[0]
    )
    deadline = time.monotonic() + net.timeout
    resolver = dns or DnsClient(net.nameservers, timeout=min(net.timeout, 5.0))
    candidates = user_candidates(name, port, protocol, security)
    probed = await probe_candidates(candidates, opts, resolver, deadline, on_probe)
    findings: list[Finding] = []
    for pc in probed:
        if pc.probe is not None:
            findings.extend(diagnose_probe(pc.candidate, pc.probe))
    findings.extend(diagnose_service(protocol, probed))
    pseudo = DiscoveryResult(
        address=Address(local="", domain=name, unicode_domain=name),
        candidates=candidates,
        sources=(),
    )
    return _report(pseudo, probed, findings, was_probed=True)


__all__ = [
    "CheckOptions",
    "infer_protocol",
    "infer_security",
    "recommend",
    "run_check",
    "run_discover",
    "run_probe",
    "user_candidates",
]
