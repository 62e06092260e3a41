"""Every finding mailprobe can report: its stable id, default severity, and its words.

`FindingId` values are the dotted ids pipelines match on; they never change meaning.
`RULES` holds, for each id, when it is raised, a summary template and an advice template.
Templates are `str.format` strings; `make_finding` supplies `{service}`, `{host}`,
`{port}`, `{where}` (host and port) and `{mode}` (the security mode in the words mail apps
use), and the caller supplies the rest. Advice is written for a helpdesk person: what to
change in the mail app first, then what the server's operator must fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from mailprobe.models import STANDARD_PORTS, Finding, Protocol, Security, ServerSetting, Severity

#: Names of the security modes as mail apps label them.
MODE_NAMES: Mapping[Security, str] = MappingProxyType(
    {Security.TLS: "SSL/TLS", Security.STARTTLS: "STARTTLS", Security.PLAIN: "no encryption"}
)

#: Protocol names as people write them.
SERVICE_NAMES: Mapping[Protocol, str] = MappingProxyType(
    {Protocol.IMAP: "IMAP", Protocol.POP3: "POP3", Protocol.SMTP: "SMTP"}
)


class FindingId(StrEnum):
    """The stable ids of findings; see `RULES` for when each is raised and its words."""

    CONNECT_REFUSED = "connect.refused"
    CONNECT_UNREACHABLE = "connect.unreachable"
    CONNECT_TIMEOUT = "connect.timeout"
    CONNECT_NO_GREETING = "connect.no_greeting"
    CONNECT_RESET = "connect.reset"
    CONNECT_STALLED = "connect.stalled"
    CONNECT_GREETING_INCOMPLETE = "connect.greeting_incomplete"
    CONNECT_RATE_LIMITED = "connect.rate_limited"
    CONNECT_GREETING_SLOW = "connect.greeting_slow"
    DNS_NO_SUCH_HOST = "dns.no_such_host"
    DNS_LOOKUP_FAILED = "dns.lookup_failed"
    NET_IPV6_FAILS = "net.ipv6_fails"
    NET_ADDRESS_FAILS = "net.address_fails"
    MODE_EXPECTS_TLS = "mode.expects_tls"
    MODE_EXPECTS_STARTTLS = "mode.expects_starttls"
    MODE_EXPECTS_PLAIN = "mode.expects_plain"
    MODE_NOT_TLS = "mode.not_tls"
    PROTOCOL_WRONG_SERVICE = "protocol.wrong_service"
    PROTOCOL_UNEXPECTED = "protocol.unexpected_reply"
    PROTOCOL_HTTP = "protocol.http_answer"
    STARTTLS_NOT_OFFERED = "starttls.not_offered"
    STARTTLS_NOT_OFFERED_RELAY = "starttls.not_offered_relay"
    STARTTLS_INJECTION = "starttls.injection"
    SECURITY_PLAINTEXT_SETTING = "security.plaintext_setting"
    AUTH_BEFORE_TLS = "auth.before_tls"
    AUTH_OAUTH_ONLY = "auth.oauth_only"
    SMTP_NO_AUTH = "smtp.no_auth"
    SMTP_SIZE_LIMIT = "smtp.size_limit"
    IMAP_PREAUTH = "imap.preauth"
    IMAP_LOGINDISABLED = "imap.logindisabled"
    TLS_OLD_VERSION = "tls.old_version"
    TLS_OLD_VERSION_ACCEPTED = "tls.old_version_accepted"
    TLS_HANDSHAKE_FAILED = "tls.handshake_failed"
    TLS_HANDSHAKE_TIMEOUT = "tls.handshake_timeout"
    CERT_EXPIRED = "tls.cert.expired"
    CERT_EXPIRING = "tls.cert.expiring"
    CERT_NOT_YET_VALID = "tls.cert.not_yet_valid"
    CERT_WRONG_NAME = "tls.cert.wrong_name"
    CERT_SELF_SIGNED = "tls.cert.self_signed"
    CERT_UNTRUSTED = "tls.cert.untrusted"
    CERT_INCOMPLETE_CHAIN = "tls.cert.incomplete_chain"
    CERT_INVALID = "tls.cert.invalid"
    LOGIN_OK = "login.ok"
    LOGIN_WRONG_CREDENTIALS = "login.wrong_credentials"
    LOGIN_APP_PASSWORD = "login.app_password_required"  # noqa: S105 - an id, not a secret
    LOGIN_ACCOUNT_DISABLED = "login.account_disabled"
    LOGIN_MECHANISM_MISSING = "login.mechanism_missing"
    LOGIN_ERROR = "login.error"
    LOGIN_NOT_ATTEMPTED = "login.not_attempted"
    LOGIN_SENDER_REFUSED = "login.sender_refused"
    PROBE_SKIPPED = "probe.skipped"
    SERVICE_NO_WORKING_ENDPOINT = "service.no_working_endpoint"
    SERVICE_NOT_TESTED = "service.not_tested"
    SERVICE_STARTTLS_ONLY = "service.starttls_only"
    SERVICE_PLAINTEXT_ONLY = "service.plaintext_only"
    DISCOVERY_NOTHING_FOUND = "discovery.nothing_found"
    DISCOVERY_SOURCES_DISAGREE = "discovery.sources_disagree"
    DISCOVERY_UNTRUSTED_FOREIGN_HOST = "discovery.untrusted_foreign_host"
    DISCOVERY_PLAINTEXT_ONLY = "discovery.plaintext_only"
    DISCOVERY_NOT_OFFERED = "discovery.not_offered"
    DISCOVERY_SOURCE_WARNINGS = "discovery.source_warnings"
    DISCOVERY_TOO_MANY_SERVERS = "discovery.too_many_servers"
    PROVIDER_BROKEN = "provider.broken"
    PROVIDER_PREPARATION = "provider.preparation"
    PROVIDER_HINT = "provider.hint"


@dataclass(frozen=True)
class Rule:
    """How one finding reads: default severity, when it is raised, and its templates."""

    severity: Severity
    when: str
    summary: str
    advice: str


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO
_OTHER_NETWORK = (
    "Try from another network (for example a phone's mobile hotspot): if it works there, "
    "the network you are on blocks it."
)

RULES: Mapping[FindingId, Rule] = MappingProxyType(
    {
        FindingId.CONNECT_REFUSED: Rule(
            _E,
            "the TCP connection was refused (nothing listens on the port, or a firewall "
            "rejects it)",
            "{host} refused the connection on port {port} ({service}, {mode}).",
            "Nothing accepts {service} connections on port {port} at {host}. Check the port "
            "number in the mail app. If you run this server, make sure the {service} service "
            "is running and listening on port {port}, and that no firewall rejects it.",
        ),
        FindingId.CONNECT_UNREACHABLE: Rule(
            _E,
            "the network has no route to the server's address",
            "{host} port {port} ({service}, {mode}) cannot be reached from here: {reason}.",
            "This computer has no network path to {host}. Check that it is online; if the "
            "address is IPv6, the network you are on may not support IPv6. " + _OTHER_NETWORK,
        ),
        FindingId.CONNECT_TIMEOUT: Rule(
            _E,
            "no TCP connection could be made before the timeout (filtered or down)",
            "No connection to {host} on port {port} ({service}, {mode}): {reason}.",
            "Something silently drops connections to port {port}, usually a firewall, or the "
            "server is down or very slow. " + _OTHER_NETWORK + "{port_note} A slow server "
            "may answer with a longer --timeout.",
        ),
        FindingId.CONNECT_NO_GREETING: Rule(
            _E,
            "the TCP connection was made but the server never sent its greeting",
            "{host} accepted the connection on port {port} but never sent the {service} "
            "greeting (mode: {mode}).",
            "The server may be overloaded or deliberately slow to answer. If the mail app "
            "uses {mode} on port {port}, check that this is the mode the provider documents "
            "for this port. If you run the server, look at its log and load.",
        ),
        FindingId.CONNECT_RESET: Rule(
            _E,
            "the server or something in between closed the connection unexpectedly",
            "{host} port {port} ({service}, {mode}) closed the connection unexpectedly: {reason}.",
            "The server, a firewall, or antivirus software cut the connection. Servers do this "
            "when they block the sender's network address, are overloaded, or expect a "
            "different security mode. Try again later or from another network. If you run the "
            "server, its log for this moment says why.",
        ),
        FindingId.CONNECT_STALLED: Rule(
            _E,
            "the server greeted but stopped answering later in the session",
            "{host} port {port} ({service}, {mode}) stopped answering after its greeting: "
            "{reason}.",
            "The server may be overloaded, or a firewall or antivirus program interferes once "
            "the conversation starts (STARTTLS is a common victim). Try again, and from "
            "another network; if you run the server, check its log for this moment.",
        ),
        FindingId.CONNECT_GREETING_INCOMPLETE: Rule(
            _E,
            "the server began its greeting but did not finish it in time",
            "{host} port {port} ({service}, {mode}) began its greeting but never finished it: "
            "{reason}.",
            "The server keeps sending greeting lines without the final one, or stops in the "
            "middle: it is broken, overloaded or not a normal {service} server. If you run "
            "it, check its configuration and log; otherwise tell the provider.",
        ),
        FindingId.CONNECT_RATE_LIMITED: Rule(
            _W,
            "the server turned the connection away for now (SMTP 421, IMAP/POP3 busy)",
            "{host} port {port} ({service}, {mode}) turned mailprobe away for now: {reason}.",
            "The server limits how many connections it accepts; this says nothing about the "
            "settings themselves. Wait a few minutes and try again. If it keeps happening, "
            "this network's public address may be on a block list.",
        ),
        FindingId.CONNECT_GREETING_SLOW: Rule(
            _I,
            "the greeting came more than 5 s after connecting (warning beyond 15 s)",
            "{host} port {port} ({service}, {mode}) took {seconds} s to send its greeting.",
            "Some servers wait on purpose before greeting, to slow down spam robots. Mail "
            "apps with a short timeout may give up first: if the app reports timeouts, raise "
            "its timeout. If you run the server and did not configure a delay, check its load "
            "and its DNS lookups (a slow reverse lookup often causes this).",
        ),
        FindingId.DNS_NO_SUCH_HOST: Rule(
            _E,
            "the server name does not exist or has no address",
            "The server name {host} does not resolve to an address ({reason}); {service} on "
            "port {port} ({mode}) cannot be used.",
            "Check the spelling of the server name in the mail app. If this is your own "
            "domain, add an address record (A or AAAA) for {host}.",
        ),
        FindingId.DNS_LOOKUP_FAILED: Rule(
            _E,
            "the DNS lookup of the server name failed (timeout, SERVFAIL, refused)",
            "Looking up the server name {host} failed ({reason}); {service} on port {port} "
            "({mode}) could not be tested.",
            "The DNS servers in use did not answer properly. Check the network connection "
            "and try again; if other names work, the domain's DNS servers may be broken.",
        ),
        FindingId.NET_IPV6_FAILS: Rule(
            _W,
            "an IPv6 address of the server failed while an IPv4 address worked",
            "{host} port {port} ({service}, {mode}) fails over IPv6 ({failed}) while IPv4 "
            "({ip}) works.",
            "Devices that try IPv6 first may be slow to connect or fail, depending on the "
            "network. If you run the server, make it answer on its IPv6 address or remove the "
            "AAAA record for {host}; otherwise tell the provider.",
        ),
        FindingId.NET_ADDRESS_FAILS: Rule(
            _W,
            "one of the server's addresses failed while another worked",
            "{host} port {port} ({service}, {mode}) fails on some of its addresses "
            "({failed}) while {ip} works.",
            "Clients that pick a failing address will see errors or delays. If you run the "
            "server, fix or remove the address records that do not answer.",
        ),
        FindingId.MODE_EXPECTS_TLS: Rule(
            _E,
            "the setting uses STARTTLS or no encryption, but the port expects TLS from the "
            "first byte",
            "Port {port} on {host} expects SSL/TLS from the start, not {asked}.",
            "In the mail app, set the {service} security to SSL/TLS for port {port}. "
            "STARTTLS belongs on port {starttls_port} instead.",
        ),
        FindingId.MODE_EXPECTS_STARTTLS: Rule(
            _E,
            "the setting uses SSL/TLS, but the port starts in plain text and offers STARTTLS",
            "Port {port} on {host} speaks STARTTLS: choose STARTTLS, not {mode}.",
            "In the mail app, set the {service} security to STARTTLS for port {port}. To keep "
            "SSL/TLS (encrypted from the first byte), use port {tls_port} instead.",
        ),
        FindingId.MODE_EXPECTS_PLAIN: Rule(
            _E,
            "the setting uses SSL/TLS, but the port speaks unencrypted only",
            "Port {port} on {host} does not speak {mode}: it answers unencrypted and offers "
            "no STARTTLS.",
            "Do not send a password over this port. Ask the provider which port offers "
            "{service} with SSL/TLS (usually {tls_port}) or STARTTLS (usually "
            "{starttls_port}).",
        ),
        FindingId.MODE_NOT_TLS: Rule(
            _E,
            "the setting uses SSL/TLS, but the server answered the TLS handshake with "
            "something that is not TLS, and what it speaks could not be learned",
            "Port {port} on {host} does not answer with SSL/TLS ({service}, {mode}): {reason}.",
            "Check the port and security mode in the mail app: for {service} the usual ports "
            "are {tls_port} (SSL/TLS) and {starttls_port} (STARTTLS). mailprobe could not tell "
            "what this port speaks instead, so it names no other mode.",
        ),
        FindingId.PROTOCOL_WRONG_SERVICE: Rule(
            _E,
            "the server on the port speaks a different mail protocol than expected",
            "{host} port {port} answers with {detected}, not {service} (mode: {mode}).",
            "The port number belongs to {detected}. For {service} the usual ports are "
            "{tls_port} (SSL/TLS) and {starttls_port} (STARTTLS): correct the port in the "
            "mail app.",
        ),
        FindingId.PROTOCOL_UNEXPECTED: Rule(
            _E,
            "the server's answer does not follow the expected mail protocol",
            "Unexpected answer from {host} port {port} ({service}, {mode}): {reason}.",
            "Another kind of service may listen on this port, or a proxy or antivirus "
            "program interferes with mail traffic. Check the port number: for {service} the "
            "usual ports are {tls_port} (SSL/TLS) and {starttls_port} (STARTTLS).",
        ),
        FindingId.PROTOCOL_HTTP: Rule(
            _E,
            "the server on the port answered with HTTP: a web server, not a mail server",
            "{host} port {port} answers with HTTP, not {service} (mode: {mode}): {reason}.",
            "A web server (or a web proxy) listens on this port. Correct the port in the mail "
            "app: for {service} the usual ports are {tls_port} (SSL/TLS) and {starttls_port} "
            "(STARTTLS). If you run the server, check which service the port is forwarded to.",
        ),
        FindingId.STARTTLS_INJECTION: Rule(
            _E,
            "plain text arrived together with the STARTTLS go-ahead (response injection, "
            "CVE-2011-0411 class); the session was abandoned before anything was sent",
            "{host} port {port} ({service}, {mode}) sent {size} byte(s) of plain text "
            "together with its go-ahead for STARTTLS: someone may be injecting answers "
            "into the connection.",
            "Nothing from this session was trusted and no password was sent. Plain text "
            "that arrives with the STARTTLS go-ahead would be read as if it came over TLS "
            "(CVE-2011-0411): a man in the middle can use it to fake the server's answers. "
            "Try from another network; if it happens there too, tell the server's operator, "
            "whose server (or a proxy or filter in front of it) is broken or compromised.",
        ),
        FindingId.STARTTLS_NOT_OFFERED: Rule(
            _E,
            "a STARTTLS or unencrypted setting on a port that does not offer STARTTLS",
            "{host} port {port} ({service}, set to {mode}) does not offer STARTTLS, so "
            "nothing there is encrypted.",
            "The password and mail would cross the network readable by others. Use SSL/TLS "
            "on port {tls_port} if the server has it. If you run the server, enable STARTTLS "
            "with a valid certificate.",
        ),
        FindingId.STARTTLS_NOT_OFFERED_RELAY: Rule(
            _W,
            "SMTP on port 25 (server-to-server) without STARTTLS",
            "{host} port {port} (SMTP, {mode}) does not offer STARTTLS: mail from other "
            "servers arrives unencrypted.",
            "Mail apps should not use port 25 anyway (use 587 with STARTTLS or 465 with "
            "SSL/TLS). If you run this server, enable STARTTLS so other servers can deliver "
            "mail to it encrypted.",
        ),
        FindingId.SECURITY_PLAINTEXT_SETTING: Rule(
            _W,
            "an unencrypted setting on a port that does offer STARTTLS",
            "The setting for {host} port {port} uses {mode}, although the server offers "
            "STARTTLS there.",
            "Set the {service} security in the mail app to STARTTLS (or SSL/TLS on port "
            "{tls_port}) so the password is not sent readable.",
        ),
        FindingId.AUTH_BEFORE_TLS: Rule(
            _W,
            "login (AUTH mechanisms or POP3 USER) is offered before encryption starts",
            "{host} port {port} ({service}, {mode}) accepts a login before encryption has "
            "started ({offered}).",
            "A mail app set to 'no encryption' would send the password readable. Make sure "
            "the app uses STARTTLS or SSL/TLS. If you run the server, allow logins only after "
            "TLS (Dovecot: disable_plaintext_auth = yes; Postfix: smtpd_tls_auth_only = yes).",
        ),
        FindingId.AUTH_OAUTH_ONLY: Rule(
            _W,
            "the only login methods offered are OAuth (XOAUTH2, OAUTHBEARER)",
            "{host} port {port} ({service}, {mode}) only accepts sign-in through the "
            "provider's web login ({offered}).",
            "An ordinary password will not work here. Use a mail app that supports signing "
            "in with this provider's account page (OAuth), or ask the provider whether app "
            "passwords are available.",
        ),
        FindingId.SMTP_NO_AUTH: Rule(
            _W,
            "an SMTP submission port that offers no login at all",
            "{host} port {port} (SMTP, {mode}) offers no login, so it will not accept mail "
            "from a mail app outside the provider's own network.",
            "Use the provider's submission port instead (587 with STARTTLS or 465 with "
            "SSL/TLS). If you run the server, enable SMTP AUTH on this port.",
        ),
        FindingId.SMTP_SIZE_LIMIT: Rule(
            _I,
            "the SMTP server announces a maximum message size (SIZE)",
            "{host} port {port} (SMTP, {mode}) accepts messages up to {size}.",
            "Messages with attachments larger than about {attach} (attachments grow by a "
            "third when sent) will be refused; share larger files by link.",
        ),
        FindingId.IMAP_PREAUTH: Rule(
            _E,
            "the IMAP greeting is PREAUTH (logged in without a password); warning under "
            "SSL/TLS, error otherwise",
            "{host} port {port} (IMAP, {mode}) logs every connection in without a password "
            "(PREAUTH).",
            "Anyone who can reach this port gets into a mailbox without a password, and "
            "STARTTLS can no longer be started, so the session stays unencrypted. Unless this "
            "is a deliberate local setup, the server's operator must turn this off.",
        ),
        FindingId.IMAP_LOGINDISABLED: Rule(
            _I,
            "the IMAP server refuses passwords until encryption is on (LOGINDISABLED)",
            "{host} port {port} (IMAP, {mode}) refuses passwords until the connection is "
            "encrypted (LOGINDISABLED): good.",
            "Nothing to do: this protects the password. The mail app must use STARTTLS or "
            "SSL/TLS, or login will fail.",
        ),
        FindingId.TLS_OLD_VERSION: Rule(
            _E,
            "the server only speaks TLS 1.1 or older",
            "{host} port {port} ({service}, {mode}) offers only {version}, older than TLS 1.2.",
            "TLS 1.0 and 1.1 are retired: current mail apps refuse them, so connections fail "
            "or are weakly protected. The server's operator must enable TLS 1.2 or 1.3.",
        ),
        FindingId.TLS_OLD_VERSION_ACCEPTED: Rule(
            _W,
            "the server speaks TLS 1.2 or newer but still accepts TLS 1.1 or older",
            "{host} port {port} ({service}, {mode}) still accepts {version} besides TLS 1.2 "
            "or newer.",
            "Current mail apps use the newer version, so nothing breaks. Old devices may fall "
            "back to the weak version; the server's operator should switch TLS 1.0 and 1.1 "
            "off (Postfix: smtpd_tls_protocols = >=TLSv1.2).",
        ),
        FindingId.TLS_HANDSHAKE_FAILED: Rule(
            _E,
            "the TLS handshake failed for a reason not covered by a more precise finding",
            "The encrypted connection to {host} port {port} ({service}, {mode}) could not be "
            "set up: {reason}.",
            "The server and this computer could not agree on encryption. Check the security "
            "mode and port in the mail app. If you run the server, check its TLS "
            "configuration and certificate files.",
        ),
        FindingId.TLS_HANDSHAKE_TIMEOUT: Rule(
            _E,
            "the TCP connection was made but the TLS handshake did not complete in time",
            "{host} port {port} ({service}, {mode}) accepted the connection but did not "
            "complete the TLS handshake: {reason}.",
            "The server may be overloaded, or a firewall, proxy or antivirus program holds "
            "encrypted connections. Try again, and from another network. If you run the "
            "server, check that TLS is configured on this port and look at its log.",
        ),
        FindingId.CERT_EXPIRED: Rule(
            _E,
            "the server certificate has expired",
            "The certificate of {host} port {port} ({service}, {mode}) expired{when}.",
            "Mail apps will refuse the connection or show a warning; do not accept such a "
            "warning. The server's operator must renew the certificate (and reload the mail "
            "service afterwards).",
        ),
        FindingId.CERT_EXPIRING: Rule(
            _W,
            "the server certificate expires within the warning period "
            "(30 days by default, --cert-warn-days)",
            "The certificate of {host} port {port} ({service}, {mode}) expires on {date}, in "
            "{days} days.",
            "Nothing breaks yet. The server's operator should renew it before then, and check "
            "that automatic renewal (if any) also reloads the mail service.",
        ),
        FindingId.CERT_NOT_YET_VALID: Rule(
            _E,
            "the server certificate is not valid yet",
            "The certificate of {host} port {port} ({service}, {mode}) is not valid yet.",
            "Check that this computer's date and time are right. If they are, the server's "
            "operator installed a certificate too early or its clock is wrong.",
        ),
        FindingId.CERT_WRONG_NAME: Rule(
            _E,
            "the server certificate does not cover the host name used",
            "The certificate of {host} port {port} ({service}, {mode}) is not valid for "
            "the name {host}{names}.",
            "Mail apps will warn or refuse. Check the server name in the mail app: the "
            "provider may expect one of the names the certificate covers. If you run the "
            "server, install a certificate that includes {host}.",
        ),
        FindingId.CERT_SELF_SIGNED: Rule(
            _E,
            "the server certificate is self-signed",
            "{host} port {port} ({service}, {mode}) uses a self-signed certificate, not one "
            "from a trusted authority.",
            "Mail apps will warn. Accept the warning only if the server's operator confirms "
            "the certificate is theirs. Operators: use a certificate from a public authority "
            "(Let's Encrypt is free). For an internal authority, run mailprobe with "
            "--ca-file.",
        ),
        FindingId.CERT_UNTRUSTED: Rule(
            _E,
            "the certificate was issued by an authority this computer does not trust",
            "The certificate of {host} port {port} ({service}, {mode}) comes from an "
            "authority this computer does not trust{issuer}.",
            "If your organisation runs its own authority, give its certificate to mailprobe "
            "with --ca-file and install it on the devices. Otherwise the server needs a "
            "publicly trusted certificate. This can also mean something (antivirus, company "
            "proxy) intercepts the connection.",
        ),
        FindingId.CERT_INCOMPLETE_CHAIN: Rule(
            _E,
            "the server does not send the intermediate certificates of its chain",
            "{host} port {port} ({service}, {mode}) sends its certificate without the "
            "intermediate certificates needed to check it.",
            "Some mail apps fill the gap themselves, others refuse to connect. The server's "
            "operator must configure the full chain (often a file named fullchain.pem) "
            "instead of the certificate alone.",
        ),
        FindingId.CERT_INVALID: Rule(
            _E,
            "certificate verification failed for a reason not covered above",
            "The certificate of {host} port {port} ({service}, {mode}) could not be "
            "verified: {reason}.",
            "Mail apps will warn or refuse. The server's operator should check the "
            "certificate and its chain.",
        ),
        FindingId.LOGIN_OK: Rule(
            _I,
            "the optional login test succeeded",
            "Login to {host} port {port} ({service}, {mode}) worked{how}.",
            "The user name and password are right for {service}.",
        ),
        FindingId.LOGIN_WRONG_CREDENTIALS: Rule(
            _E,
            "the server rejected the user name or password",
            "Login to {host} port {port} ({service}, {mode}) was rejected: wrong user name "
            "or password{detail}.",
            "Check the user name (often the full e-mail address) and retype the password. If "
            "it works in the provider's webmail but not here, the provider may require an "
            "app password or need mail-app access enabled.",
        ),
        FindingId.LOGIN_APP_PASSWORD: Rule(
            _E,
            "the provider wants an app password or a web sign-in instead of the password",
            "Login to {host} port {port} ({service}, {mode}) needs an app password or a web "
            "sign-in{detail}.",
            "The normal password is not accepted by mail apps for this account (usually "
            "because two-step verification is on). Create an app password in the provider's "
            "account security settings and use it in the mail app.",
        ),
        FindingId.LOGIN_ACCOUNT_DISABLED: Rule(
            _E,
            "the account is disabled, locked, or not allowed to use this service",
            "Login to {host} port {port} ({service}, {mode}) was refused: the account is "
            "disabled or not allowed to use {service}{detail}.",
            "Sign in to the provider's webmail to see whether the account is locked, and "
            "check its settings for an option to allow {service} access; otherwise contact "
            "the provider.",
        ),
        FindingId.LOGIN_MECHANISM_MISSING: Rule(
            _E,
            "the server offers no login method mailprobe can use with a password",
            "{host} port {port} ({service}, {mode}) offers no password login mailprobe could "
            "use (offered: {offered}).",
            "If only OAuth methods are offered, use a mail app that supports the provider's "
            "web sign-in. If none are offered before encryption, use STARTTLS or SSL/TLS.",
        ),
        FindingId.LOGIN_ERROR: Rule(
            _W,
            "the login test ended without a clear answer",
            "The login test on {host} port {port} ({service}, {mode}) gave no clear "
            "answer{detail}.",
            "Try again; if it persists, test the login in a mail app and read its message.",
        ),
        FindingId.LOGIN_NOT_ATTEMPTED: Rule(
            _I,
            "a login test was asked for but not tried on this endpoint",
            "Login was not tried on {host} port {port} ({service}, {mode}){detail}.",
            "mailprobe sends a password only over encryption and only to servers that a "
            "trusted source or you named. Test the recommended setting instead.",
        ),
        FindingId.LOGIN_SENDER_REFUSED: Rule(
            _W,
            "after login, the SMTP server refused the address as sender",
            "After login, {host} port {port} (SMTP, {mode}) refused the account's address as "
            "the sender{detail}.",
            "This account may not send mail from that address. Check that the mail app's "
            "address matches the account, or ask the provider to allow it as a sender.",
        ),
        FindingId.PROBE_SKIPPED: Rule(
            _I,
            "the endpoint was not tested",
            "{host} port {port} ({service}, {mode}) was not tested{detail}.",
            "Nothing was checked here; the setting may still work.",
        ),
        FindingId.SERVICE_NO_WORKING_ENDPOINT: Rule(
            _E,
            "no endpoint of the service worked",
            "No working {service} server was found (tried: {tried}).",
            "{why}",
        ),
        FindingId.SERVICE_NOT_TESTED: Rule(
            _I,
            "every endpoint of the service was skipped",
            "No {service} server was tested ({tried}).",
            "The settings may still work; they were not checked from here.",
        ),
        FindingId.SERVICE_STARTTLS_ONLY: Rule(
            _I,
            "the service works only with STARTTLS, no implicit-TLS port works",
            "{service} works only with STARTTLS ({where}); no SSL/TLS port worked.",
            "STARTTLS is fine to use. Encryption from the first byte (SSL/TLS, port "
            "{tls_port}) is preferred (RFC 8314) because nothing can strip it; if you run "
            "the server, consider offering it too.",
        ),
        FindingId.SERVICE_PLAINTEXT_ONLY: Rule(
            _E,
            "the service works only without encryption",
            "{service} works only unencrypted ({where}); no SSL/TLS or STARTTLS setting worked.",
            "The password and mail would cross the network readable. Ask the provider for an "
            "encrypted setting; if you run the server, enable SSL/TLS on port {tls_port}.",
        ),
        FindingId.DISCOVERY_NOTHING_FOUND: Rule(
            _E,
            "no source found any server setting for the domain",
            "No mail server settings were found for {domain}.",
            "{why} Ask the provider for the server names and ports, then check them with "
            "`mailprobe probe HOST:PORT --protocol imap|pop3|smtp`.",
        ),
        FindingId.DISCOVERY_SOURCES_DISAGREE: Rule(
            _W,
            "two trusted sources list endpoints (host and port) for one protocol with none "
            "in common",
            "Trusted sources disagree about the {service} server for {domain}: {claims}.",
            "One of them is probably outdated. The recommended setting follows the usual "
            "order of sources; if it does not work, try the other. Domain owners: update the "
            "outdated source.",
        ),
        FindingId.DISCOVERY_UNTRUSTED_FOREIGN_HOST: Rule(
            _W,
            "a server outside the address's domain and its provider, named only by untrusted "
            "sources",
            "{host} ({endpoints}) lies outside {domain} and its provider's domains, and "
            "only untrusted sources name it ({sources}).",
            "mailprobe will not send a password to it. Before entering a password in a mail "
            "app, confirm with the provider that {host} really is their server: a forged DNS "
            "answer or unencrypted web page could point you to someone else's.",
        ),
        FindingId.DISCOVERY_PLAINTEXT_ONLY: Rule(
            _W,
            "a source lists only unencrypted settings for a protocol (info when another "
            "source offers an encrypted one)",
            "{source} lists only unencrypted {service} settings for {domain} ({where}).",
            "{why}",
        ),
        FindingId.DISCOVERY_NOT_OFFERED: Rule(
            _I,
            "DNS says a service is deliberately not offered (SRV target '.')",
            "{domain} states in DNS ({origin}) that {service} with {mode} is not offered.",
            "{why}",
        ),
        FindingId.DISCOVERY_SOURCE_WARNINGS: Rule(
            _W,
            "a source read settings with problems it could work around (a skipped server "
            "section, an unusable value)",
            "{source} has {count} problem(s): {problems}.",
            "mailprobe used what it could read. Mail apps may be less forgiving: whoever "
            "publishes it (for the domain's own autoconfig file, the domain's administrator) "
            "should correct the entries named here.",
        ),
        FindingId.DISCOVERY_TOO_MANY_SERVERS: Rule(
            _W,
            "a source named more server settings than mailprobe takes from one source",
            "{source} named {total} server settings; only the first {kept} were kept.",
            "No real provider needs that many. The list is probably broken or hostile; its "
            "publisher should trim it to the servers mail apps should use.",
        ),
        FindingId.PROVIDER_BROKEN: Rule(
            _E,
            "the provider database marks the provider as not usable with ordinary mail apps",
            "{name} does not work with ordinary mail apps{hints}.",
            "Use the provider's own app or webmail, or its bridge software if it has one.{docs}",
        ),
        FindingId.PROVIDER_PREPARATION: Rule(
            _W,
            "the provider needs a setting changed or an app password before mail apps work",
            "{name} needs preparation before mail apps work{hints}.",
            "Do this once in the provider's web settings, then set up the mail app.{docs}",
        ),
        FindingId.PROVIDER_HINT: Rule(
            _I,
            "the provider database has a hint for this provider",
            "{name}: {hints}",
            "Keep this in mind when setting up the mail app.{docs}",
        ),
    }
)


@dataclass(frozen=True)
class Subject:
    """What a finding is about: a service endpoint, or only a protocol or nothing."""

    protocol: Protocol | None = None
    host: str | None = None
    port: int | None = None
    security: Security | None = None

    @classmethod
    def of(cls, setting: ServerSetting) -> Subject:
        """The subject for one endpoint setting."""
        return cls(setting.protocol, setting.host, setting.port, setting.security)


def make_finding(
    fid: FindingId, subject: Subject, *, severity: Severity | None = None, **values: object
) -> Finding:
    """Build a finding from its rule, filling the templates with the subject and `values`.

    A template naming a value nobody supplied is a bug and raises KeyError.
    """
    rule = RULES[fid]
    protocol = subject.protocol
    fields: dict[str, object] = {
        "service": SERVICE_NAMES[protocol] if protocol else "mail",
        "host": subject.host or "",
        "port": subject.port if subject.port is not None else "",
        "where": f"{subject.host} port {subject.port}" if subject.host else "",
        "mode": MODE_NAMES[subject.security] if subject.security else "",
        "tls_port": STANDARD_PORTS[(protocol, Security.TLS)] if protocol else "",
        "starttls_port": STANDARD_PORTS[(protocol, Security.STARTTLS)] if protocol else "",
    }
    fields.update(values)
    return Finding(
        id=fid.value,
        severity=severity or rule.severity,
        summary=rule.summary.format_map(fields),
        advice=rule.advice.format_map(fields),
        protocol=subject.protocol,
        host=subject.host,
        port=subject.port,
    )


_SPACES = re.compile(r"[\s\x00-\x1f\x7f]+")


def clip(text: str, limit: int = 160) -> str:
    """Server-supplied text made safe to quote: one line, no control characters, bounded."""
    flat = _SPACES.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


def detail(text: str | None) -> str:
    """`": text"` (clipped) to append to a summary, or an empty string."""
    return f": {clip(text)}" if text and text.strip() else ""


def listing(items: list[str], limit: int = 4) -> str:
    """Items joined with "; ", the tail summarised as "and N more"."""
    shown = "; ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown}; and {len(items) - limit} more"
