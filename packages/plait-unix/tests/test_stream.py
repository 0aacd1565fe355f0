"""UNIX stream connections: echo, addresses, connect failures, checkPID,
peer credentials, the transport conformance check, a large transfer."""

from __future__ import annotations

import errno
import hashlib
import os
import resource
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from zope.interface import implementer

from plait.address import UNIXAddress
from plait.core import (
    ClientFactory,
    ConnectorState,
    Factory,
    Protocol,
    Reactor,
    connectProtocol,
)
from plait.core.testing import ConnectedPair, StreamTransportConformance
from plait.errors import BadFileError, ConnectError, ConnectionRefusedError
from plait.interfaces import IConnector, IPushProducer
from plait.unix import IUNIXTransport, UNIXClientEndpoint, UNIXExtension


class Events(ClientFactory):
    """Records what the connector tells the factory."""

    protocol = Protocol

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def startedConnecting(self, connector: Any) -> None:
        self.events.append(("started", None))

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        self.events.append(("failed", reason))

    def clientConnectionLost(self, connector: Any, reason: Any) -> None:
        self.events.append(("lost", reason))

    def kinds(self) -> list[str]:
        return [k for k, _ in self.events]


class Echo(Protocol):
    """Writes back what it reads."""

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)


class Collect(Protocol):
    """Keeps what it reads."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.made = False

    def connectionMade(self) -> None:
        self.made = True

    def dataReceived(self, data: bytes) -> None:
        self.data += data


def test_echo_round_trip_and_addresses(reactor: Any, spin: Any, sockdir: Path) -> None:
    """Bytes go both ways; both ends name their addresses as UNIXAddress."""
    path = str(sockdir / "s")
    servers: list[Protocol] = []

    class Remember(Echo):
        def connectionMade(self) -> None:
            servers.append(self)

    port = reactor.listenUNIX(path, Factory.forProtocol(Remember))
    client = Collect()
    factory = Events()
    factory.protocol = lambda: client  # type: ignore[assignment]
    connector = reactor.connectUNIX(path, factory)
    assert IConnector.providedBy(connector)
    assert connector.getDestination() == UNIXAddress(path)
    spin(reactor, lambda: client.made)
    assert IUNIXTransport.providedBy(client.transport)
    client.transport.write(b"hello over a UNIX socket")
    spin(reactor, lambda: bytes(client.data) == b"hello over a UNIX socket")
    assert client.transport.getPeer() == UNIXAddress(path)
    assert client.transport.getHost() == UNIXAddress(None)
    assert servers[0].transport.getHost() == UNIXAddress(path)
    assert servers[0].transport.getPeer() == UNIXAddress(None)
    connector.disconnect()
    spin(reactor, lambda: "lost" in factory.kinds())
    port.stopListening()


def test_peer_credentials(reactor: Any, spin: Any, sockdir: Path) -> None:
    """getPeerCredentials gives the peer's pid, uid and gid."""
    path = str(sockdir / "s")
    servers: list[Protocol] = []

    class Remember(Protocol):
        def connectionMade(self) -> None:
            servers.append(self)

    port = reactor.listenUNIX(path, Factory.forProtocol(Remember))
    client = Collect()
    connectProtocol(UNIXClientEndpoint(reactor, path), client)
    spin(reactor, lambda: client.made and servers)
    for transport in (client.transport, servers[0].transport):
        credentials = transport.getPeerCredentials()
        assert credentials == (os.getpid(), os.getuid(), os.getgid())
        assert credentials.pid == os.getpid()
    client.transport.loseConnection()
    port.stopListening()


def test_a_missing_path_fails_with_bad_file_error(
    reactor: Any, spin: Any, sockdir: Path
) -> None:
    """Connecting where no file is fails, after connectUNIX returned."""
    factory = Events()
    connector = reactor.connectUNIX(str(sockdir / "nothing"), factory)
    assert factory.kinds() == ["started"]
    spin(reactor, lambda: len(factory.events) == 2)
    assert factory.events[1][1].check(BadFileError)
    assert factory.events[1][1].value.osError == errno.ENOENT
    assert connector.state is ConnectorState.DISCONNECTED


def test_a_socket_nobody_listens_on_refuses(
    reactor: Any, spin: Any, sockdir: Path
) -> None:
    """A stale socket file refuses the connection: ConnectionRefusedError."""
    path = str(sockdir / "s")
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)
    stale.close()
    factory = Events()
    reactor.connectUNIX(path, factory)
    spin(reactor, lambda: len(factory.events) == 2)
    assert factory.events[1][1].check(ConnectionRefusedError)


