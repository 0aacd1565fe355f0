"""The stream transport base, over AF_UNIX socket pairs and a real reactor."""

from __future__ import annotations

import errno
import hashlib
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from zope.interface import implementer

from plait.address import UNIXAddress
from plait.core._failure import Failure
from plait.core._reactor import Reactor
from plait.core._stream import StreamState, StreamTransport, connectionErrorFor
from plait.core.testing import ConnectedPair, StreamTransportConformance
from plait.errors import ConnectionAborted, ConnectionDone, ConnectionLost
from plait.interfaces import IHalfCloseableProtocol, IPullProducer, IPushProducer

TIMEOUT = 10.0


class PairTransport(StreamTransport):
    """A stream transport over one end of a socketpair."""

    def getHost(self) -> UNIXAddress:
        return UNIXAddress(None)

    def getPeer(self) -> UNIXAddress:
        return UNIXAddress(None)


class Recorder:
    """A protocol that records what happens to it."""

    def __init__(self) -> None:
        self.transport: Any = None
        self.data = bytearray()
        self.lost: list[Failure] = []
        self.events: list[str] = []

    def makeConnection(self, transport: Any) -> None:
        self.transport = transport
        self.events.append("made")

    def dataReceived(self, data: bytes) -> None:
        self.data += data

    def connectionLost(self, reason: Failure) -> None:
        self.lost.append(reason)
        self.events.append("lost")


@implementer(IHalfCloseableProtocol)
class HalfCloser(Recorder):
    """A recorder that also hears about half-closes."""

    def readConnectionLost(self) -> None:
        self.events.append("readLost")

    def writeConnectionLost(self) -> None:
        self.events.append("writeLost")


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    a.setblocking(False)
    yield a, b
    a.close()
    b.close()


def runUntil(reactor: Reactor, done: Callable[[], bool]) -> None:
    """Iterate the reactor until ``done()`` holds, failing after TIMEOUT."""
    deadline = time.monotonic() + TIMEOUT
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError("the reactor did not get there in time")
        reactor.iterate(0.01)


def connect(
    reactor: Reactor, sock: socket.socket, protocol: Recorder | None = None
) -> tuple[PairTransport, Recorder]:
    proto = protocol if protocol is not None else Recorder()
    transport = PairTransport(sock, proto, reactor)
    transport.startTransport()
    return transport, proto


