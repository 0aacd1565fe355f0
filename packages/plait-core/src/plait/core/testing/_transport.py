"""A transport that records what a protocol writes, for unit tests.

Connect a protocol to a :class:`StringTransport`, feed it bytes through
``protocol.dataReceived`` and read its answers with :meth:`value`.  Nothing
is sent anywhere and nothing happens on its own: closing only sets
attributes that the test inspects.  Writes after ``loseConnection`` are
recorded too, so a test can catch a protocol that keeps talking.

:class:`StringTransportWithDisconnection` also tells its protocol that the
connection is lost when it is closed, as a real transport would.
"""

from __future__ import annotations

import enum
import io
from collections.abc import Iterable
from typing import Any

from zope.interface import implementer

from plait.address import IPv4Address
from plait.errors import ConnectionAborted, ConnectionDone
from plait.interfaces import (
    IAddress,
    IConsumer,
    IPushProducer,
    ITCPTransport,
    ITransport,
)

from .._failure import Failure
from .._producers import ProducerSlot

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PEER",
    "ProductionState",
    "StringTransport",
    "StringTransportWithDisconnection",
]

#: Addresses from the documentation ranges of RFC 5737: they never route.
DEFAULT_HOST = IPv4Address("TCP", "192.0.2.1", 8080)
DEFAULT_PEER = IPv4Address("TCP", "198.51.100.7", 54321)


class ProductionState(str, enum.Enum):
    """The transport's own state as a producer of received bytes.

    The values are strings, so ``transport.producerState == "paused"``
    works as well as comparing to the members.
    """

    PRODUCING = "producing"
    PAUSED = "paused"
    STOPPED = "stopped"


_TRANSITIONS: dict[ProductionState, frozenset[ProductionState]] = {
    ProductionState.PRODUCING: frozenset(ProductionState),
    ProductionState.PAUSED: frozenset(ProductionState),
    ProductionState.STOPPED: frozenset({ProductionState.STOPPED}),
}


