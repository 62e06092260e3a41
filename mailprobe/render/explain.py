"""`--explain`: the report as numbered, plain-language steps for someone who is not an expert.

The steps say what works, what does not and why (one sentence each), exactly what to type
into a mail app (incoming and outgoing: server, port, encryption as mail apps name it,
username, which password), what to change in a setting someone typed (`probe`), and what
to ask the provider when nothing works, quoting the server's own words.

Everything is read from the report's structured fields: recommendation and probe statuses,
detected security and protocol, login status and finding ids. Prose in the report (finding
summaries, probe reasons) is never parsed; only the server's own words (greeting, login
reply) are quoted, clipped to one line.

    explain_steps(report)          the steps as `Step` values (text plus setting fields)
    plain_steps(report)            the same, each step as one plain string
    render_text(report, width)     numbered and wrapped for a terminal
    render_markdown(report)        a Markdown numbered list (for tickets and e-mails)
"""

from __future__ import annotations

import re
import shutil
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import IO

from mailprobe.models import (
    STANDARD_PORTS,
    Cause,
    Finding,
    LoginStatus,
    ProbeResult,
    ProbeStatus,
    Protocol,
    ProviderStatus,
    Recommendation,
    Report,
    Security,
    ServerSetting,
    Severity,
    SourceId,
    SourceStatus,
)

#: Encryption as mail apps label it; "None" carries its warning with it.
ENCRYPTION_NAMES: Mapping[Security, str] = MappingProxyType(
    {
        Security.TLS: "SSL/TLS",
        Security.STARTTLS: "STARTTLS",
        Security.PLAIN: "None (unsafe: the password can be read on the network)",
    }
)

#: The same names without the warning, for "change X to Y".
_SHORT_NAMES: Mapping[Security, str] = MappingProxyType(
    {Security.TLS: "SSL/TLS", Security.STARTTLS: "STARTTLS", Security.PLAIN: "None"}
)

#: What each service is for, in everyday words.
SERVICE_WORDS: Mapping[Protocol, str] = MappingProxyType(
    {
        Protocol.IMAP: "Receiving mail (IMAP)",
        Protocol.POP3: "Receiving mail (POP3)",
        Protocol.SMTP: "Sending mail (SMTP)",
    }
)

#: Most characters of the server's own words quoted in the "ask the provider" step.
QUOTE_LIMIT = 120

#: Narrowest and widest text the terminal renderer wraps to.
MIN_WIDTH, MAX_WIDTH = 40, 120

