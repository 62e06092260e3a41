"""`probe_endpoint`: one endpoint, one connection (a second only to name a failure).

The first connection follows the requested security. A second one is made only when it
can name a failure the first could not:

- strict certificate or TLS-version failure -> one permissive connection to learn the
  version and certificate and say why (expired, self-signed, wrong name, TLS 1.0 only...);
- TLS spoken to a plain/STARTTLS port (the server answers in plain text at once) -> one
  plain connection to learn what the port speaks;
- no greeting in plain text (plain spoken to an implicit-TLS port hangs) -> one TLS
  connection; if it works the port is reported as implicit TLS.

Optionally (`check_weak_tls`), a successful TLS probe spends its second connection on
asking whether the server still accepts TLS 1.0/1.1.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from mailprobe.models import (
    IMPLICIT_TLS_PORTS,
    CertProblem,
    FailedAttempt,
    LoginStatus,
    NetOptions,
    ProbePhase,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Security,
    Timings,
)
from mailprobe.net.connect import open_connection
from mailprobe.net.dns import DnsClient
from mailprobe.net.failures import AttemptFailure, ConnectFailed, FailureKind, classify
from mailprobe.net.tlsctx import permissive_context, strict_context
from mailprobe.probe.dialog import Observation, Plan, ProbeStop, ProbeTimeouts, Session
from mailprobe.probe.imap import run_imap
from mailprobe.probe.login import Credentials, redact
from mailprobe.probe.pop3 import run_pop3
from mailprobe.probe.replies import excerpt
from mailprobe.probe.smtp import run_smtp, validate_sender
from mailprobe.probe.tls import (
    OLD_TLS_VERSIONS,
    cert_problem,
    is_plaintext_answer,
    legacy_context,
    refine_untrusted,
)

_SCRIPTS = {Protocol.IMAP: run_imap, Protocol.POP3: run_pop3, Protocol.SMTP: run_smtp}

_PHASE_LABEL = {
    ProbePhase.DNS: "looking up the server",
    ProbePhase.CONNECT: "connecting",
    ProbePhase.BANNER: "waiting for the greeting",
    ProbePhase.TLS: "TLS",
    ProbePhase.CAPABILITIES: "reading capabilities",
    ProbePhase.LOGIN: "logging in",
}

_PROBLEM_TEXT = {
    CertProblem.EXPIRED: "the certificate has expired",
    CertProblem.NOT_YET_VALID: "the certificate is not valid yet",
    CertProblem.SELF_SIGNED: "the certificate is self-signed (not issued by a trusted authority)",
    CertProblem.WRONG_NAME: "the certificate is not valid for this host name",
    CertProblem.UNTRUSTED: "the certificate is issued by an authority that is not trusted here",
    CertProblem.INCOMPLETE_CHAIN: (
        "the server does not send the intermediate certificate (incomplete chain)"
    ),
}


def default_security(port: int) -> Security:
    """The security a port usually speaks: TLS on 993/995/465, else STARTTLS."""
    return Security.TLS if port in IMPLICIT_TLS_PORTS else Security.STARTTLS


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
) -> ProbeResult:
    """Probe one endpoint with a live handshake and describe everything it showed.

    `credentials` enables one login attempt, sent only over verified TLS (or in plain text
    with `allow_plaintext_login`). The caller must pass credentials only for hosts that
    are trusted or were named by the user. `sender_check` (SMTP, after a successful login)
    tries `MAIL FROM:<sender_check>` then `RSET`, never DATA. `check_weak_tls` spends the
    second connection of a successful TLS probe on testing TLS 1.0/1.1 acceptance.

    Never raises for network or server behaviour: every outcome is a `ProbeResult`.
    Raises InvalidInputError for an unusable `sender_check` or `net.ca_file`.
    """
    protocol = Protocol(protocol)
    security = Security(security)
    timeouts = timeouts or ProbeTimeouts()
    if sender_check is not None:
        validate_sender(sender_check)
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
        credentials=credentials,
    )
    start = time.perf_counter()
    strict = Plan(security, strict_context(net.ca_file), verified=True, credentials=credentials)
    attempts: list[tuple[Plan, Observation]] = []
    weak: Observation | None = None
    current = Observation()
    try:
        async with asyncio.timeout(timeouts.total):
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
            current.failure = classify(TimeoutError())
            current.notes.append(f"the probe hit its overall limit of {timeouts.total:g} s")
    total_ms = round((time.perf_counter() - start) * 1000, 1)
    result = _with_weak_tls(_compose(attempts, timeouts), weak)
    observed = [obs for _, obs in attempts] + ([weak] if weak is not None else [])
    connections = sum(1 for obs in observed if obs.connected)
    result = replace(
        result,
        connections=connections,
        timings=replace(result.timings, total=total_ms),
    )
    return _scrub(result, credentials)


def _with_weak_tls(result: ProbeResult, weak: Observation | None) -> ProbeResult:
    """Record what the TLS 1.0/1.1 check (or a TLS 1.0-only server) showed."""
    if weak is None:
        if result.tls is not None and result.tls.version in OLD_TLS_VERSIONS:
            return replace(result, weak_tls_checked=True, weak_tls_version=result.tls.version)
        return result
    version = weak.tls.version if weak.tls is not None else None
    refused = (
        weak.phase is ProbePhase.TLS
        and weak.failure is not None
        and weak.failure.kind is not FailureKind.TIMEOUT
    )
    return replace(
        result, weak_tls_checked=version is not None or refused, weak_tls_version=version
    )


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
        credentials: Credentials | None,
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
        self.credentials = credentials

    def _redact(self, text: str) -> str:
        return redact(text, self.credentials)

    async def attempt(self, plan: Plan, obs: Observation) -> None:
        """One connection: connect, (TLS), run the protocol script; fills `obs`."""
        conn = None
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
            session = Session(
                protocol=self.protocol,
                plan=plan,
                conn=conn,
                obs=obs,
                timeouts=self.timeouts,
                allow_plaintext_login=self.allow_plaintext_login,
                sender_check=self.sender_check,
                ehlo_name=self.ehlo_name,
                redact=self._redact,
            )
            if plan.mode is Security.TLS:
                await session.upgrade()
            await _SCRIPTS[self.protocol](session)
        except ProbeStop as stop:
            obs.verdict = (stop.status, stop.reason)
        except Exception as exc:  # the probe boundary: every failure becomes data
            obs.error = exc
            obs.failure = classify(exc)
            if isinstance(exc, ConnectFailed):
                obs.failed_attempts = _failed(exc.attempts)
            if obs.failure.kind is FailureKind.DNS:
                obs.phase = ProbePhase.DNS
        finally:
            if conn is not None:
                await conn.close()


def _failed(attempts: tuple[AttemptFailure, ...]) -> tuple[FailedAttempt, ...]:
    return tuple(FailedAttempt(a.ip, a.failure.probe_status, a.failure.reason) for a in attempts)


def _retry_plan(first_plan: Plan, first: Observation) -> Plan | None:
    """The second connection worth making after `first`, if any (see module docstring)."""
    if first.failure is None or not first.connected:
        return None
    mode = first_plan.mode
    kind = first.failure.kind
    if first.phase is ProbePhase.TLS and mode is not Security.PLAIN:
        if kind is FailureKind.TIMEOUT:
            return None
        if mode is Security.TLS and first.error is not None and is_plaintext_answer(first.error):
            return Plan(
                Security.STARTTLS, first_plan.context, verified=True, starttls_optional=True
            )
        return Plan(mode, permissive_context(), verified=False)
    if (
        first.phase is ProbePhase.BANNER
        and kind is FailureKind.TIMEOUT
        and first.bytes_received == 0
        and mode is not Security.TLS
    ):
        return Plan(Security.TLS, first_plan.context, verified=True)
    return None


# --------------------------------------------------------------------------- results


def _status_of(obs: Observation, timeouts: ProbeTimeouts) -> tuple[ProbeStatus, str]:
    if obs.verdict is not None:
        return obs.verdict
    if obs.failure is not None:
        reason = obs.failure.reason
        if obs.failure.kind is FailureKind.TIMEOUT:
            reason = f"{reason} after {timeouts.for_phase(obs.phase):g} s"
        return obs.failure.probe_status, f"{_PHASE_LABEL[obs.phase]}: {reason}"
    login = obs.login
    if login is not None and login.status not in (LoginStatus.OK, LoginStatus.NOT_ATTEMPTED):
        return ProbeStatus.AUTH_FAILED, f"login: {login.status.value}: {login.detail}"
    return ProbeStatus.OK, ""


def _result(obs: Observation, status: ProbeStatus, reason: str) -> ProbeResult:
    t = obs.timings
    failed = obs.failure is not None or obs.verdict is not None
    return ProbeResult(
        status=status,
        reason=reason,
        ip=obs.ip,
        timings=Timings(
            dns=t.get(ProbePhase.DNS),
            connect=t.get(ProbePhase.CONNECT),
            banner=t.get(ProbePhase.BANNER),
            tls=t.get(ProbePhase.TLS),
            capabilities=t.get(ProbePhase.CAPABILITIES),
            login=t.get(ProbePhase.LOGIN),
        ),
        banner=obs.banner,
        capabilities_before_tls=obs.capabilities_before_tls,
        capabilities_after_tls=obs.capabilities_after_tls,
        auth_mechanisms=obs.auth_mechanisms,
        auth_before_tls=obs.auth_before_tls,
        tls=obs.tls,
        login=obs.login,
        starttls_offered=obs.starttls_offered,
        preauth=obs.preauth,
        login_disabled=obs.login_disabled,
        plaintext_user_before_tls=obs.plaintext_user_before_tls,
        max_size=obs.max_size,
        detected_security=obs.detected_security,
        detected_protocol=obs.detected_protocol,
        notes=tuple(obs.notes),
        failed_phase=obs.phase if failed else None,
        failure_kind=obs.failure.kind.value if obs.failure is not None else None,
        failed_attempts=obs.failed_attempts,
    )


def _compose(attempts: list[tuple[Plan, Observation]], timeouts: ProbeTimeouts) -> ProbeResult:
    first = attempts[0][1]
    status, reason = _status_of(first, timeouts)
    if len(attempts) == 1:
        return _result(first, status, reason)
    plan, second = attempts[1]
    if not plan.verified:
        return _named_tls_failure(first, second, status, reason, timeouts)
    if plan.mode is Security.TLS:
        return _implicit_tls_found(first, second, status, reason, timeouts)
    return _plain_found(first, second, status, reason, timeouts)


def _second_outcome(second: Observation, timeouts: ProbeTimeouts) -> str:
    sub_status, sub_reason = _status_of(second, timeouts)
    return f"the second connection ended with {sub_status.value}: {sub_reason}"


def _named_tls_failure(
    first: Observation,
    second: Observation,
    status: ProbeStatus,
    reason: str,
    timeouts: ProbeTimeouts,
) -> ProbeResult:
    """Strict TLS failed; the permissive second connection names why."""
    if second.tls is None:
        result = _result(first, status, reason)
        return replace(result, notes=(*result.notes, _second_outcome(second, timeouts)))
    problem = refine_untrusted(
        cert_problem(first.error) if first.error else None,
        second.chain_len,
        second.leaf_names_issuer_url,
    )
    tls = second.tls
    if problem is not None:
        named = _PROBLEM_TEXT[problem]
        if problem is CertProblem.EXPIRED and tls.cert is not None:
            named += f" (on {tls.cert.not_after})"
        if problem is CertProblem.WRONG_NAME and tls.cert is not None:
            named += f" (it names: {', '.join(tls.cert.san) or tls.cert.subject})"
    elif tls.version in OLD_TLS_VERSIONS:
        named = f"the server only offers {tls.version}; TLS 1.2 or newer is required"
    else:
        named = first.failure.reason if first.failure else reason
    verify_error = named
    first_tls = replace(
        tls,
        verified=False,
        verify_error=verify_error,
        cert_problem=problem if problem is not None else tls.cert_problem,
    )
    result = _result(second, ProbeStatus.TLS_ERROR, f"TLS: {named}")
    return replace(
        result,
        tls=first_tls,
        timings=_result(first, status, reason).timings,
        failed_phase=first.phase,
        failure_kind=first.failure.kind.value if first.failure else None,
        login=first.login,
        notes=(
            *result.notes,
            "a second connection without certificate checks was made only to name the "
            "TLS problem; no password was sent over it",
        ),
    )


def _implicit_tls_found(
    first: Observation,
    second: Observation,
    status: ProbeStatus,
    reason: str,
    timeouts: ProbeTimeouts,
) -> ProbeResult:
    """No greeting in plain text; the TLS second connection tells if the port is TLS."""
    if second.tls is not None:
        named = (
            f"no greeting in plain text within {timeouts.greeting:g} s, but a connection "
            "with TLS from the first byte worked: this port expects implicit TLS (security=tls)"
        )
        result = _result(second, status, named)
        return replace(
            result,
            timings=_result(first, status, reason).timings,
            failed_phase=first.phase,
            failure_kind=first.failure.kind.value if first.failure else None,
            detected_security=Security.TLS,
        )
    result = _result(first, status, reason)
    notes = (*result.notes, _second_outcome(second, timeouts))
    if second.error is not None and cert_problem(second.error) is not None:
        return replace(
            result,
            detected_security=Security.TLS,
            reason=(
                f"{reason}; a TLS connection got a TLS handshake, so this port expects "
                "implicit TLS (security=tls)"
            ),
            notes=notes,
        )
    return replace(result, notes=notes)


def _plain_found(
    first: Observation,
    second: Observation,
    status: ProbeStatus,
    reason: str,
    timeouts: ProbeTimeouts,
) -> ProbeResult:
    """TLS was answered in plain text; the plain second connection tells what the port speaks."""
    detected = second.detected_security
    if second.banner is None or detected is None:
        result = _result(first, status, reason)
        return replace(result, notes=(*result.notes, _second_outcome(second, timeouts)))
    mode = "STARTTLS" if detected is Security.STARTTLS else "plain text without TLS"
    named = (
        "TLS from the first byte failed because the server answered in plain text; a "
        f"second connection found this port speaks {mode} (security={detected.value})"
    )
    result = _result(second, status, named)
    notes = result.notes
    if not second.succeeded:
        notes = (*notes, _second_outcome(second, timeouts))
    return replace(
        result,
        timings=_result(first, status, reason).timings,
        failed_phase=first.phase,
        failure_kind=first.failure.kind.value if first.failure else None,
        notes=notes,
    )


def _scrub(result: ProbeResult, creds: Credentials | None) -> ProbeResult:
    """Remove every form of the password from the result's texts (defence in depth)."""
    if creds is None:
        return result
    login = result.login
    if login is not None:
        login = replace(login, detail=redact(login.detail, creds))
    return replace(
        result,
        reason=excerpt(redact(result.reason, creds), 1000),
        banner=redact(result.banner, creds) if result.banner is not None else None,
        notes=tuple(redact(n, creds) for n in result.notes),
        capabilities_before_tls=tuple(redact(c, creds) for c in result.capabilities_before_tls),
        capabilities_after_tls=tuple(redact(c, creds) for c in result.capabilities_after_tls),
        login=login,
    )
