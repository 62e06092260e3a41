"""The pieces of `mailprobe domain` on their own: MTA-STS rules, TLS-RPT, SPF, DMARC, DANE
matching on generated certificates, the MX set, resolver trust, and port-25 faults."""

from __future__ import annotations

import asyncio

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from dnsfaults import Fault, FaultDns, Records
from faultservers import Handler, serve
from mailprobe.inbound.dane import TlsaRecord, association, match_chain, parse_record
from mailprobe.inbound.dnssec import DnssecState, Lookup, SecureResolver, ad_trusted
from mailprobe.inbound.model import Verdict
from mailprobe.inbound.mta_sts import parse_policy, parse_txt, pattern_matches
from mailprobe.inbound.mx import mx_set
from mailprobe.inbound.spf_dmarc import parse_dmarc, parse_spf
from mailprobe.inbound.starttls25 import SmtpOutcome, default_ehlo_name, probe_starttls
from mailprobe.inbound.tls_rpt import parse_tls_rpt
from mailprobe.models import ConnectTo, Finding, Nameserver, NetOptions, ProbeStatus, Severity
from mailprobe.net.dns import DnsClient, DnsStatus
from mailprobe.net.http import HttpFetcher
from testbed.certs import CertPair, make_ca, make_leaf

# --------------------------------------------------------------------------- MTA-STS


@pytest.mark.parametrize(
    ("pattern", "host", "expected"),
    [
        ("mx.example.org", "mx.example.org", True),
        ("MX.Example.org.", "mx.example.org", True),
        ("*.example.org", "mx.example.org", True),
        ("*.example.org", "a.mx.example.org", False),  # exactly one label
        ("*.example.org", "example.org", False),
        ("*.example.org", "mx.example.net", False),
        ("mx.example.org", "mx2.example.org", False),
    ],
)
def test_mx_patterns(pattern: str, host: str, expected: bool) -> None:
    assert pattern_matches(pattern, host) is expected


@pytest.mark.parametrize("eol", ["\r\n", "\n"])
def test_policy_with_either_line_ending(eol: str) -> None:
    text = eol.join(
        [
            "version: STSv1",
            "mode: enforce",
            "mx: mx1.example.org",
            "mx: *.example.net",
            "max_age: 604800",
        ]
    )
    policy = parse_policy(text + eol)
    assert policy.problems == ()
    assert (policy.mode, policy.mx, policy.max_age) == (
        "enforce",
        ("mx1.example.org", "*.example.net"),
        604800,
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n", "max_age"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", "max_age"),
        ("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 60\n", "mode 'strict'"),
        ("version: STSv1\nmode: enforce\nmax_age: 60\n", "needs at least one mx"),
        ("version: STSv2\nmode: none\nmax_age: 60\n", "version"),
        ("mode: none\nmax_age: 60\n", "no version"),
        ("version: STSv1\nmode: none\nmode: enforce\nmax_age: 60\n", "more than once"),
        ("version: STSv1\nmode: testing\nmx: *.*.example\nmax_age: 60\n", "mx pattern"),
        ("version: STSv1\nmode testing\nmax_age: 60\n", "not 'key: value'"),
    ],
)
def test_policy_problems(body: str, problem: str) -> None:
    problems = parse_policy(body).problems
    assert any(problem in p for p in problems), problems


def test_policy_max_age_at_the_limit_is_fine() -> None:
    policy = parse_policy("version: STSv1\nmode: none\nmax_age: 31557600\n")
    assert policy.problems == ()
    assert policy.max_age == 31557600


def test_sts_txt_record() -> None:
    assert parse_txt(["v=STSv1; id=20240101T000000;"]) == ("20240101T000000", "")
    assert parse_txt(["v=spf1 -all"]) == (None, "")
    assert "2 v=STSv1 records" in parse_txt(["v=STSv1; id=a", "v=STSv1; id=b"])[1]
    assert "no id" in parse_txt(["v=STSv1;"])[1]
    assert "1 to 32" in parse_txt(["v=STSv1; id=not-alnum"])[1]


