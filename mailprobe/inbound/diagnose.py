"""Findings of `mailprobe domain`, with plain-language advice, and the verdicts.

Finding ids start with `mx.`, `dnssec.`, `starttls.`, `dane.`, `mta_sts.`, `tls_rpt.`,
`spf.` and `dmarc.`. Findings about one MX host carry its name in `host` (and port 25);
the verdict of an MX host is the worst severity among them, and the domain's verdict is
the worst MX, or worse when a domain-wide finding (MX set, MTA-STS, SPF, DMARC) is.
"""

from __future__ import annotations

from mailprobe.inbound.dnssec import DnssecState, ResolverCheck
from mailprobe.inbound.model import DaneStatus, MxResult, MxSet, Verdict
from mailprobe.inbound.mta_sts import StsResult, StsStatus, pattern_matches
from mailprobe.inbound.spf_dmarc import DmarcResult, SpfResult
from mailprobe.inbound.tls_rpt import TlsRptResult
from mailprobe.models import Finding, ProbeStatus, Severity
from mailprobe.net.dns import DnsStatus

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
_OLD_TLS = ("SSLv3", "TLSv1", "TLSv1.1")


def _f(fid: str, sev: Severity, summary: str, advice: str, host: str | None = None) -> Finding:
    return Finding(fid, sev, summary, advice, None, host, 25 if host else None)


def resolver_findings(check: ResolverCheck) -> list[Finding]:
    """`dnssec.unverified` when the resolver's AD bit cannot be relied on."""
    if check.usable:
        return []
    return [
        _f(
            "dnssec.unverified",
            W,
            f"DNSSEC could not be checked through {check.resolver}: {check.detail}.",
            "Use a validating resolver on this machine (e.g. unbound on 127.0.0.1) with "
            "--nameserver, or --trust-ad if the path to a remote validating resolver is "
            "trusted; for a private signed tree, name a signed zone with --dnssec-probe.",
        )
    ]


def mx_set_findings(domain: str, mx: MxSet) -> list[Finding]:
    """Null MX, missing MX, lookup failures, too many hosts, the MX RRset's DNSSEC state."""
    out: list[Finding] = []
    if mx.status is DnsStatus.NXDOMAIN:
        return [
            _f(
                "mx.nxdomain",
                E,
                f"{domain} does not exist in DNS.",
                "Check the spelling of the domain, or register and publish it.",
            )
        ]
    if mx.dnssec is DnssecState.BOGUS:
        out.append(
            _f(
                "dnssec.bogus",
                E,
                f"The MX records of {domain} fail DNSSEC validation: {mx.detail}",
                "Validating senders cannot look up where to deliver and will defer mail. "
                "Re-sign the zone (expired or missing signatures) or fix the DS record at "
                "the parent.",
            )
        )
    elif not mx.status.is_answer:
        return [
            _f(
                "mx.lookup_failed",
                E,
                f"The MX lookup of {domain} failed: {mx.detail}",
                "Senders cannot find the mail servers while this fails; check the domain's "
                "name servers.",
            )
        ]
    if mx.dnssec is DnssecState.INSECURE:
        out.append(
            _f(
                "dnssec.insecure",
                INFO,
                f"The zone of {domain} is not DNSSEC-signed, so DANE cannot protect delivery.",
                "Sign the zone (and its MX hosts' zones) to let senders use DANE; until then "
                "MTA-STS is the way to require TLS.",
            )
        )
    if mx.null_mx:
        out.append(
            _f(
                "mx.null",
                INFO,
                f"{domain} publishes a null MX (MX 0 .): it accepts no mail (RFC 7505).",
                "Nothing to do if the domain really receives no mail.",
            )
        )
    if mx.null_mixed:
        out.append(
            _f(
                "mx.null_mixed",
                E,
                f"{domain} has a null MX (MX 0 .) next to other MX records.",
                "RFC 7505 forbids this mix; remove the null MX if the domain receives mail, "
                "or the other MX records if it does not.",
            )
        )
    if mx.implicit:
        out.append(
            _f(
                "mx.none",
                W,
                f"{domain} has no MX records; senders fall back to its own address.",
                "Publish MX records naming the mail servers, or a null MX (MX 0 .) if the "
                "domain receives no mail.",
            )
        )
    if mx.skipped:
        out.append(
            _f(
                "mx.too_many",
                W,
                f"{domain} has more than 10 MX hosts; not checked: {', '.join(mx.skipped)}.",
                "Many senders try only a few MX hosts; keep the list short.",
            )
        )
    return out


