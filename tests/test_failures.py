"""failures.classify: real exceptions from sockets, TLS, DNS and httpx become causes and reasons."""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

import dns.exception
import dns.resolver
import httpx
import pytest

from mailprobe.models import Cause, ProbeStatus, SourceStatus
from mailprobe.net.failures import (
    CERT_TEXT,
    AttemptFailure,
    ConnectFailed,
    DnsLookupFailed,
    Failure,
    ProtocolViolation,
    classify,
)
from testbed.certs import CertPair, make_ca, make_leaf

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CertPair]:
    directory = tmp_path_factory.mktemp("certs")
    ca = make_ca(directory)
    untrusted_ca = make_ca(directory / "other", "some other CA")
    return {
        "ca": ca,
        "good": make_leaf(directory, ca, ["good.test"], stem="good"),
        "expired": make_leaf(
            directory,
            ca,
            ["good.test", "127.0.0.1"],
            stem="expired",
            valid_from_days=-30,
            valid_until_days=-1,
        ),
        "selfsigned": make_leaf(directory, None, ["good.test"], stem="selfsigned"),
        "untrusted": make_leaf(directory / "other", untrusted_ca, ["good.test"], stem="leaf"),
    }


def client_context(ca: CertPair) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca.cert))


def server_context(pair: CertPair) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(pair.cert), str(pair.key))
    return ctx


async def _close_quietly(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with suppress(ConnectionError, ssl.SSLError):
        await reader.read(1024)
    writer.close()


@asynccontextmanager
async def serving(
    handler: Handler = _close_quietly, tls: ssl.SSLContext | None = None
) -> AsyncIterator[int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=tls)
    port = int(server.sockets[0].getsockname()[1])
    try:
        yield port
    finally:
        server.close()
        await server.wait_closed()


async def raised_by(action: Awaitable[object]) -> BaseException:
    try:
        await action
    except Exception as exc:
        return exc
    raise AssertionError("expected an exception")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def tls_failure(pair: CertPair, ca: CertPair, server_hostname: str) -> BaseException:
    async with serving(tls=server_context(pair)) as port:
        return await raised_by(
            asyncio.open_connection(
                "127.0.0.1", port, ssl=client_context(ca), server_hostname=server_hostname
            )
        )


# --------------------------------------------------------------------------- TLS


async def test_expired_certificate_verify_code_10(certs: dict[str, CertPair]) -> None:
    exc = await tls_failure(certs["expired"], certs["ca"], "good.test")
    assert isinstance(exc, ssl.SSLCertVerificationError)
    assert exc.verify_code == 10
    failure = classify(exc)
    assert failure == Failure(Cause.CERT_EXPIRED, CERT_TEXT[Cause.CERT_EXPIRED])
    assert failure.probe_status is ProbeStatus.TLS_ERROR


async def test_self_signed_certificate_verify_code_18(certs: dict[str, CertPair]) -> None:
    exc = await tls_failure(certs["selfsigned"], certs["ca"], "good.test")
    assert isinstance(exc, ssl.SSLCertVerificationError)
    assert exc.verify_code == 18
    failure = classify(exc)
    assert failure == Failure(Cause.CERT_SELF_SIGNED, CERT_TEXT[Cause.CERT_SELF_SIGNED])


async def test_wrong_host_name_verify_code_62(certs: dict[str, CertPair]) -> None:
    exc = await tls_failure(certs["good"], certs["ca"], "other.test")
    assert isinstance(exc, ssl.SSLCertVerificationError)
    assert exc.verify_code == 62
    failure = classify(exc)
    assert failure.cause is Cause.CERT_WRONG_NAME
    assert failure.reason.startswith(CERT_TEXT[Cause.CERT_WRONG_NAME])
    assert "other.test" in failure.reason


async def test_certificate_from_an_unknown_authority_verify_code_20(
    certs: dict[str, CertPair],
) -> None:
    exc = await tls_failure(certs["untrusted"], certs["ca"], "good.test")
    assert isinstance(exc, ssl.SSLCertVerificationError)
    assert exc.verify_code == 20
    assert classify(exc) == Failure(Cause.CERT_UNTRUSTED, CERT_TEXT[Cause.CERT_UNTRUSTED])


async def test_tls_spoken_to_a_plain_text_server(certs: dict[str, CertPair]) -> None:
    async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"* OK IMAP server ready, speaking plain text\r\n")
        await writer.drain()
        await _close_quietly(reader, writer)

    async with serving(greet) as port:
        exc = await raised_by(
            asyncio.open_connection(
                "127.0.0.1", port, ssl=client_context(certs["ca"]), server_hostname="good.test"
            )
        )
    failure = classify(exc)
    assert failure.cause is Cause.NOT_TLS
    assert failure.probe_status is ProbeStatus.TLS_ERROR


