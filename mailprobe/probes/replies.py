"""Pure parsers for IMAP, POP3 and SMTP server lines: text in, values out, no sockets.

Each function takes one line (already read and decoded, without its line ending) or the
lines of one reply, and returns a frozen value. Malformed input raises
`ProtocolViolation`, which the probe boundary classifies as a protocol error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from mailprobe.models import Cause, Protocol
from mailprobe.net.failures import ProtocolViolation
from mailprobe.text import ascii_int

#: Longest excerpt of server text quoted in a reason or kept as a banner.
MAX_EXCERPT = 300


def decode_line(raw: bytes) -> str:
    """Decode one received line (any bytes) to text without its CRLF or LF ending."""
    if raw.endswith(b"\r\n"):
        raw = raw[:-2]
    elif raw.endswith(b"\n"):
        raw = raw[:-1]
    return raw.decode("utf-8", errors="replace")


def excerpt(text: str, limit: int = MAX_EXCERPT) -> str:
    """`text` made safe to show: control characters replaced, cut to `limit` characters."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text)
    return clean if len(clean) <= limit else clean[: limit - 3] + "..."


# --------------------------------------------------------------------------- greetings

_SMTP_LINE = re.compile(r"^([2-5][0-9][0-9])([ -]|$)(.*)$", re.DOTALL)


def recognise_greeting(line: str) -> Protocol | None:
    """Which mail protocol a first server line belongs to, or None if none of ours."""
    upper = line.upper()
    if upper.startswith(("* OK", "* PREAUTH", "* BYE")):
        return Protocol.IMAP
    if upper.startswith(("+OK", "-ERR")):
        return Protocol.POP3
    if _SMTP_LINE.match(line):
        return Protocol.SMTP
    return None


def describe_foreign_greeting(line: str) -> str:
    """A plain description of a first line that is not a mail greeting."""
    if line.startswith("HTTP/"):
        return "an HTTP server"
    if line.startswith("SSH-"):
        return "an SSH server"
    if _looks_like_tls(line):
        return "a TLS server (it sent TLS records without a handshake from us)"
    if not line.strip():
        return "an empty line"
    return f"unrecognised data ({excerpt(line, 80)!r})"


def foreign_greeting_cause(line: str) -> Cause:
    """The cause for a first line that is not a mail greeting (see `describe_foreign_greeting`)."""
    if line.startswith("HTTP/"):
        return Cause.HTTP_ANSWER
    if line.startswith("SSH-") or _looks_like_tls(line):
        return Cause.WRONG_PROTOCOL
    return Cause.GARBAGE


def _looks_like_tls(line: str) -> bool:
    return line[:1] in ("\x15", "\x16") and line[1:2] == "\x03"


def read_hello_answer(data: bytes) -> tuple[Cause, str] | None:
    """What the bytes a server sent in answer to a TLS ClientHello were, if not TLS.

    Returns None for nothing at all or a TLS record (then the bytes say nothing new);
    otherwise the cause and a description quoting the first line.
    """
    if not data or (data[:1] in (b"\x15", b"\x16") and data[1:2] == b"\x03"):
        return None
    line = decode_line(data.split(b"\n", 1)[0] + b"\n")
    quoted = repr(excerpt(line, 80))
    if line.startswith("HTTP/"):
        return Cause.HTTP_ANSWER, f"it answered with HTTP ({quoted}): a web server listens there"
    protocol = recognise_greeting(line)
    if protocol is not None:
        return (
            Cause.WRONG_PROTOCOL,
            f"it answered with a {protocol.upper()} line ({quoted}) only after data was sent",
        )
    return Cause.GARBAGE, f"it answered with {describe_foreign_greeting(line)}"


# --------------------------------------------------------------------------- IMAP


class ImapKind(StrEnum):
    """The three shapes of an IMAP server line."""

    UNTAGGED = "untagged"
    TAGGED = "tagged"
    CONTINUATION = "continuation"


#: IMAP status words that may carry a `[CODE args]` response code.
IMAP_STATUS_WORDS = frozenset({"OK", "NO", "BAD", "PREAUTH", "BYE"})


