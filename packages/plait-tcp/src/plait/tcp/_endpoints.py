"""TCP and TLS endpoints: listen and connect as Deferred-returning calls.

Client endpoints fire their Deferred once the protocol is connected (after
its ``connectionMade``). The TLS endpoints connect the application protocol
only after a successful handshake: a certificate that fails verification
fails the client's Deferred with an SSLError, and the protocol is never
connected (so it never hears connectionLost either).

Cancelling a connect Deferred abandons the attempt (closing the connection
if it already exists) and fails it with ConnectingCancelledError.

No protocol wrapper sits between the transport and the user's protocol on
plain TCP: the connector tells the endpoint's factory when the connection
is established, so the user's ``dataReceived`` is called directly.
"""

from __future__ import annotations

import socket
from typing import Any

from zope.interface import implementer

from plait.core import (
    Deferred,
    Failure,
    connectEndpoint,
    deferToThread,
    fail,
    succeed,
)
from plait.errors import (
    ConnectingCancelledError,
    DNSLookupError,
    MissingCapability,
)
from plait.interfaces import IStreamClientEndpoint, IStreamServerEndpoint

from ._connector import destinationFor
from ._tlssupport import TLS_EXTRA, tlsAvailable

__all__ = [
    "TCP4ClientEndpoint",
    "TCP4ServerEndpoint",
    "TCP6ClientEndpoint",
    "TCP6ServerEndpoint",
    "TLSClientEndpoint",
    "TLSServerEndpoint",
]


def connectTCPEndpoint(
    reactor: Any,
    host: str,
    port: int,
    factory: Any,
    timeout: float | None,
    bindAddress: tuple[str, int] | None,
) -> Deferred[Any]:
    """``connectTCP`` as a cancellable Deferred of the connected protocol."""
    return connectEndpoint(
        lambda wrapped: reactor.connectTCP(host, port, wrapped, timeout, bindAddress),
        factory,
    )


def _listen(
    reactor: Any, port: int, factory: Any, backlog: int, interface: str
) -> Deferred[Any]:
    try:
        listening = reactor.listenTCP(port, factory, backlog, interface)
    except Exception:
        # CannotListenError, and bad arguments too: an endpoint reports
        # through its Deferred.
        return fail(Failure())
    return succeed(listening)


@implementer(IStreamServerEndpoint)
class TCP4ServerEndpoint:
    """Listens on an IPv4 TCP port (``interface`` '' means every interface)."""

    def __init__(
        self, reactor: Any, port: int, backlog: int = 50, interface: str = ""
    ) -> None:
        self._reactor = reactor
        self._port = port
        self._backlog = backlog
        self._interface = interface

    def listen(self, protocolFactory: Any) -> Deferred[Any]:
        """A Deferred of the listening port, or of CannotListenError."""
        return _listen(
            self._reactor, self._port, protocolFactory, self._backlog, self._interface
        )


class TCP6ServerEndpoint(TCP4ServerEndpoint):
    """Listens on an IPv6 TCP port (``'::'``, the default, means every one)."""

    def __init__(
        self, reactor: Any, port: int, backlog: int = 50, interface: str = "::"
    ) -> None:
        super().__init__(reactor, port, backlog, interface)


