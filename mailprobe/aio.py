"""The async twins of `mailprobe.check`, `mailprobe.discover` and `mailprobe.probe`.

Same keyword arguments, same `Report`, awaited inside your own event loop::

    import asyncio, mailprobe.aio
    report = asyncio.run(mailprobe.aio.check("alice@example.org", timeout=5))

`policy` (a policy file's path, or a parsed policy) adds `policy.*` findings and
`baseline` (an earlier JSON report's path, or that report as a dict) adds `changes`, as
`--policy` and `--baseline` do. Arguments are validated before anything runs: a value
that cannot be used raises `mailprobe.InvalidArgumentError` naming the keyword. Network
trouble never raises; it is data in the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from os import PathLike
from typing import TYPE_CHECKING, Any

from mailprobe import arguments
from mailprobe.errors import InvalidArgumentError
from mailprobe.models import (
    DEFAULT_ISPDB_URL,
    ConnectTo,
    DiscoveryOptions,
    Nameserver,
    Protocol,
    Report,
    Security,
    SourceId,
)

if TYPE_CHECKING:
    from mailprobe.policy_file import Policy
    from mailprobe.probes.login import Credentials
    from mailprobe.probes.options import CheckOptions

#: The CLI's default overall deadline, in seconds.
DEFAULT_TIMEOUT = 10.0
#: The CLI's default number of probes running at once.
DEFAULT_MAX_CONNECTIONS = 10


def discover_options(
    *,
    offline: bool,
    timeout: float,
    nameservers: Iterable[Nameserver | str] | str | None,
    connect_to: Iterable[ConnectTo | str] | str | None,
    ca_file: str | PathLike[str] | None,
    ispdb_url: str,
    allow_http: bool,
    send_address: bool,
    sources: Iterable[SourceId | str] | str | None,
) -> DiscoveryOptions:
    """The validated options behind `discover`'s keyword arguments."""
    net = arguments.net_options(
        timeout=timeout, nameservers=nameservers, connect_to=connect_to, ca_file=ca_file
    )
    return arguments.discovery_options(
        offline=offline,
        net=net,
        ispdb_url=ispdb_url,
        allow_http=allow_http,
        send_address=send_address,
        sources=sources,
    )


async def discover(
    address: str,
    *,
    offline: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    nameservers: Iterable[Nameserver | str] | str | None = None,
    connect_to: Iterable[ConnectTo | str] | str | None = None,
    ca_file: str | PathLike[str] | None = None,
    ispdb_url: str = DEFAULT_ISPDB_URL,
    allow_http: bool = False,
    send_address: bool = False,
    sources: Iterable[SourceId | str] | str | None = None,
    policy: str | PathLike[str] | Policy | None = None,
    baseline: str | PathLike[str] | Mapping[str, Any] | None = None,
) -> Report:
    """Gather candidate settings for `address` from every source; no mail server is contacted.

    `offline=True` contacts nothing at all (no DNS either): the bundled database only.
    """
    from mailprobe.pipeline import run_discover

    options = discover_options(
        offline=offline,
        timeout=timeout,
        nameservers=nameservers,
        connect_to=connect_to,
        ca_file=ca_file,
        ispdb_url=ispdb_url,
        allow_http=allow_http,
        send_address=send_address,
        sources=sources,
    )
    rules = arguments.policy_value(policy)
    earlier = arguments.baseline_value(baseline)
    report = await run_discover(arguments.address_value(address), options)
    return arguments.after_run(report, rules, earlier)


def check_options(
    *,
    offline: bool,
    timeout: float,
    nameservers: Iterable[Nameserver | str] | str | None,
    connect_to: Iterable[ConnectTo | str] | str | None,
    ca_file: str | PathLike[str] | None,
    ispdb_url: str,
    allow_http: bool,
    send_address: bool,
    sources: Iterable[SourceId | str] | str | None,
    weak_tls: bool,
    max_connections: int,
    credentials: Credentials | None,
    allow_plaintext_login: bool,
    sender_check: bool,
) -> CheckOptions:
    """The validated options behind `check`'s keyword arguments."""
    discovery = discover_options(
        offline=offline,
        timeout=timeout,
        nameservers=nameservers,
        connect_to=connect_to,
        ca_file=ca_file,
        ispdb_url=ispdb_url,
        allow_http=allow_http,
        send_address=send_address,
        sources=sources,
    )
    if offline and credentials is not None:
        raise InvalidArgumentError(
            "credentials", "a login test needs the network; offline=True contacts nothing"
        )
    return arguments.check_options(
        discovery,
        credentials=credentials,
        weak_tls=weak_tls,
        max_connections=max_connections,
        allow_plaintext_login=allow_plaintext_login,
        sender_check=sender_check,
        user_named_username=False,
    )


