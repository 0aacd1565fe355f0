"""Two protocols connected through memory, moved forward by hand.

:func:`loopbackPair` connects a server protocol and a client protocol with
two :class:`LoopbackTransport` objects.  Nothing moves until the test
calls :meth:`LoopbackPair.pump`, which delivers the bytes each side wrote
to the other, runs the producers and completes closes, over and over until
nothing is left to do.  That makes a conversation between two protocols
deterministic, with no sockets, threads or clock involved.

The transports keep the promises of a real stream transport: bytes arrive
in order; ``loseConnection`` closes only after everything written was
delivered and the producer is unregistered; ``abortConnection`` drops
what is queued; each protocol hears ``connectionLost`` exactly once, and
never from inside its own call to ``loseConnection`` or
``abortConnection`` (the news comes with the next pump).  A push producer
is paused when more than ``highWater`` bytes wait to be delivered and
resumed once they are; a pull producer is asked for a chunk each time the
queue is empty.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from zope.interface import implementer

from plait.address import IPv4Address
from plait.errors import ConnectionAborted, ConnectionDone, ConnectionLost
from plait.interfaces import IAddress, IConsumer, IPushProducer, ITransport

from .._failure import Failure
from .._producers import ProducerSlot, ProducerState

__all__ = ["LoopbackPair", "LoopbackTransport", "loopbackPair"]

SERVER_ADDRESS = IPv4Address("TCP", "127.0.0.1", 8000)
CLIENT_ADDRESS = IPv4Address("TCP", "127.0.0.1", 49152)


class _LinkState(enum.Enum):
    CONNECTED = "connected"
    DISCONNECTING = "close requested, delivering what is queued"
    CLOSED = "closed"


_TRANSITIONS: dict[_LinkState, frozenset[_LinkState]] = {
    _LinkState.CONNECTED: frozenset({_LinkState.DISCONNECTING, _LinkState.CLOSED}),
    _LinkState.DISCONNECTING: frozenset({_LinkState.CLOSED}),
    _LinkState.CLOSED: frozenset(),
}


@implementer(ITransport, IConsumer, IPushProducer)
class LoopbackTransport:
    """One end of a :class:`LoopbackPair`; its protocol is ``protocol``."""

    #: Queue size above which a registered push producer is paused.
    highWater = 64 * 1024

    def __init__(
        self, pair: LoopbackPair, protocol: Any, host: IAddress, peer: IAddress
    ) -> None:
        self.protocol = protocol
        self._pair = pair
        self._host = host
        self._peer = peer
        self._queue: list[bytes] = []
        self._queued = 0
        self._slot = ProducerSlot()
        self._state = _LinkState.CONNECTED
        self._readPaused = False

    def __repr__(self) -> str:
        return f"<LoopbackTransport {self._host} -> {self._peer} {self._state.name}>"

    def _move(self, new: _LinkState) -> None:
        if new not in _TRANSITIONS[self._state]:
            raise RuntimeError(f"loopback cannot go from {self._state} to {new}")
        self._state = new

    @property
    def connected(self) -> bool:
        """True until the connection has closed."""
        return self._state is not _LinkState.CLOSED

    @property
    def disconnecting(self) -> bool:
        """True once a close was asked for or has happened."""
        return self._state is not _LinkState.CONNECTED

    @property
    def producer(self) -> Any:
        """The registered producer, or ``None``."""
        return self._slot.producer

    def queuedBytes(self) -> int:
        """How many written bytes wait for the next pump."""
        return self._queued

    # -- ITransport --------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Queue *data* for the peer; ignored once a close was asked for,
        unless a producer is still registered (the close waits for it)."""
        state = self._state
        if not data or state is _LinkState.CLOSED:
            return
        if state is _LinkState.DISCONNECTING and self._slot.producer is None:
            return
        self._queue.append(bytes(data))
        self._queued += len(data)
        if self._queued > self.highWater:
            self._slot.pause()

    def writeSequence(self, data: Iterable[bytes]) -> None:
        """Queue every chunk of *data*, in order."""
        for chunk in data:
            self.write(chunk)

    def loseConnection(self) -> None:
        """Close once the queue is delivered and no producer is registered."""
        if self._state is _LinkState.CONNECTED:
            self._move(_LinkState.DISCONNECTING)

    def abortConnection(self) -> None:
        """Close now, dropping the queue; both sides hear of it next pump."""
        if self._state is not _LinkState.CLOSED:
            self._pair._close(
                self,
                ConnectionAborted("loopback connection aborted"),
                ConnectionLost("the peer aborted the loopback connection"),
            )

    def getHost(self) -> IAddress:
        """This end's address."""
        return self._host

    def getPeer(self) -> IAddress:
        """The other end's address."""
        return self._peer

    # -- IConsumer ---------------------------------------------------------

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Attach *producer*; on a closed connection it is stopped at once.

        :raises RuntimeError: a producer is registered already.
        """
        if self._state is _LinkState.CLOSED:
            producer.stopProducing()
            return
        self._slot.register(producer, streaming)
        if streaming and self._queued > self.highWater:
            self._slot.pause()

    def unregisterProducer(self) -> None:
        """Detach the producer; a requested close may now complete."""
        self._slot.unregister()

    # -- IPushProducer: reading ------------------------------------------

    def pauseProducing(self) -> None:
        """Deliver nothing to this end's protocol until resumed."""
        self._readPaused = True

    def resumeProducing(self) -> None:
        """Deliver to this end's protocol again."""
        self._readPaused = False

    def stopProducing(self) -> None:
        """Close the connection (as ``loseConnection``)."""
        self.loseConnection()

    # -- used by the pair ------------------------------------------------

    def _take(self) -> bytes:
        data = b"".join(self._queue)
        self._queue.clear()
        self._queued = 0
        return data

    def _askProducer(self) -> bool:
        """The queue is empty: resume or ask the producer; did it write?"""
        before = len(self._queue)
        if self._slot.drained():
            return len(self._queue) > before
        return False


