"""UNIX datagram sockets: round trips, connected ports, size limits,
destinations with no socket, modes, abstract names."""

from __future__ import annotations

import contextlib
import os
import socket
import stat
from pathlib import Path
from typing import Any

import pytest
from zope.interface.verify import verifyObject

from plait.address import UNIXAddress
from plait.core import Failure
from plait.errors import (
    BadFileError,
    CannotListenError,
    ConnectionRefusedError,
    InvalidAddressError,
    MessageLengthError,
    NotConnectingError,
)
from plait.interfaces import (
    IConnector,
    IListeningPort,
    IUNIXDatagramConnectedTransport,
    IUNIXDatagramTransport,
)
from plait.unix import ConnectedDatagramProtocol, DatagramProtocol


class Recorder(DatagramProtocol):
    """Keeps every datagram with its sender."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, Any]] = []
        self.stopped = False

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.received.append((datagram, addr))

    def stopProtocol(self) -> None:
        self.stopped = True


class Echo(DatagramProtocol):
    """Sends each datagram back to its sender."""

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.transport.write(datagram, addr)


class Peer(ConnectedDatagramProtocol):
    """A connected protocol that records what it hears."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.refused = 0
        self.failed: list[Failure] = []

    def datagramReceived(self, datagram: bytes) -> None:
        self.received.append(datagram)

    def connectionRefused(self) -> None:
        self.refused += 1

    def connectionFailed(self, failure: Any) -> None:
        self.failed.append(failure)


def test_round_trip_between_two_bound_ports(
    reactor: Any, spin: Any, sockdir: Path
) -> None:
    """A datagram goes to a path and comes back to the sender's path."""
    server = reactor.listenUNIXDatagram(str(sockdir / "server"), Echo())
    assert IUNIXDatagramTransport.providedBy(server)
    assert IListeningPort.providedBy(server)
    mine = Recorder()
    client = reactor.listenUNIXDatagram(str(sockdir / "client"), mine)
    for index in range(10):
        client.write(b"ping %d" % index, str(sockdir / "server"))
    spin(reactor, lambda: len(mine.received) == 10)
    assert [d for d, _ in mine.received] == [b"ping %d" % i for i in range(10)]
    assert mine.received[0][1] == str(sockdir / "server")
    assert client.getHost() == UNIXAddress(str(sockdir / "client"))
    client.stopListening()
    server.stopListening()
    spin(reactor, lambda: mine.stopped)
    assert not os.path.exists(sockdir / "server")
    assert not os.path.exists(sockdir / "client")


def test_connected_port_round_trip(reactor: Any, spin: Any, sockdir: Path) -> None:
    """connectUNIXDatagram talks to one peer; its protocol hears datagrams alone."""
    server = reactor.listenUNIXDatagram(str(sockdir / "server"), Echo())
    peer = Peer()
    port = reactor.connectUNIXDatagram(
        str(sockdir / "server"), peer, bindAddress=str(sockdir / "me")
    )
    assert IUNIXDatagramConnectedTransport.providedBy(port)
    assert port.getPeer() == UNIXAddress(str(sockdir / "server"))
    assert port.getHost() == UNIXAddress(str(sockdir / "me"))
    port.write(b"hello")
    spin(reactor, lambda: peer.received == [b"hello"])
    port.stopListening()
    server.stopListening()


def test_a_connected_port_hears_its_peer_go_away(
    reactor: Any, spin: Any, sockdir: Path
) -> None:
    """When the peer's socket closes, sending tells connectionRefused; once
    a socket is back at the path, datagrams reach it again."""
    server = reactor.listenUNIXDatagram(str(sockdir / "server"), Recorder())
    peer = Peer()
    port = reactor.connectUNIXDatagram(str(sockdir / "server"), peer)
    server.stopListening()
    port.write(b"anyone?")
    assert peer.refused == 1
    port.write(b"still here")
    assert peer.refused == 2
    back = Recorder()
    server = reactor.listenUNIXDatagram(str(sockdir / "server"), back)
    port.write(b"back again")
    spin(reactor, lambda: back.received)
    assert back.received[0][0] == b"back again"
    port.stopListening()
    server.stopListening()


def test_connecting_to_nothing_fails_on_the_next_turn(
    reactor: Any, sockdir: Path
) -> None:
    """connectUNIXDatagram to a missing path tells connectionFailed later."""
    peer = Peer()
    reactor.connectUNIXDatagram(str(sockdir / "nothing"), peer)
    assert peer.failed == []
    reactor.iterate(0)
    assert len(peer.failed) == 1
    assert peer.failed[0].check(BadFileError)


def test_sending_to_a_path_without_socket_raises_and_port_keeps_working(
    reactor: Any, spin: Any, sockdir: Path
) -> None:
    """A datagram to a missing path or to a dead socket raises a plait
    error to the caller; the next datagram still goes out."""
    mine = Recorder()
    port = reactor.listenUNIXDatagram(str(sockdir / "me"), mine)
    with pytest.raises(BadFileError):
        port.write(b"x", str(sockdir / "missing"))
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    stale.bind(str(sockdir / "stale"))
    stale.close()
    with pytest.raises(ConnectionRefusedError):
        port.write(b"x", str(sockdir / "stale"))
    port.write(b"to myself", str(sockdir / "me"))
    spin(reactor, lambda: mine.received)
    assert mine.received[0][0] == b"to myself"
    port.stopListening()