# --------------------------------------------------------------------------- TLS-RPT, SPF, DMARC


def test_tls_rpt_records() -> None:
    ok = parse_tls_rpt(["v=TLSRPTv1; rua=mailto:r@example.org,https://rpt.example.org/x"])
    assert ok.status == "ok"
    assert ok.rua == ("mailto:r@example.org", "https://rpt.example.org/x")
    assert parse_tls_rpt([]).status == "absent"
    assert parse_tls_rpt(
        ["v=TLSRPTv1; rua=mailto:a@b.c", "v=TLSRPTv1; rua=mailto:d@e.f"]
    ).status == ("invalid")
    assert "no rua" in parse_tls_rpt(["v=TLSRPTv1;"]).detail
    assert "not a mailto" in parse_tls_rpt(["v=TLSRPTv1; rua=ftp://x.example"]).detail


@pytest.mark.parametrize(
    ("records", "status", "text"),
    [
        (["v=spf1 mx ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.example.org -all"], "ok", ""),
        ([], "absent", "no v=spf1"),
        (["v=spf1 -all", "v=spf1 mx -all"], "invalid", "2 v=spf1"),
        (["v=spf1 ip4:2001:db8::1 -all"], "invalid", "not an IPv4"),
        (["v=spf1 ip4:300.1.1.1 -all"], "invalid", "not an IP"),
        (["v=spf1 bogus -all"], "invalid", "neither a mechanism"),
        (
            ["v=spf1 " + " ".join(f"include:s{i}.example" for i in range(11)) + " -all"],
            "invalid",
            "11 terms",
        ),
    ],
)
def test_spf(records: list[str], status: str, text: str) -> None:
    result = parse_spf(records)
    assert result.status == status
    assert text in result.detail


def test_spf_plus_all_is_valid_but_warned() -> None:
    result = parse_spf(["v=spf1 +all"])
    assert result.status == "ok"
    assert result.warnings


@pytest.mark.parametrize(
    ("record", "status", "policy"),
    [
        ("v=DMARC1; p=reject; rua=mailto:d@example.org", "ok", "reject"),
        ("v=DMARC1; p=none", "ok", "none"),
        ("v=DMARC1; rua=mailto:d@example.org", "invalid", None),
        ("v=DMARC1; p=maybe", "invalid", "maybe"),
        ("v=DMARC1; p=reject; pct=150", "invalid", "reject"),
        ("v=DMARC1; p=reject; adkim=x", "invalid", "reject"),
    ],
)
def test_dmarc(record: str, status: str, policy: str | None) -> None:
    result = parse_dmarc([record], "_dmarc.example.org")
    assert (result.status, result.policy) == (status, policy)


def test_dmarc_absent_and_duplicate() -> None:
    assert parse_dmarc([], "_dmarc.x").status == "absent"
    assert parse_dmarc(["v=DMARC1; p=none", "v=DMARC1; p=reject"], "_dmarc.x").status == "invalid"


# --------------------------------------------------------------------------- DANE


def _der(pair: CertPair) -> bytes:
    return x509.load_pem_x509_certificate(pair.cert.read_bytes()).public_bytes(
        serialization.Encoding.DER
    )


def _cert(pair: CertPair) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pair.cert.read_bytes())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CertPair]:
    root = tmp_path_factory.mktemp("dane")
    ca = make_ca(root)
    return {
        "ca": ca,
        "leaf": make_leaf(root, ca, ["mx.example.org"], stem="leaf"),
        "expired": make_leaf(
            root, ca, ["mx.example.org"], stem="expired", valid_from_days=-30, valid_until_days=-1
        ),
        "other": make_leaf(root, ca, ["other.example.org"], stem="other"),
    }


def _rec(usage: int, selector: int, matching: int, cert: x509.Certificate) -> TlsaRecord:
    return parse_record(
        usage, selector, matching, bytes.fromhex(association(cert, selector, matching))
    )