def readAll(sock: socket.socket) -> bytes:
    """Read from a blocking socket until EOF."""
    sock.settimeout(TIMEOUT)
    chunks: list[bytes] = []
    while True:
        chunk = sock.recv(1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def fillKernel(transport: PairTransport, reactor: Reactor) -> int:
    """Write until the transport has to buffer; return the bytes written."""
    written = 0
    block = b"x" * 65536
    while transport.getBufferSize() == 0:
        transport.write(block)
        written += len(block)
    return written


def test_bytes_flow_both_ways(reactor: Reactor, pair: Any) -> None:
    """Written bytes reach the peer and the peer's bytes reach dataReceived."""
    a, b = pair
    transport, proto = connect(reactor, a)
    assert proto.events == ["made"]
    transport.write(b"ping")
    assert b.recv(10) == b"ping"
    b.sendall(b"pong")
    runUntil(reactor, lambda: bytes(proto.data) == b"pong")


def test_lose_connection_reports_done_once_and_later(
    reactor: Reactor, pair: Any
) -> None:
    """loseConnection closes with ConnectionDone, exactly once, on a later turn."""
    a, b = pair
    transport, proto = connect(reactor, a)
    transport.loseConnection()
    transport.loseConnection()
    assert proto.lost == []
    runUntil(reactor, lambda: bool(proto.lost))
    for _ in range(3):
        reactor.iterate(0)
    assert len(proto.lost) == 1
    assert proto.lost[0].check(ConnectionDone)
    assert transport.state is StreamState.CLOSED
    assert b.recv(10) == b""


def test_lose_connection_flushes_everything_first(reactor: Reactor, pair: Any) -> None:
    """Bytes buffered when loseConnection is called all reach the peer before EOF."""
    a, b = pair
    transport, proto = connect(reactor, a)
    written = fillKernel(transport, reactor) + 3
    transport.write(b"end")
    transport.loseConnection()
    received = bytearray()
    b.setblocking(False)
    while not proto.lost:
        try:
            chunk = b.recv(1 << 20)
        except BlockingIOError:
            chunk = b""
        received += chunk
        reactor.iterate(0.01)
    received += readAll(b)
    assert len(received) == written
    assert received.endswith(b"end")
    assert proto.lost[0].check(ConnectionDone)


def test_write_after_lose_connection_is_ignored(reactor: Reactor, pair: Any) -> None:
    """write() after loseConnection() neither raises nor sends anything."""
    a, b = pair
    transport, proto = connect(reactor, a)
    transport.write(b"before")
    transport.loseConnection()
    transport.write(b"after")
    transport.writeSequence([b"more"])
    runUntil(reactor, lambda: bool(proto.lost))
    assert readAll(b) == b"before"


def test_write_accepts_buffers_and_refuses_text(reactor: Reactor, pair: Any) -> None:
    """bytearray and memoryview are written; str raises TypeError."""
    a, b = pair
    transport, _ = connect(reactor, a)
    transport.write(bytearray(b"ab"))  # type: ignore[arg-type]  # buffers are accepted
    transport.write(memoryview(b"cd"))  # type: ignore[arg-type]  # buffers are accepted
    with pytest.raises(TypeError):
        transport.write("text")  # type: ignore[arg-type]  # the error is the point
    assert b.recv(10) == b"abcd"


def test_write_sequence_keeps_order(reactor: Reactor, pair: Any) -> None:
    """writeSequence sends every chunk, in order, after earlier writes."""
    a, b = pair
    transport, proto = connect(reactor, a)
    transport.write(b"0")
    transport.writeSequence([b"1", b"23", b"", b"456"])
    transport.loseConnection()
    runUntil(reactor, lambda: bool(proto.lost))
    assert readAll(b) == b"0123456"


def test_abort_drops_buffered_data(reactor: Reactor, pair: Any) -> None:
    """abortConnection closes now with ConnectionAborted; buffered bytes are lost."""
    a, b = pair
    transport, proto = connect(reactor, a)
    written = fillKernel(transport, reactor)
    transport.write(b"never sent")
    transport.abortConnection()
    assert transport.getBufferSize() == 0
    runUntil(reactor, lambda: bool(proto.lost))
    assert proto.lost[0].check(ConnectionAborted)
    assert len(readAll(b)) < written + 10


def test_peer_eof_closes_a_plain_protocol_cleanly(reactor: Reactor, pair: Any) -> None:
    """A peer's FIN ends a protocol without half-close support with ConnectionDone."""
    a, b = pair
    _, proto = connect(reactor, a)
    b.sendall(b"last words")
    b.shutdown(socket.SHUT_WR)
    runUntil(reactor, lambda: bool(proto.lost))
    assert bytes(proto.data) == b"last words"
    assert proto.lost[0].check(ConnectionDone)


def test_peer_eof_half_closes_a_half_closeable_protocol(
    reactor: Reactor, pair: Any
) -> None:
    """A FIN makes a half-closeable protocol hear readConnectionLost; writes go on."""
    a, b = pair
    transport, proto = connect(reactor, a, HalfCloser())
    b.shutdown(socket.SHUT_WR)
    runUntil(reactor, lambda: "readLost" in proto.events)
    assert transport.state is StreamState.HALF_CLOSED_READ
    transport.write(b"still here")
    transport.loseConnection()
    runUntil(reactor, lambda: bool(proto.lost))
    assert readAll(b) == b"still here"
    assert proto.lost[0].check(ConnectionDone)
    assert proto.events == ["made", "readLost", "lost"]


def test_lose_write_connection_sends_fin_and_keeps_reading(
    reactor: Reactor, pair: Any
) -> None:
    """loseWriteConnection flushes, sends FIN, tells the protocol and still reads."""
    a, b = pair
    transport, proto = connect(reactor, a, HalfCloser())
    transport.write(b"request")
    transport.loseWriteConnection()
    transport.write(b"ignored")
    assert readAll(b) == b"request"
    runUntil(reactor, lambda: "writeLost" in proto.events)
    b.sendall(b"response")
    b.shutdown(socket.SHUT_WR)
    runUntil(reactor, lambda: bool(proto.lost))
    assert bytes(proto.data) == b"response"
    assert proto.lost[0].check(ConnectionDone)
    assert proto.events == ["made", "writeLost", "readLost", "lost"]


def test_peer_fin_after_our_fin_is_told_and_may_close(
    reactor: Reactor, pair: Any
) -> None:
    """After our own FIN, the peer's FIN still reaches readConnectionLost,
    and a loseConnection() called there ends the connection cleanly."""

    class Answerer(HalfCloser):
        def readConnectionLost(self) -> None:
            super().readConnectionLost()
            self.transport.loseConnection()

    a, b = pair
    transport, proto = connect(reactor, a, Answerer())
    transport.loseWriteConnection()
    runUntil(reactor, lambda: "writeLost" in proto.events)
    b.shutdown(socket.SHUT_WR)
    runUntil(reactor, lambda: bool(proto.lost))
    assert proto.events == ["made", "writeLost", "readLost", "lost"]
    assert proto.lost[0].check(ConnectionDone)


def test_peer_fin_while_our_fin_is_flushing_is_told(
    reactor: Reactor, pair: Any
) -> None:
    """A FIN that arrives while our half-close still waits for the kernel is
    told to the protocol, and everything written still reaches the peer."""
    a, b = pair
    transport, proto = connect(reactor, a, HalfCloser())
    written = fillKernel(transport, reactor)
    transport.loseWriteConnection()
    assert transport.state is StreamState.HALF_CLOSING_WRITE
    b.shutdown(socket.SHUT_WR)
    runUntil(reactor, lambda: "readLost" in proto.events)
    received = bytearray()
    b.setblocking(False)

    def drain() -> bool:
        try:
            received.extend(b.recv(1 << 16))
        except BlockingIOError:
            pass
        return bool(proto.lost)

    runUntil(reactor, drain)
    assert len(readAll(b)) + len(received) == written
    assert proto.events[:2] == ["made", "readLost"]
    assert proto.events[-1] == "lost"
    assert proto.lost[0].check(ConnectionDone)


def test_peer_reset_is_connection_lost(reactor: Reactor, pair: Any) -> None:
    """A peer that vanishes with unread data makes the connection lost, not done."""
    a, b = pair
    transport, proto = connect(reactor, a)
    transport.write(b"unread")
    b.close()

    def keepWriting() -> bool:
        # Writing is what makes the kernel report the broken connection.
        transport.write(b"x")
        return bool(proto.lost)

    runUntil(reactor, keepWriting)
    assert len(proto.lost) == 1
    assert proto.lost[0].check(ConnectionLost)
    assert not proto.lost[0].check(ConnectionDone)


def test_protocol_error_drops_only_that_connection(reactor: Reactor, pair: Any) -> None:
    """An exception in dataReceived closes that connection with the error."""

    class Boom(Recorder):
        def dataReceived(self, data: bytes) -> None:
            raise ValueError("bad input")

    a, b = pair
    _, proto = connect(reactor, a, Boom())
    c, d = socket.socketpair()
    try:
        other, otherProto = connect(reactor, c)
        b.sendall(b"trigger")
        runUntil(reactor, lambda: bool(proto.lost))
        assert proto.lost[0].check(ValueError)
        d.sendall(b"fine")
        runUntil(reactor, lambda: bytes(otherProto.data) == b"fine")
        assert otherProto.lost == []
        other.abortConnection()
    finally:
        c.close()
        d.close()


def test_pause_and_resume_reading(reactor: Reactor, pair: Any) -> None:
    """pauseProducing stops delivery; resumeProducing delivers what waited."""
    a, b = pair
    transport, proto = connect(reactor, a)
    transport.pauseProducing()
    b.sendall(b"held")
    for _ in range(5):
        reactor.iterate(0.01)
    assert proto.data == b""
    transport.resumeProducing()
    runUntil(reactor, lambda: bytes(proto.data) == b"held")


def test_stop_producing_closes(reactor: Reactor, pair: Any) -> None:
    """stopProducing on the transport closes the connection cleanly."""
    a, _ = pair
    transport, proto = connect(reactor, a)
    transport.stopProducing()
    runUntil(reactor, lambda: bool(proto.lost))
    assert proto.lost[0].check(ConnectionDone)


@implementer(IPushProducer)
class PushProducer:
    """Writes a block each time it is resumed; records pause/resume."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def pauseProducing(self) -> None:
        self.calls.append("pause")

    def resumeProducing(self) -> None:
        self.calls.append("resume")

    def stopProducing(self) -> None:
        self.calls.append("stop")


def test_push_producer_paused_above_high_resumed_below_low(
    reactor: Reactor, pair: Any
) -> None:
    """A push producer is paused past the high mark and resumed after draining."""
    a, b = pair
    transport, _ = connect(reactor, a)
    producer = PushProducer()
    transport.registerProducer(producer, True)
    fillKernel(transport, reactor)
    assert producer.calls == []
    transport.write(b"y" * (transport._flow.high + 1))
    assert producer.calls == ["pause"]
    transport.write(b"more")
    assert producer.calls == ["pause"]
    b.setblocking(False)
    while producer.calls == ["pause"]:
        try:
            b.recv(1 << 20)
        except BlockingIOError:
            pass
        reactor.iterate(0.01)
    assert producer.calls == ["pause", "resume"]
    assert transport.getBufferSize() <= transport._flow.low
    transport.unregisterProducer()
    transport.abortConnection()


def test_water_marks_and_producers_are_per_transport(
    reactor: Reactor, pair: Any
) -> None:
    """Water marks set on one transport, and a producer registered on it,
    leave every other transport's flow control as it was."""
    a, _ = pair
    first, _ = connect(reactor, a)
    c, d = socket.socketpair()
    try:
        second, _ = connect(reactor, c)
        first.setWaterMarks(high=10, low=5)
        first.registerProducer(PushProducer(), True)
        assert second.registeredProducer is None
        producer = PushProducer()
        second.write(b"z" * 1000)
        second.registerProducer(producer, True)
        # Far below the default high mark: not paused, whatever first says.
        assert producer.calls == []
        assert first.registeredProducer is not None
        first.unregisterProducer()
        second.unregisterProducer()
        second.abortConnection()
    finally:
        c.close()
        d.close()
    first.abortConnection()


def test_lose_connection_waits_for_the_producer(reactor: Reactor, pair: Any) -> None:
    """With a producer registered, loseConnection waits until it is unregistered."""
    a, _ = pair
    transport, proto = connect(reactor, a)
    transport.registerProducer(PushProducer(), True)
    transport.loseConnection()
    for _ in range(5):
        reactor.iterate(0.01)
    assert proto.lost == []
    transport.unregisterProducer()
    runUntil(reactor, lambda: bool(proto.lost))
    assert proto.lost[0].check(ConnectionDone)


def test_close_stops_the_producer(reactor: Reactor, pair: Any) -> None:
    """A producer still registered when the connection ends hears stopProducing."""
    a, _ = pair
    transport, _ = connect(reactor, a)
    producer = PushProducer()
    transport.registerProducer(producer, True)
    transport.abortConnection()
    assert producer.calls == ["stop"]


def test_peer_eof_with_a_producer_registered_still_closes(
    reactor: Reactor, pair: Any
) -> None:
    """A peer's FIN ends a plain protocol even while a producer is registered."""
    a, b = pair
    transport, proto = connect(reactor, a)
    producer = PushProducer()
    transport.registerProducer(producer, True)
    b.shutdown(socket.SHUT_WR)
    runUntil(reactor, lambda: bool(proto.lost))
    assert proto.lost[0].check(ConnectionDone)
    assert producer.calls == ["stop"]


def test_second_producer_is_refused(reactor: Reactor, pair: Any) -> None:
    """Registering a producer while one is registered raises RuntimeError."""
    a, _ = pair
    transport, _ = connect(reactor, a)
    transport.registerProducer(PushProducer(), True)
    with pytest.raises(RuntimeError):
        transport.registerProducer(PushProducer(), True)
    transport.unregisterProducer()
    transport.abortConnection()


def test_pull_producer_is_asked_each_time_the_buffer_empties(
    reactor: Reactor, pair: Any
) -> None:
    """A pull producer writes one chunk per resumeProducing until it unregisters."""
    a, b = pair
    transport, proto = connect(reactor, a)

    @implementer(IPullProducer)
    class Counter:
        def __init__(self) -> None:
            self.left = 5

        def resumeProducing(self) -> None:
            self.left -= 1
            transport.write(b"%d" % self.left)
            if self.left == 0:
                transport.unregisterProducer()
                transport.loseConnection()

        def stopProducing(self) -> None:
            pass

    transport.registerProducer(Counter(), False)
    runUntil(reactor, lambda: bool(proto.lost))
    assert readAll(b) == b"43210"


def test_pull_producer_is_asked_at_once(reactor: Reactor, pair: Any) -> None:
    """registerProducer with a pull producer asks it for data before returning."""
    a, _ = pair
    transport, _ = connect(reactor, a)
    asked: list[str] = []

    @implementer(IPullProducer)
    class Once:
        def resumeProducing(self) -> None:
            asked.append("resume")
            transport.unregisterProducer()

        def stopProducing(self) -> None:
            pass

    transport.registerProducer(Once(), False)
    assert asked == ["resume"]


def test_closed_transport_stops_a_new_producer(reactor: Reactor, pair: Any) -> None:
    """Registering on a closed transport tells the producer to stop at once."""
    a, _ = pair
    transport, _ = connect(reactor, a)
    transport.abortConnection()
    producer = PushProducer()
    transport.registerProducer(producer, True)
    assert producer.calls == ["stop"]


def test_illegal_transition_raises(reactor: Reactor, pair: Any) -> None:
    """The state machine refuses to leave CLOSED."""
    a, _ = pair
    transport, _ = connect(reactor, a)
    transport.abortConnection()
    with pytest.raises(RuntimeError, match="CLOSED"):
        transport._move(StreamState.CONNECTED)


def test_many_bytes_survive_a_slow_reader(reactor: Reactor, pair: Any) -> None:
    """Eight MiB pushed through a reader that pauses arrive intact."""
    a, b = pair
    sender, senderProto = connect(reactor, a)
    b.setblocking(False)
    receiver, sink = connect(reactor, b)
    payload = hashlib.sha256(b"seed").digest() * (8 * 1024 * 1024 // 32)
    for i in range(0, len(payload), 65536):
        sender.write(payload[i : i + 65536])
    sender.loseConnection()
    ticks = 0

    def slowly() -> bool:
        nonlocal ticks
        ticks += 1
        if ticks % 3 == 0:
            receiver.pauseProducing()
        else:
            receiver.resumeProducing()
        return bool(sink.lost)

    runUntil(reactor, slowly)
    assert hashlib.sha256(sink.data).digest() == hashlib.sha256(payload).digest()
    assert senderProto.lost[0].check(ConnectionDone)


def test_os_errors_map_to_connection_lost() -> None:
    """Socket errors of a live connection become ConnectionLost with the cause."""
    err = OSError(errno.ECONNRESET, "Connection reset by peer")
    mapped = connectionErrorFor(err)
    assert isinstance(mapped, ConnectionLost)
    assert mapped.__cause__ is err
    assert "ECONNRESET" in str(mapped)
    odd = connectionErrorFor(OSError(errno.EBADF, "Bad file descriptor"))
    assert isinstance(odd, ConnectionLost) and "EBADF" in str(odd)


def test_handle_and_fileno(reactor: Reactor, pair: Any) -> None:
    """getHandle returns the socket; fileno is -1 once closed."""
    a, _ = pair
    transport, _ = connect(reactor, a)
    assert transport.getHandle() is a
    assert transport.fileno() == a.fileno()
    transport.abortConnection()
    assert transport.fileno() == -1


class TestStreamConformance(StreamTransportConformance):
    """The shared transport conformance checks, over an AF_UNIX socket pair."""

    def connectPair(self, server: Any, client: Any) -> ConnectedPair:
        reactor = Reactor(extensions=[])
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        a.setblocking(False)
        b.setblocking(False)
        PairTransport(a, server, reactor).startTransport()
        PairTransport(b, client, reactor).startTransport()

        def close() -> None:
            a.close()
            b.close()
            reactor.close()

        return ConnectedPair(turn=lambda: reactor.iterate(0.01), close=close)


def test_log_prefix_comes_from_the_protocol(reactor: Reactor, pair: Any) -> None:
    """The transport's logPrefix is its protocol's, or the class name without one."""
    a, b = pair

    class Named(Recorder):
        def logPrefix(self) -> str:
            return "named-protocol"

    named, _ = connect(reactor, a, Named())
    plain, _ = connect(reactor, b)
    assert named.logPrefix() == "named-protocol"
    assert plain.logPrefix() == "Recorder"
