"""Findings about what the server offered in the session, and about the login test."""

from __future__ import annotations

from mailprobe.diagnose.catalogue import FindingId, Subject, detail, make_finding
from mailprobe.models import (
    Candidate,
    Finding,
    LoginStatus,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Security,
    Severity,
)

#: SASL mechanisms that need a web sign-in (OAuth 2.0) rather than a password.
OAUTH_MECHANISMS = frozenset({"XOAUTH2", "OAUTHBEARER", "XOAUTH"})

#: The SMTP port between mail servers, where STARTTLS is opportunistic and AUTH is not for apps.
RELAY_PORT = 25

_LOGIN_FINDINGS = {
    LoginStatus.OK: FindingId.LOGIN_OK,
    LoginStatus.WRONG_CREDENTIALS: FindingId.LOGIN_WRONG_CREDENTIALS,
    LoginStatus.APP_PASSWORD_REQUIRED: FindingId.LOGIN_APP_PASSWORD,
    LoginStatus.ACCOUNT_DISABLED: FindingId.LOGIN_ACCOUNT_DISABLED,
    LoginStatus.MECHANISM_MISSING: FindingId.LOGIN_MECHANISM_MISSING,
    LoginStatus.ERROR: FindingId.LOGIN_ERROR,
    LoginStatus.NOT_ATTEMPTED: FindingId.LOGIN_NOT_ATTEMPTED,
}


def _size_text(size: int) -> str:
    megabytes = size / (1024 * 1024)
    return f"{megabytes:.1f} MB" if megabytes < 10 else f"{megabytes:.0f} MB"


def _starttls(subject: Subject, probe: ProbeResult) -> Finding | None:
    security = subject.security
    if security is Security.TLS:
        return None
    offered = probe.starttls_offered
    if offered is None and probe.detected_security is Security.PLAIN:
        offered = False
    if offered is False:
        relay = subject.protocol is Protocol.SMTP and subject.port == RELAY_PORT
        fid = FindingId.STARTTLS_NOT_OFFERED_RELAY if relay else FindingId.STARTTLS_NOT_OFFERED
        return make_finding(fid, subject)
    if offered and security is Security.PLAIN:
        return make_finding(FindingId.SECURITY_PLAINTEXT_SETTING, subject)
    return None


def _before_tls(subject: Subject, probe: ProbeResult) -> Finding | None:
    if subject.security is Security.TLS:
        return None
    offered = [f"AUTH {' '.join(probe.auth_before_tls)}"] if probe.auth_before_tls else []
    if probe.plaintext_user_before_tls:
        offered.append("USER/PASS")
    if not offered:
        return None
    return make_finding(FindingId.AUTH_BEFORE_TLS, subject, offered=", ".join(offered))


def capability_findings(candidate: Candidate, probe: ProbeResult) -> tuple[Finding, ...]:
    """STARTTLS, logins offered before TLS, PREAUTH, LOGINDISABLED, OAuth-only, SMTP AUTH/SIZE."""
    setting = candidate.setting
    subject = Subject.of(setting)
    found = [f for f in (_starttls(subject, probe), _before_tls(subject, probe)) if f]
    if probe.preauth:
        severity = Severity.WARNING if setting.security is Security.TLS else Severity.ERROR
        found.append(make_finding(FindingId.IMAP_PREAUTH, subject, severity=severity))
    if probe.login_disabled:
        found.append(make_finding(FindingId.IMAP_LOGINDISABLED, subject))
    mechanisms = {m.upper() for m in probe.auth_mechanisms}
    if mechanisms and mechanisms <= OAUTH_MECHANISMS:
        offered = " ".join(sorted(mechanisms))
        found.append(make_finding(FindingId.AUTH_OAUTH_ONLY, subject, offered=offered))
    if setting.protocol is Protocol.SMTP:
        reached_auth = probe.tls is not None or setting.security is Security.PLAIN
        if (
            probe.status is ProbeStatus.OK
            and setting.port != RELAY_PORT
            and reached_auth
            and not mechanisms
        ):
            found.append(make_finding(FindingId.SMTP_NO_AUTH, subject))
        if probe.max_size:
            found.append(
                make_finding(
                    FindingId.SMTP_SIZE_LIMIT,
                    subject,
                    size=_size_text(probe.max_size),
                    attach=_size_text(probe.max_size * 3 // 4),
                )
            )
    return tuple(found)


def login_findings(candidate: Candidate, probe: ProbeResult) -> tuple[Finding, ...]:
    """The classified answer of the optional login test, and the SMTP sender check."""
    setting = candidate.setting
    subject = Subject.of(setting)
    login = probe.login
    if login is None:
        if probe.status is ProbeStatus.AUTH_FAILED:
            return (make_finding(FindingId.LOGIN_ERROR, subject, detail=detail(probe.reason)),)
        return ()
    fid = _LOGIN_FINDINGS[login.status]
    values: dict[str, str] = {"detail": detail(login.detail)}
    if fid is FindingId.LOGIN_OK:
        values = {"how": f" (using {login.mechanism})" if login.mechanism else ""}
    elif fid is FindingId.LOGIN_MECHANISM_MISSING:
        values["offered"] = " ".join(probe.auth_mechanisms) or "none"
    found = [make_finding(fid, subject, severity=None, **values)]
    if login.sender_ok is False:
        found.append(make_finding(FindingId.LOGIN_SENDER_REFUSED, subject, detail=""))
    return tuple(found)