def _host_dns_findings(mx: MxResult) -> list[Finding]:
    out: list[Finding] = []
    if mx.localhost:
        out.append(
            _f(
                "mx.localhost",
                E,
                f"The MX host {mx.host} is localhost: senders would deliver to themselves.",
                "Point the MX record at the real mail server's name.",
                mx.host,
            )
        )
        return out
    if mx.canonical != mx.host:
        out.append(
            _f(
                "mx.cname",
                W,
                f"The MX host {mx.host} is an alias (CNAME) of {mx.canonical}.",
                "RFC 2181 §10.3 says MX records must name the host itself; some senders "
                f"reject aliases. Use {mx.canonical} in the MX record.",
                mx.host,
            )
        )
    if mx.dnssec is DnssecState.BOGUS:
        out.append(
            _f(
                "dnssec.bogus",
                E,
                f"The addresses of {mx.host} fail DNSSEC validation.",
                "Validating senders cannot reach this host; re-sign its zone or fix the DS.",
                mx.host,
            )
        )
    elif mx.address_status is not DnsStatus.OK:
        out.append(
            _f(
                "mx.no_address",
                E,
                f"The MX host {mx.host} has no usable address: {mx.address_detail}",
                "Publish A (and AAAA) records for the MX host, or fix the MX record.",
                mx.host,
            )
        )
    return out


def _address_findings(mx: MxResult) -> list[Finding]:
    out: list[Finding] = []
    dane_ok = mx.dane_status is DaneStatus.OK
    for a in mx.addresses:
        smtp = a.smtp
        where = f"{mx.host} ({a.ip})"
        if smtp.status in (ProbeStatus.REFUSED, ProbeStatus.TIMEOUT, ProbeStatus.DNS_ERROR):
            out.append(
                _f(
                    "starttls.unreachable",
                    E,
                    f"Port 25 of {where} could not be reached: {smtp.detail}.",
                    "Check that the server accepts connections on port 25 from the internet. "
                    "Many home and cloud networks block outgoing port 25; run the check from "
                    "a network that allows it.",
                    mx.host,
                )
            )
            continue
        if smtp.status is not ProbeStatus.OK:
            fid = "starttls.failed" if smtp.starttls else "starttls.protocol_error"
            out.append(
                _f(
                    fid,
                    E,
                    f"SMTP on port 25 of {where} failed: {smtp.detail}.",
                    "Senders fall back to other MX hosts or defer mail; check the server's "
                    "TLS configuration and logs.",
                    mx.host,
                )
            )
            continue
        if smtp.starttls is False:
            out.append(
                _f(
                    "starttls.missing",
                    E,
                    f"{where} does not offer STARTTLS on port 25: mail arrives unencrypted.",
                    "Enable STARTTLS (Postfix: smtpd_tls_security_level = may, with a "
                    "certificate and key).",
                    mx.host,
                )
            )
            continue
        tls = smtp.tls
        if tls is not None and tls.version in _OLD_TLS:
            out.append(
                _f(
                    "starttls.old_tls",
                    W,
                    f"{where} negotiated {tls.version}.",
                    "Offer TLS 1.2 and 1.3; older versions are deprecated (RFC 8996).",
                    mx.host,
                )
            )
        if a.pkix is not None and not a.pkix.valid:
            out.append(
                _f(
                    "starttls.cert_untrusted",
                    INFO if dane_ok else W,
                    f"The certificate of {where} is not valid for {mx.host}: {a.pkix.error}.",
                    "DANE authenticates it for DANE-aware senders; MTA-STS senders still "
                    "need a CA-issued certificate for the MX name."
                    if dane_ok
                    else "Senders using MTA-STS (and careful ones) need a certificate from a "
                    f"public CA that names {mx.host}, e.g. from Let's Encrypt.",
                    mx.host,
                )
            )
    return out


def _dane_findings(mx: MxResult) -> list[Finding]:
    status, detail, host = mx.dane_status, mx.dane_detail, mx.host
    tlsa = mx.tlsa
    if status is DaneStatus.FAIL:
        count = sum(1 for r in tlsa.records if r.usable) if tlsa else 0
        return [
            _f(
                "dane.mismatch",
                E,
                f"DANE fails for {host}: {detail}.",
                f"DANE-validating senders will not deliver to {host}. Publish TLSA records "
                f"for the certificate the server presents ({count} usable record(s) now "
                "match nothing), or put back the certificate the records describe. Roll "
                "over by publishing the new record before switching certificates.",
                host,
            )
        ]
    if status is DaneStatus.BOGUS and tlsa is not None and tlsa.dnssec is DnssecState.BOGUS:
        return [
            _f(
                "dane.bogus",
                E,
                f"The TLSA records at {tlsa.name} fail DNSSEC validation: {tlsa.detail}",
                "DANE-validating senders defer mail to this host; re-sign the zone.",
                host,
            )
        ]
    if status is DaneStatus.ERROR:
        return [
            _f(
                "dane.lookup_failed",
                E,
                f"The TLSA lookup for {host} failed: {detail}",
                "DANE-validating senders defer mail while TLSA lookups fail; check the "
                "zone's name servers (some answer TLSA queries wrongly).",
                host,
            )
        ]
    if status is DaneStatus.UNUSABLE:
        return [
            _f(
                "dane.unusable",
                W,
                f"TLSA records for {host} exist but none is usable for SMTP ({detail}).",
                "Use usage 3 (DANE-EE) or 2 (DANE-TA) records, e.g. '3 1 1 <SHA-256 of the "
                "public key>'; senders treat unusable records as no DANE but still insist on "
                "TLS.",
                host,
            )
        ]
    if status is DaneStatus.NONE:
        return [
            _f(
                "dane.none",
                INFO,
                f"{host} is DNSSEC-signed but publishes no TLSA records at _25._tcp.{host}.",
                "Publish a '3 1 1' TLSA record of the server's public key to let senders "
                "authenticate it with DANE.",
                host,
            )
        ]
    return []