async def check(
    address: str,
    *,
    offline: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    nameservers: Iterable[Nameserver | str] | str | None = None,
    connect_to: Iterable[ConnectTo | str] | str | None = None,
    ca_file: str | PathLike[str] | None = None,
    ispdb_url: str = DEFAULT_ISPDB_URL,
    allow_http: bool = False,
    send_address: bool = False,
    sources: Iterable[SourceId | str] | str | None = None,
    weak_tls: bool = False,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    credentials: Credentials | None = None,
    allow_plaintext_login: bool = False,
    sender_check: bool = False,
    policy: str | PathLike[str] | Policy | None = None,
    baseline: str | PathLike[str] | Mapping[str, Any] | None = None,
) -> Report:
    """Discover the settings for `address` and verify each server with a live handshake.

    One `timeout` covers the whole run. `credentials` adds a login test (sent only over
    verified TLS and only to hosts a trusted source named; an empty username means the
    one discovery found). `offline=True` contacts nothing: the report is then the offline
    `discover` report.
    """
    from mailprobe.pipeline import run_check

    options = check_options(
        offline=offline,
        timeout=timeout,
        nameservers=nameservers,
        connect_to=connect_to,
        ca_file=ca_file,
        ispdb_url=ispdb_url,
        allow_http=allow_http,
        send_address=send_address,
        sources=sources,
        weak_tls=weak_tls,
        max_connections=max_connections,
        credentials=credentials,
        allow_plaintext_login=allow_plaintext_login,
        sender_check=sender_check,
    )
    rules = arguments.policy_value(policy)
    earlier = arguments.baseline_value(baseline)
    report = await run_check(arguments.address_value(address), options)
    return arguments.after_run(report, rules, earlier)


def probe_options(
    *,
    timeout: float,
    nameservers: Iterable[Nameserver | str] | str | None,
    connect_to: Iterable[ConnectTo | str] | str | None,
    ca_file: str | PathLike[str] | None,
    weak_tls: bool,
    max_connections: int,
    credentials: Credentials | None,
    allow_plaintext_login: bool,
    sender_check: bool,
) -> CheckOptions:
    """The validated options behind `probe`'s keyword arguments."""
    net = arguments.net_options(
        timeout=timeout, nameservers=nameservers, connect_to=connect_to, ca_file=ca_file
    )
    options = arguments.check_options(
        DiscoveryOptions(net=net),
        credentials=credentials,
        weak_tls=weak_tls,
        max_connections=max_connections,
        allow_plaintext_login=allow_plaintext_login,
        sender_check=sender_check,
        user_named_username=True,
    )
    if options.credentials is not None and not options.credentials.username:
        raise InvalidArgumentError(
            "credentials", "probe needs the username: nothing was discovered to take it from"
        )
    return options


async def probe(
    server: str,
    *,
    protocol: Protocol | str | None = None,
    security: Security | str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    nameservers: Iterable[Nameserver | str] | str | None = None,
    connect_to: Iterable[ConnectTo | str] | str | None = None,
    ca_file: str | PathLike[str] | None = None,
    weak_tls: bool = False,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    credentials: Credentials | None = None,
    allow_plaintext_login: bool = False,
    sender_check: bool = False,
    policy: str | PathLike[str] | Policy | None = None,
    baseline: str | PathLike[str] | Mapping[str, Any] | None = None,
) -> Report:
    """Verify one setting a user typed in (`"HOST[:PORT]"`) and detect what is missing.

    `protocol` ("imap", "pop3", "smtp") may be left out when the port implies it;
    without a port both standard ports are tried, without `security` ("tls",
    "starttls", "plain") the mode the port implies, and a mismatch is named.
    """
    from mailprobe.pipeline import run_probe

    host, port, chosen, mode = arguments.probe_target(server, protocol, security)
    options = probe_options(
        timeout=timeout,
        nameservers=nameservers,
        connect_to=connect_to,
        ca_file=ca_file,
        weak_tls=weak_tls,
        max_connections=max_connections,
        credentials=credentials,
        allow_plaintext_login=allow_plaintext_login,
        sender_check=sender_check,
    )
    rules = arguments.policy_value(policy)
    earlier = arguments.baseline_value(baseline)
    report = await run_probe(host, port, chosen, mode, options)
    return arguments.after_run(report, rules, earlier)


__all__ = ["check", "discover", "probe"]