class LoopbackPair:
    """A server and a client connected in memory; see :meth:`pump`."""

    def __init__(
        self,
        serverProtocol: Any,
        clientProtocol: Any,
        serverAddress: IAddress = SERVER_ADDRESS,
        clientAddress: IAddress = CLIENT_ADDRESS,
    ) -> None:
        self.server = LoopbackTransport(
            self, serverProtocol, serverAddress, clientAddress
        )
        self.client = LoopbackTransport(
            self, clientProtocol, clientAddress, serverAddress
        )
        self._news: list[tuple[LoopbackTransport, Failure]] = []

    def _close(
        self, closer: LoopbackTransport, reason: Exception, peerReason: Exception
    ) -> None:
        """End the connection now; the protocols hear of it next pump."""
        peer = self.client if closer is self.server else self.server
        for end, why in ((closer, reason), (peer, peerReason)):
            if end._state is _LinkState.CLOSED:
                continue
            end._move(_LinkState.CLOSED)
            end._take()
            end._slot.stop()
            self._news.append((end, Failure(why)))

    def _step(self) -> bool:
        progressed = False
        for src, dst in ((self.client, self.server), (self.server, self.client)):
            if src._state is _LinkState.CLOSED:
                continue
            if src._queue and not dst._readPaused:
                dst.protocol.dataReceived(src._take())
                progressed = True
            if not src._queue and src._slot.state is not ProducerState.NONE:
                progressed = src._askProducer() or progressed
        for end in (self.client, self.server):
            if (
                end._state is _LinkState.DISCONNECTING
                and not end._queue
                and end._slot.producer is None
            ):
                self._close(
                    end,
                    ConnectionDone("loopback connection closed"),
                    ConnectionDone("the peer closed the loopback connection"),
                )
        news, self._news = self._news, []
        for end, reason in news:
            end.protocol.connectionLost(reason)
            progressed = True
        return progressed

    def pump(self, limit: int = 10_000) -> bool:
        """Deliver, produce and close until nothing changes.

        :param limit: the most rounds to run; protocols that keep talking
            to each other forever would otherwise never let this return.
        :returns: whether anything happened.
        :raises RuntimeError: *limit* rounds went by and there was still
            work to do.
        """
        moved = False
        for _ in range(limit):
            if not self._step():
                return moved
            moved = True
        raise RuntimeError(f"the loopback pair was still busy after {limit} rounds")


def loopbackPair(
    serverProtocol: Any,
    clientProtocol: Any,
    *,
    serverAddress: IAddress = SERVER_ADDRESS,
    clientAddress: IAddress = CLIENT_ADDRESS,
) -> LoopbackPair:
    """Connect two protocols in memory: the server's ``makeConnection`` first.

    Nothing is delivered until :meth:`LoopbackPair.pump` is called.
    """
    pair = LoopbackPair(serverProtocol, clientProtocol, serverAddress, clientAddress)
    serverProtocol.makeConnection(pair.server)
    clientProtocol.makeConnection(pair.client)
    return pair
