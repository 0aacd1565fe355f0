"""The reactor extension of plait-udp: IReactorUDP.

The reactor finds ``UDPExtension`` through the ``plait.reactor`` entry
point and calls it with itself; ``listenUDP`` then exists on the reactor.
"""

from __future__ import annotations

from typing import Any

from zope.interface.interface import InterfaceClass

from plait.interfaces import IReactorUDP

from ._port import Port

__all__ = ["UDPExtension"]


class UDPExtension:
    """Gives a reactor ``listenUDP``."""

    interfaces: tuple[InterfaceClass, ...] = (IReactorUDP,)

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor

    def listenUDP(
        self,
        port: int,
        protocol: Any,
        interface: str | bytes = "",
        maxPacketSize: int = 8192,
    ) -> Port:
        """Listen for datagrams on ``interface:port`` (every IPv4 interface
        by default; an IPv6 literal such as ``"::"`` listens on IPv6) and
        give them to ``protocol``, a DatagramProtocol.

        :raises plait.errors.CannotListenError: the address cannot be bound.
        """
        p = Port(port, protocol, interface, maxPacketSize, self.reactor)
        p.startListening()
        return p
