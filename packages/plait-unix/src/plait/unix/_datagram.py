"""UNIX datagram ports: plait-core's datagram port bound to a path or an
abstract name, unconnected or connected to one peer.

Facts that shaped this module:

- A datagram to a path where no socket is bound fails at once: ENOENT when
  there is no file, ECONNREFUSED when the file is a socket nobody holds.
  Unlike UDP the kernel knows which destination refused, so ``write``
  raises the matching plait error, and the port keeps working. A connected
  port's protocol hears ``connectionRefused`` instead, its peer being the
  only destination.
- The size limit is the socket's send buffer, not a protocol field: a
  datagram that cannot fit raises ``MessageLengthError`` (EMSGSIZE). A
  receiver whose queue is full makes the sender wait (EAGAIN); the port
  queues the datagram and sends it once there is room, as for UDP.
- A sender that never bound a name is unnamed: its datagrams arrive from
  ``None``, and it cannot be answered.
"""

from __future__ import annotations

import errno
import logging
import socket
from typing import Any

from zope.interface import implementer

from plait.address import UNIXAddress
from plait.core import DatagramPort, Failure
from plait.errors import BadFileError, ConnectionRefusedError, NotConnectingError
from plait.interfaces import (
    IConnector,
    IUNIXDatagramConnectedTransport,
    IUNIXDatagramTransport,
)

from ._paths import PathArg, addressFor, checkAddress, clearStale
from ._port import bindUNIX, checkMode, forgetPath

__all__ = ["ConnectedPort", "Port"]

_NO_SOCKET = frozenset({errno.ENOENT, errno.ENOTDIR})
_PEER_GONE = frozenset({errno.ENOTCONN, errno.ECONNRESET})


class _NotConnected(Exception):
    """A connected port's socket could not be connected."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


def _sendError(address: Any, err: OSError) -> Exception:
    error: Exception
    if err.errno == errno.ECONNREFUSED:
        error = ConnectionRefusedError(err.errno, f"nothing is bound at {address!r}")
    elif err.errno in _NO_SOCKET:
        error = BadFileError(err.errno, f"no socket at {address!r}")
    else:
        return err
    error.__cause__ = err
    return error


@implementer(IUNIXDatagramTransport)
class Port(DatagramPort):
    """A UNIX datagram socket bound at ``address``, serving ``protocol``
    (a :class:`plait.core.DatagramProtocol`)."""

    _log = logging.getLogger("plait.unix")

    def __init__(
        self,
        address: PathArg | None,
        protocol: Any,
        maxPacketSize: int = 8192,
        mode: int = 0o666,
        reactor: Any = None,
    ) -> None:
        super().__init__(protocol, maxPacketSize, reactor)
        self.address = None if address is None else checkAddress(address)
        self.mode = checkMode(mode)
        self._identity: tuple[int, int] | None = None

    def _describe(self) -> str:
        return f"UNIX datagram socket {self.address!r}"

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            if self.address is not None:
                clearStale(self.address, socket.SOCK_DGRAM)
                self._identity = bindUNIX(sock, self.address, self.mode)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        return sock

    def _released(self) -> None:
        identity, self._identity = self._identity, None
        if self.address is not None:
            forgetPath(self.address, identity)

    def _hostFor(self, sock: socket.socket) -> UNIXAddress:
        return addressFor(sock.getsockname())

    def _sockaddrFor(self, addr: Any) -> Any:
        sockaddr = checkAddress(addr)
        known = self._known
        if len(known) >= 1024:
            known.clear()
        known[addr] = sockaddr
        return sockaddr

    def _sendErrorFor(self, err: OSError, target: Any) -> Exception | None:
        return _sendError(self._peer if target is None else target, err)

    def _refused(self, err: OSError, target: Any = None) -> None:
        # A refused send names its path: on an unconnected UNIX socket the
        # kernel says which send it was, unlike UDP's late ICMP news.
        if self._peer is None and target is not None:
            raise _sendError(target, err) from err
        super()._refused(err, target)

    def write(self, packet: bytes, address: Any = None) -> None:
        """Send one datagram to the socket at ``address`` (a path), or to
        the peer of a connected port (see :meth:`plait.core.DatagramPort.write`
        for the errors)."""
        DatagramPort.write(self, packet, address)

    def getHost(self) -> UNIXAddress:
        """The address the port is bound to (``UNIXAddress(None)`` unnamed)."""
        if self._host is None:
            return UNIXAddress(self.address)
        host: UNIXAddress = self._host
        return host


@implementer(IUNIXDatagramConnectedTransport, IConnector)
class ConnectedPort(Port):
    """A UNIX datagram socket that sends to and hears from ``peer`` only,
    serving a :class:`plait.core.ConnectedDatagramProtocol`.

    If the socket cannot be connected, the protocol is not started and
    hears ``connectionFailed`` on the next reactor turn instead.
    """

    _withAddress = False

    def __init__(
        self,
        peer: PathArg,
        protocol: Any,
        maxPacketSize: int = 8192,
        mode: int = 0o666,
        bindAddress: PathArg | None = None,
        reactor: Any = None,
    ) -> None:
        super().__init__(bindAddress, protocol, maxPacketSize, mode, reactor)
        self.peer = checkAddress(peer)

    def _describe(self) -> str:
        return f"UNIX datagram socket connected to {self.peer!r}"

    # -- IConnector: what connectUNIXDatagram returns ------------------------

    def getDestination(self) -> UNIXAddress:
        """The address of the peer this port sends to."""
        return UNIXAddress(self.peer)

    def connect(self) -> None:
        """Connect (again) after :meth:`disconnect`; nothing if connected."""
        if self.socket is None:
            self.startListening()

    def disconnect(self) -> None:
        """Close the socket and stop the protocol."""
        self.stopListening()

    def stopConnecting(self) -> None:
        """A datagram socket connects at once, never gradually.

        :raises plait.errors.NotConnectingError: always.
        """
        raise NotConnectingError(f"{self!r} is not in the middle of connecting")

    def startListening(self) -> None:
        """Bind (if asked), connect, then start the protocol.

        :raises plait.errors.CannotListenError: ``bindAddress`` cannot be
            bound. A failed connect is told to the protocol instead.
        """
        try:
            super().startListening()
        except _NotConnected as e:
            self.reactor.callLater(0, self._tellFailed, Failure(e.error))

    def _bind(self) -> socket.socket:
        sock = super()._bind()
        try:
            sock.connect(self.peer)
        except OSError as e:
            sock.close()
            self._released()
            raise _NotConnected(_sendError(self.peer, e)) from e
        self._peer = self.peer
        return sock

    def _renew(self, err: OSError) -> bool:
        # The peer's socket closed and the kernel dropped the association.
        # Renew it if a socket is at the path again: the port keeps working
        # once its peer is back.
        if err.errno not in _PEER_GONE:
            return False
        try:
            self.getHandle().connect(self.peer)
        except OSError:
            return False
        return True

    def _sendErrorFor(self, err: OSError, target: Any) -> Exception | None:
        if err.errno in _PEER_GONE:
            self._refused(err)  # nobody there yet; this datagram is dropped
            return None
        return super()._sendErrorFor(err, target)

    def _tellFailed(self, reason: Failure) -> None:
        try:
            self.protocol.connectionFailed(reason)
        except Exception:
            self._log.exception("%s.connectionFailed failed", self.logPrefix())

    def getPeer(self) -> UNIXAddress:
        """The peer this port is connected to."""
        return UNIXAddress(self.peer)
