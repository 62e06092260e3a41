"""Pick the settings to hand over from a report: the best verified one per service."""

from __future__ import annotations

from dataclasses import dataclass

from mailprobe.models import Protocol, Recommendation, Report, Security


@dataclass(frozen=True)
class ExportServer:
    """One server as a mail app needs it. `verified` is None when nothing was probed."""

    protocol: Protocol
    host: str
    port: int
    security: Security
    username: str
    verified: bool | None
    auth: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClientSettings:
    """What an export contains: incoming servers (IMAP first), the outgoing server.

    `verified` is True only when every server in it answered a live probe; `missing` names
    the services left out because no usable setting was found (or none was verified).
    """

    address: str
    local: str
    domain: str
    display_name: str
    incoming: tuple[ExportServer, ...]
    outgoing: ExportServer | None
    verified: bool
    missing: tuple[Protocol, ...] = ()
    docs: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """True when there is at least one incoming server and an outgoing server."""
        return bool(self.incoming) and self.outgoing is not None


def _server(rec: Recommendation, address: str) -> ExportServer:
    setting = rec.candidate.setting
    return ExportServer(
        protocol=setting.protocol,
        host=setting.host,
        port=setting.port,
        security=setting.security,
        username=setting.username or address,
        verified=rec.verified,
        auth=setting.auth,
    )


def client_settings(report: Report, *, verified_only: bool = True) -> ClientSettings:
    """The settings to export from `report` (a check, or a discover report).

    With `verified_only`, a service counts only when its recommended endpoint answered a
    live probe (`verified` True); otherwise the recommendation is taken as discovery
    ranked it. A report without an address (a `probe` report) cannot be exported.
    """
    if report.address is None:
        raise ValueError("only a report for an e-mail address can be exported")
    address = report.address
    chosen: dict[Protocol, ExportServer] = {}
    missing: list[Protocol] = []
    for protocol in Protocol:
        rec = report.recommended.get(protocol)
        usable = rec is not None and (rec.verified is True or not verified_only)
        if rec is not None and usable:
            chosen[protocol] = _server(rec, address)
        else:
            missing.append(protocol)
    incoming = tuple(chosen[p] for p in (Protocol.IMAP, Protocol.POP3) if p in chosen)
    outgoing = chosen.get(Protocol.SMTP)
    servers = [*incoming, *([outgoing] if outgoing else [])]
    provider = report.provider
    return ClientSettings(
        address=address,
        local=address.rsplit("@", 1)[0],
        domain=report.domain,
        display_name=provider.name if provider is not None else report.domain,
        incoming=incoming,
        outgoing=outgoing,
        verified=bool(servers) and all(s.verified is True for s in servers),
        missing=tuple(missing),
        docs=provider.docs if provider is not None else (),
    )
