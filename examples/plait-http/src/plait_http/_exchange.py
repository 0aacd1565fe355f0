"""One request and its response: the Protocol-level API of plait-http.

A connection answers its requests one after the other, in the order they
came; an :class:`Exchange` is handed to the request handler when its turn
comes, and only then may it write. The response is framed by the server:
``content-length`` when the length is known, chunked otherwise on
HTTP/1.1, and the end of the connection on HTTP/1.0.

The request body is held in a short queue. Once more than
:data:`BODY_HIGH_WATER` bytes wait unread, the connection stops reading
from its socket, and reads again when the handler has taken them, so a
handler that reads slowly slows the client down instead of filling memory.
"""

from __future__ import annotations

import enum
import logging
from collections import deque
from typing import TYPE_CHECKING, Any, Protocol

from plait.core import Deferred

from ._request import IncompleteBody, Request
from ._response import HeaderPairs, dateLine, encodeHeaders, statusLine

if TYPE_CHECKING:
    from ._channel import HTTPChannel

__all__ = ["BODY_HIGH_WATER", "BodyReceiver", "Exchange", "ExchangeState"]

log = logging.getLogger("plait_http")

BODY_HIGH_WATER = 64 * 1024
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_CLOSE = b"connection: close\r\n"
_KEEP_ALIVE = b"connection: keep-alive\r\n"
_CHUNKED = b"transfer-encoding: chunked\r\n"
_LAST_CHUNK = b"0\r\n\r\n"
_BODYLESS_STATUS = frozenset({204, 304})


class ExchangeState(enum.Enum):
    """Where one exchange stands."""

    WAITING = "parsed, waiting for its turn"
    ACTIVE = "the handler has it; nothing sent yet"
    SENDING = "the head is sent; the body is being written"
    DONE = "the response is complete"
    LOST = "the connection ended first"


_S = ExchangeState
_TRANSITIONS: dict[ExchangeState, frozenset[ExchangeState]] = {
    _S.WAITING: frozenset({_S.ACTIVE, _S.LOST}),
    _S.ACTIVE: frozenset({_S.SENDING, _S.DONE, _S.LOST}),
    _S.SENDING: frozenset({_S.DONE, _S.LOST}),
    _S.DONE: frozenset({_S.LOST}),
    _S.LOST: frozenset(),
}


class BodyReceiver(Protocol):
    """What :meth:`Exchange.deliverBody` feeds the request body to."""

    def dataReceived(self, data: bytes) -> None:
        """A chunk of the request body."""

    def bodyEnded(self, error: Exception | None) -> None:
        """The body is complete (*error* None) or was cut short."""


