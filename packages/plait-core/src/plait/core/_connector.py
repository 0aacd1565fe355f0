"""A stream connector, whatever its address family: one outgoing connection
at a time, re-connectable, with a timeout and the client factory's life cycle.

A family (TCP, UNIX) specialises :class:`StreamConnector` by saying where
to connect (``_target``: at once, or through a lookup), how to prepare the
socket (bind it), how to name the peer, and which transport serves the
connection. Each ``connect()`` starts a :class:`ConnectAttempt`: the
lookup if any, a non-blocking socket, ``connect``; the kernel reports the
outcome by making the socket writable, and ``SO_ERROR`` says how it went.

The factory hears ``startedConnecting`` before the attempt starts and then
exactly one of ``clientConnectionFailed`` / ``clientConnectionLost`` per
attempt. Every failure of an attempt, whichever step it comes from
(lookup, socket creation, bind, the connect call, the kernel's answer, the
timeout, the protocol's construction), goes through one funnel,
``ConnectAttempt.fail``, and reaches the factory once, never from inside
the call that started the attempt; the connector is then disconnected, so
``connect()`` may try again. ``doStart`` runs on the first ``connect`` and
``doStop`` once the factory lets the connector rest (it did not call
``connect()`` again from its failure or loss handler).
"""

from __future__ import annotations

import errno
import logging
import os
import socket
from typing import Any

from zope.interface import implementer

from plait.errors import (
    CancelledError,
    NoProtocol,
    NotConnectingError,
    PlaitError,
    TimeoutError,
    UserError,
)
from plait.interfaces import IConnector

from ._connecterrors import connectErrorFor
from ._connectorlife import ConnectorEvent, ConnectorState, applyConnectorEvent
from ._defer import Deferred
from ._failure import Failure

__all__ = [
    "ConnectAttempt",
    "ConnectorEvent",
    "ConnectorState",
    "StreamConnector",
    "applyConnectorEvent",
]

log = logging.getLogger("plait.core")

_IN_PROGRESS = frozenset(
    {0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, errno.EINTR}
)
#: A UNIX listener's queue is full: nothing is in progress, try again soon.
_UNIX_RETRY_DELAY = 0.01


class ConnectAttempt:
    """One try at connecting: the lookup, then a non-blocking connect."""

    def __init__(self, connector: StreamConnector) -> None:
        self.connector = connector
        self.reactor = connector.reactor
        self.socket: socket.socket | None = None
        self.sockaddr: Any = None
        self._resolving: Deferred[Any] | None = None
        self._retry: Any = None
        self._starting = True
        self._watching = False
        self._done = False

    def start(self) -> None:
        """Begin; whatever fails from here is reported on a later turn."""
        try:
            target = self.connector._target()
            if isinstance(target, Deferred):
                self._resolving = target
                target.addCallbacks(self._resolved, self._lookupFailed)
            else:
                self._connectTo(*target)
        except Exception as e:
            self.fail(e)
        finally:
            self._starting = False

    def _resolved(self, target: tuple[int, Any]) -> None:
        self._resolving = None
        if not self._done:
            self._connectTo(*target)

    def _lookupFailed(self, failure: Failure) -> None:
        self._resolving = None
        if not self._done:
            self.fail(self.connector._lookupErrorFor(failure.value))

    def _connectTo(self, family: int, sockaddr: Any) -> None:
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
            self.socket = sock
            self.sockaddr = sockaddr
            sock.setblocking(False)
            self.connector._prepare(sock, family)
            self._connectCall()
        except Exception as e:
            self.fail(e)

    def _connectCall(self) -> None:
        self._retry = None
        sock = self.socket
        if sock is None or self._done:
            return
        try:
            code = sock.connect_ex(self.sockaddr)
            if code == errno.EAGAIN and sock.family == socket.AF_UNIX:
                # Not in progress: the listener's queue is full. Ask again
                # soon; the timeout bounds how long.
                self._retry = self.reactor.callLater(
                    _UNIX_RETRY_DELAY, self._connectCall
                )
            elif code in _IN_PROGRESS:
                self._watching = True
                self.reactor.addWriter(self)
            else:
                raise OSError(code, os.strerror(code))
        except Exception as e:
            self.fail(e)

    def doWrite(self) -> None:
        """The kernel has an answer: connected, or the reason it is not."""
        sock = self.socket
        self._unwatch()
        if sock is None or self._done:
            return
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            self.fail(OSError(code, os.strerror(code)))
            return
        self._done = True
        self.socket = None
        self.connector._connected(self, sock, self.sockaddr)

    def fail(self, error: BaseException) -> None:
        """The one way an attempt fails: stop it, and tell the connector
        (on the next turn while the attempt is still starting)."""
        if self._done:
            return
        if isinstance(error, OSError) and not isinstance(error, PlaitError):
            error = self.connector._connectErrorFor(error)
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
        retry, self._retry = self._retry, None
        if retry is not None:
            retry.cancel()
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
        """The connecting socket's descriptor, -1 without one."""
        return self.socket.fileno() if self.socket is not None else -1

    def connectionLost(self, reason: Failure) -> None:
        """The reactor dropped the socket (its shutdown): the attempt fails."""
        self._watching = False
        self.fail(reason.value)

    def logPrefix(self) -> str:
        """Names the connector in log messages."""
        return f"Connector({self.connector._describe()})"


