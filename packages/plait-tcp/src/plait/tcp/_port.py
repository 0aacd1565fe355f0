"""A listening TCP port: binds, accepts, and hands each connection a protocol.

Facts that shaped it:

- One readiness event may stand for many queued connections; accepting a
  bounded batch per event keeps a connection storm from starving the
  connections already open.
- Running out of descriptors (EMFILE/ENFILE) or kernel memory leaves the
  pending connection in the queue, so the socket stays readable: retrying
  at once would spin. The port stops watching itself for a moment instead
  and tries again later.
- Errors about a single pending connection (ECONNABORTED: the client gave
  up before we accepted) concern only that connection.
- SO_REUSEADDR lets a restarted server bind while old connections to its
  port linger in TIME_WAIT; it does not let two servers share a port.
"""

from __future__ import annotations

import enum
import errno
import logging
import socket
from typing import Any

from zope.interface import implementer

from plait.core import (
    Deferred,
    Failure,
    anyAddress,
    bindInet,
    familyForInterface,
    succeed,
)
from plait.errors import CannotListenError, ConnectionLost
from plait.interfaces import IListeningPort, IReadDescriptor, ISystemHandle

from ._tcp import IPAddress, Server, addressFor, enableNoDelay

__all__ = ["Port", "PortState"]

log = logging.getLogger("plait.tcp")

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


_TRANSITIONS: dict[PortState, frozenset[PortState]] = {
    PortState.NEW: frozenset({PortState.LISTENING}),
    PortState.LISTENING: frozenset({PortState.STOPPED}),
    PortState.STOPPED: frozenset({PortState.LISTENING}),
}


@implementer(IListeningPort, IReadDescriptor, ISystemHandle)
class Port:
    """Listens on ``interface:port`` and serves ``factory``'s protocols.

    ``port`` 0 lets the kernel pick a free port (see ``getHost``).
    ``reusePort=True`` sets SO_REUSEPORT where the system has it, so that
    several processes can each listen on the same port and the kernel
    spreads the connections among them.
    """

    transport = Server

    def __init__(
        self,
        port: int,
        factory: Any,
        backlog: int = 50,
        interface: str | bytes = "",
        reactor: Any = None,
        *,
        reusePort: bool = False,
    ) -> None:
        if not isinstance(port, int) or isinstance(port, bool):
            raise TypeError(f"port must be an int, not {port!r}")
        if not isinstance(backlog, int) or isinstance(backlog, bool):
            raise TypeError(f"backlog must be an int, not {backlog!r}")
        self.port = port
        self.factory = factory
        self.backlog = backlog
        if isinstance(interface, (bytes, bytearray)):
            interface = bytes(interface).decode("ascii")
        self.interface = interface
        self.reactor = reactor
        self.reusePort = reusePort
        self.family = familyForInterface(interface)
        self.socket: socket.socket | None = None
        self.state = PortState.NEW
        self._retry: Any = None
        #: True from a failed accept for lack of descriptors to the next success.
        self._starved = False
        self._host: IPAddress | None = None

    def _move(self, new: PortState) -> None:
        if new not in _TRANSITIONS[self.state]:
            raise RuntimeError(f"port cannot go from {self.state.name} to {new.name}")
        self.state = new

    def __repr__(self) -> str:
        where = self._host.port if self._host is not None else self.port
        return f"<{self.logPrefix()} on TCP port {where} {self.state.name}>"

    # -- IListeningPort ----------------------------------------------------

    def startListening(self) -> None:
        """Bind and listen; raise CannotListenError if the kernel refuses."""
        if self.state is PortState.LISTENING:
            return
        sock = self._bind()
        self.socket = sock
        self._host = addressFor(sock.getsockname())
        self._move(PortState.LISTENING)
        log.debug("%s listening on %s", type(self.factory).__name__, self._host)
        self.factory.doStart()
        self.reactor.addReader(self)

    def _bind(self) -> socket.socket:
        sock = bindInet(
            socket.SOCK_STREAM,
            self.interface,
            self.port,
            reuseAddress=True,
            reusePort=self.reusePort,
        )
        try:
            sock.listen(self.backlog)
        except OSError as e:
            sock.close()
            raise CannotListenError(self.interface, self.port, e) from e
        return sock

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

    def getHost(self) -> IPAddress:
        """The bound address; its port is the real one when 0 was asked for."""
        if self._host is None:
            wildcard = anyAddress(self.family)
            if self.family == socket.AF_INET6:
                return addressFor((wildcard, self.port, 0, 0))
            return addressFor((wildcard, self.port))
        return self._host

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
                log.info("%s: accepting connections again", self)
            conn.setblocking(False)
            enableNoDelay(conn)
            peer = addressFor(sockaddr)
            try:
                protocol = factory.buildProtocol(peer)
            except Exception:
                log.exception("%s failed to build a protocol", type(factory).__name__)
                conn.close()
                continue
            if protocol is None:
                conn.close()
                continue
            transport = self.transport(conn, protocol, reactor, peer)
            try:
                transport.startTransport()
            except Exception as e:
                log.exception("%s failed in makeConnection", type(protocol).__name__)
                transport.connectionLost(Failure(e))
            if self.socket is None:
                return  # a protocol stopped the port

    def _backOff(self, err: OSError) -> None:
        # Logged once a shortage, not on every retry.
        if not self._starved:
            self._starved = True
            log.error(
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
            log.error("%s stopped after an error: %s", self, reason.getErrorMessage())
        if self.state is PortState.LISTENING:
            self._shutDown()

    def _shutDown(self) -> None:
        self._move(PortState.STOPPED)
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        self.reactor.removeReader(self)
        sock, self.socket = self.socket, None
        if sock is not None:
            sock.close()
        try:
            self.factory.doStop()
        except Exception:
            log.exception("%s.doStop failed", type(self.factory).__name__)

    def logPrefix(self) -> str:
        """The factory's name, for log messages."""
        prefix = getattr(self.factory, "logPrefix", None)
        return str(prefix()) if prefix is not None else type(self.factory).__name__
