"""Serving: the factory of HTTP connections, ``serve()`` and graceful stop."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from plait.core import Deferred, ServerFactory, serverFromString

from ._async import AsyncHandler, Handler
from ._channel import HTTPChannel
from ._exchange import Exchange

__all__ = ["HTTPFactory", "RequestHandler", "Server", "serve"]

log = logging.getLogger("plait_http")


class RequestHandler(Protocol):
    """The Protocol-level handler: called once per request, in order."""

    def requestReceived(self, exchange: Exchange) -> None:
        """Answer *exchange* (now or later) with its response methods."""


class _Timer(Protocol):
    def cancel(self) -> None: ...
    def active(self) -> bool: ...


class Clock(Protocol):
    """The time source of deadlines: a reactor, or ``plait.core.Clock``."""

    def seconds(self) -> float: ...
    def callLater(self, delay: float, callable: Any, *args: Any) -> Any: ...


class HTTPFactory(ServerFactory):
    """Builds an :class:`HTTPChannel` per connection and keeps track of them.

    :param clock: the reactor (or a ``plait.core.Clock`` in tests) whose
        ``callLater`` times the deadlines.
    :param handler: an async function ``handler(request) -> Response``, or
        an object with ``requestReceived(exchange)``.
    :param idleTimeout: seconds a kept-alive connection may wait for its
        next request.
    :param headerTimeout: seconds a client has to send a request head once
        it has started it (or once it has connected).
    :param maxHeaderBytes: the most bytes of request line and headers;
        more is answered with 431.
    :param pipelineDepth: pipelined requests queued before the connection
        stops reading.
    """

    def __init__(
        self,
        clock: Clock,
        handler: Handler | RequestHandler,
        *,
        idleTimeout: float = 15.0,
        headerTimeout: float = 20.0,
        maxHeaderBytes: int = 64 * 1024,
        pipelineDepth: int = 16,
    ) -> None:
        if idleTimeout <= 0 or headerTimeout <= 0:
            raise ValueError("the timeouts must be positive")
        if maxHeaderBytes < 1024 or pipelineDepth < 1:
            raise ValueError("maxHeaderBytes needs 1024 or more, pipelineDepth 1")
        requestReceived = getattr(handler, "requestReceived", None)
        if callable(requestReceived):
            self.handler: RequestHandler = handler  # type: ignore[assignment]
        elif callable(handler):
            self.handler = AsyncHandler(handler)
        else:
            raise TypeError(f"{handler!r} is neither callable nor a RequestHandler")
        self.clock = clock
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.maxHeaderBytes = maxHeaderBytes
        self.pipelineDepth = pipelineDepth
        self.channels: set[HTTPChannel] = set()
        self._allClosed: list[Deferred[None]] = []

    def buildProtocol(self, addr: Any) -> HTTPChannel:
        """A new channel for one connection."""
        channel = HTTPChannel(self)
        channel.factory = self
        return channel

    def _channelOpened(self, channel: HTTPChannel) -> None:
        self.channels.add(channel)

    def _channelClosed(self, channel: HTTPChannel) -> None:
        self.channels.discard(channel)
        if not self.channels:
            waiting, self._allClosed = self._allClosed, []
            for d in waiting:
                d.callback(None)

    def stopGracefully(self, grace: float) -> Deferred[None]:
        """Let every connection answer what it has, then close; abort the
        ones still open after *grace* seconds. Fires once all are closed."""
        done: Deferred[None] = Deferred()
        if not self.channels:
            done.callback(None)
            return done
        self._allClosed.append(done)
        for channel in list(self.channels):
            channel.stopGracefully()
        timer = self.clock.callLater(grace, self._abortAll)
        done.addBoth(_cancelling, timer)
        return done

    def _abortAll(self) -> None:
        if self.channels:
            log.warning(
                "%d connection(s) still busy after the grace period: aborted",
                len(self.channels),
            )
        for channel in list(self.channels):
            channel.transport.abortConnection()


def _cancelling(result: Any, timer: _Timer) -> Any:
    if timer.active():
        timer.cancel()
    return result


class Server:
    """A listening HTTP server: its ``port`` and :meth:`stop`."""

    def __init__(self, port: Any, factory: HTTPFactory) -> None:
        self.port = port
        self.factory = factory

    def stop(self, grace: float = 10.0) -> Deferred[None]:
        """Stop accepting, let requests in flight finish within *grace*
        seconds, then close every connection. Fires when all are closed."""
        stopped = self.port.stopListening()
        closed = self.factory.stopGracefully(grace)
        if isinstance(stopped, Deferred):
            closed.addCallback(lambda _: stopped)
        return closed


def serve(
    reactor: Any,
    endpoint: str,
    handler: Handler | RequestHandler,
    **options: Any,
) -> Deferred[Server]:
    """Listen on *endpoint* (such as ``"tcp:8080"``) and answer with *handler*.

    *handler* is an async function ``handler(request) -> Response`` or an
    object with ``requestReceived(exchange)``; *options* go to
    :class:`HTTPFactory`. The Deferred fires with the :class:`Server` once
    it listens.
    """
    factory = HTTPFactory(reactor, handler, **options)
    listening: Deferred[Any] = serverFromString(reactor, endpoint).listen(factory)
    return listening.addCallback(Server, factory)
