"""The discovery engine: concurrency under one deadline, merging, ranking, determinism."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, cast

import pytest

from mailprobe.discovery import discover, merge_candidates, rank_candidates
from mailprobe.models import (
    Candidate,
    DiscoveryOptions,
    NetOptions,
    Protocol,
    Provenance,
    Security,
    ServerSetting,
    SourceId,
    SourceOutcome,
    SourceStatus,
)
from mailprobe.sources.base import Source, SourceContext, found


@dataclass
class FakeSource:
    """A source that waits, then returns fixed settings (or raises)."""

    SOURCE: SourceId
    settings: tuple[ServerSetting, ...] = ()
    delay: float = 0.0
    trusted: bool = True
    boom: bool = False

    async def run(self, ctx: SourceContext) -> SourceOutcome:
        await asyncio.sleep(self.delay)
        if self.boom:
            raise RuntimeError("bug in source")
        prov = Provenance(self.SOURCE, f"fake:{self.SOURCE}", self.trusted)
        return found(self.SOURCE, (Candidate(s, (prov,)) for s in self.settings), "fake")


IMAPS = ServerSetting(Protocol.IMAP, "imap.example.org", 993, Security.TLS, "alice@example.org")
IMAP_STARTTLS = ServerSetting(Protocol.IMAP, "imap.example.org", 143, Security.STARTTLS)
SMTP = ServerSetting(Protocol.SMTP, "smtp.example.org", 465, Security.TLS, auth=("plain",))
NO_PROVIDERS: Any = cast(Any, object())


def _options(timeout: float = 5.0, **kw: Any) -> DiscoveryOptions:
    return DiscoveryOptions(net=NetOptions(timeout=timeout), **kw)


def _impls(*sources: FakeSource) -> dict[SourceId, Source]:
    table: dict[SourceId, Source] = {s: FakeSource(s) for s in SourceId if s is not SourceId.USER}
    for s in sources:
        table[s.SOURCE] = s
    return table


async def test_candidates_named_by_several_sources_are_merged_with_all_provenance() -> None:
    impls = _impls(
        FakeSource(SourceId.SRV, (IMAPS,), trusted=False),
        FakeSource(SourceId.AUTOCONFIG, (IMAPS, SMTP)),
    )
    result = await discover(
        "alice@example.org", _options(), providers=NO_PROVIDERS, implementations=impls
    )
    imap = [c for c in result.candidates if c.protocol is Protocol.IMAP]
    assert len(imap) == 1
    assert [p.source for p in imap[0].sources] == [SourceId.AUTOCONFIG, SourceId.SRV]
    assert imap[0].trusted
    assert [c.protocol for c in result.candidates] == [Protocol.IMAP, Protocol.SMTP]


async def test_slow_source_is_cut_at_the_deadline_and_reported_as_timeout() -> None:
    impls = _impls(
        FakeSource(SourceId.ISPDB, (IMAPS,), delay=30.0),
        FakeSource(SourceId.SRV, (SMTP,), delay=0.01, trusted=False),
    )
    start = time.monotonic()
    result = await discover(
        "alice@example.org", _options(timeout=0.4), providers=NO_PROVIDERS, implementations=impls
    )
    elapsed = time.monotonic() - start
    assert elapsed < 1.5
    by_source = {o.source: o for o in result.sources}
    assert by_source[SourceId.ISPDB].status is SourceStatus.TIMEOUT
    assert "deadline" in by_source[SourceId.ISPDB].detail
    assert by_source[SourceId.SRV].status is SourceStatus.FOUND
    assert [c.setting for c in result.candidates] == [SMTP]


async def test_sources_run_concurrently_not_one_after_another() -> None:
    slow = [
        FakeSource(s, (IMAPS,), delay=1.0)
        for s in (SourceId.AUTOCONFIG, SourceId.ISPDB, SourceId.SRV, SourceId.MX)
    ]
    start = time.monotonic()
    await discover(
        "alice@example.org", _options(), providers=NO_PROVIDERS, implementations=_impls(*slow)
    )
    assert time.monotonic() - start < 2.5  # four 1 s sources in series would take 4 s


async def test_a_source_that_raises_becomes_an_error_outcome() -> None:
    impls = _impls(FakeSource(SourceId.MX, boom=True))
    result = await discover(
        "alice@example.org", _options(), providers=NO_PROVIDERS, implementations=impls
    )
    mx = next(o for o in result.sources if o.source is SourceId.MX)
    assert mx.status is SourceStatus.ERROR
    assert "bug in source" in mx.detail


async def test_output_does_not_depend_on_which_source_finished_first() -> None:
    first = _impls(
        FakeSource(SourceId.SRV, (IMAPS, SMTP), delay=0.0, trusted=False),
        FakeSource(SourceId.AUTOCONFIG, (IMAP_STARTTLS, IMAPS), delay=0.1),
    )
    second = _impls(
        FakeSource(SourceId.SRV, (SMTP, IMAPS), delay=0.1, trusted=False),
        FakeSource(SourceId.AUTOCONFIG, (IMAPS, IMAP_STARTTLS), delay=0.0),
    )
    a = await discover(
        "alice@example.org", _options(), providers=NO_PROVIDERS, implementations=first
    )
    b = await discover(
        "alice@example.org", _options(), providers=NO_PROVIDERS, implementations=second
    )
    assert a.candidates == b.candidates
    assert [o.source for o in a.sources] == [o.source for o in b.sources]


async def test_offline_runs_only_the_bundled_database() -> None:
    impls = _impls(FakeSource(SourceId.PROVIDER_DB, (IMAPS,)))
    result = await discover(
        "alice@example.org", _options(offline=True), providers=NO_PROVIDERS, implementations=impls
    )
    statuses = {o.source: o.status for o in result.sources}
    assert statuses.pop(SourceId.PROVIDER_DB) is SourceStatus.FOUND
    assert set(statuses.values()) == {SourceStatus.SKIPPED}


async def test_sources_option_skips_the_unselected_ones() -> None:
    impls = _impls(FakeSource(SourceId.SRV, (IMAPS,)), FakeSource(SourceId.ISPDB, (SMTP,)))
    options = _options(sources=frozenset({SourceId.SRV}))
    result = await discover(
        "alice@example.org", options, providers=NO_PROVIDERS, implementations=impls
    )
    ispdb = next(o for o in result.sources if o.source is SourceId.ISPDB)
    assert ispdb.status is SourceStatus.SKIPPED
    assert "--sources" in ispdb.detail
    assert [c.setting for c in result.candidates] == [IMAPS]


def test_ranking_prefers_trust_then_source_then_implicit_tls_then_standard_port() -> None:
    def cand(setting: ServerSetting, source: SourceId, trusted: bool) -> Candidate:
        return Candidate(setting, (Provenance(source, "x", trusted),))

    odd_port = ServerSetting(Protocol.IMAP, "imap.example.org", 1993, Security.TLS)
    ranked = rank_candidates(
        [
            cand(IMAP_STARTTLS, SourceId.AUTOCONFIG, True),
            cand(odd_port, SourceId.AUTOCONFIG, True),
            cand(IMAPS, SourceId.SRV, False),
            cand(IMAPS, SourceId.AUTOCONFIG, True),
        ]
    )
    assert [(c.setting.port, c.trusted) for c in ranked] == [
        (993, True),
        (1993, True),
        (143, True),
        (993, False),
    ]


def test_merge_keeps_the_first_username_and_joins_auth_methods() -> None:
    a = SourceOutcome(
        SourceId.PROVIDER_DB,
        SourceStatus.FOUND,
        0,
        "",
        (
            Candidate(
                ServerSetting(
                    Protocol.SMTP,
                    "smtp.example.org",
                    465,
                    Security.TLS,
                    "alice",
                    ("password-cleartext",),
                ),
                (Provenance(SourceId.PROVIDER_DB, "db", True),),
            ),
        ),
    )
    b = SourceOutcome(
        SourceId.AUTOCONFIG,
        SourceStatus.FOUND,
        0,
        "",
        (
            Candidate(
                ServerSetting(
                    Protocol.SMTP,
                    "SMTP.example.org.",
                    465,
                    Security.TLS,
                    "alice@example.org",
                    ("oauth2",),
                ),
                (Provenance(SourceId.AUTOCONFIG, "https://x", True),),
            ),
        ),
    )
    (merged,) = merge_candidates([b, a])
    assert merged.setting.username == "alice"
    assert merged.setting.auth == ("password-cleartext", "oauth2")
    assert [p.source for p in merged.sources] == [SourceId.PROVIDER_DB, SourceId.AUTOCONFIG]


async def test_invalid_address_raises_before_any_source_runs() -> None:
    from mailprobe.errors import InvalidAddressError

    with pytest.raises(InvalidAddressError):
        await discover(
            "not-an-address", _options(), providers=NO_PROVIDERS, implementations=_impls()
        )
