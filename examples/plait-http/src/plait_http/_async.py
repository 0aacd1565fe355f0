"""The async API: ``async def handler(request) -> Response`` on top of exchanges.

A handler that returns without waiting on anything (the common case: it
builds a response from the request) is stepped by hand, once, and costs
no Deferred; one that waits is handed to plait's coroutine driver from
where it stopped. A streamed body is read by a coroutine that the
transport pauses and resumes like any push producer, so a client that
reads slowly holds the handler's iterator still instead of filling memory.

A handler that raises gets a 500 with nothing of the exception in it; the
exception is logged once, here. A body the client cut short or malformed
(:class:`IncompleteBody`) is the client's fault: it gets a 400, unlogged.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator
from http import HTTPStatus
from types import CoroutineType
from typing import Any

from plait.core import Deferred, Failure, ensureDeferred

from ._exchange import Exchange, ExchangeState
from ._request import IncompleteBody, Request
from ._response import Response

__all__ = ["AsyncHandler", "Handler"]

log = logging.getLogger("plait_http")

#: An async handler: takes a request, returns a response.
Handler = Callable[[Request], Awaitable[Response]]

_TEXT = ((b"content-type", b"text/plain; charset=utf-8"),)
_ACTIVE = ExchangeState.ACTIVE
_SENDING = ExchangeState.SENDING


class _Started:
    """An awaitable that carries on a coroutine already stepped once.

    The first step gave ``yielded`` (a Deferred the coroutine waits on);
    from there every result or error is passed through to the coroutine.
    """

    __slots__ = ("_coro", "_yielded")

    def __init__(self, coro: Coroutine[Any, Any, Any], yielded: Any) -> None:
        self._coro = coro
        self._yielded = yielded

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, yielded = self._coro, self._yielded
        while True:
            try:
                sent = yield yielded
            except GeneratorExit:  # noqa: PERF203  # closed while waiting
                coro.close()
                raise
            except BaseException as error:  # thrown in by the driver
                try:
                    yielded = coro.throw(error)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    yielded = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


class _Pump:
    """The push producer behind a streamed body: pause and resume flags."""

    __slots__ = ("_waiter", "paused", "stopped")

    def __init__(self) -> None:
        self.paused = False
        self.stopped = False
        self._waiter: Deferred[None] | None = None

    def wait(self) -> Deferred[None]:
        """A Deferred that fires when the pump may go on."""
        waiter: Deferred[None] = Deferred()
        self._waiter = waiter
        return waiter

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            waiter.callback(None)

    def pauseProducing(self) -> None:
        """The transport is full: stop after the current chunk."""
        self.paused = True

    def resumeProducing(self) -> None:
        """The transport has room: read the iterator again."""
        self.paused = False
        self._wake()

    def stopProducing(self) -> None:
        """The connection is gone: stop reading the iterator."""
        self.stopped = True
        self._wake()


async def _stream(
    exchange: Exchange, iterator: AsyncIterator[bytes], pump: _Pump
) -> None:
    try:
        while not pump.stopped:
            try:
                chunk = await iterator.__anext__()
            except StopAsyncIteration:
                break
            exchange.write(chunk)
            if pump.paused and not pump.stopped:
                await pump.wait()
    finally:
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()


class AsyncHandler:
    """Serves each exchange with an async handler (see :func:`serve`)."""

    __slots__ = ("handler",)

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    def requestReceived(self, exchange: Exchange) -> None:
        """Run the handler for *exchange* and send what it returns."""
        try:
            result: Any = self.handler(exchange.request)
            if type(result) is Response:
                self._answer(exchange, result)
                return
            if type(result) is not CoroutineType and not isinstance(result, Coroutine):
                if not isinstance(result, Awaitable):
                    raise TypeError(
                        f"the handler returned {result!r}: it must be an async "
                        "function returning a plait_http.Response"
                    )
                ensureDeferred(result).addBoth(self._settle, exchange)
                return
            yielded = result.send(None)
        except StopIteration as stop:
            self._answer(exchange, stop.value)
            return
        except Exception as error:
            self._failed(exchange, error)
            return
        ensureDeferred(_Started(result, yielded)).addBoth(self._settle, exchange)

    def _settle(self, outcome: Any, exchange: Exchange) -> None:
        if isinstance(outcome, Failure):
            if isinstance(outcome.value, Exception):
                self._failed(exchange, outcome.value)
                return
            outcome.raiseException()
        self._answer(exchange, outcome)

    def _answer(self, exchange: Exchange, response: Any) -> None:
        if type(response) is not Response and not isinstance(response, Response):
            self._failed(
                exchange,
                TypeError(f"the handler returned {response!r}, not a Response"),
            )
            return
        body = response.body
        try:
            if isinstance(body, bytes):
                exchange.respond(response.status, response.headers, body)
                return
            if isinstance(body, (bytearray, memoryview)):
                exchange.respond(response.status, response.headers, bytes(body))
                return
            if not hasattr(body, "__aiter__"):
                raise TypeError(
                    f"a response body is bytes or an async iterator, not {body!r}"
                )
            exchange.writeHead(response.status, response.headers)
        except Exception as error:
            self._failed(exchange, error)
            return
        if exchange.state is not _SENDING:
            return  # the connection is gone
        iterator = body.__aiter__()
        if not exchange.sendsBody:
            # HEAD, 204, 304: the body is never read, only closed.
            close = getattr(iterator, "aclose", None)
            if close is not None:
                ensureDeferred(close()).addErrback(self._closeFailed, exchange)
            exchange.finish()
            return
        pump = _Pump()
        exchange.registerProducer(pump, True)
        ensureDeferred(_stream(exchange, iterator, pump)).addBoth(
            self._streamed, exchange
        )

    def _closeFailed(self, failure: Failure, exchange: Exchange) -> None:
        log.error(
            "%r: closing the unread body failed",
            exchange,
            exc_info=(type(failure.value), failure.value, failure.tb),
        )

    def _streamed(self, outcome: Any, exchange: Exchange) -> None:
        if isinstance(outcome, Failure):
            self._failed(exchange, outcome.value)
            return
        exchange.unregisterProducer()
        exchange.finish()

    def _failed(self, exchange: Exchange, error: BaseException) -> None:
        if isinstance(error, IncompleteBody):
            status = HTTPStatus.BAD_REQUEST
            log.debug("%r: the request body was incomplete: %s", exchange, error)
        else:
            status = HTTPStatus.INTERNAL_SERVER_ERROR
            log.error(
                "%r: the handler failed",
                exchange,
                exc_info=(type(error), error, error.__traceback__),
            )
        state = exchange.state
        if state is _ACTIVE:
            exchange.respond(status.value, _TEXT, status.phrase.encode())
        elif state is _SENDING:
            exchange.abort()
