"""The library API: `check`, `discover` and `probe`, synchronous, with flat keyword arguments.

::

    import mailprobe
    report = mailprobe.check("alice@example.org", timeout=10)
    report = mailprobe.discover("alice@example.org", offline=True)
    report = mailprobe.probe("imap.example.org:993", protocol="imap", security="tls")

Each returns a `mailprobe.Report`; `mailprobe.aio` has the async twins with the same
signatures. Called from a thread whose event loop is already running (a notebook cell, an
async web handler), the run gets a worker thread and an event loop of its own.
An offline `discover` or `check` starts no event loop at all: it contacts nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Mapping
from os import PathLike
from typing import TYPE_CHECKING, Any, TypeVar

from mailprobe import aio, arguments
from mailprobe.aio import DEFAULT_MAX_CONNECTIONS, DEFAULT_TIMEOUT
from mailprobe.models import (
    DEFAULT_ISPDB_URL,
    ConnectTo,
    Nameserver,
    Protocol,
    Report,
    Security,
    SourceId,
)

if TYPE_CHECKING:
    from mailprobe.policy_file import Policy
    from mailprobe.probes.login import Credentials

T = TypeVar("T")


def run_sync(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine `make()` returns to completion, from synchronous code.

    In a thread without a running event loop this is `asyncio.run`. In a thread whose
    loop is running, that loop cannot be re-entered (and must not be blocked from inside a
    coroutine, which is the caller's choice), so the coroutine runs in a worker thread
    with a loop of its own while this thread waits for its result.
    """
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailprobe") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def discover(
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
    from mailprobe.pipeline import run_discover, run_discover_offline

    options = aio.discover_options(
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
    text = arguments.address_value(address)
    if options.offline:
        report = run_discover_offline(text, options)
    else:
        report = run_sync(lambda: run_discover(text, options))
    return arguments.after_run(report, rules, earlier)


def check(
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
    from mailprobe.pipeline import run_check, run_discover_offline

    options = aio.check_options(
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
    text = arguments.address_value(address)
    if options.discovery.offline:
        report = run_discover_offline(text, options.discovery)
    else:
        report = run_sync(lambda: run_check(text, options))
    return arguments.after_run(report, rules, earlier)


def probe(
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
    options = aio.probe_options(
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
    report = run_sync(lambda: run_probe(host, port, chosen, mode, options))
    return arguments.after_run(report, rules, earlier)


__all__ = ["check", "discover", "probe", "run_sync"]
