"""A UDP port: the listening socket of a datagram protocol, and its transport.

Facts that shaped this module:

- One readiness event reads up to ``READS_PER_EVENT`` datagrams: on a busy
  port that saves a trip through the poller per datagram, and the bound
  keeps one port from starving the others.
- ``write`` sends at once. Only when the kernel has no room (EAGAIN, or
  ENOBUFS) is the datagram queued, in order, and the port registered for
  writing until the queue is empty: a datagram the program wrote is not
  dropped on the local side.
- A connected port receives only from its peer, and the kernel reports an
  ICMP "port unreachable" from that peer as ECONNREFUSED on the next send
  or receive: the protocol hears ``connectionRefused``. An unconnected port
  cannot tell which destination refused, so the error is dropped.
- Addresses given to ``write`` and ``connect`` must be IP literals of the
  port's family: a name would need a blocking lookup, and sending an IPv4
  address to an IPv6 socket fails in ways that are hard to read. A port
  remembers the destinations it checked (``_destinations``), so a server
  answering its clients checks each one once, not on every datagram.
- For IPv6 the protocol gets ``(host, port)``, like for IPv4; ``getHost``
  keeps the flow info and scope id.
- ``stopListening`` closes the socket at once, so the port number is free
  when it returns, but the protocol hears ``stopProtocol`` on the next
  reactor turn, never from inside its own call; the Deferred fires after
  that. When the reactor drops the port (its shutdown) the protocol is
  told at once.
"""

from __future__ import annotations

import enum
import errno
import logging
import socket
from collections import deque
from typing import Any

from zope.interface import implementer

from plait.core import (
    Deferred,
    Failure,
    anyAddress,
    bindInet,
    familyForInterface,
    inetAddress,
    isIPLiteral,
    succeed,
)
from plait.errors import InvalidAddressError, MessageLengthError, NotListeningError
from plait.interfaces import (
    IListeningPort,
    IReadDescriptor,
    ISystemHandle,
    IUDPTransport,
    IWriteDescriptor,
)

from ._destinations import Destinations

__all__ = ["Port", "PortState"]

log = logging.getLogger("plait.udp")

READS_PER_EVENT = 64
#: The largest UDP payload of each family (the IP length field's limit).
_MAX_PAYLOAD: dict[int, int] = {socket.AF_INET: 65507, socket.AF_INET6: 65527}

_FULL = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.ENOBUFS})
# Errors a receive can report that concern one datagram, not the port.
_PASSING = frozenset({errno.EINTR, errno.EMSGSIZE, errno.ENOBUFS, errno.ENOMEM})

Address = tuple[str, int]


class PortState(enum.Enum):
    """The life cycle of a UDP port."""

    NEW = "not yet listening"
    LISTENING = "listening"
    STOPPED = "stopped"


def _asDatagram(packet: object) -> bytes:
    if isinstance(packet, (bytes, bytearray, memoryview)):
        return bytes(packet)
    raise TypeError(f"a datagram is bytes, not {type(packet).__name__}")


