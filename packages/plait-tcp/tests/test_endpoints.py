"""Endpoints: TCP4/TCP6 servers and clients, happy eyeballs, TLS wrapping."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from plait.core import Factory, Protocol
from plait.errors import (
    CannotListenError,
    ConnectingCancelledError,
    ConnectionRefusedError,
    DNSLookupError,
    PeerVerifyError,
)
from plait.interfaces import IStreamClientEndpoint, IStreamServerEndpoint
from plait.tcp import (
    HostnameEndpoint,
    TCP4ClientEndpoint,
    TCP4ServerEndpoint,
    TCP6ClientEndpoint,
    TCP6ServerEndpoint,
    TLSClientEndpoint,
    TLSServerEndpoint,
    optionsForClientTLS,
    optionsForServerTLS,
)
from plait.tcp._hostname import interleave


class Echo(Protocol):
    """Writes back what it receives."""

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)


class Recorder(Protocol):
    """Keeps what it receives."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.lost: list[Any] = []

    def dataReceived(self, data: bytes) -> None:
        self.data += data

    def connectionLost(self, reason: Any) -> None:
        self.lost.append(reason)


class Counting(Factory):
    """Builds Recorders and counts them."""

    protocol = Recorder

    def __init__(self) -> None:
        self.built = 0

    def buildProtocol(self, addr: Any) -> Any:
        self.built += 1
        return super().buildProtocol(addr)


@pytest.fixture
def refusedPort() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


def test_tcp4_endpoints_round_trip(reactor: Any, drive: Any, until: Any) -> None:
    """A TCP4 server endpoint and a TCP4 client endpoint talk to each other."""
    server = TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1")
    assert IStreamServerEndpoint.providedBy(server)
    port = drive(reactor, server.listen(Factory.forProtocol(Echo)))
    client = TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
    assert IStreamClientEndpoint.providedBy(client)
    protocol = drive(reactor, client.connect(Factory.forProtocol(Recorder)))
    assert isinstance(protocol, Recorder) and protocol.transport is not None
    protocol.transport.write(b"endpoint")
    until(reactor, lambda: bytes(protocol.data) == b"endpoint")
    protocol.transport.loseConnection()
    drive(reactor, port.stopListening())


def test_connect_fires_even_if_the_protocol_closes_in_connection_made(
    reactor: Any, drive: Any
) -> None:
    """connect() gives the protocol once connectionMade has run, even when it
    wrote and closed the connection right there."""
    port = drive(
        reactor,
        TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(
            Factory.forProtocol(Echo)
        ),
    )

    class SayAndGo(Recorder):
        def connectionMade(self) -> None:
            self.transport.write(b"bye")
            self.transport.loseConnection()

    client = TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
    protocol = drive(reactor, client.connect(Factory.forProtocol(SayAndGo)))
    assert isinstance(protocol, SayAndGo)
    drive(reactor, port.stopListening())


def test_listen_failure_is_a_failed_deferred(reactor: Any, drive: Any) -> None:
    """listen() on a taken port gives a Deferred failing with CannotListenError."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    try:
        endpoint = TCP4ServerEndpoint(
            reactor, holder.getsockname()[1], interface="127.0.0.1"
        )
        with pytest.raises(CannotListenError):
            drive(reactor, endpoint.listen(Factory.forProtocol(Echo)))
    finally:
        holder.close()


def test_connect_failure_is_a_failed_deferred(
    reactor: Any, drive: Any, refusedPort: int
) -> None:
    """connect() to a closed port fails with ConnectionRefusedError."""
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", refusedPort)
    with pytest.raises(ConnectionRefusedError):
        drive(reactor, endpoint.connect(Factory.forProtocol(Recorder)))


def test_cancel_connect(reactor: Any, drive: Any, hangingAddress: Any) -> None:
    """Cancelling a pending connect fails it with ConnectingCancelledError."""
    factory = Counting()
    d = TCP4ClientEndpoint(reactor, *hangingAddress).connect(factory)
    reactor.iterate(0)
    d.cancel()
    with pytest.raises(ConnectingCancelledError):
        drive(reactor, d)
    assert factory.built == 0


def test_tcp6_endpoints(reactor: Any, drive: Any, until: Any, ipv6: str) -> None:
    """TCP6 endpoints listen and connect over ::1."""
    port = drive(
        reactor,
        TCP6ServerEndpoint(reactor, 0, interface=ipv6).listen(
            Factory.forProtocol(Echo)
        ),
    )
    protocol = drive(
        reactor,
        TCP6ClientEndpoint(reactor, ipv6, port.getHost().port).connect(
            Factory.forProtocol(Recorder)
        ),
    )
    protocol.transport.write(b"v6")
    until(reactor, lambda: bytes(protocol.data) == b"v6")
    assert protocol.transport.getPeer().host == "::1"
    protocol.transport.loseConnection()
    drive(reactor, port.stopListening())


def test_interleave_alternates_families() -> None:
    """Addresses alternate by family, starting with the first one's family."""
    v4, v6 = socket.AF_INET, socket.AF_INET6
    got = interleave([(v6, "a"), (v6, "b"), (v6, "c"), (v4, "1"), (v4, "2")])
    assert got == [(v6, "a"), (v4, "1"), (v6, "b"), (v4, "2"), (v6, "c")]
    assert interleave([]) == []


