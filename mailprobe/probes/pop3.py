"""The POP3 probe script: greeting, CAPA, STLS, CAPA again, login, QUIT."""

from __future__ import annotations

from mailprobe.models import Cause, LoginResult, LoginStatus, ProbePhase, ProbeStatus
from mailprobe.net.failures import ProtocolViolation
from mailprobe.probes.dialog import ProbeStop, Session
from mailprobe.probes.login import classify_pop3_login, plain_response
from mailprobe.probes.replies import (
    Pop3Capabilities,
    Pop3Status,
    excerpt,
    parse_pop3_capa,
    parse_pop3_status,
    pop3_unstuff,
)
from mailprobe.probes.stream import MAX_REPLY_LINES
from mailprobe.redact import REDACTED


async def _status(s: Session) -> Pop3Status:
    return parse_pop3_status(await s.read_line())


async def _capa(s: Session) -> Pop3Capabilities | None:
    """The CAPA answer, or None when the server does not know CAPA (RFC 1939 only)."""
    await s.send_line("CAPA")
    status = await _status(s)
    if not status.ok:
        return None
    lines: list[str] = []
    for _ in range(MAX_REPLY_LINES):
        line = await s.read_line()
        if line == ".":
            return parse_pop3_capa(tuple(lines))
        lines.append(pop3_unstuff(line))
    raise ProtocolViolation("the POP3 CAPA answer did not end", Cause.TOO_LARGE)


def _record(s: Session, capa: Pop3Capabilities | None) -> None:
    if capa is None:
        s.obs.notes.append(
            "the server does not support CAPA" + (" after TLS" if s.tls_active else "")
        )
        capa = Pop3Capabilities((), stls=False, user=False, sasl=())
    s.record_capabilities(capa.lines)
    s.obs.auth_mechanisms = capa.sasl
    if not s.tls_active:
        s.obs.auth_before_tls = capa.sasl
        s.obs.plaintext_user_before_tls = capa.user
        s.record_security(capa.stls)


async def run_pop3(s: Session) -> None:
    """Probe a POP3 server on an open (possibly already TLS) connection."""
    with s.phase(ProbePhase.BANNER):
        line = await s.greeting_line()
    s.obs.banner = excerpt(line)
    greeting = parse_pop3_status(line)
    if not greeting.ok:
        raise ProbeStop(
            ProbeStatus.RATE_LIMITED,
            f"the server refused the session in its greeting: {excerpt(greeting.text)}",
        )
    with s.phase(ProbePhase.CAPABILITIES):
        capa = await _capa(s)
    _record(s, capa)

    if s.wants_starttls():
        if capa is None or not capa.stls:
            s.starttls_unavailable("the server does not offer STLS (STARTTLS for POP3)")
        else:
            with s.phase(ProbePhase.TLS):
                await s.send_line("STLS")
                answer = await _status(s)
            if not answer.ok:
                s.obs.verdict = (
                    ProbeStatus.TLS_ERROR,
                    f"the server offers STLS but refused it: {excerpt(answer.text)}",
                )
            else:
                await s.upgrade()
                with s.phase(ProbePhase.CAPABILITIES):
                    capa = await _capa(s)
                _record(s, capa)

    if s.login_gate():
        with s.phase(ProbePhase.LOGIN):
            s.obs.login = await _login(s, capa)

    await s.goodbye("QUIT")


async def _login(s: Session, capa: Pop3Capabilities | None) -> LoginResult:
    creds = s.plan.credentials
    assert creds is not None
    if capa is not None and "PLAIN" in capa.sasl:
        await s.send_line("AUTH PLAIN")
        line = await s.read_line()
        if line.startswith("+") and not line.upper().startswith("+OK"):
            await s.send_line(plain_response(creds), shown=REDACTED)
            line = await s.read_line()
        return classify_pop3_login(parse_pop3_status(line), "PLAIN")
    if capa is not None and not capa.user:
        return LoginResult(
            status=LoginStatus.MECHANISM_MISSING,
            detail="the server offers neither USER nor SASL PLAIN",
        )
    if any(ch in creds.username + creds.password for ch in "\r\n"):
        return LoginResult(
            status=LoginStatus.ERROR,
            detail="the user name or password contains a line break",
            mechanism="USER",
        )
    await s.send_line(f"USER {creds.username}")
    user = await _status(s)
    if not user.ok:
        return classify_pop3_login(user, "USER")
    await s.send_line(f"PASS {creds.password}", shown=f"PASS {REDACTED}")
    return classify_pop3_login(await _status(s), "USER")
