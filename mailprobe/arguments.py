"""Flat keyword arguments of the library API -> the option objects the pipeline takes.

`mailprobe.check(..., timeout=5, nameservers=["127.0.0.1:5353"])` is validated here:
strings are accepted wherever an enum or an option object is expected, and a value that
cannot be used raises `InvalidArgumentError` naming the keyword. Nothing here does I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mailprobe.errors import InvalidArgumentError, InvalidOptionError
from mailprobe.models import (
    ConnectTo,
    DiscoveryOptions,
    Nameserver,
    NetOptions,
    Protocol,
    Report,
    Security,
    SourceId,
)

if TYPE_CHECKING:
    from mailprobe.policy_file import Policy
    from mailprobe.probes.login import Credentials
    from mailprobe.probes.options import CheckOptions

E = TypeVar("E", bound=StrEnum)

#: The CLI spelling the option parsers start their messages with ("--nameserver 'x': ").
_CLI_PREFIX = re.compile(r"^--[a-z-]+(?: '[^']*')?: ")


def _reworded(argument: str, value: str, exc: InvalidOptionError) -> InvalidArgumentError:
    return InvalidArgumentError(argument, f"{value!r}: {_CLI_PREFIX.sub('', str(exc))}")


def enum_value(argument: str, kind: type[E], value: object) -> E:
    """`value` as a member of `kind`; a member itself or its string value, any case."""
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        try:
            return kind(value.strip().lower())
        except ValueError:
            pass
    choices = ", ".join(m.value for m in kind)
    raise InvalidArgumentError(argument, f"{value!r} is not one of {choices}")


def protocol_value(value: Protocol | str | None) -> Protocol | None:
    """The `protocol` argument (None: from the port)."""
    return None if value is None else enum_value("protocol", Protocol, value)


def security_value(value: Security | str | None) -> Security | None:
    """The `security` argument (None: from the port)."""
    return None if value is None else enum_value("security", Security, value)


def _strings(argument: str, values: Iterable[object] | str | None) -> list[object]:
    if values is None:
        return []
    if isinstance(values, str):
        return [values]  # one value given without a list
    try:
        return list(values)
    except TypeError:
        raise InvalidArgumentError(argument, f"expected a list, got {values!r}") from None


def nameservers_value(values: Iterable[Nameserver | str] | str | None) -> tuple[Nameserver, ...]:
    """`nameservers`: "IP[:PORT]" strings (or `Nameserver` objects)."""
    from mailprobe.option_values import parse_nameserver

    parsed: list[Nameserver] = []
    for value in _strings("nameservers", values):
        if isinstance(value, Nameserver):
            parsed.append(value)
        elif isinstance(value, str):
            try:
                parsed.append(parse_nameserver(value))
            except InvalidOptionError as exc:
                raise _reworded("nameservers", value, exc) from None
        else:
            raise InvalidArgumentError("nameservers", f"{value!r} is not an 'IP[:PORT]' string")
    return tuple(parsed)


def connect_to_value(values: Iterable[ConnectTo | str] | str | None) -> tuple[ConnectTo, ...]:
    """`connect_to`: curl-style "HOST:PORT:ADDR:PORT" strings (or `ConnectTo` objects)."""
    from mailprobe.option_values import parse_connect_to

    parsed: list[ConnectTo] = []
    for value in _strings("connect_to", values):
        if isinstance(value, ConnectTo):
            parsed.append(value)
        elif isinstance(value, str):
            try:
                parsed.append(parse_connect_to(value))
            except InvalidOptionError as exc:
                raise _reworded("connect_to", value, exc) from None
        else:
            raise InvalidArgumentError(
                "connect_to", f"{value!r} is not a 'HOST:PORT:ADDR:PORT' string"
            )
    return tuple(parsed)


def sources_value(values: Iterable[SourceId | str] | str | None) -> frozenset[SourceId] | None:
    """`sources`: source ids, as members or names ("srv", or "srv,mx" in one string)."""
    from mailprobe.option_values import parse_sources

    if values is None:
        return None
    texts = []
    for value in _strings("sources", values):
        if not isinstance(value, str):
            raise InvalidArgumentError("sources", f"{value!r} is not a source name")
        texts.append(str(value))
    try:
        return parse_sources(texts)
    except InvalidOptionError as exc:
        raise InvalidArgumentError("sources", _CLI_PREFIX.sub("", str(exc))) from None


def timeout_value(value: float) -> float:
    """`timeout`: the overall deadline in seconds, above 0 and at most an hour."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentError("timeout", f"{value!r} is not a number of seconds")
    if not 0 < value <= 3600 or math.isnan(value):
        raise InvalidArgumentError("timeout", f"{value!r}: expected seconds between 0 and 3600")
    return float(value)


def ca_file_value(value: str | PathLike[str] | None) -> Path | None:
    """`ca_file`: a path to PEM certificates (checked to exist when given)."""
    if value is None:
        return None
    if not isinstance(value, str | PathLike):
        raise InvalidArgumentError("ca_file", f"{value!r} is not a path")
    path = Path(value)
    if not path.is_file():
        raise InvalidArgumentError("ca_file", f"{str(path)!r} is not a readable file")
    return path


