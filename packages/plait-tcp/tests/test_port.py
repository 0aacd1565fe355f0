"""Listening ports: binding, accepting, stopping, resource exhaustion."""

from __future__ import annotations

import errno
import logging
import os
import socket
from typing import Any

import pytest

from plait.address import IPv4Address, IPv6Address
from plait.core import ClientFactory, Factory, Protocol
from plait.errors import CannotListenError, ConnectionLost
from plait.interfaces import IListeningPort, ISystemHandle
from plait.tcp import Port


class Counting(Factory):
    """A factory counting starts, stops and built protocols."""

    protocol = Protocol

    def __init__(self) -> None:
        self.starts = 0
        self.stops = 0
        self.built: list[Any] = []

    def startFactory(self) -> None:
        self.starts += 1

    def stopFactory(self) -> None:
        self.stops += 1

    def buildProtocol(self, addr: Any) -> Any:
        p = super().buildProtocol(addr)
        self.built.append((addr, p))
        return p


def test_port_zero_picks_a_free_port(reactor: Any) -> None:
    """Port 0 binds a free port, reported by getHost as an IPv4 TCP address."""
    port = reactor.listenTCP(0, Counting(), interface="127.0.0.1")
    host = port.getHost()
    assert IListeningPort.providedBy(port)
    assert isinstance(host, IPv4Address)
    assert host.type == "TCP" and host.host == "127.0.0.1" and host.port > 0
    port.stopListening()


def test_taken_port_raises_cannot_listen(reactor: Any) -> None:
    """Listening on a port another socket holds raises CannotListenError."""
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        taken = holder.getsockname()[1]
        with pytest.raises(CannotListenError) as info:
            reactor.listenTCP(taken, Counting(), interface="127.0.0.1")
        assert info.value.port == taken
        assert isinstance(info.value.socketError, OSError)
        assert info.value.socketError.errno == errno.EADDRINUSE
    finally:
        holder.close()


def test_bad_interface_raises_cannot_listen(reactor: Any) -> None:
    """An address that is not local cannot be listened on."""
    with pytest.raises(CannotListenError):
        reactor.listenTCP(0, Counting(), interface="192.0.2.1")


def test_factory_started_and_stopped_once(reactor: Any, drive: Any) -> None:
    """doStart runs when listening begins, doStop when stopListening completes."""
    factory = Counting()
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    assert (factory.starts, factory.stops) == (1, 0)
    d = port.stopListening()
    assert drive(reactor, d) is None
    assert (factory.starts, factory.stops) == (1, 1)
    assert port.fileno() == -1
    assert drive(reactor, port.stopListening()) is None
    assert factory.stops == 1


def test_stop_listening_frees_the_port(reactor: Any, drive: Any) -> None:
    """Once stopListening has fired, the same port can be bound again."""
    port = reactor.listenTCP(0, Counting(), interface="127.0.0.1")
    number = port.getHost().port
    drive(reactor, port.stopListening())
    again = reactor.listenTCP(number, Counting(), interface="127.0.0.1")
    assert again.getHost().port == number
    again.stopListening()


def test_accepts_a_burst_and_passes_peer_addresses(reactor: Any, until: Any) -> None:
    """Many queued connections are all accepted; buildProtocol gets the peer."""
    factory = Counting()
    port = reactor.listenTCP(0, factory, backlog=200, interface="127.0.0.1")
    clients = [
        socket.create_connection(("127.0.0.1", port.getHost().port)) for _ in range(150)
    ]
    try:
        until(reactor, lambda: len(factory.built) == 150)
        names = {c.getsockname() for c in clients}
        assert {(a.host, a.port) for a, _ in factory.built} == names
    finally:
        for c in clients:
            c.close()
        port.stopListening()


def test_refusing_factory_closes_the_connection(reactor: Any) -> None:
    """A buildProtocol returning None closes the accepted socket."""

    class Refuser(Factory):
        def buildProtocol(self, addr: Any) -> None:
            return None

    port = reactor.listenTCP(0, Refuser(), interface="127.0.0.1")
    client = socket.create_connection(("127.0.0.1", port.getHost().port))
    client.settimeout(0.01)
    try:
        received = None
        for _ in range(500):
            reactor.iterate(0.01)
            try:
                received = client.recv(10)
                break
            except TimeoutError:
                continue
        assert received == b""
    finally:
        client.close()
        port.stopListening()


