"""The library API: `mailprobe.check/discover/probe` (sync) and `mailprobe.aio` (async).

Flat keyword arguments, strings for enums, `InvalidArgumentError` naming a bad keyword,
`offline=True` contacting nothing (counted at a loopback listener), and the sync
functions working from a thread whose event loop is running (the notebook case).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import mailprobe
from mailprobe import aio
from testbed import BedInfo

ROOT = Path(__file__).resolve().parent.parent


def _bed_kwargs(bed: BedInfo) -> dict[str, Any]:
    return {
        "nameservers": [bed.nameserver],
        "connect_to": list(bed.connect_to),
        "ca_file": bed.ca_file,
        "ispdb_url": bed.ispdb_url,
    }


# --------------------------------------------------------------------------- offline


def _untimed(report: mailprobe.Report) -> str:
    """The report without its times (which differ from run to run)."""
    sources = tuple(replace(o, elapsed_ms=0.0) for o in report.sources)
    return repr(replace(report, sources=sources, generated_at=None, duration_ms=0.0))


class PacketCounter:
    """A loopback UDP socket and TCP listener on one port, counting what reaches them."""

    def __init__(self) -> None:
        self.tcp, self.udp = self._bind_pair()
        self.port = self.tcp.getsockname()[1]
        self.tcp.listen(16)
        self.tcp.settimeout(0.1)
        self.udp.settimeout(0.1)
        self.datagrams = 0
        self.connections = 0
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._serve_udp, daemon=True),
            threading.Thread(target=self._serve_tcp, daemon=True),
        ]

    @staticmethod
    def _bind_pair() -> tuple[socket.socket, socket.socket]:
        """A TCP listener and a UDP socket on one free loopback port.

        A port free for TCP may be taken for UDP by another process on this shared
        machine, so a few ports are tried.
        """
        for _attempt in range(50):
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.bind(("127.0.0.1", 0))
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                udp.bind(("127.0.0.1", tcp.getsockname()[1]))
            except OSError:
                tcp.close()
                udp.close()
                continue
            return tcp, udp
        raise OSError("no loopback port was free for both TCP and UDP")

    @property
    def packets(self) -> int:
        return self.datagrams + self.connections

    def _serve_udp(self) -> None:
        while not self._stop.is_set():
            try:
                self.udp.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.datagrams += 1

    def _serve_tcp(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.tcp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def __enter__(self) -> PacketCounter:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(2)
        self.tcp.close()
        self.udp.close()


@pytest.fixture
def counter() -> Iterator[PacketCounter]:
    with PacketCounter() as running:
        yield running


def _aimed_at(counter: PacketCounter) -> dict[str, Any]:
    """Every lookup and every connection of a run goes to the counter."""
    return {
        "nameservers": [f"127.0.0.1:{counter.port}"],
        "connect_to": [f"::127.0.0.1:{counter.port}"],
        "ispdb_url": f"http://127.0.0.1:{counter.port}/",
        "allow_http": True,
        "send_address": True,
        "timeout": 1.5,
    }


@pytest.mark.parametrize("address", ["you@gmail.com", "alice@not-in-the-database.test"])
def test_offline_check_and_discover_send_not_one_packet(
    counter: PacketCounter, address: str
) -> None:
    kwargs = _aimed_at(counter)
    checked = mailprobe.check(address, offline=True, **kwargs)
    discovered = mailprobe.discover(address, offline=True, **kwargs)
    checked_async = asyncio.run(aio.check(address, offline=True, **kwargs))
    discovered_async = asyncio.run(aio.discover(address, offline=True, **kwargs))
    assert counter.packets == 0
    for report in (checked, discovered, checked_async, discovered_async):
        assert report.probed is False
        assert all(pc.probe is None for pc in report.candidates)
        ran = [o.source for o in report.sources if o.status is not mailprobe.SourceStatus.SKIPPED]
        assert ran == [mailprobe.SourceId.PROVIDER_DB]
    assert len({_untimed(r) for r in (checked, discovered, checked_async, discovered_async)}) == 1
    if address == "you@gmail.com":
        recommended = checked.recommended[mailprobe.Protocol.IMAP]
        assert recommended is not None
        assert recommended.candidate.setting.host == "imap.gmail.com"


def test_the_counter_does_see_an_online_run(counter: PacketCounter) -> None:
    # Without offline=True the same run reaches the listener: the zero above is real.
    mailprobe.check("you@gmail.com", **_aimed_at(counter))
    assert counter.datagrams > 0
    assert counter.connections > 0


def test_offline_runs_open_no_socket_and_resolve_nothing() -> None:
    # An audit hook sees every connection, datagram and name lookup of the process,
    # including the system resolver's (getaddrinfo), which a listener could not count.
    # (Creating a socket is not contact: an event loop makes a socket pair for itself.)
    code = """
