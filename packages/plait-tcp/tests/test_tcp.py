"""TCP transports over loopback: data, closing, half-close, flow control, scale."""

from __future__ import annotations

import hashlib
import resource
import socket
from typing import Any

import pytest
from zope.interface import implementer

from plait.address import IPv4Address, IPv6Address
from plait.core import ClientFactory, Factory, Protocol, Reactor, connectProtocol
from plait.core.testing import ConnectedPair, StreamTransportConformance
from plait.errors import ConnectionAborted, ConnectionDone, ConnectionLost
from plait.interfaces import (
    IHalfCloseableProtocol,
    IPushProducer,
    IReactorTCP,
    ITCPTransport,
)
from plait.tcp import TCP4ClientEndpoint, TCPExtension


class Recorder(Protocol):
    """Keeps what it receives and every reason it is given."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.lost: list[Any] = []

    def dataReceived(self, data: bytes) -> None:
        self.data += data

    def connectionLost(self, reason: Any) -> None:
        self.lost.append(reason)


@implementer(IHalfCloseableProtocol)
class HalfRecorder(Recorder):
    """A recorder that also hears half-closes."""

    def __init__(self) -> None:
        super().__init__()
        self.readClosed = False
        self.writeClosed = False

    def readConnectionLost(self) -> None:
        self.readClosed = True

    def writeConnectionLost(self) -> None:
        self.writeClosed = True


class Echo(Protocol):
    """Writes back what it receives."""

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)


def test_reactor_provides_tcp(reactor: Any) -> None:
    """With plait-tcp installed a reactor provides IReactorTCP."""
    assert IReactorTCP.providedBy(reactor)


def test_echo_round_trip(reactor: Any, pair: Any, until: Any) -> None:
    """Bytes written by a client come back from an echo server."""
    client = Recorder()
    pair(reactor, Echo(), client)
    assert ITCPTransport.providedBy(client.transport)
    client.transport.write(b"hello ")
    client.transport.writeSequence([b"wor", b"ld"])
    until(reactor, lambda: bytes(client.data) == b"hello world")


def test_addresses_of_both_ends(reactor: Any, pair: Any) -> None:
    """getHost and getPeer describe the two ends as IPv4 TCP addresses."""
    server, client = pair(reactor, Recorder(), Recorder())
    host, peer = client.transport.getHost(), client.transport.getPeer()
    assert isinstance(host, IPv4Address) and host.type == "TCP"
    assert peer == server.transport.getHost()
    assert host == server.transport.getPeer()
    assert peer.host == "127.0.0.1"


def test_nodelay_is_on_and_options_switch(reactor: Any, pair: Any) -> None:
    """TCP_NODELAY is set by default; both options can be switched."""
    server, client = pair(reactor, Recorder(), Recorder())
    for t in (server.transport, client.transport):
        assert t.getTcpNoDelay() is True
        t.setTcpNoDelay(False)
        assert t.getTcpNoDelay() is False
        assert t.getTcpKeepAlive() is False
        t.setTcpKeepAlive(True)
        assert t.getTcpKeepAlive() is True
        assert isinstance(t.getHandle(), socket.socket)


def test_connection_lost_exactly_once_on_both_sides(
    reactor: Any, pair: Any, until: Any
) -> None:
    """A clean close reaches each side once, as ConnectionDone."""
    server, client = pair(reactor, Recorder(), Recorder())
    client.transport.write(b"bye")
    client.transport.loseConnection()
    client.transport.loseConnection()
    until(reactor, lambda: server.lost and client.lost)
    for _ in range(5):
        reactor.iterate(0.01)
    assert len(server.lost) == 1 and len(client.lost) == 1
    assert server.lost[0].check(ConnectionDone)
    assert client.lost[0].check(ConnectionDone)
    assert bytes(server.data) == b"bye"


def test_write_after_lose_connection_is_ignored(
    reactor: Any, pair: Any, until: Any
) -> None:
    """Writes after loseConnection neither fail nor arrive."""
    server, client = pair(reactor, Recorder(), Recorder())
    client.transport.write(b"kept")
    client.transport.loseConnection()
    client.transport.write(b"dropped")
    until(reactor, lambda: bool(server.lost))
    assert bytes(server.data) == b"kept"


def test_abort_drops_buffered_data(reactor: Any, pair: Any, until: Any) -> None:
    """abortConnection discards what is buffered: the peer gets less than written."""
    server, client = pair(reactor, Recorder(), Recorder())
    server.transport.pauseProducing()
    block = b"z" * 65536
    written = 0
    while client.transport.getBufferSize() == 0:
        client.transport.write(block)
        written += len(block)
    client.transport.write(block * 4)
    written += len(block) * 4
    client.transport.abortConnection()
    server.transport.resumeProducing()
    until(reactor, lambda: server.lost and client.lost)
    assert client.lost[0].check(ConnectionAborted)
    assert len(server.data) < written


def test_abort_resets_the_peer(reactor: Any, pair: Any, until: Any) -> None:
    """After abortConnection the peer hears ConnectionLost, never a clean close."""
    server, client = pair(reactor, Recorder(), Recorder())
    server.transport.abortConnection()
    until(reactor, lambda: server.lost and client.lost)
    assert server.lost[0].check(ConnectionAborted)
    assert client.lost[0].check(ConnectionLost)
    assert not client.lost[0].check(ConnectionDone)


def test_client_half_close(reactor: Any, pair: Any, until: Any) -> None:
    """loseWriteConnection: the peer hears readConnectionLost and can still answer."""

    @implementer(IHalfCloseableProtocol)
    class Answerer(HalfRecorder):
        def readConnectionLost(self) -> None:
            super().readConnectionLost()
            self.transport.write(b"answer to " + bytes(self.data))
            self.transport.loseConnection()

    server, client = pair(reactor, Answerer(), HalfRecorder())
    client.transport.write(b"question")
    client.transport.loseWriteConnection()
    until(reactor, lambda: bool(client.lost))
    assert server.readClosed
    assert client.writeClosed
    assert bytes(client.data) == b"answer to question"
    assert client.lost[0].check(ConnectionDone)
    assert server.lost[0].check(ConnectionDone)


def test_server_half_close(reactor: Any, pair: Any, until: Any) -> None:
    """The server can half-close too; the client keeps sending afterwards."""
    server, client = pair(reactor, HalfRecorder(), HalfRecorder())
    server.transport.write(b"banner")
    server.transport.loseWriteConnection()
    until(reactor, lambda: client.readClosed)
    client.transport.write(b"late data")
    client.transport.loseConnection()
    until(reactor, lambda: server.lost and client.lost)
    assert bytes(client.data) == b"banner"
    assert bytes(server.data) == b"late data"
    assert server.lost[0].check(ConnectionDone)


def test_peer_eof_closes_plain_protocol(reactor: Any, pair: Any, until: Any) -> None:
    """A FIN to a protocol without half-close support ends it with ConnectionDone."""
    server, client = pair(reactor, Recorder(), HalfRecorder())
    client.transport.loseWriteConnection()
    until(reactor, lambda: bool(server.lost))
    assert server.lost[0].check(ConnectionDone)


def test_reset_is_connection_lost(reactor: Any, pair: Any, until: Any) -> None:
    """A reset by the peer is reported as ConnectionLost, not ConnectionDone."""
    server, client = pair(reactor, Recorder(), Recorder())
    sock = client.transport.getHandle()
    sock.setsockopt(
        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
    )
    client.transport.abortConnection()
    until(reactor, lambda: bool(server.lost))
    assert server.lost[0].check(ConnectionLost)
    assert not server.lost[0].check(ConnectionDone)


def test_data_received_error_closes_only_that_connection(
    reactor: Any, pair: Any, until: Any
) -> None:
    """An exception in dataReceived loses that connection; others go on."""

    class Broken(Recorder):
        def dataReceived(self, data: bytes) -> None:
            raise RuntimeError("protocol bug")

    server, client = pair(reactor, Broken(), Recorder())
    _, otherClient = pair(reactor, Echo(), Recorder())
    client.transport.write(b"boom")
    until(reactor, lambda: bool(server.lost))
    assert server.lost[0].check(RuntimeError)
    otherClient.transport.write(b"still fine")
    until(reactor, lambda: bytes(otherClient.data) == b"still fine")


@implementer(IPushProducer)
class Pump:
    """A push producer writing blocks of ``payload`` until told to stop."""

    def __init__(self, transport: Any, payload: bytes, block: int = 65536) -> None:
        self.transport = transport
        self.payload = payload
        self.offset = 0
        self.block = block
        self.paused = False
        self.pauses = 0
        self.resumes = 0

    def start(self) -> None:
        self.transport.registerProducer(self, True)
        self.resumeProducing()

    def pauseProducing(self) -> None:
        self.paused = True
        self.pauses += 1

    def resumeProducing(self) -> None:
        if self.offset:
            self.resumes += 1
        self.paused = False
        while not self.paused and self.offset < len(self.payload):
            end = self.offset + self.block
            self.transport.write(self.payload[self.offset : end])
            self.offset = end
        if self.offset >= len(self.payload) and not self.paused:
            self.transport.unregisterProducer()
            self.transport.loseConnection()
            self.paused = True

    def stopProducing(self) -> None:
        self.paused = True


def test_no_byte_lost_through_a_slow_reader(
    reactor: Any, pair: Any, until: Any
) -> None:
    """64 MiB pass intact to a reader that pauses and resumes with callLater."""

    class SlowReader(Recorder):
        def __init__(self) -> None:
            super().__init__()
            self.digest = hashlib.sha256()
            self.count = 0
            self.size = 0

        def dataReceived(self, data: bytes) -> None:
            self.digest.update(data)
            self.size += len(data)
            self.count += 1
            if self.count % 8 == 0:
                self.transport.pauseProducing()
                reactor.callLater(0.001, self.transport.resumeProducing)

    payload = hashlib.sha256(b"plait").digest() * (64 * 1024 * 1024 // 32)
    reader, sender = pair(reactor, SlowReader(), Recorder())
    pump = Pump(sender.transport, payload)
    pump.start()
    until(reactor, lambda: bool(reader.lost), timeout=120)
    assert reader.size == len(payload)
    assert reader.digest.digest() == hashlib.sha256(payload).digest()
    assert reader.lost[0].check(ConnectionDone)
    assert pump.pauses >= 1 and pump.resumes >= 1


def test_producer_paused_above_high_and_resumed_below_low(
    reactor: Any, pair: Any, until: Any
) -> None:
    """The producer is paused when the buffer passes 64 KiB and resumed once it
    drains to 16 KiB."""
    reader, sender = pair(reactor, Recorder(), Recorder())
    reader.transport.pauseProducing()
    transport = sender.transport
    seen: list[tuple[str, int]] = []

    @implementer(IPushProducer)
    class Watcher:
        def pauseProducing(self) -> None:
            seen.append(("pause", transport.getBufferSize()))

        def resumeProducing(self) -> None:
            seen.append(("resume", transport.getBufferSize()))

        def stopProducing(self) -> None:
            seen.append(("stop", 0))

    transport.registerProducer(Watcher(), True)
    while not seen:
        transport.write(b"q" * 8192)
    assert seen[0][0] == "pause" and seen[0][1] > 64 * 1024
    transport.write(b"q" * 8192)
    assert len(seen) == 1
    reader.transport.resumeProducing()
    until(reactor, lambda: len(seen) == 2)
    assert seen[1][0] == "resume" and seen[1][1] <= 16 * 1024
    transport.unregisterProducer()


def test_thousand_concurrent_connections(reactor: Any, until: Any) -> None:
    """One reactor serves 1,000 simultaneous connections, each echoing its id."""
    poller = getattr(reactor, "pollerName", None) or repr(reactor)
    if "select" in poller:
        pytest.skip("select() cannot watch descriptors above FD_SETSIZE (1024)")
    count = 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = 2 * count + 256
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"RLIMIT_NOFILE hard limit {hard} is below {needed}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    try:
        port = reactor.listenTCP(
            0, Factory.forProtocol(Echo), backlog=1024, interface="127.0.0.1"
        )
        done: list[bool] = []

        class Client(Recorder):
            def connectionMade(self) -> None:
                self.expected = b"%d" % id(self)
                self.transport.write(self.expected)

            def dataReceived(self, data: bytes) -> None:
                super().dataReceived(data)
                if bytes(self.data) == self.expected:
                    done.append(True)

        clients = [Client() for _ in range(count)]
        for c in clients:
            f = ClientFactory()
            f.buildProtocol = lambda addr, c=c: c  # type: ignore[method-assign, misc]
            reactor.connectTCP("127.0.0.1", port.getHost().port, f)
        until(reactor, lambda: len(done) == count, timeout=60)
        for c in clients:
            c.transport.loseConnection()
        until(reactor, lambda: all(c.lost for c in clients), timeout=60)
        assert all(c.lost[0].check(ConnectionDone) for c in clients)
        port.stopListening()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_ipv6_loopback(reactor: Any, pair: Any, until: Any, ipv6: str) -> None:
    """Listening and connecting on ::1 works and reports IPv6 addresses."""
    server, client = pair(reactor, Echo(), Recorder(), host=ipv6)
    client.transport.write(b"six")
    until(reactor, lambda: bytes(client.data) == b"six")
    peer = client.transport.getPeer()
    assert isinstance(peer, IPv6Address) and peer.host == "::1"
    assert isinstance(server.transport.getPeer(), IPv6Address)


class TestTCPConformance(StreamTransportConformance):
    """plait-core's transport conformance checks, over loopback TCP."""

    poller: str | None = None

    def connectPair(self, server: Any, client: Any) -> ConnectedPair:
        reactor = Reactor(poller=self.poller, extensions=[TCPExtension])
        port = reactor.listenTCP(
            0, Factory.forProtocol(lambda: server), interface="127.0.0.1"
        )
        connectProtocol(
            TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port), client
        )

        def close() -> None:
            port.stopListening()
            reactor.close()

        return ConnectedPair(turn=lambda: reactor.iterate(0.01), close=close)


class TestTCPConformanceWithSelect(TestTCPConformance):
    """The same checks with the select() poller."""

    poller = "select"
