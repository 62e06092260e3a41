"""Address parsing: each kind of bad input is refused with a message that says what is wrong."""

from __future__ import annotations

import pytest

from mailprobe.address import normalise_domain, parse_address, parse_target
from mailprobe.errors import InvalidAddressError, InvalidInputError
from mailprobe.models import Address


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the address is empty"),
        ("   \t ", "the address is empty"),
        ("alice.example.org", "has no '@'"),
        ("alice@bob@example.org", "more than one '@'"),
        ("al ice@example.org", "contains a space"),
        ("alice@exa mple.org", "the domain contains spaces"),
        ("alice@" + "a" * 64 + ".org", "is 64 characters long (at most 63)"),
        ("alice@" + "b" * 70 + ".example.org", "is 70 characters long (at most 63)"),
        ("ali\x07ce@example.org", "control characters"),
        ("alice@exam\x00ple.org", "control characters"),
        ("alice@exa\tmple.org", "control characters"),
        ("alice\x7f@example.org", "control characters"),
        ("alice\x9b@example.org", "control characters"),  # C1 control (CSI)
        ("alice@localhost", "has no dot; use a full domain name"),
        ("alice@org.", "has no dot"),
        ("@example.org", "the part before '@' is empty"),
        ("alice@", "the domain is empty"),
        ("alice@.", "the domain is empty"),
        ("alice@example..org", "has an empty label"),
        ("alice@.example.org", "has an empty label"),
        (".alice@example.org", "misplaced dot"),
        ("al..ice@example.org", "misplaced dot"),
        ("a" * 65 + "@example.org", "longer than 64 bytes"),
        ("alice@-bad.example.org", "not a valid host name"),
        ("alice@exa_mple.org", "not a valid host name"),
        ("alice@192.0.2.1", "looks like an IP address"),
        ("alice@[192.0.2.1]", "not a valid host name"),
        ("<alice@example.org", "not allowed there"),
        ("alice@example.org:993", "mailprobe probe HOST:993"),
        ("alice@" + ".".join(["c" * 60] * 5), "longer than 253 characters"),
        ("alice@" + "ü" * 60 + ".example", "too long once converted to ASCII (xn--) form"),
    ],
)
def test_invalid_address_is_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(InvalidAddressError) as info:
        parse_address(text)
    assert message in str(info.value)


def test_invalid_address_error_is_invalid_input() -> None:
    # The CLI maps InvalidInputError to exit code 2.
    with pytest.raises(InvalidInputError):
        parse_address("nobody")


def test_messages_are_one_line() -> None:
    for text in ("", "a@b@c.org", "x@" + "a" * 64 + ".org", "bad\x07@example.org"):
        with pytest.raises(InvalidAddressError) as info:
            parse_address(text)
        assert "\n" not in str(info.value)
        assert str(info.value)


def test_domain_is_lower_cased_and_the_local_part_keeps_its_case() -> None:
    address = parse_address("Alice.Smith@Example.ORG")
    assert address == Address("Alice.Smith", "example.org", "example.org")
    assert address.text == "Alice.Smith@example.org"


def test_trailing_dot_and_surrounding_space_are_normalised() -> None:
    assert parse_address("  alice@example.org. \n").text == "alice@example.org"


def test_idn_domain_becomes_its_a_label() -> None:
    address = parse_address("alice@bücher.example")
    assert address.domain == "xn--bcher-kva.example"
    assert address.unicode_domain == "bücher.example"
    assert address.text == "alice@xn--bcher-kva.example"


def test_upper_case_idn_is_mapped_like_lower_case() -> None:
    assert parse_address("alice@BÜCHER.Example").domain == "xn--bcher-kva.example"


def test_a_label_input_gets_its_unicode_form() -> None:
    address = parse_address("alice@xn--bcher-kva.example")
    assert address.domain == "xn--bcher-kva.example"
    assert address.unicode_domain == "bücher.example"


def test_unicode_local_part_is_kept_as_is() -> None:
    address = parse_address("jörg@bücher.example")
    assert address.local == "jörg"
    assert address.text == "jörg@xn--bcher-kva.example"


def test_fully_internationalised_address() -> None:
    address = parse_address("用户@例子.广告")
    assert address.local == "用户"
    assert address.domain == "xn--fsqu00a.xn--4rr70v"
    assert address.unicode_domain == "例子.广告"


def test_plus_and_dots_in_the_local_part_are_allowed() -> None:
    assert parse_address("first.last+tag@example.org").local == "first.last+tag"


def test_longest_allowed_label_is_accepted() -> None:
    label = "a" * 63
    assert parse_address(f"alice@{label}.org").domain == f"{label}.org"


def test_normalise_domain_returns_both_forms() -> None:
    assert normalise_domain("Bücher.Example.") == ("xn--bcher-kva.example", "bücher.example")


def test_parse_target_accepts_a_bare_domain_as_postmaster() -> None:
    assert parse_target("Example.org").text == "postmaster@example.org"
    assert parse_target("bob@example.org").local == "bob"
    with pytest.raises(InvalidAddressError):
        parse_target("not a domain")


@pytest.mark.parametrize(
    "pasted",
    [
        "Alice <alice@example.org>",
        '"Alice Example" <alice@example.org>',
        "<alice@example.org>",
        "mailto:alice@example.org",
        "MAILTO:alice@example.org?subject=Hello",
        "mailto:alice%40example.org",
        "alice@example.org,",
        "alice@example.org;",
        " Alice <alice@example.org>; ",
        "'alice@example.org'",
    ],
)
def test_pasted_forms_are_cleaned_up(pasted: str) -> None:
    assert parse_address(pasted).text == "alice@example.org"


def test_an_address_with_a_port_points_to_probe() -> None:
    with pytest.raises(InvalidAddressError) as info:
        parse_address("alice@example.org:993")
    message = str(info.value)
    assert "mailprobe probe" in message
    assert "alice@example.org" in message
