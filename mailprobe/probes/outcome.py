"""Turning what the connections of one probe observed into its `ProbeResult`.

`compose` reads the first connection, and the second when one was made (see
`mailprobe.probes.session`): it names the problem the second connection revealed while
keeping where and when the first one failed. `with_weak_tls` adds the TLS 1.0/1.1
check, and `scrub` removes every form of the password from the result's texts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mailprobe.models import (
    Cause,
    LoginStatus,
    ProbePhase,
    ProbeResult,
    ProbeStatus,
    Security,
    Timings,
)
from mailprobe.net.failures import CERT_TEXT, TIMEOUT_CAUSES, cert_cause
from mailprobe.probes.dialog import Observation, Plan, ProbeTimeouts
from mailprobe.probes.replies import excerpt, read_hello_answer
from mailprobe.probes.tls import OLD_TLS_VERSIONS, refine_untrusted
from mailprobe.redact import Redactor

_PHASE_LABEL = {
    ProbePhase.DNS: "looking up the server",
    ProbePhase.CONNECT: "connecting",
    ProbePhase.BANNER: "waiting for the greeting",
    ProbePhase.TLS: "TLS",
    ProbePhase.CAPABILITIES: "reading capabilities",
    ProbePhase.LOGIN: "logging in",
}

#: The cause of a verdict a script gave without naming one, by its status.
_VERDICT_CAUSE = {
    ProbeStatus.RATE_LIMITED: Cause.RATE_LIMITED,
    ProbeStatus.TLS_ERROR: Cause.STARTTLS_REFUSED,
}


def _status_of(obs: Observation, timeouts: ProbeTimeouts) -> tuple[ProbeStatus, str]:
    if obs.verdict is not None:
        return obs.verdict
    if obs.failure is not None:
        reason = obs.failure.reason
        if obs.failure.cause is Cause.TIMEOUT:
            reason = f"{reason} after {timeouts.for_phase(obs.phase):g} s"
        return obs.failure.probe_status, f"{_PHASE_LABEL[obs.phase]}: {reason}"
    login = obs.login
    if login is not None and login.status not in (LoginStatus.OK, LoginStatus.NOT_ATTEMPTED):
        return ProbeStatus.AUTH_FAILED, f"login: {login.status.value}: {login.detail}"
    return ProbeStatus.OK, ""


def _timings(obs: Observation) -> Timings:
    t = obs.timings
    return Timings(
        dns=t.get(ProbePhase.DNS),
        connect=t.get(ProbePhase.CONNECT),
        banner=t.get(ProbePhase.BANNER),
        tls=t.get(ProbePhase.TLS),
        capabilities=t.get(ProbePhase.CAPABILITIES),
        login=t.get(ProbePhase.LOGIN),
    )


def _cause(obs: Observation) -> Cause | None:
    """The cause of the connection's failure or verdict; None when it succeeded."""
    if obs.failure is not None:
        return obs.failure.cause
    if obs.verdict is not None:
        return obs.verdict_cause or _VERDICT_CAUSE.get(obs.verdict[0], Cause.OTHER)
    return None


def _result(obs: Observation, status: ProbeStatus, reason: str) -> ProbeResult:
    failed = obs.failure is not None or obs.verdict is not None
    return ProbeResult(
        status=status,
        reason=reason,
        ip=obs.ip,
        timings=_timings(obs),
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
        cause=_cause(obs),
        failed_attempts=obs.failed_attempts,
        starttls_injection=obs.starttls_injection,
    )


def compose(attempts: list[tuple[Plan, Observation]], timeouts: ProbeTimeouts) -> ProbeResult:
    """The result of a probe from its connection attempts (one or two), in order."""
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


def _first_noting_second(
    first: Observation,
    second: Observation,
    status: ProbeStatus,
    reason: str,
    timeouts: ProbeTimeouts,
) -> ProbeResult:
    """The first connection's result, with a note on how the second one ended."""
    result = _result(first, status, reason)
    return replace(result, notes=(*result.notes, _second_outcome(second, timeouts)))


def _second_naming_first(
    first: Observation, second: Observation, status: ProbeStatus, named: str, **changes: Any
) -> ProbeResult:
    """The second connection's result under `named`, keeping where and when the first failed.

    The cause is the first connection's unless `changes` names a more precise one.
    """
    changes.setdefault("cause", _cause(first))
    return replace(
        _result(second, status, named),
        timings=_timings(first),
        failed_phase=first.phase,
        **changes,
    )


