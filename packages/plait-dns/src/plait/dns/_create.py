"""``createResolver``: a resolver configured the way the system is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._config import readResolvConf
from ._hosts import Hosts
from ._resolver import Resolver

__all__ = ["createResolver"]


def createResolver(
    reactor: Any,
    servers: Sequence[str | tuple[str, int]] | None = None,
    resolvconf: str | None = "/etc/resolv.conf",
    hosts: str | None = "/etc/hosts",
    *,
    cacheSize: int = 10000,
    useTCP: bool = False,
) -> Resolver:
    """A :class:`Resolver` on *reactor*.

    :param servers: the servers to ask, as addresses or ``(address, port)``
        pairs; when given they replace those of *resolvconf* (whose search
        domains and ``ndots`` still apply).
    :param resolvconf: the resolver configuration file; ``None`` reads none.
    :param hosts: the hosts file; ``None`` reads none.
    :param cacheSize: how many answers to cache (0: no cache).
    :param useTCP: ask over TCP only (UDP is used otherwise, and TCP only
        for an answer too large for a datagram).
    :raises ValueError: a server is not an IP address with a valid port.
    """
    config = readResolvConf(resolvconf)
    if servers is not None:
        config.servers = list(servers)  # type: ignore[arg-type]
    return Resolver.fromConfig(reactor, config, Hosts(hosts), cacheSize, useTCP)
