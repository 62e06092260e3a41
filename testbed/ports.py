"""Free loopback ports, picked by binding port 0 and checking every address the bed uses."""

from __future__ import annotations

import contextlib
import socket

#: Addresses every bed port must be free on: Dovecot also listens on 127.0.0.2, and nothing
#: may answer on ::1 so that "IPv6 fails while IPv4 works" stays true for `v6broken`.
CHECKED_ADDRESSES = ("127.0.0.1", "127.0.0.2", "::1")


def _can_bind(address: str, port: int, kind: socket.SocketKind) -> bool:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        sock = socket.socket(family, kind)
    except OSError:
        return family == socket.AF_INET6  # no IPv6 at all: nothing can answer there either
    with sock:
        try:
            sock.bind((address, port))
        except OSError as exc:
            # EADDRNOTAVAIL on ::1 means IPv6 loopback is off: nobody can listen there.
            return family == socket.AF_INET6 and exc.errno == 99
    return True


def _candidate() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_ports(count: int, *, udp_too: frozenset[int] = frozenset()) -> list[int]:
    """`count` distinct ports free for TCP on all `CHECKED_ADDRESSES`.

    Indexes listed in `udp_too` are also checked free for UDP (the DNS port).
    """
    chosen: list[int] = []
    while len(chosen) < count:
        port = _candidate()
        if port in chosen:
            continue
        kinds = [socket.SOCK_STREAM]
        if len(chosen) in udp_too:
            kinds.append(socket.SOCK_DGRAM)
        if all(_can_bind(a, port, k) for a in CHECKED_ADDRESSES for k in kinds):
            chosen.append(port)
    return chosen


def _proc_net_addresses(path: str, state: str) -> set[tuple[str, int]]:
    found: set[tuple[str, int]] = set()
    with contextlib.suppress(OSError), open(path) as table:
        next(table, None)
        for line in table:
            fields = line.split()
            if len(fields) < 4 or fields[3] != state:
                continue
            hex_ip, hex_port = fields[1].split(":")
            if len(hex_ip) == 8:
                ip = socket.inet_ntop(socket.AF_INET, bytes.fromhex(hex_ip)[::-1])
            else:
                raw = bytes.fromhex(hex_ip)
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                ip = socket.inet_ntop(socket.AF_INET6, words)
            found.add((ip, int(hex_port, 16)))
    return found


def listening_tcp() -> set[tuple[str, int]]:
    """(ip, port) of every listening TCP socket on this machine (Linux /proc)."""
    return _proc_net_addresses("/proc/net/tcp", "0A") | _proc_net_addresses("/proc/net/tcp6", "0A")


def bound_udp() -> set[tuple[str, int]]:
    """(ip, port) of every bound UDP socket on this machine (Linux /proc)."""
    return _proc_net_addresses("/proc/net/udp", "07") | _proc_net_addresses("/proc/net/udp6", "07")
