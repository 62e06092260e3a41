"""The IMAP probe script: greeting, CAPABILITY, STARTTLS, CAPABILITY again, login, LOGOUT."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailprobe.models import Cause, LoginResult, LoginStatus, ProbePhase, ProbeStatus, Security
from mailprobe.net.failures import ProtocolViolation
from mailprobe.probes.dialog import ProbeStop, Session
from mailprobe.probes.login import classify_imap_login, imap_quote, plain_response
from mailprobe.probes.replies import (
    ImapKind,
    ImapResponse,
    decode_line,
    excerpt,
    has_capability,
    imap_auth_mechanisms,
    imap_capabilities,
    parse_imap_line,
)
from mailprobe.probes.stream import MAX_REPLY_LINES
from mailprobe.redact import REDACTED

_LITERAL = re.compile(r"\{(\d{1,9})\+?\}$")

#: The biggest literal accepted inside a response we wait through.
MAX_LITERAL = 64 * 1024


@dataclass(frozen=True)
class _Answer:
    tagged: ImapResponse
    untagged: tuple[ImapResponse, ...]

    def capabilities(self) -> tuple[str, ...] | None:
        for response in (*self.untagged, self.tagged):
            caps = imap_capabilities(response)
            if caps is not None:
                return caps
        return None

    def alerts(self) -> tuple[str, ...]:
        return tuple(
            f"[ALERT] {r.text}" for r in (*self.untagged, self.tagged) if r.code == "ALERT"
        )


class _Imap:
    """Tagged command exchange over one session."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self._tag = 0

    def next_tag(self) -> str:
        self._tag += 1
        return f"mp{self._tag}"

    async def read_response(self) -> ImapResponse:
        """One logical response line, with any literals folded in."""
        line = await self.s.read_line()
        for _ in range(MAX_REPLY_LINES):
            match = _LITERAL.search(line)
            if match is None:
                break
            size = int(match.group(1))
            if size > MAX_LITERAL:
                raise ProtocolViolation(
                    f"the server sent an IMAP literal of {size} bytes", Cause.TOO_LARGE
                )
            literal = decode_line(await self.s.read_exactly(size))
            line = line + self.s.redact(literal) + await self.s.read_line()
        return parse_imap_line(line)

    async def wait_tagged(self, tag: str) -> _Answer:
        untagged: list[ImapResponse] = []
        for _ in range(MAX_REPLY_LINES):
            response = await self.read_response()
            if response.kind is ImapKind.TAGGED:
                if response.tag != tag:
                    raise ProtocolViolation(f"unexpected IMAP tag {response.tag!r}")
                return _Answer(response, tuple(untagged))
            if response.kind is ImapKind.CONTINUATION:
                raise ProtocolViolation("unexpected IMAP continuation request")
            if response.word == "BYE":
                raise ProtocolViolation(
                    f"the server ended the session: {excerpt(response.text)}", Cause.CLOSED
                )
            untagged.append(response)
        raise ProtocolViolation("too many IMAP response lines for one command", Cause.TOO_LARGE)

    async def command(self, text: str, *, shown: str | None = None) -> _Answer:
        tag = self.next_tag()
        await self.s.send_line(f"{tag} {text}", shown=f"{tag} {shown}" if shown else None)
        return await self.wait_tagged(tag)

    async def capability(self) -> tuple[str, ...]:
        answer = await self.command("CAPABILITY")
        caps = answer.capabilities()
        if answer.tagged.word != "OK" or caps is None:
            raise ProtocolViolation(
                f"CAPABILITY failed: {answer.tagged.word} {excerpt(answer.tagged.text)}"
            )
        return caps


