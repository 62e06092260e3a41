"""Policy files: a full valid file, and every kind of invalid one (unknown key, wrong type,
bad value, broken TOML) named with file, key and line, through the library and through
`mailprobe policy check` (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailprobe.cli import run
from mailprobe.errors import InvalidInputError, PolicyError
from mailprobe.exit_status import ExitStatus
from mailprobe.models import Protocol, Security, Severity, SourceId
from mailprobe.policy import load_policy, parse_policy
from mailprobe.policy_file import RULE_KEYS, line_of

FULL = """\
# The policy of README's example, every key set.
[require]
services = ["imap", "smtp"]
implicit_tls = true
no_plaintext_auth = true

[tls]
min_version = "1.2"
cert_min_days = 14
verified = true

[expect.imap]
host = "imap.example.org"
port = 993
security = "tls"

[expect.smtp]
port = 465

[sources]
agree = ["autoconfig", "srv"]

[severity]
default = "error"
"tls.cert_min_days" = "warning"
expect = "info"
"""


def test_full_policy_parses_every_key() -> None:
    policy = parse_policy(FULL, "p.toml")
    assert policy.services == (Protocol.IMAP, Protocol.SMTP)
    assert policy.implicit_tls
    assert policy.no_plaintext_auth
    assert policy.verified
    assert (policy.min_version, policy.cert_min_days) == ("1.2", 14)
    imap = policy.expect[Protocol.IMAP]
    assert (imap.host, imap.port, imap.security) == ("imap.example.org", 993, Security.TLS)
    assert policy.expect[Protocol.SMTP].port == 465
    assert policy.agree == (SourceId.AUTOCONFIG, SourceId.SRV)
    assert policy.rules() == (
        "require.services",
        "require.implicit_tls",
        "require.no_plaintext_auth",
        "tls.min_version",
        "tls.cert_min_days",
        "tls.verified",
        "expect.imap.host",
        "expect.imap.port",
        "expect.imap.security",
        "expect.smtp.port",
        "sources.agree",
    )
    assert policy.severity_for("tls.cert_min_days") is Severity.WARNING
    assert policy.severity_for("expect.imap.port") is Severity.INFO  # from the [expect] table
    assert policy.severity_for("tls.verified") is Severity.ERROR


def test_empty_policy_has_no_rules() -> None:
    policy = parse_policy("", "p.toml")
    assert policy.rules() == ()
    # implicit_tls = false asks for nothing, so it is no rule either.
    assert parse_policy("[require]\nimplicit_tls = false\n", "p.toml").rules() == ()


INVALID = [
    # (policy text, the error text expected after "FILE:")
    ('[tls]\nmin_version = "1.2"\nmax_version = "1.3"\n', "3: tls.max_version: unknown key"),
    ('[require]\nservice = ["imap"]\n', "2: require.service: unknown key"),
    ("[checks]\nx = 1\n", "1: checks: unknown key"),
    ("[expect.imaps]\nport = 993\n", "1: expect.imaps: unknown key"),
    ('[expect.imap]\nport = 993\nhostname = "x"\n', "3: expect.imap.hostname: unknown key"),
    ('[severity]\n"tls.max_days" = "warning"\n', '2: severity."tls.max_days": unknown key'),
    ('[tls]\ncert_min_days = "14"\n', "2: tls.cert_min_days: expected a whole number"),
    ("[tls]\ncert_min_days = 14.5\n", "2: tls.cert_min_days: expected a whole number"),
    ("[tls]\ncert_min_days = -1\n", "2: tls.cert_min_days: expected a number from 0"),
    ('[tls]\nverified = "yes"\n', "2: tls.verified: expected true or false"),
    ("[require]\nimplicit_tls = 1\n", "2: require.implicit_tls: expected true or false"),
    ("[tls]\nmin_version = 1.2\n", '2: tls.min_version: expected one of "1.0"'),
    ('[tls]\nmin_version = "1.4"\n', '2: tls.min_version: expected one of "1.0", "1.1"'),
    ('[require]\nservices = "imap"\n', "2: require.services: expected a list of strings"),
    ('[require]\nservices = ["imap", "exchange"]\n', "2: require.services: expected one of"),
    ('[require]\nservices = ["imap", "imap"]\n', "2: require.services: a value is listed twice"),
    ("[expect.smtp]\nport = 70000\n", "2: expect.smtp.port: expected a number from 1 to 65535"),
    ('[expect.smtp]\nsecurity = "ssl"\n', '2: expect.smtp.security: expected one of "tls"'),
    ('[sources]\nagree = ["srv"]\n', "2: sources.agree: name at least two sources"),
    ('[sources]\nagree = ["srv", "dns"]\n', "2: sources.agree: expected one of"),
    ('[severity]\ndefault = "fatal"\n', '2: severity.default: expected one of "error"'),
    ("tls = 3\n", "1: tls: expected a table"),
    ('tls.min_version = "1.1"\ntls.verify = true\n', "2: tls.verify: unknown key"),
    ("[tls]\ncert_min_days = 14\nverified = \n", "3: not valid TOML: Invalid value"),
    ("[tls\n", "1: not valid TOML"),
    ("[tls]\nverified = true\nverified = false\n", "3: not valid TOML"),
]


@pytest.mark.parametrize(("text", "expected"), INVALID)
def test_invalid_policy_names_file_line_and_key(text: str, expected: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "mail-policy.toml")
    assert str(caught.value).startswith(f"mail-policy.toml:{expected}"), str(caught.value)
    assert isinstance(caught.value, InvalidInputError)  # exit code 2 on the command line


def test_line_of_finds_tables_quoted_and_dotted_keys() -> None:
    text = '[tls]\nmin_version = "1.2"\n\n[severity]\n"tls.min_version" = "info"\n'
    assert line_of(text, ("tls", "min_version")) == 2
    assert line_of(text, ("severity", "tls.min_version")) == 5
    assert line_of(text, ("severity",)) == 4
    assert line_of("a.b = 1\n", ("a", "b")) == 1
    assert line_of("", ("tls",)) is None


def test_every_rule_key_can_be_given_a_severity() -> None:
    text = "[severity]\n" + "".join(f'"{key}" = "warning"\n' for key in RULE_KEYS)
    policy = parse_policy(text, "p.toml")
    assert all(policy.severity_for(key) is Severity.WARNING for key in RULE_KEYS)


def test_unreadable_policy_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read the policy"):
        load_policy(tmp_path / "missing.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe[tls]")
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy(binary)


# --------------------------------------------------------------------------- policy check


def test_policy_check_valid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mail-policy.toml"
    path.write_text(FULL)
    code = run(["policy", "check", str(path)])
    out, err = capsys.readouterr()
    assert code == ExitStatus.OK
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == f"{path}: valid policy, 11 rules"
    severities = dict(line.split() for line in lines[1:])
    assert severities["tls.cert_min_days"] == "warning"
    assert severities["expect.imap.port"] == "info"
    assert severities["require.services"] == "error"
    assert len(severities) == 11


@pytest.mark.parametrize(("text", "expected"), INVALID)
def test_policy_check_invalid_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    path = tmp_path / "mail-policy.toml"
    path.write_text(text)
    code = run(["policy", "check", str(path)])
    out, err = capsys.readouterr()
    assert code == ExitStatus.USAGE
    assert out == ""
    assert err.startswith(f"mailprobe: error: {path}:{expected}")
    assert "Traceback" not in err


def test_check_with_invalid_policy_stops_before_any_network(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[tls]\nmin_version = "2.0"\n')
    # 192.0.2.1 (TEST-NET) as the resolver: the run must fail on the policy first.
    code = run(["check", "alice@example.org", "--nameserver", "192.0.2.1", "--policy", str(path)])
    _, err = capsys.readouterr()
    assert code == ExitStatus.USAGE
    assert f"{path}:2: tls.min_version" in err
