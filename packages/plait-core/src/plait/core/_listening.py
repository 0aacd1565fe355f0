"""A listening stream port, whatever its address family.

A family (TCP, UNIX) specialises :class:`StreamPort` by saying how to bind
its socket, how to name addresses and which transport class serves each
accepted connection; the accept loop, the pause on a descriptor shortage,
``stopListening`` and the factory's start and stop live here once.

Facts that shaped it:

- One readiness event may stand for many queued connections; accepting a
  bounded batch per event keeps a connection storm from starving the
  connections already open.
- Running out of descriptors (EMFILE/ENFILE) or kernel memory leaves the
  pending connection in the queue, so the socket stays readable: retrying
  at once would spin. The port stops watching itself for a moment instead
  and tries again later, logging once per shortage.
- Errors about a single pending connection (ECONNABORTED: the client gave
  up before we accepted) concern only that connection.
"""

from __future__ import annotations

import enum
import errno
import logging
import socket
import warnings
from typing import Any

from zope.interface import implementer

from plait.errors import ConnectionLost
from plait.interfaces import IListeningPort, IReadDescriptor, ISystemHandle

from ._defer import Deferred, succeed
from ._failure import Failure

__all__ = ["PortEvent", "PortState", "StreamPort", "applyPortEvent"]

log = logging.getLogger("plait.core")

ACCEPTS_PER_EVENT = 64
ACCEPT_RETRY_DELAY = 0.1

_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_TRANSIENT = frozenset(
    {errno.ECONNABORTED, errno.EPROTO, errno.EPERM, errno.EINTR, errno.ECONNRESET}
)


class PortState(enum.Enum):
    """The life cycle of a listening port."""

    NEW = "not yet listening"
    LISTENING = "listening"
    STOPPED = "stopped"


class PortEvent(enum.Enum):
    """What can happen to a listening port."""

    LISTEN = "bound and listening"
    STOP = "stopped"


_NEXT: dict[tuple[PortState, PortEvent], PortState] = {
    (PortState.NEW, PortEvent.LISTEN): PortState.LISTENING,
    (PortState.STOPPED, PortEvent.LISTEN): PortState.LISTENING,
    (PortState.LISTENING, PortEvent.STOP): PortState.STOPPED,
}


def applyPortEvent(state: PortState, event: PortEvent) -> PortState:
    """The state a port in ``state`` goes to on ``event``.

    :raises RuntimeError: the event cannot happen in that state.
    """
    try:
        return _NEXT[state, event]
    except KeyError:
        raise RuntimeError(f"a port {state.value} cannot be {event.value}") from None


def closeDroppedPort(port: Any) -> None:
    """For a port's ``__del__``: a port dropped while still holding its
    socket says so, loudly but harmlessly, and gives the descriptor back."""
    sock = port.__dict__.get("socket")
    if sock is not None and sock.fileno() != -1:
        warnings.warn(
            f"{port!r} was dropped while listening; call stopListening()",
            ResourceWarning,
            source=port,
            stacklevel=1,
        )
        sock.close()


