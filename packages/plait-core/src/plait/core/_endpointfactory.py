"""The factory a client endpoint hands to its reactor's ``connect*`` call.

A stream connector tells its factory when the connection is established
(``connectionEstablished``), so an endpoint needs no protocol wrapper to
learn that the user's protocol is connected: the user's ``dataReceived``
is called directly. Every client endpoint family (TCP, TLS, UNIX) uses this
one factory.
"""

from __future__ import annotations

from typing import Any

from plait.errors import NoProtocol

from ._defer import Deferred
from ._failure import Failure

__all__ = ["EndpointFactory"]


class EndpointFactory:
    """Wraps the user's factory for one connection attempt of an endpoint.

    ``deferred`` fires with the protocol once it is connected, or fails
    with the reason the attempt failed: the connector's error, an exception
    of ``buildProtocol``, or :class:`~plait.errors.NoProtocol` when it
    returned None.
    """

    def __init__(self, factory: Any, deferred: Deferred[Any]) -> None:
        self.factory = factory
        self.deferred = deferred

    def doStart(self) -> None:
        self.factory.doStart()

    def doStop(self) -> None:
        self.factory.doStop()

    def startedConnecting(self, connector: Any) -> None:
        """Nothing to do: the endpoint's Deferred waits for the outcome."""

    def buildProtocol(self, addr: Any) -> Any:
        try:
            protocol = self.factory.buildProtocol(addr)
        except Exception:
            self._fail(Failure())
            return None
        if protocol is None:
            self._fail(Failure(NoProtocol()))
        return protocol

    def connectionEstablished(self, connector: Any, protocol: Any) -> None:
        if not self.deferred.called:
            self.deferred.callback(protocol)

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        self._fail(reason)

    def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
        self._fail(reason)  # only matters if lost before it was established

    def _fail(self, reason: Failure) -> None:
        if not self.deferred.called:
            self.deferred.errback(reason)
