"""Connectors: one outgoing TCP connection at a time, re-connectable.

A ``Connector`` is what ``connectTCP`` returns. Each ``connect()`` starts an
``_Attempt``: resolve the host unless it is an IP literal, create a
non-blocking socket (AF_INET6 for IPv6 literals), optionally bind it, and
start ``connect``. The kernel reports the outcome by making the socket
writable; ``SO_ERROR`` then says whether it worked.

The factory hears ``startedConnecting`` before the attempt starts and
exactly one of ``clientConnectionFailed`` / ``clientConnectionLost`` per
attempt. A failure found while the attempt is still starting is reported on
the next reactor turn, so ``connectTCP`` never calls back into the factory
before it has returned the connector. ``doStart`` runs on the first
``connect`` and ``doStop`` once the factory lets the connector rest (it did
not call ``connect()`` again from its failure or loss handler).
"""

from __future__ import annotations

import enum
import errno
import logging
import os
import socket
from typing import Any

from zope.interface import implementer

from plait.core import Failure, sockaddrFor
from plait.errors import (
    CancelledError,
    DNSLookupError,
    NoProtocol,
    NotConnectingError,
    ServiceNameUnknownError,
    TimeoutError,
    UserError,
)
from plait.interfaces import IConnector

from ._errors import bindErrorFor, connectErrorFor
from ._tcp import Client, IPAddress, addressFor, enableNoDelay

__all__ = ["Connector", "ConnectorState", "destinationFor"]

log = logging.getLogger("plait.tcp")

_IN_PROGRESS = frozenset(
    {0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, errno.EINTR}
)


def _numeric(host: str, port: int) -> tuple[int, Any] | None:
    """(family, sockaddr) for an IP literal, None for a host name."""
    try:
        infos = socket.getaddrinfo(
            host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST
        )
    except (socket.gaierror, UnicodeError, OverflowError):
        return None
    family, _, _, _, sockaddr = infos[0]
    return family, sockaddr


def destinationFor(host: str, port: int) -> IPAddress:
    """The address a connector aims at, with the host as given."""
    if ":" in host:
        return addressFor((host, port, 0, 0))
    return addressFor((host, port))