# Why an endpoint fails, per finding id, in words a customer understands. `{host}`,
# `{port}`, `{service}` and `{other}` (the protocol the port really speaks) are filled in.
_WHY: Mapping[str, str] = MappingProxyType(
    {
        "connect.refused": "{host} refused the connection on port {port}: nothing there "
        "accepts {service} connections",
        "connect.unreachable": "this computer has no network path to {host}",
        "connect.timeout": "{host} did not answer on port {port}; a firewall may block it or "
        "the server may be down",
        "connect.no_greeting": "{host} took the connection on port {port} but then said nothing",
        "connect.reset": "{host} cut the connection on port {port} straight away",
        "connect.stalled": "{host} stopped answering part-way through the conversation",
        "connect.rate_limited": "{host} is turning connections away for now (busy, or this "
        "network is blocked)",
        "dns.no_such_host": "the server name {host} does not exist",
        "dns.lookup_failed": "the server name {host} could not be looked up",
        "mode.expects_tls": "port {port} on {host} needs the encryption setting SSL/TLS",
        "mode.expects_starttls": "port {port} on {host} needs the encryption setting STARTTLS",
        "mode.expects_plain": "port {port} on {host} offers no encryption at all",
        "protocol.wrong_service": "port {port} on {host} is meant for {other}, not {service}",
        "protocol.unexpected_reply": "the program answering on port {port} at {host} does "
        "not speak {service}",
        "starttls.not_offered": "{host} cannot encrypt the connection on port {port}, so the "
        "password would be readable by others",
        "starttls.not_offered_relay": "{host} cannot encrypt the connection on port {port}",
        "security.plaintext_setting": "this setting sends the password unencrypted although "
        "{host} can encrypt",
        "auth.oauth_only": "{host} only accepts sign-in through the provider's web page, not "
        "a typed password",
        "smtp.no_auth": "{host} does not let mail apps sign in on port {port}, so it will not "
        "send your mail",
        "imap.preauth": "{host} lets anyone in without a password, which is unsafe",
        "tls.old_version": "{host} only offers outdated encryption that current mail apps refuse",
        "tls.handshake_failed": "this computer and {host} could not agree on how to encrypt "
        "the connection",
        "tls.cert.expired": "the security certificate of {host} has expired, so mail apps "
        "refuse it or warn",
        "tls.cert.not_yet_valid": "the security certificate of {host} is not valid yet "
        "(check this computer's date and time)",
        "tls.cert.wrong_name": "the security certificate of {host} is made out for a "
        "different server name",
        "tls.cert.self_signed": "{host} uses a home-made security certificate that mail apps "
        "do not trust",
        "tls.cert.untrusted": "the security certificate of {host} comes from an issuer this "
        "computer does not trust",
        "tls.cert.incomplete_chain": "{host} sends an incomplete security certificate, which "
        "some mail apps refuse",
        "tls.cert.invalid": "the security certificate of {host} could not be checked",
        "login.wrong_credentials": "{host} rejected the username or password",
        "login.app_password_required": "{host} wants an app password, not the normal password",
        "login.account_disabled": "{host} says the account is disabled or may not use {service}",
        "login.mechanism_missing": "{host} offers no way to sign in with a password",
        "login.error": "the password test on {host} gave no clear answer",
        "login.sender_refused": "after signing in, {host} refused to send mail from this address",
        "probe.skipped": "{host} was not tested from here",
        "connect.greeting_incomplete": "{host} started to greet on port {port} but never finished",
        "mode.not_tls": "port {port} on {host} does not answer with the encryption setting SSL/TLS",
        "protocol.http_answer": "port {port} on {host} belongs to a web server, not to a "
        "mail server",
        "starttls.injection": "something tampered with the connection to {host} while "
        "encryption was being switched on, so this setting is not safe",
        "starttls.refused": "{host} refused to switch on encryption on port {port}",
        "tls.handshake_timeout": "{host} took the connection on port {port} but never "
        "finished switching on encryption",
        "service.plaintext_only": "{host} works only without encryption, so the password "
        "would be readable by others",
    }
)

# The finding text to use when a probe's structured cause is all there is.
_CAUSE_WHY: Mapping[Cause, str] = MappingProxyType(
    {
        Cause.NO_SUCH_HOST: "dns.no_such_host",
        Cause.DNS_FAILED: "dns.lookup_failed",
        Cause.DNS_TIMEOUT: "dns.lookup_failed",
        Cause.REFUSED: "connect.refused",
        Cause.UNREACHABLE: "connect.unreachable",
        Cause.TIMEOUT: "connect.timeout",
        Cause.INCOMPLETE: "connect.greeting_incomplete",
        Cause.RESET: "connect.reset",
        Cause.CLOSED: "connect.rate_limited",
        Cause.RATE_LIMITED: "connect.rate_limited",
        Cause.NOT_TLS: "mode.not_tls",
        Cause.HTTP_ANSWER: "protocol.http_answer",
        Cause.NO_COMMON_TLS_VERSION: "tls.old_version",
        Cause.TLS_FAILED: "tls.handshake_failed",
        Cause.STARTTLS_NOT_OFFERED: "starttls.not_offered",
        Cause.STARTTLS_REFUSED: "starttls.refused",
        Cause.STARTTLS_INJECTION: "starttls.injection",
        Cause.CERT_EXPIRED: "tls.cert.expired",
        Cause.CERT_NOT_YET_VALID: "tls.cert.not_yet_valid",
        Cause.CERT_SELF_SIGNED: "tls.cert.self_signed",
        Cause.CERT_WRONG_NAME: "tls.cert.wrong_name",
        Cause.CERT_UNTRUSTED: "tls.cert.untrusted",
        Cause.CERT_INCOMPLETE_CHAIN: "tls.cert.incomplete_chain",
        Cause.CERT_INVALID: "tls.cert.invalid",
        Cause.WRONG_PROTOCOL: "protocol.unexpected_reply",
        Cause.GARBAGE: "protocol.unexpected_reply",
        Cause.TOO_LARGE: "protocol.unexpected_reply",
    }
)

