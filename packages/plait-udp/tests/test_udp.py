"""UDP ports over loopback: sending, receiving, connecting, errors, life cycle."""

from __future__ import annotations

import errno
import logging
import socket
from typing import Any

import pytest
from zope.interface.verify import verifyObject

from plait.address import IPv4Address, IPv6Address
from plait.core import Reactor
from plait.errors import (
    CannotListenError,
    InvalidAddressError,
    MessageLengthError,
    NotListeningError,
)
from plait.interfaces import (
    IListeningPort,
    IReactorUDP,
    ISystemHandle,
    IUDPTransport,
)
from plait.udp import DatagramProtocol, Port, UDPExtension


class Recorder(DatagramProtocol):
    """Keeps every datagram with its sender, and what happened to it."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, Any]] = []
        self.events: list[str] = []

    def startProtocol(self) -> None:
        self.events.append("start")

    def stopProtocol(self) -> None:
        self.events.append("stop")

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.received.append((datagram, addr))

    def connectionRefused(self) -> None:
        self.events.append("refused")


class Echo(DatagramProtocol):
    """Sends every datagram back where it came from."""

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.transport.write(datagram, addr)


def listen(reactor: Any, protocol: Any, interface: str = "127.0.0.1") -> Any:
    return reactor.listenUDP(0, protocol, interface=interface)


def freePort(family: int = socket.AF_INET, host: str = "127.0.0.1") -> int:
    """A UDP port with nothing bound to it (bound once, then released)."""
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def test_reactor_provides_udp(reactor: Reactor) -> None:
    """With plait-udp installed a reactor provides IReactorUDP."""
    assert IReactorUDP.providedBy(reactor)
    assert UDPExtension.interfaces == (IReactorUDP,)


def test_port_provides_its_interfaces(reactor: Any) -> None:
    """listenUDP returns a port that is a listening port and a UDP transport."""
    port = listen(reactor, Recorder())
    for iface in (IListeningPort, IUDPTransport, ISystemHandle):
        assert verifyObject(iface, port)
    assert isinstance(port, Port)


def test_port_zero_picks_a_free_port(reactor: Any) -> None:
    """getHost names the real port, as an IPv4Address of type UDP."""
    port = listen(reactor, Recorder())
    host = port.getHost()
    assert isinstance(host, IPv4Address)
    assert (host.type, host.host) == ("UDP", "127.0.0.1")
    assert host.port == port.getHandle().getsockname()[1] != 0


def test_round_trip(reactor: Any, spin: Any) -> None:
    """A datagram reaches the echo port and comes back, with the sender's address."""
    server = listen(reactor, Echo())
    client = Recorder()
    port = listen(reactor, client)
    there = ("127.0.0.1", server.getHost().port)
    port.write(b"ping", there)
    port.write(bytearray(b"pong"), there)
    spin(reactor, lambda: len(client.received) == 2)
    assert client.received == [(b"ping", there), (b"pong", there)]


def test_ipv6_round_trip(reactor: Any, spin: Any, ipv6: str) -> None:
    """An IPv6 literal interface listens on IPv6; the protocol gets (host, port)."""
    server = listen(reactor, Echo(), interface=ipv6)
    client = Recorder()
    port = listen(reactor, client, interface=ipv6)
    assert isinstance(server.getHost(), IPv6Address)
    there = (ipv6, server.getHost().port)
    port.write(b"six", there)
    spin(reactor, lambda: client.received)
    assert client.received == [(b"six", there)]


def test_start_and_stop_protocol(reactor: Any, spin: Any) -> None:
    """startProtocol runs at listenUDP; stopListening frees the socket at once
    and its Deferred fires once stopProtocol has run, on the next turn."""
    protocol = Recorder()
    port = listen(reactor, protocol)
    number = port.getHost().port
    assert protocol.events == ["start"]
    assert protocol.transport is port and protocol.numPorts == 1
    fired: list[object] = []
    port.stopListening().addCallback(fired.append)
    assert port.fileno() == -1
    assert fired == [] and protocol.events == ["start"]
    again = reactor.listenUDP(number, Recorder(), interface="127.0.0.1")
    assert again.getHost().port == number  # the number was free at once
    spin(reactor, lambda: fired)
    assert fired == [None]
    assert protocol.events == ["start", "stop"]
    assert protocol.transport is None and protocol.numPorts == 0
    port.stopListening()  # a second stop is harmless
    assert protocol.events == ["start", "stop"]


