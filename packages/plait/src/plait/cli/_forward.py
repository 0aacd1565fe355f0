"""``plait forward``: relay every connection of one endpoint to another.

Each accepted connection gets its own outgoing connection to ``--to``.
The two transports are each other's streaming producer: when one side's
write buffer passes its high-water mark, the transport pauses reading
from the other side, so a slow reader slows the fast writer down and the
forwarder's memory stays bounded whichever way the data flows.

The accepted connection does not read until the outgoing one is up, so
nothing arrives that could not be passed on.  An end of input on one side
becomes a half-close on the other; a side that is lost closes the other
once what is buffered for it is written.  A ``--to`` that cannot be
reached closes only the connection that asked for it.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from typing import Any

from zope.interface import implementer

from plait.core import (
    Deferred,
    Factory,
    Protocol,
    clientFromString,
    connectProtocol,
)
from plait.errors import PlaitError
from plait.interfaces import IHalfCloseableProtocol

from ._console import CommandError, addressText, say
from ._echo import listenAll

__all__ = ["Forwarder", "serveForward"]

log = logging.getLogger("plait.cli")


@implementer(IHalfCloseableProtocol)
class _Side(Protocol):
    """One end of a relayed connection; ``peer`` is the other end."""

    def __init__(self, forwarder: Forwarder) -> None:
        self.forwarder = forwarder
        self.peer: _Side | None = None
        self.lost = False

    def join(self, peer: _Side) -> None:
        """Relay to *peer*; its transport pauses our reading when full."""
        self.peer = peer
        assert self.transport is not None and peer.transport is not None
        peer.transport.registerProducer(self.transport, True)

    def dataReceived(self, data: bytes) -> None:
        assert self.peer is not None and self.peer.transport is not None
        self.peer.transport.write(data)

    def readConnectionLost(self) -> None:
        peer = self.peer
        if peer is None or peer.lost or peer.transport is None:
            return
        # Nothing more will come from us: the peer stops waiting on our
        # transport as a producer, then sends its FIN after its buffer.
        peer.transport.unregisterProducer()
        halfClose = getattr(peer.transport, "loseWriteConnection", None)
        if halfClose is None:
            peer.transport.loseConnection()
        else:
            halfClose()

    def writeConnectionLost(self) -> None:
        """Our FIN went out; the peer may still be sending."""

    def connectionLost(self, reason: Any) -> None:
        self.lost = True
        peer = self.peer
        if peer is not None and not peer.lost and peer.transport is not None:
            peer.transport.unregisterProducer()
            peer.transport.loseConnection()


class _Accepted(_Side):
    """The side a client connected to; it dials ``--to`` for that client."""

    def connectionMade(self) -> None:
        assert self.transport is not None
        self.transport.pauseProducing()
        self.forwarder.opened()
        outgoing = _Side(self.forwarder)
        d = connectProtocol(self.forwarder.target, outgoing)
        d.addCallbacks(self._connected, self._unreachable)

    def _connected(self, outgoing: Any) -> None:
        assert self.transport is not None
        if self.lost:
            outgoing.transport.loseConnection()
            return
        self.join(outgoing)
        outgoing.join(self)
        self.transport.resumeProducing()

    def _unreachable(self, failure: Any) -> None:
        log.warning(
            "cannot reach %s for %s: %s",
            self.forwarder.targetDescription,
            self.transport.getPeer() if self.transport is not None else "a client",
            failure.value,
        )
        if self.transport is not None:
            self.transport.loseConnection()

    def connectionLost(self, reason: Any) -> None:
        super().connectionLost(reason)
        self.forwarder.closed()


class Forwarder(Factory):
    """Builds the accepted side of each relayed connection and counts them."""

    def __init__(self, target: Any, targetDescription: str) -> None:
        self.target = target
        self.targetDescription = targetDescription
        self.open = 0
        self.total = 0

    def buildProtocol(self, addr: Any) -> _Accepted:
        protocol = _Accepted(self)
        protocol.factory = self
        return protocol

    def opened(self) -> None:
        self.open += 1
        self.total += 1

    def closed(self) -> None:
        self.open -= 1

    def counts(self) -> str:
        """The line printed on SIGUSR1 and at exit."""
        return f"connections: {self.open} open, {self.total} total"


def _onSignal(signum: int, action: Callable[[], None]) -> Callable[[], None]:
    """Run *action* on the reactor thread when *signum* arrives."""
    previous = signal.signal(signum, lambda number, frame: action())

    def restore() -> None:
        signal.signal(signum, previous)

    return restore


async def serveForward(reactor: Any, listen: list[str], to: str) -> None:
    """Relay connections from every *listen* endpoint to *to* until stopped."""
    try:
        target = clientFromString(reactor, to)
    except (ValueError, TypeError, OSError, PlaitError) as e:
        raise CommandError(f"{to}: {e}") from e
    forwarder = Forwarder(target, to)
    ports = await listenAll(reactor, listen, forwarder)
    for description, listening in ports:
        say(f"forwarding {description} ({addressText(listening.getHost())}) to {to}")
    restore = _onSignal(
        signal.SIGUSR1, lambda: reactor.callFromThread(say, forwarder.counts())
    )
    try:
        forever: Deferred[None] = Deferred()
        await forever
    finally:
        restore()
        for _, listening in ports:
            listening.stopListening()
        say(forwarder.counts())
