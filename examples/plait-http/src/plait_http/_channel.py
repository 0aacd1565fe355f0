"""One HTTP/1.1 connection: httptools parses, exchanges answer in order.

Facts that shaped this module:

- httptools calls back once per piece of a message; the callbacks only
  record. Handlers run after ``feed_data`` has returned, so no handler
  ever runs inside the parser, and a handler that closes the connection
  cannot pull the parser's state away under it.
- Pipelined requests are queued and answered one after the other. Only
  the head of the queue may write, so responses leave in request order.
  A client that pipelines more than ``pipelineDepth`` requests is no
  longer read from until the queue shrinks.
- One timer a connection. Deadlines move on every request (a new head
  must arrive within ``headerTimeout``, an idle connection is closed after
  ``idleTimeout``) but the timer is only rescheduled when it fires early,
  so the hot path costs a clock reading and a comparison, not a heap
  operation.
- Errors a client makes get an answer and end the connection: a
  malformed request is a 400, headers over ``maxHeaderBytes`` a 431, a
  head that arrives too slowly a 408.
"""

from __future__ import annotations

import logging
from collections import deque
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from httptools import (
    HttpParserCallbackError,
    HttpParserError,
    HttpParserUpgrade,
    HttpRequestParser,
)

from plait.core import Protocol

from ._exchange import Exchange, ExchangeState
from ._request import IncompleteBody
from ._response import dateLine, statusLine

if TYPE_CHECKING:
    from ._server import HTTPFactory

__all__ = ["HTTPChannel"]

log = logging.getLogger("plait_http")

# Why reading is paused; reading resumes when no reason is left.
_PIPELINE = 1
_BODY = 2
_STOP = 4
#: Slack for the raw-byte guard on heads: one read may hold the end of the
#: previous message.
_READ_SLACK = 64 * 1024
_ACTIVE = ExchangeState.ACTIVE


class _HeadersTooLarge(Exception):
    """Raised inside a parser callback: the head is over the limit."""


class _StopParsing(Exception):
    """Raised inside a parser callback: no further request is read."""