NAMES = ("mx.example.org",)


@pytest.mark.parametrize(("selector", "matching"), [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)])
def test_dane_ee_every_selector_and_matching_type(
    pki: dict[str, CertPair], selector: int, matching: int
) -> None:
    record = _rec(3, selector, matching, _cert(pki["leaf"]))
    result = match_chain((record,), (_der(pki["leaf"]), _der(pki["ca"])), NAMES)
    assert result.matched is True
    assert [m.matched for m in result.records] == [True]


def test_dane_ee_ignores_expiry_and_name(pki: dict[str, CertPair]) -> None:
    for stem in ("expired", "other"):
        record = _rec(3, 1, 1, _cert(pki[stem]))
        result = match_chain((record,), (_der(pki[stem]),), NAMES)
        assert result.matched is True, stem


def test_dane_ta_matches_the_served_anchor(pki: dict[str, CertPair]) -> None:
    record = _rec(2, 0, 1, _cert(pki["ca"]))
    chain = (_der(pki["leaf"]), _der(pki["ca"]))
    assert match_chain((record,), chain, NAMES).matched is True
    # The anchor must be in the served chain: a leaf-only chain does not match.
    alone = match_chain((record,), chain[:1], NAMES)
    assert alone.matched is False
    assert alone.records[0].matched is False


def test_dane_ta_checks_name_and_expiry(pki: dict[str, CertPair]) -> None:
    record = _rec(2, 1, 1, _cert(pki["ca"]))
    wrong = match_chain((record,), (_der(pki["other"]), _der(pki["ca"])), NAMES)
    assert wrong.matched is False
    assert "for other.example.org, not mx.example.org" in wrong.reason
    assert wrong.records[0].matched is True  # the anchor itself matched
    old = match_chain((record,), (_der(pki["expired"]), _der(pki["ca"])), NAMES)
    assert old.matched is False
    assert "expired" in old.reason


def test_dane_failure_names_the_presented_key(pki: dict[str, CertPair]) -> None:
    records = (_rec(3, 1, 1, _cert(pki["other"])), _rec(2, 0, 1, _cert(pki["other"])))
    result = match_chain(records, (_der(pki["leaf"]), _der(pki["ca"])), NAMES)
    spki = association(_cert(pki["leaf"]), 1, 1)
    assert result.matched is False
    assert result.reason.startswith(
        f"none of the 2 TLSA records match; the server presents key SHA-256 {spki}"
    )


def test_unusable_records_are_never_dane_ok(pki: dict[str, CertPair]) -> None:
    leaf = _cert(pki["leaf"])
    records = (
        _rec(1, 1, 1, leaf),  # PKIX-EE
        _rec(0, 0, 1, _cert(pki["ca"])),  # PKIX-TA
        parse_record(3, 1, 1, b"\x01" * 20),  # wrong digest length
        parse_record(3, 2, 1, b"\x01" * 32),  # unknown selector
        parse_record(3, 1, 3, b"\x01" * 32),  # unknown matching type
    )
    assert not any(r.usable for r in records)
    result = match_chain(records, (_der(pki["leaf"]),), NAMES)
    assert result.matched is False
    assert "no usable" in result.reason


# --------------------------------------------------------------------------- MX set


def _mx_lookup(*texts: str, status: DnsStatus = DnsStatus.OK) -> Lookup:
    records = tuple(dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.MX, t) for t in texts)
    return Lookup("example.org", "MX", status, DnssecState.SECURE, records, "example.org")


def test_null_mx_alone_and_mixed() -> None:
    alone = mx_set("example.org", _mx_lookup("0 ."))
    assert (alone.null_mx, alone.null_mixed, alone.hosts) == (True, False, ())
    mixed = mx_set("example.org", _mx_lookup("0 .", "10 mx.example.org."))
    assert (mixed.null_mx, mixed.null_mixed, mixed.hosts) == (
        False,
        True,
        ((10, "mx.example.org"),),
    )


