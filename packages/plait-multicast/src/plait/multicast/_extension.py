"""The reactor extension of plait-multicast: IReactorMulticast.

The reactor finds ``MulticastExtension`` through the ``plait.reactor`` entry
point and calls it with itself; ``listenMulticast`` then exists on it.
"""

from __future__ import annotations

from typing import Any

from zope.interface.interface import InterfaceClass

from plait.interfaces import IReactorMulticast

from ._port import MulticastPort

__all__ = ["MulticastExtension"]


class MulticastExtension:
    """Gives a reactor ``listenMulticast``."""

    interfaces: tuple[InterfaceClass, ...] = (IReactorMulticast,)

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor

    def listenMulticast(
        self,
        port: int,
        protocol: Any,
        interface: str | bytes = "",
        maxPacketSize: int = 8192,
        listenMultiple: bool = False,
    ) -> MulticastPort:
        """A UDP port on ``interface:port`` that can join multicast groups
        (IPv6 when ``interface`` is an IPv6 literal such as ``"::"``).

        :param listenMultiple: let other sockets bind the same port too, each
            receiving its own copy of what is sent to the groups it joined.
        :raises plait.errors.CannotListenError: the address cannot be bound.
        """
        p = MulticastPort(
            port,
            protocol,
            interface,
            maxPacketSize,
            self.reactor,
            listenMultiple=listenMultiple,
        )
        p.startListening()
        return p