# --------------------------------------------------------------------------- sockets


async def test_connection_refused() -> None:
    exc = await raised_by(asyncio.open_connection("127.0.0.1", closed_port()))
    assert isinstance(exc, ConnectionRefusedError)
    failure = classify(exc)
    assert failure.cause is Cause.REFUSED
    assert failure.probe_status is ProbeStatus.REFUSED
    assert failure.source_status is SourceStatus.ERROR


async def test_timeout_from_wait_for() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _close_quietly(reader, writer)

    async with serving(silent) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        exc = await raised_by(asyncio.wait_for(reader.readline(), 0.05))
        writer.close()
    assert isinstance(exc, TimeoutError)
    failure = classify(exc)
    assert failure.cause is Cause.TIMEOUT
    assert failure.probe_status is ProbeStatus.TIMEOUT
    assert failure.source_status is SourceStatus.TIMEOUT


async def test_server_closing_mid_reply_is_a_close() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"* OK")
        writer.close()

    async with serving(hang_up) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        exc = await raised_by(reader.readuntil(b"\r\n"))
        writer.close()
    assert isinstance(exc, asyncio.IncompleteReadError)
    assert classify(exc).cause is Cause.CLOSED


@pytest.mark.parametrize(
    ("exc", "cause", "words"),
    [
        (ConnectionResetError(errno.ECONNRESET, "reset"), Cause.RESET, "closed"),
        (BrokenPipeError(errno.EPIPE, "pipe"), Cause.RESET, "closed"),
        (ConnectionAbortedError(errno.ECONNABORTED, "x"), Cause.RESET, "aborted"),
        (socket.gaierror(socket.EAI_NONAME, "Name not known"), Cause.NO_SUCH_HOST, "Name not"),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), Cause.UNREACHABLE, "unre"),
        (OSError(errno.EHOSTUNREACH, "No route to host"), Cause.UNREACHABLE, "No route"),
        (OSError(errno.ETIMEDOUT, "Connection timed out"), Cause.TIMEOUT, "timed out"),
        (OSError(errno.ECONNREFUSED, "refused"), Cause.REFUSED, "refused"),
        (OSError(errno.EACCES, "Permission denied"), Cause.OTHER, "Permission denied"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"), Cause.GARBAGE, "undecod"),
        (OverflowError("connect(): port must be 0-65535."), Cause.INVALID_URL, "port"),
        (ValueError("surprise"), Cause.OTHER, "ValueError: surprise"),
    ],
)
def test_socket_level_exceptions(exc: BaseException, cause: Cause, words: str) -> None:
    failure = classify(exc)
    assert failure.cause is cause
    assert words in failure.reason


# --------------------------------------------------------------------------- mailprobe's own


def test_protocol_violation_and_dns_lookup_failed_keep_their_message_and_cause() -> None:
    assert classify(ProtocolViolation("greeting is not +OK")) == Failure(
        Cause.GARBAGE, "greeting is not +OK"
    )
    assert classify(ProtocolViolation("line too long", Cause.TOO_LARGE)) == Failure(
        Cause.TOO_LARGE, "line too long"
    )
    assert classify(DnsLookupFailed("imap.example.test does not exist")) == Failure(
        Cause.NO_SUCH_HOST, "imap.example.test does not exist"
    )
    assert classify(DnsLookupFailed("lookup timed out", Cause.DNS_TIMEOUT)).probe_status is (
        ProbeStatus.DNS_ERROR
    )


