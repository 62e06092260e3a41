"""The `autodiscover` source: Exchange Autodiscover, POX and JSON, never with credentials.

Both Autodiscover protocols are questions about one mailbox: POX posts the address in its
body, and the JSON endpoint has it in the URL path. A neutral stand-in address would
return settings (notably the login name) for a mailbox that is not the user's, which is
worse than nothing. So without `--send-address` the source sends nothing and reports
`skipped`, saying why; with it, all at once:

- POX `POST https://autodiscover.D/autodiscover/autodiscover.xml` and
  `POST https://D/autodiscover/autodiscover.xml` (response schema 2006a), read for
  IMAP/POP3/SMTP protocol sections;
- JSON `GET https://autodiscover.D/autodiscover/autodiscover.json/v1.0/{address}
  ?Protocol=AutodiscoverV1`, whose answer is the URL of a POX endpoint. That URL is
  reported, and asked with POX too when it is HTTPS and not one already asked (trusted
  only if both fetches were).

An answer asking for credentials (401) is reported as such; none are ever sent.
`redirectAddr`/`redirectUrl` answers are reported, not followed. Provenance origin is the
final URL; a result is trusted when fetched over verified HTTPS with no downgrade.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import quote

from mailprobe.models import Address, Cause, Provenance, SourceId, SourceOutcome, SourceStatus
from mailprobe.net.http import HttpFetcher, HttpResult
from mailprobe.sources.autoconfig import (
    FetchKind,
    failed_fetch,
    found_summary,
    merge_claims,
    outcome_cause,
    overall_status,
    request_timeout,
    trust_note,
)
from mailprobe.sources.autodiscover_xml import (
    AutodiscoverParseError,
    PoxResponse,
    parse_json_url,
    parse_pox,
    pox_request,
)
from mailprobe.sources.base import SourceContext, skipped

SOURCE = SourceId.AUTODISCOVER

#: Why the source does nothing without `--send-address`.
NEEDS_ADDRESS = (
    "not asked: Exchange Autodiscover only answers for a named mailbox, so the request "
    "would reveal the address; run with --send-address to allow it"
)

_POX_HEADERS = {"Content-Type": "text/xml; charset=utf-8"}


@dataclass(frozen=True)
class PoxAttempt:
    """One POX request and what came of it."""

    result: HttpResult
    kind: FetchKind
    summary: str
    response: PoxResponse | None = None
    trusted: bool = False
    cause: Cause | None = None

    def line(self) -> str:
        """`POST URL: summary`, the short form used in the outcome detail."""
        return f"POST {self.result.url}: {self.summary}"


@dataclass(frozen=True)
class JsonAnswer:
    """The JSON endpoint's answer: the POX URL it names, if any."""

    result: HttpResult
    kind: FetchKind
    summary: str
    pox_url: str | None = None
    cause: Cause | None = None

    def line(self) -> str:
        """`GET URL: summary`, the short form used in the outcome detail."""
        return f"GET {self.result.url}: {self.summary}"


def pox_urls(domain: str) -> tuple[str, str]:
    """The two POX endpoints asked for `domain`."""
    return (
        f"https://autodiscover.{domain}/autodiscover/autodiscover.xml",
        f"https://{domain}/autodiscover/autodiscover.xml",
    )


def json_url(address: Address) -> str:
    """The Autodiscover v1.0 JSON URL for `address`."""
    mailbox = quote(address.text, safe="@")
    return (
        f"https://autodiscover.{address.domain}/autodiscover/autodiscover.json/v1.0/"
        f"{mailbox}?Protocol=AutodiscoverV1"
    )


