"""Pure builders and parsers for Exchange Autodiscover: the POX request and response, and
the JSON (v1.0) answer.

`pox_request(address)` builds the POST body; `parse_pox(data)` reads the
`outlook/responseschema/2006a` answer into IMAP/POP3/SMTP settings; `parse_json_url(data)`
reads the URL the JSON endpoint points to. Hostile or unusable input raises
`AutodiscoverParseError` with a plain message (DTDs and entities, more than 1 MiB, HTML,
non-XML or non-JSON, a wrong root). A bad `<Protocol>` section is skipped with a warning.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # for annotations only
from dataclasses import dataclass
from xml.sax.saxutils import escape

from mailprobe.models import Protocol, Security, ServerSetting
from mailprobe.sources.autoconfig_xml import (
    MAX_CONFIG_BYTES,
    child_elements,
    element_text,
    first_child,
    load_xml,
    local_name,
    usable_host,
)
from mailprobe.text import ascii_int

#: Largest answer accepted, in bytes (the same cap as config-v1.1 files).
MAX_ANSWER_BYTES = MAX_CONFIG_BYTES
#: The response schema mailprobe asks for (the one that carries IMAP/POP3/SMTP settings).
RESPONSE_SCHEMA = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
REQUEST_SCHEMA = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"

_PROTOCOLS = {"IMAP": Protocol.IMAP, "POP3": Protocol.POP3, "SMTP": Protocol.SMTP}
_IMPLICIT_TLS_PORTS = {Protocol.IMAP: 993, Protocol.POP3: 995, Protocol.SMTP: 465}
_PLAIN_PORTS = {Protocol.IMAP: 143, Protocol.POP3: 110, Protocol.SMTP: 587}


class AutodiscoverParseError(ValueError):
    """An Autodiscover answer that is hostile or not an Autodiscover answer at all."""


@dataclass(frozen=True)
class PoxResponse:
    """What a POX answer said.

    `settings` are the IMAP/POP3/SMTP protocols it offers; `other_protocols` names the
    rest (EXCH, EXPR, WEB, ...). `redirect_address` / `redirect_url` are set for the
    `redirectAddr` / `redirectUrl` actions; `error` carries a server-side `<Error>`.
    """

    settings: tuple[ServerSetting, ...] = ()
    other_protocols: tuple[str, ...] = ()
    display_name: str | None = None
    redirect_address: str | None = None
    redirect_url: str | None = None
    error: str | None = None
    warnings: tuple[str, ...] = ()


def pox_request(email: str) -> bytes:
    """The POX request body asking for `email`'s settings in the 2006a response schema."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<Autodiscover xmlns="{REQUEST_SCHEMA}">\n'
        "  <Request>\n"
        f"    <EMailAddress>{escape(email)}</EMailAddress>\n"
        f"    <AcceptableResponseSchema>{RESPONSE_SCHEMA}</AcceptableResponseSchema>\n"
        "  </Request>\n"
        "</Autodiscover>\n"
    ).encode()


