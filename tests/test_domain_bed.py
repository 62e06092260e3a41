"""`mailprobe domain` against the bed's signed zone tree, unbound, Postfix and nginx.

Every case of the inbound part of the bed is checked through the command line (JSON and
exit code); DANE verdicts are cross-checked with OpenSSL's own DANE implementation
(`openssl s_client -dane_tlsa_rrdata`).
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mailprobe.cli import run
from mailprobe.inbound.schema import domain_schema
from testbed import BedInfo
from testbed import signed_zones as sz
from testbed.inbound import InboundInfo, load_inbound

pytestmark = pytest.mark.bed

S = sz.SECURE
_CACHE: dict[tuple[str, ...], tuple[int, dict[str, Any]]] = {}


@pytest.fixture(scope="module")
def inbound(bed: BedInfo) -> InboundInfo:
    """The inbound part of the running bed (inbound.json)."""
    return load_inbound(bed.dir)


def _domain(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo, name: str, *extra: str
) -> tuple[int, dict[str, Any]]:
    key = (name, *extra)
    if key not in _CACHE:
        capsys.readouterr()
        code = run(["domain", name, "--json", *inbound.cli_args(), *extra])
        out, _err = capsys.readouterr()
        _CACHE[key] = (code, _valid(out))
    return _CACHE[key]


def _valid(text: str) -> dict[str, Any]:
    """The printed report, after checking it against the domain report's JSON Schema."""
    report: dict[str, Any] = json.loads(text)
    Draft202012Validator(domain_schema()).validate(report)
    return report


def _ids(report: dict[str, Any]) -> set[str]:
    return {f["id"] for f in report["findings"]}


def _only_mx(report: dict[str, Any]) -> dict[str, Any]:
    assert len(report["mx"]) == 1
    mx: dict[str, Any] = report["mx"][0]
    return mx


def test_every_case_is_described(inbound: InboundInfo) -> None:
    assert f"ee.{S}" in inbound.cases
    assert sz.BOGUS in inbound.cases
    assert inbound.trust_anchor.startswith(f"{sz.PARENT}. IN DS ")


def test_secure_matching_ee(capsys: pytest.CaptureFixture[str], inbound: InboundInfo) -> None:
    code, report = _domain(capsys, inbound, f"ee.{S}")
    assert code == 0
    assert report["kind"] == "domain"
    assert report["schema_version"] == 1
    assert report["generated_at"].endswith("Z")
    assert report["mailprobe_version"]
    assert report["verdict"] == "pass"
    assert report["dnssec"]["trusted"] is True
    assert report["dnssec"]["validates"] is True
    assert report["dnssec"]["mx"] == "secure"
    mx = _only_mx(report)
    assert (mx["host"], mx["dnssec"], mx["tlsa_dnssec"]) == (sz.MX_EE, "secure", "secure")
    assert mx["dane"]["status"] == "ok"
    address = mx["addresses"][0]
    assert address["dnssec"] == "secure"
    smtp = address["smtp"]
    assert smtp["status"] == "ok"
    assert smtp["starttls"] is True
    assert smtp["tls"]["version"] in ("TLSv1.2", "TLSv1.3")
    assert smtp["tls"]["cipher"]
    assert smtp["tls"]["verified"] is True
    assert smtp["tls"]["chain_length"] == 2
    assert smtp["ehlo_name"]
    assert "." in smtp["ehlo_name"].strip("[]")
    dane = address["dane"]
    assert dane["matched"] is True
    by_usage = {(r["usage"], r["selector"], r["matching"]): r for r in dane["records"]}
    assert by_usage[(3, 1, 1)]["matched"] is True
    assert by_usage[(3, 0, 2)]["matched"] is True
    # PKIX-EE (usage 1) is listed, but never counts for SMTP.
    assert by_usage[(1, 1, 1)]["usable"] is False
    assert by_usage[(1, 1, 1)]["matched"] is None
    assert report["tls_rpt"]["status"] == "ok"
    assert report["tls_rpt"]["rua"] == [f"mailto:tlsrpt@ee.{S}"]
    assert report["spf"]["status"] == "ok"
    assert report["dmarc"]["policy"] == "reject"
    assert _ids(report) == {"mta_sts.absent"}


