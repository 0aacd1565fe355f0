"""Every step of a TCP connection attempt that can fail reaches the factory
once, with the real error, after connectTCP has returned; the connector is
then disconnected and connect() tries again."""

from __future__ import annotations

import errno
import os
import resource
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from zope.interface import implementer

from plait.core import ClientFactory, Factory, Protocol, Reactor
from plait.core import ConnectorState as State
from plait.errors import ConnectBindError, ConnectError, DNSLookupError, NoRouteError
from plait.interfaces import IResolverSimple
from plait.tcp import TCPExtension


class Events(ClientFactory):
    """Records what the connector tells the factory."""

    protocol = Protocol

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def startedConnecting(self, connector: Any) -> None:
        self.events.append(("started", None))

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        self.events.append(("failed", reason))

    def clientConnectionLost(self, connector: Any, reason: Any) -> None:
        self.events.append(("lost", reason))

    def kinds(self) -> list[str]:
        return [k for k, _ in self.events]


@contextmanager
def noDescriptorsLeft() -> Iterator[None]:
    """The process is at its descriptor limit until the block ends."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    opened = len(os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (opened + 32, hard))
    fillers: list[int] = []
    try:
        with pytest.raises(OSError) as full:  # fill up to the limit
            while True:
                fillers.append(os.open(os.devnull, os.O_RDONLY))
        assert full.value.errno == errno.EMFILE
        yield
    finally:
        for fd in fillers:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture
def clocked() -> Iterator[tuple[Reactor, list[float]]]:
    """A reactor with plait-tcp whose clock the test moves."""
    now = [1000.0]
    r = Reactor(extensions=[TCPExtension], _clock=lambda: now[0])
    yield r, now
    r.close()


@pytest.mark.parametrize("timeout", [2, None])
def test_socket_creation_failure_is_reported_once(
    clocked: tuple[Reactor, list[float]], timeout: float | None
) -> None:
    """Out of descriptors, connectTCP returns; the factory hears EMFILE once,
    no timeout follows, and the connector can connect again."""
    r, now = clocked
    listener = r.listenTCP(0, Factory.forProtocol(Protocol), interface="127.0.0.1")
    port = listener.getHost().port
    factory = Events()
    with noDescriptorsLeft():
        connector = r.connectTCP("127.0.0.1", port, factory, timeout=timeout)
        assert factory.kinds() == ["started"]
        r.iterate(0)
    assert factory.kinds() == ["started", "failed"]
    reason = factory.events[1][1]
    assert reason.check(ConnectError)
    assert reason.value.osError == errno.EMFILE
    assert connector.state is State.DISCONNECTED
    now[0] += 5
    r.iterate(0)
    assert factory.kinds() == ["started", "failed"]
    connector.connect()
    for _ in range(50):
        if connector.transport is not None:
            break
        r.iterate(0.01)
    assert connector.state is State.CONNECTED
    connector.disconnect()
    for _ in range(50):
        if "lost" in factory.kinds():
            break
        r.iterate(0.01)
    assert factory.kinds() == ["started", "failed", "started", "lost"]
    listener.stopListening()


def test_bind_failure_is_reported_once(clocked: tuple[Reactor, list[float]]) -> None:
    """A bindAddress the host does not have fails once, on a later turn."""
    r, now = clocked
    factory = Events()
    connector = r.connectTCP(
        "127.0.0.1", 9, factory, timeout=2, bindAddress=("192.0.2.1", 0)
    )
    assert factory.kinds() == ["started"]
    r.iterate(0)
    now[0] += 5
    r.iterate(0)
    assert factory.kinds() == ["started", "failed"]
    assert factory.events[1][1].check(ConnectBindError)
    assert connector.state is State.DISCONNECTED


def test_connect_call_failure_is_reported_once(
    clocked: tuple[Reactor, list[float]],
) -> None:
    """A connect the kernel refuses at once (no route) fails once, later."""
    r, now = clocked
    factory = Events()
    connector = r.connectTCP("255.255.255.255", 9, factory, timeout=2)
    assert factory.kinds() == ["started"]
    r.iterate(0)
    now[0] += 5
    r.iterate(0)
    assert factory.kinds() == ["started", "failed"]
    reason = factory.events[1][1]
    assert reason.check(ConnectError)
    assert reason.check(NoRouteError) or reason.value.osError in (
        errno.EACCES,
        errno.ENETUNREACH,
    )
    assert connector.state is State.DISCONNECTED


def test_resolver_that_raises_is_reported_once(
    clocked: tuple[Reactor, list[float]],
) -> None:
    """A resolver that raises instead of failing its Deferred is a
    DNSLookupError for the factory, on a later turn."""
    r, _ = clocked

    @implementer(IResolverSimple)
    class Broken:
        def getHostByName(self, name: str, timeout: Any = None) -> Any:
            raise OSError(errno.EMFILE, "no descriptor for a lookup")

    r.installResolver(Broken())
    factory = Events()
    connector = r.connectTCP("service.test", 80, factory, timeout=None)
    assert factory.kinds() == ["started"]
    r.iterate(0)
    assert factory.kinds() == ["started", "failed"]
    reason = factory.events[1][1]
    assert reason.check(DNSLookupError)
    assert "service.test" in str(reason.value)
    assert connector.state is State.DISCONNECTED


def test_lookup_failure_leaves_the_connector_ready_to_retry(
    clocked: tuple[Reactor, list[float]],
) -> None:
    """A failed lookup reaches the factory once; connect() from its handler
    starts a new attempt."""
    r, _ = clocked

    @implementer(IResolverSimple)
    class Once:
        calls = 0

        def getHostByName(self, name: str, timeout: Any = None) -> Any:
            from plait.core import fail, succeed

            Once.calls += 1
            if Once.calls == 1:
                return fail(DNSLookupError(string=f"{name}: not yet"))
            return succeed("127.0.0.1")

    listener = r.listenTCP(0, Factory.forProtocol(Protocol), interface="127.0.0.1")

    class Retry(Events):
        def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
            super().clientConnectionFailed(connector, reason)
            connector.connect()

    r.installResolver(Once())
    factory = Retry()
    connector = r.connectTCP("service.test", listener.getHost().port, factory)
    for _ in range(50):
        if connector.transport is not None:
            break
        r.iterate(0.01)
    assert factory.kinds() == ["started", "failed", "started"]
    assert factory.events[1][1].check(DNSLookupError)
    assert connector.state is State.CONNECTED
    connector.disconnect()
    r.iterate(0)
    listener.stopListening()


def test_tls_connector_failure_goes_through_the_same_funnel(
    clocked: tuple[Reactor, list[float]],
) -> None:
    """connectSSL out of descriptors reports EMFILE once, on a later turn."""
    from plait.tcp import optionsForClientTLS, tlsAvailable

    if not tlsAvailable():
        pytest.skip("the tls extra of plait-tcp is not installed here")
    import plait.tcp._tls_factory  # noqa: F401  # loaded now: no descriptor later

    r, now = clocked
    options = optionsForClientTLS("localhost")
    factory = Events()
    with noDescriptorsLeft():
        connector = r.connectSSL("127.0.0.1", 9, factory, options, timeout=2)
        assert factory.kinds() == ["started"]
        r.iterate(0)
    now[0] += 5
    r.iterate(0)
    assert factory.kinds() == ["started", "failed"]
    assert factory.events[1][1].value.osError == errno.EMFILE
    assert connector.state is State.DISCONNECTED
