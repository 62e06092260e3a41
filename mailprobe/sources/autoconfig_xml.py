"""A pure parser for Thunderbird's config-v1.1 XML (autoconfig files and the ISPDB).

`parse_config(data, address)` takes the bytes of a file and returns a `ParsedConfig`: the
IMAP, POP3 and SMTP servers it names (placeholders filled in for `address`), the
provider's id, name and domains, documentation links, "enable first" instructions and
OAuth2 details. It is lenient with what a real file may get wrong: a broken server
section is skipped and a warning says why; the rest of the file still counts. It refuses
what is hostile or not a configuration at all by raising `ConfigParseError`: DTDs and
entity declarations (billion laughs), more than 1 MiB, HTML pages, non-XML, a root
element other than `<clientConfig>`, or no `<emailProvider>`.

No I/O happens here; fetching is the sources' job.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # only for the ParseError type and annotations
from collections.abc import Iterable
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from mailprobe.address import normalise_domain
from mailprobe.errors import InvalidAddressError
from mailprobe.models import (
    Address,
    Protocol,
    ProviderInfo,
    ProviderStatus,
    Security,
    ServerSetting,
)
from mailprobe.net.ipaddr import is_ip_literal
from mailprobe.text import ascii_int

#: Largest file accepted, in bytes.
MAX_CONFIG_BYTES = 1024 * 1024

#: Most warnings kept from one file (each skipped section is one); enough to explain it.
MAX_WARNINGS = 20

#: Most server settings taken from one file; real providers name a handful. The rest are
#: counted in a warning, so a hostile file cannot turn into thousands of connections.
MAX_SERVERS_PER_FILE = 40

_SOCKET_TYPES = {"ssl": Security.TLS, "starttls": Security.STARTTLS, "plain": Security.PLAIN}
_INCOMING = {"imap": Protocol.IMAP, "pop3": Protocol.POP3}
_OUTGOING = {"smtp": Protocol.SMTP}
# Line breaks, tabs and other control characters: never part of a real username.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# An optional XML declaration, then a doctype or root element that says "HTML".
_HTML_START = re.compile(rb"(?is)^(<\?xml[^>]*\?>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html)\b")


class ConfigParseError(ValueError):
    """The data is not a usable config-v1.1 file; the message says why in plain words.

    Raised for DTDs or entity declarations, more than 1 MiB, an empty answer, an HTML page
    or other non-XML, malformed XML, a root other than `<clientConfig>`, and a file
    without `<emailProvider>`. A single bad server section is not an error (see
    `ParsedConfig.warnings`).
    """


@dataclass(frozen=True)
class OAuth2Info:
    """The `<oAuth2>` element: who issues tokens, for which scopes, at which endpoints."""

    issuer: str | None
    scopes: tuple[str, ...]
    auth_url: str | None
    token_url: str | None


@dataclass(frozen=True)
class Documentation:
    """A `<documentation url=...>` link and its descriptions (in file order)."""

    url: str
    descriptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class EnableInstruction:
    """Something the user must do before mail clients work (`<enable>`).

    `visit_url` is where to do it; `instructions` are the texts in file order (often
    one per language, English first).
    """

    visit_url: str | None
    instructions: tuple[str, ...]


@dataclass(frozen=True)
class ParsedConfig:
    """Everything mailprobe uses from one config-v1.1 file.

    `settings` holds IMAP, POP3 and SMTP servers in file order, exact duplicates removed.
    `other_servers` names server types mailprobe does not use (e.g. `exchange`, `ews`).
    `warnings` explains each skipped section or odd value.
    """

    provider_id: str | None
    display_name: str | None
    short_name: str | None
    domains: tuple[str, ...]
    settings: tuple[ServerSetting, ...]
    documentation: tuple[Documentation, ...] = ()
    enable: tuple[EnableInstruction, ...] = ()
    oauth2: OAuth2Info | None = None
    other_servers: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def provider_info(self) -> ProviderInfo | None:
        """The provider as a `ProviderInfo` (status `preparation` when it must be enabled)."""
        pid = self.provider_id or (self.domains[0] if self.domains else None)
        if pid is None:
            return None
        hints = tuple(e.instructions[0] for e in self.enable if e.instructions)
        return ProviderInfo(
            id=pid,
            name=self.display_name or self.short_name or pid,
            status=ProviderStatus.PREPARATION if self.enable else ProviderStatus.OK,
            hints=hints,
            docs=tuple(d.url for d in self.documentation),
        )


def parse_config(data: bytes, address: Address) -> ParsedConfig:
    """Parse a config-v1.1 file, filling in placeholders for `address`.

    Raises ConfigParseError (a ValueError) when the data is hostile or not such a file.
    """
    root = load_xml(data)
    if local_name(root.tag) != "clientConfig":
        name = local_name(root.tag)
        hint = " (an HTML page?)" if name.lower() == "html" else ""
        raise ConfigParseError(f"the root element is <{name}>{hint}, expected <clientConfig>")
    providers = child_elements(root, "emailProvider")
    if not providers:
        raise ConfigParseError("the file has no <emailProvider> element")
    warnings: list[str] = []
    if len(providers) > 1:
        warnings.append(f"{len(providers)} <emailProvider> elements; only the first is used")
    provider = providers[0]

    # A dict keeps first-seen order and makes duplicate removal linear in the file size.
    settings: dict[ServerSetting, None] = {}
    others: list[str] = []
    elements = _server_elements(provider)
    for index, element in enumerate(elements, start=1):
        if len(settings) >= MAX_SERVERS_PER_FILE:
            ignored = len(elements) - index + 1
            warnings.append(
                f"{ignored} more server section(s) ignored: mailprobe takes at most "
                f"{MAX_SERVERS_PER_FILE} servers from one file"
            )
            break
        try:
            setting = _server(element, address)
        except _SkipServer as skip:
            if len(warnings) < MAX_WARNINGS:
                warnings.append(f"server section {index} skipped: {skip}")
            continue
        if setting is None:
            if len(others) < MAX_SERVERS_PER_FILE:
                others.append(element.get("type", "").strip() or "(no type)")
        else:
            settings.setdefault(setting, None)

    return ParsedConfig(
        provider_id=(provider.get("id") or "").strip() or None,
        display_name=element_text(first_child(provider, "displayName")),
        short_name=element_text(first_child(provider, "displayShortName", "displayNameShort")),
        domains=tuple(
            d
            for d in (element_text(e) for e in child_elements(provider, "domain"))
            if d is not None
        ),
        settings=tuple(settings),
        documentation=_documentation(provider, warnings),
        enable=_enable(root, provider),
        oauth2=_oauth2(root, provider),
        other_servers=tuple(others),
        warnings=tuple(warnings),
    )


# --------------------------------------------------------------------------- XML helpers
# Public because the Autodiscover parser reads untrusted XML under the same rules.


def load_xml(
    data: bytes, *, what: str = "file", error: type[ValueError] = ConfigParseError
) -> ET.Element:
    """Parse untrusted XML safely, or raise `error` with a plain reason naming `what`.

    Refuses more than 1 MiB, empty data, HTML pages, non-XML, any DTD or entity
    declaration (so no billion laughs and no external entities), and malformed XML.
    """
    if len(data) > MAX_CONFIG_BYTES:
        raise error(f"the {what} is larger than 1 MiB")
    head = _ascii_head(data).lstrip(" \t\r\n").encode("ascii", "replace")
    if not head:
        raise error(f"the {what} is empty")
    if _HTML_START.match(head[:512]):
        raise error(f"the {what} is an HTML page, not XML")
    if not head.startswith(b"<"):
        raise error(f"the {what} is not XML")
    try:
        root: ET.Element = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise error(
            f"the {what} declares a DTD or entities, refused for safety ({type(exc).__name__})"
        ) from None
    except ET.ParseError as exc:
        raise error(f"the {what} is not well-formed XML ({exc})") from None
    return root


#: Byte order marks and the first bytes of `<?` in encodings that need no mark (XML 1.0,
#: appendix F), each with the codec that reads the start of the document.
_SNIFF: tuple[tuple[bytes, str, int], ...] = (
    (b"\xef\xbb\xbf", "utf-8", 3),
    (b"\xff\xfe\x00\x00", "utf-32-le", 4),
    (b"\x00\x00\xfe\xff", "utf-32-be", 4),
    (b"\xff\xfe", "utf-16-le", 2),
    (b"\xfe\xff", "utf-16-be", 2),
    (b"<\x00?\x00", "utf-16-le", 0),
    (b"\x00<\x00?", "utf-16-be", 0),
)


def _ascii_head(data: bytes) -> str:
    """The first characters of `data` as text, for the HTML and not-XML checks.

    The parser itself honours byte order marks and the encoding declaration; this only
    makes sure a UTF-16 or UTF-32 file is not mistaken for something that is not XML.
    """
    for mark, codec, skip in _SNIFF:
        if data.startswith(mark):
            return data[skip : skip + 2048].decode(codec, "replace")
    return data[:512].decode("latin-1")


def local_name(tag: object) -> str:
    """A tag without its `{namespace}` prefix ("" for comments and processing instructions)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def child_elements(element: ET.Element, *names: str) -> list[ET.Element]:
    """Direct children whose local name is one of `names`."""
    return [child for child in element if local_name(child.tag) in names]


