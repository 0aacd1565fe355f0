"""What resolv.conf says: the servers, the search domains and ``ndots``.

dnspython reads the file. A missing file, or one naming no server, leaves
the C library's defaults: the server on 127.0.0.1 port 53, no search
domain, ``ndots`` 1.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import dns.name
import dns.resolver

from ._engine import Server

__all__ = ["ResolverConfig", "normalizeServers", "readResolvConf"]

log = logging.getLogger("plait.dns")


@dataclass(slots=True)
class ResolverConfig:
    """Servers to ask, domains to search, and the ``ndots`` threshold."""

    servers: list[Server]
    search: list[dns.name.Name] = field(default_factory=list)
    ndots: int = 1


def normalizeServers(
    servers: Iterable[str | tuple[str, int] | Sequence[object]],
) -> list[Server]:
    """``(host, port)`` pairs from addresses or pairs; port 53 by default.

    :raises ValueError: an entry is not an IP literal (a name would need a
        resolver to find the resolver).
    """
    out: list[Server] = []
    for entry in servers:
        if isinstance(entry, str):
            host, port = entry, 53
        else:
            host, port = str(entry[0]), int(entry[1])  # type: ignore[call-overload]
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(
                f"a DNS server must be an IP address, not {host!r}"
            ) from None
        if not 0 < port < 65536:
            raise ValueError(f"{port} is not a port number")
        out.append((str(address), port))
    if not out:
        raise ValueError("no DNS server given")
    return out


def readResolvConf(path: str | None) -> ResolverConfig:
    """The configuration in the resolv.conf at *path* (``None``: defaults)."""
    default = ResolverConfig([("127.0.0.1", 53)])
    if path is None:
        return default
    reader = dns.resolver.Resolver(configure=False)
    try:
        reader.read_resolv_conf(path)
    except (OSError, dns.resolver.NoResolverConfiguration) as e:
        log.debug("resolv.conf %s gives no server (%s): using 127.0.0.1", path, e)
        return default
    servers = []
    for ns in reader.nameservers:
        text = str(ns)
        try:
            servers.append(
                (str(ipaddress.ip_address(text.split("%", 1)[0])), reader.port)
            )
        except ValueError:
            log.debug("resolv.conf %s: skipped server %r", path, text)
    ndots = reader.ndots if reader.ndots is not None else 1
    return ResolverConfig(servers or default.servers, list(reader.search), ndots)