def test_secure_matching_ta(capsys: pytest.CaptureFixture[str], inbound: InboundInfo) -> None:
    code, report = _domain(capsys, inbound, f"ta.{S}")
    assert code == 0
    assert report["verdict"] == "pass"
    mx = _only_mx(report)
    assert mx["dane"]["status"] == "ok"
    [record] = mx["addresses"][0]["dane"]["records"]
    assert (record["usage"], record["selector"], record["matching"]) == (2, 0, 1)
    assert record["matched"] is True


def test_secure_no_match_says_why(capsys: pytest.CaptureFixture[str], inbound: InboundInfo) -> None:
    code, report = _domain(capsys, inbound, f"nomatch.{S}")
    assert code == 1
    assert report["verdict"] == "fail"
    mx = _only_mx(report)
    assert mx["verdict"] == "fail"
    assert mx["dane"]["status"] == "fail"
    address = mx["addresses"][0]
    # An untrusted certificate is still STARTTLS: judged afterwards, never "no STARTTLS".
    assert address["smtp"]["starttls"] is True
    assert address["smtp"]["tls"]["verified"] is False
    assert address["dane"]["matched"] is False
    assert [r["matched"] for r in address["dane"]["records"]] == [False, False]
    [finding] = [f for f in report["findings"] if f["id"] == "dane.mismatch"]
    assert finding["severity"] == "error"
    assert finding["host"] == sz.MX_NOMATCH
    assert (
        "none of the 2 TLSA records match; the server presents key SHA-256 " in (finding["summary"])
    )
    assert "starttls.missing" not in _ids(report)


def test_cname_mx_uses_tlsa_at_the_expanded_name(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo
) -> None:
    _code, report = _domain(capsys, inbound, f"cname.{S}")
    mx = _only_mx(report)
    assert mx["host"] == f"alias.{S}"
    assert mx["canonical"] == sz.MX_EE
    assert mx["tlsa_name"] == f"_25._tcp.{sz.MX_EE}"
    assert mx["dane"]["status"] == "ok"
    assert "mx.cname" in _ids(report)


def test_insecure_zone(capsys: pytest.CaptureFixture[str], inbound: InboundInfo) -> None:
    code, report = _domain(capsys, inbound, sz.INSECURE)
    assert code == 0
    mx = _only_mx(report)
    assert report["dnssec"]["mx"] == "insecure"
    assert mx["dnssec"] == "insecure"
    assert mx["dane"]["status"] == "not_applicable"
    assert mx["addresses"][0]["dane"]["matched"] is None
    assert "dnssec.insecure" in _ids(report)


def test_bogus_zone(capsys: pytest.CaptureFixture[str], inbound: InboundInfo) -> None:
    code, report = _domain(capsys, inbound, sz.BOGUS)
    assert code == 1
    assert report["verdict"] == "fail"
    assert report["dnssec"]["mx"] == "bogus"
    mx = _only_mx(report)
    assert (mx["dnssec"], mx["tlsa_dnssec"], mx["dane"]["status"]) == ("bogus", "bogus", "bogus")
    bogus = [f for f in report["findings"] if f["id"] == "dnssec.bogus"]
    assert bogus
    assert all(f["severity"] == "error" for f in bogus)
    assert "CD" in bogus[0]["summary"]


def test_null_mx(capsys: pytest.CaptureFixture[str], inbound: InboundInfo) -> None:
    code, report = _domain(capsys, inbound, f"nullmx.{S}")
    assert code == 0
    assert report["null_mx"] is True
    assert report["mx"] == []
    assert report["verdict"] == "pass"
    assert "mx.null" in _ids(report)
    assert "mta_sts.absent" not in _ids(report)


def test_null_mx_next_to_a_real_mx(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo
) -> None:
    code, report = _domain(capsys, inbound, f"nullmix.{S}")
    assert code == 1
    assert report["null_mx"] is False
    assert [m["host"] for m in report["mx"]] == [sz.MX_EE]
    assert "mx.null_mixed" in _ids(report)
    assert report["verdict"] == "fail"


def test_dmarc_none_is_a_warning(capsys: pytest.CaptureFixture[str], inbound: InboundInfo) -> None:
    code, report = _domain(capsys, inbound, f"dmarcnone.{S}")
    assert code == 0
    assert report["dmarc"]["policy"] == "none"
    [finding] = [f for f in report["findings"] if f["id"] == "dmarc.policy_none"]
    assert finding["severity"] == "warning"
    code, _report = _domain(capsys, inbound, f"dmarcnone.{S}", "--fail-on", "warning")
    assert code == 1