@implementer(IListeningPort, IReadDescriptor, ISystemHandle)
class StreamPort:
    """Listens on a stream socket and serves ``factory``'s protocols.

    A family subclass provides ``_bind`` (a bound, listening socket, or
    ``CannotListenError``), ``_addressFor`` (a socket address as a plait
    address), ``getHost`` before listening, ``_describe`` (where, for
    ``repr``) and the ``transport`` class, called as
    ``transport(socket, protocol, reactor, peer)``. It may tune each
    accepted socket in ``_configure`` and release what it made beside the
    socket in ``_released``.
    """

    transport: Any = None
    #: Where the port logs; a family names its own logger.
    _log = log

    def __init__(self, factory: Any, backlog: int, reactor: Any) -> None:
        if not isinstance(backlog, int) or isinstance(backlog, bool):
            raise TypeError(f"backlog must be an int, not {backlog!r}")
        self.factory = factory
        self.backlog = backlog
        self.reactor = reactor
        self.socket: socket.socket | None = None
        self.state = PortState.NEW
        self._retry: Any = None
        #: True from a failed accept for lack of descriptors to the next success.
        self._starved = False
        self._host: Any = None

    def _apply(self, event: PortEvent) -> None:
        self.state = applyPortEvent(self.state, event)

    def __repr__(self) -> str:
        return f"<{self.logPrefix()} on {self._describe()} {self.state.name}>"

    def __del__(self) -> None:
        closeDroppedPort(self)

    # -- what a family provides ---------------------------------------------

    def _bind(self) -> socket.socket:
        """A bound socket that listens with ``self.backlog``."""
        raise NotImplementedError

    def _addressFor(self, sockaddr: Any) -> Any:
        """The plait address of a socket address of this family."""
        raise NotImplementedError

    def _describe(self) -> str:
        """Where the port listens, in words."""
        raise NotImplementedError

    def _configure(self, conn: socket.socket) -> None:
        """Tune an accepted socket (nothing by default)."""

    def _released(self) -> None:
        """Runs once the listening socket is closed (nothing by default)."""

    # -- IListeningPort ----------------------------------------------------

    def startListening(self) -> None:
        """Bind and listen; raise CannotListenError if the kernel refuses."""
        if self.state is PortState.LISTENING:
            return
        sock = self._bind()
        self.socket = sock
        self._host = self._addressFor(sock.getsockname())
        self._apply(PortEvent.LISTEN)
        self._log.debug("%s listening on %s", type(self.factory).__name__, self._host)
        self.factory.doStart()
        self.reactor.addReader(self)

    def stopListening(self) -> Deferred[None]:
        """Close the listening socket; the Deferred fires once it is closed."""
        if self.state is PortState.LISTENING:
            self._shutDown()
        return succeed(None)

    loseConnection = stopListening

    def getHandle(self) -> socket.socket:
        """The listening socket.

        :raises RuntimeError: the port is not listening.
        """
        if self.socket is None:
            raise RuntimeError(f"{self!r} is not listening")
        return self.socket

    def getHost(self) -> Any:
        """The bound address."""
        raise NotImplementedError

    # -- IReadDescriptor ---------------------------------------------------

    def fileno(self) -> int:
        """The listening socket's descriptor, -1 when not listening."""
        return self.socket.fileno() if self.socket is not None else -1

    def doRead(self) -> None:
        """Accept the pending connections (a bounded batch)."""
        sock = self.socket
        if sock is None:
            return
        factory = self.factory
        reactor = self.reactor
        transport = self.transport
        for _ in range(ACCEPTS_PER_EVENT):
            try:
                conn, sockaddr = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                if e.errno in _OUT_OF_RESOURCES:
                    self._backOff(e)
                    return
                if e.errno in _TRANSIENT:
                    continue
                raise
            if self._starved:
                self._starved = False
                self._log.info("%s: accepting connections again", self)
            conn.setblocking(False)
            self._configure(conn)
            peer = self._addressFor(sockaddr)
            try:
                protocol = factory.buildProtocol(peer)
            except Exception:
                self._log.exception(
                    "%s failed to build a protocol", type(factory).__name__
                )
                conn.close()
                continue
            if protocol is None:
                conn.close()
                continue
            made = transport(conn, protocol, reactor, peer)
            try:
                made.startTransport()
            except Exception as e:
                self._log.exception(
                    "%s failed in makeConnection", type(protocol).__name__
                )
                made.connectionLost(Failure(e))
            if self.socket is None:
                return  # a protocol stopped the port

    def _backOff(self, err: OSError) -> None:
        # Logged once a shortage, not on every retry.
        if not self._starved:
            self._starved = True
            self._log.error(
                "%s: cannot accept a connection (%s); retrying every %.1f s",
                self,
                err.strerror,
                ACCEPT_RETRY_DELAY,
            )
        self.reactor.removeReader(self)
        self._retry = self.reactor.callLater(ACCEPT_RETRY_DELAY, self._resume)

    def _resume(self) -> None:
        self._retry = None
        if self.state is PortState.LISTENING:
            self.reactor.addReader(self)

    def connectionLost(self, reason: Failure) -> None:
        """The reactor dropped the port (an error, or its shutdown): stop
        listening."""
        if not reason.check(ConnectionLost):
            self._log.error(
                "%s stopped after an error: %s", self, reason.getErrorMessage()
            )
        if self.state is PortState.LISTENING:
            self._shutDown()

    def _shutDown(self) -> None:
        self._apply(PortEvent.STOP)
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        self.reactor.removeReader(self)
        sock, self.socket = self.socket, None
        if sock is not None:
            sock.close()
        try:
            self._released()
        except Exception:
            self._log.exception("%s: cleaning up after the socket failed", self)
        try:
            self.factory.doStop()
        except Exception:
            self._log.exception("%s.doStop failed", type(self.factory).__name__)

    def logPrefix(self) -> str:
        """The factory's name, for log messages."""
        prefix = getattr(self.factory, "logPrefix", None)
        return str(prefix()) if prefix is not None else type(self.factory).__name__
