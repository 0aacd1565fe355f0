"""The transport of a connected stream socket, shared by TCP and UNIX sockets.

Facts that shaped this module:

- ``write`` sends at once when nothing is queued: most writes on a healthy
  connection go straight to the kernel and the transport never registers for
  writability. Only what the kernel refuses is buffered, and the descriptor
  is registered for writing just while that buffer is not empty.
- A read of at most 64 KiB keeps every receive buffer below glibc's mmap
  threshold (128 KiB), so it comes from the heap instead of a fresh mapping.
  After a read that filled the whole 64 KiB more is probably waiting, so a
  few more reads are tried in the same readiness event.
- An empty read is the peer's FIN. A protocol that understands half-closed
  connections keeps its write side; any other protocol gets the same
  treatment as if it had asked for ``loseConnection``.
- Every way a connection can end funnels into ``_teardown``, guarded by the
  state machine, so the protocol hears ``connectionLost`` exactly once.
  When the end comes from the protocol's own call (``loseConnection``,
  ``abortConnection``), the news is delivered on the next reactor turn, so
  the protocol never sees ``connectionLost`` from inside its own method.
- Socket errors become plait errors in one place, ``connectionErrorFor``
  (in ``_streamlife``, with the states).
"""

from __future__ import annotations

import logging
import socket
import struct
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from zope.interface import implementer

from plait.errors import ConnectionAborted, ConnectionDone
from plait.interfaces import (
    IConsumer,
    IHalfCloseableDescriptor,
    IHalfCloseableProtocol,
    IPushProducer,
    IReadWriteDescriptor,
    ISystemHandle,
    ITransport,
)

from ._failure import Failure
from ._flowcontrol import ProducerState, _FlowControl
from ._streamlife import TRANSITIONS as _TRANSITIONS
from ._streamlife import StreamState, connectionErrorFor
from ._writebuffer import _WriteBuffer, asView

__all__ = ["StreamState", "StreamTransport", "connectionErrorFor"]

log = logging.getLogger("plait.core")

READ_SIZE = 64 * 1024
MAX_READS_PER_EVENT = 4
#: SO_LINGER on with a zero timeout: close() resets the connection.
_RESET = struct.pack("ii", 1, 0)


class _StreamReactor(Protocol):
    """The reactor services a stream transport uses."""

    def addReader(self, reader: Any) -> None: ...
    def addWriter(self, writer: Any) -> None: ...
    def removeReader(self, reader: Any) -> None: ...
    def removeWriter(self, writer: Any) -> None: ...
    def callLater(
        self, delay: float, callable: Callable[..., object], *args: Any
    ) -> Any: ...


#: The flow control of every transport that never had a producer nor water
#: marks of its own: it holds nothing, so nothing ever changes it, and an
#: idle connection does not pay for an object of its own (see ``_ownFlow``).
_NO_FLOW = _FlowControl()

_S = StreamState
_CONNECTED = _S.CONNECTED
#: Closes that wait for a registered producer, which may still write.
_AWAITING_PRODUCER = frozenset({_S.DISCONNECTING, _S.HALF_CLOSING_WRITE, _S.DRAINING})
_CLOSED = _S.CLOSED
_STREAMING = ProducerState.STREAMING
_PAUSED = ProducerState.PAUSED
_PULL = ProducerState.PULL


