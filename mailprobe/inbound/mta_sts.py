"""MTA-STS (RFC 8461): the `_mta-sts` TXT record, the policy file, and MX pattern matching.

The policy is fetched from `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` with a
certificate valid for that name, without following redirects (only HTTP 200 counts), and
at most 64 KiB. Lines may end in CRLF or LF. `*.` in an `mx` pattern stands for exactly one
label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from mailprobe.inbound.dnssec import SecureResolver, txt_strings
from mailprobe.net.http import HttpFetcher

MAX_POLICY = 64 * 1024
MAX_AGE_LIMIT = 31_557_600
MODES = ("enforce", "testing", "none")
_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class StsStatus(StrEnum):
    """How far an MTA-STS check got."""

    OK = "ok"
    ABSENT = "absent"
    TXT_INVALID = "txt_invalid"
    FETCH_FAILED = "fetch_failed"
    POLICY_INVALID = "policy_invalid"
    DNS_ERROR = "dns_error"


@dataclass(frozen=True)
class StsResult:
    """The MTA-STS record and policy of a domain; `problems` say what is wrong."""

    status: StsStatus
    id: str | None = None
    mode: str | None = None
    mx: tuple[str, ...] = ()
    max_age: int | None = None
    url: str = ""
    detail: str = ""
    problems: tuple[str, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def active(self) -> bool:
        """True when a valid policy in enforce or testing mode applies."""
        return self.status is StsStatus.OK and self.mode in ("enforce", "testing")


def pattern_matches(pattern: str, host: str) -> bool:
    """RFC 8461 §4.1: exact match, or `*.rest` matching exactly one label before `rest`."""
    p = pattern.lower().rstrip(".")
    h = host.lower().rstrip(".")
    if p.startswith("*."):
        first, _, rest = h.partition(".")
        return bool(first) and rest == p[2:]
    return p == h


def _valid_pattern(pattern: str) -> bool:
    name = pattern.lower().rstrip(".")
    name = name[2:] if name.startswith("*.") else name
    labels = name.split(".")
    return len(labels) >= 2 and all(_LABEL.match(label) for label in labels)


def parse_txt(texts: list[str]) -> tuple[str | None, str]:
    """The policy id of the one `v=STSv1` record, or None and why."""
    records = [t for t in texts if re.match(r"^v=STSv1\s*(;|$)", t)]
    if not records:
        return None, ""
    if len(records) > 1:
        return None, f"{len(records)} v=STSv1 records; RFC 8461 treats that as no policy"
    fields: dict[str, str] = {}
    for part in records[0].split(";"):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    policy_id = fields.get("id")
    if policy_id is None:
        return None, "the v=STSv1 record has no id field"
    if not _ID.match(policy_id):
        return None, f"id={policy_id!r} is not 1 to 32 letters and digits"
    return policy_id, ""


@dataclass(frozen=True)
class ParsedPolicy:
    """Fields of a policy file and the problems found while parsing it."""

    version: str | None
    mode: str | None
    mx: tuple[str, ...]
    max_age: int | None
    problems: tuple[str, ...]


def parse_policy(text: str) -> ParsedPolicy:
    """Parse a policy body (CRLF or LF line endings) and check every rule of RFC 8461 §3.2."""
    values: dict[str, str] = {}
    mx: list[str] = []
    problems: list[str] = []
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not sep or not re.match(r"^[A-Za-z0-9_.-]{1,32}$", key):
            problems.append(f"line {number} is not 'key: value': {line[:60]!r}")
            continue
        if key == "mx":
            mx.append(value)
        elif key in values:
            problems.append(f"{key} appears more than once")
        else:
            values[key] = value
    version = values.get("version")
    if version != "STSv1":
        problems.append("version must be STSv1" if version else "no version field")
    mode = values.get("mode")
    if mode not in MODES:
        problems.append(
            f"mode {mode!r} is not enforce, testing or none" if mode else "no mode field"
        )
    raw_age = values.get("max_age")
    max_age: int | None = None
    if raw_age is None:
        problems.append("no max_age field")
    elif not re.match(r"^[0-9]{1,10}$", raw_age) or int(raw_age) > MAX_AGE_LIMIT:
        problems.append(
            f"max_age {raw_age!r} is not a whole number of seconds up to {MAX_AGE_LIMIT}"
        )
    else:
        max_age = int(raw_age)
    if mode in ("enforce", "testing") and not mx:
        problems.append(f"mode {mode} needs at least one mx pattern")
    problems += [
        f"mx pattern {p!r} is not a host name or *.name" for p in mx if not _valid_pattern(p)
    ]
    return ParsedPolicy(version, mode, tuple(mx), max_age, tuple(problems))


async def check_mta_sts(
    domain: str, resolver: SecureResolver, fetcher: HttpFetcher, *, timeout: float
) -> StsResult:
    """Look up the TXT record, fetch the policy without redirects, and parse it."""
    url = f"https://mta-sts.{domain}/.well-known/mta-sts.txt"
    txt = await resolver.query(f"_mta-sts.{domain}", "TXT")
    if not txt.status.is_answer:
        return StsResult(StsStatus.DNS_ERROR, url=url, detail=txt.detail)
    policy_id, why = parse_txt(txt_strings(txt))
    if policy_id is None:
        if why:
            return StsResult(StsStatus.TXT_INVALID, url=url, detail=why, problems=(why,))
        return StsResult(
            StsStatus.ABSENT, url=url, detail=f"no v=STSv1 TXT record at _mta-sts.{domain}"
        )
    result = await fetcher.get(url, timeout=timeout, follow_redirects=False, max_body=MAX_POLICY)
    if result.error is not None:
        detail = f"the policy could not be fetched from {url}: {result.error}"
        return StsResult(
            StsStatus.FETCH_FAILED, policy_id, url=url, detail=detail, problems=(detail,)
        )
    if result.status_code != 200:
        if result.redirects:
            detail = (
                f"{url} answers HTTP {result.status_code}, a redirect to {result.redirects[0]}; "
                "senders must not follow redirects (RFC 8461 §3.3)"
            )
        else:
            detail = f"{url} answers HTTP {result.status_code}; only 200 counts"
        return StsResult(
            StsStatus.FETCH_FAILED, policy_id, url=url, detail=detail, problems=(detail,)
        )
    warnings: list[str] = []
    if result.content_type != "text/plain":
        warnings.append(
            f"the policy is served as {result.content_type or 'no media type'}, not text/plain"
        )
    try:
        text = result.body.decode("utf-8")
    except UnicodeDecodeError:
        detail = "the policy is not valid UTF-8"
        return StsResult(
            StsStatus.POLICY_INVALID, policy_id, url=url, detail=detail, problems=(detail,)
        )
    parsed = parse_policy(text)
    status = StsStatus.POLICY_INVALID if parsed.problems else StsStatus.OK
    detail = "; ".join(parsed.problems) if parsed.problems else f"mode {parsed.mode}"
    return StsResult(
        status,
        policy_id,
        parsed.mode,
        parsed.mx,
        parsed.max_age,
        url,
        detail,
        parsed.problems,
        tuple(warnings),
    )


__all__ = [
    "MAX_POLICY",
    "StsResult",
    "StsStatus",
    "check_mta_sts",
    "parse_policy",
    "parse_txt",
    "pattern_matches",
]