# Warnings worth a line even when the service works (keyed like `_WHY`).
_NOTES: Mapping[str, str] = MappingProxyType(
    {
        "tls.cert.expiring": "the security certificate of {host} expires soon; the provider "
        "should renew it",
        "net.ipv6_fails": "{host} does not answer over the newer internet protocol (IPv6); "
        "some devices may connect slowly",
        "net.address_fails": "some of the addresses of {host} do not answer; connections may "
        "be slow or fail now and then",
        "tls.old_version_accepted": "{host} still accepts outdated encryption besides the "
        "current kind; nothing breaks",
        "auth.before_tls": "{host} would also accept the password unencrypted on port "
        "{port}: never set Encryption to None",
    }
)

# Why an endpoint fails when no finding explains it, from the probe status alone.
_STATUS_WHY: Mapping[ProbeStatus, str] = MappingProxyType(
    {
        ProbeStatus.REFUSED: _WHY["connect.refused"],
        ProbeStatus.TIMEOUT: "{host} did not answer on port {port} in time",
        ProbeStatus.DNS_ERROR: "the server name {host} could not be found",
        ProbeStatus.TLS_ERROR: "the connection to {host} could not be encrypted safely",
        ProbeStatus.PROTOCOL_ERROR: "{host} did not answer the way {service} servers do",
        ProbeStatus.RATE_LIMITED: _WHY["connect.rate_limited"],
        ProbeStatus.AUTH_FAILED: "{host} did not accept the sign-in",
        ProbeStatus.SKIPPED: _WHY["probe.skipped"],
    }
)

_QUOTE_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True)
class Step:
    """One numbered step: a sentence, and for settings the fields to type (label, value)."""

    text: str
    fields: tuple[tuple[str, str], ...] = ()

    def plain(self) -> str:
        """The step as one plain string: the sentence, then one `Label: value` per line."""
        return "\n".join([self.text, *(f"{label}: {value}" for label, value in self.fields)])


# --------------------------------------------------------------------------- helpers


def server_words(text: str | None, limit: int = QUOTE_LIMIT) -> str | None:
    """Text a server sent, made safe to quote: one line, no control characters, bounded."""
    if not text:
        return None
    flat = " ".join(_QUOTE_UNSAFE.sub(" ", text).split()).replace('"', "'")
    if not flat:
        return None
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


def _fill(template: str, setting: ServerSetting, probe: ProbeResult | None) -> str:
    other = probe.detected_protocol if probe is not None else None
    return template.format(
        host=setting.host,
        port=setting.port,
        service=setting.protocol.value.upper(),
        other=other.value.upper() if other is not None else "another service",
    )


def _about(finding: Finding, setting: ServerSetting) -> bool:
    return (
        finding.protocol is setting.protocol
        and finding.host == setting.host
        and finding.port == setting.port
    )


def _why(report: Report, rec: Recommendation) -> str:
    """One sentence (no full stop) saying why the recommended endpoint does not work."""
    setting = rec.candidate.setting
    mine = [f for f in report.findings if _about(f, setting) and f.id in _WHY]
    mine.sort(key=lambda f: -f.severity.rank)  # stable: keeps the report's order
    if mine:
        return _fill(_WHY[mine[0].id], setting, rec.probe)
    cause = rec.probe.cause if rec.probe is not None else None
    if cause is not None and cause in _CAUSE_WHY:
        return _fill(_WHY[_CAUSE_WHY[cause]], setting, rec.probe)
    status = rec.probe.status if rec.probe is not None else ProbeStatus.SKIPPED
    return _fill(_STATUS_WHY.get(status, _STATUS_WHY[ProbeStatus.SKIPPED]), setting, rec.probe)


#: Warnings the "Change Encryption from None to STARTTLS" step already deals with.
_SAID_BY_UPGRADE = frozenset({"auth.before_tls", "security.plaintext_setting"})