@dataclass(frozen=True)
class ImapResponse:
    """One IMAP server line.

    `word` is the upper-cased first word after the tag (`OK`, `NO`, `CAPABILITY`, ...);
    `code` and `code_args` hold a bracketed response code (`[AUTHENTICATIONFAILED]`,
    `[CAPABILITY IMAP4rev1 ...]`); `text` is what follows.
    """

    kind: ImapKind
    tag: str | None
    word: str
    code: str | None
    code_args: tuple[str, ...]
    text: str


def parse_imap_line(line: str) -> ImapResponse:
    """Parse one IMAP server line (untagged `*`, continuation `+`, or tagged)."""
    if line.startswith("+"):
        return ImapResponse(ImapKind.CONTINUATION, None, "+", None, (), line[1:].strip())
    head, _, rest = line.partition(" ")
    if not head or not rest:
        raise ProtocolViolation(f"malformed IMAP response: {excerpt(line, 80)!r}")
    kind = ImapKind.UNTAGGED if head == "*" else ImapKind.TAGGED
    tag = None if kind is ImapKind.UNTAGGED else head
    word, _, rest = rest.partition(" ")
    word = word.upper()
    if kind is ImapKind.TAGGED and word not in ("OK", "NO", "BAD"):
        raise ProtocolViolation(f"malformed IMAP tagged response: {excerpt(line, 80)!r}")
    code: str | None = None
    code_args: tuple[str, ...] = ()
    if word in IMAP_STATUS_WORDS and rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            raise ProtocolViolation(f"unterminated IMAP response code: {excerpt(line, 80)!r}")
        inner = rest[1:end].split()
        if inner:
            code = inner[0].upper()
            code_args = tuple(inner[1:])
        rest = rest[end + 1 :].lstrip()
    return ImapResponse(kind, tag, word, code, code_args, rest)


def imap_capabilities(response: ImapResponse) -> tuple[str, ...] | None:
    """The capability list carried by a response (`* CAPABILITY ...` or a code), else None."""
    if response.word == "CAPABILITY":
        return tuple(response.text.split())
    if response.code == "CAPABILITY":
        return response.code_args
    return None


def has_capability(capabilities: tuple[str, ...], name: str) -> bool:
    """Case-insensitive membership test for capability atoms."""
    wanted = name.upper()
    return any(c.upper() == wanted for c in capabilities)


def imap_auth_mechanisms(capabilities: tuple[str, ...]) -> tuple[str, ...]:
    """The SASL mechanisms in `AUTH=` capabilities, upper-cased, in order."""
    return tuple(c[5:].upper() for c in capabilities if c.upper().startswith("AUTH="))


# --------------------------------------------------------------------------- POP3

_POP3_CODE = re.compile(r"^\[([A-Za-z0-9/_-]+)\]\s*")


@dataclass(frozen=True)
class Pop3Status:
    """A POP3 `+OK` / `-ERR` line; `code` is an RFC 2449 response code like `AUTH`."""

    ok: bool
    text: str
    code: str | None = None


def parse_pop3_status(line: str) -> Pop3Status:
    """Parse a POP3 status line."""
    upper = line.upper()
    if upper.startswith("+OK"):
        return Pop3Status(True, line[3:].strip())
    if upper.startswith("-ERR"):
        text = line[4:].strip()
        match = _POP3_CODE.match(text)
        if match:
            return Pop3Status(False, text[match.end() :], match.group(1).upper())
        return Pop3Status(False, text)
    raise ProtocolViolation(f"malformed POP3 status line: {excerpt(line, 80)!r}")


def pop3_unstuff(line: str) -> str:
    """Remove POP3 byte-stuffing from one line of a multi-line answer."""
    return line[1:] if line.startswith("..") else line


@dataclass(frozen=True)
class Pop3Capabilities:
    """What a POP3 `CAPA` answer offers."""

    lines: tuple[str, ...]
    stls: bool
    user: bool
    sasl: tuple[str, ...]


