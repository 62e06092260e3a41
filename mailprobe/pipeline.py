"""The three jobs behind the commands: discover, check (discover + verify), probe one endpoint.

Each returns a `Report`. In `check`, probes (see `probes/scheduler.py`) start as soon as a
source names an endpoint, so discovery and verification overlap under one deadline.
Offline, nothing is contacted: `check` then reports what `discover` reports, and
`discover_offline` gives that report without an event loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mailprobe.address import parse_address
from mailprobe.discovery import discover, discover_offline, rank_candidates
from mailprobe.models import (
    STANDARD_PORTS,
    Address,
    Candidate,
    DiscoveryOptions,
    DiscoveryResult,
    Finding,
    NetOptions,
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
    default_security,
)
from mailprobe.probes.options import CheckOptions

if TYPE_CHECKING:
    from mailprobe.net.dns import DnsClient
    from mailprobe.probes.scheduler import ProbeObserver
    from mailprobe.providers import ProviderDb

#: Share of the deadline discovery may use in `check`, so probes keep time of their own.
DISCOVERY_SHARE = 0.5

#: Seconds past `timeout` a run may take to stop what still runs, diagnose and build the
#: report. Nothing starts after the deadline, so wall time stays within timeout + this.
DEADLINE_MARGIN = 0.3


def _report(
    discovery: DiscoveryResult,
    probed: Sequence[ProbedCandidate],
    findings: Sequence[Finding],
    *,
    was_probed: bool,
    started: float,
) -> Report:
    """Assemble the report; `started` is the `time.monotonic()` at which the run began."""
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
        generated_at=datetime.now(UTC),
        duration_ms=round((time.monotonic() - started) * 1000, 1),
    )


def _works(probe: ProbeResult | None) -> bool:
    """The server answered as configured; a refused password still proves the setting."""
    return probe is not None and probe.status in (ProbeStatus.OK, ProbeStatus.AUTH_FAILED)


def recommend(
    protocol: Protocol, probed: Sequence[ProbedCandidate], *, was_probed: bool
) -> Recommendation | None:
    """The setting to use for `protocol`.

    Without probes: the best-ranked candidate that is not a bare guess. With probes: the
    best-ranked one whose server answered, preferring one that accepted the login (when a
    login was tested), then a verified certificate; if none answered, the best-ranked
    candidate. It is `verified` only when its probe ended `ok`: a server that rejected the
    password proves the setting but not that the account works. The recommendation carries
    its endpoint's probe result.
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

        def login_ok(pc: ProbedCandidate) -> int:
            return 0 if pc.probe is not None and pc.probe.status is ProbeStatus.OK else 1

        best = min(working, key=lambda pc: (login_ok(pc), cert_ok(pc), working.index(pc)))
        verified = best.probe is not None and best.probe.status is ProbeStatus.OK
        return Recommendation(best.candidate, verified=verified, probe=best.probe)
    return Recommendation(options[0].candidate, verified=False, probe=options[0].probe)


def _discovery_report(result: DiscoveryResult, started: float) -> Report:
    from mailprobe.diagnose import diagnose_discovery

    probed = [ProbedCandidate(c, None) for c in result.candidates]
    return _report(result, probed, diagnose_discovery(result), was_probed=False, started=started)


def run_discover_offline(
    address: str | Address,
    options: DiscoveryOptions | None = None,
    *,
    providers: ProviderDb | None = None,
    on_outcome: Callable[[SourceOutcome], None] | None = None,
) -> Report:
    """The offline discover report, computed without an event loop: nothing is contacted."""
    started = time.monotonic()
    result = discover_offline(address, options, providers=providers, on_outcome=on_outcome)
    return _discovery_report(result, started)


async def run_discover(
    address: str | Address,
    options: DiscoveryOptions | None = None,
    *,
    providers: ProviderDb | None = None,
    dns: DnsClient | None = None,
    on_outcome: Callable[[SourceOutcome], None] | None = None,
) -> Report:
    """Discover only: no connection to any mail server. Probe fields stay None."""
    if options is not None and options.offline:
        return run_discover_offline(address, options, providers=providers, on_outcome=on_outcome)
    started = time.monotonic()
    net = (options or DiscoveryOptions()).net
    result = await discover(
        address,
        options,
        providers=providers,
        dns=dns or _dns_client(net),
        on_outcome=on_outcome,
    )
    return _discovery_report(result, started)


def _dns_client(net: NetOptions) -> DnsClient:
    from mailprobe.net.dns import client_for

    return client_for(net)


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
    probes the rest; a probe that cannot finish in the time left is `skipped`. With
    `offline` set nothing is contacted and the report is the offline discover report.
    """
    from mailprobe.diagnose import diagnose_discovery, diagnose_probe, diagnose_service
    from mailprobe.probes.scheduler import Prober

    opts = options or CheckOptions()
    if opts.discovery.offline:
        return run_discover_offline(
            address, opts.discovery, providers=providers, on_outcome=on_outcome
        )
    net = opts.discovery.net
    start = time.monotonic()
    deadline = start + net.timeout
    resolver = dns or _dns_client(net)
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
            findings.extend(
                diagnose_probe(pc.candidate, pc.probe, now_days_warning=opts.cert_warn_days)
            )
    for protocol in Protocol:
        findings.extend(
            diagnose_service(protocol, [pc for pc in kept if pc.candidate.protocol is protocol])
        )
    return _report(result, kept, findings, was_probed=True, started=start)


def infer_protocol(port: int) -> Protocol | None:
    """The protocol a standard port implies (993 -> IMAP, 465 -> SMTP, ...), else None."""
    for (protocol, _security), standard in STANDARD_PORTS.items():
        if standard == port:
            return protocol
    if port == 25:
        return Protocol.SMTP
    return None


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
        settings.append(ServerSetting(protocol, host, port, security or default_security(port)))
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
    from mailprobe.errors import InvalidOptionError
    from mailprobe.net.ipaddr import is_ip_literal
    from mailprobe.probes.scheduler import probe_candidates

    opts = options or CheckOptions()
    if opts.discovery.offline:
        raise InvalidOptionError("probe needs the network: it cannot run offline")
    net = opts.discovery.net
    name = (
        host.strip("[]")
        if is_ip_literal(host)
        else normalise_domain(host, allow_single_label=True)[0]
    )
    started = time.monotonic()
    deadline = started + net.timeout
    resolver = dns or _dns_client(net)
    candidates = user_candidates(name, port, protocol, security)
    probed = await probe_candidates(candidates, opts, resolver, deadline, on_probe)
    findings: list[Finding] = []
    for pc in probed:
        if pc.probe is not None:
            findings.extend(
                diagnose_probe(pc.candidate, pc.probe, now_days_warning=opts.cert_warn_days)
            )
    findings.extend(diagnose_service(protocol, probed))
    pseudo = DiscoveryResult(
        address=Address(local="", domain=name, unicode_domain=name),
        candidates=candidates,
        sources=(),
    )
    return _report(pseudo, probed, findings, was_probed=True, started=started)


__all__ = [
    "DEADLINE_MARGIN",
    "CheckOptions",
    "infer_protocol",
    "recommend",
    "run_check",
    "run_discover",
    "run_discover_offline",
    "run_probe",
    "user_candidates",
]