class ConnectorState(enum.Enum):
    """Where a connector stands."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"


_TRANSITIONS: dict[ConnectorState, frozenset[ConnectorState]] = {
    ConnectorState.DISCONNECTED: frozenset({ConnectorState.CONNECTING}),
    ConnectorState.CONNECTING: frozenset(
        {ConnectorState.CONNECTED, ConnectorState.DISCONNECTED}
    ),
    ConnectorState.CONNECTED: frozenset({ConnectorState.DISCONNECTED}),
}


class _Attempt:
    """One try at connecting: resolution, then a non-blocking connect."""

    def __init__(self, connector: Connector) -> None:
        self.connector = connector
        self.reactor = connector.reactor
        self.socket: socket.socket | None = None
        self.sockaddr: Any = None
        self._resolving: Any = None
        self._starting = True
        self._watching = False
        self._done = False

    def start(self) -> None:
        c = self.connector
        numeric = _numeric(c.host, c.port)
        if numeric is not None:
            self._connectTo(*numeric)
        else:
            d = self.reactor.resolve(c.host)
            self._resolving = d
            d.addCallbacks(self._resolved, self._resolveFailed)
        self._starting = False

    def _resolved(self, address: str) -> None:
        self._resolving = None
        if self._done:
            return
        numeric = _numeric(address, self.connector.port)
        if numeric is None:
            self._fail(DNSLookupError(string=f"{address!r} is not an IP address"))
            return
        self._connectTo(*numeric)

    def _resolveFailed(self, failure: Failure) -> None:
        self._resolving = None
        if self._done:
            return
        error = failure.value
        if not isinstance(error, DNSLookupError):
            host = self.connector.host
            error = DNSLookupError(string=f"{host!r} could not be resolved: {error}")
        self._fail(error)

    def _connectTo(self, family: int, sockaddr: Any) -> None:
        sock = socket.socket(family, socket.SOCK_STREAM)
        self.socket = sock
        self.sockaddr = sockaddr
        sock.setblocking(False)
        bindAddress = self.connector.bindAddress
        if bindAddress is not None:
            try:
                sock.bind(_bindable(family, bindAddress))
            except (OSError, OverflowError, TypeError) as e:
                err = e if isinstance(e, OSError) else OSError(errno.EINVAL, str(e))
                self._fail(bindErrorFor(err, bindAddress))
                return
        code = sock.connect_ex(sockaddr)
        if code in _IN_PROGRESS:
            self._watching = True
            self.reactor.addWriter(self)
        else:
            self._fail(connectErrorFor(OSError(code, os.strerror(code))))

    def doWrite(self) -> None:
        sock = self.socket
        self._unwatch()
        if sock is None or self._done:
            return
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            self._fail(connectErrorFor(OSError(code, os.strerror(code))))
            return
        self._done = True
        self.socket = None
        self.connector._connected(sock, self.sockaddr)

    def _fail(self, error: BaseException) -> None:
        if self._done:
            return
        self.cancel()
        reason = Failure(error)
        if self._starting:
            self.reactor.callLater(0, self.connector._failed, self, reason)
        else:
            self.connector._failed(self, reason)

    def cancel(self) -> None:
        """Give up: stop resolving or connecting and close the socket."""
        self._done = True
        self._unwatch()
        resolving, self._resolving = self._resolving, None
        if resolving is not None:
            resolving.addErrback(lambda f: f.trap(CancelledError))
            resolving.cancel()
        sock, self.socket = self.socket, None
        if sock is not None:
            sock.close()

    def _unwatch(self) -> None:
        if self._watching:
            self._watching = False
            self.reactor.removeWriter(self)

    def fileno(self) -> int:
        return self.socket.fileno() if self.socket is not None else -1

    def connectionLost(self, reason: Failure) -> None:
        self._watching = False
        self._fail(reason.value)

    def logPrefix(self) -> str:
        return f"Connector({self.connector.host}:{self.connector.port})"


def _servicePort(name: str) -> int:
    """The port of a TCP service named like ``"http"``, from the services
    database."""
    try:
        return socket.getservbyname(name, "tcp")
    except OSError as e:
        raise ServiceNameUnknownError(string=f"{name!r}: {e}") from None


def _bindable(family: int, bindAddress: Any) -> Any:
    """The socket address to bind for ``bindAddress`` (a zoned IPv6 literal
    needs its scope id)."""
    host, port = bindAddress
    if not isinstance(host, str):
        return bindAddress  # let bind() say what is wrong with it
    return sockaddrFor(family, socket.SOCK_STREAM, host, port)


@implementer(IConnector)
class Connector:
    """Connects ``factory`` to ``host:port`` and can do so again later."""

    transport: Client | None

    def __init__(
        self,
        host: str | bytes,
        port: int | str,
        factory: Any,
        timeout: float | None = 30,
        bindAddress: tuple[str, int] | None = None,
        reactor: Any = None,
    ) -> None:
        if isinstance(host, bytes):
            host = host.decode("idna")
        if isinstance(port, str):
            port = _servicePort(port)
        if isinstance(port, bool) or not isinstance(port, int):
            raise TypeError(f"a TCP port is an int, not {type(port).__name__}")
        if not 0 < port <= 65535:
            raise ValueError(f"TCP port {port} is outside 1-65535")
        self.host = host
        self.port = port
        self.factory = factory
        self.timeout = timeout
        self.bindAddress = bindAddress
        self.reactor = reactor
        self.state = ConnectorState.DISCONNECTED
        self.transport = None
        self._attempt: _Attempt | None = None
        self._timer: Any = None
        self._factoryStarted = False

    def _move(self, new: ConnectorState) -> None:
        if new not in _TRANSITIONS[self.state]:
            raise RuntimeError(
                f"connector cannot go from {self.state.name} to {new.name}"
            )
        self.state = new

    def __repr__(self) -> str:
        return f"<Connector to {self.host}:{self.port} {self.state.name}>"

    # -- IConnector ---------------------------------------------------------

    def connect(self) -> None:
        """Start a connection attempt (also after a failure or a loss)."""
        if self.state is not ConnectorState.DISCONNECTED:
            raise RuntimeError(f"cannot connect while {self.state.value}")
        self._move(ConnectorState.CONNECTING)
        if not self._factoryStarted:
            self._factoryStarted = True
            self.factory.doStart()
        self._call("startedConnecting", self)
        if not self._connecting():
            return  # the factory already stopped us
        attempt = self._attempt = _Attempt(self)
        if self.timeout:
            self._timer = self.reactor.callLater(self.timeout, self._timedOut, attempt)
        attempt.start()

    def _connecting(self) -> bool:
        return self.state is ConnectorState.CONNECTING

    def stopConnecting(self) -> None:
        """Abandon the attempt in progress; the factory hears a UserError."""
        if self.state is not ConnectorState.CONNECTING:
            raise NotConnectingError()
        attempt = self._attempt
        if attempt is not None:
            attempt.cancel()
        self._failed(attempt, Failure(UserError(string="stopConnecting() was called")))

    def disconnect(self) -> None:
        """Stop connecting, or close the connection, whichever applies."""
        if self.state is ConnectorState.CONNECTING:
            self.stopConnecting()
        elif self.state is ConnectorState.CONNECTED and self.transport is not None:
            self.transport.loseConnection()

    def getDestination(self) -> IPAddress:
        """The address this connector connects to (host as given)."""
        return destinationFor(self.host, self.port)

    # -- outcomes -----------------------------------------------------------

    def _timedOut(self, attempt: _Attempt) -> None:
        self._timer = None
        if attempt is not self._attempt:
            return
        attempt.cancel()
        self._failed(
            attempt,
            Failure(
                TimeoutError(
                    string=f"connecting to {self.host}:{self.port} took longer "
                    f"than {self.timeout} seconds"
                )
            ),
        )

    def _cancelTimer(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def _failed(self, attempt: _Attempt | None, reason: Failure) -> None:
        if attempt is not self._attempt or self.state is not ConnectorState.CONNECTING:
            return
        self._attempt = None
        self._cancelTimer()
        self._move(ConnectorState.DISCONNECTED)
        self._call("clientConnectionFailed", self, reason)
        self._maybeStopFactory()

    def _connected(self, sock: socket.socket, sockaddr: Any) -> None:
        self._attempt = None
        self._cancelTimer()
        enableNoDelay(sock)
        peer = addressFor(sockaddr)
        try:
            protocol = self.factory.buildProtocol(peer)
        except Exception as e:
            log.exception("%s failed to build a protocol", type(self.factory).__name__)
            sock.close()
            self._failedWith(Failure(e))
            return
        if protocol is None:
            sock.close()
            self._failedWith(Failure(NoProtocol()))
            return
        transport = Client(sock, protocol, self.reactor, peer, self)
        self.transport = transport
        self._move(ConnectorState.CONNECTED)
        try:
            transport.startTransport()
        except Exception as e:
            log.exception("%s failed in makeConnection", type(protocol).__name__)
            transport.connectionLost(Failure(e))
            return
        # connectionMade has run: the connection was made, even when the
        # protocol already asked to close it.
        established = getattr(self.factory, "connectionEstablished", None)
        if established is not None:
            established(self, protocol)

    def _failedWith(self, reason: Failure) -> None:
        self._attempt = None
        self._move(ConnectorState.DISCONNECTED)
        self._call("clientConnectionFailed", self, reason)
        self._maybeStopFactory()

    def connectionLost(self, reason: Failure) -> None:
        """Called by the transport once its protocol heard connectionLost."""
        if self.state is not ConnectorState.CONNECTED:
            return
        self.transport = None
        self._move(ConnectorState.DISCONNECTED)
        self._call("clientConnectionLost", self, reason)
        self._maybeStopFactory()

    def _maybeStopFactory(self) -> None:
        if self.state is ConnectorState.DISCONNECTED and self._factoryStarted:
            self._factoryStarted = False
            try:
                self.factory.doStop()
            except Exception:
                log.exception("%s.doStop failed", type(self.factory).__name__)

    def _call(self, name: str, *args: Any) -> None:
        method = getattr(self.factory, name, None)
        if method is None:
            return
        try:
            method(*args)
        except Exception:
            log.exception("%s.%s failed", type(self.factory).__name__, name)
