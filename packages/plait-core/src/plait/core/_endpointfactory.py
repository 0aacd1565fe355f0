"""The factory a client endpoint hands to its reactor's ``connect*`` call.

A stream connector tells its factory when the connection is established
(``connectionEstablished``), so an endpoint needs no protocol wrapper to
learn that the user's protocol is connected: the user's ``dataReceived``
is called directly. Every client endpoint family (TCP, TLS, UNIX) uses this
one factory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plait.errors import ConnectingCancelledError, NoProtocol

from ._connectorlife import ConnectorState
from ._defer import Deferred, fail
from ._failure import Failure

__all__ = ["EndpointFactory", "connectEndpoint"]


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


def connectEndpoint(
    connect: Callable[[EndpointFactory], Any], factory: Any
) -> Deferred[Any]:
    """A client endpoint's ``connect``: ``connect(endpointFactory)`` makes
    the reactor call (``connectTCP``, ``connectUNIX``...) and returns its
    connector; the Deferred fires with the connected protocol.

    Cancelling it abandons the attempt, or closes a connection already
    made, and fails it with ``ConnectingCancelledError``. Bad arguments
    (what the reactor call raises) fail it too: an endpoint reports
    through its Deferred.
    """
    box: list[Any] = []

    def cancel(d: Deferred[Any]) -> None:
        connector = box[0] if box else None
        if connector is None:
            return
        # A connector without a state (a test reactor's) is still connecting.
        state = getattr(connector, "state", ConnectorState.CONNECTING)
        if state is ConnectorState.CONNECTING:
            d.errback(Failure(ConnectingCancelledError(connector.getDestination())))
            connector.stopConnecting()
        elif state is ConnectorState.CONNECTED:
            d.errback(Failure(ConnectingCancelledError(connector.getDestination())))
            connector.transport.abortConnection()

    d: Deferred[Any] = Deferred(cancel)
    try:
        connector = connect(EndpointFactory(factory, d))
    except Exception:
        return fail(Failure())
    box.append(connector)
    return d
