"""The `[domain]` table of a policy file: what `mailprobe domain --policy` can require."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailprobe.cli import run
from mailprobe.errors import PolicyError
from mailprobe.models import Severity
from mailprobe.policy_file import DomainRules, parse_policy

DOMAIN = """\
[domain]
starttls = true
dnssec = true
dane = true
mta_sts = "testing"
tls_rpt = true

[tls]
cert_min_days = 21

[require]
services = ["imap"]

[severity]
domain = "warning"
"domain.dane" = "error"
"""


def test_domain_table_parses_every_key() -> None:
    policy = parse_policy(DOMAIN, "p.toml")
    assert policy.domain == DomainRules(
        starttls=True, dnssec=True, dane=True, mta_sts="testing", tls_rpt=True
    )
    assert policy.rules("domain") == (
        "tls.cert_min_days",
        "domain.starttls",
        "domain.dnssec",
        "domain.dane",
        "domain.mta_sts",
        "domain.tls_rpt",
    )
    # `check` ignores the [domain] rules, `domain` the mail-app ones.
    assert policy.rules("check") == ("require.services", "tls.cert_min_days")
    assert "require.services" in policy.rules()
    assert policy.severity_for("domain.dane") is Severity.ERROR
    assert policy.severity_for("domain.tls_rpt") is Severity.WARNING  # from [severity] domain


def test_false_asks_for_nothing() -> None:
    policy = parse_policy("[domain]\ndane = false\ntls_rpt = false\n", "p.toml")
    assert policy.rules() == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[domain]\ndane = 'yes'\n", "p.toml:2: domain.dane: expected true or false, got a string"),
        (
            "[domain]\nmta_sts = 'strict'\n",
            'p.toml:2: domain.mta_sts: expected one of "testing", "enforce", got "strict"',
        ),
        (
            "[domain]\nmta_sts = true\n",
            'p.toml:2: domain.mta_sts: expected one of "testing", "enforce", got a boolean',
        ),
        (
            "\n[domain]\ndane = true\nmta-sts = 'enforce'\n",
            "p.toml:4: domain.mta-sts: unknown key (known here: starttls, dnssec, dane, "
            "tls_rpt, mta_sts)",
        ),
        ("domain = true\n", "p.toml:1: domain: expected a table, got a boolean"),
        (
            "[severity]\n'domain.tlsrpt' = 'info'\n",
            'p.toml:2: severity."domain.tlsrpt": unknown key',
        ),
    ],
)
def test_invalid_domain_rules_name_file_line_and_key(text: str, expected: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "p.toml")
    assert str(caught.value).startswith(expected)


def test_policy_check_lists_the_domain_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p.toml"
    path.write_text(DOMAIN)
    assert run(["policy", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: valid policy, 7 rules\n")
    assert "  domain.mta_sts               warning\n" in out
    assert "  domain.dane                  error\n" in out
    path.write_text("[domain]\ndnssec = 1\n")
    assert run(["policy", "check", str(path)]) == 2
    assert "domain.dnssec: expected true or false" in capsys.readouterr().err
