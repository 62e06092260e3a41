"""Tell IP address literals from host names (kept apart from dns.py, which loads dnspython)."""

from __future__ import annotations

import ipaddress


def is_ip_literal(text: str) -> bool:
    """True if `text` is an IPv4 or IPv6 address (brackets allowed) rather than a name."""
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True
