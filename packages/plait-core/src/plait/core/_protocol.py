"""Base classes for protocols and the factories that build them.

A protocol object lives for one connection; a factory outlives its
connections and holds whatever they share.  Ports and connectors tell the
factory when they start and stop using it (``doStart``/``doStop``); the
factory turns the first start and the last stop into ``startFactory`` and
``stopFactory``, the hooks applications override.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from zope.interface import implementer

from plait.interfaces import (
    IAddress,
    ILoggingContext,
    IProtocol,
    IProtocolFactory,
    IStreamClientEndpoint,
)

from ._defer import Deferred

__all__ = [
    "BaseProtocol",
    "ClientFactory",
    "Factory",
    "Protocol",
    "ServerFactory",
    "connectProtocol",
]

log = logging.getLogger("plait.core")

_FactoryT = TypeVar("_FactoryT", bound="Factory")
_ProtocolT = TypeVar("_ProtocolT")


@implementer(ILoggingContext)
class BaseProtocol:
    """What every connection-oriented protocol has: a transport and a flag.

    ``transport`` is typed ``Any`` on purpose: the object a protocol talks
    through is a TCP, TLS, UNIX or in-memory transport, each offering more
    than :class:`plait.interfaces.ITransport` (``abortConnection``,
    ``loseWriteConnection``, socket options), and a protocol written for
    one of them should be able to call those without casts.
    """

    connected: bool = False
    transport: Any = None

    def makeConnection(self, transport: Any) -> None:
        """Remember *transport*, mark the protocol connected, run ``connectionMade``."""
        self.connected = True
        self.transport = transport
        self.connectionMade()

    def connectionMade(self) -> None:
        """Hook: the connection is ready.  Does nothing by default."""

    def logPrefix(self) -> str:
        """The name log messages about this protocol carry: its class name."""
        return type(self).__name__


@implementer(IProtocol)
class Protocol(BaseProtocol):
    """Base class for byte-stream protocols; override the hooks you need.

    ``factory`` is the :class:`Factory` that built this instance, set by
    :meth:`Factory.buildProtocol` (``None`` for a protocol made by hand).
    """

    factory: Factory | None = None

    def dataReceived(self, data: bytes) -> None:
        """Hook: bytes arrived.  Ignores them by default."""

    def connectionLost(self, reason: Any) -> None:
        """Hook: the connection ended (*reason* is a Failure).  Does nothing."""


@implementer(IProtocolFactory, ILoggingContext)
class Factory:
    """Builds one protocol per connection and counts the ports using it.

    Set :attr:`protocol` (a class, or any callable taking no arguments) in a
    subclass, or use :meth:`forProtocol`.  :attr:`numPorts` counts the ports
    and connectors currently using the factory.

    An unbalanced :meth:`doStop` (more stops than starts) changes nothing
    and logs a warning: it points at a bookkeeping bug in a port or
    connector, and ``stopFactory`` must not run a second time for it.
    """

    protocol: Callable[[], Protocol] | None = None
    numPorts: int = 0
    #: Log a line at DEBUG level when the factory starts and stops.
    noisy: bool = True

    @classmethod
    def forProtocol(
        cls: type[_FactoryT],
        protocol: Callable[[], Protocol],
        *args: Any,
        **kwargs: Any,
    ) -> _FactoryT:
        """Build ``cls(*args, **kwargs)`` and make it build *protocol*."""
        factory = cls(*args, **kwargs)
        factory.protocol = protocol
        return factory

    def logPrefix(self) -> str:
        """The name log messages about this factory carry: its class name."""
        return type(self).__name__

    def doStart(self) -> None:
        """A port or connector started using the factory; the first one starts it."""
        if not self.numPorts:
            if self.noisy:
                log.debug("Starting factory %r", self)
            self.startFactory()
        self.numPorts += 1

    def doStop(self) -> None:
        """A port or connector stopped using the factory; the last one stops it.

        Called with no port or connector using it, it only logs a warning.
        """
        if self.numPorts <= 0:
            log.warning(
                "%r: doStop() called more often than doStart(); "
                "a port or connector released this factory twice",
                self,
            )
            return
        self.numPorts -= 1
        if not self.numPorts:
            if self.noisy:
                log.debug("Stopping factory %r", self)
            self.stopFactory()

    def startFactory(self) -> None:
        """Hook: acquire shared resources before the first connection."""

    def stopFactory(self) -> None:
        """Hook: release shared resources after the last port let go."""

    def buildProtocol(self, addr: IAddress) -> Protocol | None:
        """Call :attr:`protocol`, point the new protocol's ``factory`` here.

        Override to refuse a connection (return ``None``) or to pass
        arguments to the protocol.

        :raises TypeError: :attr:`protocol` was never set.
        """
        make = self.protocol
        if make is None:
            raise TypeError(
                f"{type(self).__name__}.protocol is not set: assign a protocol "
                "class, or build the factory with forProtocol()"
            )
        protocol = make()
        protocol.factory = self
        return protocol


class ServerFactory(Factory):
    """A factory for protocols of accepted connections."""


class ClientFactory(Factory):
    """A factory for outgoing connections, told how each attempt went.

    The connector calls the hooks below; all do nothing by default.
    """

    def startedConnecting(self, connector: Any) -> None:
        """Hook: *connector* began an attempt."""

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        """Hook: the attempt of *connector* failed, for the Failure *reason*."""

    def clientConnectionLost(self, connector: Any, reason: Any) -> None:
        """Hook: the connection *connector* made has ended (Failure *reason*)."""


class _OneShotFactory(Factory):
    """Hands out one existing protocol, once; later connections are refused.

    Refusing a second connection (say, a second happy-eyeballs attempt that
    completed too) keeps one protocol from being bound to two transports.
    """

    noisy = False

    def __init__(self, protocol: Any) -> None:
        self._protocol: Any = protocol

    def buildProtocol(self, addr: IAddress) -> Any:
        protocol, self._protocol = self._protocol, None
        return protocol


def connectProtocol(
    endpoint: IStreamClientEndpoint, protocol: _ProtocolT
) -> Deferred[_ProtocolT]:
    """Connect an already built *protocol* through *endpoint*.

    :returns: a Deferred firing with *protocol* once it is connected, or
        failing as ``endpoint.connect`` does.
    """
    connected: Deferred[_ProtocolT] = endpoint.connect(_OneShotFactory(protocol))
    return connected
