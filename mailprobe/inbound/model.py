"""Results of `mailprobe domain`: per address, per MX host, and for the whole domain."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from mailprobe.inbound.dane import DaneMatch, TlsaRecord
from mailprobe.inbound.dnssec import DEFAULT_PROBE, DnssecState, ResolverCheck
from mailprobe.inbound.mta_sts import StsResult
from mailprobe.inbound.pkix import PkixResult
from mailprobe.inbound.spf_dmarc import DmarcResult, SpfResult
from mailprobe.inbound.starttls25 import SmtpOutcome
from mailprobe.inbound.tls_rpt import TlsRptResult
from mailprobe.models import Change, Finding, NetOptions, Severity
from mailprobe.net.dns import DnsStatus

#: RFC 7505 / common practice: more MX hosts than this are not all checked.
MAX_MX_HOSTS = 10


@dataclass(frozen=True)
class DomainOptions:
    """What `mailprobe domain` may do. `net.timeout` is the overall deadline and
    `net.trust_ad` (`--trust-ad`) believes the AD bit of a resolver not on loopback."""

    net: NetOptions = field(default_factory=NetOptions)
    dnssec_probe: str = DEFAULT_PROBE
    ehlo_name: str | None = None


class DaneStatus(StrEnum):
    """DANE for one MX host."""

    OK = "ok"  # every reachable address matched a usable record
    FAIL = "fail"  # a reachable address matched none (or offered no TLS)
    UNUSABLE = "unusable"  # TLSA records exist, none usable for SMTP
    NONE = "none"  # no TLSA records (securely denied)
    NOT_APPLICABLE = "not_applicable"  # address or TLSA RRset insecure
    BOGUS = "bogus"  # address or TLSA RRset fails validation
    ERROR = "error"  # the TLSA lookup failed
    UNVERIFIED = "unverified"  # the resolver cannot vouch for DNSSEC
    UNTESTED = "untested"  # records apply, but no address could be reached


class Verdict(StrEnum):
    """Summary of an MX host or domain: the worst severity of its findings."""

    PASS = "pass"  # noqa: S105 - a verdict, not a password
    WARNING = "warning"
    FAIL = "fail"

    @classmethod
    def of(cls, findings: list[Finding]) -> Verdict:
        """FAIL with an error, WARNING with a warning, else PASS."""
        ranks = [f.severity.rank for f in findings]
        worst = max(ranks, default=0)
        if worst >= Severity.ERROR.rank:
            return cls.FAIL
        return cls.WARNING if worst >= Severity.WARNING.rank else cls.PASS

    @property
    def rank(self) -> int:
        """0 pass, 1 warning, 2 fail."""
        return {"pass": 0, "warning": 1, "fail": 2}[self.value]


@dataclass(frozen=True)
class AddressResult:
    """One address of an MX host: its DNSSEC state, port 25, and the DANE match."""

    ip: str
    dnssec: DnssecState
    smtp: SmtpOutcome
    pkix: PkixResult | None = None
    dane: DaneMatch | None = None


@dataclass(frozen=True)
class TlsaSet:
    """The TLSA RRset used for an MX host (`name` is where it was found or last looked)."""

    name: str
    status: DnsStatus
    dnssec: DnssecState
    records: tuple[TlsaRecord, ...] = ()
    detail: str = ""
    tried: tuple[str, ...] = ()


@dataclass(frozen=True)
class MxResult:
    """One MX host and everything checked about it."""

    host: str
    preference: int
    canonical: str
    address_status: DnsStatus
    address_detail: str
    dnssec: DnssecState
    addresses: tuple[AddressResult, ...] = ()
    tlsa: TlsaSet | None = None
    dane_status: DaneStatus = DaneStatus.NOT_APPLICABLE
    dane_detail: str = ""
    mta_sts_match: bool | None = None
    localhost: bool = False


@dataclass(frozen=True)
class MxSet:
    """The MX RRset: status, DNSSEC, null MX, and the hosts to check (≤ 10)."""

    status: DnsStatus
    dnssec: DnssecState
    detail: str
    null_mx: bool
    null_mixed: bool
    implicit: bool
    hosts: tuple[tuple[int, str], ...]
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class DomainReport:
    """The result of `mailprobe domain DOMAIN`; `to_json()` is the JSON report."""

    domain: str
    generated_at: str
    duration_ms: float
    resolver: ResolverCheck
    mx_set: MxSet
    mx: tuple[MxResult, ...]
    mta_sts: StsResult
    tls_rpt: TlsRptResult
    spf: SpfResult
    dmarc: DmarcResult
    findings: tuple[Finding, ...]
    verdicts: tuple[tuple[str, Verdict], ...]
    verdict: Verdict
    policy_rules: tuple[str, ...] = ()  # the policy keys evaluated (--policy)
    changes: tuple[Change, ...] = ()  # since a baseline (--baseline)

    def worst_severity(self) -> Severity | None:
        """The highest severity among the findings, or None without findings."""
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)

    def verdict_of(self, host: str) -> Verdict:
        """The verdict of one MX host."""
        return dict(self.verdicts).get(host, Verdict.PASS)

    def facts(self) -> dict[str, bool]:
        """Yes/no facts a CI policy can require: DANE on every MX, MTA-STS in enforce mode,
        a valid TLS-RPT record, STARTTLS on every reachable MX address, and DNSSEC-secure
        MX records and MX host addresses."""
        hosts = [m for m in self.mx if not m.localhost]
        reached = [a for m in hosts for a in m.addresses if a.smtp.starttls is not None]
        secure = DnssecState.SECURE
        return {
            "dane": bool(hosts) and all(m.dane_status is DaneStatus.OK for m in hosts),
            "mta_sts_enforce": self.mta_sts.status == "ok" and self.mta_sts.mode == "enforce",
            "tls_rpt": self.tls_rpt.status == "ok",
            "starttls": bool(reached) and all(a.smtp.starttls for a in reached),
            "dnssec": self.mx_set.dnssec is secure
            and bool(hosts)
            and all(m.dnssec is secure for m in hosts),
        }

    def to_json(self) -> dict[str, object]:
        """The JSON report (same envelope as `check`: schema_version, findings, ...)."""
        from mailprobe.inbound.report import report_to_json

        return report_to_json(self)


__all__ = [
    "MAX_MX_HOSTS",
    "AddressResult",
    "DaneStatus",
    "DomainOptions",
    "DomainReport",
    "MxResult",
    "MxSet",
    "TlsaSet",
    "Verdict",
]