def first_child(element: ET.Element | None, *names: str) -> ET.Element | None:
    """The first direct child named one of `names`, or None."""
    if element is None:
        return None
    found = child_elements(element, *names)
    return found[0] if found else None


def element_text(element: ET.Element | None) -> str | None:
    """The stripped text of an element, None when absent or blank."""
    if element is None:
        return None
    value = "".join(element.itertext()).strip()
    return value or None


def usable_host(raw: str) -> str | None:
    """`raw` as an A-label host name or bare IP address, or None if it is not usable."""
    if is_ip_literal(raw):
        return raw.strip("[]")
    try:
        ascii_host, _unicode = normalise_domain(raw)
    except InvalidAddressError:
        return None
    return ascii_host


def _texts(elements: Iterable[ET.Element]) -> tuple[str, ...]:
    """The non-blank texts of `elements`, in order."""
    return tuple(t for t in (element_text(e) for e in elements) if t is not None)


def _fill(value: str, address: Address) -> str:
    """Replace the config-v1.1 placeholders with parts of `address`."""
    return (
        value.replace("%EMAILADDRESS%", address.text)
        .replace("%EMAILLOCALPART%", address.local)
        .replace("%EMAILDOMAIN%", address.domain)
    )


# --------------------------------------------------------------------------- servers