def parse_pox(data: bytes) -> PoxResponse:
    """Parse a POX answer; raises AutodiscoverParseError when it is not one."""
    root = load_xml(data, what="answer", error=AutodiscoverParseError)
    if local_name(root.tag) != "Autodiscover":
        raise AutodiscoverParseError(
            f"the root element is <{local_name(root.tag)}>, not <Autodiscover>"
        )
    response = first_child(root, "Response")
    if response is None:
        raise AutodiscoverParseError("the answer has no <Response> element")
    error = first_child(response, "Error")
    if error is not None:
        code = element_text(first_child(error, "ErrorCode")) or "?"
        message = element_text(first_child(error, "Message")) or "no message"
        return PoxResponse(error=f"server error {code[:50]}: {message[:200]}")
    user = first_child(response, "User")
    display_name = element_text(first_child(user, "DisplayName")) if user is not None else None
    account = first_child(response, "Account")
    if account is None:
        raise AutodiscoverParseError("the answer has neither <Account> nor <Error>")
    action = (element_text(first_child(account, "Action")) or "settings").lower()
    if action == "redirectaddr":
        return PoxResponse(
            display_name=display_name,
            redirect_address=element_text(first_child(account, "RedirectAddr")),
        )
    if action == "redirecturl":
        return PoxResponse(
            display_name=display_name,
            redirect_url=element_text(first_child(account, "RedirectUrl")),
        )
    settings: list[ServerSetting] = []
    others: list[str] = []
    warnings: list[str] = []
    for index, element in enumerate(child_elements(account, "Protocol"), start=1):
        kind = (element_text(first_child(element, "Type")) or "").upper()
        protocol = _PROTOCOLS.get(kind)
        if protocol is None:
            others.append(kind or "(no type)")
            continue
        try:
            setting = _protocol(element, protocol)
        except _Skip as skip:
            warnings.append(f"protocol section {index} ({kind}) skipped: {skip}")
            continue
        if setting not in settings:
            settings.append(setting)
    return PoxResponse(
        settings=tuple(settings),
        other_protocols=tuple(others),
        display_name=display_name,
        warnings=tuple(warnings),
    )


def parse_json_url(data: bytes) -> str:
    """The `Url` of an `autodiscover.json/v1.0` answer; raises AutodiscoverParseError."""
    if len(data) > MAX_ANSWER_BYTES:
        raise AutodiscoverParseError("the answer is larger than 1 MiB")
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise AutodiscoverParseError("the answer is not JSON") from None
    if not isinstance(value, dict):
        raise AutodiscoverParseError("the JSON answer is not an object")
    url = value.get("Url")
    if isinstance(url, str) and url.strip():
        return url.strip()
    message = value.get("ErrorMessage") or value.get("ErrorCode")
    if message:
        raise AutodiscoverParseError(f"server error: {str(message)[:200]}")
    raise AutodiscoverParseError("the JSON answer has no Url")


# --------------------------------------------------------------------------- helpers


class _Skip(Exception):
    """A protocol section that cannot be used."""


def _protocol(element: ET.Element, protocol: Protocol) -> ServerSetting:
    server = element_text(first_child(element, "Server"))
    if server is None:
        raise _Skip("no <Server>")
    host = usable_host(server)
    if host is None:
        raise _Skip(f"{server!r} is not a usable host name")
    ssl_on = (element_text(first_child(element, "SSL")) or "on").lower() != "off"
    encryption = (element_text(first_child(element, "Encryption")) or "").lower()
    port_text = element_text(first_child(element, "Port"))
    if port_text is None:
        port = _IMPLICIT_TLS_PORTS[protocol] if ssl_on else _PLAIN_PORTS[protocol]
    else:
        number = ascii_int(port_text)
        if number is None:
            raise _Skip(f"port {port_text!r} is not a number")
        port = number
        if not 0 < port < 65536:
            raise _Skip(f"port {port} is out of range")
    security = _security(encryption, ssl_on, port, protocol)
    spa = (element_text(first_child(element, "SPA")) or "off").lower() == "on"
    auth_required = (element_text(first_child(element, "AuthRequired")) or "on").lower() != "off"
    auth: tuple[str, ...] = ()
    if spa:
        auth = ("NTLM",)
    elif auth_required:
        auth = ("password-cleartext",)
    return ServerSetting(
        protocol=protocol,
        host=host,
        port=port,
        security=security,
        username=element_text(first_child(element, "LoginName")),
        auth=auth,
    )


def _security(encryption: str, ssl_on: bool, port: int, protocol: Protocol) -> Security:
    """`<Encryption>` wins; else `<SSL>` with the port telling implicit TLS from STARTTLS."""
    if encryption == "ssl":
        return Security.TLS
    if encryption == "tls":
        return Security.STARTTLS
    if encryption == "none":
        return Security.PLAIN
    if encryption not in ("", "auto"):
        raise _Skip(f"unknown Encryption {encryption!r}")
    if not ssl_on and encryption != "auto":
        return Security.PLAIN
    return Security.TLS if port == _IMPLICIT_TLS_PORTS[protocol] else Security.STARTTLS