def interpret_pox(result: HttpResult, *, trusted: bool = True) -> PoxAttempt:
    """Turn a POX HTTP result into a `PoxAttempt`; `trusted` caps the result's own trust."""
    trust = trusted and result.trusted
    failed = failed_fetch(result)
    if failed is not None:
        return PoxAttempt(result, failed[0], failed[1], trusted=trust, cause=failed[2])
    note = trust_note(result)
    try:
        response = parse_pox(result.body)
    except AutodiscoverParseError as exc:
        return PoxAttempt(
            result, FetchKind.FAILED, f"{exc}{note}", trusted=trust, cause=Cause.INVALID_DOCUMENT
        )
    if response.error is not None:
        return PoxAttempt(result, FetchKind.ABSENT, f"{response.error}{note}", response, trust)
    if response.redirect_address is not None:
        summary = f"redirects to the address {response.redirect_address} (not followed)"
        return PoxAttempt(result, FetchKind.ABSENT, summary + note, response, trust)
    if response.redirect_url is not None:
        summary = f"redirects to {response.redirect_url} (not followed)"
        return PoxAttempt(result, FetchKind.ABSENT, summary + note, response, trust)
    if not response.settings:
        offered = ", ".join(response.other_protocols) or "nothing"
        summary = f"no IMAP, POP3 or SMTP settings (offers {offered})"
        return PoxAttempt(result, FetchKind.ABSENT, summary + note, response, trust)
    summary = found_summary(len(response.settings), len(response.warnings)) + note
    return PoxAttempt(result, FetchKind.FOUND, summary, response, trust)


def interpret_json(result: HttpResult) -> JsonAnswer:
    """Read the JSON endpoint's answer. Its absence is normal outside Microsoft 365, so
    anything but a timeout counts as absent, never as a failure of the source."""
    failed = failed_fetch(result)
    if failed is not None:
        kind = FetchKind.TIMEOUT if failed[0] is FetchKind.TIMEOUT else FetchKind.ABSENT
        return JsonAnswer(result, kind, failed[1], cause=failed[2])
    try:
        url = parse_json_url(result.body)
    except AutodiscoverParseError as exc:
        return JsonAnswer(result, FetchKind.ABSENT, str(exc))
    return JsonAnswer(result, FetchKind.ABSENT, f"points to {url}{trust_note(result)}", url)


async def ask_pox(
    http: HttpFetcher, url: str, email: str, *, timeout: float, trusted: bool = True
) -> PoxAttempt:
    """POST a POX request for `email` to `url` (HTTPS only; no downgrade is followed)."""
    result = await http.post(url, pox_request(email), _POX_HEADERS, timeout=timeout)
    return interpret_pox(result, trusted=trusted)


async def run(ctx: SourceContext) -> SourceOutcome:
    """Ask Exchange Autodiscover about the address (only with `--send-address`)."""
    if not ctx.options.send_address:
        return skipped(SOURCE, NEEDS_ADDRESS)
    start = time.monotonic()
    budget = request_timeout(ctx.options)
    address = ctx.address
    urls = pox_urls(address.domain)
    pox_first, json_result = await asyncio.gather(
        asyncio.gather(*(ask_pox(ctx.http, url, address.text, timeout=budget) for url in urls)),
        ctx.http.get(json_url(address), timeout=budget),
    )
    pox = list(pox_first)
    answer = interpret_json(json_result)
    lines = [a.line() for a in pox]
    lines.append(answer.line())
    target = answer.pox_url
    if (
        target
        and target.lower().startswith("https://")
        and target.lower() not in {u.lower() for u in urls}
    ):
        remaining = max(0.05, budget - (time.monotonic() - start))
        extra = await ask_pox(
            ctx.http, target, address.text, timeout=remaining, trusted=answer.result.trusted
        )
        pox.append(extra)
        lines.append(extra.line())
    candidates = merge_claims(
        (Provenance(SOURCE, a.result.final_url, a.trusted), a.response.settings)
        for a in pox
        if a.response is not None and a.kind is FetchKind.FOUND
    )
    status = overall_status([a.kind for a in pox] + [answer.kind])
    return SourceOutcome(
        cause=outcome_cause(status, [*pox, answer]),
        source=SOURCE,
        status=status,
        elapsed_ms=0.0,
        detail="; ".join(lines),
        candidates=candidates if status is SourceStatus.FOUND else (),
        warnings=tuple(
            f"{a.result.final_url}: {warning}"
            for a in pox
            if a.response is not None
            for warning in a.response.warnings
        ),
    )