import sys
events = []
def hook(event, args):
    if event.startswith("socket.") and event != "socket.__new__":
        events.append(event)
sys.addaudithook(hook)
import asyncio, mailprobe, mailprobe.aio
mailprobe.check("you@gmail.com", offline=True)
mailprobe.discover("alice@example.org", offline=True)
asyncio.run(mailprobe.aio.check("alice@example.org", offline=True))
print(len(events), sorted(set(events)))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split(maxsplit=1)
    assert out[0] == "0", out


def test_offline_login_is_refused_before_anything_runs() -> None:
    with pytest.raises(mailprobe.InvalidArgumentError) as caught:
        mailprobe.check("you@gmail.com", offline=True, credentials=mailprobe.Credentials("u", "p"))
    assert caught.value.argument == "credentials"


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": "10"}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"nameservers": ["not-an-ip"]}, "nameservers"),
        ({"nameservers": "127.0.0.1:99999"}, "nameservers"),
        ({"connect_to": ["a:b"]}, "connect_to"),
        ({"sources": ["srv", "nope"]}, "sources"),
        ({"sources": "user"}, "sources"),
        ({"max_connections": 0}, "max_connections"),
        ({"max_connections": 2.5}, "max_connections"),
        ({"ca_file": "/nonexistent/ca.pem"}, "ca_file"),
        ({"ispdb_url": "ftp://example.org/"}, "ispdb_url"),
        ({"credentials": ("alice", "secret")}, "credentials"),
        ({"credentials": mailprobe.Credentials("alice", "")}, "credentials"),
        ({"offline": "yes"}, "offline"),
        ({"weak_tls": 1}, "weak_tls"),
        ({"sender_check": True}, "sender_check"),
    ],
)
def test_a_bad_check_argument_raises_naming_it(kwargs: dict[str, Any], argument: str) -> None:
    calls: list[Callable[[], object]] = [
        lambda: mailprobe.check("alice@example.org", **kwargs),
        lambda: asyncio.run(aio.check("alice@example.org", **kwargs)),
    ]
    for call in calls:
        with pytest.raises(mailprobe.InvalidArgumentError) as caught:
            call()
        assert isinstance(caught.value, mailprobe.InvalidInputError)
        assert caught.value.argument == argument
        assert str(caught.value).startswith(f"{argument}: ")
        assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("server", "kwargs", "argument"),
    [
        ("imap.example.org:993", {"protocol": "smtpx"}, "protocol"),
        ("imap.example.org:993", {"protocol": 3}, "protocol"),
        ("imap.example.org:993", {"security": "ssl"}, "security"),
        ("imap.example.org:1234", {}, "protocol"),
        ("imap.example.org:99999", {"protocol": "imap"}, "server"),
        (None, {"protocol": "imap"}, "server"),
        (
            "imap.example.org:993",
            {"credentials": mailprobe.Credentials("", "pw")},
            "credentials",
        ),
    ],
)
def test_a_bad_probe_argument_raises_naming_it(
    server: Any, kwargs: dict[str, Any], argument: str
) -> None:
    with pytest.raises(mailprobe.InvalidArgumentError) as caught:
        mailprobe.probe(server, **kwargs)
    assert caught.value.argument == argument
    with pytest.raises(mailprobe.InvalidArgumentError):
        asyncio.run(aio.probe(server, **kwargs))


