"""Policies for CI: rules a report must meet, each violation a `policy.*` finding.

    policy = load_policy("mail-policy.toml")      # see policy_file.py; PolicyError if invalid
    report = apply_policy(report, policy)          # findings += violations, policy_rules set

A violation's id is `policy.<table>.<key>` (e.g. `policy.tls.min_version`), its severity
the policy's for that key, and `Finding.policy` names the key. `--fail-on` and
`--fail-on-id` then decide the exit code as for any finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from mailprobe.models import (
    Finding,
    ProbedCandidate,
    ProbeStatus,
    Protocol,
    Report,
    Security,
    ServerSetting,
    SourceId,
)
from mailprobe.policy_file import TLS_VERSIONS, Expectation, Policy, load_policy, parse_policy

_LABEL = {Protocol.IMAP: "IMAP", Protocol.POP3: "POP3", Protocol.SMTP: "SMTP"}
_WIRE_VERSIONS = {"SSLv2": "0.2", "SSLv3": "0.3", "TLSv1": "1.0", "TLSv1.0": "1.0"}


def _version(wire: str) -> str:
    """`TLSv1.2` -> `1.2` (the policy's spelling)."""
    return _WIRE_VERSIONS.get(wire, wire.removeprefix("TLSv"))


def below(wire: str, minimum: str) -> bool:
    """True if negotiated version `wire` (e.g. `TLSv1.1`) is below policy version `minimum`."""
    have = _version(wire)
    if have in TLS_VERSIONS:
        return TLS_VERSIONS.index(have) < TLS_VERSIONS.index(minimum)
    return have < minimum  # SSL 2/3 sort below every TLS version


def _where(s: ServerSetting) -> str:
    return f"{s.host} port {s.port} ({_LABEL[s.protocol]}, {str(s.security).upper()})"


def _setting_text(s: ServerSetting) -> str:
    return f"{s.host}:{s.port} {s.security}"


def violation(
    policy: Policy,
    key: str,
    summary: str,
    advice: str,
    *,
    protocol: Protocol | None = None,
    host: str | None = None,
    port: int | None = None,
) -> Finding:
    """The `policy.<key>` finding for a violation of rule `key`."""
    return Finding(
        id=f"policy.{key}",
        severity=policy.severity_for(key),
        summary=f"Policy {key}: {summary}",
        advice=advice,
        protocol=protocol,
        host=host,
        port=port,
        policy=key,
    )


class _Rules:
    """Evaluates one policy against one report, yielding findings per rule key."""

    def __init__(self, report: Report, policy: Policy) -> None:
        self.report = report
        self.policy = policy

    def violation(
        self,
        key: str,
        summary: str,
        advice: str,
        protocol: Protocol | None = None,
        setting: ServerSetting | None = None,
    ) -> Finding:
        return violation(
            self.policy,
            key,
            summary,
            advice,
            protocol=setting.protocol if setting else protocol,
            host=setting.host if setting else None,
            port=setting.port if setting else None,
        )

    def probed(self) -> Iterator[ProbedCandidate]:
        for pc in self.report.candidates:
            if pc.probe is not None and pc.probe.status is not ProbeStatus.SKIPPED:
                yield pc

    # ----------------------------------------------------------------- require

    def services(self) -> Iterator[Finding]:
        for protocol in self.policy.services or ():
            rec = self.report.recommended.get(protocol)
            label = _LABEL[protocol]
            if rec is None:
                yield self.violation(
                    "require.services",
                    f"no {label} setting was found.",
                    f"Publish the {label} server (autoconfig, SRV records) or drop "
                    f"{protocol} from require.services.",
                    protocol=protocol,
                )
            elif self.report.probed and rec.verified is not True:
                yield self.violation(
                    "require.services",
                    f"{label} does not work: no {label} setting passed the live test "
                    f"(best candidate {_setting_text(rec.candidate.setting)}).",
                    "See the other findings for why the server failed.",
                    setting=rec.candidate.setting,
                )

    def implicit_tls(self) -> Iterator[Finding]:
        for protocol in Protocol:
            rec = self.report.recommended.get(protocol)
            if rec is None or rec.candidate.setting.security is Security.TLS:
                continue
            s = rec.candidate.setting
            yield self.violation(
                "require.implicit_tls",
                f"{_LABEL[protocol]} is offered with {s.security} only "
                f"({_setting_text(s)}), not with TLS from the first byte.",
                "RFC 8314 prefers implicit TLS: offer IMAP on 993, POP3 on 995 and "
                "submission on 465, and publish them.",
                setting=s,
            )

    def no_plaintext_auth(self) -> Iterator[Finding]:
        for pc in self.probed():
            probe = pc.probe
            assert probe is not None
            offered = list(probe.auth_before_tls)
            if probe.plaintext_user_before_tls:
                offered.append("USER/PASS" if pc.candidate.protocol is Protocol.POP3 else "LOGIN")
            if offered:
                yield self.violation(
                    "require.no_plaintext_auth",
                    f"{_where(pc.candidate.setting)} offers a password login before TLS "
                    f"({', '.join(offered)}).",
                    "Allow logins only after TLS (Dovecot: disable_plaintext_auth = yes; "
                    "Postfix: smtpd_tls_auth_only = yes).",
                    setting=pc.candidate.setting,
                )

    # ----------------------------------------------------------------- tls

    def min_version(self) -> Iterator[Finding]:
        minimum = self.policy.min_version
        assert minimum is not None
        for pc in self.probed():
            probe = pc.probe
            assert probe is not None
            s = pc.candidate.setting
            advice = (
                f"Disable TLS versions below {minimum} on the server "
                "(Dovecot: ssl_min_protocol; Postfix: smtpd_tls_protocols)."
            )
            if probe.tls is not None and below(probe.tls.version, minimum):
                yield self.violation(
                    "tls.min_version",
                    f"{_where(s)} negotiated {probe.tls.version}, below TLS {minimum}.",
                    advice,
                    setting=s,
                )
            elif probe.weak_tls_version and below(probe.weak_tls_version, minimum):
                yield self.violation(
                    "tls.min_version",
                    f"{_where(s)} still accepts {probe.weak_tls_version}, below TLS {minimum}.",
                    advice,
                    setting=s,
                )

    def cert_min_days(self) -> Iterator[Finding]:
        minimum = self.policy.cert_min_days
        assert minimum is not None
        for pc in self.probed():
            tls = pc.probe.tls if pc.probe is not None else None
            if tls is None or tls.cert is None or tls.cert.days_left >= minimum:
                continue
            yield self.violation(
                "tls.cert_min_days",
                f"the certificate of {_where(pc.candidate.setting)} expires in "
                f"{tls.cert.days_left} days ({tls.cert.not_after}); the policy asks for "
                f"at least {minimum}.",
                "Renew the certificate (and check that automatic renewal runs).",
                setting=pc.candidate.setting,
            )

    def verified(self) -> Iterator[Finding]:
        for pc in self.probed():
            tls = pc.probe.tls if pc.probe is not None else None
            if tls is None or tls.verified:
                continue
            reason = tls.verify_error or "verification failed"
            yield self.violation(
                "tls.verified",
                f"the certificate of {_where(pc.candidate.setting)} does not verify: {reason}.",
                "Serve a certificate for this name from a trusted CA, with the full chain.",
                setting=pc.candidate.setting,
            )

    # ----------------------------------------------------------------- expect

    def expect(self, protocol: Protocol, exp: Expectation) -> Iterator[Finding]:
        rec = self.report.recommended.get(protocol)
        label = _LABEL[protocol]
        wanted: list[tuple[str, object]] = [
            (name, getattr(exp, name))
            for name in ("host", "port", "security")
            if getattr(exp, name) is not None
        ]
        for name, value in wanted:
            key = f"expect.{protocol}.{name}"
            if rec is None:
                yield self.violation(
                    key,
                    f"no {label} setting was found; expected {name} {value}.",
                    f"Publish the {label} setting the policy expects.",
                    protocol=protocol,
                )
                continue
            s = rec.candidate.setting
            actual: object = getattr(s, name)
            same = (
                str(actual).lower().rstrip(".") == str(value).lower().rstrip(".")
                if name == "host"
                else actual == value
            )
            if not same:
                yield self.violation(
                    key,
                    f"the recommended {label} {name} is {actual}, the policy expects {value} "
                    f"(recommended: {_setting_text(s)}).",
                    "Fix the published settings (autoconfig, SRV, DNS) or update the policy.",
                    setting=s,
                )

    # ----------------------------------------------------------------- sources

    def agree(self) -> Iterator[Finding]:
        wanted = self.policy.agree
        for protocol in Protocol:
            first: dict[SourceId, ServerSetting] = {}
            for pc in self.report.candidates:
                if pc.candidate.protocol is not protocol:
                    continue
                for source in pc.candidate.source_ids:
                    if source in wanted and source not in first:
                        first[source] = pc.candidate.setting
            claims = {src: first[src] for src in wanted if src in first}
            if len({s.endpoint for s in claims.values()}) <= 1:
                continue
            said = "; ".join(f"{src} says {_setting_text(s)}" for src, s in claims.items())
            yield self.violation(
                "sources.agree",
                f"the sources disagree about {_LABEL[protocol]}: {said}.",
                "Make every published configuration name the same server, port and "
                "security (or the one you mean first).",
                protocol=protocol,
            )

    # ----------------------------------------------------------------- all

    def evaluate(self) -> Iterator[Finding]:
        p = self.policy
        for key in p.rules("check"):
            if key == "require.services":
                yield from self.services()
            elif key == "require.implicit_tls":
                yield from self.implicit_tls()
            elif key == "require.no_plaintext_auth":
                yield from self.no_plaintext_auth()
            elif key == "tls.min_version":
                yield from self.min_version()
            elif key == "tls.cert_min_days":
                yield from self.cert_min_days()
            elif key == "tls.verified":
                yield from self.verified()
            elif key == "sources.agree":
                yield from self.agree()
        for protocol, exp in p.expect.items():
            yield from self.expect(protocol, exp)


def evaluate_policy(report: Report, policy: Policy) -> tuple[Finding, ...]:
    """Every violation of `policy` in `report`, as findings (empty when it complies)."""
    return tuple(_Rules(report, policy).evaluate())


def apply_policy(report: Report, policy: Policy) -> Report:
    """`report` with the policy's violations added to its findings (in the usual order)
    and `policy_rules` naming the rules that were evaluated."""
    from mailprobe.diagnose import sort_findings

    violations = evaluate_policy(report, policy)
    return replace(
        report,
        findings=sort_findings([*report.findings, *violations]),
        policy_rules=policy.rules("check"),
    )


__all__ = [
    "Expectation",
    "Policy",
    "apply_policy",
    "below",
    "evaluate_policy",
    "load_policy",
    "parse_policy",
    "violation",
]
