"""bed.json and the option lists built from it say exactly what the running bed serves."""

from __future__ import annotations

import ipaddress
import json

import pytest
from cryptography import x509

from testbed import BedInfo, load_bed, zones

pytestmark = pytest.mark.bed


def test_bed_json_round_trips(bed: BedInfo) -> None:
    again = load_bed(bed.dir)
    assert again == bed
    assert json.loads((bed.dir / "bed.json").read_text())["nameserver"] == bed.nameserver
    assert (bed.dir / "bed.json").stat().st_mode & 0o077 == 0  # holds the password


def test_password_stays_out_of_repr(bed: BedInfo) -> None:
    assert bed.user.password not in repr(bed)
    assert bed.user.password not in " ".join(bed.cli_args())


def test_cli_args_name_every_bed_setting(bed: BedInfo, bed_args: list[str]) -> None:
    assert bed_args[:6] == [
        "--nameserver",
        f"127.0.0.1:{bed.dns.port}",
        "--ca-file",
        str(bed.ca_file),
        "--ispdb-url",
        "https://ispdb.mailprobe.test/v1.1/",
    ]
    rules = bed_args[7::2]
    assert bed_args[6::2] == ["--connect-to"] * len(rules)
    assert rules == list(bed.connect_to)


def test_connect_rules_map_every_standard_port(bed: BedInfo, bed_dns_args: list[str]) -> None:
    for name, std in bed.standard_ports.items():
        assert f":{std}:127.0.0.1:{bed.ports[name]}" in bed.connect_to
        assert f":{std}::{bed.ports[name]}" in bed_dns_args
    # curl semantics: the first matching rule wins, so host rules come first.
    first_generic = next(i for i, r in enumerate(bed.connect_to) if r.startswith(":"))
    host_rules = bed.connect_to[:first_generic]
    assert f"imap2.mailprobe.test:993:127.0.0.2:{bed.ports['imaps']}" in host_rules
    assert all(r.startswith(":") for r in bed.connect_to[first_generic:])


def test_main_certificate_covers_every_good_host(bed: BedInfo) -> None:
    cert = x509.load_pem_x509_certificate(bed.certs["leaf"].read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = set(san.get_values_for_type(x509.DNSName))
    ips = set(san.get_values_for_type(x509.IPAddress))
    for host in zones.HOSTS:
        assert (host in names) == (zones.bad_cert_kind(host) is None), host
    assert ipaddress.ip_address("127.0.0.1") in ips
    other = x509.load_pem_x509_certificate(bed.certs["other"].read_bytes())
    other_san = other.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert other_san.get_values_for_type(x509.DNSName) == ["other.invalid"]


def test_domain_list_documents_every_case(bed: BedInfo) -> None:
    assert bed.domains[0] == "mailprobe.test"
    assert set(bed.domains) == set(bed.cases)
    assert {"empty.mailprobe.test", "nothing.mailprobe.test", "exchange.mailprobe.test"} <= set(
        bed.domains
    )


def test_mailprobe_reads_the_connect_rules_as_intended(bed: BedInfo) -> None:
    from mailprobe.models import NetOptions
    from mailprobe.option_values import parse_connect_to

    by_ip = NetOptions(connect_to=tuple(parse_connect_to(r) for r in bed.connect_to))
    assert by_ip.route("imap2.mailprobe.test", 993) == ("127.0.0.2", bed.ports["imaps"])
    assert by_ip.route("imap.mailprobe.test", 993) == ("127.0.0.1", bed.ports["imaps"])
    assert by_ip.route("autoconfig.mailprobe.test", 443) == ("127.0.0.1", bed.ports["https"])
    by_dns = NetOptions(connect_to=tuple(parse_connect_to(r) for r in bed.connect_to_dns))
    assert by_dns.route("v6broken.mailprobe.test", 465) == (
        "v6broken.mailprobe.test",
        bed.ports["submissions"],
    )