@implementer(ITransport, ITCPTransport, IConsumer, IPushProducer)
class StringTransport:
    """Collects written bytes; records closes, producers and socket options.

    :param hostAddress: what :meth:`getHost` returns (default
        :data:`DEFAULT_HOST`).
    :param peerAddress: what :meth:`getPeer` returns (default
        :data:`DEFAULT_PEER`).

    Attributes a test reads: ``disconnecting`` (``loseConnection`` or
    ``abortConnection`` was called), ``aborted``, ``writeClosed``
    (``loseWriteConnection`` was called), ``producer`` and ``streaming``
    (the registered producer), ``producerState`` (whether the protocol
    paused or stopped this transport as a producer).
    """

    def __init__(
        self,
        hostAddress: IAddress | None = None,
        peerAddress: IAddress | None = None,
    ) -> None:
        self.hostAddress: IAddress = (
            DEFAULT_HOST if hostAddress is None else hostAddress
        )
        self.peerAddress: IAddress = (
            DEFAULT_PEER if peerAddress is None else peerAddress
        )
        self.io = io.BytesIO()
        self.disconnecting = False
        self.aborted = False
        self.writeClosed = False
        self.producerState = ProductionState.PRODUCING
        self.tcpNoDelay = False
        self.tcpKeepAlive = False
        self._slot = ProducerSlot()

    # -- what the test reads ---------------------------------------------

    def value(self) -> bytes:
        """Every byte written so far (since the last :meth:`clear`)."""
        return self.io.getvalue()

    def clear(self) -> None:
        """Forget the bytes written so far."""
        self.io.seek(0)
        self.io.truncate()

    @property
    def producer(self) -> Any:
        """The registered producer, or ``None``."""
        return self._slot.producer

    @property
    def streaming(self) -> bool | None:
        """Whether the registered producer is a push producer (None: none)."""
        return self._slot.streaming

    # -- ITransport --------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Record *data*.

        :raises TypeError: *data* is not bytes-like (a ``str``, say): a
            real transport would fail too, later and less clearly.
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"transports take bytes, not {type(data).__name__}")
        self.io.write(data)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        """Record each chunk of *data* in order."""
        for chunk in data:
            self.write(chunk)

    def loseConnection(self) -> None:
        """Record that the protocol asked to close."""
        self.disconnecting = True

    def abortConnection(self) -> None:
        """Record that the protocol asked to close at once."""
        self.aborted = True
        self.disconnecting = True

    def getHost(self) -> IAddress:
        """The local address given at construction."""
        return self.hostAddress

    def getPeer(self) -> IAddress:
        """The remote address given at construction."""
        return self.peerAddress

    # -- ITCPTransport -----------------------------------------------------

    def loseWriteConnection(self) -> None:
        """Record that the protocol asked to close its sending direction."""
        self.writeClosed = True

    def getTcpNoDelay(self) -> bool:
        """The value last given to :meth:`setTcpNoDelay` (False at first)."""
        return self.tcpNoDelay

    def setTcpNoDelay(self, enabled: bool) -> None:
        """Record the option."""
        self.tcpNoDelay = bool(enabled)

    def getTcpKeepAlive(self) -> bool:
        """The value last given to :meth:`setTcpKeepAlive` (False at first)."""
        return self.tcpKeepAlive

    def setTcpKeepAlive(self, enabled: bool) -> None:
        """Record the option."""
        self.tcpKeepAlive = bool(enabled)

    # -- IConsumer ---------------------------------------------------------

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Record *producer*; nothing drives it (the test does).

        :raises RuntimeError: a producer is registered already.
        """
        self._slot.register(producer, streaming)

    def unregisterProducer(self) -> None:
        """Forget the producer.

        :raises RuntimeError: no producer is registered (a protocol bug a
            test should hear about).
        """
        if self._slot.producer is None:
            raise RuntimeError("unregisterProducer() called with no producer")
        self._slot.unregister()

    # -- IPushProducer: the transport as the source of received bytes ------

    def _moveTo(self, new: ProductionState) -> None:
        if new not in _TRANSITIONS[self.producerState]:
            raise RuntimeError(
                f"a stopped transport cannot become {new.value}: stopProducing() "
                "was called already"
            )
        self.producerState = new

    def pauseProducing(self) -> None:
        """Record that the protocol wants no more data for now."""
        self._moveTo(ProductionState.PAUSED)

    def resumeProducing(self) -> None:
        """Record that the protocol wants data again."""
        self._moveTo(ProductionState.PRODUCING)

    def stopProducing(self) -> None:
        """Record that the protocol wants no more data, ever."""
        self._moveTo(ProductionState.STOPPED)


class StringTransportWithDisconnection(StringTransport):
    """A :class:`StringTransport` that reports the end of the connection.

    Set :attr:`protocol` (``makeConnection`` is not called for you).
    ``loseConnection`` tells the protocol ``connectionLost`` with
    ``ConnectionDone`` (once a registered producer has unregistered, as
    a real transport waits for it); ``abortConnection`` tells it at once,
    with ``ConnectionAborted``. Either happens once; later closes are
    recorded only.
    """

    protocol: Any = None
    connected: bool = True
    _closeWaiting: bool = False

    def _lose(self, reason: Exception) -> None:
        if not self.connected:
            return
        self.connected = False
        self._slot.stop()
        if self.protocol is not None:
            self.protocol.connectionLost(Failure(reason))

    def loseConnection(self) -> None:
        """Record the close and tell the protocol, with ConnectionDone,
        now or once the registered producer unregisters."""
        super().loseConnection()
        if self._slot.producer is not None:
            self._closeWaiting = True
            return
        self._lose(ConnectionDone("the StringTransport was closed"))

    def unregisterProducer(self) -> None:
        """Forget the producer; a close that waited for it happens now."""
        super().unregisterProducer()
        if self._closeWaiting:
            self._closeWaiting = False
            self._lose(ConnectionDone("the StringTransport was closed"))

    def abortConnection(self) -> None:
        """Record the abort and tell the protocol, with ConnectionAborted."""
        super().abortConnection()
        self._lose(ConnectionAborted("the StringTransport was aborted"))