def test_stop_listening_inside_start_protocol(reactor: Any, spin: Any) -> None:
    """A protocol that stops its port in startProtocol hears stopProtocol
    later, not from inside startProtocol, and can be used again."""

    class Quitter(Recorder):
        inside = False

        def startProtocol(self) -> None:
            super().startProtocol()
            self.inside = True
            self.transport.stopListening()
            self.inside = False

        def stopProtocol(self) -> None:
            self.events.append("stop inside" if self.inside else "stop")

    protocol = Quitter()
    listen(reactor, protocol)
    spin(reactor, lambda: len(protocol.events) == 2)
    assert protocol.events == ["start", "stop"]
    assert protocol.numPorts == 0 and protocol.transport is None
    listen(reactor, Recorder())  # the reactor is still fine


def test_a_protocol_that_fails_to_start_frees_the_port(reactor: Any) -> None:
    """When startProtocol raises, listenUDP raises it and the address is free."""

    class Broken(Recorder):
        def startProtocol(self) -> None:
            raise ValueError("cannot start")

    number = freePort()
    protocol = Broken()
    with pytest.raises(ValueError, match="cannot start"):
        reactor.listenUDP(number, protocol, interface="127.0.0.1")
    assert protocol.transport is None and protocol.numPorts == 0
    port = reactor.listenUDP(number, Recorder(), interface="127.0.0.1")
    assert port.getHost().port == number
    assert reactor.getReaders() == [port]


def test_one_protocol_on_two_ports_at_once_is_refused(reactor: Any) -> None:
    """A protocol attached to a port cannot be attached to another."""
    protocol = Recorder()
    listen(reactor, protocol)
    with pytest.raises(RuntimeError, match="one port at a time"):
        listen(reactor, protocol)


def test_connected_port_sends_without_an_address(reactor: Any, spin: Any) -> None:
    """After connect(), write() needs no address and goes to the peer."""
    server = Recorder()
    serverPort = listen(reactor, server)
    port = listen(reactor, Recorder())
    port.connect("127.0.0.1", serverPort.getHost().port)
    port.write(b"one")
    port.write(b"two", ("127.0.0.1", serverPort.getHost().port))
    spin(reactor, lambda: len(server.received) == 2)
    assert [d for d, _ in server.received] == [b"one", b"two"]
    assert server.received[0][1] == ("127.0.0.1", port.getHost().port)


def test_connected_port_refuses_other_addresses(reactor: Any) -> None:
    """A connected port raises InvalidAddressError for any other destination."""
    port = listen(reactor, Recorder())
    port.connect("127.0.0.1", freePort())
    with pytest.raises(InvalidAddressError, match="connected"):
        port.write(b"x", ("127.0.0.1", 9))


def test_connect_needs_an_ip_address(reactor: Any) -> None:
    """connect() with a host name raises a ValueError saying to resolve it."""
    port = listen(reactor, Recorder())
    with pytest.raises(ValueError, match="not an IP address"):
        port.connect("localhost", 53)


def test_connect_twice_is_refused(reactor: Any) -> None:
    """A port connects once."""
    port = listen(reactor, Recorder())
    port.connect("127.0.0.1", freePort())
    with pytest.raises(RuntimeError, match="already"):
        port.connect("127.0.0.1", freePort())


def test_connection_refused_reaches_the_protocol(reactor: Any, spin: Any) -> None:
    """A connected port whose peer has nothing bound hears connectionRefused."""
    protocol = Recorder()
    port = listen(reactor, protocol)
    port.connect("127.0.0.1", freePort())

    def sendAgain() -> bool:
        # The ICMP answer to one datagram is reported on the next operation.
        if "refused" not in protocol.events:
            port.write(b"anyone?")
        return "refused" in protocol.events

    spin(reactor, sendAgain)
    assert port.getHandle() is not None  # the port lives on


def test_unconnected_write_needs_an_address(reactor: Any) -> None:
    """write() without an address on an unconnected port is an InvalidAddressError."""
    port = listen(reactor, Recorder())
    with pytest.raises(InvalidAddressError, match="needs an address"):
        port.write(b"x")


@pytest.mark.parametrize(
    ("addr", "message"),
    [
        (("localhost", 9), "not an IP address"),
        (("::1", 9), "IPv6 address"),
        (("127.0.0.1",), "pair"),
        (("127.0.0.1", "9"), "port must be an int"),
    ],
)
def test_bad_destinations(reactor: Any, addr: Any, message: str) -> None:
    """A destination that is not an IP literal of the port's family is refused."""
    port = listen(reactor, Recorder())
    with pytest.raises(InvalidAddressError, match=message):
        port.write(b"x", addr)


def test_ipv4_destination_on_an_ipv6_port(reactor: Any, ipv6: str) -> None:
    """An IPv6 port refuses an IPv4 destination with a clear reason."""
    port = listen(reactor, Recorder(), interface=ipv6)
    with pytest.raises(InvalidAddressError, match="IPv4 address"):
        port.write(b"x", ("127.0.0.1", 9))