def test_checkpid_without_a_lock_fails_before_connecting(
    reactor: Any, spin: Any, sockdir: Path
) -> None:
    """checkPID with no lock file fails through clientConnectionFailed; the
    listener never sees a connection."""
    path = str(sockdir / "s")
    accepted: list[Protocol] = []

    class Remember(Protocol):
        def connectionMade(self) -> None:
            accepted.append(self)

    port = reactor.listenUNIX(path, Factory.forProtocol(Remember))
    factory = Events()
    reactor.connectUNIX(path, factory, checkPID=True)
    assert factory.kinds() == ["started"]
    spin(reactor, lambda: len(factory.events) == 2)
    assert factory.events[1][1].check(BadFileError)
    assert "lock" in str(factory.events[1][1].value)
    for _ in range(5):
        reactor.iterate(0)
    assert accepted == []
    port.stopListening()


def test_checkpid_with_a_stale_lock_fails(
    reactor: Any, spin: Any, sockdir: Path, deadPid: int
) -> None:
    """checkPID with a lock naming a dead pid fails, naming that pid."""
    path = str(sockdir / "s")
    port = reactor.listenUNIX(path, Factory.forProtocol(Protocol))
    Path(path + ".lock").write_text(f"{deadPid}\n")
    factory = Events()
    reactor.connectUNIX(path, factory, checkPID=True)
    spin(reactor, lambda: len(factory.events) == 2)
    assert factory.events[1][1].check(BadFileError)
    assert str(deadPid) in str(factory.events[1][1].value)
    port.stopListening()


def test_checkpid_with_a_live_lock_connects(
    reactor: Any, spin: Any, sockdir: Path
) -> None:
    """checkPID against a listener that holds its lock connects."""
    path = str(sockdir / "s")
    port = reactor.listenUNIX(path, Factory.forProtocol(Echo), wantPID=True)
    client = Collect()
    factory = Events()
    factory.protocol = lambda: client  # type: ignore[assignment]
    connector = reactor.connectUNIX(path, factory, checkPID=True)
    spin(reactor, lambda: client.made)
    connector.disconnect()
    spin(reactor, lambda: "lost" in factory.kinds())
    port.stopListening()


def test_checkpid_with_an_abstract_name_is_a_value_error(reactor: Any) -> None:
    """checkPID needs a file beside the socket: an abstract name is refused."""
    with pytest.raises(ValueError, match="abstract"):
        reactor.connectUNIX("\0plait-test", Events(), checkPID=True)


def test_abstract_name_round_trip(reactor: Any, spin: Any) -> None:
    """A stream connection over an abstract name carries bytes."""
    name = f"\0plait-test-stream-{os.getpid()}"
    port = reactor.listenUNIX(name, Factory.forProtocol(Echo))
    client = Collect()
    connectProtocol(UNIXClientEndpoint(reactor, name), client)
    spin(reactor, lambda: client.made)
    client.transport.write(b"abstract")
    spin(reactor, lambda: bytes(client.data) == b"abstract")
    assert client.transport.getPeer() == UNIXAddress(name)
    client.transport.loseConnection()
    port.stopListening()


@contextmanager
def noDescriptorsLeft() -> Iterator[None]:
    """The process is at its descriptor limit until the block ends."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    opened = len(os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (opened + 32, hard))
    fillers: list[int] = []
    try:
        with pytest.raises(OSError) as full:  # fill up to the limit
            while True:
                fillers.append(os.open(os.devnull, os.O_RDONLY))
        assert full.value.errno == errno.EMFILE
        yield
    finally:
        for fd in fillers:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.parametrize("timeout", [2, None])
def test_socket_creation_failure_reaches_the_factory_once(
    sockdir: Path, timeout: float | None
) -> None:
    """Out of descriptors, connectUNIX returns; the factory hears EMFILE once
    on a later turn, no timeout follows, and connect() works again."""
    now = [1000.0]
    r = Reactor(extensions=[UNIXExtension], _clock=lambda: now[0])
    try:
        path = str(sockdir / "s")
        port = r.listenUNIX(path, Factory.forProtocol(Protocol))
        factory = Events()
        with noDescriptorsLeft():
            connector = r.connectUNIX(path, factory, timeout=timeout)
            assert factory.kinds() == ["started"]
            r.iterate(0)
        assert factory.kinds() == ["started", "failed"]
        assert factory.events[1][1].check(ConnectError)
        assert factory.events[1][1].value.osError == errno.EMFILE
        now[0] += 5
        r.iterate(0)
        assert factory.kinds() == ["started", "failed"]
        connector.connect()
        for _ in range(50):
            if connector.state is ConnectorState.CONNECTED:
                break
            r.iterate(0.01)
        assert connector.state is ConnectorState.CONNECTED
        connector.disconnect()
        port.stopListening()
        for _ in range(3):
            r.iterate(0)
    finally:
        r.close()


class TestUNIXConformance(StreamTransportConformance):
    """plait-core's transport conformance checks, over UNIX stream sockets."""

    def connectPair(self, server: Any, client: Any) -> ConnectedPair:
        reactor = Reactor(extensions=[UNIXExtension])
        name = f"\0plait-conformance-{os.getpid()}-{id(self)}"
        port = reactor.listenUNIX(name, Factory.forProtocol(lambda: server))
        connectProtocol(UNIXClientEndpoint(reactor, name), client)

        def close() -> None:
            port.stopListening()
            reactor.close()

        return ConnectedPair(turn=lambda: reactor.iterate(0.01), close=close)


