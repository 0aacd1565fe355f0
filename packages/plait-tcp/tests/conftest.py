"""Shared fixtures of plait-tcp's tests (all traffic stays on loopback).

- ``reactor``: a Reactor per available poller, with the installed
  extensions discovered through entry points (so plait-tcp's own); whatever
  a test leaves watched is closed afterwards, then the reactor.
- ``explicitReactor``: a Reactor given ``extensions=[TCPExtension]``.
- ``drive(reactor, deferred)``: iterate until the Deferred fires; return
  its result or raise its error; fail after a bound instead of hanging.
- ``until(reactor, condition)``: iterate until ``condition()`` is true.
- ``pair(reactor, server, client)``: two protocols connected over TCP.
- ``hangingAddress``: a loopback address where a new connection attempt
  never completes (a listener whose accept queue is full).
- ``ipv6``: "::1", or the test is skipped when it cannot be bound.
- ``certs``: a trustme CA with a server certificate for localhost,
  127.0.0.1 and ::1, and a client certificate.
- an fd-leak check around every test module.
"""

from __future__ import annotations

import gc
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from plait.core import Failure, Reactor, availablePollers
from plait.errors import ConnectionDone
from plait.tcp import TCPExtension

TIMEOUT = 15.0
_FD_DIR = "/proc/self/fd"


def _cleanUp(reactor: Reactor) -> None:
    for descriptor in reactor.removeAll():
        try:
            stop = getattr(descriptor, "stopListening", None)
            if stop is not None:
                stop()
            else:
                descriptor.connectionLost(Failure(ConnectionDone("test over")))
        except Exception:  # noqa: PERF203, S110  # best effort cleanup after a test
            pass
    for _ in range(3):
        reactor.iterate(0)
    reactor.close()


@pytest.fixture(params=availablePollers())
def reactor(request: pytest.FixtureRequest) -> Iterator[Reactor]:
    """A reactor over each poller, extensions found through entry points."""
    r = Reactor(poller=request.param)
    yield r
    _cleanUp(r)


@pytest.fixture
def explicitReactor() -> Iterator[Reactor]:
    """A reactor built with ``extensions=[TCPExtension]``, no discovery."""
    r = Reactor(extensions=[TCPExtension])
    yield r
    _cleanUp(r)


Drive = Callable[..., Any]
Until = Callable[..., None]


@pytest.fixture
def until() -> Until:
    """``until(reactor, condition, timeout=TIMEOUT)``."""

    def run(
        reactor: Reactor, condition: Callable[[], object], timeout: float = TIMEOUT
    ) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            reactor.iterate(0.01)

    return run


@pytest.fixture
def drive(until: Until) -> Drive:
    """``drive(reactor, deferred, timeout=TIMEOUT)`` -> result, or raises."""

    def run(reactor: Reactor, d: Any, timeout: float = TIMEOUT) -> Any:
        box: list[Any] = []
        d.addBoth(box.append)
        until(reactor, lambda: bool(box), timeout)
        result = box[0]
        if isinstance(result, Failure):
            raise result.value
        return result

    return run


Pair = Callable[..., tuple[Any, Any]]


@pytest.fixture
def pair(until: Until) -> Pair:
    """``pair(reactor, server, client, host="127.0.0.1")``: connect two
    protocol instances over loopback TCP; returns them once both are
    connected. The listening port is closed again at once."""

    def run(
        reactor: Reactor, server: Any, client: Any, host: str = "127.0.0.1"
    ) -> tuple[Any, Any]:
        from plait.core import ClientFactory, Factory

        serverFactory = Factory()
        serverFactory.buildProtocol = lambda addr: server  # type: ignore[method-assign]
        clientFactory = ClientFactory()
        clientFactory.buildProtocol = lambda addr: client  # type: ignore[method-assign]
        port = reactor.listenTCP(0, serverFactory, interface=host)
        reactor.connectTCP(host, port.getHost().port, clientFactory)
        until(
            reactor,
            lambda: server.transport is not None and client.transport is not None,
        )
        port.stopListening()
        return server, client

    return run


@pytest.fixture
def hangingAddress() -> Iterator[tuple[str, int]]:
    """127.0.0.1:port where connections hang: the accept queue is full."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    address = listener.getsockname()
    fillers = []
    try:
        for _ in range(16):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(address)
            fillers.append(s)
            probe = socket.socket()
            probe.settimeout(0.2)
            try:
                probe.connect(address)
            except TimeoutError:
                probe.close()
                break
            fillers.append(probe)
        yield address
    finally:
        for s in fillers:
            s.close()
        listener.close()


@pytest.fixture
def ipv6() -> str:
    """The IPv6 loopback address; the test is skipped where ::1 is unusable."""
    if not socket.has_ipv6:
        pytest.skip("this Python was built without IPv6 support")
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError as e:
        pytest.skip(f"the IPv6 loopback address ::1 cannot be bound here: {e}")
    return "::1"


@dataclass
class Certificates:
    """PEM bytes of a test CA and of identities it issued."""

    ca: bytes
    serverChain: bytes
    serverKey: bytes
    clientChain: bytes
    clientKey: bytes
    authority: Any


@pytest.fixture(scope="session")
def certs() -> Certificates:
    """A trustme CA, a localhost/127.0.0.1/::1 server and a client identity."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server = ca.issue_cert("localhost", "127.0.0.1", "::1")
    client = ca.issue_cert("client@example.test")
    return Certificates(
        ca=ca.cert_pem.bytes(),
        serverChain=b"".join(p.bytes() for p in server.cert_chain_pems),
        serverKey=server.private_key_pem.bytes(),
        clientChain=b"".join(p.bytes() for p in client.cert_chain_pems),
        clientKey=client.private_key_pem.bytes(),
        authority=ca,
    )


def _openFds() -> dict[str, str]:
    fds = {}
    for name in os.listdir(_FD_DIR):
        try:
            fds[name] = os.readlink(os.path.join(_FD_DIR, name))
        except OSError:  # noqa: PERF203
            pass  # the fd of the listing itself, already closed
    return fds


@pytest.fixture(scope="module", autouse=True)
def _noFdLeaks() -> Iterator[None]:
    """Fail a test module that leaves file descriptors open."""
    if not os.path.isdir(_FD_DIR):
        yield
        return
    gc.collect()
    before = _openFds()
    yield
    gc.collect()
    after = _openFds()
    leaked = {fd: t for fd, t in after.items() if before.get(fd) != t}
    # Worker threads of the resolver pool may hold an eventfd or pipe; only
    # sockets count as leaks here.
    leaked = {fd: t for fd, t in leaked.items() if t.startswith("socket:")}
    assert not leaked, f"sockets leaked by this module: {leaked}"
