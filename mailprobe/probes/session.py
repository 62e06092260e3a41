"""`probe_endpoint`: one endpoint, one connection (a second only to name a failure).

The first connection follows the requested security. A second one is made only when it
can name a failure the first could not:

- strict certificate or TLS-version failure -> one permissive connection to learn the
  version and certificate and say why (expired, self-signed, wrong name, TLS 1.0 only...);
- TLS spoken to a plain/STARTTLS port (the server answers in plain text at once) -> one
  plain connection to learn what the port speaks; if it says nothing there, the same
  ClientHello is sent over it in plain text and the answer kept (an HTTP server, ...);
- no greeting in plain text (plain spoken to an implicit-TLS port hangs) -> one TLS
  connection; if it works the port is reported as implicit TLS.

Optionally (`check_weak_tls`), a successful TLS probe spends its second connection on
asking whether the server still accepts TLS 1.0/1.1.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import replace

from mailprobe.models import (
    Cause,
    FailedAttempt,
    NetOptions,
    ProbePhase,
    ProbeResult,
    Protocol,
    Security,
    TranscriptEntry,
)
from mailprobe.net.connect import Connection, open_connection
from mailprobe.net.dns import DnsClient
from mailprobe.net.failures import (
    DNS_CAUSES,
    AttemptFailure,
    ConnectFailed,
    Failure,
    classify,
    is_plaintext_answer,
)
from mailprobe.net.tlsctx import permissive_context, strict_context
from mailprobe.probes.dialog import Observation, Plan, ProbeStop, ProbeTimeouts, Session
from mailprobe.probes.imap import run_imap
from mailprobe.probes.login import Credentials
from mailprobe.probes.outcome import compose, scrub, with_weak_tls
from mailprobe.probes.pop3 import run_pop3
from mailprobe.probes.smtp import run_smtp, validate_sender
from mailprobe.probes.tls import client_hello, legacy_context
from mailprobe.probes.transcript import Recorder
from mailprobe.redact import Redactor

_SCRIPTS = {Protocol.IMAP: run_imap, Protocol.POP3: run_pop3, Protocol.SMTP: run_smtp}


async def probe_endpoint(
    protocol: Protocol | str,
    host: str,
    port: int,
    security: Security | str,
    *,
    dns: DnsClient,
    net: NetOptions,
    timeouts: ProbeTimeouts | None = None,
    credentials: Credentials | None = None,
    allow_plaintext_login: bool = False,
    sender_check: str | None = None,
    ehlo_name: str | None = None,
    check_weak_tls: bool = False,
    redactor: Redactor | None = None,
    transcript: bool = False,
) -> ProbeResult:
    """Probe one endpoint with a live handshake and describe everything it showed.

    `credentials` enables one login attempt, sent only over verified TLS (or in plain text
    with `allow_plaintext_login`). The caller must pass credentials only for hosts that
    are trusted or were named by the user. `sender_check` (SMTP, after a successful login)
    tries `MAIL FROM:<sender_check>` then `RSET`, never DATA. `check_weak_tls` spends the
    second connection of a successful TLS probe on testing TLS 1.0/1.1 acceptance.
    `redactor` scrubs the server's text (by default it knows `credentials`' password);
    pass one also where no credentials go, so a server that prints the password anyway
    is scrubbed too. `transcript` records the conversation in `ProbeResult.transcript`.

    Never raises for network or server behaviour: every outcome is a `ProbeResult`.
    Raises InvalidInputError for an unusable `sender_check` or `net.ca_file`.
    """
    protocol = Protocol(protocol)
    security = Security(security)
    timeouts = timeouts or ProbeTimeouts()
    if sender_check is not None:
        validate_sender(sender_check)
    if redactor is None:
        redactor = credentials.redactor() if credentials is not None else Redactor()
    runner = _Runner(
        protocol,
        host,
        port,
        dns=dns,
        net=net,
        timeouts=timeouts,
        allow_plaintext_login=allow_plaintext_login,
        sender_check=sender_check,
        ehlo_name=ehlo_name,
        redactor=redactor,
        transcript=transcript,
    )
    start = time.perf_counter()
    # The overall limit runs from here: building the TLS context counts against it.
    ends = asyncio.get_running_loop().time() + timeouts.total
    strict = Plan(security, strict_context(net.ca_file), verified=True, credentials=credentials)
    attempts: list[tuple[Plan, Observation]] = []
    weak: Observation | None = None
    current = Observation()
    try:
        async with asyncio.timeout_at(ends):
            first = current
            attempts.append((strict, first))
            await runner.attempt(strict, first)
            retry = _retry_plan(strict, first)
            if retry is not None:
                current = Observation()
                attempts.append((retry, current))
                await runner.attempt(retry, current)
            elif check_weak_tls and first.failure is None and first.tls is not None:
                weak_plan = Plan(security, legacy_context(), verified=False)
                current = weak = Observation()
                await runner.attempt(weak_plan, weak)
    except TimeoutError:
        if current.failure is None and current.verdict is None:
            current.failure = _timeout_failure(current)
            current.notes.append(f"the probe hit its overall limit of {timeouts.total:g} s")
    total_ms = round((time.perf_counter() - start) * 1000, 1)
    result = with_weak_tls(compose(attempts, timeouts), weak)
    observed = [obs for _, obs in attempts] + ([weak] if weak is not None else [])
    connections = sum(1 for obs in observed if obs.connected)
    result = replace(
        result,
        connections=connections,
        timings=replace(result.timings, total=total_ms),
    )
    if transcript:
        result = replace(result, transcript=runner.transcript())
    return scrub(result, redactor)


class _Runner:
    """Makes connection attempts for one endpoint."""

    def __init__(
        self,
        protocol: Protocol,
        host: str,
        port: int,
        *,
        dns: DnsClient,
        net: NetOptions,
        timeouts: ProbeTimeouts,
        allow_plaintext_login: bool,
        sender_check: str | None,
        ehlo_name: str | None,
        redactor: Redactor,
        transcript: bool,
    ) -> None:
        self.protocol = protocol
        self.host = host
        self.port = port
        self.dns = dns
        self.net = net
        self.timeouts = timeouts
        self.allow_plaintext_login = allow_plaintext_login
        self.sender_check = sender_check
        self.ehlo_name = ehlo_name
        self.redactor = redactor
        self.recorders: list[Recorder] | None = [] if transcript else None

    def transcript(self) -> tuple[TranscriptEntry, ...]:
        """Every connection's recorded entries, in order, each after a connection event."""
        entries: list[TranscriptEntry] = []
        for recorder in self.recorders or ():
            entries.extend(recorder.entries())
        return tuple(entries)

    def _recorder(self) -> Recorder | None:
        if self.recorders is None:
            return None
        recorder = Recorder(self.redactor)
        self.recorders.append(recorder)
        return recorder

    async def attempt(self, plan: Plan, obs: Observation) -> None:
        """One connection: connect, (TLS), run the protocol script; fills `obs`."""
        conn = None
        recorder: Recorder | None = None
        try:
            obs.phase = ProbePhase.CONNECT
            conn = await open_connection(
                self.host,
                self.port,
                dns=self.dns,
                net=self.net,
                connect_timeout=self.timeouts.connect,
            )
            obs.connected = True
            obs.ip = conn.ip
            obs.failed_attempts = _failed(conn.failed_attempts)
            if conn.dns_ms is not None:
                obs.timings[ProbePhase.DNS] = conn.dns_ms
            obs.timings[ProbePhase.CONNECT] = conn.connect_ms
            recorder = self._recorder()
            if recorder is not None:
                checked = "" if plan.verified else ", certificate not checked"
                recorder.event(
                    f"connection {len(self.recorders or ())} to {self.host}:{self.port} "
                    f"({plan.mode.value}{checked}): connected to {conn.ip} port {conn.port}"
                )
            session = Session(
                protocol=self.protocol,
                plan=plan,
                conn=conn,
                obs=obs,
                timeouts=self.timeouts,
                allow_plaintext_login=self.allow_plaintext_login,
                sender_check=self.sender_check,
                ehlo_name=self.ehlo_name,
                redact=self.redactor.text,
                recorder=recorder,
            )
            if plan.mode is Security.TLS:
                await session.upgrade()
            await _SCRIPTS[self.protocol](session)
        except ProbeStop as stop:
            obs.verdict = (stop.status, stop.reason)
            obs.verdict_cause = stop.cause
        except Exception as exc:  # the probe boundary: every failure becomes data
            obs.error = exc
            obs.failure = classify(exc)
            if obs.failure.cause is Cause.TIMEOUT:
                obs.failure = _timeout_failure(obs)
            if isinstance(exc, ConnectFailed):
                obs.failed_attempts = _failed(exc.attempts)
            if obs.failure.cause in DNS_CAUSES:
                obs.phase = ProbePhase.DNS
            if conn is not None and _silent(plan, obs):
                obs.hello_answer = await _replay_hello(conn, plan, self.timeouts.tls)
        finally:
            if conn is not None:
                await conn.close()
                if recorder is not None:
                    recorder.event("mailprobe closed the connection")


