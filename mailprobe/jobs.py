"""The three jobs behind the commands: discover, check (discover + verify), probe one endpoint.

Each returns a `Report`. Probes of distinct endpoints run concurrently, bounded by a
global connection limit and at most two at once per host, under the same deadline as
discovery. Credentials go only to endpoints that a trusted source or the user named.
"""

from __future__ import annotations

import asyncio
import logging
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

log = logging.getLogger("mailprobe.jobs")

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
    check_weak_tls: bool = False


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


class Prober:
    """Starts at most one probe per endpoint, within the connection limits and deadline.

    Probes may be started while discovery is still running (`start`), then collected for
    the final, merged candidate list (`collect`): a probe is keyed by its endpoint, so the
    result does not depend on which source named the endpoint first.
    """

    def __init__(
        self,
        options: CheckOptions,
        dns: DnsClient,
        deadline: float,
        on_probe: ProbeObserver | None = None,
        default_username: str | None = None,
    ) -> None:
        self._options = options
        self._dns = dns
        self._deadline = deadline
        self._on_probe = on_probe
        self._default_username = default_username
        self._global_limit = asyncio.Semaphore(max(1, options.max_connections))
        self._host_limits: dict[str, asyncio.Semaphore] = {}
        self._tasks: dict[tuple[Protocol, str, int, Security], asyncio.Task[ProbeResult]] = {}

    def start(self, candidate: Candidate) -> None:
        """Start probing `candidate`'s endpoint unless a probe of it already started."""
        key = candidate.setting.endpoint
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._probe(candidate))

    def _credentials(self, candidate: Candidate) -> tuple[Credentials | None, str]:
        credentials = self._options.credentials
        if credentials is None:
            return None, ""
        allowed, refusal = _may_send_password(candidate)
        if not allowed:
            return None, refusal
        if not self._options.username_override:
            username = candidate.setting.username or self._default_username or credentials.username
            credentials = replace(credentials, username=username)
        return credentials, ""

    def _sender(self, credentials: Credentials | None) -> str | None:
        if credentials is None or not self._options.sender_check:
            return None
        for sender in (self._default_username, credentials.username):
            if sender and "@" in sender:
                return sender
        return None

    async def _probe(self, candidate: Candidate) -> ProbeResult:
        from mailprobe.probe import ProbeTimeouts, probe_endpoint

        setting = candidate.setting
        host_limit = self._host_limits.setdefault(
            setting.host.lower().rstrip("."),
            asyncio.Semaphore(max(1, self._options.per_host_connections)),
        )
        credentials, refusal = self._credentials(candidate)
        async with self._global_limit, host_limit:
            remaining = max(0.5, self._deadline - time.monotonic())
            log.debug(
                "probe %s %s:%s %s: start (login %s, %.1f s left)",
                setting.protocol,
                setting.host,
                setting.port,
                setting.security,
                "yes" if credentials is not None else "no",
                remaining,
            )
            if self._on_probe is not None:
                self._on_probe(candidate, None)
            result = await probe_endpoint(
                setting.protocol,
                setting.host,
                setting.port,
                setting.security,
                dns=self._dns,
                net=self._options.discovery.net,
                timeouts=ProbeTimeouts.within(remaining),
                credentials=credentials,
                allow_plaintext_login=self._options.allow_plaintext_login,
                sender_check=self._sender(credentials),
                check_weak_tls=self._options.check_weak_tls,
            )
        if refusal and result.login is None:
            result = replace(result, login=LoginResult(LoginStatus.NOT_ATTEMPTED, refusal))
        log.debug(
            "probe %s %s:%s %s: %s %s (%s ms, %d connection(s))",
            setting.protocol,
            setting.host,
            setting.port,
            setting.security,
            result.status,
            result.reason,
            result.timings.total,
            result.connections,
        )
        if self._on_probe is not None:
            self._on_probe(candidate, result)
        return result

    async def collect(self, candidates: Sequence[Candidate]) -> list[ProbedCandidate]:
        """Probe every candidate (reusing started probes); results in `candidates` order.

        A probe still running at the deadline is cancelled and reported as a timeout.
        """
        for candidate in candidates:
            self.start(candidate)
        tasks = [self._tasks[c.setting.endpoint] for c in candidates]
        if tasks:
            remaining = max(0.0, self._deadline - time.monotonic())
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

    async def cancel_unused(self, candidates: Sequence[Candidate]) -> None:
        """Stop probes of endpoints that did not make it into `candidates`."""
        wanted = {c.setting.endpoint for c in candidates}
        stray = [t for k, t in self._tasks.items() if k not in wanted]
        for task in stray:
            task.cancel()
        if stray:
            await asyncio.gather(*stray, return_exceptions=True)


async def probe_candidates(
    candidates: Sequence[Candidate],
    options: CheckOptions,
    dns: DnsClient,
    deadline: float,
    on_probe: ProbeObserver | None = None,
    default_username: str | None = None,
) -> list[ProbedCandidate]:
    """Probe each candidate once, concurrently within the connection limits and deadline."""
    prober = Prober(options, dns, deadline, on_probe, default_username)
    return await prober.collect(candidates)


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
    prober = Prober(opts, resolver, deadline, on_probe, default_username=parsed.text)

    def source_done(outcome: SourceOutcome) -> None:
        if on_outcome is not None:
            on_outcome(outcome)
        # Probe what a source named while the others are still working. Guesses wait for
        # the merge (they are dropped where a real source answers), and so does anything
        # that may receive a password (trust is only known once all sources are in).
        if outcome.source is not SourceId.GUESS and opts.credentials is None:
            for candidate in outcome.candidates:
                prober.start(candidate)

    result = await discover(
        parsed,
        opts.discovery,
        providers=providers,
        dns=resolver,
        on_outcome=source_done,
        deadline=start + net.timeout * DISCOVERY_SHARE,
    )
    probed = await prober.collect(result.candidates)
    await prober.cancel_unused(result.candidates)
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