def test_datagram_must_be_bytes(reactor: Any) -> None:
    """write() with text raises TypeError."""
    port = listen(reactor, Recorder())
    with pytest.raises(TypeError, match="bytes"):
        port.write("text", ("127.0.0.1", 9))  # type: ignore[arg-type]


def test_too_long_a_datagram(reactor: Any) -> None:
    """A datagram over the UDP limit raises MessageLengthError."""
    port = listen(reactor, Recorder())
    with pytest.raises(MessageLengthError):
        port.write(b"x" * 70000, ("127.0.0.1", freePort()))


def test_listening_on_a_taken_port(reactor: Any) -> None:
    """listenUDP on a port in use raises CannotListenError naming the port."""
    first = listen(reactor, Recorder())
    taken = first.getHost().port
    with pytest.raises(CannotListenError) as info:
        reactor.listenUDP(taken, Recorder(), interface="127.0.0.1")
    assert info.value.port == taken


def test_port_must_be_an_int(reactor: Any) -> None:
    """listenUDP with a port given as text raises TypeError."""
    with pytest.raises(TypeError, match="port must be an int"):
        reactor.listenUDP("0", Recorder())


def test_max_packet_size_cuts_longer_datagrams(reactor: Any, spin: Any) -> None:
    """A datagram longer than maxPacketSize arrives cut to that size."""
    protocol = Recorder()
    port = reactor.listenUDP(0, protocol, interface="127.0.0.1", maxPacketSize=10)
    sender = listen(reactor, Recorder())
    sender.write(b"0123456789abcdef", ("127.0.0.1", port.getHost().port))
    spin(reactor, lambda: protocol.received)
    assert protocol.received[0][0] == b"0123456789"