def _sts_mx_findings(mx: MxResult, sts: StsResult) -> list[Finding]:
    if not sts.active:
        return []
    enforce = sts.mode == "enforce"
    sev = E if enforce else W
    effect = "would not deliver" if enforce else "would report failures for"
    out: list[Finding] = []
    if not any(pattern_matches(p, mx.host) for p in sts.mx):
        out.append(
            _f(
                "mta_sts.mx_not_listed",
                sev,
                f"The MTA-STS policy ({sts.mode}) lists {', '.join(sts.mx)}, which does not "
                f"cover {mx.host}: senders {effect} mail to it.",
                f"Add 'mx: {mx.host}' (or a *. pattern for its parent; '*.' stands for "
                "exactly one label) to the policy and change the id in the _mta-sts record.",
                mx.host,
            )
        )
    bad = [
        a
        for a in mx.addresses
        if a.smtp.status is ProbeStatus.OK and (a.pkix is None or not a.pkix.valid)
    ]
    if bad:
        a = bad[0]
        why = a.pkix.error if a.pkix is not None else "it offers no STARTTLS"
        out.append(
            _f(
                "mta_sts.mx_cert_invalid",
                sev,
                f"Under the MTA-STS policy ({sts.mode}) senders {effect} mail to {mx.host} "
                f"({a.ip}): {why}.",
                f"Install a certificate from a public CA that names {mx.host}.",
                mx.host,
            )
        )
    return out


def mx_findings(mx: MxResult, sts: StsResult) -> list[Finding]:
    """Everything about one MX host."""
    return (
        _host_dns_findings(mx)
        + _address_findings(mx)
        + _dane_findings(mx)
        + _sts_mx_findings(mx, sts)
    )


def sts_findings(domain: str, sts: StsResult, null_mx: bool) -> list[Finding]:
    """The MTA-STS record and policy of the domain (per-MX effects are in `mx_findings`)."""
    s = sts.status
    if s is StsStatus.ABSENT:
        if null_mx:
            return []
        return [
            _f(
                "mta_sts.absent",
                INFO,
                f"{domain} publishes no MTA-STS policy.",
                "MTA-STS (RFC 8461) lets senders require TLS with a valid certificate: "
                "publish _mta-sts TXT 'v=STSv1; id=...' and a policy at "
                f"https://mta-sts.{domain}/.well-known/mta-sts.txt.",
            )
        ]
    if s is StsStatus.DNS_ERROR:
        return [_f("mta_sts.dns_error", W, f"The _mta-sts lookup failed: {sts.detail}", "")]
    if s is StsStatus.TXT_INVALID:
        return [
            _f(
                "mta_sts.txt_invalid",
                E,
                f"The _mta-sts.{domain} record is invalid: {sts.detail}.",
                "Publish exactly one record 'v=STSv1; id=<1 to 32 letters or digits>'.",
            )
        ]
    if s is StsStatus.FETCH_FAILED:
        return [
            _f(
                "mta_sts.fetch_failed",
                E,
                f"The MTA-STS policy cannot be used: {sts.detail}.",
                f"Serve the policy directly (HTTP 200, no redirect, at most 64 KiB) at "
                f"{sts.url}, with a valid certificate for mta-sts.{domain}.",
            )
        ]
    if s is StsStatus.POLICY_INVALID:
        return [
            _f(
                "mta_sts.policy_invalid",
                E,
                f"The MTA-STS policy at {sts.url} is invalid: {sts.detail}.",
                "A policy has 'version: STSv1', 'mode: enforce|testing|none', one 'mx:' line "
                "per pattern and 'max_age:' in seconds (at most 31557600).",
            )
        ]
    out = [
        _f("mta_sts.content_type", W, w + ".", "Serve the policy as text/plain.")
        for w in sts.warnings
    ]
    if sts.mode == "testing":
        out.append(
            _f(
                "mta_sts.mode_testing",
                INFO,
                "The MTA-STS policy is in testing mode: failures are reported, not enforced.",
                "Switch to 'mode: enforce' once TLS-RPT reports show no failures.",
            )
        )
    elif sts.mode == "none":
        out.append(
            _f(
                "mta_sts.mode_none",
                INFO,
                "The MTA-STS policy has mode none: senders drop any policy they cached.",
                "Use 'mode: testing' or 'mode: enforce' to protect delivery.",
            )
        )
    return out