def _notes(report: Report, rec: Recommendation) -> list[str]:
    setting = rec.candidate.setting
    notes: list[str] = []
    for f in report.findings:
        if not _about(f, setting) or f.severity.rank <= Severity.INFO.rank:  # no good news
            continue
        if _upgradable(rec) and f.id in _SAID_BY_UPGRADE:
            continue
        template = _NOTES.get(f.id) or _WHY.get(f.id)
        if template is not None:
            note = _fill(template, setting, rec.probe)
            if note not in notes:
                notes.append(note)
    return notes


def _login_status(rec: Recommendation | None) -> LoginStatus | None:
    if rec is None or rec.probe is None or rec.probe.login is None:
        return None
    return rec.probe.login.status


def _works(rec: Recommendation | None) -> bool:
    return rec is not None and rec.verified is True


def _is_probe(report: Report) -> bool:
    """A `probe` report: one server someone typed, no address."""
    return report.address is None and all(
        pc.candidate.source_ids == (SourceId.USER,) for pc in report.candidates
    )


def _where(setting: ServerSetting) -> str:
    return f"{setting.host} port {setting.port} with {ENCRYPTION_NAMES[setting.security]}"


# --------------------------------------------------------------------------- the steps


_SIGN_IN_WHY: Mapping[LoginStatus, str] = MappingProxyType(
    {
        LoginStatus.WRONG_CREDENTIALS: "the server rejected the username or password",
        LoginStatus.APP_PASSWORD_REQUIRED: "the server wants an app password, not the "
        "normal password",
        LoginStatus.ACCOUNT_DISABLED: "the server says the account is disabled or may not "
        "use this service",
        LoginStatus.MECHANISM_MISSING: "the server offers no way to sign in with a password",
    }
)


def _subject(protocols: list[Protocol]) -> str:
    """The services named for a person, e.g. "Receiving and sending mail (IMAP, SMTP)"."""
    receiving = any(p is not Protocol.SMTP for p in protocols)
    sending = Protocol.SMTP in protocols
    if len(protocols) == 1:
        return SERVICE_WORDS[protocols[0]]
    what = (
        "Receiving and sending"
        if receiving and sending
        else ("Receiving" if receiving else "Sending")
    )
    return f"{what} mail ({', '.join(p.value.upper() for p in protocols)})"


def _predicate(report: Report, protocol: Protocol, rec: Recommendation) -> str:
    """What is true of one service, starting after its name (no full stop)."""
    recs = report.recommended
    setting = rec.candidate.setting
    if rec.verified is None:
        return f": found {_where(setting)}, but not tested"
    if rec.verified:
        text = f" works: {setting.host} answered on port {setting.port}"
        if setting.security is Security.PLAIN:
            text += ", but without encryption"
        if protocol is Protocol.IMAP and _works(recs.get(Protocol.POP3)):
            text += " (POP3 works too)"
        return text
    if rec.probe is not None and rec.probe.status is ProbeStatus.AUTH_FAILED:
        status = _login_status(rec)
        why = _SIGN_IN_WHY.get(status, "the sign-in failed") if status else "the sign-in failed"
        return f": the server settings are right, but {why}"
    return f" does not work: {_why(report, rec)}"