def _failed(attempts: tuple[AttemptFailure, ...]) -> tuple[FailedAttempt, ...]:
    return tuple(
        FailedAttempt(a.ip, a.failure.probe_status, a.failure.reason, a.failure.cause)
        for a in attempts
    )


def _timeout_failure(obs: Observation) -> Failure:
    """A timeout, named `incomplete` when the greeting had begun to arrive but never ended."""
    if obs.phase is ProbePhase.BANNER and obs.bytes_received > 0:
        return Failure(
            Cause.INCOMPLETE,
            f"the greeting began ({obs.bytes_received} bytes) but did not end in time",
        )
    return Failure(Cause.TIMEOUT, "timed out")


def _silent(plan: Plan, obs: Observation) -> bool:
    """True if a `replay_hello` attempt got no greeting at all before its timeout."""
    return (
        plan.replay_hello
        and obs.phase is ProbePhase.BANNER
        and obs.failure is not None
        and obs.failure.cause is Cause.TIMEOUT
        and obs.bytes_received == 0
    )


async def _replay_hello(conn: Connection, plan: Plan, timeout: float) -> bytes | None:
    """Send the ClientHello of `plan` in plain text; the first bytes of the answer, if any."""
    try:
        async with asyncio.timeout(timeout):
            conn.writer.write(client_hello(plan.context, conn.server_name))
            await conn.writer.drain()
            return await conn.reader.read(512)
    except (OSError, TimeoutError, ssl.SSLError):
        return None


def _retry_plan(first_plan: Plan, first: Observation) -> Plan | None:
    """The second connection worth making after `first`, if any (see module docstring)."""
    if first.failure is None or not first.connected:
        return None
    mode = first_plan.mode
    cause = first.failure.cause
    if first.phase is ProbePhase.TLS and mode is not Security.PLAIN:
        if cause is Cause.TIMEOUT:
            return None
        if mode is Security.TLS and first.error is not None and is_plaintext_answer(first.error):
            return Plan(
                Security.STARTTLS,
                first_plan.context,
                verified=True,
                starttls_optional=True,
                replay_hello=True,
            )
        return Plan(mode, permissive_context(), verified=False)
    if (
        first.phase is ProbePhase.BANNER
        and cause is Cause.TIMEOUT
        and first.bytes_received == 0
        and mode is not Security.TLS
    ):
        return Plan(Security.TLS, first_plan.context, verified=True)
    return None
