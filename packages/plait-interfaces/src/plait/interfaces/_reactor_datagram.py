"""Reactor interfaces for datagram sockets: UDP, multicast, UNIX datagrams.

Provided by the reactor when plait-udp, plait-multicast or plait-unix is
installed; otherwise their methods raise
:class:`plait.errors.MissingCapability`.
"""

from __future__ import annotations

from typing import Any

from zope.interface import Interface

from ._ports import IConnector, IListeningPort


class IReactorUDP(Interface):
    """Binding UDP sockets."""

    __module__ = "plait.interfaces"

    def listenUDP(
        port: int, protocol: Any, interface: str = "", maxPacketSize: int = 8192
    ) -> IListeningPort:
        """Bind a UDP socket on *port* and deliver its datagrams to *protocol*.

        :param port: the port number; 0 lets the kernel choose.
        :param protocol: a datagram protocol (``plait.udp.DatagramProtocol``).
        :param interface: the local address to bind; ``""`` means all IPv4
            interfaces.
        :param maxPacketSize: the largest datagram read in one go; longer
            ones are truncated by the kernel.
        :returns: the bound port.
        :raises plait.errors.CannotListenError: when the socket cannot be
            bound.
        """


class IReactorMulticast(Interface):
    """Binding UDP sockets that take part in IP multicast."""

    __module__ = "plait.interfaces"

    def listenMulticast(
        port: int,
        protocol: Any,
        interface: str = "",
        maxPacketSize: int = 8192,
        listenMultiple: bool = False,
    ) -> IListeningPort:
        """Bind a multicast-capable UDP socket on *port* for *protocol*.

        Its transport provides :class:`IMulticastTransport`, through which
        groups are joined.

        :param port: the port number; 0 lets the kernel choose.
        :param protocol: a datagram protocol.
        :param interface: the local address to bind; ``""`` means all.
        :param maxPacketSize: the largest datagram read in one go.
        :param listenMultiple: when true, set the socket options that let
            several sockets (and processes) bind the same address and port.
        :returns: the bound port.
        :raises plait.errors.CannotListenError: when the socket cannot be
            bound.
        """


class IReactorUNIXDatagram(Interface):
    """Binding and connecting UNIX datagram sockets."""

    __module__ = "plait.interfaces"

    def connectUNIXDatagram(
        address: str | bytes,
        protocol: Any,
        maxPacketSize: int = 8192,
        mode: int = 0o666,
        bindAddress: str | bytes | None = None,
    ) -> IConnector:
        """Create a UNIX datagram socket connected to the one at *address*.

        :param address: the peer's path or abstract name.
        :param protocol: a connected datagram protocol.
        :param maxPacketSize: the largest datagram read in one go.
        :param mode: the permission bits (not a umask) for our own socket
            file when *bindAddress* is a path.
        :param bindAddress: an optional local path or abstract name to bind
            first, so the peer can reply.
        :returns: the connector managing the socket.
        """

    def listenUNIXDatagram(
        address: str | bytes,
        protocol: Any,
        maxPacketSize: int = 8192,
        mode: int = 0o666,
    ) -> IListeningPort:
        """Bind a UNIX datagram socket at *address* and deliver to *protocol*.

        :param address: a filesystem path, or on Linux an abstract name
            starting with a NUL byte.
        :param protocol: a datagram protocol.
        :param maxPacketSize: the largest datagram read in one go.
        :param mode: the permission bits (not a umask) for the socket file;
            their effect on senders depends on the operating system.
        :returns: the bound port.
        :raises plait.errors.CannotListenError: when the socket cannot be
            bound.
        """
