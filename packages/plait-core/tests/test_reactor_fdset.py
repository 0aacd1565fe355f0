"""IReactorFDSet over real socket pairs, on every poller."""

from __future__ import annotations

import logging
import socket

import pytest
from zope.interface import implementer

from plait.core import Failure, Reactor
from plait.errors import ConnectionFdescWentAway
from plait.interfaces import IReadWriteDescriptor


@implementer(IReadWriteDescriptor)
class Endpoint:
    """A descriptor over one socket that records what the reactor did."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reads: list[bytes] = []
        self.writes = 0
        self.lost: list[Failure] = []
        self.raises: Exception | None = None  # raised by doRead
        self.returns: object = None  # returned by doRead

    def fileno(self) -> int:
        return self.sock.fileno()

    def logPrefix(self) -> str:
        return "Endpoint"

    def doRead(self) -> object:
        try:
            self.reads.append(self.sock.recv(65536))
        except BlockingIOError:
            pass
        if self.raises is not None:
            raise self.raises
        return self.returns

    def doWrite(self) -> object:
        self.writes += 1
        return None

    def connectionLost(self, reason: Failure) -> None:
        self.lost.append(reason)


@pytest.fixture
def ends(socket_pair) -> tuple[Endpoint, socket.socket]:
    """A descriptor on one end of a socket pair, and the raw other end."""
    a, b = socket_pair
    return Endpoint(a), b


def test_reader_gets_do_read(reactor: Reactor, ends, spin) -> None:
    """A reader's doRead runs when its socket has data."""
    end, peer = ends
    reactor.addReader(end)
    peer.send(b"hello")
    spin(reactor, lambda: end.reads)
    assert end.reads == [b"hello"]


def test_remove_reader_stops_reads(reactor: Reactor, ends) -> None:
    """After removeReader, readable data no longer triggers doRead."""
    end, peer = ends
    reactor.addReader(end)
    reactor.removeReader(end)
    peer.send(b"x")
    reactor.iterate(0.01)
    assert end.reads == []
    assert reactor.getReaders() == []


def test_writer_gets_do_write(reactor: Reactor, ends, spin) -> None:
    """A writer's doWrite runs while its socket is writable."""
    end, _ = ends
    reactor.addWriter(end)
    spin(reactor, lambda: end.writes)
    reactor.removeWriter(end)
    seen = end.writes
    reactor.iterate(0.01)
    assert end.writes == seen
    assert reactor.getWriters() == []


def test_reader_and_writer_share_an_fd(reactor: Reactor, ends, spin) -> None:
    """One object as reader and writer gets both; removing one keeps the other."""
    end, peer = ends
    reactor.addReader(end)
    reactor.addWriter(end)
    peer.send(b"x")
    spin(reactor, lambda: end.reads and end.writes)
    reactor.removeWriter(end)
    assert reactor.getReaders() == [end]
    peer.send(b"y")
    spin(reactor, lambda: b"y" in b"".join(end.reads))


def test_distinct_reader_and_writer_objects(
    reactor: Reactor, socket_pair, spin
) -> None:
    """A reader and a different writer on the same fd are both dispatched."""
    a, b = socket_pair
    reader, writer = Endpoint(a), Endpoint(a)
    reactor.addReader(reader)
    reactor.addWriter(writer)
    b.send(b"x")
    spin(reactor, lambda: reader.reads and writer.writes)
    assert reader.writes == 0
    assert writer.reads == []


def test_adding_twice_is_idempotent(reactor: Reactor, ends, spin) -> None:
    """Adding the same reader twice registers it once."""
    end, peer = ends
    reactor.addReader(end)
    reactor.addReader(end)
    assert reactor.getReaders() == [end]
    peer.send(b"x")
    spin(reactor, lambda: end.reads)
    assert end.reads == [b"x"]


def test_removing_what_was_not_added(reactor: Reactor, ends) -> None:
    """removeReader/removeWriter of an unknown descriptor do nothing."""
    end, _ = ends
    reactor.removeReader(end)
    reactor.removeWriter(end)
    assert reactor.getReaders() == reactor.getWriters() == []


def test_get_readers_and_writers_hide_the_waker(reactor: Reactor) -> None:
    """A fresh reactor reports no readers or writers (its waker is hidden)."""
    assert reactor.getReaders() == []
    assert reactor.getWriters() == []


def test_remove_all(reactor: Reactor, socket_pair, spin) -> None:
    """removeAll returns each user descriptor once and keeps the waker."""
    a, b = socket_pair
    both, reader = Endpoint(a), Endpoint(b)
    reactor.addReader(both)
    reactor.addWriter(both)
    reactor.addReader(reader)
    removed = reactor.removeAll()
    assert sorted(map(id, removed)) == sorted([id(both), id(reader)])
    assert reactor.getReaders() == reactor.getWriters() == []
    ran = []
    reactor.callFromThread(ran.append, 1)
    spin(reactor, lambda: ran)