def _named_tls_failure(
    first: Observation,
    second: Observation,
    status: ProbeStatus,
    reason: str,
    timeouts: ProbeTimeouts,
) -> ProbeResult:
    """Strict TLS failed; the permissive second connection names why."""
    if second.tls is None:
        return _first_noting_second(first, second, status, reason, timeouts)
    problem = refine_untrusted(
        cert_cause(first.error) if first.error else None,
        second.chain_len,
        second.leaf_names_issuer_url,
    )
    tls = second.tls
    cause = _cause(first)
    if problem is not None:
        cause = problem
        named = CERT_TEXT[problem]
        if problem is Cause.CERT_EXPIRED and tls.cert is not None:
            named += f" (on {tls.cert.not_after})"
        if problem is Cause.CERT_WRONG_NAME and tls.cert is not None:
            named += f" (it names: {', '.join(tls.cert.san) or tls.cert.subject})"
    elif tls.version in OLD_TLS_VERSIONS:
        cause = Cause.NO_COMMON_TLS_VERSION
        named = f"the server only offers {tls.version}; TLS 1.2 or newer is required"
    else:
        named = first.failure.reason if first.failure else reason
    first_tls = replace(
        tls,
        verified=False,
        verify_error=named,
        cert_problem=problem if problem is not None else tls.cert_problem,
    )
    return _second_naming_first(
        first,
        second,
        ProbeStatus.TLS_ERROR,
        f"TLS: {named}",
        cause=cause,
        tls=first_tls,
        login=first.login,
        notes=(
            *second.notes,
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
        return _second_naming_first(first, second, status, named, detected_security=Security.TLS)
    result = _first_noting_second(first, second, status, reason, timeouts)
    if second.error is not None and cert_cause(second.error) is not None:
        return replace(
            result,
            detected_security=Security.TLS,
            reason=(
                f"{reason}; a TLS connection got a TLS handshake, so this port expects "
                "implicit TLS (security=tls)"
            ),
        )
    return result


def _plain_found(
    first: Observation,
    second: Observation,
    status: ProbeStatus,
    reason: str,
    timeouts: ProbeTimeouts,
) -> ProbeResult:
    """TLS was answered in plain text; the plain second connection tells what the port speaks.

    Without a greeting on it, only the answer to the replayed ClientHello (if any) says
    what is there; with neither, the port is only known not to answer with TLS.
    """
    detected = second.detected_security
    if second.banner is None or detected is None:
        result = _first_noting_second(first, second, status, reason, timeouts)
        answer = read_hello_answer(second.hello_answer or b"")
        if answer is None:
            return result
        cause, what = answer
        named = (
            f"TLS from the first byte failed because the server did not answer with TLS; a "
            f"second connection got no greeting, and sent the same TLS start in plain text: "
            f"{what}"
        )
        return replace(result, reason=f"{_PHASE_LABEL[first.phase]}: {named}", cause=cause)
    mode = "STARTTLS" if detected is Security.STARTTLS else "plain text without TLS"
    named = (
        "TLS from the first byte failed because the server answered in plain text; a "
        f"second connection found this port speaks {mode} (security={detected.value})"
    )
    notes = tuple(second.notes)
    if not second.succeeded:
        notes = (*notes, _second_outcome(second, timeouts))
    return _second_naming_first(first, second, status, named, notes=notes)


def scrub(result: ProbeResult, redactor: Redactor) -> ProbeResult:
    """Remove every token that is the password (any encoding) from the result's texts.

    Server lines are redacted as they are read; this pass is defence in depth over every
    text that may quote a server (see `mailprobe.redact` for the token rule).
    """
    if not redactor:
        return result
    login = result.login
    if login is not None:
        login = replace(login, detail=redactor.text(login.detail))
    tls = result.tls
    if tls is not None:
        tls = replace(tls, verify_error=redactor.optional(tls.verify_error))
    return replace(
        result,
        reason=excerpt(redactor.text(result.reason), 1000),
        banner=redactor.optional(result.banner),
        notes=redactor.many(result.notes),
        capabilities_before_tls=redactor.many(result.capabilities_before_tls),
        capabilities_after_tls=redactor.many(result.capabilities_after_tls),
        auth_mechanisms=redactor.many(result.auth_mechanisms),
        auth_before_tls=redactor.many(result.auth_before_tls),
        failed_attempts=tuple(
            replace(a, reason=redactor.text(a.reason)) for a in result.failed_attempts
        ),
        login=login,
        tls=tls,
    )


def with_weak_tls(result: ProbeResult, weak: Observation | None) -> ProbeResult:
    """Record what the TLS 1.0/1.1 check (or a TLS 1.0-only server) showed."""
    if weak is None:
        if result.tls is not None and result.tls.version in OLD_TLS_VERSIONS:
            return replace(result, weak_tls_checked=True, weak_tls_version=result.tls.version)
        return result
    version = weak.tls.version if weak.tls is not None else None
    refused = (
        weak.phase is ProbePhase.TLS
        and weak.failure is not None
        and weak.failure.cause not in TIMEOUT_CAUSES
    )
    return replace(
        result, weak_tls_checked=version is not None or refused, weak_tls_version=version
    )
