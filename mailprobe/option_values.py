"""Parse option values given as text (`--nameserver`, `--connect-to`, `--sources`, ...).

Each parser raises InvalidOptionError with a message that shows the expected form, so the
command line can print one clear line and exit 2.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from mailprobe.errors import InvalidOptionError
from mailprobe.models import ConnectTo, Nameserver, SourceId
from mailprobe.text import ascii_int


def _port(text: str, what: str, *, allow_empty: bool = False) -> int:
    if allow_empty and text == "":
        return 0
    port = ascii_int(text, max_digits=5)
    if port is None or not 1 <= port <= 65535:
        raise InvalidOptionError(f"{what}: {text!r} is not a port number (1-65535)")
    return port


def parse_nameserver(text: str) -> Nameserver:
    """`IP`, `IP:PORT`, `[IPv6]:PORT` or a bare IPv6 address -> Nameserver."""
    raw = text.strip()
    host, port = raw, 53
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0:
            raise InvalidOptionError(f"--nameserver {text!r}: missing ']' after an IPv6 address")
        host = raw[1:end]
        rest = raw[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise InvalidOptionError(f"--nameserver {text!r}: expected [IPv6]:PORT")
            port = _port(rest[1:], f"--nameserver {text!r}")
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
        port = _port(port_text, f"--nameserver {text!r}")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise InvalidOptionError(
            f"--nameserver {text!r}: expected an IP address, optionally with :PORT "
            "(e.g. 127.0.0.1:5353 or [::1]:53)"
        ) from None
    return Nameserver(host, port)


def _split_connect_to(text: str) -> list[str]:
    """Split on ':' outside square brackets (IPv6 literals)."""
    parts: list[str] = []
    current = ""
    depth = 0
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == ":" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def parse_connect_to(text: str) -> ConnectTo:
    """`HOST:PORT:ADDR:PORT` as in curl; an empty HOST or PORT matches any."""
    parts = _split_connect_to(text.strip())
    if len(parts) != 4:
        raise InvalidOptionError(
            f"--connect-to {text!r}: expected HOST:PORT:ADDR:PORT "
            "(e.g. imap.example.org:993:127.0.0.1:10993; IPv6 in brackets)"
        )
    host, port_text, to_host, to_port_text = parts
    what = f"--connect-to {text!r}"
    return ConnectTo(
        host=host.strip("[]").lower().rstrip("."),
        port=_port(port_text, what, allow_empty=True),
        to_host=to_host.strip("[]"),
        to_port=_port(to_port_text, what, allow_empty=True),
    )


def parse_sources(texts: Iterable[str]) -> frozenset[SourceId]:
    """Comma-separated source ids (`srv,autoconfig`) -> a set; unknown names are errors."""
    chosen: set[SourceId] = set()
    valid = ", ".join(s.value for s in SourceId if s is not SourceId.USER)
    for text in texts:
        for name in text.split(","):
            name = name.strip().lower()
            if not name:
                continue
            try:
                source = SourceId(name)
            except ValueError:
                raise InvalidOptionError(
                    f"--sources: unknown source {name!r} (choose from {valid})"
                ) from None
            if source is SourceId.USER:
                raise InvalidOptionError(f"--sources: {name!r} is not a discovery source")
            chosen.add(source)
    if not chosen:
        raise InvalidOptionError(f"--sources: name at least one source ({valid})")
    return frozenset(chosen)


def parse_host_port(text: str) -> tuple[str, int | None]:
    """`HOST`, `HOST:PORT`, `[IPv6]:PORT` -> (host, port or None)."""
    raw = text.strip()
    if not raw:
        raise InvalidOptionError("the server is empty: expected HOST or HOST:PORT")
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0:
            raise InvalidOptionError(f"{text!r}: missing ']' after an IPv6 address")
        host, rest = raw[1:end], raw[end + 1 :]
        if not rest:
            return host, None
        if not rest.startswith(":"):
            raise InvalidOptionError(f"{text!r}: expected [IPv6]:PORT")
        return host, _port(rest[1:], repr(text))
    if raw.count(":") == 1:
        host, port_text = raw.split(":")
        return host, _port(port_text, repr(text))
    if raw.count(":") > 1:
        return raw, None  # a bare IPv6 address
    return raw, None


def check_timeout(value: float) -> float:
    """A positive, finite deadline in seconds."""
    if not value > 0 or value > 3600:
        raise InvalidOptionError(f"--timeout {value}: expected seconds between 0 and 3600")
    return value


def parse_base_url(text: str, option: str) -> str:
    """An absolute `http(s)://` URL with a host and, if given, a port in 1-65535.

    `option` names the option in the error (e.g. `--ispdb-url`). Only `urllib` is used, so
    checking an option loads no network library.
    """
    from urllib.parse import urlsplit

    problem = ""
    try:
        parts = urlsplit(text)
        port = parts.port  # ValueError when not a number or outside 0-65535
    except ValueError as exc:
        problem = str(exc)
    else:
        if parts.scheme.lower() not in ("http", "https"):
            problem = "expected an http(s):// URL"
        elif not parts.hostname:
            problem = "the URL has no host name"
        elif port is not None and not 1 <= port <= 65535:
            problem = f"port {port} is outside 1-65535"
    if problem:
        raise InvalidOptionError(f"{option} {text!r}: {problem}")
    return text