@implementer(IConnector)
class StreamConnector:
    """Connects ``factory`` to a family's destination, and again later.

    A family subclass provides ``_target`` (``(family, sockaddr)``, or a
    Deferred of it after a lookup), ``_peerFor`` (the peer's plait
    address), ``_transportFor`` (the started connection's transport),
    ``getDestination`` and ``_describe``; it may bind the socket in
    ``_prepare``, tune the connected one in ``_configure``, map OS errors
    in ``_connectErrorFor`` and lookup errors in ``_lookupErrorFor``. Its
    transport calls ``connectionLost`` once the protocol has heard that
    the connection ended.
    """

    transport: Any
    #: Where the connector logs; a family names its own logger.
    _log = log

    def __init__(self, factory: Any, timeout: float | None, reactor: Any) -> None:
        self.factory = factory
        self.timeout = timeout
        self.reactor = reactor
        self.state = ConnectorState.DISCONNECTED
        self.transport = None
        self._attempt: ConnectAttempt | None = None
        self._timer: Any = None
        self._factoryStarted = False

    def _apply(self, event: ConnectorEvent) -> None:
        self.state = applyConnectorEvent(self.state, event)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} to {self._describe()} {self.state.name}>"

    # -- what a family provides ---------------------------------------------

    def _target(self) -> tuple[int, Any] | Deferred[tuple[int, Any]]:
        """``(address family, socket address)`` to connect to."""
        raise NotImplementedError

    def _prepare(self, sock: socket.socket, family: int) -> None:
        """Set the new socket up before ``connect`` (nothing by default)."""

    def _configure(self, sock: socket.socket) -> None:
        """Tune the connected socket (nothing by default)."""

    def _connectErrorFor(self, err: OSError) -> Exception:
        """The plait error for an OS error of connecting."""
        return connectErrorFor(err)

    def _lookupErrorFor(self, error: BaseException) -> BaseException:
        """The error a failed lookup is reported with (itself by default)."""
        return error

    def _peerFor(self, sock: socket.socket, sockaddr: Any) -> Any:
        """The plait address of the peer just connected to."""
        raise NotImplementedError

    def _transportFor(self, sock: socket.socket, protocol: Any, peer: Any) -> Any:
        """The transport of the connection (not started yet)."""
        raise NotImplementedError

    def _describe(self) -> str:
        """The destination, in words."""
        raise NotImplementedError

    def getDestination(self) -> Any:
        """The address this connector connects to."""
        raise NotImplementedError

    # -- IConnector ---------------------------------------------------------

    def connect(self) -> None:
        """Start a connection attempt (also after a failure or a loss)."""
        if self.state is not ConnectorState.DISCONNECTED:
            raise RuntimeError(f"cannot connect while {self.state.value}")
        self._apply(ConnectorEvent.CONNECT)
        if not self._factoryStarted:
            self._factoryStarted = True
            self.factory.doStart()
        self._call("startedConnecting", self)
        if not self._connecting():
            return  # the factory already stopped us
        attempt = self._attempt = ConnectAttempt(self)
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

    # -- outcomes -----------------------------------------------------------

    def _timedOut(self, attempt: ConnectAttempt) -> None:
        self._timer = None
        if attempt is self._attempt:
            attempt.fail(
                TimeoutError(
                    string=f"connecting to {self._describe()} took longer "
                    f"than {self.timeout} seconds"
                )
            )

    def _cancelTimer(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def _failed(self, attempt: ConnectAttempt | None, reason: Failure) -> None:
        """Where every failed attempt ends: the factory hears it once."""
        if attempt is not self._attempt or self.state is not ConnectorState.CONNECTING:
            return
        self._attempt = None
        self._cancelTimer()
        self._apply(ConnectorEvent.FAILED)
        self._call("clientConnectionFailed", self, reason)
        self._maybeStopFactory()

    def _connected(
        self, attempt: ConnectAttempt, sock: socket.socket, sockaddr: Any
    ) -> None:
        self._cancelTimer()
        try:
            self._configure(sock)
            peer = self._peerFor(sock, sockaddr)
            protocol = self.factory.buildProtocol(peer)
        except Exception as e:
            self._log.exception(
                "%s failed to build a protocol", type(self.factory).__name__
            )
            sock.close()
            self._failed(attempt, Failure(e))
            return
        if protocol is None:
            sock.close()
            self._failed(attempt, Failure(NoProtocol()))
            return
        self._attempt = None
        transport = self._transportFor(sock, protocol, peer)
        self.transport = transport
        self._apply(ConnectorEvent.CONNECTED)
        try:
            transport.startTransport()
        except Exception as e:
            self._log.exception("%s failed in makeConnection", type(protocol).__name__)
            transport.connectionLost(Failure(e))
            return
        # connectionMade has run: the connection was made, even when the
        # protocol already asked to close it.
        established = getattr(self.factory, "connectionEstablished", None)
        if established is not None:
            established(self, protocol)

    def connectionLost(self, reason: Failure) -> None:
        """Called by the transport once its protocol heard connectionLost."""
        if self.state is not ConnectorState.CONNECTED:
            return
        self.transport = None
        self._apply(ConnectorEvent.LOST)
        self._call("clientConnectionLost", self, reason)
        self._maybeStopFactory()

    def _maybeStopFactory(self) -> None:
        if self.state is ConnectorState.DISCONNECTED and self._factoryStarted:
            self._factoryStarted = False
            try:
                self.factory.doStop()
            except Exception:
                self._log.exception("%s.doStop failed", type(self.factory).__name__)

    def _call(self, name: str, *args: Any) -> None:
        method = getattr(self.factory, name, None)
        if method is None:
            return
        try:
            method(*args)
        except Exception:
            self._log.exception("%s.%s failed", type(self.factory).__name__, name)