def test_raising_do_read_loses_the_descriptor(
    reactor: Reactor, socket_pair, spin, caplog: pytest.LogCaptureFixture
) -> None:
    """doRead raising: logged, descriptor removed, connectionLost(Failure)."""
    a, b = socket_pair
    bad, good = Endpoint(a), Endpoint(b)
    bad.raises = ValueError("bad read")
    reactor.addReader(bad)
    reactor.addWriter(bad)
    reactor.addReader(good)
    b.send(b"x")
    with caplog.at_level(logging.ERROR, logger="plait.core"):
        spin(reactor, lambda: bad.lost)
    assert bad.lost[0].check(ValueError)
    assert bad not in reactor.getReaders()
    assert bad not in reactor.getWriters()
    assert "Endpoint.doRead" in caplog.text
    a.send(b"still")
    spin(reactor, lambda: good.reads)


def test_returned_reason_loses_quietly(
    reactor: Reactor, ends, spin, caplog: pytest.LogCaptureFixture
) -> None:
    """doRead returning an exception: connectionLost with it, nothing logged."""
    end, peer = ends
    end.returns = ConnectionResetError("gone")
    reactor.addReader(end)
    peer.send(b"x")
    with caplog.at_level(logging.ERROR, logger="plait.core"):
        spin(reactor, lambda: end.lost)
    assert end.lost[0].check(ConnectionResetError)
    assert reactor.getReaders() == []
    assert caplog.records == []


def test_returned_failure_is_passed_on(reactor: Reactor, ends, spin) -> None:
    """doRead returning a Failure hands that Failure to connectionLost."""
    end, peer = ends
    reason = Failure(OSError("closed"))
    end.returns = reason
    reactor.addReader(end)
    peer.send(b"x")
    spin(reactor, lambda: end.lost)
    assert end.lost == [reason]


def test_raising_connection_lost_is_logged(
    reactor: Reactor, ends, spin, caplog: pytest.LogCaptureFixture
) -> None:
    """An exception from connectionLost is logged and the loop goes on."""
    end, peer = ends
    end.raises = ValueError("first")

    def lost(reason: Failure) -> None:
        raise RuntimeError("second")

    end.connectionLost = lost  # type: ignore[method-assign]
    reactor.addReader(end)
    peer.send(b"x")
    with caplog.at_level(logging.ERROR, logger="plait.core"):
        spin(reactor, lambda: "connectionLost" in caplog.text)
    assert reactor.getReaders() == []
    ran = []
    reactor.callLater(0, ran.append, 1)
    reactor.iterate()
    assert ran == [1]


def test_closed_descriptor_is_lost(reactor: Reactor, socket_pair, spin) -> None:
    """A descriptor whose fileno() became -1 is dropped as gone away."""
    a, b = socket_pair
    c = a.dup()
    end = Endpoint(c)
    reactor.addReader(end)
    fake_gone = socket.socket(fileno=c.detach())  # keeps the fd open
    try:
        b.send(b"x")
        spin(reactor, lambda: end.lost)
        assert end.lost[0].check(ConnectionFdescWentAway)
        assert reactor.getReaders() == []
    finally:
        fake_gone.close()


def test_remove_after_close_uses_identity(reactor: Reactor) -> None:
    """removeReader finds a descriptor whose socket was closed meanwhile."""
    a, b = socket.socketpair()
    end = Endpoint(a)
    reactor.addReader(end)
    reactor.addWriter(end)
    a.close()
    reactor.removeReader(end)
    reactor.removeWriter(end)
    b.close()
    assert reactor.getReaders() == reactor.getWriters() == []


def test_peer_close_is_read_as_eof(reactor: Reactor, ends, spin) -> None:
    """When the peer hangs up, doRead runs and sees end of file."""
    end, peer = ends
    reactor.addReader(end)
    peer.close()
    spin(reactor, lambda: end.reads)
    assert end.reads[0] == b""
    reactor.removeReader(end)


def test_descriptor_without_fd_is_refused(reactor: Reactor) -> None:
    """Adding a descriptor whose fileno() is -1 raises ValueError."""
    a, b = socket.socketpair()
    a.close()
    b.close()
    with pytest.raises(ValueError, match="file descriptor"):
        reactor.addReader(Endpoint(a))
    with pytest.raises(ValueError, match="file descriptor"):
        reactor.addWriter(Endpoint(a))
