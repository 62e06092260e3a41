"""The provider-file loader rejects every kind of bad entry, naming the file and the field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mailprobe.errors import ProviderDbError
from mailprobe.providers import ProviderDb, check_folder, load_folder, load_provider_file

GOOD = """\
id = "example"
name = "Example Mail"
status = "ok"
domains = ["example.test", "*.example.test"]
mx_patterns = ["mx.example.test"]
docs = ["https://help.example.test/mail"]
website = "https://mail.example.test/"
source = "https://help.example.test/mail"
checked = 2026-12-01
sources = ["tests"]

[[servers]]
protocol = "imap"
host = "imap.example.test"
port = 993
security = "tls"
username = "%EMAILADDRESS%"
auth = ["oauth2", "password-cleartext"]

[[servers]]
protocol = "smtp"
host = "smtp.%EMAILDOMAIN%"
port = 587
security = "starttls"
username = "%EMAILLOCALPART%"

[oauth2]
issuer = "login.example.test"
scopes = ["mail"]
auth_url = "https://login.example.test/authorize"
token_url = "https://login.example.test/token"

[[overrides]]
source = "ispdb"
kind = "server-dropped"
subject = "pop3 pop.example.test:110 plain"
reason = "Unencrypted."
"""


def write(folder: Path, text: str, name: str = "example.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_well_formed_example_loads(tmp_path: Path) -> None:
    provider = load_provider_file(write(tmp_path, GOOD))
    assert provider.id == "example"
    assert [s.port for s in provider.servers] == [993, 587]
    assert provider.oauth2 is not None
    assert provider.overrides[0].subject == "pop3 pop.example.test:110 plain"


def replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return edit


# (what is wrong, how to break GOOD, the field the message must name)
BAD: list[tuple[str, Callable[[str], str], str]] = [
    (
        "unknown top-level key",
        lambda t: t.replace('name = "Example Mail"', 'name = "Example Mail"\ncolour = "red"'),
        "colour",
    ),
    ("unknown server key", replace("port = 993", "port = 993\nfast = true"), "servers[0].fast"),
    (
        "unknown oauth2 key",
        replace('scopes = ["mail"]', 'scopes = ["mail"]\nsecret = "x"'),
        "oauth2.secret",
    ),
    ("status outside the enum", replace('status = "ok"', 'status = "fine"'), "status"),
    (
        "protocol outside the enum",
        replace('protocol = "imap"', 'protocol = "jmap"'),
        "servers[0].protocol",
    ),
    (
        "security outside the enum",
        replace('security = "tls"', 'security = "ssl"'),
        "servers[0].security",
    ),
    (
        "auth outside the enum",
        replace('"oauth2", "password-cleartext"', '"oauth2", "magic"'),
        "servers[0].auth[1]",
    ),
    ("port zero", replace("port = 993", "port = 0"), "servers[0].port"),
    ("port above 65535", replace("port = 993", "port = 70000"), "servers[0].port"),
    ("port as text", replace("port = 993", 'port = "993"'), "servers[0].port"),
    ("port as boolean", replace("port = 993", "port = true"), "servers[0].port"),
    (
        "host with underscore",
        replace('"imap.example.test"', '"imap_1.example.test"'),
        "servers[0].host",
    ),
    (
        "host in upper case",
        replace('"imap.example.test"', '"IMAP.example.test"'),
        "servers[0].host",
    ),
    (
        "host with a leading hyphen label",
        replace('"imap.example.test"', '"-imap.example.test"'),
        "servers[0].host",
    ),
    (
        "host placeholder other than EMAILDOMAIN",
        replace('"smtp.%EMAILDOMAIN%"', '"smtp.%EMAILLOCALPART%"'),
        "servers[1].host",
    ),
    (
        "unknown username placeholder",
        replace('"%EMAILLOCALPART%"', '"%USERNAME%"'),
        "servers[1].username",
    ),
    ("server without port", replace("port = 993\n", ""), "servers[0].port"),
    (
        "invalid domain",
        replace('"example.test", "*.example.test"', '"exa mple.test"'),
        "domains[0]",
    ),
    ("wildcard in the middle", replace('"*.example.test"', '"a.*.example.test"'), "domains[1]"),
    ("domain listed twice", replace('"*.example.test"', '"example.test"'), "domains[1]"),
    ("MX pattern without a dot", replace('"mx.example.test"', '"test"'), "mx_patterns[0]"),
    (
        "nothing to match",
        lambda t: t.replace('["example.test", "*.example.test"]', "[]").replace(
            'mx_patterns = ["mx.example.test"]', "mx_patterns = []"
        ),
        "domains",
    ),
    ("missing id", replace('id = "example"\n', ""), "id"),
    ("missing source", replace('source = "https://help.example.test/mail"\n', ""), "source"),
    (
        "source that is not a URL",
        replace('source = "https://help.example.test/mail"', 'source = "the help page"'),
        "source",
    ),
    ("missing check date", replace("checked = 2026-12-01\n", ""), "checked"),
    ("check date as a month", replace("checked = 2026-12-01", 'checked = "2026-12"'), "checked"),
    (
        "check date with a time",
        replace("checked = 2026-12-01", "checked = 2026-12-01T10:00:00"),
        "checked",
    ),
    ("check date before 2020", replace("checked = 2026-12-01", "checked = 2019-12-31"), "checked"),
    (
        "successor with servers of its own",
        replace('sources = ["tests"]', 'sources = ["tests"]\nsuccessor = "other"'),
        "successor",
    ),
    (
        "successor that is itself",
        lambda t: t.replace('sources = ["tests"]', 'sources = ["tests"]\nsuccessor = "example"'),
        "successor",
    ),
    ("id that is not the file name", replace('id = "example"', 'id = "other"'), "id"),
    (
        "impossible check date",
        replace("checked = 2026-12-01", 'checked = "2026-02-30"'),
        "checked",
    ),
    ("preparation without a hint", replace('status = "ok"', 'status = "preparation"'), "hints"),
    ("broken without a hint", replace('status = "ok"', 'status = "broken"'), "hints"),
    ("empty hint", replace('status = "ok"', 'status = "ok"\nhints = [""]'), "hints[0]"),
    (
        "documentation link without scheme",
        replace('"https://help.example.test/mail"', '"help.example.test/mail"'),
        "docs[0]",
    ),
    (
        "OAuth2 endpoint over plain HTTP",
        replace('"https://login.example.test/token"', '"http://login.example.test/token"'),
        "oauth2.token_url",
    ),
    ("OAuth2 without scopes", replace('scopes = ["mail"]\n', ""), "oauth2.scopes"),
    (
        "override of unknown kind",
        replace('kind = "server-dropped"', 'kind = "whatever"'),
        "overrides[0].kind",
    ),
    (
        "override of unknown source",
        replace('source = "ispdb"', 'source = "wikipedia"'),
        "overrides[0].source",
    ),
    ("override without reason", replace('reason = "Unencrypted."\n', ""), "overrides[0].reason"),
    (
        "servers as a single table",
        lambda t: t.replace("[[servers]]", "[servers]", 1).split("[[servers]]")[0],
        "servers",
    ),
]


@pytest.mark.parametrize(("what", "breaks", "field"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_entry_is_rejected_naming_file_and_field(
    tmp_path: Path, what: str, breaks: Callable[[str], str], field: str
) -> None:
    path = write(tmp_path, breaks(GOOD))
    with pytest.raises(ProviderDbError) as caught:
        load_provider_file(path)
    assert str(caught.value).startswith(f"example.toml: {field}: "), str(caught.value)


def test_a_file_that_is_not_toml_is_rejected_by_name(tmp_path: Path) -> None:
    path = write(tmp_path, 'id = "example"\nname = [unclosed')
    with pytest.raises(ProviderDbError, match=r"^example\.toml: not valid TOML"):
        load_provider_file(path)


def test_a_file_that_is_not_utf8_is_rejected_by_name(tmp_path: Path) -> None:
    path = tmp_path / "example.toml"
    path.write_bytes(b'name = "\xff\xfe"\n')
    with pytest.raises(ProviderDbError, match=r"^example\.toml: file is not UTF-8"):
        load_provider_file(path)


def second_provider(domain: str = "other.test", mx: str = "mx.other.test") -> str:
    return (
        GOOD.replace('id = "example"', 'id = "other"')
        .replace('"example.test", "*.example.test"', f'"{domain}"')
        .replace('"mx.example.test"', f'"{mx}"')
    )


def test_a_domain_claimed_by_two_files_names_both(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    write(tmp_path, second_provider(domain="example.test"), "other.toml")
    _providers, problems = check_folder(tmp_path)
    assert problems == ["other.toml: domains[0]: 'example.test' is already claimed by example.toml"]


def test_an_mx_pattern_claimed_by_two_files_names_both(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    write(tmp_path, second_provider(mx="mx.example.test"), "other.toml")
    _providers, problems = check_folder(tmp_path)
    assert problems == [
        "other.toml: mx_patterns[0]: 'mx.example.test' is already claimed by example.toml"
    ]


def test_every_problem_of_a_folder_is_reported_not_just_the_first(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace("port = 993", "port = 0"))
    write(tmp_path, second_provider().replace('status = "ok"', 'status = "broken"'), "other.toml")
    providers, problems = check_folder(tmp_path)
    assert providers == ()
    assert [p.split(":")[0] for p in problems] == ["example.toml", "other.toml"]
    with pytest.raises(ProviderDbError) as caught:
        load_folder(tmp_path)
    assert "example.toml: servers[0].port" in str(caught.value)
    assert "other.toml: hints" in str(caught.value)


def test_files_starting_with_underscore_are_not_providers(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    write(tmp_path, "this is = not a provider", "_notes.toml")
    providers, problems = check_folder(tmp_path)
    assert problems == []
    assert [p.id for p in providers] == ["example"]


def test_a_missing_folder_is_one_problem(tmp_path: Path) -> None:
    _providers, problems = check_folder(tmp_path / "nowhere")
    assert problems == [f"{tmp_path / 'nowhere'}: no such folder"]


def test_loading_is_lazy_and_the_error_comes_from_the_first_lookup(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace('security = "tls"', 'security = "ssl"'))
    db = ProviderDb.load(tmp_path, cache=False)
    assert not db.loaded
    with pytest.raises(ProviderDbError, match=r"example\.toml: servers\[0\]\.security"):
        db.by_domain("example.test")


def test_a_valid_folder_is_indexed(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    write(tmp_path, second_provider(), "other.toml")
    db = ProviderDb.load(tmp_path, cache=False)
    found: dict[str, Any] = {
        "example.test": db.by_domain("example.test"),
        "deep.sub.example.test": db.by_domain("deep.sub.example.test"),
        "other.test": db.by_domain("other.test"),
    }
    assert {k: v.id if v else None for k, v in found.items()} == {
        "example.test": "example",
        "deep.sub.example.test": "example",
        "other.test": "other",
    }
    assert db.stats() == {"providers": 2, "domains": 3, "mx_patterns": 2}