@implementer(IPushProducer)
class Streamer(Protocol):
    """Sends ``total`` pseudo-random bytes as a push producer, then closes."""

    def __init__(self, total: int) -> None:
        self.left = total
        self.paused = False
        self.digest = hashlib.sha256()
        self.pauses = 0
        self.block = os.urandom(64 * 1024)

    def connectionMade(self) -> None:
        self.transport.registerProducer(self, True)
        self.resumeProducing()

    def pauseProducing(self) -> None:
        self.paused = True
        self.pauses += 1

    def resumeProducing(self) -> None:
        self.paused = False
        while not self.paused and self.left > 0:
            chunk = self.block[: min(len(self.block), self.left)]
            self.digest.update(chunk)
            self.left -= len(chunk)
            self.transport.write(chunk)
        if self.left == 0 and not self.paused:
            self.left = -1
            self.transport.unregisterProducer()
            self.transport.loseConnection()

    def stopProducing(self) -> None:
        self.paused = True


class SlowReader(Protocol):
    """Hashes what it reads, pausing its transport after every read."""

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor
        self.digest = hashlib.sha256()
        self.size = 0
        self.done = False

    def dataReceived(self, data: bytes) -> None:
        self.digest.update(data)
        self.size += len(data)
        self.transport.pauseProducing()
        self.reactor.callLater(0, self.transport.resumeProducing)

    def connectionLost(self, reason: Any) -> None:
        self.done = True


def test_64_mib_through_a_slow_reader(reactor: Any, spin: Any, sockdir: Path) -> None:
    """64 MiB from a producer reach a reader that keeps pausing, intact."""
    total = 64 * 1024 * 1024
    path = str(sockdir / "s")
    streamers: list[Streamer] = []

    def build() -> Streamer:
        streamers.append(Streamer(total))
        return streamers[-1]

    port = reactor.listenUNIX(path, Factory.forProtocol(build))
    reader = SlowReader(reactor)
    connectProtocol(UNIXClientEndpoint(reactor, path), reader)
    spin(reactor, lambda: reader.done)
    assert reader.size == total
    assert reader.digest.digest() == streamers[0].digest.digest()
    assert streamers[0].pauses > 0
    port.stopListening()


def test_a_full_listener_queue_is_knocked_on_until_timeout(sockdir: Path) -> None:
    """While a listener's queue is full the connector keeps trying; it
    connects once there is room, and times out when there never is."""
    now = [1000.0]
    r = Reactor(extensions=[UNIXExtension], _clock=lambda: now[0])
    path = str(sockdir / "busy")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(0)
    waiting: list[socket.socket] = []
    try:
        while True:
            s = socket.socket(socket.AF_UNIX)
            s.setblocking(False)
            if s.connect_ex(path) != 0:
                s.close()
                break
            waiting.append(s)
        patient, hopeless = Events(), Events()
        connector = r.connectUNIX(path, patient, timeout=30)
        r.connectUNIX(path, hopeless, timeout=1)
        for _ in range(5):
            now[0] += 0.02
            r.iterate(0)
        assert connector.state is ConnectorState.CONNECTING
        now[0] += 1
        r.iterate(0)
        assert hopeless.kinds() == ["started", "failed"]
        assert "1 seconds" in str(hopeless.events[1][1].value)
        listener.setblocking(False)
        accepted = [listener.accept()[0] for _ in waiting]
        for _ in range(20):
            if connector.state is ConnectorState.CONNECTED:
                break
            now[0] += 0.02
            r.iterate(0.01)
        assert connector.state is ConnectorState.CONNECTED
        assert patient.kinds() == ["started"]
        connector.disconnect()
        for _ in range(3):
            r.iterate(0)
        for s in accepted:
            s.close()
    finally:
        for s in waiting:
            s.close()
        listener.close()
        r.close()
