"""Behaviour every plait stream transport must show, as reusable test methods.

A transport distribution (TCP, TLS, UNIX sockets, ...) subclasses
:class:`StreamTransportConformance` in its own tests and says how to
connect two protocols over its transport; pytest then collects the
inherited ``test_*`` methods for that subclass::

    class TestTCPConformance(StreamTransportConformance):
        def connectPair(self, server, client):
            reactor = Reactor(extensions=[TCPExtension])
            port = reactor.listenTCP(0, Factory.forProtocol(lambda: server),
                                     interface="127.0.0.1")
            connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1",
                                               port.getHost().port), client)

            def close():
                port.stopListening()
                reactor.close()

            return ConnectedPair(turn=lambda: reactor.iterate(0.01), close=close)

The checks need nothing but the hook: no pytest fixtures, no import of
pytest, so this module ships in plait-core without a test dependency.
Each check waits for its condition by calling ``turn()`` a bounded number
of times, and fails with an ``AssertionError`` naming what it waited for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from zope.interface import implementer
from zope.interface.verify import verifyObject

from plait.errors import ConnectionAborted, ConnectionClosed, ConnectionDone
from plait.interfaces import (
    IAddress,
    IConsumer,
    IPullProducer,
    IPushProducer,
    ITransport,
)

from .._failure import Failure
from .._protocol import Protocol

__all__ = ["ConnectedPair", "RecordingProtocol", "StreamTransportConformance"]


def _nothing() -> None:
    pass


@dataclass(slots=True)
class ConnectedPair:
    """What :meth:`StreamTransportConformance.connectPair` returns.

    :param turn: moves I/O forward a little (one reactor iteration, one
        pump of a loopback pair); called repeatedly while a check waits.
    :param close: releases what ``connectPair`` opened (listening port,
        reactor); called once after each check.  By then both connections
        have been closed or aborted.
    """

    turn: Callable[[], object]
    close: Callable[[], object] = _nothing


class RecordingProtocol(Protocol):
    """A protocol that writes down everything that happens to it."""

    def __init__(self) -> None:
        self.made = 0
        self.received = bytearray()
        self.lost: list[Failure] = []

    def connectionMade(self) -> None:
        """Count the call."""
        self.made += 1

    def dataReceived(self, data: bytes) -> None:
        """Keep the bytes."""
        self.received += data

    def connectionLost(self, reason: Any) -> None:
        """Keep the reason."""
        self.lost.append(reason)


@implementer(IPushProducer)
class _PushProducer:
    def __init__(self) -> None:
        self.pauses = 0
        self.resumes = 0
        self.stopped = 0

    def pauseProducing(self) -> None:
        self.pauses += 1

    def resumeProducing(self) -> None:
        self.resumes += 1

    def stopProducing(self) -> None:
        self.stopped += 1


@implementer(IPullProducer)
class _PullProducer:
    """Writes one chunk per request; after the last, unregisters and closes."""

    def __init__(self, transport: Any, chunks: list[bytes]) -> None:
        self.transport = transport
        self.chunks = list(chunks)
        self.requests = 0

    def resumeProducing(self) -> None:
        self.requests += 1
        if self.chunks:
            self.transport.write(self.chunks.pop(0))
        if not self.chunks:
            self.transport.unregisterProducer()
            self.transport.loseConnection()

    def stopProducing(self) -> None:
        self.chunks.clear()


def _payload(size: int) -> bytes:
    pattern = bytes(range(251))  # a prime length, so chunk seams never align
    return (pattern * (size // len(pattern) + 1))[:size]


def _expect(condition: object, message: str) -> None:
    """Fail the check with *message*; unlike ``assert``, immune to ``-O``."""
    if not condition:
        raise AssertionError(f"transport conformance: {message}")


def _reasonOf(protocol: RecordingProtocol) -> Any:
    _expect(len(protocol.lost) == 1, f"connectionLost calls: {protocol.lost!r}")
    return protocol.lost[0].value


def _isA(protocol: RecordingProtocol, kind: type[Exception]) -> None:
    reason = _reasonOf(protocol)
    _expect(
        isinstance(reason, kind),
        f"connectionLost reason {reason!r}, expected {kind.__name__}",
    )


class _Session:
    """One connected pair of recording protocols and the means to wait."""

    def __init__(self, owner: StreamTransportConformance) -> None:
        self.owner = owner
        self.server = RecordingProtocol()
        self.client = RecordingProtocol()
        self.pair = owner.connectPair(self.server, self.client)

    def runUntil(self, condition: Callable[[], object], what: str) -> None:
        for _ in range(self.owner.maxTurns):
            if condition():
                return
            self.pair.turn()
        _expect(condition(), f"gave up waiting for {what}")

    def settle(self) -> None:
        for _ in range(self.owner.settleTurns):
            self.pair.turn()

    def bothLost(self) -> None:
        self.runUntil(
            lambda: self.server.lost and self.client.lost,
            "connectionLost on both sides",
        )

    def close(self) -> None:
        """Abort what is still open, give it a few turns, release the pair."""
        try:
            still = [
                p
                for p in (self.server, self.client)
                if p.transport is not None and not p.lost
            ]
            for protocol in still:
                protocol.transport.abortConnection()
            for _ in range(self.owner.maxTurns):
                if all(p.lost for p in still):
                    break
                self.pair.turn()
        finally:
            self.pair.close()


class StreamTransportConformance:
    """Checks of a stream transport; subclass and define :meth:`connectPair`.

    The subclass's name must start with ``Test`` for pytest to collect it.
    ``maxTurns`` bounds how long a check waits for one condition;
    ``settleTurns`` is how many extra turns a check allows for calls that
    must not happen (a second ``connectionLost``, data after a close).
    """

    maxTurns = 2000
    settleTurns = 10

    def connectPair(
        self, server: RecordingProtocol, client: RecordingProtocol
    ) -> ConnectedPair:
        """Connect *server* and *client* over the transport under test.

        The connection may still be in progress on return; the checks wait
        until both protocols saw ``connectionMade``.
        """
        raise NotImplementedError(f"{type(self).__name__} must define connectPair()")

    @contextmanager
    def _connected(self) -> Iterator[_Session]:
        session = _Session(self)
        try:
            session.runUntil(
                lambda: session.server.made and session.client.made,
                "connectionMade on both sides",
            )
            yield session
        finally:
            session.close()

    def test_transports_provide_itransport_and_iconsumer(self) -> None:
        """Both ends' transports verify against ITransport and IConsumer."""
        with self._connected() as s:
            for protocol in (s.server, s.client):
                # verifyObject raises, with the details, when it fails.
                verifyObject(ITransport, protocol.transport)
                verifyObject(IConsumer, protocol.transport)

    def test_connection_made_once_before_anything_else(self) -> None:
        """Each protocol hears connectionMade once, with its transport set."""
        with self._connected() as s:
            s.settle()
            for protocol in (s.server, s.client):
                _expect(protocol.made == 1, f"connectionMade ran {protocol.made}x")
                _expect(protocol.transport is not None, "no transport was set")
                _expect(protocol.lost == [], f"connection lost: {protocol.lost!r}")

    def test_addresses_provide_iaddress(self) -> None:
        """getHost() and getPeer() return IAddress providers on both ends."""
        with self._connected() as s:
            for protocol in (s.server, s.client):
                for address in (
                    protocol.transport.getHost(),
                    protocol.transport.getPeer(),
                ):
                    _expect(IAddress.providedBy(address), f"{address!r} is no IAddress")

    def test_writes_arrive_in_order(self) -> None:
        """write() and writeSequence() chunks arrive in order, both ways."""
        chunks = [b"%d," % i for i in range(200)]
        expected = b"".join(chunks)
        with self._connected() as s:
            for sender in (s.client, s.server):
                for i in range(0, 200, 4):
                    sender.transport.write(chunks[i])
                    sender.transport.writeSequence(chunks[i + 1 : i + 4])
            s.runUntil(
                lambda: (
                    len(s.server.received) >= len(expected)
                    and len(s.client.received) >= len(expected)
                ),
                "data in both directions",
            )
            _expect(s.server.received == expected, "client-to-server bytes differ")
            _expect(s.client.received == expected, "server-to-client bytes differ")

    def test_large_write_arrives_whole(self) -> None:
        """A write far larger than any socket buffer arrives complete."""
        payload = _payload(4 * 1024 * 1024 + 3)
        with self._connected() as s:
            s.client.transport.write(payload)
            s.runUntil(lambda: len(s.server.received) >= len(payload), "4 MiB")
            _expect(s.server.received == payload, "the 4 MiB arrived altered")

    def test_lose_connection_delivers_everything_then_done(self) -> None:
        """Data written before loseConnection arrives; both sides get ConnectionDone."""
        payload = _payload(1024 * 1024)
        with self._connected() as s:
            s.client.transport.write(payload)
            s.client.transport.loseConnection()
            s.bothLost()
            _expect(
                s.server.received == payload,
                f"{len(s.server.received)} of {len(payload)} bytes arrived",
            )
            _isA(s.client, ConnectionDone)
            _isA(s.server, ConnectionDone)

    def test_server_lose_connection_delivers_everything(self) -> None:
        """A close by the accepting side also flushes its data first."""
        payload = _payload(256 * 1024)
        with self._connected() as s:
            s.server.transport.writeSequence([payload[:1000], payload[1000:]])
            s.server.transport.loseConnection()
            s.bothLost()
            _expect(
                s.client.received == payload,
                f"{len(s.client.received)} of {len(payload)} bytes arrived",
            )
            _isA(s.server, ConnectionDone)

    def test_connection_lost_exactly_once(self) -> None:
        """Repeated closes still give one connectionLost per side."""
        with self._connected() as s:
            s.client.transport.loseConnection()
            s.client.transport.loseConnection()
            s.client.transport.abortConnection()
            s.bothLost()
            s.settle()
            _reasonOf(s.client)
            _reasonOf(s.server)

    def test_write_after_lose_connection_is_ignored(self) -> None:
        """Bytes written after loseConnection never reach the peer."""
        with self._connected() as s:
            s.client.transport.write(b"before")
            s.client.transport.loseConnection()
            s.client.transport.write(b"after")
            s.client.transport.writeSequence([b"and", b"more"])
            s.bothLost()
            s.settle()
            _expect(
                s.server.received == b"before",
                f"the peer received {bytes(s.server.received)!r}",
            )

    def test_abort_connection_reports_aborted(self) -> None:
        """abortConnection gives ConnectionAborted here and a closed reason there."""
        with self._connected() as s:
            s.client.transport.write(_payload(64 * 1024))
            s.client.transport.abortConnection()
            _expect(s.client.lost == [], "connectionLost ran inside abortConnection")
            s.bothLost()
            s.settle()
            _isA(s.client, ConnectionAborted)
            _isA(s.server, ConnectionClosed)

    def test_register_producer_twice_raises(self) -> None:
        """A second registerProducer raises RuntimeError until the first is gone."""
        with self._connected() as s:
            transport = s.client.transport
            first, second = _PushProducer(), _PushProducer()
            transport.registerProducer(first, True)
            try:
                transport.registerProducer(second, True)
            except RuntimeError:
                pass
            else:
                _expect(False, "a second registerProducer() was accepted")
            transport.unregisterProducer()
            transport.registerProducer(second, True)
            transport.unregisterProducer()

    def test_lose_connection_waits_for_producer(self) -> None:
        """With a producer registered, loseConnection waits for unregisterProducer."""
        with self._connected() as s:
            producer = _PushProducer()
            s.client.transport.registerProducer(producer, True)
            s.client.transport.loseConnection()
            s.settle()
            _expect(
                s.client.lost == [] and s.server.lost == [],
                "the connection closed while a producer was registered",
            )
            s.client.transport.unregisterProducer()
            s.bothLost()
            _isA(s.client, ConnectionDone)

    def test_producer_writes_after_lose_connection_arrive(self) -> None:
        """A producer still registered after loseConnection may finish its
        writes: they all arrive before the connection closes."""
        with self._connected() as s:
            transport = s.client.transport
            transport.registerProducer(_PushProducer(), True)
            transport.write(b"head ")
            transport.loseConnection()
            transport.write(b"body ")
            transport.writeSequence([b"and ", b"tail"])
            s.settle()
            transport.unregisterProducer()
            transport.write(b" dropped")
            s.bothLost()
            s.settle()
            _expect(
                s.server.received == b"head body and tail",
                f"the peer received {bytes(s.server.received)!r}",
            )
            _isA(s.client, ConnectionDone)

    def test_producer_stopped_when_connection_aborted(self) -> None:
        """A registered producer hears stopProducing when its connection dies."""
        with self._connected() as s:
            producer = _PushProducer()
            s.client.transport.registerProducer(producer, True)
            s.client.transport.abortConnection()
            s.bothLost()
            _expect(producer.stopped == 1, f"stopProducing ran {producer.stopped}x")

    def test_pull_producer_asked_for_each_chunk(self) -> None:
        """A pull producer is asked again each time its chunk was taken."""
        chunks = [_payload(3000)[i::7] for i in range(7)] * 3
        with self._connected() as s:
            producer = _PullProducer(s.client.transport, chunks)
            s.client.transport.registerProducer(producer, False)
            s.bothLost()
            _expect(
                s.server.received == b"".join(chunks),
                "the pull producer's chunks did not all arrive in order",
            )
            _expect(producer.requests >= len(chunks), "too few resumeProducing calls")

    def test_paused_transport_delivers_nothing(self) -> None:
        """A transport paused as a producer holds received data until resumed."""
        with self._connected() as s:
            transport = s.server.transport
            if not IPushProducer.providedBy(transport):
                return  # the transport does not offer to pause reading
            transport.pauseProducing()
            s.client.transport.write(b"held back")
            s.settle()
            _expect(s.server.received == b"", "a paused transport delivered data")
            transport.resumeProducing()
            s.runUntil(lambda: len(s.server.received) >= 9, "data after resume")
            _expect(s.server.received == b"held back", "wrong data after resume")
