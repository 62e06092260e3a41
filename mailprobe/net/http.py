"""HTTP fetches for discovery: our DNS, `--connect-to`, a body cap, manual redirects, trust.

`HttpFetcher` resolves every host name with the run's `DnsClient` (so `--nameserver`
applies), connects to the address it found (or the `--connect-to` target) while keeping the
original name for SNI, certificate checks and the `Host` header, follows at most
`MAX_REDIRECTS` redirects itself (re-resolving each hop), and reads at most `MAX_BODY`
bytes. Every problem comes back as data in an `HttpResult`; nothing here raises for
network trouble.

Each hop uses its own short-lived connection: with `--connect-to` many names share one
address, and a pooled connection opened for one name must never carry a request for
another.
"""

from __future__ import annotations

import asyncio
import ssl
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass

if "httpx" not in sys.modules:
    # httpx imports its optional command-line client (click and rich, ~70 ms) whenever
    # click happens to be installed; mailprobe never uses it, so that import is blocked.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

import httpx

from mailprobe.models import Cause, NetOptions
from mailprobe.net.connect import resolve_route
from mailprobe.net.dns import DnsClient
from mailprobe.net.failures import (
    AttemptFailure,
    ConnectFailed,
    DnsLookupFailed,
    ProtocolViolation,
    classify,
)
from mailprobe.net.ipaddr import is_ip_literal
from mailprobe.net.tlsctx import strict_context
from mailprobe.text import ascii_int
from mailprobe.version import __version__

#: Largest response body accepted, in bytes (after content decoding).
MAX_BODY = 1024 * 1024
#: Most redirects followed for one fetch.
MAX_REDIRECTS = 5
#: The User-Agent sent with every request.
USER_AGENT = f"mailprobe/{__version__}"

_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"https": 443, "http": 80}
# Connect failures after which the next address of the same host is worth trying.
_TRY_NEXT_ADDRESS = frozenset({Cause.REFUSED, Cause.UNREACHABLE, Cause.TIMEOUT})
# Everything network code below may raise for reasons outside our control (anyio, under
# httpx, raises some of them inside an ExceptionGroup; `classify` opens it).
_NET_ERRORS = (
    ExceptionGroup,
    OverflowError,
    httpx.HTTPError,
    httpx.InvalidURL,
    OSError,
    ssl.SSLError,
    TimeoutError,
    UnicodeError,
    ProtocolViolation,
    DnsLookupFailed,
    ConnectFailed,
)


@dataclass(frozen=True)
class HttpResult:
    """The outcome of one fetch, redirects included.

    `status_code` is that of the last response received (None if none arrived); `error` is
    a plain reason when the fetch did not complete (then `body` is empty), and
    `cause` names it. A 404 is not an error: it is a completed fetch.
    `trusted` is True only if every hop was HTTPS with a verified certificate.
    `redirects` lists the redirect targets in the order announced; when a redirect was
    refused (loop, downgrade, too many), the refused target is the last entry.
    """

    url: str
    final_url: str
    status_code: int | None = None
    body: bytes = b""
    content_type: str | None = None
    trusted: bool = False
    redirects: tuple[str, ...] = ()
    error: str | None = None
    cause: Cause | None = None
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        """True for a completed fetch with a 2xx status."""
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300

    @property
    def downgraded(self) -> bool:
        """True if an HTTPS fetch was redirected to plain HTTP."""
        return self.url.lower().startswith("https:") and any(
            r.lower().startswith("http:") for r in self.redirects
        )