def test_hostname_endpoint_falls_back_after_a_failure(
    reactor: Any, drive: Any, refusedPort: int
) -> None:
    """When the first address refuses, the next one is tried at once and wins."""
    port = drive(
        reactor,
        TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(
            Factory.forProtocol(Echo)
        ),
    )
    live = port.getHost().port

    def lookup(host: str, p: int) -> list[tuple[int, str]]:
        assert host == "service.test"
        return [(socket.AF_INET, "127.0.0.2"), (socket.AF_INET, "127.0.0.1")]

    # 127.0.0.2 has no listener on ``live``: refused, then 127.0.0.1 wins.
    endpoint = HostnameEndpoint(
        reactor, "service.test", live, lookup=lookup, attemptDelay=30
    )
    factory = Counting()
    protocol = drive(reactor, endpoint.connect(factory))
    assert protocol.transport.getPeer().host == "127.0.0.1"
    assert factory.built == 1
    protocol.transport.loseConnection()
    drive(reactor, port.stopListening())


def test_hostname_endpoint_races_a_slow_address(
    reactor: Any, drive: Any, hangingAddress: Any
) -> None:
    """A first address that hangs is raced after attemptDelay; one protocol is built."""
    hangHost, hangPort = hangingAddress
    # Both addresses share one port number, as a real name's addresses do.
    port = drive(
        reactor,
        TCP4ServerEndpoint(reactor, hangPort, interface="127.0.0.3").listen(
            Factory.forProtocol(Echo)
        ),
    )

    def lookup(host: str, p: int) -> list[tuple[int, str]]:
        return [(socket.AF_INET, hangHost), (socket.AF_INET, "127.0.0.3")]

    endpoint = HostnameEndpoint(
        reactor, "racing.test", hangPort, lookup=lookup, attemptDelay=0.05
    )
    factory = Counting()
    protocol = drive(reactor, endpoint.connect(factory))
    assert protocol.transport.getPeer().host == "127.0.0.3"
    assert factory.built == 1
    protocol.transport.loseConnection()
    drive(reactor, port.stopListening())


def test_hostname_endpoint_unknown_name(reactor: Any, drive: Any) -> None:
    """A name the lookup cannot resolve fails with DNSLookupError."""

    def lookup(host: str, port: int) -> list[tuple[int, str]]:
        raise DNSLookupError(string=f"{host} is not known")

    endpoint = HostnameEndpoint(reactor, "nowhere.invalid", 80, lookup=lookup)
    with pytest.raises(DNSLookupError):
        drive(reactor, endpoint.connect(Factory.forProtocol(Recorder)))


def test_hostname_endpoint_all_fail(reactor: Any, drive: Any, refusedPort: int) -> None:
    """When every address fails, the Deferred fails with the last error."""

    def lookup(host: str, port: int) -> list[tuple[int, str]]:
        return [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET, "127.0.0.2")]

    endpoint = HostnameEndpoint(reactor, "down.test", refusedPort, lookup=lookup)
    with pytest.raises(ConnectionRefusedError):
        drive(reactor, endpoint.connect(Factory.forProtocol(Recorder)))


def test_hostname_endpoint_cancel(
    reactor: Any, drive: Any, hangingAddress: Any
) -> None:
    """Cancelling a hostname connect abandons every attempt."""

    def lookup(host: str, port: int) -> list[tuple[int, str]]:
        return [(socket.AF_INET, hangingAddress[0])]

    factory = Counting()
    endpoint = HostnameEndpoint(reactor, "slow.test", hangingAddress[1], lookup=lookup)
    d = endpoint.connect(factory)
    for _ in range(20):
        reactor.iterate(0.01)
    d.cancel()
    with pytest.raises(ConnectingCancelledError):
        drive(reactor, d)
    assert factory.built == 0