def test_size_limits(reactor: Any, spin: Any, sockdir: Path) -> None:
    """A datagram larger than the send buffer raises MessageLengthError;
    datagrams longer than maxPacketSize are cut to it on receipt."""
    mine = Recorder()
    port = reactor.listenUNIXDatagram(str(sockdir / "me"), mine, maxPacketSize=100)
    sndbuf = port.getHandle().getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
    with pytest.raises(MessageLengthError):
        port.write(b"x" * (sndbuf * 2 + 1), str(sockdir / "me"))
    port.write(b"y" * 1000, str(sockdir / "me"))
    spin(reactor, lambda: mine.received)
    assert mine.received[0][0] == b"y" * 100
    port.stopListening()


def test_a_full_receiver_queues_instead_of_dropping(
    reactor: Any, spin: Any, sockdir: Path
) -> None:
    """When the receiver's queue is full, datagrams wait and all arrive."""
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(sockdir / "slow"))
    mine = Recorder()
    port = reactor.listenUNIXDatagram(str(sockdir / "me"), mine)
    count = 2000
    for index in range(count):
        port.write(b"%06d" % index, str(sockdir / "slow"))
    receiver.setblocking(False)
    got: list[bytes] = []

    def drain() -> bool:
        with contextlib.suppress(BlockingIOError):
            while True:
                got.append(receiver.recv(64))
        return len(got) == count

    spin(reactor, drain)
    assert got == [b"%06d" % i for i in range(count)]
    receiver.close()
    port.stopListening()


@pytest.mark.parametrize("mode", [0o600, 0o666])
def test_datagram_socket_gets_exactly_mode(
    reactor: Any, sockdir: Path, mode: int
) -> None:
    """The datagram socket file's permissions are ``mode`` under umask 0o077."""
    old = os.umask(0o077)
    try:
        port = reactor.listenUNIXDatagram(str(sockdir / "d"), Recorder(), mode=mode)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(sockdir / "d").st_mode) == mode
    port.stopListening()


def test_abstract_datagram_round_trip(reactor: Any, spin: Any) -> None:
    """Datagram sockets work with abstract names."""
    name = f"\0plait-test-dgram-{os.getpid()}"
    server = reactor.listenUNIXDatagram(name, Echo())
    mine = Recorder()
    client = reactor.listenUNIXDatagram(name + "-client", mine)
    client.write(b"abstract", name)
    spin(reactor, lambda: mine.received)
    assert mine.received[0][0] == b"abstract"
    client.stopListening()
    server.stopListening()


def test_bad_destinations_and_live_sockets(reactor: Any, sockdir: Path) -> None:
    """write refuses a destination that is no path; a live datagram socket
    at the path makes listening fail and stays."""
    port = reactor.listenUNIXDatagram(str(sockdir / "me"), Recorder())
    with pytest.raises(InvalidAddressError):
        port.write(b"x", "/tmp/" + "y" * 200)
    with pytest.raises(TypeError):
        port.write(b"x", 42)
    with pytest.raises(CannotListenError):
        reactor.listenUNIXDatagram(str(sockdir / "me"), Recorder())
    assert os.path.exists(sockdir / "me")
    port.stopListening()


def test_connect_unix_datagram_returns_a_connector(
    reactor: Any, spin: Any, sockdir: Path
) -> None:
    """What connectUNIXDatagram returns is an IConnector: it names its
    destination, disconnects, connects again, and is never mid-connect."""
    server = reactor.listenUNIXDatagram(str(sockdir / "server"), Echo())
    peer = Peer()
    port = reactor.connectUNIXDatagram(
        str(sockdir / "server"), peer, bindAddress=str(sockdir / "me")
    )
    assert verifyObject(IConnector, port)
    assert port.getDestination() == UNIXAddress(str(sockdir / "server"))
    with pytest.raises(NotConnectingError):
        port.stopConnecting()
    port.disconnect()
    assert port.socket is None
    port.connect()
    port.write(b"again")
    spin(reactor, lambda: b"again" in peer.received)
    port.stopListening()
    server.stopListening()


def test_write_takes_the_address_keyword(
    reactor: Any, spin: Any, sockdir: Path
) -> None:
    """write(packet, address=...) is the interface's spelling, and works."""
    mine = Recorder()
    port = reactor.listenUNIXDatagram(str(sockdir / "me"), mine)
    port.write(b"by keyword", address=str(sockdir / "me"))
    spin(reactor, lambda: mine.received)
    assert mine.received[0][0] == b"by keyword"
    port.stopListening()


def test_send_error_names_the_path(reactor: Any, sockdir: Path) -> None:
    """A datagram to a path with no socket raises an error naming that path."""
    port = reactor.listenUNIXDatagram(str(sockdir / "me"), Recorder())
    missing = str(sockdir / "missing")
    with pytest.raises(BadFileError, match="missing"):
        port.write(b"x", missing)
    port.stopListening()


def test_a_connected_datagram_socket_is_never_taken_for_stale(
    reactor: Any, sockdir: Path
) -> None:
    """Binding where a live datagram socket connected to a peer is bound
    fails, and leaves that socket's file alone."""
    server = reactor.listenUNIXDatagram(str(sockdir / "server"), Echo())
    client = reactor.connectUNIXDatagram(
        str(sockdir / "server"), Peer(), bindAddress=str(sockdir / "client")
    )
    before = os.stat(sockdir / "client").st_ino
    with pytest.raises(CannotListenError):
        reactor.listenUNIXDatagram(str(sockdir / "client"), Recorder())
    assert os.stat(sockdir / "client").st_ino == before
    client.stopListening()
    server.stopListening()
