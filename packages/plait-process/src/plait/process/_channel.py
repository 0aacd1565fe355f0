"""Our end of one pipe or pseudo-terminal joined to a child.

Facts that shaped this module:

- Each end is non-blocking and watched by the reactor like a socket.  A
  read takes at most 64 KiB (a pipe holds 64 KiB by default on Linux) and,
  when it filled the whole buffer, a few more reads are tried in the same
  readiness event.
- A pseudo-terminal's controlling side answers ``EIO`` once no process
  holds the terminal open any more: that is its end of output, like an
  empty read on a pipe.  The child may close its terminal just before it
  exits (``close_stdout`` at exit does), and closing the controller then
  would send it SIGHUP: the controller is closed once the child's exit
  has been collected.
- Writing reuses the stream transports' buffer: what the kernel does not
  take at once is queued as memoryviews and flushed with ``writev``;
  flow control pauses a registered producer above the high-water mark.
  ``EPIPE`` means the child closed its end: what is queued can never be
  delivered and is dropped.
- The writing end of a pipe is watched for reading too: it reports an
  error condition, which pollers deliver as readable, once the child's
  reading end has gone, so a child that exits (or closes its input) ends
  that pipe without our having to write to it.
- Closing the writing side waits until the queue is empty; closing the
  reading side is immediate.  When an end is closed, by us or by the
  child, the process hears about each child descriptor it served, once.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from zope.interface import implementer

from plait.core._flowcontrol import ProducerState, _FlowControl
from plait.core._writebuffer import Buffer, _WriteBuffer, asView
from plait.interfaces import IReadWriteDescriptor

__all__ = ["Channel"]

log = logging.getLogger("plait.process")

READ_SIZE = 64 * 1024
MAX_READS_PER_EVENT = 4
#: The byte a terminal in canonical mode reads as end of input (VEOF).
_EOF_CHAR = b"\x04"
_PAUSED = ProducerState.PAUSED
_PULL = ProducerState.PULL
_NO_BUFFER = _WriteBuffer()
_NO_FLOW = _FlowControl()


class _FdWriter:
    """What ``_WriteBuffer.flush`` needs, over a plain descriptor."""

    __slots__ = ("fd",)

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, data: Buffer) -> int:
        return os.write(self.fd, data)

    def sendmsg(self, buffers: Iterable[Buffer]) -> int:
        # The buffer hands over a deque or a list: both are sequences.
        return os.writev(self.fd, cast(Sequence[Buffer], buffers))


@implementer(IReadWriteDescriptor)
class Channel:
    """One descriptor of ours joined to one or more descriptors of the child.

    :param process: the owning process transport; it hears
        ``_childData(childFD, data)`` and ``_channelClosed(channel)``.
    :param fd: our descriptor (made non-blocking here).
    :param readFD: the child descriptor whose output we read, or None.
    :param writeFD: the child descriptor whose input we write, or None.
    :param serves: every child descriptor this end stands for.
    :param terminal: True for the controlling side of a pseudo-terminal.
    """

    __slots__ = (
        "_closeWhenFlushed",
        "_reading",
        "_sink",
        "_writing",
        "buffer",
        "closed",
        "fd",
        "fileno",
        "flow",
        "process",
        "reactor",
        "readFD",
        "serves",
        "terminal",
        "writeFD",
    )

    def __init__(
        self,
        process: Any,
        fd: int,
        readFD: int | None,
        writeFD: int | None,
        serves: tuple[int, ...],
        terminal: bool = False,
    ) -> None:
        # Our end only; the child's end of a pipe stays blocking.
        fcntl.fcntl(fd, fcntl.F_SETFL, os.O_NONBLOCK)
        self.process = process
        self.reactor = process.reactor
        self.fd = fd
        # The reactor asks for fileno() on every event: answer from C.
        self.fileno: Callable[[], int] = fd.__index__
        self.readFD = readFD
        self.writeFD = writeFD
        self.serves = serves
        self.terminal = terminal
        if writeFD is None:
            # Never written to: share one empty buffer and producer slot.
            self.buffer = _NO_BUFFER
            self.flow = _NO_FLOW
        else:
            self.buffer = _WriteBuffer()
            self.flow = _FlowControl()
        self._sink = _FdWriter(fd)
        self._reading = False
        self._writing = False
        self._closeWhenFlushed = False
        self.closed = False

    def logPrefix(self) -> str:
        owner = "closed" if self.process is None else self.process.logPrefix()
        return f"{owner} fd {self.serves}"

    def __repr__(self) -> str:
        return f"<Channel fd={self.fd} serves={self.serves} closed={self.closed}>"

    # -- reading --------------------------------------------------------------

    def startReading(self) -> None:
        """Watch for output, or, on a pipe we only write to, for its closing."""
        if not self._reading and not self.closed:
            self._reading = True
            self.reactor.addReader(self)

    def stopReading(self) -> None:
        if self._reading:
            self._reading = False
            self.reactor.removeReader(self)

    def doRead(self) -> None:
        """Hand what the child wrote to the process; close at end of output."""
        childFD = self.readFD
        if childFD is None:
            # Our writing end turns "readable" (an error) only once the
            # child's reading end is gone.
            self.close()
            return
        for _ in range(MAX_READS_PER_EVENT):
            try:
                data = os.read(self.fd, READ_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                if e.errno == errno.EIO and self.terminal:
                    # Closing the controller now would hang the terminal
                    # up and could kill a child that is still exiting
                    # (with SIGHUP): wait until it has exited.
                    self.stopReading()
                    self.process._terminalQuiet(self)
                    return
                log.debug("%s: read failed: %s", self.logPrefix(), e)
                self.close()
                return
            if not data:
                self.close()
                return
            self.process._childData(childFD, data)
            if len(data) < READ_SIZE or not self._reading:
                return

    # -- writing --------------------------------------------------------------

    def write(self, data: Buffer) -> None:
        """Send *data* now, queueing what the kernel does not take."""
        if self.closed or self._closeWhenFlushed:
            return
        payload = data if type(data) is bytes else asView(data)
        buffer = self.buffer
        if not buffer.size:
            try:
                sent = os.write(self.fd, payload) if len(payload) else 0
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError as e:
                self._writeFailed(e)
                return
            if sent == len(payload):
                return
            payload = memoryview(payload)[sent:]
        buffer.append(payload)
        self._startWriting()
        self.flow.grew(buffer.size)

    def writeSequence(self, chunks: Iterable[Buffer]) -> None:
        """Queue several chunks in order and send what the kernel takes."""
        if self.closed or self._closeWhenFlushed:
            return
        self.buffer.extend(chunks)
        if self.buffer and not self._writing:
            self._startWriting()
            self.doWrite()
        if self.buffer:
            self.flow.grew(self.buffer.size)

    def _startWriting(self) -> None:
        if not self._writing and not self.closed:
            self._writing = True
            self.reactor.addWriter(self)

    def _stopWriting(self) -> None:
        if self._writing:
            self._writing = False
            self.reactor.removeWriter(self)

    def doWrite(self) -> None:
        """Flush the queue; finish a pending close once it is empty."""
        buffer = self.buffer
        try:
            buffer.flush(self._sink)
        except OSError as e:
            self._writeFailed(e)
            return
        flow = self.flow
        if flow.state is _PAUSED:
            flow.shrank(buffer.size)
        if buffer.size or self.closed:
            return
        if flow.state is _PULL:
            # Stay registered: the next writable event asks for more.
            flow.wantsMore()
            return
        self._stopWriting()
        self._maybeFinish()

    def _maybeFinish(self) -> None:
        if self._closeWhenFlushed and not self.buffer and self.flow.producer is None:
            self.close()

    def _writeFailed(self, error: OSError) -> None:
        # EPIPE: the child closed its end; anything else is as final.
        self.buffer.clear()
        if error.errno != errno.EPIPE:
            log.debug("%s: write failed: %s", self.logPrefix(), error)
        self.close()

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Let *producer* feed this end; it is paused while the queue is full."""
        if self.closed:
            producer.stopProducing()
            return
        self.flow.register(producer, streaming, self.buffer.size)
        if not streaming:
            self._startWriting()
            producer.resumeProducing()

    def unregisterProducer(self) -> None:
        """Detach the producer; a pending close may now complete."""
        self.flow.unregister()
        if not self.closed and not self.buffer:
            self._stopWriting()
            self._maybeFinish()

    def closeWhenFlushed(self) -> None:
        """Close once everything queued has been written."""
        if self.closed:
            return
        if self.terminal:
            # A terminal has no half-close: end of input is a character.
            self.write(_EOF_CHAR)
            return
        self._closeWhenFlushed = True
        self._maybeFinish()

    # -- closing --------------------------------------------------------------

    def close(self) -> None:
        """Close now, dropping anything queued; the process is told once."""
        if self.closed:
            return
        if self._reading:
            self._reading = False
            self.reactor.removeReader(self)
        if self._writing:
            self._writing = False
            self.reactor.removeWriter(self)
        self.connectionLost(None)

    def connectionLost(self, reason: object) -> None:
        """The reactor dropped this end (or ``close`` did): release it."""
        if self.closed:
            return
        self.closed = True
        self._reading = self._writing = False
        try:
            os.close(self.fd)
        except OSError:
            pass
        if self.writeFD is not None:
            self.buffer.clear()
            self.flow.stop()
        process, self.process = self.process, None  # no cycle left behind
        process._channelClosed(self)