def test_tls_endpoints(reactor: Any, drive: Any, until: Any, certs: Any) -> None:
    """TLS endpoints wrap TCP ones; connect fires after a verified handshake."""
    pytest.importorskip("OpenSSL")
    server = TLSServerEndpoint(
        TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1"),
        optionsForServerTLS(
            certs.serverChain, certs.serverKey, acceptableProtocols=[b"e/1"]
        ),
    )
    port = drive(reactor, server.listen(Factory.forProtocol(Echo)))
    tcp = TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
    options = optionsForClientTLS(
        "localhost", trustRoot=certs.ca, acceptableProtocols=[b"e/1"]
    )
    protocol = drive(
        reactor, TLSClientEndpoint(tcp, options).connect(Factory.forProtocol(Recorder))
    )
    assert protocol.transport.negotiatedProtocol == b"e/1"
    assert protocol.transport.tlsVersion is not None
    protocol.transport.write(b"secret")
    until(reactor, lambda: bytes(protocol.data) == b"secret")
    protocol.transport.loseConnection()

    wrong = optionsForClientTLS("elsewhere.test", trustRoot=certs.ca)
    with pytest.raises(PeerVerifyError, match="hostname mismatch"):
        drive(
            reactor,
            TLSClientEndpoint(tcp, wrong).connect(Factory.forProtocol(Recorder)),
        )
    drive(reactor, port.stopListening())


def test_tls_endpoints_connect_protocols_only_after_the_handshake(
    reactor: Any, drive: Any, until: Any, certs: Any
) -> None:
    """Through TLS endpoints, a peer that fails verification never reaches the
    application protocols on either side."""
    pytest.importorskip("OpenSSL")
    serverProtocols: list[Recorder] = []

    class Watched(Factory):
        def buildProtocol(self, addr: Any) -> Any:
            p = Recorder()
            serverProtocols.append(p)
            return p

    server = TLSServerEndpoint(
        TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1"),
        optionsForServerTLS(certs.serverChain, certs.serverKey),
    )
    port = drive(reactor, server.listen(Watched()))
    client = Recorder()
    tcp = TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
    wrong = optionsForClientTLS("elsewhere.test", trustRoot=certs.ca)
    from plait.core import connectProtocol

    with pytest.raises(PeerVerifyError):
        drive(reactor, connectProtocol(TLSClientEndpoint(tcp, wrong), client))
    until(reactor, lambda: bool(serverProtocols))
    for _ in range(10):
        reactor.iterate(0.01)
    assert client.transport is None and client.lost == []
    assert all(p.transport is None and p.lost == [] for p in serverProtocols)
    drive(reactor, port.stopListening())


def test_cancel_on_a_memory_reactor() -> None:
    """Cancelling a connect() made on the memory reactor fails the Deferred
    with ConnectingCancelledError and stops the recorded connector."""
    from plait.core.testing import MemoryReactor
    from plait.errors import ConnectingCancelledError

    reactor = MemoryReactor()
    d = TCP4ClientEndpoint(reactor, "127.0.0.1", 80).connect(
        Factory.forProtocol(Recorder)
    )
    failures: list[Any] = []
    d.addErrback(failures.append)
    d.cancel()
    assert failures[0].check(ConnectingCancelledError)
    assert reactor.connectors[0].stoppedConnecting


def test_client_endpoint_reports_bad_arguments_through_its_deferred(
    reactor: Any,
) -> None:
    """A port out of range fails connect()'s Deferred rather than raising."""
    d = TCP4ClientEndpoint(reactor, "127.0.0.1", 0).connect(
        Factory.forProtocol(Protocol)
    )
    failures: list[Any] = []
    d.addErrback(failures.append)
    assert len(failures) == 1 and failures[0].check(ValueError)


def test_server_endpoint_reports_bad_arguments_through_its_deferred(
    reactor: Any,
) -> None:
    """A port that is not an int fails listen()'s Deferred rather than raising."""
    d = TCP4ServerEndpoint(reactor, "80").listen(Factory.forProtocol(Protocol))  # type: ignore[arg-type]
    failures: list[Any] = []
    d.addErrback(failures.append)
    assert len(failures) == 1 and failures[0].check(TypeError)


def test_hostname_endpoint_uses_an_installed_resolver(reactor: Any, drive: Any) -> None:
    """With a resolver installed on the reactor, the name is resolved through it."""
    from zope.interface import implementer

    from plait.core import succeed
    from plait.interfaces import IResolverSimple

    port = drive(
        reactor,
        TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(
            Factory.forProtocol(Echo)
        ),
    )
    asked: list[str] = []

    @implementer(IResolverSimple)
    class Fixed:
        def getHostByName(self, name: str, timeout: Any = (1, 3, 11, 45)) -> Any:
            asked.append(name)
            return succeed("127.0.0.1")

    reactor.installResolver(Fixed())
    endpoint = HostnameEndpoint(reactor, "only.in.my.resolver", port.getHost().port)
    protocol = drive(reactor, endpoint.connect(Counting()))
    assert asked == ["only.in.my.resolver"]
    assert protocol.transport.getPeer().host == "127.0.0.1"
    protocol.transport.loseConnection()
    drive(reactor, port.stopListening())
