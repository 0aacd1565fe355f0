"""The I/O of one query: the engine's actions carried out on the reactor.

Each UDP attempt gets a socket of its own, bound to a random port from
10240 to 65535 (``secrets``) and connected to the server asked, so the
kernel itself drops datagrams from anywhere else; a server that refuses
(ICMP port unreachable) ends that attempt early. A truncated answer goes
to TCP. When the engine finishes, every socket, timer and connection of
the query is closed before the Deferred fires; cancelling the Deferred
does the same.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import secrets
from typing import Any

from plait.core import ClientFactory, Deferred, Failure, Protocol
from plait.errors import CannotListenError, DNSError, NotConnectingError
from plait.udp import DatagramProtocol

from ._engine import Finished, QueryEngine, SendDatagram, SendStream, Server
from ._errors import timeoutError
from ._transfer import ZoneTransfer

__all__ = ["Exchange", "Transfer", "listenRandomPort"]

log = logging.getLogger("plait.dns")

#: Source ports are drawn from here: far above the ports some servers
#: refuse to answer (BIND drops queries from 7, 13, 19, 37 and others).
PORT_LOW = 10240
PORT_HIGH = 65535


@functools.lru_cache(maxsize=64)
def _wildcard(host: str) -> str:
    # The socket is connected to the server right after binding, which picks
    # the source address and filters what comes in: bind the wildcard.
    return "::" if ipaddress.ip_address(host).version == 6 else ""


def listenRandomPort(reactor: Any, protocol: Any, host: str) -> Any:
    """A UDP port at a random unprivileged number, of *host*'s family."""
    interface = _wildcard(host)
    for _ in range(16):
        number = PORT_LOW + secrets.randbelow(PORT_HIGH - PORT_LOW + 1)
        try:
            return reactor.listenUDP(number, protocol, interface, 65535)
        except CannotListenError:
            continue
    # Sixteen taken ports in a row: let the kernel pick an ephemeral one.
    return reactor.listenUDP(0, protocol, interface, 65535)


class _Attempt(DatagramProtocol):
    def __init__(self, exchange: Exchange, attempt: int) -> None:
        self.exchange = exchange
        self.attempt = attempt

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.exchange.datagram(self.attempt, datagram, addr)

    def connectionRefused(self) -> None:
        self.exchange.refused(self.attempt)


class _Stream(Protocol):
    def __init__(self, owner: Any, data: bytes) -> None:
        self.owner = owner
        self.data = data

    def connectionMade(self) -> None:
        self.owner.connected(self)
        self.transport.write(self.data)

    def dataReceived(self, data: bytes) -> None:
        self.owner.streamData(data)

    def connectionLost(self, reason: Any = None) -> None:
        self.owner.streamLost(str(reason.value) if reason is not None else "closed")


class _StreamFactory(ClientFactory):
    def __init__(self, owner: Any, data: bytes) -> None:
        self.owner = owner
        self.data = data

    def buildProtocol(self, addr: Any) -> _Stream:
        return _Stream(self.owner, self.data)

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        self.owner.streamLost(str(reason.value))


