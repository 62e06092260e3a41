"""A CI policy applied to a `mailprobe domain` report.

    report = apply_domain_policy(report, load_policy("mail-policy.toml"))

`[domain]` rules (`starttls`, `dnssec`, `dane`, `mta_sts`, `tls_rpt`) and the `[tls]` rules
(`min_version`, `cert_min_days`, `verified`, judged per MX address on port 25) apply; the
rules about mail-app settings (`[require]`, `[expect]`, `[sources]`) do not. A violation is a
`policy.<key>` finding (e.g. `policy.domain.dane`) with the policy's severity for the key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from mailprobe.inbound.dnssec import DnssecState
from mailprobe.inbound.model import DaneStatus, DomainReport, MxResult
from mailprobe.inbound.views import address_name, addresses, leaf_cert
from mailprobe.models import Finding
from mailprobe.policy import below, violation
from mailprobe.policy_file import MTA_STS_MODES, Policy


class _DomainRules:
    """Evaluates one policy against one domain report."""

    def __init__(self, report: DomainReport, policy: Policy) -> None:
        self.report = report
        self.policy = policy

    def violation(self, key: str, summary: str, advice: str, host: str | None = None) -> Finding:
        return violation(self.policy, key, summary, advice, host=host, port=25 if host else None)

    def hosts(self) -> list[MxResult]:
        return [m for m in self.report.mx if not m.localhost]

    def no_mx(self, key: str) -> Iterator[Finding]:
        if not self.hosts():
            yield self.violation(
                key,
                f"{self.report.domain} has no MX host to check.",
                "Publish MX records for the mail servers, or drop the rule for a domain "
                "that receives no mail.",
            )

    def starttls(self) -> Iterator[Finding]:
        yield from self.no_mx("domain.starttls")
        reached = 0
        for mx, address in addresses(self.report):
            if mx.localhost or address.smtp.starttls is None:
                continue
            reached += 1
            if not address.smtp.starttls:
                yield self.violation(
                    "domain.starttls",
                    f"{address_name(mx, address)} does not offer STARTTLS on port 25.",
                    "Enable STARTTLS for incoming mail (Postfix: smtpd_tls_security_level = "
                    "may, with a certificate).",
                    mx.host,
                )
        if self.hosts() and not reached:
            yield self.violation(
                "domain.starttls",
                "no MX address could be reached on port 25, so STARTTLS is unproven.",
                "Make port 25 reachable from here (see the starttls.* findings).",
            )

    def dnssec(self) -> Iterator[Finding]:
        secure = DnssecState.SECURE
        if self.report.mx_set.dnssec is not secure:
            yield self.violation(
                "domain.dnssec",
                f"the MX records of {self.report.domain} are {self.report.mx_set.dnssec}, "
                "not DNSSEC-secure.",
                "Sign the zone and publish its DS record at the parent (see the dnssec.* "
                "findings).",
            )
        for mx in self.hosts():
            if mx.dnssec is not secure:
                yield self.violation(
                    "domain.dnssec",
                    f"the addresses of {mx.host} are {mx.dnssec}, not DNSSEC-secure.",
                    "Sign the zone of the MX host as well; DANE needs secure addresses.",
                    mx.host,
                )

    def dane(self) -> Iterator[Finding]:
        yield from self.no_mx("domain.dane")
        for mx in self.hosts():
            if mx.dane_status is DaneStatus.OK:
                continue
            detail = f" ({mx.dane_detail})" if mx.dane_detail else ""
            yield self.violation(
                "domain.dane",
                f"DANE is {mx.dane_status} for {mx.host}{detail}, not ok.",
                "Publish DNSSEC-signed TLSA records at _25._tcp of the MX host (DANE-EE "
                "3 1 1 or DANE-TA 2 0 1) that match the certificate it presents.",
                mx.host,
            )

    def mta_sts(self) -> Iterator[Finding]:
        wanted = self.policy.domain.mta_sts
        assert wanted is not None
        sts = self.report.mta_sts
        mode = sts.mode if str(sts.status) == "ok" else None
        rank = MTA_STS_MODES.index(mode) if mode in MTA_STS_MODES else -1
        if rank >= MTA_STS_MODES.index(wanted):
            return
        have = f"mode {mode}" if mode else f"status {sts.status}"
        yield self.violation(
            "domain.mta_sts",
            f"MTA-STS of {self.report.domain} has {have}; the policy asks for {wanted}.",
            f"Publish a valid policy with 'mode: {wanted}' at {sts.url or 'the MTA-STS URL'} "
            "and a new id in the _mta-sts TXT record.",
        )

    def tls_rpt(self) -> Iterator[Finding]:
        rpt = self.report.tls_rpt
        if rpt.status == "ok":
            return
        detail = f": {rpt.detail}" if rpt.detail else ""
        yield self.violation(
            "domain.tls_rpt",
            f"TLS-RPT of {self.report.domain} is {rpt.status}{detail}.",
            f"Publish _smtp._tls.{self.report.domain} TXT 'v=TLSRPTv1; rua=mailto:...'.",
        )

    def min_version(self) -> Iterator[Finding]:
        minimum = self.policy.min_version
        assert minimum is not None
        for mx, address in addresses(self.report):
            tls = address.smtp.tls
            if tls is not None and below(tls.version, minimum):
                yield self.violation(
                    "tls.min_version",
                    f"{address_name(mx, address)} port 25 negotiated {tls.version}, "
                    f"below TLS {minimum}.",
                    f"Disable TLS versions below {minimum} (Postfix: smtpd_tls_protocols).",
                    mx.host,
                )

    def cert_min_days(self) -> Iterator[Finding]:
        minimum = self.policy.cert_min_days
        assert minimum is not None
        for mx, address in addresses(self.report):
            cert = leaf_cert(address)
            if cert is None or cert.days_left >= minimum:
                continue
            yield self.violation(
                "tls.cert_min_days",
                f"the certificate of {address_name(mx, address)} port 25 expires in "
                f"{cert.days_left} days ({cert.not_after}); the policy asks for at least "
                f"{minimum}.",
                "Renew the certificate (and, with DANE, publish the new TLSA record first).",
                mx.host,
            )

    def verified(self) -> Iterator[Finding]:
        for mx, address in addresses(self.report):
            if address.smtp.tls is None or address.pkix is None or address.pkix.valid:
                continue
            yield self.violation(
                "tls.verified",
                f"the certificate of {address_name(mx, address)} port 25 does not verify "
                f"for {mx.host}: {address.pkix.error or 'verification failed'}.",
                "Serve a certificate for the MX name from a trusted CA, with the full chain.",
                mx.host,
            )

    def evaluate(self) -> Iterator[Finding]:
        checks = {
            "tls.min_version": self.min_version,
            "tls.cert_min_days": self.cert_min_days,
            "tls.verified": self.verified,
            "domain.starttls": self.starttls,
            "domain.dnssec": self.dnssec,
            "domain.dane": self.dane,
            "domain.mta_sts": self.mta_sts,
            "domain.tls_rpt": self.tls_rpt,
        }
        for key in self.policy.rules("domain"):
            yield from checks[key]()


def evaluate_domain_policy(report: DomainReport, policy: Policy) -> tuple[Finding, ...]:
    """Every violation of `policy` in the domain report (empty when it complies)."""
    return tuple(_DomainRules(report, policy).evaluate())


def apply_domain_policy(report: DomainReport, policy: Policy) -> DomainReport:
    """`report` with the policy's violations added to its findings (listed after the
    others), `policy_rules` naming the rules that were evaluated, and the verdicts
    recomputed: a violation about an MX host counts toward that host's verdict, a
    domain-wide one toward the domain's."""
    from mailprobe.inbound import diagnose

    findings = [*report.findings, *evaluate_domain_policy(report, policy)]
    per_mx, verdict = diagnose.judge(report.mx, report.mx_set, findings)
    return replace(
        report,
        findings=tuple(findings),
        policy_rules=policy.rules("domain"),
        verdicts=per_mx,
        verdict=verdict,
    )


__all__ = ["apply_domain_policy", "evaluate_domain_policy"]