def test_connect_failed_with_one_attempt_is_that_attempt() -> None:
    refused = Failure(Cause.REFUSED, "connection refused")
    exc = ConnectFailed((AttemptFailure("192.0.2.1", refused),))
    assert classify(exc) == refused


def test_connect_failed_with_several_attempts_names_them_all() -> None:
    exc = ConnectFailed(
        (
            AttemptFailure("::1", Failure(Cause.REFUSED, "connection refused")),
            AttemptFailure("127.0.0.1", Failure(Cause.TIMEOUT, "timed out")),
        )
    )
    failure = classify(exc)
    assert failure.cause is Cause.TIMEOUT
    assert "tried 2 addresses" in failure.reason
    assert "::1: connection refused" in failure.reason


def test_connect_failed_without_attempts_says_there_was_no_address() -> None:
    failure = classify(ConnectFailed(()))
    assert failure.cause is Cause.NO_SUCH_HOST
    assert "no address to connect to" in failure.reason


# --------------------------------------------------------------------------- DNS


def dns_error(cls: Callable[..., BaseException], *args: object, **kwargs: object) -> BaseException:
    """Build a dnspython exception (their constructors are untyped)."""
    return cls(*args, **kwargs)


@pytest.mark.parametrize(
    ("exc", "cause", "words"),
    [
        (dns_error(dns.exception.Timeout, timeout=1.0), Cause.DNS_TIMEOUT, "DNS lookup timed"),
        (
            dns_error(dns.resolver.LifetimeTimeout, timeout=1.0, errors=[]),
            Cause.DNS_TIMEOUT,
            "timed",
        ),
        (dns_error(dns.resolver.NXDOMAIN), Cause.NO_SUCH_HOST, "does not exist (NXDOMAIN)"),
        (dns_error(dns.resolver.NoAnswer), Cause.NO_SUCH_HOST, "no record of that type"),
        (dns_error(dns.resolver.NoNameservers), Cause.DNS_FAILED, "SERVFAIL or refused"),
        (dns_error(dns.exception.FormError, "bad packet"), Cause.DNS_FAILED, "DNS error"),
    ],
)
def test_dns_exceptions(exc: BaseException, cause: Cause, words: str) -> None:
    failure = classify(exc)
    assert failure.cause is cause
    assert words in failure.reason


def test_dns_failure_maps_to_dns_error_probe_status() -> None:
    assert classify(dns_error(dns.resolver.NXDOMAIN)).probe_status is ProbeStatus.DNS_ERROR


# --------------------------------------------------------------------------- httpx


async def test_httpx_connection_refused() -> None:
    async with httpx.AsyncClient() as client:
        exc = await raised_by(client.get(f"http://127.0.0.1:{closed_port()}/"))
    assert isinstance(exc, httpx.ConnectError)
    assert classify(exc) == Failure(Cause.REFUSED, "connection refused")


async def test_httpx_certificate_problem_names_the_precise_reason(
    certs: dict[str, CertPair],
) -> None:
    async with (
        serving(tls=server_context(certs["expired"])) as port,
        httpx.AsyncClient(verify=client_context(certs["ca"])) as client,
    ):
        exc = await raised_by(client.get(f"https://127.0.0.1:{port}/"))
    assert isinstance(exc, httpx.ConnectError)
    assert classify(exc) == Failure(Cause.CERT_EXPIRED, CERT_TEXT[Cause.CERT_EXPIRED])


