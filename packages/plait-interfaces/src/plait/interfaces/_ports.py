"""Interfaces of the handles a reactor returns for listening and connecting."""

from __future__ import annotations

from typing import Any

from zope.interface import Interface

from ._address import IAddress


class IConnector(Interface):
    """The handle of one outgoing connection, from first attempt to close.

    A client factory receives it in its callbacks and may use it to retry
    (``connect``) or give up (``stopConnecting``).
    """

    __module__ = "plait.interfaces"

    def stopConnecting() -> None:
        """Abandon the connection attempt in progress.

        The factory hears a failed connection with
        :class:`plait.errors.UserError`.

        :raises plait.errors.NotConnectingError: when no attempt is in
            progress (already connected, or already given up).
        """

    def disconnect() -> None:
        """End things whatever the state: close if connected, else stop trying."""

    def connect() -> None:
        """Start a new attempt to reach the destination."""

    def getDestination() -> IAddress:
        """Say where this connector connects to.

        :returns: the remote address as an :class:`IAddress` provider.
        """


class IListeningPort(Interface):
    """A socket accepting connections or datagrams for a protocol factory."""

    __module__ = "plait.interfaces"

    def startListening() -> None:
        """Bind the socket and begin accepting.

        Reactor ``listen*`` methods call this before returning the port.

        :raises plait.errors.CannotListenError: when the address cannot be
            bound or the socket cannot be put into listening state (for
            instance because the port is taken).
        """

    def stopListening() -> Any:
        """Stop accepting and close the socket.

        Connections already accepted are left alone.

        :returns: ``None`` if the port closed at once, otherwise a
            :class:`plait.core.Deferred` firing when it has.
        """

    def getHost() -> IAddress:
        """Give the address the port is bound to, with the real port number.

        Useful after listening on port 0 to learn which port the kernel
        picked.

        :returns: an :class:`IAddress` provider.
        """
