"""A datagram port, whatever its address family: the socket of a datagram
protocol, and its transport.

A family (UDP, UNIX datagram sockets) specialises :class:`DatagramPort`
by saying how to bind, how to name addresses and how to check a
destination; reading, writing, the queue of what the kernel refused and
the order of a stop live here once.

Facts that shaped this module:

- One readiness event reads up to ``READS_PER_EVENT`` datagrams: on a busy
  port that saves a trip through the poller per datagram, and the bound
  keeps one port from starving the others.
- ``write`` sends at once. Only when the kernel has no room (EAGAIN, or
  ENOBUFS) is the datagram queued, in order, and the port registered for
  writing until the queue is empty: a datagram the program wrote is not
  dropped on the local side.
- A port remembers the destinations it checked (``_known``, filled by the
  family), so a server answering its clients checks each one once, not on
  every datagram.
- A connected port receives only from its peer, and the kernel reports a
  refusal by the peer as ECONNREFUSED on a later send or receive: the
  protocol hears ``connectionRefused``.
- ``stopListening`` closes the socket at once, so the address is free when
  it returns, but the protocol hears ``stopProtocol`` on the next reactor
  turn, never from inside its own call; the Deferred fires after that.
  When the reactor drops the port (its shutdown) the protocol is told at
  once.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections import deque
from collections.abc import Callable
from typing import Any

from zope.interface import implementer

from plait.errors import InvalidAddressError, MessageLengthError, NotListeningError
from plait.interfaces import (
    IListeningPort,
    IReadDescriptor,
    ISystemHandle,
    IWriteDescriptor,
)

from ._defer import Deferred, succeed
from ._failure import Failure
from ._listening import PortEvent, PortState, applyPortEvent, closeDroppedPort

__all__ = ["DatagramPort", "asDatagram"]

log = logging.getLogger("plait.core")

READS_PER_EVENT = 64

_FULL = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.ENOBUFS})
# Errors a receive can report that concern one datagram, not the port.
_PASSING = frozenset({errno.EINTR, errno.EMSGSIZE, errno.ENOBUFS, errno.ENOMEM})


def asDatagram(packet: object) -> bytes:
    """``packet`` as bytes.

    :raises TypeError: it is not bytes-like.
    """
    if isinstance(packet, (bytes, bytearray, memoryview)):
        return bytes(packet)
    raise TypeError(f"a datagram is bytes, not {type(packet).__name__}")


@implementer(IListeningPort, ISystemHandle, IReadDescriptor, IWriteDescriptor)
class DatagramPort:
    """Binds a datagram socket and hands each datagram to ``protocol``.

    A family subclass provides ``_bind`` (a bound socket, or
    ``CannotListenError``), ``_hostFor`` (the bound address as a plait
    address), ``_sockaddrFor`` (check a destination given to ``write``
    and remember it in ``_known``), ``getHost`` before listening and
    ``_describe``. It sets ``_peer`` when it connects the socket, and may
    set ``_fromSockaddr`` (how a sender's socket address reaches the
    protocol), ``_maxPayload``, ``_withAddress`` (False: the protocol
    hears the datagram alone) and override ``_samePeer``, ``_sendErrorFor``
    and ``_refused``.

    Datagrams longer than ``maxPacketSize`` are cut to that size.
    """

    #: Where the port logs; a family names its own logger.
    _log = log
    #: The longest datagram ``write`` accepts before asking the kernel.
    _maxPayload = 1 << 30
    #: Turns a sender's socket address into what the protocol hears
    #: (None: as it is).
    _fromSockaddr: Callable[[Any], Any] | None = None
    #: Whether the protocol hears the sender beside the datagram.
    _withAddress = True

    def __init__(self, protocol: Any, maxPacketSize: int, reactor: Any) -> None:
        if not isinstance(maxPacketSize, int) or maxPacketSize < 1:
            raise ValueError(
                f"maxPacketSize must be a positive int, not {maxPacketSize!r}"
            )
        self.protocol = protocol
        self.maxPacketSize = maxPacketSize
        self.reactor = reactor
        self.socket: socket.socket | None = None
        self.state = PortState.NEW
        self._host: Any = None
        self._peer: Any = None
        #: Destination as given -> socket address, for those checked.
        self._known: dict[Any, Any] = {}
        self._queue: deque[tuple[bytes, Any]] = deque()
        self._writing = False
        #: While a stop is being told to the protocol: its Deferred, and
        #: the delayed call that will tell it.
        self._stopped: Deferred[None] | None = None
        self._telling: Any = None

    def __repr__(self) -> str:
        return f"<{self.logPrefix()} on {self._describe()} {self.state.name}>"

    def __del__(self) -> None:
        closeDroppedPort(self)

    # -- what a family provides ---------------------------------------------

    def _bind(self) -> socket.socket:
        """The bound socket to listen on."""
        raise NotImplementedError

    def _hostFor(self, sock: socket.socket) -> Any:
        """The plait address ``sock`` is bound to."""
        raise NotImplementedError

    def _sockaddrFor(self, addr: Any) -> Any:
        """Check a destination, remember it in ``_known``; its socket address.

        :raises plait.errors.InvalidAddressError: it may not be sent to.
        """
        raise NotImplementedError

    def _describe(self) -> str:
        """Where the port is bound, in words."""
        raise NotImplementedError

    def _samePeer(self, addr: Any) -> bool:
        """Whether ``addr``, given to ``write`` on a connected port, is the peer."""
        return bool(addr == self._peer)

    def _sendErrorFor(self, err: OSError, target: Any) -> Exception | None:
        """The error ``write`` raises for a failed send to ``target`` (the
        socket address; None on a connected port): ``err`` itself by
        default; None when the family dealt with it and the datagram is
        dropped."""
        return err

    def _renew(self, err: OSError) -> bool:
        """Whether the family repaired what made a send fail, so that it is
        worth trying once more (False by default)."""
        return False

    def _released(self) -> None:
        """Runs once the socket is closed (nothing by default)."""

    def getHost(self) -> Any:
        """The bound address."""
        raise NotImplementedError

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
        self._host = self._hostFor(sock)
        self.state = applyPortEvent(self.state, PortEvent.LISTEN)
        self._log.debug("%s listening on %s", self.logPrefix(), self._host)
        try:
            self.protocol.makeConnection(self)
        except BaseException:
            # The protocol refused to start: give the address back.
            self.state = applyPortEvent(self.state, PortEvent.STOP)
            self.socket = None
            self._peer = None
            sock.close()
            self._released()
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

    # -- the transport -------------------------------------------------------

    def write(self, packet: bytes, addr: Any = None) -> None:
        """Send one datagram: to ``addr``, or to the peer of a connected port.

        :raises TypeError: ``packet`` is not bytes-like.
        :raises plait.errors.InvalidAddressError: no address on an
            unconnected port, another address than the peer on a connected
            one, or an address the family refuses.
        :raises plait.errors.MessageLengthError: the datagram is too long.
        :raises plait.errors.NotListeningError: the port is not listening.
        """
        data = packet if type(packet) is bytes else asDatagram(packet)
        sock = self.socket
        if sock is None:
            raise NotListeningError(f"{self!r} cannot send")
        if len(data) > self._maxPayload:
            raise MessageLengthError(f"{len(data)} bytes do not fit in one datagram")
        target: Any = None
        if self._peer is not None:
            if addr is not None and not self._samePeer(addr):
                raise InvalidAddressError(
                    addr, f"this port is connected to {self._peer}; send there only"
                )
        elif addr is None:
            raise InvalidAddressError(None, "an unconnected port needs an address")
        else:
            try:
                target = self._known.get(addr)
            except TypeError:  # a list, say: unhashable, so never remembered
                target = None
            if target is None:
                target = self._sockaddrFor(addr)
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
        if not self._sendNow(data, target):
            self._enqueue(data, target)

    # -- ISystemHandle -----------------------------------------------------

    def getHandle(self) -> socket.socket:
        """The bound socket, for options plait does not wrap.

        :raises plait.errors.NotListeningError: the port is not listening.
        """
        if self.socket is None:
            raise NotListeningError(f"{self!r} is not listening")
        return self.socket

    # -- descriptor ----------------------------------------------------------

    def fileno(self) -> int:
        """The socket's descriptor, -1 when not listening."""
        return self.socket.fileno() if self.socket is not None else -1

    def doRead(self) -> None:
        """Hand the waiting datagrams to the protocol (a bounded batch)."""
        protocol = self.protocol
        convert = self._fromSockaddr
        withAddress = self._withAddress
        for _ in range(READS_PER_EVENT):
            sock = self.socket
            if sock is None:
                return
            try:
                data, addr = sock.recvfrom(self.maxPacketSize)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionRefusedError as e:
                self._refused(e)
                continue
            except OSError as e:
                if e.errno in _PASSING:
                    continue
                raise
            try:
                if not withAddress:
                    protocol.datagramReceived(data)
                elif convert is None:
                    protocol.datagramReceived(data, addr)
                else:
                    protocol.datagramReceived(data, convert(addr))
            except Exception:
                self._log.exception(
                    "%s failed on a received datagram", self.logPrefix()
                )

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
                self._log.exception("%s: a queued datagram could not be sent", self)
                sent = True
            if not sent:
                return
            queue.popleft()
        self._stopWriting()

    def connectionLost(self, reason: Failure) -> None:
        """The reactor dropped the port (an error, or its shutdown)."""
        self._log.debug("%s closed: %s", self, reason.getErrorMessage())
        self._close(tellLater=False)

    def logPrefix(self) -> str:
        """The protocol's ``logPrefix()``, or its class name."""
        prefix = getattr(self.protocol, "logPrefix", None)
        return str(prefix()) if prefix is not None else type(self.protocol).__name__

    # -- inside --------------------------------------------------------------

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
        renewed = False
        while True:
            try:
                if target is None:
                    sock.send(data)
                else:
                    sock.sendto(data, target)
            except InterruptedError:
                continue
            except ConnectionRefusedError as e:
                self._refused(e, target)
            except OSError as e:
                if e.errno in _FULL:
                    return False
                if e.errno == errno.EMSGSIZE:
                    raise MessageLengthError(
                        f"{len(data)} bytes do not fit in one datagram"
                    ) from e
                if not renewed and self._renew(e):
                    renewed = True
                    continue
                error = self._sendErrorFor(e, target)
                if error is not None:
                    raise error from e
            return True

    def _refused(self, err: OSError, target: Any = None) -> None:
        """The kernel reported a refusal (of a send to ``target``, when the
        refusal answered one); a connected protocol hears it.

        An unconnected port cannot tell which destination refused, so the
        error is dropped.
        """
        if self._peer is None:
            return
        try:
            self.protocol.connectionRefused()
        except Exception:
            self._log.exception("%s.connectionRefused failed", self.logPrefix())

    def _stopWriting(self) -> None:
        if self._writing:
            self._writing = False
            self.reactor.removeWriter(self)

    def _close(self, tellLater: bool) -> None:
        if self.state is not PortState.LISTENING:
            return
        self.state = applyPortEvent(self.state, PortEvent.STOP)
        if self._queue:
            self.doWrite()  # one last try; what still does not fit is lost
            self._queue.clear()
        self._stopWriting()
        self.reactor.removeReader(self)
        sock, self.socket = self.socket, None
        self._peer = None
        if sock is not None:
            sock.close()
        try:
            self._released()
        except Exception:
            self._log.exception("%s: cleaning up after the socket failed", self)
        self._log.debug("%s stopped listening on %s", self.logPrefix(), self._host)
        if tellLater:
            self._telling = self.reactor.callLater(0, self._tellStopped)
        else:
            self._tellStopped()

    def _tellStopped(self) -> None:
        self._telling = None
        try:
            self.protocol.doStop()
        except Exception:
            self._log.exception("%s.doStop failed", self.logPrefix())
        stopped, self._stopped = self._stopped, None
        if stopped is not None:
            stopped.callback(None)