def test_protocol_error_is_logged_and_the_port_goes_on(
    reactor: Any, spin: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """An exception in datagramReceived is logged; later datagrams still arrive."""

    class Flaky(Recorder):
        def datagramReceived(self, datagram: bytes, addr: Any) -> None:
            if datagram == b"boom":
                raise RuntimeError("bad datagram")
            super().datagramReceived(datagram, addr)

    protocol = Flaky()
    port = listen(reactor, protocol)
    sender = listen(reactor, Recorder())
    there = ("127.0.0.1", port.getHost().port)
    with caplog.at_level(logging.ERROR, logger="plait.udp"):
        sender.write(b"boom", there)
        sender.write(b"fine", there)
        spin(reactor, lambda: protocol.received)
    assert protocol.received[0][0] == b"fine"
    assert "bad datagram" in caplog.text


def test_broadcast_flag(reactor: Any) -> None:
    """setBroadcastAllowed switches SO_BROADCAST; getBroadcastAllowed reads it."""
    port = listen(reactor, Recorder())
    assert port.getBroadcastAllowed() is False
    port.setBroadcastAllowed(True)
    assert port.getBroadcastAllowed() is True


def test_a_stopped_port_cannot_send(reactor: Any) -> None:
    """write(), connect() and getHandle() on a stopped port raise NotListeningError."""
    port = listen(reactor, Recorder())
    port.stopListening()
    with pytest.raises(NotListeningError):
        port.write(b"x", ("127.0.0.1", 9))
    with pytest.raises(NotListeningError):
        port.connect("127.0.0.1", 9)
    with pytest.raises(NotListeningError):
        port.getHandle()


class _Crowded:
    """A socket stand-in whose first sends find no room in the kernel."""

    def __init__(self, real: socket.socket, refusals: int) -> None:
        self.real = real
        self.refusals = refusals
        #: Destinations whose sends fail outright.
        self.fail: set[Any] = set()

    def sendto(self, data: bytes, addr: Any) -> int:
        if self.refusals:
            self.refusals -= 1
            raise BlockingIOError(errno.EAGAIN, "no room")
        if tuple(addr) in self.fail:
            raise OSError(errno.EPERM, "refused by a firewall")
        return self.real.sendto(data, addr)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def crowded(reactor: Any, refusals: int) -> tuple[Recorder, Any, Any]:
    """A receiving protocol, a sending port whose socket refuses its first
    ``refusals`` sends, and the receiver's address."""
    protocol = Recorder()
    target = listen(reactor, protocol)
    port = listen(reactor, Recorder())
    port.socket = _Crowded(port.socket, refusals)
    return protocol, port, ("127.0.0.1", target.getHost().port)


def test_datagrams_the_kernel_has_no_room_for_wait_in_order(
    reactor: Any, spin: Any
) -> None:
    """When a send would block, datagrams queue in order and leave once it can."""
    protocol, port, there = crowded(reactor, refusals=2)
    for n in range(5):
        port.write(b"%d" % n, there)
    assert reactor.getWriters() == [port]
    spin(reactor, lambda: len(protocol.received) == 5)
    assert [d for d, _ in protocol.received] == [b"0", b"1", b"2", b"3", b"4"]
    assert reactor.getWriters() == []


def test_a_queued_datagram_that_fails_is_dropped_alone(
    reactor: Any, spin: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A queued datagram whose send fails is logged and dropped; the rest go."""
    protocol, port, there = crowded(reactor, refusals=1)
    port.socket.fail = {("127.0.0.1", 1)}
    port.write(b"first", there)  # queued: the kernel is "full"
    port.write(b"second", ("127.0.0.1", 1))  # queued too, and will fail
    port.write(b"third", there)
    with caplog.at_level(logging.ERROR, logger="plait.udp"):
        spin(reactor, lambda: len(protocol.received) == 2)
    assert [d for d, _ in protocol.received] == [b"first", b"third"]
    assert "could not be sent" in caplog.text
    assert reactor.getWriters() == []


def test_bad_interface_is_refused(reactor: Any) -> None:
    """listenUDP on a host name, or on bytes that are not ASCII, is refused."""
    with pytest.raises(InvalidAddressError, match="IP address"):
        reactor.listenUDP(0, Recorder(), interface="localhost")
    with pytest.raises(InvalidAddressError):
        reactor.listenUDP(0, Recorder(), interface=b"\xff")


def test_get_host_before_listening_names_the_interface() -> None:
    """A port not yet listening reports the interface and port it was given."""
    port = Port(4000, Recorder(), interface="127.0.0.1")
    assert port.getHost() == IPv4Address("UDP", "127.0.0.1", 4000)


@pytest.mark.parametrize(
    "addr", [("127.0.0.1", 0), ("127.0.0.1", 70000), ("fe80::1%no-such-if0", 9)]
)
def test_destinations_out_of_range(reactor: Any, addr: Any, ipv6: str) -> None:
    """A port out of 1-65535, or an unknown zone, is an InvalidAddressError."""
    interface = ipv6 if ":" in addr[0] else "127.0.0.1"
    port = listen(reactor, Recorder(), interface=interface)
    with pytest.raises(InvalidAddressError):
        port.write(b"x", addr)
    with pytest.raises(InvalidAddressError):
        port.connect(*addr)


def test_reactor_shutdown_stops_the_port(reactor: Any) -> None:
    """Stopping the reactor closes its UDP ports and stops their protocols."""
    protocol = Recorder()
    port = listen(reactor, protocol)
    reactor.callWhenRunning(reactor.stop)
    reactor.run()
    assert protocol.events == ["start", "stop"]
    assert port.fileno() == -1


def test_destinations_given_as_lists_or_tuples(reactor: Any, spin: Any) -> None:
    """A destination may be a list as well as a tuple, every time it is used."""
    protocol = Recorder()
    target = listen(reactor, protocol)
    port = listen(reactor, Recorder())
    number = target.getHost().port
    for _ in range(2):
        port.write(b"t", ("127.0.0.1", number))
        port.write(b"l", ["127.0.0.1", number])  # type: ignore[arg-type]
    spin(reactor, lambda: len(protocol.received) == 4)
    assert sorted(d for d, _ in protocol.received) == [b"l", b"l", b"t", b"t"]


def test_a_refused_destination_is_refused_every_time(reactor: Any) -> None:
    """A bad destination raises on each write: refusals are not remembered."""
    port = listen(reactor, Recorder())
    for _ in range(2):
        with pytest.raises(InvalidAddressError):
            port.write(b"x", ("localhost", 9))


def test_stop_then_start_in_one_turn(reactor: Any, spin: Any) -> None:
    """Starting a port again right after stopListening finishes the stop first:
    its Deferred fires, and the protocol is stopped, then started again."""
    protocol = Recorder()
    port = listen(reactor, protocol)
    fired: list[object] = []
    port.stopListening().addCallback(fired.append)
    port.startListening()
    assert fired == [None]
    assert protocol.events == ["start", "stop", "start"]
    assert protocol.transport is port and protocol.numPorts == 1
    reactor.iterate(0)  # nothing stale runs later
    assert protocol.events == ["start", "stop", "start"]
    sender = listen(reactor, Recorder())
    sender.write(b"again", ("127.0.0.1", port.getHost().port))
    spin(reactor, lambda: protocol.received)
    assert protocol.received[0][0] == b"again"
