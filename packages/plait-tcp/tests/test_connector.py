"""Connectors: outcomes of connecting, factory notifications, reconnecting."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from zope.interface import implementer

from plait.address import IPv4Address, IPv6Address
from plait.core import ClientFactory, Factory, Protocol, Reactor, fail, succeed
from plait.errors import (
    ConnectBindError,
    ConnectionDone,
    ConnectionRefusedError,
    DNSLookupError,
    NotConnectingError,
    ServiceNameUnknownError,
    TimeoutError,
    UserError,
)
from plait.interfaces import IConnector, IResolverSimple
from plait.tcp import TCPExtension


class Events(ClientFactory):
    """A client factory that records what the connector tells it."""

    protocol = Protocol

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.starts = 0
        self.stops = 0

    def startFactory(self) -> None:
        self.starts += 1

    def stopFactory(self) -> None:
        self.stops += 1

    def startedConnecting(self, connector: Any) -> None:
        self.events.append(("started", connector))

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        self.events.append(("failed", reason))

    def clientConnectionLost(self, connector: Any, reason: Any) -> None:
        self.events.append(("lost", reason))

    def kinds(self) -> list[str]:
        return [k for k, _ in self.events]


@pytest.fixture
def closedPort() -> int:
    """A loopback port nothing listens on."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


def test_refused_connection(reactor: Any, until: Any, closedPort: int) -> None:
    """Connecting where nothing listens fails with ConnectionRefusedError."""
    factory = Events()
    connector = reactor.connectTCP("127.0.0.1", closedPort, factory)
    assert IConnector.providedBy(connector)
    assert factory.kinds() == ["started"]
    until(reactor, lambda: len(factory.events) == 2)
    assert factory.kinds() == ["started", "failed"]
    assert factory.events[1][1].check(ConnectionRefusedError)
    assert (factory.starts, factory.stops) == (1, 1)


def test_failure_is_never_reported_inside_connect_tcp(reactor: Any) -> None:
    """Even an immediate failure reaches the factory after connectTCP returned."""
    factory = Events()
    reactor.connectTCP("127.0.0.1", 1, factory, bindAddress=("192.0.2.1", 0))
    assert factory.kinds() == ["started"]
    reactor.iterate(0)
    assert factory.kinds() == ["started", "failed"]
    assert factory.events[1][1].check(ConnectBindError)