async def run_imap(s: Session) -> None:
    """Probe an IMAP server on an open (possibly already TLS) connection."""
    imap = _Imap(s)
    with s.phase(ProbePhase.BANNER):
        line = await s.greeting_line()
    greeting = parse_imap_line(line)
    s.obs.banner = excerpt(line)
    if greeting.kind is not ImapKind.UNTAGGED or greeting.word not in ("OK", "PREAUTH", "BYE"):
        raise ProtocolViolation(f"malformed IMAP greeting: {excerpt(line, 80)!r}")
    if greeting.word == "BYE":
        raise ProbeStop(
            ProbeStatus.RATE_LIMITED,
            f"the server refused the session in its greeting: {excerpt(greeting.text)}",
        )
    s.obs.preauth = greeting.word == "PREAUTH"

    with s.phase(ProbePhase.CAPABILITIES):
        caps = imap_capabilities(greeting) or await imap.capability()
    _record(s, caps)

    if s.wants_starttls():
        if s.obs.preauth:
            s.starttls_unavailable(
                "the server pre-authenticated the session in plain text (PREAUTH), "
                "so STARTTLS is no longer possible"
            )
        elif not has_capability(caps, "STARTTLS"):
            s.starttls_unavailable("the server does not offer STARTTLS")
        else:
            with s.phase(ProbePhase.TLS):
                answer = await imap.command("STARTTLS")
            if answer.tagged.word != "OK":
                s.obs.verdict = (
                    ProbeStatus.TLS_ERROR,
                    f"the server offers STARTTLS but refused it: {excerpt(answer.tagged.text)}",
                )
            else:
                await s.upgrade()
                with s.phase(ProbePhase.CAPABILITIES):
                    caps = await imap.capability()
                _record(s, caps)

    if s.login_gate():
        with s.phase(ProbePhase.LOGIN):
            s.obs.login = await _login(s, imap, caps)
    await s.goodbye(f"{imap.next_tag()} LOGOUT")


def _record(s: Session, caps: tuple[str, ...]) -> None:
    s.record_capabilities(caps)
    mechanisms = imap_auth_mechanisms(caps)
    s.obs.auth_mechanisms = mechanisms
    if not s.tls_active:
        s.obs.auth_before_tls = mechanisms
        s.obs.login_disabled = has_capability(caps, "LOGINDISABLED")
        s.record_security(has_capability(caps, "STARTTLS"))
        if s.obs.preauth:
            s.obs.detected_security = Security.PLAIN


async def _login(s: Session, imap: _Imap, caps: tuple[str, ...]) -> LoginResult:
    creds = s.plan.credentials
    assert creds is not None
    if "PLAIN" in imap_auth_mechanisms(caps):
        tag = imap.next_tag()
        if has_capability(caps, "SASL-IR"):
            await s.send_line(
                f"{tag} AUTHENTICATE PLAIN {plain_response(creds)}",
                shown=f"{tag} AUTHENTICATE PLAIN {REDACTED}",
            )
        else:
            await s.send_line(f"{tag} AUTHENTICATE PLAIN")
            response = await imap.read_response()
            if response.kind is ImapKind.CONTINUATION:
                await s.send_line(plain_response(creds), shown=REDACTED)
            elif response.kind is ImapKind.TAGGED:
                return classify_imap_login(response, (), "PLAIN")
        answer = await imap.wait_tagged(tag)
        return classify_imap_login(answer.tagged, answer.alerts(), "PLAIN")
    if has_capability(caps, "LOGINDISABLED"):
        return LoginResult(
            status=LoginStatus.MECHANISM_MISSING,
            detail="LOGIN is disabled and AUTHENTICATE PLAIN is not offered",
        )
    user, password = imap_quote(creds.username), imap_quote(creds.password)
    if user is None or password is None:
        return LoginResult(
            status=LoginStatus.ERROR,
            detail="the user name or password contains characters IMAP LOGIN cannot carry",
            mechanism="LOGIN",
        )
    answer = await imap.command(f"LOGIN {user} {password}", shown=f"LOGIN {user} {REDACTED}")
    return classify_imap_login(answer.tagged, answer.alerts(), "LOGIN")
