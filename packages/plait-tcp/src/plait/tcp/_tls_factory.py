"""Making TLS engines from context factories, and wrapping protocol factories.

A context factory is either one of plait's option objects (which build each
connection with its verification already set up, and know their role) or
any object whose ``getContext()`` returns an ``OpenSSL.SSL.Context``, as
the contract allows; for those the role comes from the caller.
"""

from __future__ import annotations

from typing import Any

from OpenSSL import SSL

from plait.core import Failure

from ._tls_engine import TLSEngine

__all__ = ["TLSWrappingFactory", "engineFor"]


def engineFor(contextFactory: Any, isClient: bool) -> TLSEngine:
    """A TLS engine for ``contextFactory``: plait options or any getContext()."""
    creator = getattr(contextFactory, "connectionForTLS", None)
    if creator is not None:
        connection, record = creator()
        side = getattr(contextFactory, "isClient", isClient)
        return TLSEngine(connection, serverSide=not side, verify=record)
    connection = SSL.Connection(contextFactory.getContext(), None)
    return TLSEngine(connection, serverSide=not isClient)


class TLSWrappingFactory:
    """Wraps each protocol ``factory`` builds in a ``TLSTransport``.

    Client-factory notifications pass through to the wrapped factory.
    """

    def __init__(
        self,
        factory: Any,
        contextFactory: Any,
        isClient: bool,
        connectAfterHandshake: bool = False,
    ) -> None:
        self.wrappedFactory = factory
        self.contextFactory = contextFactory
        self.isClient = isClient
        self.connectAfterHandshake = connectAfterHandshake

    def doStart(self) -> None:
        """Start the wrapped factory."""
        self.wrappedFactory.doStart()

    def doStop(self) -> None:
        """Stop the wrapped factory."""
        self.wrappedFactory.doStop()

    def buildProtocol(self, addr: Any) -> Any:
        """The wrapped factory's protocol inside a TLS layer (None passes)."""
        protocol = self.wrappedFactory.buildProtocol(addr)
        if protocol is None:
            return None
        from ._tls_protocol import TLSTransport

        return TLSTransport(
            protocol, self.contextFactory, self.isClient, self.connectAfterHandshake
        )

    def startedConnecting(self, connector: Any) -> None:
        """Pass the notification on."""
        self._forward("startedConnecting", connector)

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        """Pass the notification on."""
        self._forward("clientConnectionFailed", connector, reason)

    def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
        """Pass the notification on."""
        self._forward("clientConnectionLost", connector, reason)

    def _forward(self, name: str, *args: Any) -> None:
        method = getattr(self.wrappedFactory, name, None)
        if method is not None:
            method(*args)

    def logPrefix(self) -> str:
        """The wrapped factory's class name."""
        return type(self.wrappedFactory).__name__