def test_an_unusable_address_is_invalid_input() -> None:
    with pytest.raises(mailprobe.InvalidAddressError):
        mailprobe.discover("not an address", offline=True)
    with pytest.raises(mailprobe.InvalidArgumentError) as caught:
        mailprobe.discover(None, offline=True)  # type: ignore[arg-type]
    assert caught.value.argument == "address"


def test_sync_and_async_twins_take_the_same_arguments() -> None:
    for name in ("check", "discover", "probe"):
        sync_params = inspect.signature(getattr(mailprobe, name)).parameters
        async_params = inspect.signature(getattr(aio, name)).parameters
        assert list(sync_params) == list(async_params), name
        for key, param in sync_params.items():
            assert param.default == async_params[key].default, (name, key)
            assert param.kind == async_params[key].kind, (name, key)
        assert inspect.iscoroutinefunction(getattr(aio, name))
        assert not inspect.iscoroutinefunction(getattr(mailprobe, name))


def test_every_cli_option_has_its_keyword() -> None:
    check = inspect.signature(mailprobe.check).parameters
    for keyword in (
        "offline",
        "timeout",
        "nameservers",
        "connect_to",
        "ca_file",
        "ispdb_url",
        "allow_http",
        "send_address",
        "sources",
        "weak_tls",
        "max_connections",
        "credentials",
    ):
        assert check[keyword].kind is inspect.Parameter.KEYWORD_ONLY


def test_credentials_are_exported_and_hide_the_password() -> None:
    creds = mailprobe.Credentials("alice@example.org", "hunter2")
    assert creds.username == "alice@example.org"
    assert "hunter2" not in repr(creds)


# --------------------------------------------------------------------------- real servers


def test_probe_accepts_strings_and_enums_alike(bed: BedInfo) -> None:
    kwargs: dict[str, Any] = {
        "connect_to": list(bed.connect_to),
        "ca_file": str(bed.ca_file),
        "timeout": 10,
    }
    typed = mailprobe.probe(
        "smtp.mailprobe.test:587",
        protocol=mailprobe.Protocol.SMTP,
        security=mailprobe.Security.STARTTLS,
        **kwargs,
    )
    texted = mailprobe.probe(
        "smtp.mailprobe.test:587", protocol="SMTP", security="StartTLS", **kwargs
    )
    for report in (typed, texted):
        assert isinstance(report, mailprobe.Report)
        [probed] = report.candidates
        assert probed.probe is not None
        assert probed.probe.status is mailprobe.ProbeStatus.OK
        assert probed.candidate.setting.security is mailprobe.Security.STARTTLS
    # The port implies the protocol: 993 is IMAP over TLS.
    implied = mailprobe.probe("imap.mailprobe.test:993", **kwargs)
    [probed] = implied.candidates
    assert probed.candidate.setting.protocol is mailprobe.Protocol.IMAP
    assert probed.probe is not None
    assert probed.probe.status is mailprobe.ProbeStatus.OK


def test_check_and_discover_on_the_bed(bed: BedInfo) -> None:
    checked = mailprobe.check("alice@mailprobe.test", timeout=15, **_bed_kwargs(bed))
    assert checked.probed is True
    imap = checked.recommended[mailprobe.Protocol.IMAP]
    assert imap is not None
    assert imap.verified is True
    assert imap.candidate.setting.host == "imap.mailprobe.test"
    discovered = mailprobe.discover(
        "alice@mailprobe.test", timeout=15, sources="autoconfig", **_bed_kwargs(bed)
    )
    assert discovered.probed is False
    statuses = {o.source: o.status for o in discovered.sources}
    assert statuses[mailprobe.SourceId.AUTOCONFIG] is mailprobe.SourceStatus.FOUND
    assert statuses[mailprobe.SourceId.SRV] is mailprobe.SourceStatus.SKIPPED


async def test_the_sync_api_works_inside_a_running_event_loop(bed: BedInfo) -> None:
    # As in a notebook cell: this coroutine's loop is running in this very thread.
    asyncio.get_running_loop()
    report = mailprobe.probe(
        "smtp.mailprobe.test:587",
        protocol="smtp",
        connect_to=list(bed.connect_to),
        ca_file=bed.ca_file,
    )
    [probed] = report.candidates
    assert probed.probe is not None
    assert probed.probe.status is mailprobe.ProbeStatus.OK
    discovered = mailprobe.discover("alice@mailprobe.test", sources=["srv"], **_bed_kwargs(bed))
    srv = {o.source: o for o in discovered.sources}[mailprobe.SourceId.SRV]
    assert srv.status is mailprobe.SourceStatus.FOUND
    # ...and the loop of this thread is still usable afterwards.
    await asyncio.sleep(0)