def _status_steps(report: Report) -> list[Step]:
    """What works and what does not, one sentence per service (alike ones merged)."""
    recs = report.recommended
    groups: list[tuple[list[Protocol], str]] = []
    notes: list[Step] = []
    for protocol in Protocol:
        rec = recs.get(protocol)
        if rec is None:
            continue
        if protocol is Protocol.POP3 and _works(recs.get(Protocol.IMAP)):
            continue  # mentioned with IMAP
        predicate = _predicate(report, protocol, rec)
        if groups and groups[-1][1] == predicate:
            groups[-1][0].append(protocol)
        else:
            groups.append(([protocol], predicate))
        if rec.verified:
            notes += [Step(_capital(f"Note: {note}.")) for note in _notes(report, rec)[:2]]
    return [Step(f"{_subject(protocols)}{predicate}.") for protocols, predicate in groups] + notes


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _typed_fix_steps(report: Report, rec: Recommendation) -> list[Step] | None:
    """When `probe` fell back from a failing typed setting to a working one of the same
    server (`Report.typed`): why the typed one failed, and each field to change. None when
    the recommendation is what was typed."""
    setting = rec.candidate.setting
    typed = next((t for t in report.typed if t.protocol is setting.protocol and t != setting), None)
    if typed is None or not rec.verified or typed.endpoint == setting.endpoint:
        return None
    failed = next(
        (pc for pc in report.candidates if pc.candidate.setting.endpoint == typed.endpoint),
        None,
    )
    steps: list[Step] = []
    if failed is not None and failed.probe is not None:
        why = _why(report, Recommendation(failed.candidate, False, failed.probe))
        steps.append(Step(f"The setting as typed does not work: {why}."))
    if typed.port != setting.port:
        steps.append(
            Step(
                f"Change Port from {typed.port} to {setting.port}: {setting.host} answered "
                f"there with {_SHORT_NAMES[setting.security]}."
            )
        )
    if typed.security is not setting.security:
        old, new = _SHORT_NAMES[typed.security], _SHORT_NAMES[setting.security]
        steps.append(Step(f"Change Encryption from {old} to {new}."))
    return steps


def _change_steps(report: Report) -> list[Step]:
    """For a typed setting (`probe`): which field to change, and to what."""
    if not _is_probe(report):
        return []
    steps: list[Step] = []
    for protocol in Protocol:
        rec = report.recommended.get(protocol)
        if rec is None or rec.probe is None:
            continue
        fixed = _typed_fix_steps(report, rec)
        if fixed is not None:
            steps += fixed
            continue
        setting, probe = rec.candidate.setting, rec.probe
        typed = _SHORT_NAMES[setting.security]
        if _upgradable(rec):
            steps.append(
                Step(
                    "Change Encryption from None to STARTTLS: the server can encrypt, and "
                    "without it the password can be read on the network."
                )
            )
            continue
        if rec.verified:
            continue
        if probe.detected_protocol is not None and probe.detected_protocol is not protocol:
            port = STANDARD_PORTS[(protocol, setting.security)]
            if port != setting.port:
                steps.append(
                    Step(
                        f"Change Port from {setting.port} to {port}: that is the usual "
                        f"{protocol.value.upper()} port with {typed}."
                    )
                )
        elif probe.detected_security is Security.PLAIN and setting.security is not Security.PLAIN:
            pass  # the server offers no encryption: nothing safe to change to (see "ask")
        elif (
            probe.detected_security is not None and probe.detected_security is not setting.security
        ):
            detected = _SHORT_NAMES[probe.detected_security]
            steps.append(Step(f"Change Encryption from {typed} to {detected}."))
        elif probe.status in (ProbeStatus.REFUSED, ProbeStatus.TIMEOUT):
            port = STANDARD_PORTS[(protocol, setting.security)]
            if port != setting.port:
                steps.append(
                    Step(
                        f"Try Port {port} instead of {setting.port}: that is the usual "
                        f"{protocol.value.upper()} port with {typed}."
                    )
                )
    return steps


def _upgradable(rec: Recommendation) -> bool:
    """True for a working unencrypted setting on a port that offers STARTTLS."""
    detected = rec.probe.detected_security if rec.probe is not None else None
    return rec.candidate.setting.security is Security.PLAIN and detected is Security.STARTTLS


def _fixed_security(rec: Recommendation) -> Security:
    """The encryption to type: the detected one when the probe found the port's real mode."""
    detected = rec.probe.detected_security if rec.probe is not None else None
    configured = rec.candidate.setting.security
    if _upgradable(rec):
        return Security.STARTTLS
    if rec.verified or detected is None or detected is Security.PLAIN:
        return configured
    return detected


def _fixed_port(rec: Recommendation) -> int:
    setting, probe = rec.candidate.setting, rec.probe
    if (
        probe is not None
        and not rec.verified
        and probe.detected_protocol is not None
        and probe.detected_protocol is not setting.protocol
    ):
        return STANDARD_PORTS[(setting.protocol, setting.security)]
    return setting.port


