"""A UDP port: plait-core's datagram port bound to an IP address.

Facts that shaped this module:

- An unconnected port cannot tell which destination sent back an ICMP
  "port unreachable", so that error is dropped; a connected one tells its
  protocol (``connectionRefused``).
- Addresses given to ``write`` and ``connect`` must be IP literals of the
  port's family: a name would need a blocking lookup, and sending an IPv4
  address to an IPv6 socket fails in ways that are hard to read. The
  checks live in ``_destinations``, which remembers what it checked.
- For IPv6 the protocol gets ``(host, port)``, like for IPv4; ``getHost``
  keeps the flow info and scope id.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from zope.interface import implementer

from plait.core import (
    DatagramPort,
    PortState,
    anyAddress,
    bindInet,
    familyForInterface,
    inetAddress,
    isIPLiteral,
)
from plait.errors import InvalidAddressError, NotListeningError
from plait.interfaces import IUDPTransport

from ._destinations import Destinations

__all__ = ["Port", "PortState"]

#: The largest UDP payload of each family (the IP length field's limit).
_MAX_PAYLOAD: dict[int, int] = {socket.AF_INET: 65507, socket.AF_INET6: 65527}

Address = tuple[str, int]


def _hostAndPort(sockaddr: Any) -> Address:
    return sockaddr[:2]  # type: ignore[no-any-return]


@implementer(IUDPTransport)
class Port(DatagramPort):
    """Binds ``interface:port`` and hands each datagram to ``protocol``.

    ``port`` 0 lets the kernel pick a free port (see ``getHost``);
    datagrams longer than ``maxPacketSize`` are cut to that size.
    """

    _log = logging.getLogger("plait.udp")

    def __init__(
        self,
        port: int,
        protocol: Any,
        interface: str | bytes = "",
        maxPacketSize: int = 8192,
        reactor: Any = None,
    ) -> None:
        if not isinstance(port, int) or isinstance(port, bool):
            raise TypeError(f"port must be an int, not {port!r}")
        super().__init__(protocol, maxPacketSize, reactor)
        if isinstance(interface, (bytes, bytearray)):
            try:
                interface = bytes(interface).decode("ascii")
            except UnicodeDecodeError:
                raise InvalidAddressError(interface, "not an IP address") from None
        if interface and not isIPLiteral(interface, familyForInterface(interface)):
            raise InvalidAddressError(
                interface, "the interface must be an IP address of this host, or ''"
            )
        self.port = port
        self.interface = interface
        self.family = familyForInterface(interface)
        self._maxPayload = _MAX_PAYLOAD[self.family]
        self._destinations = Destinations(self.family)
        self._known = self._destinations.known
        if self.family == socket.AF_INET6:
            self._fromSockaddr = _hostAndPort

    def _describe(self) -> str:
        where = self._host.port if self._host is not None else self.port
        return f"UDP port {where}"

    def _bind(self) -> socket.socket:
        """The bound socket to listen on; subclasses may set options."""
        return bindInet(socket.SOCK_DGRAM, self.interface, self.port)

    def _hostFor(self, sock: socket.socket) -> Any:
        return inetAddress("UDP", sock.getsockname())

    def _sockaddrFor(self, addr: Any) -> Any:
        return self._destinations.sockaddrFor(addr)

    def _samePeer(self, addr: Any) -> bool:
        return bool(tuple(addr) == self._peer)

    def getHost(self) -> Any:
        """The bound address (IPv4Address or IPv6Address of type UDP); its
        port is the real one when 0 was asked for."""
        if self._host is None:
            host = self.interface or anyAddress(self.family)
            if self.family == socket.AF_INET6:
                return inetAddress("UDP", (host, self.port, 0, 0))
            return inetAddress("UDP", (host, self.port))
        return self._host

    # -- IUDPTransport -----------------------------------------------------

    def connect(self, host: str, port: int) -> None:
        """Send to and receive from ``host:port`` only.

        :raises plait.errors.InvalidAddressError: ``host`` is not an IP
            literal of the port's family (a ValueError).
        :raises RuntimeError: the port is connected already.
        :raises plait.errors.NotListeningError: the port is not listening.
        """
        if self._peer is not None:
            raise RuntimeError(f"{self!r} is connected to {self._peer} already")
        if self.socket is None:
            raise NotListeningError(f"{self!r} cannot connect")
        destinations = self._destinations
        peer = destinations.check((host, port))
        self.socket.connect(destinations.sockaddrFor(peer))
        self._peer = peer

    def setBroadcastAllowed(self, enabled: bool) -> None:
        """Allow (or forbid) sending to broadcast addresses."""
        self.getHandle().setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, enabled)

    def getBroadcastAllowed(self) -> bool:
        """Whether sending to broadcast addresses is allowed."""
        flag = self.getHandle().getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST)
        return bool(flag)