async def test_the_async_twins_run_in_the_callers_loop(bed: BedInfo) -> None:
    report = await aio.check(
        "alice@mailprobe.test", sources=["provider_db", "srv"], timeout=15, **_bed_kwargs(bed)
    )
    assert report.probed is True
    smtp = report.recommended[mailprobe.Protocol.SMTP]
    assert smtp is not None
    assert smtp.verified is True


# --------------------------------------------------------------------------- DNS timeout rule


def test_dns_has_one_timeout_rule() -> None:
    from mailprobe.models import NetOptions
    from mailprobe.net.dns import LOOKUP_TIMEOUT, client_for

    assert client_for(NetOptions(timeout=30.0))._timeout == LOOKUP_TIMEOUT
    assert client_for(NetOptions(timeout=2.0))._timeout == 2.0


async def test_discover_and_check_give_a_silent_nameserver_the_same_time(
    counter: PacketCounter,
) -> None:
    # The counter never answers: each lookup ends at the one per-lookup limit (5 s), in
    # discover and in check alike (where discovery may use half of the 12 s deadline).
    kwargs: dict[str, Any] = {
        "nameservers": [f"127.0.0.1:{counter.port}"],
        "sources": ["srv"],
        "timeout": 12.0,
    }
    discovered, checked = await asyncio.gather(
        aio.discover("alice@example.org", **kwargs), aio.check("alice@example.org", **kwargs)
    )
    for report in (discovered, checked):
        srv = {o.source: o for o in report.sources}[mailprobe.SourceId.SRV]
        assert srv.status is mailprobe.SourceStatus.TIMEOUT
        assert "timed out after 5.0 s" in srv.detail  # times with one decimal
    assert counter.datagrams > 0


# --------------------------------------------------------------------------- policy, baseline


def test_policy_and_baseline_work_as_on_the_command_line(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[expect.imap]\nport = 143\n", encoding="utf-8")
    earlier = mailprobe.discover("you@gmail.com", offline=True).to_json()
    assert mailprobe.discover("you@gmail.com", offline=True, baseline=earlier).changes == ()

    moved = json.loads(json.dumps(earlier))
    moved["recommended"]["imap"]["port"] = 143
    baseline_file = tmp_path / "earlier.json"
    baseline_file.write_text(json.dumps(moved), encoding="utf-8")
    for report in (
        mailprobe.check("you@gmail.com", offline=True, policy=policy, baseline=moved),
        asyncio.run(
            aio.discover("you@gmail.com", offline=True, policy=str(policy), baseline=baseline_file)
        ),
    ):
        violations = [f for f in report.findings if f.id.startswith("policy.")]
        assert [f.id for f in violations] == ["policy.expect.imap.port"]
        assert violations[0].severity is mailprobe.Severity.ERROR
        setting = [c for c in report.changes if c.id == "change.setting"]
        assert [(c.before, c.after) for c in setting] == [
            ("imap.gmail.com:143 tls", "imap.gmail.com:993 tls")
        ]


def test_a_bad_policy_or_baseline_is_refused_before_anything_runs(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[require]\nservises = []\n", encoding="utf-8")
    with pytest.raises(mailprobe.PolicyError):
        mailprobe.discover("you@gmail.com", offline=True, policy=broken)
    with pytest.raises(mailprobe.BaselineError):
        mailprobe.discover("you@gmail.com", offline=True, baseline={"not": "a report"})
    bad: list[tuple[dict[str, Any], str]] = [
        ({"policy": 42}, "policy"),
        ({"baseline": 42}, "baseline"),
    ]
    for kwargs, argument in bad:
        with pytest.raises(mailprobe.InvalidArgumentError) as caught:
            mailprobe.discover("you@gmail.com", offline=True, **kwargs)
        assert caught.value.argument == argument