class Exchange:
    """Runs *engine* on *reactor*; :attr:`deferred` fires with its Finished."""

    def __init__(self, reactor: Any, engine: QueryEngine) -> None:
        self.reactor = reactor
        self.engine = engine
        self.deferred: Deferred[Finished] = Deferred(self._cancel)
        self._ports: list[Any] = []
        self._timers: list[Any] = []
        self._stream: _Stream | None = None
        self._connector: Any = None
        self._streamTimer: Any = None

    def start(self) -> Deferred[Finished]:
        """Send the first attempt; return :attr:`deferred`."""
        self._act(self.engine.start(self.reactor.seconds()))
        return self.deferred

    def _act(self, action: SendDatagram | SendStream | Finished | None) -> None:
        if action is None or self.deferred.called:
            return
        if isinstance(action, SendDatagram):
            self._send(action)
        elif isinstance(action, SendStream):
            self._connect(action.server, action.data, action.timeout)
        else:
            self._close()
            self.deferred.callback(action)

    def _send(self, action: SendDatagram) -> None:
        host, number = action.server
        try:
            port = listenRandomPort(self.reactor, _Attempt(self, action.attempt), host)
        except CannotListenError as e:
            log.debug("no UDP socket for %s: %s", self.engine.name, e)
            self._later(0, self._timedOut, action.attempt)
            return
        self._ports.append(port)
        port.connect(host, number)
        port.write(action.data)
        self._later(action.timeout, self._timedOut, action.attempt)

    def _later(self, delay: float, f: Any, *args: Any) -> None:
        timers = self._timers
        # Fired and cancelled timers are pruned so a long query keeps few.
        if len(timers) > 8:
            timers[:] = [t for t in timers if t.active()]
        timers.append(self.reactor.callLater(delay, f, *args))

    def _connect(self, server: Server, data: bytes, timeout: float) -> None:
        host, number = server
        self._connector = self.reactor.connectTCP(
            host, number, _StreamFactory(self, data), timeout=timeout
        )
        self._later(timeout, self._streamTimedOut, timeout)
        # Kept apart so that a stream which ends early takes its timer with
        # it: a later stream of the same query must not be cut by it.
        self._streamTimer = self._timers[-1]

    def _timedOut(self, attempt: int) -> None:
        self._act(self.engine.timedOut(attempt, self.reactor.seconds()))

    def datagram(self, attempt: int, data: bytes, addr: Server) -> None:
        """A datagram arrived on the socket of *attempt*."""
        self._act(
            self.engine.datagramReceived(attempt, data, addr, self.reactor.seconds())
        )

    def refused(self, attempt: int) -> None:
        """The server of *attempt* refused it: move on at once."""
        self._act(self.engine.timedOut(attempt, self.reactor.seconds()))

    def connected(self, stream: _Stream) -> None:
        """The TCP connection is up."""
        self._stream = stream

    def streamData(self, data: bytes) -> None:
        """Bytes came over TCP."""
        self._act(self.engine.streamReceived(data))

    def streamLost(self, reason: str) -> None:
        """The TCP connection failed or closed."""
        self._stream = None
        self._connector = None
        if self._streamTimer is not None and self._streamTimer.active():
            self._streamTimer.cancel()
        self._streamTimer = None
        self._act(self.engine.streamFailed(reason, self.reactor.seconds()))

    def _streamTimedOut(self, timeout: float) -> None:
        self._streamTimer = None
        _abort(self._stream, self._connector)
        self._stream = None
        self._connector = None
        self._act(
            self.engine.streamFailed(
                f"no answer in {timeout:g}s", self.reactor.seconds()
            )
        )

    def _close(self) -> None:
        for timer in self._timers:
            if timer.active():
                timer.cancel()
        self._timers.clear()
        for port in self._ports:
            port.protocol.exchange = _Ignore
            port.stopListening()
        self._ports.clear()
        _abort(self._stream, self._connector)
        self._stream = None
        self._connector = None

    def _cancel(self, d: Deferred[Finished]) -> None:
        self._close()


class _IgnoreType:
    """Stands in for an owner that finished, so late events go nowhere."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args: None


_Ignore: Any = _IgnoreType()


def _abort(stream: _Stream | None, connector: Any) -> None:
    """Drop a TCP connection, or the attempt to make one, without a word."""
    if stream is not None:
        stream.owner = _Ignore
        stream.transport.abortConnection()
    elif connector is not None:
        connector.factory.owner = _Ignore
        try:
            connector.stopConnecting()
        except NotConnectingError:
            pass


class Transfer:
    """Runs a :class:`ZoneTransfer` against *server* within *timeout*."""

    def __init__(
        self, reactor: Any, transfer: ZoneTransfer, server: Server, timeout: float
    ):
        self.reactor = reactor
        self.transfer = transfer
        self.deferred: Deferred[Any] = Deferred(lambda d: self._close())
        self._stream: _Stream | None = None
        host, number = server
        self._connector: Any = reactor.connectTCP(
            host, number, _StreamFactory(self, transfer.request()), timeout=timeout
        )
        self._timer = reactor.callLater(timeout, self._timedOut, timeout)

    def connected(self, stream: _Stream) -> None:
        self._stream = stream

    def streamData(self, data: bytes) -> None:
        try:
            result = self.transfer.dataReceived(data)
        except DNSError as e:
            self._finish(Failure(e))
            return
        if result is not None:
            self._finish(result)

    def streamLost(self, reason: str) -> None:
        self._stream = None
        self._connector = None
        self._finish(Failure(self.transfer.incomplete()))

    def _timedOut(self, timeout: float) -> None:
        name = self.transfer.name.to_text()
        self._finish(
            Failure(timeoutError(name, "AXFR", f"no complete transfer in {timeout:g}s"))
        )

    def _finish(self, result: Any) -> None:
        if self.deferred.called:
            return
        self._close()
        if isinstance(result, Failure):
            self.deferred.errback(result)
        else:
            self.deferred.callback(result)

    def _close(self) -> None:
        if self._timer.active():
            self._timer.cancel()
        _abort(self._stream, self._connector)
        self._stream = None
        self._connector = None