@implementer(
    IListeningPort, IUDPTransport, ISystemHandle, IReadDescriptor, IWriteDescriptor
)
class Port:
    """Binds ``interface:port`` and hands each datagram to ``protocol``.

    ``port`` 0 lets the kernel pick a free port (see ``getHost``);
    datagrams longer than ``maxPacketSize`` are cut to that size.
    """

    def __init__(
        self,
        port: int,
        protocol: Any,
        interface: str | bytes = "",
        maxPacketSize: int = 8192,
        reactor: Any = None,
    ) -> None:
        if not isinstance(port, int) or isinstance(port, bool):
            raise TypeError(f"port must be an int, not {port!r}")
        if not isinstance(maxPacketSize, int) or maxPacketSize < 1:
            raise ValueError(
                f"maxPacketSize must be a positive int, not {maxPacketSize!r}"
            )
        if isinstance(interface, (bytes, bytearray)):
            try:
                interface = bytes(interface).decode("ascii")
            except UnicodeDecodeError:
                raise InvalidAddressError(interface, "not an IP address") from None
        if interface and not isIPLiteral(interface, familyForInterface(interface)):
            raise InvalidAddressError(
                interface, "the interface must be an IP address of this host, or ''"
            )
        self.port = port
        self.protocol = protocol
        self.interface = interface
        self.maxPacketSize = maxPacketSize
        self.reactor = reactor
        self.family = familyForInterface(interface)
        self.socket: socket.socket | None = None
        self.state = PortState.NEW
        self._host: Any = None
        self._peer: Address | None = None
        self._queue: deque[tuple[bytes, Any]] = deque()
        self._writing = False
        #: While a stop is being told to the protocol: its Deferred, and
        #: the delayed call that will tell it.
        self._stopped: Deferred[None] | None = None
        self._telling: Any = None
        self._maxPayload = _MAX_PAYLOAD[self.family]
        self._destinations = Destinations(self.family)

    def __repr__(self) -> str:
        where = self._host.port if self._host is not None else self.port
        return f"<{self.logPrefix()} on UDP port {where} {self.state.name}>"

    # -- IListeningPort ----------------------------------------------------

    def startListening(self) -> None:
        """Bind, attach the protocol and start reading.

        :raises plait.errors.CannotListenError: the address cannot be bound.
        """
        if self.state is PortState.LISTENING:
            return
        if self._telling is not None:
            # Stopped and started again in one turn: finish the stop first,
            # so that the protocol is detached and its Deferred fires.
            self._telling.cancel()
            self._tellStopped()
        sock = self._bind()
        self.socket = sock
        self._host = inetAddress("UDP", sock.getsockname())
        self.state = PortState.LISTENING
        log.debug("%s listening on %s", self.logPrefix(), self._host)
        try:
            self.protocol.makeConnection(self)
        except BaseException:
            # The protocol refused to start: give the address back.
            self.state = PortState.STOPPED
            self.socket = None
            self._peer = None
            sock.close()
            raise
        if self.socket is not None:  # startProtocol may have stopped it
            self.reactor.addReader(self)

    def stopListening(self) -> Deferred[None]:
        """Close the socket now; the Deferred fires once the protocol has
        heard ``stopProtocol`` (on the next reactor turn)."""
        if self._stopped is not None:
            return self._stopped
        if self.state is not PortState.LISTENING:
            return succeed(None)
        self._stopped = Deferred()
        stopped = self._stopped
        self._close(tellLater=True)
        return stopped

    loseConnection = stopListening

    def getHost(self) -> Any:
        """The bound address (IPv4Address or IPv6Address of type UDP); its
        port is the real one when 0 was asked for."""
        if self._host is None:
            host = self.interface or anyAddress(self.family)
            if self.family == socket.AF_INET6:
                return inetAddress("UDP", (host, self.port, 0, 0))
            return inetAddress("UDP", (host, self.port))
        return self._host

    # -- IUDPTransport -----------------------------------------------------

    def write(self, packet: bytes, addr: Address | None = None) -> None:
        """Send one datagram: to ``addr``, or to the peer of a connected port.

        :raises TypeError: ``packet`` is not bytes-like.
        :raises plait.errors.InvalidAddressError: no address on an
            unconnected port, another address than the peer on a connected
            one, or a host that is not an IP literal of the port's family.
        :raises plait.errors.MessageLengthError: the datagram is too long.
        :raises plait.errors.NotListeningError: the port is not listening.
        """
        data = packet if type(packet) is bytes else _asDatagram(packet)
        sock = self.socket
        if sock is None:
            raise NotListeningError(f"{self!r} cannot send")
        if len(data) > self._maxPayload:
            raise MessageLengthError(f"{len(data)} bytes do not fit in one datagram")
        target: Any = None
        if self._peer is not None:
            if addr is not None and tuple(addr) != self._peer:
                raise InvalidAddressError(
                    addr, f"this port is connected to {self._peer}; send there only"
                )
        elif addr is None:
            raise InvalidAddressError(None, "an unconnected port needs an address")
        else:
            try:
                target = self._destinations.known.get(addr)
            except TypeError:  # a list, say: unhashable, so never remembered
                target = None
            if target is None:
                target = self._destinations.sockaddrFor(addr)
        if self._queue:
            self._queue.append((data, target))
            return
        # The common case in one frame: the kernel takes the datagram.
        try:
            if target is None:
                sock.send(data)
            else:
                sock.sendto(data, target)
            return
        except BlockingIOError:
            self._enqueue(data, target)
            return
        except OSError:
            pass  # interrupted, refused, too long...: the slow path sorts it
        self._send(data, target)

    def connect(self, host: str, port: int) -> None:
        """Send to and receive from ``host:port`` only.

        :raises plait.errors.InvalidAddressError: ``host`` is not an IP
            literal of the port's family (a ValueError).
        :raises RuntimeError: the port is connected already.
        :raises plait.errors.NotListeningError: the port is not listening.
        """
        if self._peer is not None:
            raise RuntimeError(f"{self!r} is connected to {self._peer} already")
        if self.socket is None:
            raise NotListeningError(f"{self!r} cannot connect")
        destinations = self._destinations
        peer = destinations.check((host, port))
        self.socket.connect(destinations.sockaddrFor(peer))
        self._peer = peer

    def setBroadcastAllowed(self, enabled: bool) -> None:
        """Allow (or forbid) sending to broadcast addresses."""
        self._handle().setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, enabled)

    def getBroadcastAllowed(self) -> bool:
        """Whether sending to broadcast addresses is allowed."""
        flag = self._handle().getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST)
        return bool(flag)

    # -- ISystemHandle -----------------------------------------------------

    def getHandle(self) -> socket.socket:
        """The bound socket, for options plait does not wrap.

        :raises plait.errors.NotListeningError: the port is not listening.
        """
        return self._handle()

    # -- descriptor ----------------------------------------------------------

    def fileno(self) -> int:
        """The socket's descriptor, -1 when not listening."""
        return self.socket.fileno() if self.socket is not None else -1

    def doRead(self) -> None:
        """Hand the waiting datagrams to the protocol (a bounded batch)."""
        protocol = self.protocol
        v6 = self.family == socket.AF_INET6
        for _ in range(READS_PER_EVENT):
            sock = self.socket
            if sock is None:
                return
            try:
                data, addr = sock.recvfrom(self.maxPacketSize)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionRefusedError:
                self._refused()
                continue
            except OSError as e:
                if e.errno in _PASSING:
                    continue
                raise
            try:
                protocol.datagramReceived(data, addr[:2] if v6 else addr)
            except Exception:
                log.exception("%s failed on a received datagram", self.logPrefix())

    def doWrite(self) -> None:
        """Send the queued datagrams the kernel has room for."""
        queue = self._queue
        while queue:
            data, target = queue[0]
            try:
                sent = self._sendNow(data, target)
            except Exception:
                # Only this datagram is lost; its error cannot reach the
                # write() that queued it any more.
                log.exception("%s: a queued datagram could not be sent", self)
                sent = True
            if not sent:
                return
            queue.popleft()
        self._stopWriting()

    def connectionLost(self, reason: Failure) -> None:
        """The reactor dropped the port (an error, or its shutdown)."""
        log.debug("%s closed: %s", self, reason.getErrorMessage())
        self._close(tellLater=False)

    def logPrefix(self) -> str:
        """The protocol's ``logPrefix()``, or its class name."""
        prefix = getattr(self.protocol, "logPrefix", None)
        return str(prefix()) if prefix is not None else type(self.protocol).__name__

    # -- inside --------------------------------------------------------------

    def _bind(self) -> socket.socket:
        """The bound socket to listen on; subclasses may set options."""
        return bindInet(socket.SOCK_DGRAM, self.interface, self.port)

    def _handle(self) -> socket.socket:
        if self.socket is None:
            raise NotListeningError(f"{self!r} is not listening")
        return self.socket

    def _send(self, data: bytes, target: Any) -> None:
        if not self._sendNow(data, target):
            self._enqueue(data, target)

    def _enqueue(self, data: bytes, target: Any) -> None:
        self._queue.append((data, target))
        if not self._writing:
            self._writing = True
            self.reactor.addWriter(self)

    def _sendNow(self, data: bytes, target: Any) -> bool:
        """Try to send to the socket address ``target`` (None: the peer);
        False when the kernel had no room (keep it queued)."""
        sock = self.socket
        if sock is None:
            return True  # closed meanwhile: nowhere to send
        while True:
            try:
                if target is None:
                    sock.send(data)
                else:
                    sock.sendto(data, target)
            except InterruptedError:
                continue
            except ConnectionRefusedError:
                self._refused()
            except OSError as e:
                if e.errno in _FULL:
                    return False
                if e.errno == errno.EMSGSIZE:
                    raise MessageLengthError(
                        f"{len(data)} bytes do not fit in one datagram"
                    ) from e
                raise
            return True

    def _refused(self) -> None:
        if self._peer is None:
            return  # which destination refused is unknown on an unconnected port
        try:
            self.protocol.connectionRefused()
        except Exception:
            log.exception("%s.connectionRefused failed", self.logPrefix())

    def _stopWriting(self) -> None:
        if self._writing:
            self._writing = False
            self.reactor.removeWriter(self)

    def _close(self, tellLater: bool) -> None:
        if self.state is not PortState.LISTENING:
            return
        self.state = PortState.STOPPED
        if self._queue:
            self.doWrite()  # one last try; what still does not fit is lost
            self._queue.clear()
        self._stopWriting()
        self.reactor.removeReader(self)
        sock, self.socket = self.socket, None
        self._peer = None
        if sock is not None:
            sock.close()
        log.debug("%s stopped listening on %s", self.logPrefix(), self._host)
        if tellLater:
            self._telling = self.reactor.callLater(0, self._tellStopped)
        else:
            self._tellStopped()

    def _tellStopped(self) -> None:
        self._telling = None
        try:
            self.protocol.doStop()
        except Exception:
            log.exception("%s.doStop failed", self.logPrefix())
        stopped, self._stopped = self._stopped, None
        if stopped is not None:
            stopped.callback(None)