def parse_pop3_capa(lines: tuple[str, ...]) -> Pop3Capabilities:
    """Interpret the lines of a CAPA answer (between `+OK` and the final `.`)."""
    stls = user = False
    sasl: tuple[str, ...] = ()
    for line in lines:
        words = line.split()
        if not words:
            continue
        name = words[0].upper()
        if name == "STLS":
            stls = True
        elif name == "USER":
            user = True
        elif name == "SASL":
            sasl = tuple(w.upper() for w in words[1:])
    return Pop3Capabilities(lines, stls, user, sasl)


# --------------------------------------------------------------------------- SMTP


@dataclass(frozen=True)
class SmtpLine:
    """One line of an SMTP reply: its code, whether more lines follow, and its text."""

    code: int
    more: bool
    text: str


def parse_smtp_line(line: str) -> SmtpLine:
    """Parse `250-text`, `250 text` or a bare `250`."""
    match = _SMTP_LINE.match(line)
    if match is None:
        raise ProtocolViolation(f"malformed SMTP reply line: {excerpt(line, 80)!r}")
    return SmtpLine(int(match.group(1)), match.group(2) == "-", match.group(3))


_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True)
class SmtpReply:
    """A complete (possibly multi-line) SMTP reply."""

    code: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """All line texts joined with spaces."""
        return " ".join(line for line in self.lines if line)

    @property
    def enhanced(self) -> str | None:
        """The RFC 3463 enhanced status code of the first line (`5.7.8`), if any."""
        match = _ENHANCED.match(self.lines[0]) if self.lines else None
        return match.group(0) if match else None

    @property
    def ok(self) -> bool:
        """True for 2xx and 3xx replies."""
        return 200 <= self.code < 400


class SmtpReplyBuilder:
    """Collects the lines of one SMTP reply and says when it is complete."""

    def __init__(self) -> None:
        self._code: int | None = None
        self._lines: list[str] = []
        self.done = False

    def feed(self, line: str) -> None:
        """Add one line; raises ProtocolViolation on a code change inside a reply."""
        parsed = parse_smtp_line(line)
        if self._code is None:
            self._code = parsed.code
        elif parsed.code != self._code:
            raise ProtocolViolation(
                f"SMTP reply changed its code from {self._code} to {parsed.code} mid-reply"
            )
        self._lines.append(parsed.text)
        self.done = not parsed.more

    def reply(self) -> SmtpReply:
        """The finished reply."""
        if self._code is None or not self.done:
            raise ProtocolViolation("incomplete SMTP reply")
        return SmtpReply(self._code, tuple(self._lines))


def parse_smtp_reply(lines: list[str] | tuple[str, ...]) -> SmtpReply:
    """Parse the lines of exactly one complete SMTP reply."""
    builder = SmtpReplyBuilder()
    for index, line in enumerate(lines):
        if builder.done:
            raise ProtocolViolation(f"extra SMTP line after the reply ended (line {index + 1})")
        builder.feed(line)
    return builder.reply()


@dataclass(frozen=True)
class EhloInfo:
    """The extensions an EHLO reply advertises."""

    keywords: tuple[str, ...]
    starttls: bool
    auth: tuple[str, ...]
    size: int | None


def parse_ehlo(reply: SmtpReply) -> EhloInfo:
    """Interpret an EHLO reply: its lines after the first are extension keywords."""
    keywords = tuple(line.strip() for line in reply.lines[1:] if line.strip())
    starttls = False
    auth: list[str] = []
    size: int | None = None
    for keyword in keywords:
        # Old servers write `AUTH=PLAIN LOGIN`; treat it like `AUTH PLAIN LOGIN`.
        name, *params = keyword.replace("=", " ", 1).split()
        name = name.upper()
        if name == "STARTTLS":
            starttls = True
        elif name == "AUTH":
            for mech in params:
                if mech.upper() not in auth:
                    auth.append(mech.upper())
        elif name == "SIZE" and params and (declared := ascii_int(params[0])) is not None:
            size = declared
    return EhloInfo(keywords, starttls, tuple(auth), size)
