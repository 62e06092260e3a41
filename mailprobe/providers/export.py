"""Write a provider entry as Thunderbird autoconfig (config-v1.1) XML.

An administrator can publish the result at
`https://autoconfig.<domain>/mail/config-v1.1.xml`. Placeholders stay as they are: mail
clients fill them in. Only writing happens here, so the standard library's ElementTree is
enough (parsing untrusted XML goes through defusedxml elsewhere).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailprobe.models import Protocol, Security
from mailprobe.providers.model import AuthMethod, Provider, ServerEntry

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

_SOCKET = {Security.TLS: "SSL", Security.STARTTLS: "STARTTLS", Security.PLAIN: "plain"}
_AUTH = {
    AuthMethod.PASSWORD_CLEARTEXT: "password-cleartext",
    AuthMethod.PASSWORD_ENCRYPTED: "password-encrypted",
    AuthMethod.OAUTH2: "OAuth2",
    AuthMethod.NTLM: "NTLM",
    AuthMethod.GSSAPI: "GSSAPI",
    AuthMethod.CLIENT_IP_ADDRESS: "client-IP-address",
    AuthMethod.TLS_CLIENT_CERT: "TLS-client-cert",
    AuthMethod.NONE: "none",
}


def _server(parent: ET.Element, server: ServerEntry) -> None:
    import xml.etree.ElementTree as ET

    tag = "outgoingServer" if server.protocol is Protocol.SMTP else "incomingServer"
    elem = ET.SubElement(parent, tag, type=str(server.protocol))
    ET.SubElement(elem, "hostname").text = server.host
    ET.SubElement(elem, "port").text = str(server.port)
    ET.SubElement(elem, "socketType").text = _SOCKET[server.security]
    if server.username is not None:
        ET.SubElement(elem, "username").text = server.username
    for method in server.auth:
        ET.SubElement(elem, "authentication").text = _AUTH[method]


def export_autoconfig(provider: Provider, domains: tuple[str, ...] | None = None) -> str:
    """The provider as a config-v1.1 document.

    `domains` replaces the provider's own domain list (an administrator publishing for a
    custom domain); by default every exact domain is listed (wildcards cannot be).
    Incoming servers come first (IMAP before POP3), as Thunderbird expects.
    """
    import xml.etree.ElementTree as ET  # loaded on demand: start-up time matters

    listed = domains if domains is not None else provider.exact_domains
    root = ET.Element("clientConfig", version="1.1")
    email = ET.SubElement(root, "emailProvider", id=listed[0] if listed else provider.id)
    for domain in listed:
        ET.SubElement(email, "domain").text = domain
    ET.SubElement(email, "displayName").text = provider.name
    ET.SubElement(email, "displayShortName").text = provider.name
    order = {Protocol.IMAP: 0, Protocol.POP3: 1, Protocol.SMTP: 2}
    for server in sorted(provider.servers, key=lambda s: order[s.protocol]):
        _server(email, server)
    for url in provider.docs:
        doc = ET.SubElement(email, "documentation", url=url)
        ET.SubElement(doc, "descr", lang="en").text = f"{provider.name}: mail client setup"
    if provider.oauth2 is not None:
        oauth = ET.SubElement(root, "oAuth2")
        ET.SubElement(oauth, "issuer").text = provider.oauth2.issuer
        ET.SubElement(oauth, "scope").text = " ".join(provider.oauth2.scopes)
        ET.SubElement(oauth, "authURL").text = provider.oauth2.auth_url
        ET.SubElement(oauth, "tokenURL").text = provider.oauth2.token_url
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
