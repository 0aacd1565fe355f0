"""plait.core.testing: the memory reactor, string transports, loopback pairs
and the transport conformance check (run here against the loopback pair)."""

from __future__ import annotations

from typing import Any

import pytest
from zope.interface import implementer
from zope.interface.verify import verifyObject

import plait.core.testing as testing
from plait.address import IPv4Address, IPv6Address, UNIXAddress
from plait.core import (
    ClientFactory,
    Clock,
    Deferred,
    Factory,
    Failure,
    Protocol,
    Reactor,
)
from plait.core.testing import (
    ConnectedPair,
    LoopbackPair,
    MemoryReactor,
    MemoryReactorClock,
    ProductionState,
    RecordingProtocol,
    StreamTransportConformance,
    StringTransport,
    StringTransportWithDisconnection,
    TCPClient,
    loopbackPair,
)
from plait.errors import (
    ConnectionAborted,
    ConnectionDone,
    ConnectionLost,
    DNSLookupError,
    NotConnectingError,
    ReactorAlreadyRunning,
    ReactorNotRunning,
)
from plait.interfaces import (
    IConnector,
    IConsumer,
    IListeningPort,
    IPullProducer,
    IPushProducer,
    IReactorCore,
    IReactorFDSet,
    IReactorSSL,
    IReactorTCP,
    IReactorTime,
    IReactorUDP,
    IReactorUNIX,
    ITCPTransport,
    ITransport,
)


def test_exports_match_all() -> None:
    """Every name in plait.core.testing.__all__ exists, and Clock is core's."""
    for name in testing.__all__:
        assert hasattr(testing, name), name
    assert testing.Clock is Clock


# -- StringTransport ----------------------------------------------------------


def test_string_transport_provides_its_interfaces() -> None:
    """StringTransport verifies against the transport, consumer, producer interfaces."""
    transport = StringTransport()
    for iface in (ITransport, ITCPTransport, IConsumer, IPushProducer):
        assert verifyObject(iface, transport)


def test_string_transport_records_writes() -> None:
    """value() returns everything written, in order; clear() forgets it."""
    transport = StringTransport()
    transport.write(b"ab")
    transport.writeSequence([b"c", bytearray(b"d"), memoryview(b"e")])
    assert transport.value() == b"abcde"
    transport.clear()
    assert transport.value() == b""
    transport.write(b"f")
    assert transport.value() == b"f"


def test_string_transport_refuses_str() -> None:
    """Writing a str is a TypeError, as it is a bug in the protocol."""
    with pytest.raises(TypeError, match="bytes"):
        StringTransport().write("text")  # type: ignore[arg-type]  # the point of the test


def test_string_transport_records_closes_and_options() -> None:
    """Close calls and TCP options only set attributes."""
    transport = StringTransport()
    assert not transport.disconnecting
    transport.loseWriteConnection()
    transport.setTcpNoDelay(True)
    transport.setTcpKeepAlive(True)
    transport.abortConnection()
    assert transport.writeClosed and transport.aborted and transport.disconnecting
    assert transport.getTcpNoDelay() and transport.getTcpKeepAlive()
    transport.write(b"late")
    assert transport.value() == b"late"


def test_string_transport_addresses() -> None:
    """getHost/getPeer return the defaults, or the addresses given."""
    default = StringTransport()
    assert isinstance(default.getHost(), IPv4Address)
    assert default.getHost() != default.getPeer()
    host = IPv4Address("TCP", "127.0.0.1", 1)
    peer = IPv4Address("TCP", "127.0.0.1", 2)
    given = StringTransport(hostAddress=host, peerAddress=peer)
    assert (given.getHost(), given.getPeer()) == (host, peer)


def test_string_transport_producer_registration() -> None:
    """One producer at a time; unregistering with none is an error."""
    transport = StringTransport()
    producer = object()
    transport.registerProducer(producer, True)
    assert (transport.producer, transport.streaming) == (producer, True)
    with pytest.raises(RuntimeError):
        transport.registerProducer(object(), False)
    transport.unregisterProducer()
    assert transport.producer is None and transport.streaming is None
    with pytest.raises(RuntimeError, match="no producer"):
        transport.unregisterProducer()


def test_string_transport_production_state() -> None:
    """pause/resume/stop move producerState; a stopped transport stays stopped."""
    transport = StringTransport()
    assert transport.producerState == "producing"
    transport.pauseProducing()
    assert transport.producerState is ProductionState.PAUSED
    transport.resumeProducing()
    transport.stopProducing()
    assert transport.producerState == "stopped"
    with pytest.raises(RuntimeError, match="stopped"):
        transport.resumeProducing()


