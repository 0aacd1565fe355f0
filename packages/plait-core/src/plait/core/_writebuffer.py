"""The outgoing byte queue of a stream transport, flushed with scatter-gather I/O.

Why it looks like this:

- A transport first tries to hand written bytes straight to the kernel; only
  what the kernel refuses lands here. Joining the queued chunks into one big
  ``bytes`` before each send would copy every byte again, so the queue keeps
  them as separate ``memoryview`` objects and hands a batch of them to
  ``sendmsg``, which gathers them inside the kernel.
- ``sendmsg`` accepts at most ``IOV_MAX`` buffers per call (1024 on Linux);
  longer queues are sent in batches.
- A partial send leaves the first unsent chunk cut in the middle; slicing a
  ``memoryview`` is free, so the remainder is kept as a view, never copied.
- ``bytes`` are immutable and kept as they are. A ``bytearray`` (or a writable
  ``memoryview``) may be changed by the caller after ``write`` returns, so
  those are copied once on the way in.

- Most connections never queue anything, and an empty ``deque`` already
  costs about 600 bytes (its first block of slots), more than the rest of
  an idle transport. So the queue exists only while something waits, and
  is dropped again once it has drained.

The class does no I/O of its own beyond the ``flush`` call and knows nothing
of reactors; tests drive it with a fake socket.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable
from itertools import islice
from typing import Protocol

__all__ = ["Buffer", "SupportsSendmsg", "_WriteBuffer", "asView"]

Buffer = bytes | bytearray | memoryview


def _iovMax() -> int:
    try:
        value = os.sysconf("SC_IOV_MAX")
    except (AttributeError, ValueError, OSError):
        return 1024
    return value if value > 0 else 1024


IOV_MAX = _iovMax()


class SupportsSendmsg(Protocol):
    """The part of a socket the buffer uses: gather-send and plain send."""

    def sendmsg(self, buffers: Iterable[Buffer], /) -> int: ...

    def send(self, data: Buffer, /) -> int: ...


def asView(data: object) -> memoryview:
    """Return a read-only byte view of ``data`` that the caller cannot change.

    ``bytes`` are viewed in place; mutable buffers are copied first. Anything
    that is not a bytes-like object raises ``TypeError``.
    """
    if type(data) is bytes:
        return memoryview(data)
    if isinstance(data, (bytearray, memoryview)):
        view = memoryview(data)
        if view.readonly and view.c_contiguous:
            return view if view.format == "B" and view.ndim == 1 else view.cast("B")
        return memoryview(view.tobytes())
    if isinstance(data, bytes):  # a bytes subclass: immutable as well
        return memoryview(data)
    raise TypeError(
        f"a transport carries bytes, not {type(data).__name__}; "
        "encode text before writing it"
    )


class _WriteBuffer:
    """A FIFO of byte chunks with its total size, drained by ``flush``.

    ``size`` (also ``len(buffer)``) is the number of bytes waiting; callers
    read it and never assign it. A buffer is true while anything waits.
    """

    __slots__ = ("_views", "size")

    def __init__(self) -> None:
        self._views: deque[memoryview] | None = None
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def __bool__(self) -> bool:
        return self.size != 0

    def append(self, data: Buffer) -> None:
        """Queue one chunk (empty chunks are ignored)."""
        view = asView(data)
        n = view.nbytes
        if n:
            views = self._views
            if views is None:
                views = self._views = deque()
            views.append(view)
            self.size += n

    def extend(self, chunks: Iterable[Buffer]) -> None:
        """Queue several chunks in order."""
        for chunk in chunks:
            self.append(chunk)

    def clear(self) -> None:
        """Drop everything queued."""
        self._views = None
        self.size = 0

    def flush(self, sock: SupportsSendmsg) -> bool:
        """Send as much as the socket takes now; return True once empty.

        A full kernel buffer (``BlockingIOError``) simply stops the flush;
        any other ``OSError`` is left to the caller, which owns the mapping
        of socket errors to plait's error classes.
        """
        views = self._views
        if views is None:
            return True
        while views:
            offered = self.size
            try:
                if len(views) == 1:
                    sent = sock.send(views[0])
                elif len(views) <= IOV_MAX:
                    sent = sock.sendmsg(views)
                else:
                    batch = list(islice(views, IOV_MAX))
                    offered = sum(view.nbytes for view in batch)
                    sent = sock.sendmsg(batch)
            except (BlockingIOError, InterruptedError):
                return False
            self._consume(sent)
            if sent < offered:
                # The kernel took less than it was offered: it is full.
                return False
        self._views = None
        return True

    def peek(self, limit: int) -> list[memoryview]:
        """The first ``limit`` queued bytes (fewer if fewer wait), as views,
        without removing them; for senders that must stop at a byte (a
        descriptor travels with one)."""
        out: list[memoryview] = []
        for view in self._views or ():
            if limit <= 0 or len(out) >= IOV_MAX:
                break
            n = view.nbytes
            out.append(view if n <= limit else view[:limit])
            limit -= n
        return out

    def consume(self, sent: int) -> None:
        """Forget the first ``sent`` bytes, once a caller has sent them."""
        if sent:
            self._consume(sent)
        if not self.size:
            self._views = None

    def _consume(self, sent: int) -> None:
        """Forget the first ``sent`` bytes, cutting the chunk they end in."""
        self.size -= sent
        views = self._views
        assert views is not None
        while sent:
            first = views[0]
            n = first.nbytes
            if sent >= n:
                views.popleft()
                sent -= n
            else:
                views[0] = first[sent:]
                return