@implementer(IStreamClientEndpoint)
class TCP4ClientEndpoint:
    """Connects to ``host:port`` over TCP (a name is resolved by the reactor)."""

    def __init__(
        self,
        reactor: Any,
        host: str,
        port: int,
        timeout: float | None = 30,
        bindAddress: tuple[str, int] | None = None,
    ) -> None:
        self._reactor = reactor
        self._host = host
        self._port = port
        self._timeout = timeout
        self._bindAddress = bindAddress

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """A Deferred of the connected protocol, or of the ConnectError."""
        return connectTCPEndpoint(
            self._reactor,
            self._host,
            self._port,
            protocolFactory,
            self._timeout,
            self._bindAddress,
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {destinationFor(self._host, self._port)}>"


def _firstIPv6(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_INET6, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise DNSLookupError(string=f"no IPv6 address for {host!r}: {e}") from e
    return str(infos[0][4][0])


class TCP6ClientEndpoint(TCP4ClientEndpoint):
    """Connects over IPv6; a host name is resolved to its IPv6 address."""

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """A Deferred of the connected protocol, or of the ConnectError."""
        host = self._host
        if ":" in host:
            return super().connect(protocolFactory)
        steps: list[Deferred[Any]] = []

        def cancel(d: Deferred[Any]) -> None:
            if steps:
                steps[-1].cancel()

        outer: Deferred[Any] = Deferred(cancel)

        def resolved(address: str) -> None:
            if outer.called:
                return
            inner = connectTCPEndpoint(
                self._reactor,
                address,
                self._port,
                protocolFactory,
                self._timeout,
                self._bindAddress,
            )
            steps.append(inner)
            inner.addCallbacks(outer.callback, failed)

        def failed(reason: Failure) -> None:
            if not outer.called:
                outer.errback(reason)

        lookup: Deferred[str] = deferToThread(
            self._reactor, _firstIPv6, host, self._port
        )
        steps.append(lookup)
        lookup.addCallbacks(resolved, failed)
        return outer


def _requireTLS(name: str) -> None:
    if not tlsAvailable():
        raise MissingCapability(name, TLS_EXTRA)


@implementer(IStreamServerEndpoint)
class TLSServerEndpoint:
    """Serves TLS over any stream server endpoint (TCP, UNIX...)."""

    def __init__(self, wrappedEndpoint: Any, contextFactory: Any) -> None:
        _requireTLS("TLSServerEndpoint")
        self._wrapped = wrappedEndpoint
        self._contextFactory = contextFactory

    def listen(self, protocolFactory: Any) -> Deferred[Any]:
        """Listen with every connection wrapped in TLS."""
        from ._tls_factory import TLSWrappingFactory

        wrapped = TLSWrappingFactory(
            protocolFactory, self._contextFactory, False, connectAfterHandshake=True
        )
        try:
            listening: Deferred[Any] = self._wrapped.listen(wrapped)
        except Exception:
            return fail(Failure())
        return listening


@implementer(IStreamClientEndpoint)
class TLSClientEndpoint:
    """Connects with TLS over any stream client endpoint.

    The Deferred fires with the application protocol once the handshake
    (and with plait's client options, the certificate check) succeeded.
    """

    def __init__(self, wrappedEndpoint: Any, contextFactory: Any) -> None:
        _requireTLS("TLSClientEndpoint")
        self._wrapped = wrappedEndpoint
        self._contextFactory = contextFactory

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """A Deferred of the connected application protocol."""
        from ._tls_factory import TLSWrappingFactory
        from ._tls_protocol import TLSTransport

        current: list[Any] = []

        def cancel(d: Deferred[Any]) -> None:
            step = current[-1] if current else None
            if isinstance(step, TLSTransport):
                d.errback(Failure(ConnectingCancelledError(self._wrapped)))
                step.abortConnection()
            elif step is not None:
                step.cancel()

        outer: Deferred[Any] = Deferred(cancel)
        factory = TLSWrappingFactory(
            protocolFactory, self._contextFactory, True, connectAfterHandshake=True
        )
        try:
            connecting = self._wrapped.connect(factory)
        except Exception:
            return fail(Failure())
        current.append(connecting)

        def connected(tls: TLSTransport) -> None:
            current.append(tls)
            tls.whenHandshakeDone().addCallbacks(shook, failed)

        def shook(tls: TLSTransport) -> None:
            if not outer.called:
                outer.callback(tls.protocol)

        def failed(reason: Failure) -> None:
            if not outer.called:
                outer.errback(reason)

        connecting.addCallbacks(connected, failed)
        return outer
