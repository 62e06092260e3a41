"""`--explain` through the command line against the real bed (Dovecot, Postfix, NSD, nginx)."""

from __future__ import annotations

import re

import pytest

from mailprobe.cli import run
from mailprobe.exit_status import ExitStatus
from test_explain_faults import assert_no_jargon, assert_plain
from testbed.info import BedInfo

WIDTH = 72


def _probe_args(bed_args: list[str]) -> list[str]:
    """The bed options `probe` takes (no discovery, so no --ispdb-url)."""
    out: list[str] = []
    skip = False
    for arg in bed_args:
        if skip:
            skip = False
        elif arg == "--ispdb-url":
            skip = True
        else:
            out.append(arg)
    return out


def _explain(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str
) -> tuple[int, str]:
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    code = run([*argv, "--explain"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert_plain(out)
    return code, " ".join(out.split())


def test_healthy_address_is_short_and_gives_every_field(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, bed_args: list[str]
) -> None:
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    code = run(["check", "alice@mailprobe.test", "--explain", *bed_args])
    out = capsys.readouterr().out
    assert code == ExitStatus.OK  # warnings only (port 143 offers a login before TLS)
    assert_plain(out)
    assert len(out.splitlines()) < 20
    assert re.search(r"Server: +imap\.mailprobe\.test", out)
    assert re.search(r"Port: +993", out)
    assert re.search(r"Encryption: +SSL/TLS", out)
    assert re.search(r"Server: +smtp\.mailprobe\.test", out)
    assert re.search(r"Username: +alice@mailprobe\.test", out)
    assert "Receiving mail (IMAP) works" in out
    assert "Sending mail (SMTP) works" in out
    assert "password itself was not tested" in " ".join(out.split())


def test_right_password_needs_no_password_hint(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    bed_args: list[str],
    bed: BedInfo,
) -> None:
    monkeypatch.setenv("MAILPROBE_PASSWORD", bed.user.password)
    _code, flat = _explain(capsys, monkeypatch, "check", bed.user.address, "--login", *bed_args)
    assert "not tested" not in flat
    assert bed.user.password not in flat
    assert "Password: your normal e-mail password" in flat


def test_wrong_password_on_dovecot_and_postfix(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    bed_args: list[str],
    bed: BedInfo,
) -> None:
    wrong = "not-" + bed.user.password
    monkeypatch.setenv("MAILPROBE_PASSWORD", wrong)
    code, flat = _explain(capsys, monkeypatch, "check", bed.user.address, "--login", *bed_args)
    assert code == ExitStatus.FINDINGS
    assert (
        "Receiving and sending mail (IMAP, POP3, SMTP): the server settings are right, but "
        "the server rejected the username or password." in flat
    )
    assert "retype it" in flat
    assert 'The server said: "[AUTHENTICATIONFAILED] Authentication failed.' in flat
    assert wrong not in flat


@pytest.mark.parametrize(
    ("host", "words"),
    [
        (
            "imap.expired.mailprobe.test",
            "security certificate of imap.expired.mailprobe.test has expired",
        ),
        ("imap.wrongcert.mailprobe.test", "made out for a different server name"),
        ("imap.selfsigned.mailprobe.test", "home-made security certificate"),
    ],
)
def test_bad_certificates_of_the_bed(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    bed_args: list[str],
    host: str,
    words: str,
) -> None:
    code, flat = _explain(capsys, monkeypatch, "probe", f"{host}:993", *_probe_args(bed_args))
    assert code == ExitStatus.FINDINGS
    assert words in flat
    assert "Receiving mail (IMAP) does not work" in flat
    assert "can you renew or fix it?" in flat


def test_typed_encryption_is_corrected(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, bed_args: list[str]
) -> None:
    args = _probe_args(bed_args)
    _code, flat = _explain(
        capsys, monkeypatch, "probe", "smtp.mailprobe.test:587", "-s", "tls", *args
    )
    assert "Change Encryption from SSL/TLS to STARTTLS." in flat
    assert "Encryption: STARTTLS" in flat
    _code, flat = _explain(
        capsys, monkeypatch, "probe", "smtp.mailprobe.test:465", "-s", "starttls", *args
    )
    assert "Change Encryption from STARTTLS to SSL/TLS." in flat
    assert "Encryption: SSL/TLS" in flat


def test_typed_port_of_another_service_is_corrected(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, bed_args: list[str]
) -> None:
    _code, flat = _explain(
        capsys,
        monkeypatch,
        "probe",
        "imap.mailprobe.test:465",
        "-p",
        "imap",
        *_probe_args(bed_args),
    )
    assert "port 465 on imap.mailprobe.test is meant for SMTP, not IMAP" in flat
    assert "Change Port from 465 to 993" in flat
    assert "Port: 993" in flat


def test_refused_port_on_the_bed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, bed_args: list[str]
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = int(sock.getsockname()[1])
    # Every port of the host goes to the closed one (probe also tries the other mode and
    # the standard ports when the typed setting fails). The rule for this host comes
    # first, so it wins over the bed's own rules.
    args = ["--connect-to", f"imap.mailprobe.test::127.0.0.1:{closed}", *_probe_args(bed_args)]
    code, flat = _explain(capsys, monkeypatch, "probe", "imap.mailprobe.test:993", *args)
    assert code == ExitStatus.FINDINGS  # a refused port is an answer: its error decides
    assert "refused the connection on port 993" in flat
    assert "ask the provider or the mail administrator" in flat


def test_a_refused_typed_port_points_to_the_working_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, bed_args: list[str]
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = int(sock.getsockname()[1])
    # Only 993 is closed: probe falls back to the standard STARTTLS port, which works.
    args = ["--connect-to", f"imap.mailprobe.test:993:127.0.0.1:{closed}", *_probe_args(bed_args)]
    _code, flat = _explain(capsys, monkeypatch, "probe", "imap.mailprobe.test:993", *args)
    assert "The setting as typed does not work:" in flat
    assert "refused the connection on port 993" in flat
    assert "Change Port from 993 to 143" in flat
    assert "Change Encryption from SSL/TLS to STARTTLS." in flat
    assert "Port: 143" in flat


def test_unknown_domain_says_what_to_ask(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, bed_args: list[str]
) -> None:
    code, flat = _explain(
        capsys, monkeypatch, "check", "alice@nothing.mailprobe.test", "--timeout", "5", *bed_args
    )
    assert code == ExitStatus.NOT_FOUND
    assert "No mail server settings could be found for nothing.mailprobe.test" in flat
    assert "Ask the provider" in flat


def test_explain_and_json_do_not_mix(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["check", "bob@gmail.com", "--offline", "--explain", "--json"])
    _out, err = capsys.readouterr()
    assert code == ExitStatus.USAGE
    assert "--explain" in err


@pytest.mark.parametrize(
    ("domain", "words"),
    [
        ("expired", "its security certificate has expired"),
        ("selfsigned", "it uses a home-made security certificate"),
        ("wrongcert", "made out for a different name"),
        ("loop", "round in circles"),
        ("html", "not a valid settings file"),
        ("truncated", "not a valid settings file"),
        ("laughs", "not a valid settings file"),
        ("big", "too large"),
    ],
)
def test_broken_published_settings_are_named(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    bed_args: list[str],
    domain: str,
    words: str,
) -> None:
    address = f"alice@{domain}.mailprobe.test"
    code, flat = _explain(capsys, monkeypatch, "check", address, "--timeout", "6", *bed_args)
    assert code == ExitStatus.NOT_FOUND
    assert f"The mail settings {domain}.mailprobe.test publishes could not be used safely" in flat
    assert words in flat
    assert "Ask the provider" in flat


def test_ipv6_that_fails_is_a_note_on_a_working_service(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, bed_dns_args: list[str]
) -> None:
    code, flat = _explain(
        capsys, monkeypatch, "probe", "v6broken.mailprobe.test:993", *_probe_args(bed_dns_args)
    )
    assert code in (ExitStatus.OK, ExitStatus.FINDINGS)
    assert "Receiving mail (IMAP) works" in flat
    assert "Note: v6broken.mailprobe.test does not answer over the newer internet protocol" in flat


def test_explain_with_markdown_is_a_ticket_steps_first_then_the_evidence(
    capsys: pytest.CaptureFixture[str], bed_args: list[str]
) -> None:
    code = run(["check", "alice@mailprobe.test", "--explain", "--format", "markdown", *bed_args])
    out = capsys.readouterr().out
    assert code == ExitStatus.OK
    steps = out.index("## alice@mailprobe.test (Mailprobe Test Mail): what to do")
    table = out.index("| Service | Server | Port |")
    evidence = out.index("### Findings")
    assert steps < table < evidence
    assert "1. Receiving mail (IMAP) works" in out
    assert "   - Server: `imap.mailprobe.test`" in out
    assert "`auth.before_tls`" in out  # the evidence keeps the finding ids
    assert_no_jargon(out[:table])


def test_explain_refuses_machine_formats(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["check", "bob@gmail.com", "--offline", "--explain", "--format", "junit"])
    _out, err = capsys.readouterr()
    assert code == ExitStatus.USAGE
    assert "--explain works with table output and --format markdown" in err