def test_string_transport_with_disconnection_reports_once() -> None:
    """loseConnection tells the protocol ConnectionDone, once."""
    protocol = RecordingProtocol()
    transport = StringTransportWithDisconnection()
    transport.protocol = protocol
    protocol.makeConnection(transport)
    transport.loseConnection()
    transport.loseConnection()
    transport.abortConnection()
    assert len(protocol.lost) == 1
    assert protocol.lost[0].check(ConnectionDone)
    assert not transport.connected


def test_string_transport_with_disconnection_abort() -> None:
    """abortConnection reports ConnectionAborted and stops the producer."""

    class Stoppable:
        stopped = False

        def stopProducing(self) -> None:
            self.stopped = True

    protocol = RecordingProtocol()
    transport = StringTransportWithDisconnection()
    transport.protocol = protocol
    producer = Stoppable()
    transport.registerProducer(producer, True)
    transport.abortConnection()
    assert protocol.lost[0].check(ConnectionAborted)
    assert producer.stopped and transport.producer is None


def test_string_transport_with_disconnection_waits_for_the_producer() -> None:
    """loseConnection with a producer registered reports ConnectionDone only
    once the producer unregisters."""
    protocol = RecordingProtocol()
    transport = StringTransportWithDisconnection()
    transport.protocol = protocol
    protocol.makeConnection(transport)
    transport.registerProducer(object(), True)
    transport.loseConnection()
    assert protocol.lost == [] and transport.connected
    transport.unregisterProducer()
    assert len(protocol.lost) == 1 and protocol.lost[0].check(ConnectionDone)
    assert not transport.connected


# -- MemoryReactor ----------------------------------------------------------------


def test_memory_reactor_provides_its_interfaces() -> None:
    """MemoryReactorClock verifies against the reactor interfaces it claims."""
    reactor = MemoryReactorClock()
    for iface in (
        IReactorCore,
        IReactorTCP,
        IReactorSSL,
        IReactorUNIX,
        IReactorUDP,
        IReactorFDSet,
        IReactorTime,
    ):
        assert verifyObject(iface, reactor)


def test_memory_reactor_records_tcp_calls() -> None:
    """listenTCP/connectTCP are recorded and answered with a port/connector."""
    reactor = MemoryReactor()
    factory = ClientFactory()
    port = reactor.listenTCP(8080, factory, interface="127.0.0.1")
    connector = reactor.connectTCP("::1", 443, factory, timeout=5)
    assert verifyObject(IListeningPort, port)
    assert verifyObject(IConnector, connector)
    assert port.getHost() == IPv4Address("TCP", "127.0.0.1", 8080)
    assert connector.getDestination() == IPv6Address("TCP", "::1", 443)
    assert reactor.tcpServers[0].factory is factory
    assert reactor.tcpClients == [TCPClient("::1", 443, factory, 5, None)]
    host, portNumber, got, timeout, bindAddress = reactor.tcpClients[0]
    assert (host, portNumber, got, timeout, bindAddress) == (
        "::1",
        443,
        factory,
        5,
        None,
    )
    assert reactor.connectors == [connector] and reactor.ports == [port]


def test_memory_reactor_records_ssl_unix_and_udp_calls() -> None:
    """SSL, UNIX and UDP calls land in their own lists with their arguments."""
    reactor = MemoryReactor()
    factory = Factory()
    context = object()
    reactor.listenSSL(443, factory, context)
    reactor.connectSSL("example.com", 443, factory, context)
    unix = reactor.listenUNIX("/tmp/s", factory, mode=0o600)
    reactor.connectUNIX("/tmp/s", factory)
    udp = reactor.listenUDP(53, Protocol())
    assert reactor.sslServers[0].contextFactory is context
    assert reactor.sslClients[0].host == "example.com"
    assert reactor.unixServers[0].mode == 0o600
    assert reactor.unixClients[0].address == "/tmp/s"
    assert unix.getHost() == UNIXAddress("/tmp/s")
    assert udp.getHost() == IPv4Address("UDP", "0.0.0.0", 53)
    assert reactor.udpPorts[0].maxPacketSize == 8192


def test_memory_connector_tells_client_factory() -> None:
    """connectTCP and connect() call startedConnecting; other calls are recorded."""
    started: list[Any] = []

    class Watching(ClientFactory):
        def startedConnecting(self, connector: Any) -> None:
            started.append(connector)

    reactor = MemoryReactor()
    connector = reactor.connectTCP("127.0.0.1", 1, Watching())
    connector.connect()
    connector.stopConnecting()
    connector.disconnect()
    assert started == [connector, connector]
    assert connector.connectAttempts == 1
    assert connector.stoppedConnecting and connector.disconnected
    assert connector.reactor is reactor