def _corrected(rec: Recommendation) -> bool:
    """True when the probe found the port or encryption that should be typed instead."""
    setting = rec.candidate.setting
    return (_fixed_port(rec), _fixed_security(rec)) != (setting.port, setting.security)


def _password(report: Report, rec: Recommendation, *, outgoing: bool) -> str:
    status = _login_status(rec)
    provider = report.provider
    special = status is LoginStatus.APP_PASSWORD_REQUIRED or (
        provider is not None and provider.status is ProviderStatus.PREPARATION
    )
    if any(f.id == "auth.oauth_only" and _about(f, rec.candidate.setting) for f in report.findings):
        return "none to type: sign in on the provider's web page when the mail app asks"
    if outgoing and special:
        return "the same app password as for incoming mail"
    if special:
        return "an app password (see below), not your normal password"
    if status is LoginStatus.WRONG_CREDENTIALS:
        return "your normal e-mail password (the one tested was rejected: retype it)"
    if outgoing:
        return "the same password as for incoming mail"
    return "your normal e-mail password"


def _username(report: Report, setting: ServerSetting) -> str:
    if setting.username:
        return setting.username
    if report.address:
        return report.address
    return "your full e-mail address (usually)"


def _settings_step(report: Report, rec: Recommendation, *, outgoing: bool) -> Step:
    setting = rec.candidate.setting
    kind = "Outgoing" if setting.protocol is Protocol.SMTP else "Incoming"
    service = setting.protocol.value.upper()
    auth_failed = rec.probe is not None and rec.probe.status is ProbeStatus.AUTH_FAILED
    if rec.verified or auth_failed or rec.verified is None:
        lead = f"{kind} mail: in the mail app choose {service} and type"
    elif _corrected(rec):
        lead = f"{kind} mail ({service}): with that change, the settings are"
    else:
        lead = f"{kind} mail ({service}): once it works, the settings are"
    fields = (
        ("Server", setting.host),
        ("Port", str(_fixed_port(rec))),
        ("Encryption", ENCRYPTION_NAMES[_fixed_security(rec)]),
        ("Username", _username(report, setting)),
        ("Password", _password(report, rec, outgoing=outgoing)),
    )
    return Step(lead, fields)


def _incoming(report: Report) -> Recommendation | None:
    imap, pop3 = report.recommended.get(Protocol.IMAP), report.recommended.get(Protocol.POP3)
    if _works(imap) or (imap is not None and not _works(pop3)):
        return imap
    return pop3


def _settings_steps(report: Report) -> list[Step]:
    steps: list[Step] = []
    incoming = _incoming(report)
    outgoing = report.recommended.get(Protocol.SMTP)
    if incoming is not None:
        steps.append(_settings_step(report, incoming, outgoing=False))
    if outgoing is not None:
        steps.append(_settings_step(report, outgoing, outgoing=incoming is not None))
    provider = report.provider
    password_special = any(
        _login_status(r) is LoginStatus.APP_PASSWORD_REQUIRED for r in report.recommended.values()
    ) or (provider is not None and provider.status is ProviderStatus.PREPARATION)
    if password_special and provider is not None:
        hint = f" The provider says: {provider.hints[0]}" if provider.hints else ""
        how = f" How: {provider.docs[0]}" if provider.docs else ""
        steps.append(Step(f"Make the app password first.{hint}{how}"))
    elif password_special:
        steps.append(
            Step("Make the app password first, in the security settings of the mail account.")
        )
    return steps


#: Login outcomes whose detail is the server's own reply (the others are mailprobe's words).
_SERVER_REPLIES = frozenset(
    {
        LoginStatus.WRONG_CREDENTIALS,
        LoginStatus.APP_PASSWORD_REQUIRED,
        LoginStatus.ACCOUNT_DISABLED,
    }
)


def _quote(rec: Recommendation) -> str | None:
    """The server's own words about the failure: its login reply, else its greeting."""
    probe = rec.probe
    if probe is None:
        return None
    if probe.login is not None and probe.login.status in _SERVER_REPLIES:
        words = server_words(probe.login.detail)
        if words:
            return words
    if probe.status in (ProbeStatus.RATE_LIMITED, ProbeStatus.PROTOCOL_ERROR):
        return server_words(probe.banner)
    return None


