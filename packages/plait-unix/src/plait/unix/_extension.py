"""The reactor extension of plait-unix: IReactorUNIX and IReactorUNIXDatagram.

The reactor finds ``UNIXExtension`` through the ``plait.reactor`` entry
point and calls it with itself; ``listenUNIX`` and its siblings then exist
on the reactor.
"""

from __future__ import annotations

from typing import Any

from zope.interface.interface import InterfaceClass

from plait.interfaces import IReactorUNIX, IReactorUNIXDatagram

from ._connector import Connector
from ._datagram import ConnectedPort
from ._datagram import Port as DatagramPort
from ._paths import PathArg
from ._port import Port

__all__ = ["UNIXExtension"]


class UNIXExtension:
    """Gives a reactor UNIX stream and datagram sockets."""

    interfaces: tuple[InterfaceClass, ...] = (IReactorUNIX, IReactorUNIXDatagram)

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor

    # -- IReactorUNIX -----------------------------------------------------

    def listenUNIX(
        self,
        address: PathArg,
        factory: Any,
        backlog: int = 50,
        mode: int = 0o666,
        wantPID: bool = False,
    ) -> Port:
        """Listen on the UNIX socket ``address`` (a path, or an abstract
        name starting with NUL); the socket file gets exactly ``mode``.

        With ``wantPID`` the lock file ``address + ".lock"`` holds our pid
        while the port listens.

        :raises plait.errors.CannotListenError: something is in the way
            (the message says what), or the kernel refused.
        :raises plait.errors.InvalidAddressError: the path is too long.
        :raises ValueError: ``wantPID`` with an abstract name.
        """
        p = Port(address, factory, backlog, mode, wantPID, self.reactor)
        p.startListening()
        return p

    def connectUNIX(
        self,
        address: PathArg,
        factory: Any,
        timeout: float | None = 30,
        checkPID: bool = False,
    ) -> Connector:
        """Connect ``factory`` to the UNIX socket ``address``; returns the
        connector. With ``checkPID`` a missing or stale lock file fails the
        attempt before any connect."""
        c = Connector(address, factory, timeout, checkPID, self.reactor)
        c.connect()
        return c

    # -- IReactorUNIXDatagram ---------------------------------------------

    def listenUNIXDatagram(
        self,
        address: PathArg,
        protocol: Any,
        maxPacketSize: int = 8192,
        mode: int = 0o666,
    ) -> DatagramPort:
        """Bind a UNIX datagram socket at ``address`` and give its datagrams
        to ``protocol``, a DatagramProtocol."""
        p = DatagramPort(address, protocol, maxPacketSize, mode, self.reactor)
        p.startListening()
        return p

    def connectUNIXDatagram(
        self,
        address: PathArg,
        protocol: Any,
        maxPacketSize: int = 8192,
        mode: int = 0o666,
        bindAddress: PathArg | None = None,
    ) -> ConnectedPort:
        """A UNIX datagram socket connected to ``address`` (and bound at
        ``bindAddress`` if given, so the peer can answer), serving
        ``protocol``, a ConnectedDatagramProtocol. A failed connect is told
        to ``protocol.connectionFailed`` on the next turn."""
        p = ConnectedPort(
            address, protocol, maxPacketSize, mode, bindAddress, self.reactor
        )
        p.startListening()
        return p