def test_mta_sts_enforce(capsys: pytest.CaptureFixture[str], inbound: InboundInfo) -> None:
    code, report = _domain(capsys, inbound, f"sts-enforce.{S}")
    assert code == 0
    assert report["verdict"] == "pass"
    sts = report["mta_sts"]
    assert (sts["status"], sts["mode"], sts["mx"], sts["max_age"]) == (
        "ok",
        "enforce",
        [sz.MX_EE],
        86400,
    )
    assert sts["id"] == "20240101T000000"
    assert _only_mx(report)["mta_sts_match"] is True
    assert not {i for i in _ids(report) if i.startswith("mta_sts.")}


def test_mta_sts_testing(capsys: pytest.CaptureFixture[str], inbound: InboundInfo) -> None:
    code, report = _domain(capsys, inbound, f"sts-testing.{S}")
    assert code == 0
    assert report["mta_sts"]["mode"] == "testing"
    assert report["mta_sts"]["mx"] == [f"*.{S}"]
    assert _only_mx(report)["mta_sts_match"] is True
    assert "mta_sts.mode_testing" in _ids(report)


def test_mta_sts_none(capsys: pytest.CaptureFixture[str], inbound: InboundInfo) -> None:
    code, report = _domain(capsys, inbound, f"sts-none.{S}")
    assert code == 0
    assert report["mta_sts"]["mode"] == "none"
    assert _only_mx(report)["mta_sts_match"] is None
    assert "mta_sts.mode_none" in _ids(report)


@pytest.mark.parametrize(
    ("label", "fid", "status", "text"),
    [
        ("sts-redirect", "mta_sts.fetch_failed", "fetch_failed", "HTTP 301, a redirect to"),
        ("sts-big", "mta_sts.fetch_failed", "fetch_failed", "larger than 64 KiB"),
        ("sts-badmode", "mta_sts.policy_invalid", "policy_invalid", "mode 'strict'"),
    ],
)
def test_mta_sts_broken_policies(
    capsys: pytest.CaptureFixture[str],
    inbound: InboundInfo,
    label: str,
    fid: str,
    status: str,
    text: str,
) -> None:
    code, report = _domain(capsys, inbound, f"{label}.{S}")
    assert code == 1
    assert report["verdict"] == "fail"
    assert report["mta_sts"]["status"] == status
    [finding] = [f for f in report["findings"] if f["id"] == fid]
    assert text in finding["summary"]
    assert finding["severity"] == "error"


def test_mta_sts_pattern_one_label_only(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo
) -> None:
    code, report = _domain(capsys, inbound, f"sts-nomatch.{S}")
    assert code == 1
    mx = _only_mx(report)
    assert mx["mta_sts_match"] is False
    assert mx["verdict"] == "fail"
    [finding] = [f for f in report["findings"] if f["id"] == "mta_sts.mx_not_listed"]
    assert finding["host"] == sz.MX_EE
    assert finding["severity"] == "error"


def test_mta_sts_enforce_reports_the_mx_with_a_bad_cert(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo
) -> None:
    code, report = _domain(capsys, inbound, f"sts-badcert.{S}")
    assert code == 1
    assert _only_mx(report)["mta_sts_match"] is True
    [finding] = [f for f in report["findings"] if f["id"] == "mta_sts.mx_cert_invalid"]
    assert finding["host"] == sz.MX_NOMATCH
    assert "self-signed" in finding["summary"]


def test_nonexistent_domain_exits_3(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo
) -> None:
    code, report = _domain(capsys, inbound, f"nothing.{S}")
    assert code == 3
    assert _ids(report) == {"mx.nxdomain"}


def test_port_25_unreachable_everywhere_exits_4(
    capsys: pytest.CaptureFixture[str], inbound: InboundInfo
) -> None:
    capsys.readouterr()
    closed = ["--connect-to", ":25:127.0.0.1:9"]  # discard port: nothing listens
    code = run(["domain", f"ee.{S}", "--json", *closed, *inbound.cli_args()])
    report = _valid(capsys.readouterr().out)
    assert code == 4
    assert report["mx"][0]["addresses"][0]["smtp"]["status"] == "refused"
    assert "starttls.unreachable" in _ids(report)
    assert report["mx"][0]["dane"]["status"] == "untested"


