"""Shared fixtures of plait-http's tests.

- ``app``: the async handler most tests serve (routes by path, below).
- ``memory``: a channel over a StringTransport with a fake clock, for
  deterministic tests of timers, flow control and framing.
- ``live``: a real server on loopback, its reactor in a thread, for real
  clients (http.client, curl, raw sockets), once for each poller.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from plait.core import Clock, Deferred, Reactor, availablePollers
from plait.core.testing import StringTransportWithDisconnection
from plait_http import HTTPChannel, HTTPFactory, Request, Response, Server, serve

TEXT = ((b"content-type", b"text/plain"),)


@dataclass
class Recorder:
    """What the test app saw, for the tests to read."""

    produced: int = 0
    streamClosed: bool = False
    released: list[Deferred[None]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)


def makeApp(seen: Recorder) -> Any:
    async def app(request: Request) -> Response:
        path, _, query = request.target.partition(b"?")
        if path == b"/hello":
            return Response(200, TEXT, b"Hello, world!")
        if path == b"/echo":
            body = await request.body.read()
            return Response(200, TEXT, body)
        if path == b"/count":
            size = 0
            async for chunk in request.body:
                size += len(chunk)
            return Response(200, TEXT, str(size).encode())
        if path == b"/target":
            return Response(200, TEXT, request.target)
        if path == b"/boom":
            raise RuntimeError("secret detail of the failure")
        if path == b"/wait":
            gate = Deferred[None]()
            seen.released.append(gate)
            await gate
            return Response(200, TEXT, b"released")
        if path == b"/hold":
            seen.requests.append(request)
            gate = Deferred()
            seen.released.append(gate)
            await gate
            size = 0
            async for chunk in request.body:
                size += len(chunk)
            return Response(200, TEXT, str(size).encode())
        if path == b"/stream":
            total = int(query or b"0")
            return Response(200, TEXT, stream(seen, total))
        if path == b"/nobody":
            return Response(204, (), b"")
        return Response(404, TEXT, b"not found")

    return app


async def stream(seen: Recorder, total: int) -> AsyncIterator[bytes]:
    block = b"x" * 65536
    try:
        while seen.produced < total:
            piece = block[: total - seen.produced]
            seen.produced += len(piece)
            yield piece
    finally:
        seen.streamClosed = True


@pytest.fixture
def recorder() -> Recorder:
    """What the test app records."""
    return Recorder()


@pytest.fixture
def app(recorder: Recorder) -> Any:
    """The async handler the tests serve."""
    return makeApp(recorder)


@dataclass
class Memory:
    """A channel, its StringTransport and the fake clock its timers use."""

    clock: Clock
    factory: HTTPFactory
    channel: HTTPChannel
    transport: StringTransportWithDisconnection

    def send(self, data: bytes) -> None:
        self.channel.dataReceived(data)

    def take(self) -> bytes:
        out = self.transport.value()
        self.transport.clear()
        return out


def memoryChannel(handler: Any, **options: Any) -> Memory:
    clock = Clock()
    factory = HTTPFactory(clock, handler, **options)
    channel = factory.buildProtocol(None)
    transport = StringTransportWithDisconnection()
    transport.protocol = channel
    channel.makeConnection(transport)
    return Memory(clock, factory, channel, transport)


@pytest.fixture
def makeMemory() -> Any:
    """``makeMemory(handler, **options)``: a handler on a channel over memory."""
    return memoryChannel


@pytest.fixture
def memory(app: Any) -> Memory:
    """The test app on a channel over memory, with a fake clock."""
    return memoryChannel(app)


class LiveServer:
    """A real plait-http server on 127.0.0.1, its reactor in a thread."""

    def __init__(self, handler: Any, poller: str | None = None, **options: Any):
        self.reactor = Reactor(poller, installSignalHandlers=False)
        self.server: Server | None = None
        self._ready = threading.Event()
        self._error: Any = None

        def start() -> None:
            d = serve(self.reactor, "tcp:0:interface=127.0.0.1", handler, **options)
            d.addCallbacks(self._listening, self._failed)

        self.reactor.callWhenRunning(start)
        self._thread = threading.Thread(target=self.reactor.run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or self.server is None:
            raise RuntimeError(f"the server did not start: {self._error}")
        self.port: int = self.server.port.getHost().port

    def _listening(self, server: Server) -> None:
        self.server = server
        self._ready.set()

    def _failed(self, failure: Any) -> None:
        self._error = failure
        self._ready.set()

    def call(self, f: Any, *args: Any) -> Any:
        """Run ``f(*args)`` in the reactor thread and return its result."""
        box: list[Any] = []
        done = threading.Event()

        def run() -> None:
            try:
                box.append(f(*args))
            finally:
                done.set()

        self.reactor.callFromThread(run)
        assert done.wait(10), "the reactor did not answer"
        return box[0] if box else None

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def close(self) -> None:
        self.reactor.callFromThread(self.reactor.stop)
        self._thread.join(10)
        self.reactor.close()


@pytest.fixture(params=availablePollers())
def live(request: pytest.FixtureRequest, app: Any) -> Iterator[LiveServer]:
    """The test app served on loopback by a reactor in a thread, once for
    each poller."""
    server = LiveServer(app, poller=request.param)
    yield server
    server.close()
