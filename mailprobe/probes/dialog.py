"""The state one probe connection shares with a protocol script, and the timeouts it obeys.

`Session` gives the IMAP, POP3 and SMTP scripts what they need: timed phases, reading
the greeting, sending commands, the TLS upgrade, and the rules for when a password may
be sent. What a script learns goes into the mutable `Observation`, which the runner turns
into a frozen `ProbeResult`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from mailprobe.models import (
    Cause,
    FailedAttempt,
    LoginResult,
    LoginStatus,
    ProbePhase,
    ProbeStatus,
    Protocol,
    Security,
    TlsInfo,
)
from mailprobe.net.connect import Connection
from mailprobe.net.failures import Failure, ProtocolViolation
from mailprobe.probes.login import Credentials
from mailprobe.probes.replies import (
    describe_foreign_greeting,
    excerpt,
    foreign_greeting_cause,
    recognise_greeting,
)
from mailprobe.probes.stream import LineStream, StartTlsInjection
from mailprobe.probes.tls import chain_length, names_issuer_url, tls_info
from mailprobe.probes.transcript import Recorder

_NAMES = {Protocol.IMAP: "an IMAP", Protocol.POP3: "a POP3", Protocol.SMTP: "an SMTP"}

#: How long sending the polite goodbye (LOGOUT, QUIT) may take; its outcome never matters.
GOODBYE_TIMEOUT = 2.0


@dataclass(frozen=True)
class ProbeTimeouts:
    """Seconds allowed for each step of a probe.

    The greeting timeout is generous and separate from the connect timeout: servers delay
    their greeting on purpose, and a slow greeting is reported, not treated as failure.
    `total` caps the whole probe, including a second diagnostic connection.
    """

    connect: float = 5.0
    greeting: float = 20.0
    tls: float = 10.0
    command: float = 10.0
    total: float = 60.0

    @classmethod
    def within(cls, seconds: float) -> ProbeTimeouts:
        """Timeouts scaled to fit an overall deadline of `seconds`."""
        return cls(
            connect=min(5.0, seconds / 3),
            greeting=min(20.0, seconds * 0.6),
            tls=min(10.0, seconds / 2),
            command=min(10.0, seconds / 2),
            total=seconds,
        )

    def for_phase(self, phase: ProbePhase) -> float:
        """The timeout that applies while in `phase`."""
        if phase in (ProbePhase.DNS, ProbePhase.CONNECT):
            return self.connect
        if phase is ProbePhase.BANNER:
            return self.greeting
        if phase is ProbePhase.TLS:
            return self.tls
        return self.command


@dataclass
class Observation:
    """What one connection attempt saw; filled in as the dialogue goes on."""

    phase: ProbePhase = ProbePhase.CONNECT
    connected: bool = False
    ip: str | None = None
    failed_attempts: tuple[FailedAttempt, ...] = ()
    timings: dict[ProbePhase, float] = field(default_factory=dict)
    bytes_received: int = 0
    banner: str | None = None
    capabilities_before_tls: tuple[str, ...] = ()
    capabilities_after_tls: tuple[str, ...] = ()
    auth_mechanisms: tuple[str, ...] = ()
    auth_before_tls: tuple[str, ...] = ()
    starttls_offered: bool | None = None
    preauth: bool = False
    login_disabled: bool = False
    plaintext_user_before_tls: bool = False
    starttls_injection: int | None = None
    max_size: int | None = None
    tls: TlsInfo | None = None
    chain_len: int | None = None
    leaf_names_issuer_url: bool = False
    login: LoginResult | None = None
    detected_protocol: Protocol | None = None
    detected_security: Security | None = None
    notes: list[str] = field(default_factory=list)
    verdict: tuple[ProbeStatus, str] | None = None
    verdict_cause: Cause | None = None
    failure: Failure | None = None
    hello_answer: bytes | None = None  # what a silent plain port sent back to a ClientHello
    error: BaseException | None = None

    @property
    def succeeded(self) -> bool:
        """True if the dialogue ran to its end without a failure or a verdict."""
        return self.failure is None and self.verdict is None


class ProbeStop(Exception):
    """Raised by a script for an outcome it names itself (e.g. `421` -> rate limited).

    The connection is abandoned; the status, reason and cause become the probe's verdict
    (without a cause, the status's usual one: see `mailprobe.probes.outcome`).
    """

    def __init__(self, status: ProbeStatus, reason: str, cause: Cause | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.cause = cause


@dataclass(frozen=True)
class Plan:
    """How one connection attempt is made.

    `starttls_optional` upgrades when STARTTLS is offered and carries on in plain text
    when not (used to learn what a port speaks). `replay_hello`: when no greeting comes,
    send a TLS ClientHello in plain text and keep the answer (`Observation.hello_answer`)
    to learn what answered a TLS attempt with non-TLS bytes. `verified` says whether
    `context` checks the certificate; credentials are only ever given to verified plans.
    """

    mode: Security
    context: ssl.SSLContext
    verified: bool
    credentials: Credentials | None = None
    starttls_optional: bool = False
    replay_hello: bool = False


class Session:
    """One live connection as seen by a protocol script."""

    def __init__(
        self,
        *,
        protocol: Protocol,
        plan: Plan,
        conn: Connection,
        obs: Observation,
        timeouts: ProbeTimeouts,
        allow_plaintext_login: bool,
        sender_check: str | None,
        ehlo_name: str | None,
        redact: Callable[[str], str],
        recorder: Recorder | None = None,
    ) -> None:
        self.protocol = protocol
        self.plan = plan
        self.conn = conn
        self.obs = obs
        self.timeouts = timeouts
        self.allow_plaintext_login = allow_plaintext_login
        self.sender_check = sender_check
        self.ehlo_name = ehlo_name
        self.redact = redact
        self.stream = LineStream(conn, recorder=recorder)

    # ------------------------------------------------------------------ timing

    @contextlib.contextmanager
    def phase(self, phase: ProbePhase) -> Iterator[None]:
        """Time a phase (accumulating) and mark it as the current one for failures."""
        self.obs.phase = phase
        start = time.perf_counter()
        try:
            yield
        finally:
            spent = (time.perf_counter() - start) * 1000
            self.obs.timings[phase] = round(self.obs.timings.get(phase, 0.0) + spent, 1)
            self.obs.bytes_received = self.stream.received

    # ------------------------------------------------------------------ I/O

    async def read_line(self, timeout: float | None = None) -> str:
        """The next server line (redacted), within the command timeout unless given."""
        line = await self.stream.read_line(self.timeouts.command if timeout is None else timeout)
        self.obs.bytes_received = self.stream.received
        return self.redact_reply(line)

    def redact_reply(self, line: str) -> str:
        """A server line redacted except its first word (tag, status or reply code).

        The first word is the protocol's own structure and is parsed: a password equal to
        a tag or a reply code (`mp2`, `250`) must not break the dialogue. The result's
        texts are scrubbed as a whole once more when the probe ends.
        """
        head = len(line) - len(line.lstrip(" "))
        end = line.find(" ", head)
        if end < 0:
            return line
        return line[:end] + self.redact(line[end:])

    async def read_exactly(self, size: int) -> bytes:
        """Exactly `size` bytes (an IMAP literal) within the command timeout."""
        return await self.stream.read_exactly(size, self.timeouts.command)

    async def send_line(self, text: str, *, shown: str | None = None) -> None:
        """Send one command line; CR or LF inside it would be a bug (command injection).

        A line carrying a credential passes `shown`: the line as it may be recorded.
        """
        if "\r" in text or "\n" in text:
            raise ValueError("a command line must not contain CR or LF")
        await self.stream.send(text.encode("utf-8") + b"\r\n", self.timeouts.command, shown=shown)

    async def greeting_line(self) -> str:
        """The server's first line, checked to belong to the expected protocol.

        A clean close before any byte is the accept-and-close pattern of rate limiting.
        """
        raw = await self.stream.read_line_or_eof(self.timeouts.greeting)
        self.obs.bytes_received = self.stream.received
        if raw is None:
            raise ProbeStop(
                ProbeStatus.RATE_LIMITED,
                "the server accepted the connection and closed it without a greeting "
                "(typical of rate limiting or a block list)",
                Cause.CLOSED,
            )
        line = self.redact_reply(raw)
        detected = recognise_greeting(line)
        self.obs.detected_protocol = detected
        name = _NAMES[self.protocol]
        if detected is None:
            raise ProtocolViolation(
                f"expected {name} greeting but got {describe_foreign_greeting(line)}: "
                "this port does not speak the expected protocol",
                foreign_greeting_cause(line),
            )
        if detected is not self.protocol:
            self.obs.banner = excerpt(line)
            raise ProtocolViolation(
                f"expected {name} greeting but the server speaks {detected.upper()} "
                f"({excerpt(line, 80)!r})",
                Cause.WRONG_PROTOCOL,
            )
        return line

    async def goodbye(self, command: str) -> None:
        """Send the polite ending (LOGOUT, QUIT) without waiting for its answer.

        Nothing the server says to it changes the outcome, and waiting would cost a round
        trip per endpoint; failures to send do not matter either.
        """
        with contextlib.suppress(Exception):
            async with asyncio.timeout(min(GOODBYE_TIMEOUT, self.timeouts.command)):
                await self.send_line(command)

    # ------------------------------------------------------------------ TLS

    @property
    def tls_active(self) -> bool:
        """True once the connection is encrypted."""
        return self.conn.ssl_object is not None

    def wants_starttls(self) -> bool:
        """True if this attempt should upgrade with STARTTLS now."""
        return self.plan.mode is Security.STARTTLS and not self.tls_active

    async def upgrade(self) -> None:
        """Run the TLS handshake (implicit TLS, or after a STARTTLS go-ahead) and record it."""
        starttls = self.plan.mode is Security.STARTTLS
        try:
            with self.phase(ProbePhase.TLS):
                ssl_object = await self.stream.start_tls(
                    self.plan.context, self.timeouts.tls, after_go_ahead=starttls
                )
        except StartTlsInjection as exc:
            self.obs.starttls_injection = exc.size
            raise ProbeStop(
                ProbeStatus.TLS_ERROR,
                f"the server sent {exc.size} byte(s) of plain text together with its "
                f"STARTTLS go-ahead ({excerpt(self.redact(exc.sample), 80)!r}); they "
                "would have been read as if they came over TLS (STARTTLS response "
                "injection), so the session was abandoned",
                Cause.STARTTLS_INJECTION,
            ) from None
        self.obs.tls = tls_info(ssl_object, verified=self.plan.verified)
        self.obs.chain_len = chain_length(ssl_object)
        # Only the permissive connection's answer is read (to explain a failed strict one);
        # a verified session never needs the DER parser.
        self.obs.leaf_names_issuer_url = not self.plan.verified and names_issuer_url(
            ssl_object.getpeercert(binary_form=True)
        )
        self.obs.detected_security = (
            Security.TLS if self.plan.mode is Security.TLS else Security.STARTTLS
        )

    def starttls_unavailable(self, why: str) -> None:
        """Record that STARTTLS could not be used; fatal unless it was optional."""
        self.obs.detected_security = Security.PLAIN
        if not self.plan.starttls_optional:
            self.obs.verdict = (ProbeStatus.TLS_ERROR, why)
            self.obs.verdict_cause = Cause.STARTTLS_NOT_OFFERED

    def record_capabilities(self, capabilities: tuple[str, ...]) -> None:
        """Keep a capability list as seen before or after TLS."""
        clean = tuple(excerpt(c, 200) for c in capabilities[:200])
        if self.tls_active:
            self.obs.capabilities_after_tls = clean
        else:
            self.obs.capabilities_before_tls = clean

    def record_security(self, starttls_offered: bool) -> None:
        """After the plain-text capabilities: note what security the port offers."""
        if self.tls_active:
            return
        self.obs.starttls_offered = starttls_offered
        self.obs.detected_security = Security.STARTTLS if starttls_offered else Security.PLAIN

    # ------------------------------------------------------------------ login

    def login_gate(self) -> bool:
        """True if a password may be sent now; otherwise records why not (if one was given).

        The password goes only over TLS whose certificate was verified, or in plain text
        when the caller allowed it; never after a failed step.
        """
        if self.plan.credentials is None:
            return False
        reason: str | None = None
        if self.obs.verdict is not None:
            reason = "the session could not be secured as requested"
        elif self.obs.preauth:
            reason = "the server pre-authenticated the session, so no login was needed"
        elif self.tls_active and not self.plan.verified:
            reason = "not sent over a TLS connection whose certificate was not verified"
        elif not self.tls_active and not self.allow_plaintext_login:
            reason = "the password is never sent without TLS unless plain-text login is allowed"
        if reason is not None:
            self.obs.login = LoginResult(status=LoginStatus.NOT_ATTEMPTED, detail=reason)
            return False
        return True