def test_policy_facts(inbound: InboundInfo) -> None:
    from mailprobe.inbound import DomainOptions, domain_check
    from mailprobe.models import NetOptions
    from mailprobe.option_values import parse_connect_to, parse_nameserver

    net = NetOptions(
        nameservers=(parse_nameserver(inbound.resolver),),
        connect_to=tuple(parse_connect_to(r) for r in inbound.connect_to),
        ca_file=inbound.ca_file,
    )
    options = DomainOptions(net=net, dnssec_probe=inbound.dnssec_probe)
    assert domain_check(f"sts-enforce.{S}", options).facts() == {
        "dane": True,
        "mta_sts_enforce": True,
        "tls_rpt": True,
        "starttls": True,
        "dnssec": True,
    }
    facts = domain_check(sz.INSECURE, options).facts()
    assert facts["dane"] is False
    assert facts["mta_sts_enforce"] is False
    assert facts["dnssec"] is False


def test_non_validating_resolver_gives_unverified(
    capsys: pytest.CaptureFixture[str], bed: BedInfo, inbound: InboundInfo
) -> None:
    # NSD answers authoritatively without AD: the probe shows it does not validate.
    capsys.readouterr()
    args = [a if a != inbound.resolver else bed.nameserver for a in inbound.cli_args()]
    code = run(["domain", f"ee.{S}", "--json", *args])
    report = _valid(capsys.readouterr().out)
    assert report["dnssec"]["trusted"] is True
    assert report["dnssec"]["validates"] is False
    mx = _only_mx(report)
    assert mx["dnssec"] == "unverified"
    assert mx["dane"]["status"] == "unverified"
    assert "dnssec.unverified" in _ids(report)
    assert code == 0  # a warning only


def test_table_output(capsys: pytest.CaptureFixture[str], inbound: InboundInfo) -> None:
    capsys.readouterr()
    code = run(["domain", f"nomatch.{S}", *inbound.cli_args()])
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith(f"nomatch.{S}: FAIL")
    assert "TLSA records" in out
    assert "no match" in out
    assert "dane.mismatch" in out


# --------------------------------------------------------------------------- OpenSSL


def _openssl_dane(inbound: InboundInfo, port: int, mx: str, rrdata: list[str]) -> bool:
    """OpenSSL's verdict: does the server on `port` pass DANE with these records?"""
    argv = ["openssl", "s_client", "-brief", "-starttls", "smtp", "-name", "mailprobe.test"]
    argv += ["-connect", f"127.0.0.1:{port}", "-servername", mx, "-dane_tlsa_domain", mx]
    argv += ["-dane_ee_no_namechecks", "-verify_return_error"]
    for data in rrdata:
        argv += ["-dane_tlsa_rrdata", data]
    done = subprocess.run(argv, input=b"QUIT\r\n", capture_output=True, timeout=20, check=False)
    text = (done.stdout + done.stderr).decode(errors="replace")
    return "Verification: OK" in text


@pytest.mark.parametrize(
    ("domain", "mx", "port_name"),
    [
        (f"ee.{S}", sz.MX_EE, "dane"),
        (f"ta.{S}", sz.MX_TA, "dane"),
        (f"nomatch.{S}", sz.MX_NOMATCH, "nomatch"),
    ],
)
def test_dane_verdicts_agree_with_openssl(
    capsys: pytest.CaptureFixture[str],
    inbound: InboundInfo,
    domain: str,
    mx: str,
    port_name: str,
) -> None:
    _code, report = _domain(capsys, inbound, domain)
    address = _only_mx(report)["addresses"][0]
    usable = [r for r in address["dane"]["records"] if r["usable"]]
    assert usable
    port = inbound.ports[port_name]
    for record in usable:
        rrdata = f"{record['usage']} {record['selector']} {record['matching']} {record['data']}"
        assert _openssl_dane(inbound, port, mx, [rrdata]) is record["matched"], rrdata
    rrset = [f"{r['usage']} {r['selector']} {r['matching']} {r['data']}" for r in usable]
    assert _openssl_dane(inbound, port, mx, rrset) is address["dane"]["matched"]