def test_mx_order_limit_and_implicit() -> None:
    texts = [f"{20 - i} mx{i:02d}.example.org." for i in range(12)]
    found = mx_set("example.org", _mx_lookup(*texts))
    assert len(found.hosts) == 10
    assert found.hosts[0] == (9, "mx11.example.org")
    assert found.skipped == ("mx01.example.org", "mx00.example.org")
    implicit = mx_set("example.org", _mx_lookup(status=DnsStatus.NODATA))
    assert implicit.implicit is True
    assert implicit.hosts == ((0, "example.org"),)


def test_verdict_is_the_worst_severity() -> None:
    def f(sev: Severity) -> Finding:
        return Finding("x.y", sev, "s")

    assert Verdict.of([]) is Verdict.PASS
    assert Verdict.of([f(Severity.INFO)]) is Verdict.PASS
    assert Verdict.of([f(Severity.INFO), f(Severity.WARNING)]) is Verdict.WARNING
    assert Verdict.of([f(Severity.WARNING), f(Severity.ERROR)]) is Verdict.FAIL


# --------------------------------------------------------------------------- resolver trust


def test_ad_bit_trusted_only_from_loopback_or_when_told() -> None:
    loop = (Nameserver("127.0.0.1", 5353), Nameserver("::1"))
    remote = (Nameserver("192.0.2.53"),)
    assert ad_trusted(loop, False) is True
    assert ad_trusted(remote, False) is False
    assert ad_trusted(loop + remote, False) is False
    assert ad_trusted(remote, True) is True
    assert ad_trusted((), True) is False


_KEY = "257 3 13 " + "A" * 86 + "=="


async def test_resolver_validation_probe_and_servfail_without_data() -> None:
    rules: dict[str, Fault | Records] = {
        "signed.example": Records("DNSKEY", (_KEY,), authenticated=True),
        "unsigned.example": Records("DNSKEY", (_KEY,)),
        "secure.example": Records("A", ("192.0.2.1",), authenticated=True),
        "plain.example": Records("A", ("192.0.2.2",)),
        "broken.example": Fault.SERVFAIL,
    }
    async with FaultDns(rules) as server:
        good = SecureResolver((server.nameserver,), timeout=1.0, probe="signed.example")
        check = await good.check()
        assert (check.trusted, check.validates, check.usable) == (True, True, True)
        assert (await good.query("secure.example", "A")).dnssec is DnssecState.SECURE
        assert (await good.query("plain.example", "A")).dnssec is DnssecState.INSECURE
        broken = await good.query("broken.example", "A")
        # SERVFAIL that stays SERVFAIL with CD is a failure, not proof of bogus data.
        assert broken.status is DnsStatus.SERVFAIL
        assert broken.dnssec is DnssecState.UNVERIFIED
        lax = SecureResolver((server.nameserver,), timeout=1.0, probe="unsigned.example")
        assert (await lax.check()).validates is False
        assert (await lax.query("secure.example", "A")).dnssec is DnssecState.UNVERIFIED


# --------------------------------------------------------------------------- port 25 faults


def _plain_smtp(offer_starttls: bool, greeting: bytes = b"220 fault.test ESMTP\r\n") -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(greeting)
        if not greeting.startswith(b"220"):
            await writer.drain()
            return
        while line := await reader.readline():
            if line.upper().startswith(b"EHLO"):
                extra = b"250-STARTTLS\r\n" if offer_starttls else b""
                writer.write(b"250-fault.test\r\n" + extra + b"250 8BITMIME\r\n")
            elif line.upper().startswith(b"STARTTLS"):
                writer.write(b"454 4.7.0 TLS not available\r\n")
            elif line.upper().startswith(b"QUIT"):
                writer.write(b"221 bye\r\n")
                await writer.drain()
                return
            await writer.drain()

    return handler


