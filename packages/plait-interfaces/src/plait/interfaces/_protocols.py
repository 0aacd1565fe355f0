"""Interfaces of protocols (the code reacting to a connection) and factories."""

from __future__ import annotations

from typing import Any

from zope.interface import Interface

from ._address import IAddress
from ._transports import IProcessTransport, ITransport


class IProtocol(Interface):
    """The handler of one byte-stream connection."""

    __module__ = "plait.interfaces"

    def makeConnection(transport: ITransport) -> None:
        """Bind the protocol to its *transport*, then call :meth:`connectionMade`.

        :param transport: the connection this protocol will talk through.
        """

    def connectionMade() -> None:
        """React to the connection being ready.

        Called once, after the transport is set: on the client side when
        the connect completed, on the server side once the connection was
        accepted.  The usual place to send a greeting or start a timer.
        """

    def dataReceived(data: bytes) -> None:
        """Handle bytes read from the connection.

        Chunk boundaries carry no meaning: a message may arrive split over
        several calls or several messages in one, so parsers must buffer.
        Testing a protocol by feeding it one byte at a time is a good habit.

        :param data: the bytes read, never empty.
        """

    def connectionLost(reason: Any) -> None:
        """React to the connection having closed; called exactly once.

        Drop references that would keep the protocol alive.

        :param reason: a :class:`plait.core.Failure` wrapping
            :class:`plait.errors.ConnectionDone` after a clean close or
            :class:`plait.errors.ConnectionLost` (or subclasses) otherwise.
        """


class IProcessProtocol(Interface):
    """The handler of the events of one child process."""

    __module__ = "plait.interfaces"

    def makeConnection(process: IProcessTransport) -> None:
        """Bind the protocol to the freshly spawned child.

        :param process: the transport standing for the child.
        """

    def childDataReceived(childFD: int, data: bytes) -> None:
        """Handle output the child wrote to one of its descriptors.

        :param childFD: the descriptor number, as the child sees it, the
            bytes came from (1 for stdout, 2 for stderr).
        :param data: the bytes read.
        """

    def childConnectionLost(childFD: int) -> None:
        """Learn that the pipe for the child's descriptor *childFD* closed.

        :param childFD: the descriptor number, as the child sees it.
        """

    def processExited(reason: Any) -> None:
        """Learn that the child has exited; its pipes may still be open.

        :param reason: a :class:`plait.core.Failure` wrapping
            :class:`plait.errors.ProcessDone` for exit status 0 or
            :class:`plait.errors.ProcessTerminated` otherwise.
        """

    def processEnded(reason: Any) -> None:
        """Learn that the child has exited and every pipe to it is closed.

        The last call the protocol receives.

        :param reason: as for :meth:`processExited`.
        """


class IHalfCloseableProtocol(Interface):
    """A protocol that wants half-closes reported instead of a full close.

    With TCP one side may stop sending yet keep receiving.  A protocol
    providing this interface is told about each direction closing through
    the methods below rather than through ``connectionLost``.
    """

    __module__ = "plait.interfaces"

    def readConnectionLost() -> None:
        """Learn that the peer will send nothing more (it shut down its side).

        From now on the protocol owns the decision to end the connection:
        it must call ``loseConnection()`` eventually, and must make sure it
        stays referenced until then (the reactor only holds transports that
        are writing), or it may be collected without ever hearing
        ``connectionLost``.
        """

    def writeConnectionLost() -> None:
        """Learn that our sending direction has been shut down.

        TCP gives no signal for this, so plait's TCP transport calls it
        right after a local ``loseWriteConnection()`` has taken effect.
        """


class IProtocolFactory(Interface):
    """Makes a protocol for each new connection of a port or connector."""

    __module__ = "plait.interfaces"

    def buildProtocol(addr: IAddress) -> IProtocol | None:
        """Create the protocol for a connection with the peer at *addr*.

        :param addr: the address of the other end.
        :returns: an :class:`IProtocol` provider, or ``None`` to refuse the
            connection, which the port then closes at once.
        """

    def doStart() -> None:
        """Note that a port or connector has started using this factory."""

    def doStop() -> None:
        """Note that a port or connector has stopped using this factory."""