def _ask_step(report: Report) -> list[Step]:
    """What to ask the provider or administrator about the services that do not work."""
    failing = [r for r in report.recommended.values() if r is not None and r.verified is False]
    if not failing:
        return []
    rec = failing[0]
    setting = rec.candidate.setting
    provider = report.provider
    who = provider.name if provider is not None else "the provider or the mail administrator"
    service = setting.protocol.value.upper()
    if _login_status(rec) is LoginStatus.MECHANISM_MISSING:
        question = (
            f"Which way of signing in does {setting.host} accept from mail apps on port "
            f"{setting.port}?"
        )
    elif rec.probe is not None and rec.probe.status is ProbeStatus.AUTH_FAILED:
        account = f" for {report.address}" if report.address else ""
        question = (
            f"{setting.host} refuses my sign-in{account}: is the account active, and does "
            f"it need an app password?"
        )
    elif rec.probe is not None and rec.probe.status is ProbeStatus.RATE_LIMITED:
        question = (
            f"Why does {setting.host} turn away connections from my network, and when can "
            f"I try again?"
        )
    elif _corrected(rec):
        question = (
            f"Which port and encryption should a mail app use for {service} on {setting.host}?"
        )
    elif rec.probe is not None and rec.probe.cause is not None and rec.probe.cause.is_certificate:
        question = (
            f"Mail apps do not accept the security certificate of {setting.host} "
            f"(port {setting.port}): can you renew or fix it?"
        )
    else:
        question = (
            f"Is {service} on {setting.host} port {setting.port} with encryption "
            f"{_SHORT_NAMES[setting.security]} the right setting, and why does it fail?"
        )
    text = f'If it still does not work, ask {who}: "{question}"'
    quoted = _quote(rec)
    if quoted:
        text += f' The server said: "{quoted}"'
    return [Step(text)]


#: Why a published settings file could not be used, by the source's structured cause.
_SOURCE_WHY: Mapping[Cause, str] = MappingProxyType(
    {
        Cause.CERT_EXPIRED: "its security certificate has expired",
        Cause.CERT_NOT_YET_VALID: "its security certificate is not valid yet",
        Cause.CERT_SELF_SIGNED: "it uses a home-made security certificate",
        Cause.CERT_WRONG_NAME: "its security certificate is made out for a different name",
        Cause.CERT_UNTRUSTED: "its security certificate is not from a trusted issuer",
        Cause.CERT_INCOMPLETE_CHAIN: "its security certificate is incomplete",
        Cause.CERT_INVALID: "its security certificate could not be checked",
        Cause.HTTP_STATUS: "the web server answered with an error",
        Cause.REDIRECT_LOOP: "the web address sends visitors round in circles",
        Cause.INSECURE_HTTP: "it points to an unencrypted page, which could be forged",
        Cause.INVALID_DOCUMENT: "it is not a valid settings file",
        Cause.TOO_LARGE: "it is far too large to be a settings file",
        Cause.GARBAGE: "it is not a valid settings file",
        Cause.TIMEOUT: "the web server did not answer in time",
        Cause.REFUSED: "the web server could not be reached",
        Cause.UNREACHABLE: "the web server could not be reached",
    }
)
_PUBLISHING_SOURCES = (SourceId.AUTOCONFIG, SourceId.ISPDB, SourceId.AUTODISCOVER)


def _published_but_unusable(report: Report) -> list[Step]:
    """Why settings the domain publishes could not be used (first such source only)."""
    for outcome in report.sources:
        if outcome.source not in _PUBLISHING_SOURCES or outcome.status is not SourceStatus.ERROR:
            continue
        why = _SOURCE_WHY.get(outcome.cause) if outcome.cause is not None else None
        if why is None:
            continue
        what = {
            SourceId.AUTOCONFIG: f"The mail settings {report.domain} publishes",
            SourceId.ISPDB: f"The entry for {report.domain} in Thunderbird's settings list",
            SourceId.AUTODISCOVER: f"The Exchange settings service of {report.domain}",
        }[outcome.source]
        return [Step(f"{what} could not be used safely: {why}.")]
    return []