def test_memory_port_stop_listening() -> None:
    """stopListening marks the port closed and returns a fired Deferred."""
    port = MemoryReactor().listenTCP(0, Factory())
    results: list[object] = []
    port.stopListening().addCallback(results.append)
    assert results == [None] and not port.listening


def test_memory_reactor_core_calls() -> None:
    """run/stop/crash set flags; callWhenRunning waits for run()."""
    reactor = MemoryReactor()
    ran: list[int] = []
    reactor.callWhenRunning(ran.append, 1)
    assert ran == []
    reactor.run()
    reactor.callWhenRunning(ran.append, 2)
    assert ran == [1, 2] and reactor.hasRun and reactor.running
    reactor.stop()
    reactor.crash()
    reactor.iterate()
    assert reactor.hasStopped and reactor.hasCrashed and not reactor.running
    assert reactor.iterations == 1


def test_memory_reactor_system_events() -> None:
    """Triggers fire phase by phase on fireSystemEvent and can be removed."""
    reactor = MemoryReactor()
    order: list[str] = []
    for phase in ("after", "during", "before"):
        reactor.addSystemEventTrigger(phase, "shutdown", order.append, phase)
    gone = reactor.addSystemEventTrigger("during", "shutdown", order.append, "gone")
    reactor.removeSystemEventTrigger(gone)
    reactor.fireSystemEvent("shutdown")
    assert order == ["before", "during", "after"]
    with pytest.raises(ValueError):
        reactor.removeSystemEventTrigger(gone)
    with pytest.raises(KeyError):
        reactor.addSystemEventTrigger("sometime", "shutdown", print)


def test_memory_reactor_call_when_running_returns_a_removable_id() -> None:
    """Before run(), callWhenRunning returns an id that removes the call."""
    reactor = MemoryReactor()
    ran: list[int] = []
    kept = reactor.callWhenRunning(ran.append, 1)
    dropped = reactor.callWhenRunning(ran.append, 2)
    assert kept is not None and dropped is not None
    reactor.removeSystemEventTrigger(dropped)
    reactor.run()
    assert ran == [1]
    assert reactor.callWhenRunning(ran.append, 3) is None
    assert ran == [1, 3]


def test_memory_reactor_run_and_stop_fire_startup_and_shutdown() -> None:
    """run() fires the startup triggers and stop() the shutdown ones."""
    reactor = MemoryReactor()
    order: list[str] = []
    reactor.addSystemEventTrigger("during", "startup", order.append, "startup")
    reactor.addSystemEventTrigger("before", "shutdown", order.append, "shutdown")
    reactor.run()
    assert order == ["startup"]
    reactor.stop()
    assert order == ["startup", "shutdown"] and not reactor.running


def test_memory_reactor_refuses_stop_when_not_running_and_double_run() -> None:
    """stop() on a reactor that is not running raises ReactorNotRunning;
    run() on a running one raises ReactorAlreadyRunning."""
    reactor = MemoryReactor()
    with pytest.raises(ReactorNotRunning):
        reactor.stop()
    reactor.run()
    with pytest.raises(ReactorAlreadyRunning):
        reactor.run()


def test_memory_reactor_waits_for_before_trigger_deferreds() -> None:
    """A Deferred from a "before" trigger holds the "during" phase back."""
    reactor = MemoryReactor()
    gate: Deferred[None] = Deferred()
    order: list[str] = []
    reactor.addSystemEventTrigger("before", "custom", lambda: gate)
    reactor.addSystemEventTrigger("during", "custom", order.append, "during")
    reactor.fireSystemEvent("custom")
    assert order == []
    gate.callback(None)
    assert order == ["during"]
    reactor.fireSystemEvent("custom")
    assert order == ["during"]


def test_memory_connector_stop_connecting_twice_raises() -> None:
    """A second stopConnecting() without connect() raises NotConnectingError."""
    connector = MemoryReactor().connectTCP("127.0.0.1", 1, ClientFactory())
    connector.stopConnecting()
    with pytest.raises(NotConnectingError):
        connector.stopConnecting()
    connector.connect()
    connector.stopConnecting()


