"""Write `ClientSettings` as Thunderbird autoconfig XML, an Apple profile, or JSON.

Each writer says in its own way whether the settings were verified with live probes: an
XML comment, the profile's PayloadDescription (and a `MailprobeVerified` key), a JSON
field. No writer ever includes a password.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from mailprobe.export.settings import ClientSettings, ExportServer
from mailprobe.models import Protocol, ProviderStatus, Security
from mailprobe.providers.export import export_autoconfig
from mailprobe.providers.model import AuthMethod, Provider, ServerEntry
from mailprobe.version import __version__

#: Namespace of the profile UUIDs: uuid5(URL namespace, "https://mailprobe.invalid/profile").
PROFILE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://mailprobe.invalid/profile")
#: Prefix of every PayloadIdentifier mailprobe writes (reverse-DNS, as Apple asks).
IDENTIFIER_PREFIX = "invalid.mailprobe.mail"

_VERIFIED = "verified by mailprobe {version}: each server answered a live test connection"
_UNVERIFIED = (
    "NOT verified: these settings come from discovery alone (mailprobe {version} ran "
    "without testing the servers); check them with `mailprobe check {address}`"
)


def verification_note(settings: ClientSettings) -> str:
    """One sentence saying whether (and how) the settings were verified."""
    template = _VERIFIED if settings.verified else _UNVERIFIED
    return template.format(version=__version__, address=settings.address)


# --------------------------------------------------------------------------- thunderbird


def _placeholder(username: str, settings: ClientSettings) -> str:
    """The username as a config-v1.1 placeholder where it follows from the address."""
    if username == settings.address:
        return "%EMAILADDRESS%"
    if username == settings.local:
        return "%EMAILLOCALPART%"
    return username


def _auth(server: ExportServer) -> tuple[AuthMethod, ...]:
    known = {m.value: m for m in AuthMethod}
    methods = tuple(known[a] for a in server.auth if a in known)
    return methods or (AuthMethod.PASSWORD_CLEARTEXT,)


def to_thunderbird(settings: ClientSettings) -> str:
    """config-v1.1 XML a domain administrator can serve at autoconfig.DOMAIN.

    Usernames that are the address or its local part become placeholders, so the file
    works for every mailbox of the domain.
    """
    servers = [*settings.incoming, *([settings.outgoing] if settings.outgoing else [])]
    provider = Provider(
        id=settings.domain,
        name=settings.display_name,
        status=ProviderStatus.OK,
        domains=(settings.domain,),
        servers=tuple(
            ServerEntry(
                protocol=s.protocol,
                host=s.host,
                port=s.port,
                security=s.security,
                username=_placeholder(s.username, settings),
                auth=_auth(s),
            )
            for s in servers
        ),
        docs=settings.docs,
    )
    body = export_autoconfig(provider, (settings.domain,))
    declaration, _, rest = body.partition("\n")
    comment = re.sub(r"-{2,}", "-", verification_note(settings))  # "--" would end it
    return f"{declaration}\n<!-- {comment} -->\n{rest}"


# --------------------------------------------------------------------------- Apple profile


def profile_uuids(address: str) -> tuple[str, str]:
    """The (profile, mail payload) UUIDs for `address`: stable, derived with uuid5."""
    key = address.lower()
    profile = uuid.uuid5(PROFILE_NAMESPACE, f"profile:{key}")
    payload = uuid.uuid5(PROFILE_NAMESPACE, f"mail:{key}")
    return str(profile).upper(), str(payload).upper()


def _use_ssl(server: ExportServer) -> bool:
    # Apple's "Use SSL" means an encrypted connection: implicit TLS on 993/995/465 and
    # STARTTLS on the other ports.
    return server.security is not Security.PLAIN


def _auth_kind(server: ExportServer) -> str:
    return "EmailAuthNone" if server.auth == ("none",) else "EmailAuthPassword"


def mobileconfig_dict(settings: ClientSettings) -> dict[str, Any]:
    """The profile as a plist dictionary (one com.apple.mail.managed payload)."""
    if not settings.complete or settings.outgoing is None:
        raise ValueError("a mail profile needs an incoming and an outgoing server")
    incoming = settings.incoming[0]
    outgoing = settings.outgoing
    profile_uuid, payload_uuid = profile_uuids(settings.address)
    note = verification_note(settings)
    description = f"Mail settings for {settings.address} ({note})."
    payload: dict[str, Any] = {
        "PayloadType": "com.apple.mail.managed",
        "PayloadVersion": 1,
        "PayloadIdentifier": f"{IDENTIFIER_PREFIX}.{profile_uuid}.account",
        "PayloadUUID": payload_uuid,
        "PayloadDisplayName": f"Mail: {settings.address}",
        "PayloadDescription": description,
        "EmailAccountDescription": settings.address,
        "EmailAccountName": settings.address,
        "EmailAccountType": (
            "EmailTypeIMAP" if incoming.protocol is Protocol.IMAP else "EmailTypePOP"
        ),
        "EmailAddress": settings.address,
        "IncomingMailServerHostName": incoming.host,
        "IncomingMailServerPortNumber": incoming.port,
        "IncomingMailServerUseSSL": _use_ssl(incoming),
        "IncomingMailServerAuthentication": _auth_kind(incoming),
        "IncomingMailServerUsername": incoming.username,
        "OutgoingMailServerHostName": outgoing.host,
        "OutgoingMailServerPortNumber": outgoing.port,
        "OutgoingMailServerUseSSL": _use_ssl(outgoing),
        "OutgoingMailServerAuthentication": _auth_kind(outgoing),
        "OutgoingMailServerUsername": outgoing.username,
        "OutgoingPasswordSameAsIncomingPassword": True,
    }
    return {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": f"{IDENTIFIER_PREFIX}.{profile_uuid}",
        "PayloadUUID": profile_uuid,
        "PayloadDisplayName": f"Mail: {settings.address}",
        "PayloadDescription": description,
        "PayloadOrganization": settings.display_name,
        "PayloadRemovalDisallowed": False,
        "MailprobeVerified": settings.verified,
        "PayloadContent": [payload],
    }


def to_mobileconfig(settings: ClientSettings) -> str:
    """An unsigned Apple configuration profile (XML plist); it never holds a password."""
    import plistlib

    data = plistlib.dumps(mobileconfig_dict(settings), fmt=plistlib.FMT_XML, sort_keys=True)
    return data.decode("utf-8")


# --------------------------------------------------------------------------- JSON


def _server_json(server: ExportServer) -> dict[str, Any]:
    return {
        "protocol": str(server.protocol),
        "host": server.host,
        "port": server.port,
        "security": str(server.security),
        "username": server.username,
        "verified": server.verified,
    }


def settings_json(settings: ClientSettings) -> dict[str, Any]:
    """The recommended settings as a JSON-ready dict (stable key order)."""
    return {
        "address": settings.address,
        "verified": settings.verified,
        "note": verification_note(settings),
        "incoming": [_server_json(s) for s in settings.incoming],
        "outgoing": _server_json(settings.outgoing) if settings.outgoing else None,
        "missing": [str(p) for p in settings.missing],
    }


def to_json(settings: ClientSettings) -> str:
    """`settings_json` as indented JSON text with a final newline."""
    return json.dumps(settings_json(settings), indent=2, ensure_ascii=False) + "\n"