class _Borrowed(httpx.AsyncBaseTransport):
    """Wraps a caller's transport so closing our per-hop client leaves it open."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        return None


@dataclass
class _Progress:
    """What a fetch has seen so far, so a failure still reports where it stopped."""

    final_url: str
    status_code: int | None = None
    content_type: str | None = None
    trusted: bool = True


@dataclass(frozen=True)
class _Hop:
    status_code: int
    headers: httpx.Headers
    body: bytes


class HttpFetcher:
    """GET and POST with the run's DNS, `--connect-to`, `--ca-file`, caps and trust marking.

    `transport` replaces the network for tests (e.g. `httpx.MockTransport`); requests then
    reach it addressed to the resolved IP, with the original name in the `Host` header and
    in the `sni_hostname` request extension. Construction does no I/O.
    """

    def __init__(
        self,
        dns: DnsClient,
        net: NetOptions,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._dns = dns
        self._net = net
        self._transport = transport
        self._ssl: ssl.SSLContext | None = None

    async def get(
        self,
        url: str,
        *,
        timeout: float,
        allow_http: bool = False,
        follow_redirects: bool = True,
        max_body: int = MAX_BODY,
    ) -> HttpResult:
        """Fetch `url`; `timeout` bounds the whole fetch, redirects included.

        Plain `http://` URLs (given or redirected to) are fetched only with `allow_http`
        and always make the result untrusted. Without `follow_redirects` a redirect is the
        result (its status code, the target in `redirects`). A body over `max_body` bytes
        is an error.
        """
        return await self._fetch(
            "GET", url, b"", {}, timeout, allow_http, follow_redirects, max_body
        )

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str] | None = None,
        *,
        timeout: float,
        allow_http: bool = False,
    ) -> HttpResult:
        """POST `body` to `url`; as `get`, and 301/302/307/308 re-send the POST (303 turns
        it into a GET), which is what Exchange Autodiscover redirects expect.
        """
        return await self._fetch("POST", url, body, dict(headers or {}), timeout, allow_http)

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = strict_context(self._net.ca_file)
        return self._ssl

    async def _fetch(
        self,
        method: str,
        url: str,
        body: bytes,
        headers: dict[str, str],
        timeout: float,
        allow_http: bool,
        follow_redirects: bool = True,
        max_body: int = MAX_BODY,
    ) -> HttpResult:
        start = time.perf_counter()
        progress = _Progress(final_url=url)
        redirects: list[str] = []
        try:
            async with asyncio.timeout(timeout):
                current = _checked_url(url)
                visited = {str(current)}
                while True:
                    progress.final_url = str(current)
                    progress.status_code = progress.content_type = None
                    if current.scheme != "https":
                        progress.trusted = False
                        if not allow_http:
                            raise ProtocolViolation(
                                f"plain HTTP ({current}) is not used without --allow-http",
                                Cause.INSECURE_HTTP,
                            )
                    hop = await self._hop(
                        method, current, body, headers, timeout, progress, max_body
                    )
                    location = hop.headers.get("location")
                    if not follow_redirects and hop.status_code in _REDIRECT_CODES and location:
                        return HttpResult(
                            url=url,
                            final_url=str(current),
                            status_code=hop.status_code,
                            content_type=_media_type(hop.headers),
                            trusted=progress.trusted,
                            redirects=(str(current.join(location)),),
                            elapsed_ms=_ms(start),
                        )
                    if hop.status_code not in _REDIRECT_CODES or not location:
                        return HttpResult(
                            url=url,
                            final_url=str(current),
                            status_code=hop.status_code,
                            body=hop.body,
                            content_type=_media_type(hop.headers),
                            trusted=progress.trusted,
                            redirects=tuple(redirects),
                            elapsed_ms=_ms(start),
                        )
                    target = _checked_url(str(current.join(location)))
                    redirects.append(str(target))
                    _check_redirect(current, target, visited, len(redirects), allow_http)
                    visited.add(str(target))
                    if hop.status_code == 303:
                        method, body, headers = "GET", b"", {}
                    current = target
        except _NET_ERRORS as exc:
            failure = classify(exc)
            if failure.cause is Cause.TIMEOUT:
                failure_reason = f"no complete answer within {timeout:g} s"
            else:
                failure_reason = failure.reason
            return HttpResult(
                url=url,
                final_url=progress.final_url,
                status_code=progress.status_code,
                content_type=progress.content_type,
                trusted=False,
                redirects=tuple(redirects),
                error=failure_reason,
                cause=failure.cause,
                elapsed_ms=_ms(start),
            )

    async def _hop(
        self,
        method: str,
        url: httpx.URL,
        body: bytes,
        headers: Mapping[str, str],
        timeout: float,
        progress: _Progress,
        max_body: int = MAX_BODY,
    ) -> _Hop:
        """One request: resolve (or route) the host, then try its addresses in turn."""
        host = url.raw_host.decode("ascii")
        port = url.port or _DEFAULT_PORTS[url.scheme]
        addresses, target_port, _dns_ms = await resolve_route(host, port, self._dns, self._net)
        request_headers = {
            "Host": url.netloc.decode("ascii"),
            "User-Agent": USER_AGENT,
            **headers,
        }
        extensions = {} if is_ip_literal(host) else {"sni_hostname": host}
        attempts: list[AttemptFailure] = []
        for ip in addresses:
            target = url.copy_with(host=ip, port=target_port)
            try:
                return await self._send(
                    method, target, request_headers, body, extensions, timeout, progress, max_body
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                failure = classify(exc)
                if failure.cause not in _TRY_NEXT_ADDRESS:
                    raise
                attempts.append(AttemptFailure(ip, failure))
        raise ConnectFailed(tuple(attempts))

    async def _send(
        self,
        method: str,
        target: httpx.URL,
        headers: Mapping[str, str],
        body: bytes,
        extensions: dict[str, str],
        timeout: float,
        progress: _Progress,
        max_body: int = MAX_BODY,
    ) -> _Hop:
        transport: httpx.AsyncBaseTransport
        if self._transport is not None:
            transport = _Borrowed(self._transport)
        else:
            transport = httpx.AsyncHTTPTransport(
                verify=self._ssl_context(), trust_env=False, retries=0
            )
        client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(timeout),
        )
        async with (
            client,
            client.stream(
                method,
                target,
                headers=headers,
                content=body if method == "POST" else None,
                extensions=extensions,
            ) as response,
        ):
            progress.status_code = response.status_code
            progress.content_type = _media_type(response.headers)
            if response.status_code in _REDIRECT_CODES:
                return _Hop(response.status_code, response.headers, b"")
            declared = ascii_int(response.headers.get("content-length", ""))
            if declared is not None and declared > max_body:
                raise ProtocolViolation(_too_large(max_body), Cause.TOO_LARGE)
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_body:
                    raise ProtocolViolation(_too_large(max_body), Cause.TOO_LARGE)
                chunks.append(chunk)
            return _Hop(response.status_code, response.headers, b"".join(chunks))


def url_problem(text: str) -> str | None:
    """Why `text` is not an absolute http(s) URL mailprobe can fetch, or None if it is."""
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as exc:
        return f"invalid URL {text!r}: {exc}"
    if url.scheme not in _DEFAULT_PORTS:
        return f"unsupported URL {text!r} (only http and https are fetched)"
    if not url.raw_host:
        return f"invalid URL {text!r}: no host name"
    if url.port is not None and not 1 <= url.port <= 65535:
        return f"invalid URL {text!r}: port {url.port} is outside 1-65535"
    return None


def _checked_url(text: str) -> httpx.URL:
    """Parse an absolute http(s) URL, or raise ProtocolViolation saying what is wrong."""
    problem = url_problem(text)
    if problem is not None:
        raise ProtocolViolation(problem, Cause.INVALID_URL)
    return httpx.URL(text)


def _check_redirect(
    current: httpx.URL, target: httpx.URL, visited: set[str], count: int, allow_http: bool
) -> None:
    """Refuse a redirect that loops, exceeds the limit, or downgrades without permission."""
    if str(target) in visited:
        raise ProtocolViolation(
            f"redirect loop: {current} redirects back to {target}", Cause.REDIRECT_LOOP
        )
    if count > MAX_REDIRECTS:
        raise ProtocolViolation(f"more than {MAX_REDIRECTS} redirects", Cause.REDIRECT_LOOP)
    if current.scheme == "https" and target.scheme == "http" and not allow_http:
        raise ProtocolViolation(
            f"redirect from HTTPS to plain HTTP ({target}) not followed without --allow-http",
            Cause.INSECURE_HTTP,
        )


def _too_large(limit: int) -> str:
    if limit % (1024 * 1024) == 0:
        return f"response larger than {limit // (1024 * 1024)} MiB"
    return f"response larger than {limit // 1024} KiB"


def _media_type(headers: httpx.Headers) -> str | None:
    value = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return value or None


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)
