"""The SMTP probe script: greeting, EHLO, STARTTLS, EHLO again, AUTH, sender check, QUIT.

Works for submission (587, 465) and MX-style port 25. Multi-line replies are read line
by line until the final `NNN ` line. `421` at any point, and `554` in the greeting, mean
the server turned us away: reported as rate limited, never as a missing feature.
"""

from __future__ import annotations

import re

from mailprobe.errors import InvalidInputError
from mailprobe.models import Cause, LoginResult, LoginStatus, ProbePhase, ProbeStatus
from mailprobe.net.failures import ProtocolViolation
from mailprobe.probes.dialog import ProbeStop, Session
from mailprobe.probes.login import (
    classify_smtp_auth,
    login_password,
    login_username,
    plain_response,
)
from mailprobe.probes.replies import (
    EhloInfo,
    SmtpReply,
    SmtpReplyBuilder,
    excerpt,
    parse_ehlo,
)
from mailprobe.probes.stream import MAX_REPLY_LINES
from mailprobe.redact import REDACTED

_SENDER = re.compile(r"^[^\s<>\"]+@[^\s<>@\"]+$")


def validate_sender(sender: str) -> None:
    """Raise InvalidInputError unless `sender` can go into `MAIL FROM:<...>` as is."""
    if not _SENDER.match(sender) or len(sender) > 254:
        raise InvalidInputError(f"not a usable sender address: {sender!r}")


async def read_reply(s: Session, timeout: float | None = None) -> SmtpReply:
    """One complete SMTP reply; `421` raises the rate-limited verdict."""
    builder = SmtpReplyBuilder()
    for _ in range(MAX_REPLY_LINES):
        builder.feed(await s.read_line(timeout))
        if builder.done:
            reply = builder.reply()
            if reply.code == 421:
                raise _busy(reply)
            return reply
    raise ProtocolViolation("the SMTP reply did not end", Cause.TOO_LARGE)


def _busy(reply: SmtpReply) -> ProbeStop:
    return ProbeStop(
        ProbeStatus.RATE_LIMITED,
        f"the server is busy or limiting connections (421): {excerpt(reply.text)}",
    )


async def _command(s: Session, text: str, *, shown: str | None = None) -> SmtpReply:
    await s.send_line(text, shown=shown)
    return await read_reply(s)


def ehlo_name(s: Session) -> str:
    """The EHLO argument: the caller's name, else our address as an address literal.

    A bare `localhost` is refused by some servers; an address literal is always valid.
    """
    if s.ehlo_name:
        return s.ehlo_name
    sockname = s.conn.writer.get_extra_info("sockname")
    ip = str(sockname[0]) if sockname else "127.0.0.1"
    return f"[IPv6:{ip}]" if ":" in ip else f"[{ip}]"


async def _greeting(s: Session) -> SmtpReply:
    with s.phase(ProbePhase.BANNER):
        first = await s.greeting_line()
        builder = SmtpReplyBuilder()
        builder.feed(first)
        lines = [first]
        while not builder.done:
            if len(lines) >= MAX_REPLY_LINES:
                raise ProtocolViolation("the SMTP greeting did not end", Cause.TOO_LARGE)
            line = await s.read_line(s.timeouts.greeting)
            builder.feed(line)
            lines.append(line)
    s.obs.banner = excerpt("\n".join(lines), 1000)
    return builder.reply()


async def _ehlo(s: Session) -> EhloInfo:
    with s.phase(ProbePhase.CAPABILITIES):
        name = ehlo_name(s)
        reply = await _command(s, f"EHLO {name}")
        if reply.code != 250:
            s.obs.notes.append(f"EHLO was refused ({reply.code}); fell back to HELO")
            reply = await _command(s, f"HELO {name}")
            if reply.code != 250:
                raise ProtocolViolation(
                    f"the server refused HELO: {reply.code} {excerpt(reply.text)}"
                )
            return EhloInfo((), starttls=False, auth=(), size=None)
    return parse_ehlo(reply)


def _record(s: Session, info: EhloInfo) -> None:
    s.record_capabilities(info.keywords)
    s.obs.auth_mechanisms = info.auth
    s.obs.max_size = info.size
    if not s.tls_active:
        s.obs.auth_before_tls = info.auth
        s.record_security(info.starttls)


async def run_smtp(s: Session) -> None:
    """Probe an SMTP server on an open (possibly already TLS) connection."""
    greeting = await _greeting(s)
    if greeting.code == 421:
        raise _busy(greeting)
    if greeting.code == 554:
        raise ProbeStop(
            ProbeStatus.RATE_LIMITED,
            f"the server refuses service to this client (554): {excerpt(greeting.text)}",
        )
    if greeting.code != 220:
        raise ProtocolViolation(
            f"unexpected SMTP greeting {greeting.code}: {excerpt(greeting.text)}"
        )
    info = await _ehlo(s)
    _record(s, info)

    if s.wants_starttls():
        if not info.starttls:
            s.starttls_unavailable("the server does not offer STARTTLS")
        else:
            with s.phase(ProbePhase.TLS):
                reply = await _command(s, "STARTTLS")
            if reply.code != 220:
                s.obs.verdict = (
                    ProbeStatus.TLS_ERROR,
                    f"the server offers STARTTLS but refused it: {reply.code} "
                    f"{excerpt(reply.text)}",
                )
            else:
                await s.upgrade()
                info = await _ehlo(s)
                _record(s, info)

    if s.login_gate():
        with s.phase(ProbePhase.LOGIN):
            login = await _login(s, info)
            if login.status is LoginStatus.OK and s.sender_check:
                login = await _check_sender(s, login, s.sender_check)
            s.obs.login = login

    await s.goodbye("QUIT")


async def _login(s: Session, info: EhloInfo) -> LoginResult:
    creds = s.plan.credentials
    assert creds is not None
    if "PLAIN" in info.auth:
        reply = await _command(
            s, f"AUTH PLAIN {plain_response(creds)}", shown=f"AUTH PLAIN {REDACTED}"
        )
        if reply.code == 334:  # a server that ignored the initial response
            reply = await _command(s, plain_response(creds), shown=REDACTED)
        return classify_smtp_auth(reply, "PLAIN")
    if "LOGIN" in info.auth:
        reply = await _command(s, "AUTH LOGIN")
        if reply.code == 334:
            reply = await _command(s, login_username(creds))
            if reply.code == 334:
                reply = await _command(s, login_password(creds), shown=REDACTED)
        return classify_smtp_auth(reply, "LOGIN")
    offered = ", ".join(info.auth) or "none"
    return LoginResult(
        status=LoginStatus.MECHANISM_MISSING,
        detail=f"no usable AUTH mechanism (offered: {offered}; mailprobe uses PLAIN or LOGIN)",
    )


async def _check_sender(s: Session, login: LoginResult, sender: str) -> LoginResult:
    """MAIL FROM then RSET: may this account send as `sender`? Never sends DATA."""
    reply = await _command(s, f"MAIL FROM:<{sender}>")
    ok = reply.code == 250
    await _command(s, "RSET")
    detail = f"{login.detail}; MAIL FROM:<{sender}>: {reply.code} {excerpt(reply.text)}"
    return LoginResult(
        status=login.status, detail=excerpt(detail), mechanism=login.mechanism, sender_ok=ok
    )