def test_memory_reactor_resolve() -> None:
    """resolve answers an IP address with itself and fails a name."""
    reactor = MemoryReactor()
    got: list[object] = []
    reactor.resolve("10.1.2.3").addCallback(got.append)
    reactor.resolve("example.com").addErrback(got.append)
    assert got[0] == "10.1.2.3"
    assert isinstance(got[1], Failure) and got[1].check(DNSLookupError)


def test_memory_reactor_fd_set() -> None:
    """Readers and writers are kept in sets; removeAll empties both."""
    reactor = MemoryReactor()
    a, b = object(), object()
    reactor.addReader(a)
    reactor.addWriter(b)
    reactor.addWriter(a)
    reactor.removeWriter(a)
    assert reactor.getReaders() == [a] and reactor.getWriters() == [b]
    assert set(reactor.removeAll()) == {a, b}
    assert reactor.getReaders() == [] and reactor.getWriters() == []


def test_memory_reactor_clock_keeps_time() -> None:
    """MemoryReactorClock schedules and runs calls like Clock."""
    reactor = MemoryReactorClock()
    ran: list[int] = []
    reactor.callLater(2, ran.append, 1)
    reactor.advance(2)
    assert ran == [1] and reactor.seconds() == 2


# -- the loopback pair ------------------------------------------------------


class Echo(Protocol):
    """Writes back what it receives."""

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)


def test_loopback_delivers_only_on_pump() -> None:
    """Bytes wait in the writer's queue until pump() moves them."""
    server, client = Echo(), RecordingProtocol()
    pair = loopbackPair(server, client)
    assert isinstance(pair, LoopbackPair)
    assert server.transport is pair.server and client.transport is pair.client
    pair.client.write(b"ping")
    assert pair.client.queuedBytes() == 4 and client.received == b""
    assert pair.pump() is True
    assert client.received == b"ping"
    assert pair.pump() is False


def test_loopback_addresses_mirror_each_other() -> None:
    """Each end's peer address is the other end's host address."""
    pair = loopbackPair(Protocol(), Protocol())
    assert pair.client.getPeer() == pair.server.getHost()
    assert pair.server.getPeer() == pair.client.getHost()


def test_loopback_abort_drops_queued_bytes() -> None:
    """abortConnection drops what was not yet delivered."""
    server, client = RecordingProtocol(), RecordingProtocol()
    pair = loopbackPair(server, client)
    pair.client.write(b"never")
    pair.client.abortConnection()
    pair.pump()
    assert server.received == b""
    assert client.lost[0].check(ConnectionAborted)
    assert server.lost[0].check(ConnectionLost)


def test_loopback_push_producer_paused_above_high_water() -> None:
    """A push producer is paused when the queue passes highWater, resumed after."""

    @implementer(IPushProducer)
    class Counting:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def pauseProducing(self) -> None:
            self.calls.append("pause")

        def resumeProducing(self) -> None:
            self.calls.append("resume")

        def stopProducing(self) -> None:
            self.calls.append("stop")

    server, client = RecordingProtocol(), RecordingProtocol()
    pair = loopbackPair(server, client)
    producer = Counting()
    pair.client.highWater = 10
    pair.client.registerProducer(producer, True)
    pair.client.write(b"x" * 8)
    assert producer.calls == []
    pair.client.write(b"x" * 8)
    pair.client.write(b"x" * 8)
    assert producer.calls == ["pause"]
    pair.pump()
    assert producer.calls == ["pause", "resume"]
    assert len(server.received) == 24


def test_loopback_pull_producer_runs_until_done() -> None:
    """A pull producer is asked for a chunk whenever the queue is empty."""

    @implementer(IPullProducer)
    class Countdown:
        def __init__(self, transport: Any) -> None:
            self.transport = transport
            self.left = 3

        def resumeProducing(self) -> None:
            self.transport.write(b"%d" % self.left)
            self.left -= 1
            if not self.left:
                self.transport.unregisterProducer()

        def stopProducing(self) -> None:
            pass

    server, client = RecordingProtocol(), RecordingProtocol()
    pair = loopbackPair(server, client)
    pair.client.registerProducer(Countdown(pair.client), False)
    pair.pump()
    assert server.received == b"321"
    assert pair.client.producer is None


def test_loopback_register_on_closed_connection_stops_producer() -> None:
    """A producer registered after the close is stopped at once."""
    pair = loopbackPair(RecordingProtocol(), RecordingProtocol())
    pair.client.abortConnection()
    stopped: list[int] = []

    class Producer:
        def stopProducing(self) -> None:
            stopped.append(1)

    pair.client.registerProducer(Producer(), True)
    assert stopped == [1] and pair.client.producer is None