class Exchange:
    """One request (``request``) and the response the handler writes.

    Write the response with :meth:`respond` (all at once) or with
    :meth:`writeHead`, :meth:`write` and :meth:`finish`; a push producer
    registered with :meth:`registerProducer` is paused while the client is
    slow. Read the body with ``request.body`` (async) or
    :meth:`deliverBody` (callbacks); :meth:`pauseProducing` and
    :meth:`resumeProducing` hold its delivery back.
    """

    __slots__ = (
        "_bodyDone",
        "_bodyError",
        "_buffered",
        "_channel",
        "_chunked",
        "_chunks",
        "_closeAfter",
        "_continueSent",
        "_expectContinue",
        "_isHead",
        "_keepAliveHeader",
        "_receiver",
        "_receiverPaused",
        "_remaining",
        "_sendBody",
        "_state",
        "_waiter",
        "request",
    )

    def __init__(
        self,
        channel: HTTPChannel,
        method: bytes,
        target: bytes,
        version: str,
        headers: list[tuple[bytes, bytes]],
        keepAlive: bool,
        expectContinue: bool,
    ) -> None:
        self._channel = channel
        self.request = Request(method, target, version, headers, self)
        self._state = _S.WAITING
        self._closeAfter = not keepAlive
        # An HTTP/1.0 client that asked for keep-alive is told it got it.
        self._keepAliveHeader = keepAlive and version == "1.0"
        self._isHead = method == b"HEAD"
        self._expectContinue = expectContinue
        self._continueSent = False
        self._chunked = False
        self._remaining: int | None = None
        self._sendBody = True
        self._chunks: deque[bytes] | None = None
        self._buffered = 0
        self._bodyDone = False
        self._bodyError: Exception | None = None
        self._waiter: Deferred[bytes] | None = None
        self._receiver: BodyReceiver | None = None
        self._receiverPaused = False

    def __repr__(self) -> str:
        return f"<Exchange {self.request!r} {self._state.name}>"

    @property
    def state(self) -> ExchangeState:
        """Where this exchange stands."""
        return self._state

    def _start(self) -> None:
        """From the channel: this exchange's turn has come."""
        if self._state is not _S.WAITING:
            self._move(_S.ACTIVE)  # raises: only a waiting exchange starts
        self._state = _S.ACTIVE

    def _move(self, new: ExchangeState) -> None:
        if new not in _TRANSITIONS[self._state]:
            raise RuntimeError(
                f"an exchange cannot go from {self._state.name} to {new.name}"
            )
        self._state = new

    @property
    def transport(self) -> Any:
        """The connection's transport (for its addresses and socket options)."""
        return self._channel.transport

    # -- the response ------------------------------------------------------

    def _head(self, status: int, headers: HeaderPairs, length: int | None) -> bytes:
        """Check the state, choose the framing and build the head."""
        state = self._state
        if state is not _S.ACTIVE:
            if state is _S.LOST:
                return b""
            raise RuntimeError(f"the response head is sent already ({state.name})")
        line = statusLine(status)
        if status < 200:
            raise ValueError(f"{status} is an interim status; the server sends those")
        encoded = encodeHeaders(headers)
        close = self._closeAfter or encoded.close or self._channel.closingAfter(self)
        if not self._bodyDone and self._expectContinue and not self._continueSent:
            # The client waits for our word before sending the body; we
            # answer without it, so this connection cannot be reused.
            close = True
        if (
            length is not None
            and encoded.contentLength is None
            and status not in _BODYLESS_STATUS
        ):
            # The common case, a body of known length: everything after the
            # date line depends only on the headers, the length and the
            # connection's fate, and is kept with the encoded headers.
            self._sendBody = not self._isHead
            self._remaining = length
            if close:
                self._closeAfter = True
            return (
                line + dateLine() + encoded.tail(length, close, self._keepAliveHeader)
            )
        parts = [line, dateLine(), encoded.block]
        sendBody = not self._isHead and status not in _BODYLESS_STATUS
        self._sendBody = sendBody
        if status not in _BODYLESS_STATUS:
            declared = encoded.contentLength
            if declared is None and length is not None:
                declared = length
                parts.append(b"content-length: %d\r\n" % length)
            if declared is not None:
                self._remaining = declared
            elif sendBody:
                if self.request.version == "1.1":
                    self._chunked = True
                    parts.append(_CHUNKED)
                else:
                    close = True  # the end of the connection ends the body
        if close:
            self._closeAfter = True
            if not encoded.close:
                parts.append(_CLOSE)
        elif self._keepAliveHeader:
            parts.append(_KEEP_ALIVE)
        parts.append(b"\r\n")
        return b"".join(parts)

    @property
    def sendsBody(self) -> bool:
        """False once the head is sent for a response without a body (HEAD,
        204, 304): what :meth:`write` is given is then dropped."""
        return self._sendBody

    def respond(
        self, status: int, headers: HeaderPairs = (), body: bytes = b""
    ) -> None:
        """Send a whole response with a bytes body, in one write."""
        head = self._head(status, headers, len(body))
        if not head:
            return  # the connection is gone
        if self._sendBody:
            remaining = self._remaining
            if remaining is not None and remaining != len(body):
                raise ValueError(
                    f"content-length says {remaining} bytes, the body has {len(body)}"
                )
        else:
            body = b""
        self._state = _S.SENDING  # from ACTIVE, checked by _head
        transport = self._channel.transport
        if len(body) > 16384:
            transport.writeSequence((head, body))
        else:
            transport.write(head + body)
        self._remaining = None
        self._complete()

    def writeHead(self, status: int, headers: HeaderPairs = ()) -> None:
        """Send the status line and headers; the body follows with :meth:`write`.

        Without a ``content-length`` header the body is chunked (HTTP/1.1)
        or ends with the connection (HTTP/1.0).

        :raises RuntimeError: the head was sent already.
        :raises ValueError: a bad status or header (see :class:`Response`).
        """
        head = self._head(status, headers, None)
        if head:
            self._move(_S.SENDING)
            self._channel.transport.write(head)

    def write(self, data: bytes) -> None:
        """Send part of the body (nothing for HEAD, 204 and 304).

        :raises RuntimeError: before :meth:`writeHead` or after :meth:`finish`.
        :raises ValueError: more bytes than ``content-length`` declared.
        """
        if self._state is not _S.SENDING:
            if self._state is _S.LOST:
                return
            raise RuntimeError(f"write() needs a sent head ({self._state.name})")
        size = len(data)
        if not size or not self._sendBody:
            return  # HEAD, 204 and 304 have no body: it is dropped
        if self._chunked:
            self._channel.transport.writeSequence((b"%x\r\n" % size, data, b"\r\n"))
            return
        remaining = self._remaining
        if remaining is not None:
            if size > remaining:
                raise ValueError(
                    f"{size} more body bytes than content-length allows ({remaining})"
                )
            self._remaining = remaining - size
        self._channel.transport.write(data)

    def finish(self) -> None:
        """The response is complete; the next request on the connection goes on.

        A body shorter than its ``content-length`` cannot be completed: the
        connection is aborted, so the client sees the response was cut.
        """
        state = self._state
        if state is _S.LOST:
            return
        if state is not _S.SENDING:
            raise RuntimeError(f"finish() needs a sent head ({state.name})")
        if self._chunked:
            self._channel.transport.write(_LAST_CHUNK)
        elif self._sendBody and self._remaining:
            log.error(
                "%r: finished %d bytes short of its content-length; aborting",
                self,
                self._remaining,
            )
            self.abort()
            return
        self._complete()

    def _complete(self) -> None:
        # Only reached from SENDING, whose move to DONE is always legal: the
        # table lookup is skipped on this per-request path.
        self._state = _S.DONE
        self._channel._exchangeDone(self)

    def abort(self) -> None:
        """Drop the connection now, this response unfinished."""
        self._channel.transport.abortConnection()

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Feed the body from *producer*; it is paused while the client is slow."""
        self._channel.transport.registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        """Detach the producer given to :meth:`registerProducer`."""
        if self._state is not _S.LOST:
            self._channel.transport.unregisterProducer()

    # -- the request body -------------------------------------------------

    def deliverBody(self, receiver: BodyReceiver) -> None:
        """Give the request body to *receiver* as it arrives."""
        if self._receiver is not None:
            raise RuntimeError("the body is delivered to a receiver already")
        self._receiver = receiver
        self._wantBody()
        self._deliver()

    def pauseProducing(self) -> None:
        """Hold the body back from the receiver until :meth:`resumeProducing`."""
        self._receiverPaused = True

    def resumeProducing(self) -> None:
        """Deliver the body again."""
        self._receiverPaused = False
        self._deliver()

    def stopProducing(self) -> None:
        """The receiver wants no more of the body: the rest is dropped."""
        self._receiver = None
        self._drop()

    def _wantBody(self) -> None:
        if self._expectContinue and not self._continueSent and not self._bodyDone:
            self._continueSent = True
            if self._state is _S.ACTIVE:
                self._channel.transport.write(_CONTINUE)

    def _takeChunk(self) -> bytes | None:
        chunks = self._chunks
        if not chunks:
            self._wantBody()
            return None
        chunk = chunks.popleft()
        self._buffered -= len(chunk)
        if self._buffered < BODY_HIGH_WATER:
            self._channel._bodyDrained(self)
        return chunk

    def _waitForChunk(self) -> Deferred[bytes]:
        if self._waiter is not None:
            raise RuntimeError("the request body is being read already")
        waiter: Deferred[bytes] = Deferred()
        self._waiter = waiter
        return waiter

    def _bodyData(self, data: bytes) -> None:
        """From the channel: a chunk of this request's body arrived."""
        if self._state is _S.DONE:
            return  # answered already: the rest of the body is dropped
        chunks = self._chunks
        if chunks is None:
            chunks = self._chunks = deque()
        chunks.append(data)
        self._buffered += len(data)
        if self._buffered > BODY_HIGH_WATER:
            self._channel._bodyFull(self)

    def _bodyEnd(self, error: Exception | None) -> None:
        """From the channel: the body is complete, or failed with *error*."""
        if self._bodyDone or self._bodyError is not None:
            return
        if error is None:
            self._bodyDone = True
        else:
            self._bodyError = error

    def _deliver(self) -> None:
        """Hand what waits to the reader (after the parser is done with a read)."""
        waiter = self._waiter
        if waiter is not None:
            chunk = self._takeChunk()
            if chunk is not None:
                self._waiter = None
                waiter.callback(chunk)
            elif self._bodyError is not None:
                self._waiter = None
                waiter.errback(self._bodyError)
            elif self._bodyDone:
                self._waiter = None
                waiter.errback(StopAsyncIteration())
            return
        receiver = self._receiver
        if receiver is None:
            return
        while not self._receiverPaused and self._receiver is receiver:
            chunk = self._takeChunk()
            if chunk is None:
                break
            receiver.dataReceived(chunk)
        if self._receiverPaused or self._receiver is not receiver or self._chunks:
            return
        if self._bodyError is not None or self._bodyDone:
            self._receiver = None
            receiver.bodyEnded(self._bodyError)

    def _drop(self) -> None:
        """Forget what of the body is held."""
        self._chunks = None
        if self._buffered:
            self._buffered = 0
            self._channel._bodyDrained(self)

    def _lost(self, error: Exception) -> None:
        """From the channel: the connection has ended."""
        if self._state is not _S.LOST:
            self._move(_S.LOST)
        if not self._bodyDone and self._bodyError is None:
            self._bodyError = IncompleteBody(f"the connection ended: {error}")
        self._deliver()