async def _probe(handler: Handler) -> SmtpOutcome:
    async with serve(handler) as server:
        net = NetOptions(connect_to=(ConnectTo("mx.fault.test", 25, "127.0.0.1", server.port),))
        return await probe_starttls(
            "mx.fault.test", "192.0.2.25", dns=DnsClient(), net=net, timeout=3.0
        )


async def test_no_starttls_is_reported_as_such() -> None:
    outcome = await _probe(_plain_smtp(False))
    assert outcome.status is ProbeStatus.OK
    assert outcome.starttls is False
    assert outcome.connected_to.startswith("127.0.0.1:")


async def test_starttls_refused_after_offer_keeps_starttls_true() -> None:
    outcome = await _probe(_plain_smtp(True))
    assert outcome.status is ProbeStatus.PROTOCOL_ERROR
    assert outcome.starttls is True
    assert "454" in outcome.detail


async def test_greeting_other_than_220() -> None:
    outcome = await _probe(_plain_smtp(True, b"554 5.7.1 go away\r\n"))
    assert outcome.status is ProbeStatus.PROTOCOL_ERROR
    assert "554" in outcome.detail


def test_ehlo_name_is_a_fqdn_or_an_address_literal() -> None:
    name = default_ehlo_name("127.0.0.1")
    assert "." in name.strip("[]")
    assert not name.startswith("localhost")


# --------------------------------------------------------------------------- no redirects


async def test_fetch_without_following_redirects_and_with_a_body_cap() -> None:
    def app(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/moved":
            return httpx.Response(301, headers={"location": "https://elsewhere.example/x"})
        return httpx.Response(200, content=b"x" * 70_000)

    fetcher = HttpFetcher(
        DnsClient(),
        NetOptions(connect_to=(ConnectTo("", 443, "127.0.0.1", 443),)),
        transport=httpx.MockTransport(app),
    )
    moved = await fetcher.get("https://a.example/moved", timeout=2, follow_redirects=False)
    assert moved.status_code == 301
    assert moved.redirects == ("https://elsewhere.example/x",)
    assert moved.error is None
    big = await fetcher.get("https://a.example/big", timeout=2, max_body=64 * 1024)
    assert big.error == "response larger than 64 KiB"


@pytest.mark.parametrize("bad", ["a@b.example", "bad domain!", ""])
def test_invalid_domain_is_a_usage_error(capsys: pytest.CaptureFixture[str], bad: str) -> None:
    from mailprobe.cli import run

    assert run(["domain", bad]) == 2
    assert "mailprobe: error:" in capsys.readouterr().err


async def test_localhost_mx_is_not_probed_and_is_an_error() -> None:
    from mailprobe.inbound.diagnose import mx_findings
    from mailprobe.inbound.model import DomainOptions
    from mailprobe.inbound.mta_sts import StsResult, StsStatus
    from mailprobe.inbound.mx import check_host

    resolver = SecureResolver((Nameserver("127.0.0.1", 9),), timeout=0.5, probe="x.example")
    result = await check_host(
        10,
        "localhost",
        resolver=resolver,
        dns=DnsClient(),
        options=DomainOptions(),
        left=lambda: 1.0,
    )
    assert result.localhost is True
    assert result.addresses == ()
    findings = mx_findings(result, StsResult(StsStatus.ABSENT))
    assert [(f.id, f.severity) for f in findings] == [("mx.localhost", Severity.ERROR)]


def test_chain_falls_back_to_the_leaf_without_chain_access() -> None:
    from mailprobe.inbound.starttls25 import served_chain

    class LeafOnly:
        def getpeercert(self, binary_form: bool = False) -> bytes:
            return b"leaf-der"

    chain, complete = served_chain(LeafOnly())  # type: ignore[arg-type]
    assert chain == (b"leaf-der",)
    assert complete is False


def test_domain_schema_is_a_valid_draft_2020_12_schema() -> None:
    from jsonschema import Draft202012Validator

    from mailprobe.inbound.schema import domain_schema

    Draft202012Validator.check_schema(domain_schema())
