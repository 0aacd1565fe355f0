"""Interfaces of datagram transports: UDP, UNIX datagram sockets, multicast."""

from __future__ import annotations

from typing import Any

from zope.interface import Interface

from ._address import IAddress


class IUDPTransport(Interface):
    """The transport a UDP datagram protocol sends through."""

    __module__ = "plait.interfaces"

    def write(packet: bytes, addr: tuple[str, int] | None = None) -> None:
        """Send one datagram.

        :param packet: the whole datagram payload.
        :param addr: the ``(ip, port)`` destination.  Required while the
            transport is unconnected; once connected it must be ``None`` or
            the connected address.
        :raises plait.errors.MessageLengthError: when *packet* is larger
            than the socket can send in one datagram.
        """

    def connect(host: str, port: int) -> None:
        """Switch to connected mode, bound to one remote address.

        From then on datagrams go only to that address and only datagrams
        from it are delivered; the protocol may hear ``connectionRefused``
        when the kernel reports nobody listens there.

        :param host: a literal IP address (not a host name).
        :param port: the remote port.
        """

    def getHost() -> IAddress:
        """Give the local address, an :class:`plait.address.IPv4Address` or
        :class:`plait.address.IPv6Address`."""

    def stopListening() -> Any:
        """Close the socket.

        :returns: ``None`` when closed at once, otherwise a
            :class:`plait.core.Deferred` firing when the close is complete.
        """


class IUNIXDatagramTransport(Interface):
    """The transport of an unconnected UNIX datagram socket."""

    __module__ = "plait.interfaces"

    def write(packet: bytes, address: str | bytes) -> None:
        """Send one datagram to the socket at *address*.

        :param packet: the whole datagram payload.
        :param address: the path (or abstract name) of the destination.
        """

    def getHost() -> IAddress:
        """Give the local address, a :class:`plait.address.UNIXAddress`."""


class IUNIXDatagramConnectedTransport(Interface):
    """The transport of a UNIX datagram socket connected to one peer."""

    __module__ = "plait.interfaces"

    def write(packet: bytes) -> None:
        """Send one datagram to the connected peer.

        :param packet: the whole datagram payload.
        """

    def getHost() -> IAddress:
        """Give the local address, a :class:`plait.address.UNIXAddress`."""

    def getPeer() -> IAddress:
        """Give the peer's address, a :class:`plait.address.UNIXAddress`."""


class IMulticastTransport(Interface):
    """Extra operations of a UDP transport that takes part in multicast."""

    __module__ = "plait.interfaces"

    def getOutgoingInterface() -> str | int:
        """Give the interface multicast datagrams leave from: its address for
        IPv4, its index for IPv6."""

    def setOutgoingInterface(addr: str | int) -> Any:
        """Choose the interface multicast datagrams leave from.

        :param addr: the local address of that interface (IPv4), or its
            index or name (IPv6).
        :returns: a :class:`plait.core.Deferred` firing once it is set.
        """

    def getLoopbackMode() -> bool:
        """Report whether our own multicast datagrams are delivered back to us."""

    def setLoopbackMode(mode: bool) -> None:
        """Choose whether our own multicast datagrams are delivered back to us.

        :param mode: true to receive them, false not to.
        """

    def getTTL() -> int:
        """Give the hop limit put on outgoing multicast datagrams."""

    def setTTL(ttl: int) -> None:
        """Set the hop limit put on outgoing multicast datagrams.

        :param ttl: the number of routers a datagram may cross.
        """

    def joinGroup(addr: str, interface: str = "") -> Any:
        """Start receiving the multicast group *addr*.

        :param addr: the group address.
        :param interface: the local interface address to join on; ``""``
            lets the kernel choose.
        :returns: a :class:`plait.core.Deferred` firing on success.
        :raises plait.errors.MulticastJoinError: through the Deferred's
            errback when the kernel refuses the membership.
        """

    def leaveGroup(addr: str, interface: str = "") -> Any:
        """Stop receiving the multicast group *addr*.

        :param addr: the group address.
        :param interface: the interface it was joined on.
        :returns: a :class:`plait.core.Deferred` firing once left.
        """