class HTTPChannel(Protocol):
    """The protocol of one HTTP connection, built by :class:`HTTPFactory`."""

    def __init__(self, factory: HTTPFactory) -> None:
        self._factory = factory
        self._handler = factory.handler
        self._clock = factory.clock
        self._maxHeaderBytes = factory.maxHeaderBytes
        self._pipelineDepth = factory.pipelineDepth
        self._parser = HttpRequestParser(self)
        self._queue: deque[Exchange] = deque()
        self._active: Exchange | None = None
        self._current: Exchange | None = None  # the one whose body is arriving
        self._notify: Exchange | None = None
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._expect = False
        self._headerBytes = 0
        self._rawHead = 0
        self._inHead = False
        self._closing = False  # answer what is queued, then close
        self._ignoring = False  # read nothing more
        self._stopAfterMessage = False
        self._pendingError: int | None = None
        self._paused = 0
        self._dispatching = False
        self._deadline: float | None = None
        self._timer: Any = None
        self._timerAt = 0.0

    # -- connection --------------------------------------------------------

    def connectionMade(self) -> None:
        """Register with the factory; the first head is due within headerTimeout."""
        self._factory._channelOpened(self)
        try:
            self.transport.setTcpNoDelay(True)
        except (AttributeError, OSError):
            pass  # not a TCP transport
        self._arm(self._factory.headerTimeout)

    def connectionLost(self, reason: Any) -> None:
        """Tell every exchange of this connection that it is gone."""
        self._ignoring = True
        self._deadline = None
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()
        error = reason.value if isinstance(reason.value, Exception) else Exception()
        seen: list[Exchange] = []
        for exchange in (self._active, self._current, *self._queue):
            if exchange is not None and exchange not in seen:
                seen.append(exchange)
                exchange._lost(error)
        self._queue.clear()
        self._active = self._current = None
        self._factory._channelClosed(self)

    # -- parser callbacks --------------------------------------------------

    def on_message_begin(self) -> None:
        """httptools: a request starts; its head is due within headerTimeout."""
        if self._ignoring or self._stopAfterMessage:
            raise _StopParsing()
        self._inHead = True
        self._url = b""
        self._headers = []
        self._expect = False
        self._headerBytes = 0
        self._rawHead = 0
        self._arm(self._factory.headerTimeout)

    def on_url(self, url: bytes) -> None:
        """httptools: (part of) the request target."""
        self._url = self._url + url if self._url else url
        self._headerBytes += len(url)
        if self._headerBytes > self._maxHeaderBytes:
            raise _HeadersTooLarge()

    def on_header(self, name: bytes, value: bytes) -> None:
        """httptools: one header, whole."""
        size = self._headerBytes + len(name) + len(value) + 4
        self._headerBytes = size
        if size > self._maxHeaderBytes:
            raise _HeadersTooLarge()
        name = name.lower()
        if name == b"expect" and value.strip().lower() == b"100-continue":
            self._expect = True
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        """httptools: the head is complete; queue its exchange."""
        parser = self._parser
        self._inHead = False
        self._deadline = None
        version = parser.get_http_version()
        exchange = Exchange(
            self,
            parser.get_method(),
            self._url,
            version,
            self._headers,
            parser.should_keep_alive(),
            self._expect and version == "1.1",
        )
        self._current = exchange
        queue = self._queue
        queue.append(exchange)
        if len(queue) > self._pipelineDepth:
            self._pause(_PIPELINE)

    def on_body(self, body: bytes) -> None:
        """httptools: a piece of the body (chunk framing removed)."""
        exchange = self._current
        if exchange is not None:
            exchange._bodyData(body)
            self._notify = exchange

    def on_message_complete(self) -> None:
        """httptools: the request is complete, body included."""
        exchange = self._current
        if exchange is None:
            return
        self._current = None
        exchange._bodyEnd(None)
        self._notify = exchange
        if exchange._closeAfter or self._stopAfterMessage:
            # Nothing after this request is read (Connection: close, or
            # the server is stopping).
            self._stopReading()

    # -- input -------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        """Parse *data*, then deliver body chunks and start waiting exchanges."""
        if self._ignoring:
            return
        try:
            self._parser.feed_data(data)
        except HttpParserCallbackError as e:
            cause = e.__context__
            if isinstance(cause, _HeadersTooLarge):
                self._reject(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
            elif not isinstance(cause, _StopParsing):
                raise
        except HttpParserUpgrade:
            # A protocol switch this server does not make: the request is
            # answered as a plain one, and nothing after it is read.
            self._stopReading()
        except HttpParserError as e:
            log.debug("%s: malformed request: %s", self.logPrefix(), e)
            self._reject(HTTPStatus.BAD_REQUEST)
        else:
            if self._inHead:
                self._rawHead += len(data)
                if self._rawHead > self._maxHeaderBytes + _READ_SLACK:
                    self._reject(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
        notify = self._notify
        if notify is not None:
            self._notify = None
            notify._deliver()
        if self._active is None:
            self._startNext()

    def _stopReading(self) -> None:
        self._ignoring = True
        self._closing = True
        self._pause(_STOP)

    def _reject(self, status: HTTPStatus) -> None:
        """The client sent something we cannot read: answer it, then close."""
        self._stopReading()
        self._inHead = False
        exchange = self._current
        if exchange is not None:
            # The body was cut short by bad framing; the handler hears it.
            self._current = None
            exchange._bodyEnd(IncompleteBody(f"malformed request body ({status})"))
            self._notify = exchange
        else:
            self._pendingError = status.value

    # -- answering in order ------------------------------------------------

    def _startNext(self) -> None:
        if self._dispatching:
            return
        self._dispatching = True
        try:
            queue = self._queue
            while self._active is None and queue:
                exchange = queue.popleft()
                if self._paused & _PIPELINE and len(queue) <= self._pipelineDepth:
                    self._resume(_PIPELINE)
                self._active = exchange
                exchange._start()
                try:
                    self._handler.requestReceived(exchange)
                except Exception:
                    log.exception("%r: the request handler failed", exchange)
                    self._handlerFailed(exchange)
            if self._active is None and not queue and self.connected:
                self._idle()
        finally:
            self._dispatching = False

    def _handlerFailed(self, exchange: Exchange) -> None:
        state = exchange.state
        if state is _ACTIVE:
            status = HTTPStatus.INTERNAL_SERVER_ERROR
            exchange.respond(
                status.value,
                ((b"content-type", b"text/plain; charset=utf-8"),),
                status.phrase.encode(),
            )
        elif state is ExchangeState.SENDING:
            exchange.abort()

    def _idle(self) -> None:
        """Nothing is queued: close, answer a pending error, or wait."""
        status = self._pendingError
        if status is not None:
            self._pendingError = None
            self._writeError(status)
        elif self._closing:
            if self._current is None:
                self.transport.loseConnection()
        elif not self._inHead:
            self._arm(self._factory.idleTimeout)

    def _writeError(self, status: int) -> None:
        body = HTTPStatus(status).phrase.encode()
        self.transport.write(
            b"".join(
                (
                    statusLine(status),
                    dateLine(),
                    b"content-type: text/plain; charset=utf-8\r\n",
                    b"content-length: %d\r\n" % len(body),
                    b"connection: close\r\n\r\n",
                    body,
                )
            )
        )
        self.transport.loseConnection()

    def closingAfter(self, exchange: Exchange) -> bool:
        """Whether *exchange* is the last one this connection answers (an
        error answer still to come after it is the last one, then)."""
        return self._closing and not self._queue and self._pendingError is None

    def _exchangeDone(self, exchange: Exchange) -> None:
        """From an exchange: its response is complete."""
        if self._active is exchange:
            self._active = None
        if exchange._closeAfter:
            self._stopReading()
            if self._current is exchange:
                self._current = None  # its body will never be read
        exchange._drop()
        if not self._dispatching:
            self._startNext()

    # -- flow control of the request side ----------------------------------

    def _pause(self, reason: int) -> None:
        if not self._paused:
            self.transport.pauseProducing()
        self._paused |= reason

    def _resume(self, reason: int) -> None:
        if self._paused & reason:
            self._paused &= ~reason
            if not self._paused:
                self.transport.resumeProducing()

    def _bodyFull(self, exchange: Exchange) -> None:
        self._pause(_BODY)

    def _bodyDrained(self, exchange: Exchange) -> None:
        self._resume(_BODY)

    # -- deadlines ---------------------------------------------------------

    def _arm(self, seconds: float) -> None:
        clock = self._clock
        deadline = clock.seconds() + seconds
        self._deadline = deadline
        if self._timer is None:
            self._timer = clock.callLater(seconds, self._onTimer)
            self._timerAt = deadline
        elif self._timerAt > deadline:
            self._timer.reset(seconds)
            self._timerAt = deadline

    def _onTimer(self) -> None:
        self._timer = None
        deadline = self._deadline
        if deadline is None or not self.connected:
            return
        now = self._clock.seconds()
        if now < deadline:
            self._timer = self._clock.callLater(deadline - now, self._onTimer)
            self._timerAt = deadline
            return
        self._deadline = None
        inHead = self._inHead
        self._stopReading()
        if self._active is not None or self._queue:
            return  # the queued answers go out first, then the connection closes
        if inHead:
            log.debug("%s: the request head came too slowly", self.logPrefix())
            self._inHead = False
            self._writeError(HTTPStatus.REQUEST_TIMEOUT.value)
        else:
            self.transport.loseConnection()

    # -- stopping ----------------------------------------------------------

    def stopGracefully(self) -> None:
        """Answer the requests received so far, then close; read no new ones."""
        self._closing = True
        if self._current is not None:
            self._stopAfterMessage = True  # a body is arriving: let it finish
        else:
            self._stopReading()
        if self._active is None and not self._queue and self._current is None:
            self._inHead = False
            self.transport.loseConnection()

    def logPrefix(self) -> str:
        """The name of this connection in log messages."""
        return "HTTPChannel"