@implementer(
    ITransport,
    IConsumer,
    IPushProducer,
    ISystemHandle,
    IHalfCloseableDescriptor,
    IReadWriteDescriptor,
)
class StreamTransport:
    """A transport over a connected, non-blocking stream socket.

    Subclasses add addressing (``getHost``/``getPeer``) and may override
    ``_closed`` to hear, after the protocol, that the connection ended.
    Call ``startTransport`` once to connect the protocol and start reading.
    """

    # Class-level default so an unstarted transport reports sensible state.
    _state: StreamState = _S.CONNECTED

    def __init__(self, sock: socket.socket, protocol: Any, reactor: Any) -> None:
        self.socket = sock
        self.protocol = protocol
        self.reactor: _StreamReactor = reactor
        self._send = sock.send
        self._recv = sock.recv
        # The reactor asks for fileno() on every event: answer from C.
        self.fileno = sock.fileno  # type: ignore[method-assign]  # same contract, faster
        self._buffer = _WriteBuffer()
        self._flow = _NO_FLOW
        self._reading = False
        self._writing = False
        self._readPaused = False
        self._state = _CONNECTED

    # -- life cycle -------------------------------------------------------

    @property
    def state(self) -> StreamState:
        """Where this connection stands."""
        return self._state

    @property
    def connected(self) -> bool:
        """True until the connection has closed."""
        return self._state is not _CLOSED

    @property
    def disconnecting(self) -> bool:
        """True once a close has been asked for or has happened."""
        return self._state is not _CONNECTED

    def _move(self, new: StreamState) -> None:
        if new not in _TRANSITIONS[self._state]:
            raise RuntimeError(
                f"stream transport cannot go from {self._state.name} to {new.name}"
            )
        self._state = new

    def startTransport(self) -> None:
        """Attach the protocol (``makeConnection``) and start reading."""
        self.protocol.makeConnection(self)
        if self._state.reading and not self._readPaused:
            self._startReading()

    def _startReading(self) -> None:
        if not self._reading:
            self._reading = True
            self.reactor.addReader(self)

    def _stopReading(self) -> None:
        if self._reading:
            self._reading = False
            self.reactor.removeReader(self)

    def _startWriting(self) -> None:
        if not self._writing:
            self._writing = True
            self.reactor.addWriter(self)

    def _stopWriting(self) -> None:
        if self._writing:
            self._writing = False
            self.reactor.removeWriter(self)

    # -- reading ------------------------------------------------------------

    def doRead(self) -> None:
        """Read what the socket holds and hand it to the protocol."""
        # The common case, a single read, is kept free of loop machinery.
        try:
            data = self._recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            self._teardown(Failure(connectionErrorFor(e)))
            return
        try:
            if not data:
                self._readEOF()
                return
            self.protocol.dataReceived(data)
        except Exception as e:
            self._protocolFailed(e)
            return
        if len(data) == READ_SIZE and self._reading:
            self._readMore()

    def _readMore(self) -> None:
        # A full read suggests more is waiting: take a few more now rather
        # than paying for another trip through the poller.
        recv = self._recv
        for _ in range(MAX_READS_PER_EVENT - 1):
            try:
                data = recv(READ_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                self._teardown(Failure(connectionErrorFor(e)))
                return
            try:
                if not data:
                    self._readEOF()
                    return
                self.protocol.dataReceived(data)
            except Exception as e:
                self._protocolFailed(e)
                return
            if len(data) < READ_SIZE or not self._reading:
                return

    def _protocolFailed(self, error: Exception) -> None:
        log.exception("%s: protocol failed on received data", self.logPrefix())
        self._teardown(Failure(error))

    def _readEOF(self) -> None:
        state = self._state
        if state is _CLOSED:
            return
        self._stopReading()
        if IHalfCloseableProtocol.providedBy(self.protocol):
            self._halfCloseRead(state)
            return
        if state is _S.HALF_CLOSED_WRITE:
            self._teardown(Failure(ConnectionDone("both directions closed")))
            return
        # The peer has finished; finish our side as loseConnection would,
        # sending what is buffered. A producer would keep the connection
        # open for ever waiting to be unregistered, and nobody will read
        # what it makes: it is stopped and detached.
        self._move(_S.DRAINING)
        self._flow.stop()  # detaches it; a failure to stop is logged
        self._maybeFinish(later=False)

    def _halfCloseRead(self, state: StreamState) -> None:
        """The peer's FIN, told to a protocol that understands half-closes.

        It hears ``readConnectionLost`` whatever our own write side is doing;
        it may answer with ``loseConnection`` from there.  Once both
        directions are over the connection ends even if it does not.
        """
        if state is _CONNECTED:
            self._move(_S.HALF_CLOSED_READ)
            self.protocol.readConnectionLost()
            return
        if state is not _S.HALF_CLOSED_WRITE:
            # A close or a FIN of ours is still flushing: it finishes after.
            self._move(_S.DRAINING)
        self.protocol.readConnectionLost()
        if self._state is _S.HALF_CLOSED_WRITE:
            self._teardown(Failure(ConnectionDone("both directions closed")))
        elif self._state is _S.DRAINING:
            self._maybeFinish(later=False)

    def readConnectionLost(self, reason: Failure) -> None:
        """The read direction has ended (the peer sent FIN)."""
        self._readEOF()

    def writeConnectionLost(self, reason: Failure) -> None:
        """The write direction has failed: the connection cannot go on."""
        self._teardown(reason)

    # -- writing ------------------------------------------------------------

    def _refusesWrites(self) -> bool:
        """Whether bytes written now are dropped: the write side is over,
        or a close was asked for and no producer is left to finish."""
        state = self._state
        if state.writing:
            return False
        return self._flow.producer is None or state not in _AWAITING_PRODUCER

    def write(self, data: bytes) -> None:
        """Send ``data`` now, buffering whatever the kernel does not take.

        Once a close was asked for, writes are dropped, except from a
        producer still registered: the close waits for it to unregister.
        """
        if self._state is not _CONNECTED and self._refusesWrites():
            return
        payload = data if type(data) is bytes else asView(data)
        buffer = self._buffer
        if not buffer.size:
            try:
                # An empty payload "sends" 0 bytes and returns below.
                sent = self._send(payload)
            except OSError:
                # A full kernel buffer, or an error doWrite will report.
                sent = 0
            if sent == len(payload):
                return
            buffer.append(memoryview(payload)[sent:])
            self._startWriting()
        else:
            buffer.append(payload)
        if self._flow.state is _STREAMING:
            self._flow.grew(buffer.size)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        """Queue several chunks and send them together with one gather call."""
        if self._state is not _CONNECTED and self._refusesWrites():
            return
        # Check every chunk before queueing any, so a bad one changes nothing.
        views = [asView(chunk) for chunk in data]
        buffer = self._buffer
        wasEmpty = not buffer.size
        buffer.extend(views)
        if not buffer.size:
            return
        if wasEmpty:
            try:
                buffer.flush(self.socket)
            except OSError:
                pass  # reported by doWrite
            if buffer.size:
                self._startWriting()
        if self._flow.state is _STREAMING:
            self._flow.grew(buffer.size)

    def doWrite(self) -> None:
        """Flush the buffer; finish a pending close once it is empty."""
        buffer = self._buffer
        try:
            buffer.flush(self.socket)
        except OSError as e:
            self._teardown(Failure(connectionErrorFor(e)))
            return
        flow = self._flow
        if flow.state is _PAUSED:
            flow.shrank(buffer.size)
        if buffer.size or self._state is _CLOSED:
            return
        if flow.state is _PULL:
            # Stay registered: the next writable event asks for more.
            flow.wantsMore()
            return
        self._stopWriting()
        if self._state is not _CONNECTED:
            self._maybeFinish(later=False)

    def _maybeFinish(self, later: bool) -> None:
        """Complete a requested close once nothing is left to send."""
        if self._buffer.size or self._flow.producer is not None:
            return
        state = self._state
        if state is _S.DISCONNECTING or state is _S.DRAINING:
            self._teardown(Failure(ConnectionDone("connection closed cleanly")), later)
        elif state is _S.HALF_CLOSING_WRITE:
            try:
                self.socket.shutdown(socket.SHUT_WR)
            except OSError as e:
                self._teardown(Failure(connectionErrorFor(e)), later)
                return
            self._move(_S.HALF_CLOSED_WRITE)
            if IHalfCloseableProtocol.providedBy(self.protocol):
                if later:
                    self.reactor.callLater(0, self._tellWriteClosed)
                else:
                    self._tellWriteClosed()

    def _tellWriteClosed(self) -> None:
        if self._state is _S.HALF_CLOSED_WRITE:
            try:
                self.protocol.writeConnectionLost()
            except Exception as e:
                log.exception("%s: writeConnectionLost failed", self.logPrefix())
                self._teardown(Failure(e))

    # -- closing ------------------------------------------------------------

    def loseConnection(self) -> None:
        """Close once everything written is sent and no producer is registered."""
        state = self._state
        if state is _CONNECTED or state is _S.HALF_CLOSING_WRITE:
            self._move(_S.DISCONNECTING)
        elif state is _S.HALF_CLOSED_READ:
            self._move(_S.DRAINING)
        elif state is _S.HALF_CLOSED_WRITE:
            self._teardown(Failure(ConnectionDone("connection closed cleanly")), True)
            return
        else:
            return
        self._maybeFinish(later=True)

    def loseWriteConnection(self) -> None:
        """Send FIN once everything written is sent; keep reading."""
        state = self._state
        if state is _CONNECTED:
            self._move(_S.HALF_CLOSING_WRITE)
        elif state is _S.HALF_CLOSED_READ:
            self._move(_S.DRAINING)
        else:
            return
        self._maybeFinish(later=True)

    def abortConnection(self) -> None:
        """Close now, dropping anything not yet sent; the peer gets a reset."""
        reason = Failure(ConnectionAborted("connection aborted locally"))
        self._teardown(reason, later=True, reset=True)

    def connectionLost(self, reason: Failure) -> None:
        """The reactor gave up on this descriptor: close with ``reason``."""
        self._teardown(reason)

    def _teardown(
        self, reason: Failure, later: bool = False, reset: bool = False
    ) -> None:
        """End the connection, once; tell the protocol now or next turn.

        With ``reset`` the kernel drops what it still holds and sends RST
        instead of FIN, so the peer cannot take the end for a clean close.
        """
        if self._state is _CLOSED:
            return
        self._move(_CLOSED)
        self._stopReading()
        self._stopWriting()
        self._buffer.clear()
        if reset:
            try:
                self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
            except OSError:
                pass  # not a socket that can reset; a plain close it is
        self.socket.close()
        self._flow.stop()  # a failure to stop is logged there
        if later:
            self.reactor.callLater(0, self._tellLost, reason)
        else:
            self._tellLost(reason)

    def _tellLost(self, reason: Failure) -> None:
        try:
            self.protocol.connectionLost(reason)
        except Exception:
            log.exception("%s: connectionLost failed", self.logPrefix())
        self._closed(reason)

    def _closed(self, reason: Failure) -> None:
        """Hook for subclasses: runs after the protocol heard connectionLost."""

    # -- consumer -------------------------------------------------------

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Attach a producer; it is paused and resumed on the water marks."""
        if self._state is _CLOSED:
            producer.stopProducing()
            return
        self._ownFlow().register(producer, streaming, self._buffer.size)
        if not streaming:
            # Data is wanted right away; after that, whenever the buffer
            # has drained (doWrite asks).
            self._startWriting()
            producer.resumeProducing()

    def unregisterProducer(self) -> None:
        """Detach the producer; a pending close may now complete."""
        self._flow.unregister()
        if self._state is _CLOSED:
            return
        if not self._buffer.size:
            self._stopWriting()
            if self._state is not _CONNECTED:
                self._maybeFinish(later=True)

    @property
    def registeredProducer(self) -> tuple[Any, bool] | None:
        """``(producer, streaming)`` while a producer is registered, else None."""
        flow = self._flow
        if flow.producer is None:
            return None
        return flow.producer, flow.state is not _PULL

    def setWaterMarks(self, high: int | None = None, low: int | None = None) -> None:
        """Change when a registered push producer is paused and resumed."""
        self._ownFlow().setWaterMarks(high, low)

    def _ownFlow(self) -> _FlowControl:
        """This transport's own flow control, made on first need."""
        flow = self._flow
        if flow is _NO_FLOW:
            flow = self._flow = _FlowControl()
        return flow

    def getBufferSize(self) -> int:
        """How many written bytes wait for the kernel."""
        return self._buffer.size

    # -- producer (reading) ---------------------------------------------

    def pauseProducing(self) -> None:
        """Stop reading until ``resumeProducing``."""
        self._readPaused = True
        self._stopReading()

    def resumeProducing(self) -> None:
        """Read again after ``pauseProducing``."""
        self._readPaused = False
        if self._state.reading:
            self._startReading()

    def stopProducing(self) -> None:
        """Close the connection (the consumer of our bytes is gone)."""
        self.loseConnection()

    # -- addresses (the subclass knows its socket family) ------------------

    def getHost(self) -> Any:
        """The local address; each transport family supplies its own."""
        raise NotImplementedError(f"{type(self).__name__} must define getHost()")

    def getPeer(self) -> Any:
        """The remote address; each transport family supplies its own."""
        raise NotImplementedError(f"{type(self).__name__} must define getPeer()")

    # -- descriptor ------------------------------------------------------

    def fileno(self) -> int:
        """The socket's descriptor (-1 once closed)."""
        return self.socket.fileno()

    def getHandle(self) -> socket.socket:
        """The socket itself, for options plait does not wrap."""
        return self.socket

    def logPrefix(self) -> str:
        """Name used in log messages: the protocol's ``logPrefix()`` if it
        has one, else its class name."""
        protocol = self.protocol
        prefix = getattr(protocol, "logPrefix", None)
        if prefix is not None:
            try:
                return str(prefix())
            except Exception:
                log.exception("%s.logPrefix() failed", type(protocol).__name__)
        return type(protocol).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.logPrefix()} {self._state.name}>"