def test_loopback_pump_limit_catches_endless_chatter() -> None:
    """Two echo protocols bouncing forever make pump() raise, not hang."""
    pair = loopbackPair(Echo(), Echo())
    pair.client.write(b"loop")
    with pytest.raises(RuntimeError, match="still busy"):
        pair.pump(limit=50)


# -- the conformance check, against the loopback pair --------------------------


class TestLoopbackConformance(StreamTransportConformance):
    """The loopback pair passes every transport conformance check."""

    def connectPair(
        self, server: RecordingProtocol, client: RecordingProtocol
    ) -> ConnectedPair:
        pair = loopbackPair(server, client)
        return ConnectedPair(turn=pair.pump)


class BrokenConformance(StreamTransportConformance):
    """A transport whose client side hears connectionLost twice."""

    def connectPair(
        self, server: RecordingProtocol, client: RecordingProtocol
    ) -> ConnectedPair:
        pair = loopbackPair(server, client)
        original = client.connectionLost

        def twice(reason: Any) -> None:
            original(reason)
            original(reason)

        client.connectionLost = twice  # type: ignore[method-assign]  # the fault under test
        return ConnectedPair(turn=pair.pump)


def test_conformance_catches_a_double_connection_lost() -> None:
    """The exactly-once check fails for a transport reporting the end twice."""
    with pytest.raises(AssertionError, match="connectionLost calls"):
        BrokenConformance().test_connection_lost_exactly_once()


class NeverConnects(StreamTransportConformance):
    """A hook that never connects anything."""

    maxTurns = 5

    def connectPair(
        self, server: RecordingProtocol, client: RecordingProtocol
    ) -> ConnectedPair:
        closed: list[int] = []
        self.closed = closed
        return ConnectedPair(turn=lambda: None, close=lambda: closed.append(1))


def test_conformance_times_out_with_a_clear_message() -> None:
    """A pair that never connects fails naming what was awaited, and is closed."""
    check = NeverConnects()
    with pytest.raises(AssertionError, match="connectionMade on both sides"):
        check.test_writes_arrive_in_order()
    assert check.closed == [1]


def test_conformance_hook_is_required() -> None:
    """Using the mixin without connectPair says what is missing."""
    with pytest.raises(NotImplementedError, match="connectPair"):
        StreamTransportConformance().test_writes_arrive_in_order()


def test_records_are_tuples_of_the_call_arguments() -> None:
    """A recorded call indexes, unpacks and compares like the tuple of its
    arguments, and names each one too."""
    from plait.core import Factory
    from plait.core.testing import MemoryReactor

    reactor = MemoryReactor()
    factory = Factory()
    reactor.listenTCP(80, factory)
    reactor.connectTCP("example.test", 443, factory)
    assert reactor.tcpServers[0] == (80, factory, 50, "")
    assert reactor.tcpServers[0].backlog == 50
    assert reactor.tcpClients[0][2] is factory
    host, port, _, timeout, bindAddress = reactor.tcpClients[0]
    assert (host, port, timeout, bindAddress) == ("example.test", 443, 30, None)


def test_iterate_until_returns_once_the_condition_holds(reactor: Reactor) -> None:
    """iterateUntil runs the reactor until a timer made the condition true."""
    from plait.core.testing import iterateUntil

    done: list[int] = []
    reactor.callLater(0.01, done.append, 1)
    iterateUntil(reactor, lambda: done)
    assert done == [1]


def test_iterate_until_fails_after_its_bound(reactor: Reactor) -> None:
    """iterateUntil raises AssertionError when the condition never holds."""
    from plait.core.testing import iterateUntil

    with pytest.raises(AssertionError, match="did not become true"):
        iterateUntil(reactor, lambda: False, timeout=0.05)


def test_close_reactor_tells_leftovers_and_closes(reactor: Reactor) -> None:
    """closeReactor drops what a test left watched, telling it, then closes."""
    import socket

    from plait.core.testing import closeReactor
    from plait.errors import ConnectionDone

    a, b = socket.socketpair()
    lost: list[Failure] = []

    class Leftover:
        def fileno(self) -> int:
            return a.fileno()

        def doRead(self) -> None:
            pass

        def connectionLost(self, reason: Failure) -> None:
            lost.append(reason)

        def logPrefix(self) -> str:
            return "leftover"

    reactor.addReader(Leftover())
    closeReactor(reactor)
    a.close()
    b.close()
    assert len(lost) == 1 and lost[0].check(ConnectionDone)
    with pytest.raises(RuntimeError, match="closed"):
        reactor.iterate(0)