def record_findings(
    domain: str, tls_rpt: TlsRptResult, spf: SpfResult, dmarc: DmarcResult, null_mx: bool
) -> list[Finding]:
    """TLS-RPT, SPF and DMARC."""
    out: list[Finding] = []
    if tls_rpt.status == "absent" and not null_mx:
        out.append(
            _f(
                "tls_rpt.absent",
                INFO,
                f"{domain} has no TLS-RPT record at _smtp._tls.{domain}.",
                "Publish 'v=TLSRPTv1; rua=mailto:tls-reports@...' to hear about failed TLS "
                "deliveries (RFC 8460).",
            )
        )
    elif tls_rpt.status in ("invalid", "dns_error"):
        out.append(
            _f(
                "tls_rpt.invalid",
                W,
                f"The TLS-RPT record of {domain} is unusable: {tls_rpt.detail}.",
                "Publish exactly one 'v=TLSRPTv1; rua=mailto:...' (or https://) record.",
            )
        )
    if spf.status == "absent":
        out.append(
            _f(
                "spf.absent",
                W,
                f"{domain} has no SPF record.",
                "Publish 'v=spf1 mx -all' (or the servers that really send for the domain); "
                "a domain that sends no mail publishes 'v=spf1 -all'.",
            )
        )
    elif spf.status in ("invalid", "dns_error"):
        out.append(
            _f(
                "spf.invalid",
                E,
                f"The SPF record of {domain} is invalid: {spf.detail}.",
                "Receivers treat an invalid SPF record as a permanent error; fix the syntax "
                "and keep a single v=spf1 record.",
            )
        )
    for warning in spf.warnings:
        out.append(
            _f("spf.permissive", W, f"SPF of {domain}: {warning}.", "End the record with -all.")
        )
    if dmarc.status == "absent":
        out.append(
            _f(
                "dmarc.absent",
                W,
                f"{domain} has no DMARC record.",
                f"Publish '_dmarc.{domain} TXT \"v=DMARC1; p=quarantine; rua=mailto:...\"'.",
            )
        )
    elif dmarc.status in ("invalid", "dns_error"):
        out.append(
            _f(
                "dmarc.invalid",
                E,
                f"The DMARC record at {dmarc.location} is invalid: {dmarc.detail}.",
                "Receivers ignore an invalid record; it needs 'v=DMARC1; p=none|quarantine|"
                "reject'.",
            )
        )
    elif dmarc.policy == "none":
        out.append(
            _f(
                "dmarc.policy_none",
                W,
                f"The DMARC policy of {domain} is p=none: forged mail is only reported.",
                "Move to p=quarantine and then p=reject once the reports show that your own "
                "mail passes.",
            )
        )
    return out


def verdicts(mx: tuple[MxResult, ...], findings: list[Finding]) -> tuple[tuple[str, Verdict], ...]:
    """The verdict of every MX host, in MX order."""
    return tuple((m.host, Verdict.of([f for f in findings if f.host == m.host])) for m in mx)


def domain_verdict(
    per_mx: tuple[tuple[str, Verdict], ...], mx_set: MxSet, set_findings: list[Finding]
) -> Verdict:
    """The worst MX; domain-wide findings (MX set, MTA-STS, SPF, DMARC) count too."""
    own = Verdict.of(set_findings)
    worst = max([v for _h, v in per_mx] + [own], key=lambda v: v.rank)
    if not per_mx and not mx_set.null_mx and worst is Verdict.PASS:
        return Verdict.FAIL
    return worst


def judge(
    mx: tuple[MxResult, ...], mx_set: MxSet, findings: list[Finding]
) -> tuple[tuple[tuple[str, Verdict], ...], Verdict]:
    """The verdict of every MX host and of the domain (`dnssec.unverified` is a note
    about the resolver, not about the domain)."""
    per_mx = verdicts(mx, findings)
    domain_wide = [f for f in findings if f.host is None and f.id != "dnssec.unverified"]
    return per_mx, domain_verdict(per_mx, mx_set, domain_wide)
