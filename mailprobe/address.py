"""Parse and normalise `user@domain` addresses, including internationalised domains."""

from __future__ import annotations

import re
import unicodedata

from mailprobe.errors import InvalidAddressError
from mailprobe.models import Address

_MAX_ADDRESS = 254
_MAX_LOCAL = 64
_MAX_LABEL = 63
_MAX_DOMAIN = 253
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Printable ASCII except the characters RFC 5322 reserves, plus any non-ASCII (RFC 6531).
_LOCAL_FORBIDDEN = re.compile(r'[\s"(),:;<>@\[\\\]]')


def _has_control(text: str) -> bool:
    """True if `text` holds a C0 or C1 control character (or DEL)."""
    return any(unicodedata.category(c) == "Cc" for c in text)


def _label_too_long(label: str) -> str:
    return (
        f"the domain label {label[:20]!r}... is {len(label)} characters long (at most {_MAX_LABEL})"
    )


def normalise_domain(text: str, *, allow_single_label: bool = False) -> tuple[str, str]:
    """Return (A-label, Unicode) forms of a domain, or raise InvalidAddressError.

    Lower-cases, drops one trailing dot, maps IDN labels with UTS 46, and checks label and
    total lengths. Mail domains need a dot; a server name typed for `probe` may be a single
    label (`localhost`, a name from the search domain) with `allow_single_label`.
    """
    raw = text.strip()
    if raw.endswith("."):
        raw = raw[:-1]
    if not raw:
        raise InvalidAddressError("the domain is empty")
    if _has_control(raw):
        raise InvalidAddressError("the domain contains control characters")
    if any(c.isspace() for c in raw):
        raise InvalidAddressError("the domain contains spaces")
    # Say plainly what is wrong before the IDNA codec does, in its own words.
    for label in raw.split("."):
        if not label:
            raise InvalidAddressError(f"the domain {raw!r} has an empty label (two dots in a row?)")
        if label.isascii() and len(label) > _MAX_LABEL:
            raise InvalidAddressError(_label_too_long(label))
    if raw.isascii() and len(raw) > _MAX_DOMAIN:
        raise InvalidAddressError(f"the domain is longer than {_MAX_DOMAIN} characters")
    lowered = raw.lower()
    if _plain_ascii(lowered):
        # Letters, digits and hyphens only, no xn-- labels: UTS 46 would only lower-case
        # it, so the IDNA codec (and its large tables) is not needed.
        ascii_domain, unicode_domain = lowered, lowered
    else:
        ascii_domain, unicode_domain = _idna_forms(raw)
    labels = ascii_domain.split(".")
    for label in labels:
        if not label:
            raise InvalidAddressError(f"the domain {raw!r} has an empty label")
        if len(label) > _MAX_LABEL:
            raise InvalidAddressError(_label_too_long(label))
        if not _LABEL.match(label):
            raise InvalidAddressError(f"the domain label {label!r} is not a valid host name label")
    if len(labels) < 2 and not allow_single_label:
        raise InvalidAddressError(f"the domain {raw!r} has no dot; use a full domain name")
    if len(ascii_domain) > _MAX_DOMAIN:
        raise InvalidAddressError(f"the domain is longer than {_MAX_DOMAIN} characters")
    if labels[-1].isdigit():
        raise InvalidAddressError(
            f"the domain {raw!r} looks like an IP address or has a numeric top-level label; "
            "use the mail domain name"
        )
    return ascii_domain, unicode_domain


def _plain_ascii(domain: str) -> bool:
    """True for a lower-case ASCII LDH name whose labels have no `--` at positions 3-4."""
    return all(_LABEL.match(label) and label[2:4] != "--" for label in domain.split("."))


def _idna_forms(raw: str) -> tuple[str, str]:
    """(A-label, Unicode) forms of a domain through the IDNA codec (UTS 46 mapping)."""
    import idna

    try:
        ascii_domain = idna.encode(raw, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError) as exc:
        if "too long" in str(exc).lower():
            raise InvalidAddressError(
                f"the domain {raw!r} is too long once converted to ASCII (xn--) form: "
                f"at most {_MAX_LABEL} characters per label and {_MAX_DOMAIN} in total"
            ) from None
        raise InvalidAddressError(f"the domain {raw!r} is not a valid host name ({exc})") from None
    try:
        unicode_domain = idna.decode(ascii_domain)
    except (idna.IDNAError, UnicodeError):
        unicode_domain = ascii_domain
    return ascii_domain, unicode_domain


def parse_address(text: str) -> Address:
    """Parse `user@domain` into an `Address`, or raise InvalidAddressError saying why.

    The local part keeps its case (it may matter to the server); the domain is lower-cased,
    stripped of a trailing dot, and converted to its A-label form.
    """
    if not isinstance(text, str):
        raise InvalidAddressError("the address must be text")
    candidate = text.strip()
    if not candidate:
        raise InvalidAddressError("the address is empty")
    if _has_control(candidate):
        raise InvalidAddressError("the address contains control characters")
    if len(candidate) > _MAX_ADDRESS * 4:
        raise InvalidAddressError("the address is far too long")
    count = candidate.count("@")
    if count == 0:
        raise InvalidAddressError(f"{candidate!r} has no '@': expected user@domain")
    if count > 1:
        raise InvalidAddressError(f"{candidate!r} has more than one '@': expected user@domain")
    local, domain_text = candidate.split("@")
    if not local:
        raise InvalidAddressError("the part before '@' is empty")
    if len(local.encode("utf-8")) > _MAX_LOCAL:
        raise InvalidAddressError(f"the part before '@' is longer than {_MAX_LOCAL} bytes")
    if _LOCAL_FORBIDDEN.search(local):
        raise InvalidAddressError(
            f"the part before '@' ({local!r}) contains a space or a character not allowed there"
        )
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidAddressError(f"the part before '@' ({local!r}) has a misplaced dot")
    ascii_domain, unicode_domain = normalise_domain(domain_text)
    address = Address(local=local, domain=ascii_domain, unicode_domain=unicode_domain)
    if len(address.text.encode("utf-8")) > _MAX_ADDRESS:
        raise InvalidAddressError(f"the address is longer than {_MAX_ADDRESS} characters")
    return address


def parse_target(text: str) -> Address:
    """Parse an address, or a bare domain as `postmaster@domain` (for scans of domains)."""
    if "@" in text:
        return parse_address(text)
    ascii_domain, unicode_domain = normalise_domain(text)
    return Address(local="postmaster", domain=ascii_domain, unicode_domain=unicode_domain)