def _flag(argument: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgumentError(argument, f"expected True or False, got {value!r}")
    return value


def net_options(
    *,
    timeout: float,
    nameservers: Iterable[Nameserver | str] | str | None,
    connect_to: Iterable[ConnectTo | str] | str | None,
    ca_file: str | PathLike[str] | None,
) -> NetOptions:
    """The network options every function takes."""
    return NetOptions(
        nameservers=nameservers_value(nameservers),
        connect_to=connect_to_value(connect_to),
        ca_file=ca_file_value(ca_file),
        timeout=timeout_value(timeout),
    )


def discovery_options(
    *,
    offline: bool,
    net: NetOptions,
    ispdb_url: str,
    allow_http: bool,
    send_address: bool,
    sources: Iterable[SourceId | str] | str | None,
) -> DiscoveryOptions:
    """The options of `discover` (and the discovery half of `check`)."""
    if not isinstance(ispdb_url, str) or not ispdb_url.startswith(("https://", "http://")):
        raise InvalidArgumentError("ispdb_url", f"{ispdb_url!r}: expected an http(s):// URL")
    return DiscoveryOptions(
        net=net,
        ispdb_url=ispdb_url,
        allow_http=_flag("allow_http", allow_http),
        send_address=_flag("send_address", send_address),
        offline=_flag("offline", offline),
        sources=sources_value(sources),
    )


def credentials_value(value: object) -> Credentials | None:
    """`credentials`: a `mailprobe.Credentials(username, password)` or None."""
    if value is None:
        return None
    from mailprobe.probes.login import Credentials

    if not isinstance(value, Credentials):
        # Never echo the value: it may hold a password.
        raise InvalidArgumentError(
            "credentials", f"expected mailprobe.Credentials, got {type(value).__name__}"
        )
    if not value.password:
        raise InvalidArgumentError("credentials", "the password is empty")
    return value


def check_options(
    discovery: DiscoveryOptions,
    *,
    credentials: object,
    weak_tls: bool,
    max_connections: int,
    allow_plaintext_login: bool,
    sender_check: bool,
    user_named_username: bool,
) -> CheckOptions:
    """The options of `check` and `probe`.

    A non-empty `credentials.username` replaces the one discovery found for each server
    (always so for `probe`, where `user_named_username` is set).
    """
    from mailprobe.probes.options import CheckOptions

    creds = credentials_value(credentials)
    if isinstance(max_connections, bool) or not isinstance(max_connections, int):
        raise InvalidArgumentError("max_connections", f"{max_connections!r} is not an integer")
    if not 1 <= max_connections <= 200:
        raise InvalidArgumentError("max_connections", f"{max_connections}: expected 1 to 200")
    plaintext = _flag("allow_plaintext_login", allow_plaintext_login)
    sender = _flag("sender_check", sender_check)
    if creds is None:
        for name, given in (("allow_plaintext_login", plaintext), ("sender_check", sender)):
            if given:
                raise InvalidArgumentError(name, "only makes sense with credentials")
    return CheckOptions(
        discovery=discovery,
        max_connections=max_connections,
        credentials=creds,
        username_override=user_named_username or bool(creds and creds.username),
        allow_plaintext_login=plaintext,
        sender_check=sender,
        check_weak_tls=_flag("weak_tls", weak_tls),
    )


def address_value(address: object) -> str:
    """The `address` argument: text (parsed and validated by the pipeline)."""
    if not isinstance(address, str):
        raise InvalidArgumentError("address", f"expected the address as text, got {address!r}")
    return address


def probe_target(
    server: object, protocol: Protocol | str | None, security: Security | str | None
) -> tuple[str, int | None, Protocol, Security | None]:
    """`probe("HOST[:PORT]", protocol=..., security=...)` -> host, port, protocol, security.

    The protocol may be left out when the port implies it (993 -> imap, 465 -> smtp, ...).
    """
    from mailprobe.option_values import parse_host_port
    from mailprobe.pipeline import infer_protocol

    if not isinstance(server, str):
        raise InvalidArgumentError("server", f"expected 'HOST[:PORT]' text, got {server!r}")
    try:
        host, port = parse_host_port(server)
    except InvalidOptionError as exc:
        raise InvalidArgumentError("server", str(exc)) from None
    chosen = protocol_value(protocol)
    if chosen is None:
        chosen = infer_protocol(port) if port else None
        if chosen is None:
            raise InvalidArgumentError(
                "protocol", "needed (imap, pop3 or smtp): the port does not imply one"
            )
    return host, port, chosen, security_value(security)


def policy_value(value: object) -> Policy | None:
    """`policy`: a path to a policy file (read and checked now) or a parsed `Policy`."""
    if value is None:
        return None
    from mailprobe.policy_file import Policy, load_policy

    if isinstance(value, Policy):
        return value
    if isinstance(value, str | PathLike):
        return load_policy(Path(value))  # PolicyError names the file, key and line
    raise InvalidArgumentError("policy", f"expected a path or a parsed policy, got {value!r}")


def baseline_value(value: object) -> Mapping[str, Any] | None:
    """`baseline`: a path to an earlier JSON report, or that report as a dict."""
    if value is None:
        return None
    from mailprobe.baseline import check_report_doc, load_baseline

    if isinstance(value, Mapping):
        return check_report_doc(dict(value), "baseline")
    if isinstance(value, str | PathLike):
        return load_baseline(Path(value))  # BaselineError names the file
    raise InvalidArgumentError(
        "baseline", f"expected a path or a report dict, got {type(value).__name__}"
    )


def after_run(report: Report, policy: Policy | None, baseline: Mapping[str, Any] | None) -> Report:
    """`report` with the policy's findings and the changes since the baseline, if given."""
    if policy is not None:
        from mailprobe.policy import apply_policy

        report = apply_policy(report, policy)
    if baseline is not None:
        from mailprobe.baseline import apply_baseline

        report = apply_baseline(report, baseline)
    return report