def test_bind_failure(reactor: Any, until: Any) -> None:
    """A bindAddress already in use fails with ConnectBindError."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    try:
        factory = Events()
        reactor.connectTCP(
            "127.0.0.1",
            holder.getsockname()[1],
            factory,
            bindAddress=holder.getsockname(),
        )
        until(reactor, lambda: "failed" in factory.kinds())
        assert factory.events[-1][1].check(ConnectBindError)
    finally:
        holder.close()


def test_timeout_with_a_fake_clock(hangingAddress: tuple[str, int]) -> None:
    """A connection that never completes fails with TimeoutError after timeout."""
    now = [1000.0]
    r = Reactor(extensions=[TCPExtension], _clock=lambda: now[0])
    try:
        factory = Events()
        r.connectTCP(*hangingAddress, factory, timeout=5)
        r.iterate(0)
        now[0] += 4.9
        r.iterate(0)
        assert factory.kinds() == ["started"]
        now[0] += 0.2
        r.iterate(0)
        assert factory.kinds() == ["started", "failed"]
        reason = factory.events[1][1]
        assert reason.check(TimeoutError)
        assert "5" in str(reason.value)
    finally:
        r.close()


def test_unknown_host_with_a_failing_resolver(reactor: Any, until: Any) -> None:
    """A host name the resolver cannot resolve fails with DNSLookupError."""

    @implementer(IResolverSimple)
    class NoSuchHost:
        def getHostByName(self, name: str, timeout: Any = None) -> Any:
            return fail(DNSLookupError(string=f"{name} does not exist"))

    reactor.installResolver(NoSuchHost())
    factory = Events()
    reactor.connectTCP("no-such-host.invalid", 80, factory)
    until(reactor, lambda: "failed" in factory.kinds())
    assert factory.events[-1][1].check(DNSLookupError)
    assert "no-such-host.invalid" in str(factory.events[-1][1].value)


def test_host_names_go_through_the_resolver(reactor: Any, until: Any) -> None:
    """connectTCP with a name connects to the address the resolver gives."""

    @implementer(IResolverSimple)
    class Fixed:
        def getHostByName(self, name: str, timeout: Any = None) -> Any:
            return succeed("127.0.0.1")

    reactor.installResolver(Fixed())
    port = reactor.listenTCP(0, Factory.forProtocol(Protocol), interface="127.0.0.1")
    factory = Events()
    connector = reactor.connectTCP("service.test", port.getHost().port, factory)
    until(reactor, lambda: connector.transport is not None)
    assert connector.getDestination() == IPv4Address(
        "TCP", "service.test", port.getHost().port
    )
    connector.disconnect()
    until(reactor, lambda: "lost" in factory.kinds())
    port.stopListening()


def test_stop_connecting(hangingAddress: tuple[str, int], explicitReactor: Any) -> None:
    """stopConnecting abandons the attempt with UserError; again it raises."""
    factory = Events()
    connector = explicitReactor.connectTCP(*hangingAddress, factory)
    explicitReactor.iterate(0)
    connector.stopConnecting()
    assert factory.kinds() == ["started", "failed"]
    assert factory.events[1][1].check(UserError)
    with pytest.raises(NotConnectingError):
        connector.stopConnecting()
    assert (factory.starts, factory.stops) == (1, 1)


def test_connection_lost_reaches_the_factory_and_reconnect_works(
    reactor: Any, until: Any
) -> None:
    """After a loss, connect() on the same connector connects again."""
    port = reactor.listenTCP(0, Factory.forProtocol(Protocol), interface="127.0.0.1")

    class Again(Events):
        def clientConnectionLost(self, connector: Any, reason: Any) -> None:
            super().clientConnectionLost(connector, reason)
            if self.kinds().count("lost") < 2:
                connector.connect()

    factory = Again()
    connector = reactor.connectTCP("127.0.0.1", port.getHost().port, factory)
    for _ in range(2):
        until(reactor, lambda: connector.transport is not None)
        connector.disconnect()
        until(reactor, lambda: connector.transport is None)
    until(reactor, lambda: factory.kinds().count("lost") == 2)
    assert factory.kinds() == ["started", "lost", "started", "lost"]
    assert all(r.check(ConnectionDone) for k, r in factory.events if k == "lost")
    assert (factory.starts, factory.stops) == (1, 1)
    port.stopListening()


def test_connect_while_connected_raises(reactor: Any, until: Any) -> None:
    """connect() is refused while an attempt or a connection is in progress."""
    port = reactor.listenTCP(0, Factory.forProtocol(Protocol), interface="127.0.0.1")
    connector = reactor.connectTCP("127.0.0.1", port.getHost().port, Events())
    with pytest.raises(RuntimeError):
        connector.connect()
    until(reactor, lambda: connector.transport is not None)
    with pytest.raises(RuntimeError):
        connector.connect()
    connector.disconnect()
    port.stopListening()


def test_ipv6_literal_connects_over_ipv6(reactor: Any, until: Any, ipv6: str) -> None:
    """An IPv6 literal host uses AF_INET6; getDestination is an IPv6Address."""
    port = reactor.listenTCP(0, Factory.forProtocol(Protocol), interface=ipv6)
    connector = reactor.connectTCP(ipv6, port.getHost().port, Events())
    assert isinstance(connector.getDestination(), IPv6Address)
    until(reactor, lambda: connector.transport is not None)
    assert isinstance(connector.transport.getPeer(), IPv6Address)
    connector.disconnect()
    port.stopListening()


@pytest.mark.parametrize(
    ("port", "error"),
    [
        (0, ValueError),
        (65536, ValueError),
        (80.0, TypeError),
        ("no-such-service", ServiceNameUnknownError),
    ],
)
def test_bad_ports_are_refused_at_the_call(reactor: Any, port: Any, error: Any) -> None:
    """connectTCP refuses a port outside 1-65535, a non-int, an unknown service."""
    with pytest.raises(error):
        reactor.connectTCP("127.0.0.1", port, ClientFactory())


def test_a_service_name_is_a_port(reactor: Any) -> None:
    """connectTCP takes a service name such as "http" for its port number."""
    try:
        expected = socket.getservbyname("http", "tcp")
    except OSError as e:
        pytest.skip(f"this machine's services database has no http: {e}")
    connector = reactor.connectTCP("127.0.0.1", "http", ClientFactory())
    try:
        assert connector.getDestination().port == expected
    finally:
        connector.stopConnecting()


def test_scoped_ipv6_bind_address_gets_its_scope_id() -> None:
    """A bindAddress like fe80::1%lo is bound with lo's interface index."""
    from plait.tcp._connector import _bindable

    index = socket.if_nametoindex("lo")
    assert _bindable(socket.AF_INET6, ("fe80::1%lo", 0)) == ("fe80::1", 0, 0, index)
    assert _bindable(socket.AF_INET, ("127.0.0.1", 0)) == ("127.0.0.1", 0)
