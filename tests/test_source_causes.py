"""Sources name why they failed as a `Cause` (data), next to their detail (words)."""

from __future__ import annotations

import ssl
from typing import Any, cast

import httpx
import pytest

from dnsfaults import Fault, FaultDns, source_context
from mailprobe.discovery import discover
from mailprobe.models import (
    Cause,
    DiscoveryOptions,
    FailedAttempt,
    NetOptions,
    ProbePhase,
    ProbeResult,
    ProbeStatus,
    SourceId,
    SourceOutcome,
    SourceStatus,
)
from mailprobe.render.json import to_jsonable
from mailprobe.sources import autoconfig, mx, srv
from mailprobe.sources.base import SourceContext
from test_http_fakeweb import FakeWeb, context

ADDRESS = "alice@example.org"
SUB = "https://autoconfig.example.org/mail/config-v1.1.xml"
WELL_KNOWN = "https://example.org/.well-known/autoconfig/mail/config-v1.1.xml"
HOSTS = {"autoconfig.example.org": ["192.0.2.10"], "example.org": ["192.0.2.11"]}


async def _autoconfig(web: FakeWeb) -> SourceOutcome:
    opts = DiscoveryOptions(net=NetOptions(timeout=1.0))
    return await autoconfig.run(context(ADDRESS, web, HOSTS, options=opts))


def _cert_error(code: int) -> Any:
    def route(_request: httpx.Request) -> httpx.Response:
        error = ssl.SSLCertVerificationError("certificate verify failed")
        error.verify_code = code
        error.verify_message = "x"
        raise error

    return route


def _raises(exc: Exception) -> Any:
    def route(_request: httpx.Request) -> httpx.Response:
        raise exc

    return route


@pytest.mark.parametrize(
    ("route", "status", "cause"),
    [
        (lambda _r: httpx.Response(500), SourceStatus.ERROR, Cause.HTTP_STATUS),
        (
            lambda _r: httpx.Response(200, content=b"<html>no</html>"),
            SourceStatus.ERROR,
            Cause.INVALID_DOCUMENT,
        ),
        (_cert_error(10), SourceStatus.ERROR, Cause.CERT_EXPIRED),
        (_cert_error(19), SourceStatus.ERROR, Cause.CERT_UNTRUSTED),
        (_cert_error(18), SourceStatus.ERROR, Cause.CERT_SELF_SIGNED),
        (_raises(httpx.ReadTimeout("slow")), SourceStatus.TIMEOUT, Cause.TIMEOUT),
        (
            lambda _r: httpx.Response(302, headers={"location": "http://example.org/x"}),
            SourceStatus.ERROR,
            Cause.INSECURE_HTTP,
        ),
    ],
)
async def test_autoconfig_outcome_carries_the_cause_of_its_failed_fetch(
    route: Any, status: SourceStatus, cause: Cause
) -> None:
    web = FakeWeb()
    web.add(SUB, route)
    outcome = await _autoconfig(web)
    assert outcome.status is status
    assert outcome.cause is cause
    assert to_jsonable(outcome)["cause"] == cause.value


async def test_found_and_empty_outcomes_have_no_cause() -> None:
    outcome = await _autoconfig(FakeWeb())  # 404 everywhere
    assert outcome.status is SourceStatus.EMPTY
    assert outcome.cause is None
    assert to_jsonable(outcome)["cause"] is None


@pytest.mark.parametrize(
    ("fault", "status", "cause"),
    [
        (Fault.SERVFAIL, SourceStatus.ERROR, Cause.DNS_FAILED),
        (Fault.REFUSED, SourceStatus.ERROR, Cause.DNS_FAILED),
        (Fault.SILENT, SourceStatus.TIMEOUT, Cause.DNS_TIMEOUT),
    ],
)
async def test_dns_sources_name_the_dns_failure(
    fault: Fault, status: SourceStatus, cause: Cause
) -> None:
    names = [f"{label}.example.org" for label in ("_imaps._tcp", "_imap._tcp", "_pop3s._tcp")]
    names += [f"{label}.example.org" for label in ("_pop3._tcp", "_submissions._tcp")]
    names += ["_submission._tcp.example.org", "example.org"]
    async with FaultDns(dict.fromkeys(names, fault)) as server:
        ctx = source_context(ADDRESS, [server.nameserver], timeout=0.6)
        srv_outcome = await srv.run(ctx)
        mx_outcome = await mx.run(ctx)
    for outcome in (srv_outcome, mx_outcome):
        assert outcome.status is status, outcome
        assert outcome.cause is cause, outcome


class _Boom:
    SOURCE = SourceId.ISPDB

    async def run(self, ctx: SourceContext) -> SourceOutcome:
        raise ExceptionGroup("unhandled errors in a TaskGroup", [ConnectionRefusedError(111, "x")])


async def test_a_source_that_raises_a_group_reports_its_member_not_the_group() -> None:
    from test_discovery_engine import NO_PROVIDERS, _impls

    impls = _impls()
    impls[SourceId.ISPDB] = cast(Any, _Boom())
    result = await discover(
        ADDRESS,
        DiscoveryOptions(net=NetOptions(timeout=2.0)),
        providers=NO_PROVIDERS,
        implementations=impls,
    )
    outcome = next(o for o in result.sources if o.source is SourceId.ISPDB)
    assert outcome.status is SourceStatus.ERROR
    assert outcome.cause is Cause.REFUSED
    assert "Group" not in outcome.detail


def test_probe_json_carries_the_cause_everywhere() -> None:
    probe = ProbeResult(
        ProbeStatus.REFUSED,
        "connecting: connection refused",
        failed_phase=ProbePhase.CONNECT,
        cause=Cause.REFUSED,
        failed_attempts=(FailedAttempt("::1", ProbeStatus.TIMEOUT, "timed out", Cause.TIMEOUT),),
    )
    data = to_jsonable(probe)
    assert data is not None
    assert data["cause"] == "refused"
    assert data["failure_kind"] == "refused"
    assert data["failed_attempts"][0]["cause"] == "timeout"
    ok = to_jsonable(ProbeResult(ProbeStatus.OK))
    assert ok is not None
    assert ok["cause"] is None
