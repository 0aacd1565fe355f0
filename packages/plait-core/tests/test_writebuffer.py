"""The sans-IO write buffer, driven by a fake socket."""

from __future__ import annotations

import socket
from collections.abc import Iterable

import pytest

from plait.core._writebuffer import IOV_MAX, Buffer, _WriteBuffer, asView


class FakeSocket:
    """Accepts at most ``room`` bytes in total, recording each call."""

    def __init__(self, room: int = 1 << 30, perCall: int | None = None) -> None:
        self.room = room
        self.perCall = perCall
        self.received = bytearray()
        self.calls: list[tuple[str, int]] = []

    def _take(self, chunks: list[bytes]) -> int:
        if self.room == 0:
            raise BlockingIOError
        limit = self.room if self.perCall is None else min(self.room, self.perCall)
        data = b"".join(chunks)[:limit]
        self.received += data
        self.room -= len(data)
        return len(data)

    def send(self, data: Buffer, /) -> int:
        self.calls.append(("send", 1))
        return self._take([bytes(data)])

    def sendmsg(self, buffers: Iterable[Buffer], /) -> int:
        chunks = [bytes(b) for b in buffers]
        self.calls.append(("sendmsg", len(chunks)))
        return self._take(chunks)


def test_empty_buffer_is_false_and_flushes_trivially() -> None:
    """A new buffer is empty, falsy, and flushing it sends nothing."""
    buf = _WriteBuffer()
    sock = FakeSocket()
    assert not buf and len(buf) == 0
    assert buf.flush(sock) is True
    assert sock.calls == []


def test_append_tracks_size_and_ignores_empty_chunks() -> None:
    """The buffer size is the sum of the queued chunks; empty chunks add nothing."""
    buf = _WriteBuffer()
    buf.append(b"abc")
    buf.append(b"")
    buf.extend([b"de", bytearray(b"f"), memoryview(b"gh")])
    assert len(buf) == 8


def test_flush_sends_everything_in_order_with_one_gather_call() -> None:
    """Several chunks go out in one sendmsg call, in the order they were queued."""
    buf = _WriteBuffer()
    buf.extend([b"one ", b"two ", b"three"])
    sock = FakeSocket()
    assert buf.flush(sock) is True
    assert bytes(sock.received) == b"one two three"
    assert sock.calls == [("sendmsg", 3)]
    assert len(buf) == 0


def test_single_chunk_uses_plain_send() -> None:
    """A lone chunk is sent with send(), not sendmsg()."""
    buf = _WriteBuffer()
    buf.append(b"solo")
    sock = FakeSocket()
    assert buf.flush(sock)
    assert sock.calls == [("send", 1)]


def test_partial_send_keeps_the_unsent_tail() -> None:
    """When the kernel takes part of a chunk, the rest stays queued and goes next."""
    buf = _WriteBuffer()
    buf.extend([b"hello ", b"world"])
    sock = FakeSocket(room=8)
    assert buf.flush(sock) is False
    assert bytes(sock.received) == b"hello wo"
    assert len(buf) == 3
    sock.room = 100
    assert buf.flush(sock) is True
    assert bytes(sock.received) == b"hello world"


def test_full_socket_stops_the_flush() -> None:
    """A BlockingIOError from the socket leaves the buffer untouched."""
    buf = _WriteBuffer()
    buf.append(b"data")
    sock = FakeSocket(room=0)
    assert buf.flush(sock) is False
    assert len(buf) == 4


def test_other_os_errors_reach_the_caller() -> None:
    """Errors other than a full buffer propagate for the transport to map."""

    class Broken(FakeSocket):
        def send(self, data: Buffer, /) -> int:
            raise BrokenPipeError

    buf = _WriteBuffer()
    buf.append(b"data")
    with pytest.raises(BrokenPipeError):
        buf.flush(Broken())
    assert len(buf) == 4


def test_long_queues_are_sent_in_iov_max_batches() -> None:
    """No sendmsg call carries more than IOV_MAX buffers."""
    buf = _WriteBuffer()
    count = IOV_MAX * 2 + 5
    buf.extend(b"x" for _ in range(count))
    sock = FakeSocket()
    assert buf.flush(sock) is True
    assert len(sock.received) == count
    assert max(n for _, n in sock.calls) <= IOV_MAX
    assert len(sock.calls) == 3


def test_short_batch_stops_even_when_more_is_queued() -> None:
    """A batch the kernel only partly takes ends the flush without another call."""
    buf = _WriteBuffer()
    buf.extend(b"ab" for _ in range(IOV_MAX + 10))
    sock = FakeSocket(perCall=5)
    assert buf.flush(sock) is False
    assert len(sock.calls) == 1
    assert len(buf) == 2 * (IOV_MAX + 10) - 5


def test_bytearray_is_copied_on_the_way_in() -> None:
    """Changing a bytearray after queueing it does not change what is sent."""
    data = bytearray(b"before")
    buf = _WriteBuffer()
    buf.append(data)
    data[:] = b"AFTER!"
    sock = FakeSocket()
    buf.flush(sock)
    assert bytes(sock.received) == b"before"


def test_bytes_are_not_copied() -> None:
    """A bytes chunk is queued as a view of the same object."""
    data = b"shared payload"
    view = asView(data)
    assert view.obj is data


def test_readonly_memoryview_kept_and_cast_to_bytes() -> None:
    """A read-only view of another format is kept, seen as unsigned bytes."""
    import array

    words = memoryview(bytes(array.array("H", [1, 2, 3])))
    view = asView(words.cast("H"))
    assert view.format == "B" and view.nbytes == 6


def test_text_is_refused() -> None:
    """Writing str raises TypeError naming the type."""
    buf = _WriteBuffer()
    with pytest.raises(TypeError, match="str"):
        buf.append("text")  # type: ignore[arg-type]  # the error is the point


def test_clear_drops_everything() -> None:
    """clear() empties the buffer."""
    buf = _WriteBuffer()
    buf.extend([b"a", b"b"])
    buf.clear()
    assert not buf and len(buf) == 0


def test_flush_over_a_real_socketpair() -> None:
    """The buffer drives a real socket: bytes arrive intact across many chunks."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        a.setblocking(False)
        buf = _WriteBuffer()
        payload = [bytes([i % 256]) * 100 for i in range(50)]
        buf.extend(payload)
        assert buf.flush(a) is True
        expected = b"".join(payload)
        got = bytearray()
        while len(got) < len(expected):
            got += b.recv(65536)
        assert bytes(got) == expected
    finally:
        a.close()
        b.close()
