"""`mailprobe db list|show|validate|export`: output on stdout, problems on stderr, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mailprobe.address import parse_address
from mailprobe.cli.db import db_app
from mailprobe.providers import bundled_path
from mailprobe.sources.autoconfig_xml import parse_config

runner = CliRunner()


def test_list_filters_by_domain_and_renders_a_table() -> None:
    result = runner.invoke(db_app, ["list", "posteo.de"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "STATUS", "DOMAINS"]
    assert lines[2].startswith("posteo ")


def test_list_json_is_a_list_of_providers() -> None:
    result = runner.invoke(db_app, ["list", "gmail", "--json"])
    assert result.exit_code == 0
    entries = json.loads(result.stdout)
    assert entries[0]["id"] == "gmail"
    assert "gmail.com" in entries[0]["domains"]
    assert set(entries[0]) == {"id", "name", "status", "domains", "mx_patterns"}


def test_list_without_matches_says_so_on_stderr() -> None:
    result = runner.invoke(db_app, ["list", "no-such-provider-anywhere"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no provider matches" in result.stderr


def test_show_prints_servers_hints_and_overrides() -> None:
    result = runner.invoke(db_app, ["show", "rediffmail"])
    assert result.exit_code == 0
    assert "pop.rediffmail.com" in result.stdout
    assert "server-dropped pop3 pop.rediffmail.com:110 plain" in result.stdout


def test_show_json_has_every_field() -> None:
    result = runner.invoke(db_app, ["show", "proton", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["id"] == "proton"
    assert {s["host"] for s in data["servers"]} == {"127.0.0.1"}
    assert data["status"] == "preparation"


def test_show_of_an_unknown_id_exits_2() -> None:
    result = runner.invoke(db_app, ["show", "nope"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "no provider with id 'nope'" in result.stderr


def test_validate_the_bundled_folder() -> None:
    result = runner.invoke(db_app, ["validate"])
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{bundled_path()}: ")
    assert result.stdout.rstrip().endswith("all valid")


def test_validate_lists_every_problem_on_stderr_and_exits_1(tmp_path: Path) -> None:
    good = (bundled_path() / "posteo.toml").read_text(encoding="utf-8")
    (tmp_path / "posteo.toml").write_text(good.replace("port = 993", "port = 99999", 1))
    (tmp_path / "other.toml").write_text(
        good.replace('id = "posteo"', 'id = "other"'), encoding="utf-8"
    )
    result = runner.invoke(db_app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "posteo.toml: servers[0].port: 99999 is not a port number" in result.stderr
    assert "other.toml: domains[0]: 'posteo.de' is already claimed by" not in result.stderr
    assert f"{tmp_path}: 1 problem(s)" in result.stderr


def test_validate_reports_a_domain_claimed_twice(tmp_path: Path) -> None:
    good = (bundled_path() / "posteo.toml").read_text(encoding="utf-8")
    (tmp_path / "posteo.toml").write_text(good)
    (tmp_path / "other.toml").write_text(good.replace('id = "posteo"', 'id = "other"'))
    result = runner.invoke(db_app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "posteo.toml: domains[0]: 'posteo.de' is already claimed by other.toml" in (
        result.stderr
    )


def test_export_writes_autoconfig_xml_that_parses() -> None:
    result = runner.invoke(
        db_app, ["export", "fastmail", "--format", "autoconfig", "--domain", "Example.ORG."]
    )
    assert result.exit_code == 0
    parsed = parse_config(result.stdout.encode(), parse_address("ann@example.org"))
    assert parsed.domains == ("example.org",)
    assert "imap.fastmail.com" in {s.host for s in parsed.settings}


def test_export_rejects_unknown_formats_and_ids() -> None:
    assert runner.invoke(db_app, ["export", "gmail", "--format", "pdf"]).exit_code == 2
    result = runner.invoke(db_app, ["export", "nope"])
    assert result.exit_code == 2
    assert "no provider with id 'nope'" in result.stderr