async def test_httpx_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up and closes
        writer.close()

    async with serving(silent) as port, httpx.AsyncClient(timeout=0.1) as client:
        exc = await raised_by(client.get(f"http://127.0.0.1:{port}/"))
    assert isinstance(exc, httpx.ReadTimeout)
    failure = classify(exc)
    assert failure.cause is Cause.TIMEOUT
    assert failure.reason == "HTTP request timed out"


async def test_httpx_garbage_answer_is_a_protocol_error() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        writer.write(b"\x00\x01 this is not HTTP\r\n\r\n")
        await writer.drain()
        writer.close()

    async with serving(garbage) as port, httpx.AsyncClient(timeout=2.0) as client:
        exc = await raised_by(client.get(f"http://127.0.0.1:{port}/"))
    assert isinstance(exc, httpx.RemoteProtocolError)
    failure = classify(exc)
    assert failure.cause is Cause.GARBAGE
    assert failure.reason.startswith("HTTP protocol error")


async def test_httpx_closed_without_answer_is_a_protocol_or_reset_failure() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        writer.close()

    async with serving(hang_up) as port, httpx.AsyncClient(timeout=2.0) as client:
        exc = await raised_by(client.get(f"http://127.0.0.1:{port}/"))
    assert classify(exc).cause in (Cause.GARBAGE, Cause.RESET, Cause.CLOSED)


def test_httpx_other_errors_are_reported_not_raised() -> None:
    failure = classify(httpx.TooManyRedirects("Exceeded maximum allowed redirects."))
    assert failure.cause is Cause.REDIRECT_LOOP
    assert "redirects" in failure.reason


# --------------------------------------------------------------------------- one vocabulary


@pytest.mark.parametrize("cause", list(Cause))
def test_every_cause_has_a_status_and_a_meaning(cause: Cause) -> None:
    from mailprobe.net.failures import CAUSE_MEANINGS, probe_status

    assert isinstance(probe_status(cause), ProbeStatus)
    assert CAUSE_MEANINGS[cause].strip()


def test_the_one_verify_code_table_names_each_code_once() -> None:
    from mailprobe.net.failures import VERIFY_CODES, cert_cause

    assert VERIFY_CODES[18] is Cause.CERT_SELF_SIGNED
    assert VERIFY_CODES[19] is Cause.CERT_UNTRUSTED  # an untrusted self-signed root in a chain
    for code, cause in VERIFY_CODES.items():
        exc = ssl.SSLCertVerificationError(1, "certificate verify failed")
        exc.verify_code = code
        exc.verify_message = "x"
        assert cert_cause(exc) is cause
        # the HTTP path (classify) and the probe path (cert_cause) agree on every code
        assert classify(exc).cause is cause
        assert cause.is_certificate


def test_an_unknown_verify_code_is_cert_invalid_with_the_message() -> None:
    exc = ssl.SSLCertVerificationError(1, "certificate verify failed")
    exc.verify_code = 26
    exc.verify_message = "unsuitable certificate purpose"
    failure = classify(exc)
    assert failure.cause is Cause.CERT_INVALID
    assert "unsuitable certificate purpose" in failure.reason


# --------------------------------------------------------------------------- exception groups


async def test_httpx_to_a_port_out_of_range_raises_a_group_that_classify_opens() -> None:
    async with httpx.AsyncClient() as client:
        exc = await raised_by(client.get("http://127.0.0.1:99999/"))
    assert isinstance(exc, BaseExceptionGroup)  # anyio's task group, as httpx leaves it
    failure = classify(exc)
    assert failure.cause is Cause.INVALID_URL
    assert "Group" not in failure.reason


def test_nested_groups_are_classified_by_their_most_specific_member() -> None:
    group = ExceptionGroup(
        "outer",
        [ValueError("noise"), ExceptionGroup("inner", [ConnectionRefusedError(111, "no")])],
    )
    assert classify(group) == Failure(Cause.REFUSED, "connection refused")
    only_noise = ExceptionGroup("x", [KeyError("k")])
    failure = classify(only_noise)
    assert failure.cause is Cause.OTHER
    assert failure.reason.startswith("KeyError")