class _Flaky:
    """A listening socket whose next accepts fail with EMFILE (once by default)."""

    def __init__(self, real: socket.socket, failures: int = 1) -> None:
        self.real = real
        self.failures = failures

    def accept(self) -> tuple[socket.socket, Any]:
        if self.failures:
            self.failures -= 1
            raise OSError(errno.EMFILE, "Too many open files")
        return self.real.accept()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_descriptor_exhaustion_pauses_then_recovers(reactor: Any, until: Any) -> None:
    """On EMFILE the port stops accepting for a moment, then accepts again."""
    factory = Counting()
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    assert isinstance(port, Port)
    real = port.socket
    assert real is not None
    port.socket = _Flaky(real)  # type: ignore[assignment]  # a socket stand-in
    client = socket.create_connection(("127.0.0.1", port.getHost().port))
    try:
        until(reactor, lambda: bool(factory.built))
        flaky: Any = port.socket
        assert flaky.failures == 0
    finally:
        client.close()
        port.socket = real
        port.stopListening()


def test_descriptor_exhaustion_is_logged_once(
    reactor: Any, until: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Several failed accepts in a row log one error, and recovery one line."""
    factory = Counting()
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    real = port.socket
    port.socket = _Flaky(real, failures=3)
    client = socket.create_connection(("127.0.0.1", port.getHost().port))
    try:
        with caplog.at_level(logging.INFO, logger="plait.tcp"):
            until(reactor, lambda: bool(factory.built))
        assert port.socket.failures == 0
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1 and "retrying" in errors[0].getMessage()
        assert "accepting connections again" in caplog.text
    finally:
        client.close()
        port.socket = real
        port.stopListening()


def test_ipv6_interface_listens_on_ipv6(reactor: Any, ipv6: str) -> None:
    """An IPv6 literal as interface gives an AF_INET6 port with an IPv6Address."""
    port = reactor.listenTCP(0, Counting(), interface=ipv6)
    try:
        host = port.getHost()
        assert isinstance(host, IPv6Address) and host.host == "::1"
        with socket.create_connection(("::1", host.port)):
            pass
    finally:
        port.stopListening()


def test_bytes_interface_is_accepted(reactor: Any) -> None:
    """An interface given as ASCII bytes listens like the same text."""
    port = reactor.listenTCP(0, Counting(), interface=b"127.0.0.1")
    try:
        assert port.getHost().host == "127.0.0.1"
    finally:
        port.stopListening()


def test_listening_port_gives_its_socket(reactor: Any) -> None:
    """getHandle() of a listening port is its bound socket; none once stopped."""
    port = reactor.listenTCP(0, Counting(), interface="127.0.0.1")
    assert ISystemHandle.providedBy(port)
    assert port.getHandle().getsockname()[1] == port.getHost().port
    port.stopListening()
    with pytest.raises(RuntimeError):
        port.getHandle()


def test_port_that_is_not_an_int_is_a_type_error(reactor: Any) -> None:
    """listenTCP with a port given as text raises TypeError before any socket."""
    before = len(os.listdir("/proc/self/fd"))
    with pytest.raises(TypeError, match="port must be an int"):
        reactor.listenTCP("0", Counting(), interface="127.0.0.1")
    assert len(os.listdir("/proc/self/fd")) == before


def test_reactor_shutdown_closes_ports_and_connections(reactor: Any) -> None:
    """Stopping the reactor stops its ports and ends live connections first."""
    factory = Counting()
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    lost: list[Any] = []

    class Client(Protocol):
        def connectionMade(self) -> None:
            reactor.callLater(0.01, stopOnceAccepted)

        def connectionLost(self, reason: Any) -> None:
            lost.append(reason)

    def stopOnceAccepted() -> None:
        if factory.built:
            reactor.stop()
        else:
            reactor.callLater(0.01, stopOnceAccepted)

    reactor.connectTCP(
        "127.0.0.1", port.getHost().port, ClientFactory.forProtocol(Client)
    )
    reactor.callLater(10, reactor.stop)  # a bound, should the connection fail
    reactor.run()
    assert factory.stops == 1
    assert port.state.name == "STOPPED"
    ((_, serverProtocol),) = factory.built
    assert not serverProtocol.transport.connected
    assert len(lost) == 1 and lost[0].check(ConnectionLost)
    assert reactor.getReaders() == [] and reactor.getWriters() == []


@pytest.mark.skipif(
    not hasattr(socket, "SO_REUSEPORT"), reason="this system has no SO_REUSEPORT"
)
def test_reuse_port_lets_two_ports_share_a_number(reactor: Any) -> None:
    """Two ports with reusePort=True listen on the same port number; without
    it the second one is refused."""
    first = Port(0, Counting(), interface="127.0.0.1", reactor=reactor, reusePort=True)
    first.startListening()
    number = first.getHost().port
    assert first.getHandle().getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
    second = Port(
        number, Counting(), interface="127.0.0.1", reactor=reactor, reusePort=True
    )
    second.startListening()
    assert second.getHost().port == number
    third = Port(number, Counting(), interface="127.0.0.1", reactor=reactor)
    with pytest.raises(CannotListenError):
        third.startListening()
    first.stopListening()
    second.stopListening()