def _nothing_found_steps(report: Report) -> list[Step]:
    return [
        Step(f"No mail server settings could be found for {report.domain}."),
        *_published_but_unusable(report),
        Step(
            "Ask the provider or the mail administrator for the incoming and outgoing server "
            "names, their ports and the encryption to use (SSL/TLS or STARTTLS)."
        ),
    ]


def _provider_steps(report: Report) -> list[Step]:
    provider = report.provider
    if provider is None or provider.status is not ProviderStatus.BROKEN:
        return []
    text = f"{provider.name} does not work with ordinary mail apps: use its own app or webmail."
    if provider.docs:
        text += f" More: {provider.docs[0]}"
    return [Step(text)]


def _closing_step(report: Report) -> list[Step]:
    recs = [r for r in report.recommended.values() if r is not None]
    if not recs or not all(r.verified for r in recs):
        return []
    if any(_login_status(r) is LoginStatus.OK for r in recs):
        return []
    if any(f.id == "auth.oauth_only" for f in report.findings):
        return []
    return [
        Step(
            "The password itself was not tested: if the mail app rejects it, retype it "
            "(mailprobe --login tests it)."
        )
    ]


def explain_steps(report: Report) -> list[Step]:
    """The numbered steps for `report`, in order (the numbers are added when rendering)."""
    if not any(report.recommended.values()):
        return _provider_steps(report) + _nothing_found_steps(report)
    steps = _provider_steps(report)
    if report.probed:
        steps += _status_steps(report)
    else:
        steps.append(
            Step(
                "These settings come from published information only: no server was "
                "contacted, so they are not verified."
            )
        )
    steps += _change_steps(report)
    steps += _settings_steps(report)
    steps += _ask_step(report)
    steps += _closing_step(report)
    return steps


def plain_steps(report: Report) -> list[str]:
    """The steps as plain strings (a settings step holds its `Label: value` lines)."""
    return [step.plain() for step in explain_steps(report)]


def title(report: Report) -> str:
    """The heading: who the explanation is about."""
    who = report.address or report.domain
    if report.provider is not None:
        who += f" ({report.provider.name})"
    return f"{who}: what to do"


# --------------------------------------------------------------------------- renderers


def terminal_width() -> int:
    """COLUMNS if set, else the terminal's width, else 80 (piped), kept readable."""
    width = shutil.get_terminal_size((80, 24)).columns
    return max(MIN_WIDTH, min(MAX_WIDTH, width))


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def render_text(report: Report, width: int | None = None) -> str:
    """The steps numbered and wrapped to `width` columns (default: the terminal's)."""
    cols = width or terminal_width()
    steps = explain_steps(report)
    digits = len(str(len(steps)))
    out = [*_wrap(title(report), cols, "", ""), ""]
    label_width = max((len(label) for s in steps for label, _ in s.fields), default=0) + 2
    for number, step in enumerate(steps, start=1):
        mark = f"{number:>{digits}}. "
        indent = " " * len(mark)
        out += _wrap(step.text, cols, mark, indent)
        for label, value in step.fields:
            head = f"{indent}  {label + ':':<{label_width}}"
            out += _wrap(value, cols, head, " " * len(head))
    return "\n".join(out) + "\n"


def md_escape(text: str) -> str:
    """Text safe to put in Markdown (the same escaping as `--format markdown`)."""
    from mailprobe.render.markdown import escape

    return escape(text)


def render_markdown(report: Report, *, heading_level: int = 2) -> str:
    """The steps as a Markdown numbered list under a heading (setting fields as sub-items)."""
    out = [f"{'#' * heading_level} {md_escape(title(report))}", ""]
    for number, step in enumerate(explain_steps(report), start=1):
        out.append(f"{number}. {md_escape(step.text)}")
        for label, value in step.fields:
            literal = label in ("Server", "Username") and " " not in value and "`" not in value
            shown = f"`{value}`" if literal else md_escape(value)
            out.append(f"   - {label}: {shown}")
    return "\n".join(out) + "\n"


def write(report: Report, stream: IO[str], *, width: int | None = None) -> None:
    """Write the terminal explanation of `report` to `stream`."""
    stream.write(render_text(report, width))