class _SkipServer(Exception):
    """A server section that cannot be used; the message says why."""


def _server_elements(provider: ET.Element) -> list[ET.Element]:
    return child_elements(provider, "incomingServer", "outgoingServer")


def _server(element: ET.Element, address: Address) -> ServerSetting | None:
    """One server section as a setting; None for types mailprobe does not use."""
    outgoing = local_name(element.tag) == "outgoingServer"
    kind = element.get("type", "").strip().lower()
    table = _OUTGOING if outgoing else _INCOMING
    if kind not in table:
        if kind in _INCOMING or kind in _OUTGOING:
            where = "outgoingServer" if outgoing else "incomingServer"
            raise _SkipServer(f"type {kind!r} does not belong in <{where}>")
        return None
    protocol = table[kind]
    label = f"{protocol.value}"
    host = _host(element_text(first_child(element, "hostname")), address, label)
    port_text = element_text(first_child(element, "port"))
    if port_text is None:
        raise _SkipServer(f"{label} {host}: no <port>")
    number = ascii_int(port_text)
    if number is None:
        raise _SkipServer(f"{label} {host}: port {port_text!r} is not a number")
    port = number
    if not 0 < port < 65536:
        raise _SkipServer(f"{label} {host}: port {port} is out of range")
    socket_text = element_text(first_child(element, "socketType"))
    if socket_text is None:
        raise _SkipServer(f"{label} {host}:{port}: no <socketType>")
    security = _SOCKET_TYPES.get(socket_text.lower())
    if security is None:
        raise _SkipServer(f"{label} {host}:{port}: unknown socketType {socket_text!r}")
    username = element_text(first_child(element, "username"))
    if username is not None and _CONTROL.search(username):
        raise _SkipServer(f"{label} {host}:{port}: the username contains a control character")
    auth: list[str] = []
    for method in (element_text(e) for e in child_elements(element, "authentication")):
        if method is not None and method not in auth:
            auth.append(method)
    return ServerSetting(
        protocol=protocol,
        host=host,
        port=port,
        security=security,
        username=_fill(username, address) if username is not None else None,
        auth=tuple(auth),
    )


def _host(raw: str | None, address: Address, label: str) -> str:
    if raw is None:
        raise _SkipServer(f"{label}: no <hostname>")
    host = usable_host(_fill(raw, address))
    if host is None:
        raise _SkipServer(f"{label}: {raw!r} is not a usable host name")
    return host


# --------------------------------------------------------------------------- extras


def _documentation(provider: ET.Element, warnings: list[str]) -> tuple[Documentation, ...]:
    docs: list[Documentation] = []
    # Older files link documentation as <instruction url=...><descr>...</descr>.
    linked = [e for e in child_elements(provider, "instruction") if e.get("url")]
    for element in child_elements(provider, "documentation") + linked:
        url = (element.get("url") or "").strip()
        if not url:
            warnings.append("a <documentation> element without url was ignored")
            continue
        texts = _texts(child_elements(element, "descr"))
        docs.append(Documentation(url, texts))
    return tuple(docs)


def _enable(root: ET.Element, provider: ET.Element) -> tuple[EnableInstruction, ...]:
    found: list[EnableInstruction] = []
    for element in child_elements(provider, "enable") + child_elements(root, "enable"):
        texts = _texts(child_elements(element, "instruction"))
        url = (element.get("visiturl") or "").strip() or None
        found.append(EnableInstruction(url, texts))
    # Some files put a bare <instruction> (text only) into <emailProvider>; one with a url
    # is a documentation link instead (see `_documentation`).
    loose = _texts(e for e in child_elements(provider, "instruction") if not e.get("url"))
    if loose:
        found.append(EnableInstruction(None, loose))
    return tuple(found)


def _oauth2(root: ET.Element, provider: ET.Element) -> OAuth2Info | None:
    element = first_child(provider, "oAuth2")
    if element is None:
        element = first_child(root, "oAuth2")
    if element is None:
        return None
    scope = element_text(first_child(element, "scope")) or ""
    return OAuth2Info(
        issuer=element_text(first_child(element, "issuer")),
        scopes=tuple(scope.split()),
        auth_url=element_text(first_child(element, "authURL")),
        token_url=element_text(first_child(element, "tokenURL")),
    )
