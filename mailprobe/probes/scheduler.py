"""Probing many candidates at once: one probe per endpoint, within limits and a deadline.

At most `max_connections` probes run at once, and at most `per_host_connections` against
one host. Credentials go only to endpoints that a trusted source or the user named.

The deadline is kept, not approximated: a probe gets exactly the time left as its overall
limit, a probe that would start with less than `MIN_PROBE_SECONDS` left is not started
(`skipped`, with the reason), and whatever still runs at the deadline is cancelled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from mailprobe.models import (
    Candidate,
    LoginResult,
    LoginStatus,
    ProbedCandidate,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Security,
    SourceId,
)
from mailprobe.probes.options import CheckOptions as CheckOptions  # its old home

if TYPE_CHECKING:
    from mailprobe.net.dns import DnsClient
    from mailprobe.probes import Credentials
    from mailprobe.redact import Redactor

log = logging.getLogger("mailprobe.probes.scheduler")

#: The least time a probe needs to say anything useful (connect, greeting and a capability
#: round trip); a probe that would start with less left is reported `skipped` instead.
MIN_PROBE_SECONDS = 0.25

#: How long past the deadline `collect` waits for probes to turn their own timeout into a
#: result before cancelling them (each probe's limit already ends at the deadline).
_SETTLE_SECONDS = 0.05


#: Called when a probe starts (candidate) and ends (candidate, result); for progress output.
ProbeObserver = Callable[[Candidate, ProbeResult | None], None]


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
        self._redactor: Redactor | None = None
        self._tasks: dict[tuple[Protocol, str, int, Security], asyncio.Future[ProbeResult]] = {}

    def start(self, candidate: Candidate) -> None:
        """Start probing `candidate`'s endpoint unless a probe of it already started."""
        key = candidate.setting.endpoint
        if key in self._tasks:
            return
        shared = self._options.shared_probes
        if shared is not None and self._options.credentials is None:
            self._tasks[key] = shared.task(key, lambda: self._probe(candidate))
        else:
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

    def _scrubber(self) -> Redactor:
        """One redactor for every probe, also those that get no password: a server may
        print it anyway (e.g. an untrusted endpoint of a host that did get it)."""
        if self._redactor is None:
            from mailprobe.redact import Redactor

            creds = self._options.credentials
            self._redactor = creds.redactor() if creds is not None else Redactor()
        return self._redactor

    def _sender(self, credentials: Credentials | None) -> str | None:
        if credentials is None or not self._options.sender_check:
            return None
        for sender in (self._default_username, credentials.username):
            if sender and "@" in sender:
                return sender
        return None

    async def _probe(self, candidate: Candidate) -> ProbeResult:
        from mailprobe.probes import ProbeTimeouts, probe_endpoint

        setting = candidate.setting
        host_limit = self._host_limits.setdefault(
            setting.host.lower().rstrip("."),
            asyncio.Semaphore(max(1, self._options.per_host_connections)),
        )
        credentials, refusal = self._credentials(candidate)
        async with self._global_limit, host_limit:
            remaining = self._deadline - time.monotonic()
            if remaining < MIN_PROBE_SECONDS:
                return self._skipped(candidate, remaining)
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
                redactor=credentials.redactor() if credentials is not None else self._scrubber(),
                transcript=self._options.transcript,
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

    def _skipped(self, candidate: Candidate, remaining: float) -> ProbeResult:
        setting = candidate.setting
        left = max(0.0, remaining)
        reason = (
            f"not started: {left:.2f} s left before the overall deadline, "
            f"less than the {MIN_PROBE_SECONDS:g} s a probe needs"
        )
        log.debug(
            "probe %s %s:%s %s: %s",
            setting.protocol,
            setting.host,
            setting.port,
            setting.security,
            reason,
        )
        result = ProbeResult(ProbeStatus.SKIPPED, reason, connections=0)
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
            _done, pending = await asyncio.wait(tasks, timeout=remaining + _SETTLE_SECONDS)
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
