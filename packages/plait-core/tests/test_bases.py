"""The shared bases of the socket families: their state tables, and the
connector's one failure funnel, driven through a minimal UNIX family."""

from __future__ import annotations

import errno
import gc
import os
import socket
import tempfile
import warnings
from typing import Any

import pytest

from plait.core import (
    ClientFactory,
    ConnectorState,
    Failure,
    PortState,
    Protocol,
    Reactor,
    StreamConnector,
    StreamPort,
    StreamTransport,
)
from plait.core._connectorlife import ConnectorEvent, applyConnectorEvent
from plait.core._listening import PortEvent, applyPortEvent
from plait.errors import ConnectError, ConnectionRefusedError


def test_port_table_allows_listen_and_stop_only_in_order() -> None:
    """A port listens from NEW or STOPPED and stops only while listening."""
    assert applyPortEvent(PortState.NEW, PortEvent.LISTEN) is PortState.LISTENING
    assert applyPortEvent(PortState.LISTENING, PortEvent.STOP) is PortState.STOPPED
    assert applyPortEvent(PortState.STOPPED, PortEvent.LISTEN) is PortState.LISTENING
    with pytest.raises(RuntimeError, match="stopped"):
        applyPortEvent(PortState.NEW, PortEvent.STOP)
    with pytest.raises(RuntimeError):
        applyPortEvent(PortState.LISTENING, PortEvent.LISTEN)


def test_connector_table_refuses_impossible_events() -> None:
    """A connector connects only when disconnected, and fails only while
    connecting."""
    S, E = ConnectorState, ConnectorEvent
    assert applyConnectorEvent(S.DISCONNECTED, E.CONNECT) is S.CONNECTING
    assert applyConnectorEvent(S.CONNECTING, E.FAILED) is S.DISCONNECTED
    assert applyConnectorEvent(S.CONNECTING, E.CONNECTED) is S.CONNECTED
    assert applyConnectorEvent(S.CONNECTED, E.LOST) is S.DISCONNECTED
    for state, event in [
        (S.CONNECTED, E.CONNECT),
        (S.DISCONNECTED, E.FAILED),
        (S.CONNECTED, E.FAILED),
        (S.DISCONNECTED, E.LOST),
    ]:
        with pytest.raises(RuntimeError):
            applyConnectorEvent(state, event)


class _Client(StreamTransport):
    def __init__(self, sock: Any, protocol: Any, reactor: Any, connector: Any) -> None:
        super().__init__(sock, protocol, reactor)
        self.connector = connector

    def getPeer(self) -> Any:
        return None

    def getHost(self) -> Any:
        return None

    def _closed(self, reason: Failure) -> None:
        self.connector.connectionLost(reason)


class _PathConnector(StreamConnector):
    """The smallest family: a UNIX path, no lookup, no options."""

    def __init__(self, path: str, factory: Any, reactor: Any, prepare: Any = None):
        super().__init__(factory, None, reactor)
        self.path = path
        self.prepare = prepare

    def _target(self) -> tuple[int, Any]:
        return socket.AF_UNIX, self.path

    def _prepare(self, sock: socket.socket, family: int) -> None:
        if self.prepare is not None:
            self.prepare(sock)

    def _peerFor(self, sock: socket.socket, sockaddr: Any) -> Any:
        return sockaddr

    def _transportFor(self, sock: socket.socket, protocol: Any, peer: Any) -> Any:
        return _Client(sock, protocol, self.reactor, self)

    def _describe(self) -> str:
        return self.path

    def getDestination(self) -> Any:
        return self.path


class _Events(ClientFactory):
    protocol = Protocol

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def startedConnecting(self, connector: Any) -> None:
        self.events.append(("started", None))

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        self.events.append(("failed", reason))

    def clientConnectionLost(self, connector: Any, reason: Any) -> None:
        self.events.append(("lost", reason))


@pytest.fixture
def reactor() -> Any:
    """A reactor with no extensions."""
    r = Reactor(extensions=[])
    yield r
    r.close()


def test_a_failing_step_reaches_the_factory_once_on_a_later_turn(reactor: Any) -> None:
    """A step that raises while the attempt starts is reported once, after
    connect() returned, and the connector is disconnected again."""

    def refuse(sock: socket.socket) -> None:
        raise OSError(errno.EPERM, "not allowed here")

    factory = _Events()
    connector = _PathConnector("/nonexistent/x", factory, reactor, prepare=refuse)
    connector.connect()
    assert [k for k, _ in factory.events] == ["started"]
    reactor.iterate(0)
    reactor.iterate(0)
    assert [k for k, _ in factory.events] == ["started", "failed"]
    reason = factory.events[1][1]
    assert reason.check(ConnectError)
    assert reason.value.osError == errno.EPERM
    assert connector.state is ConnectorState.DISCONNECTED


def test_the_kernel_answer_goes_through_the_same_funnel(reactor: Any) -> None:
    """A refused connect is mapped by the family's error mapping and the
    connector can connect again afterwards."""
    directory = tempfile.mkdtemp(prefix="pb-", dir="/tmp")
    path = os.path.join(directory, "s")
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)
    stale.close()
    try:
        factory = _Events()
        connector = _PathConnector(path, factory, reactor)
        connector.connect()
        reactor.iterate(0)
        assert factory.events[-1][0] == "failed"
        assert factory.events[-1][1].check(ConnectionRefusedError)
        os.unlink(path)
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(path)
        listener.listen(1)
        connector.connect()
        for _ in range(20):
            if connector.state is ConnectorState.CONNECTED:
                break
            reactor.iterate(0.01)
        assert connector.state is ConnectorState.CONNECTED
        connector.disconnect()
        for _ in range(5):
            reactor.iterate(0)
        assert factory.events[-1][0] == "lost"
        listener.close()
    finally:
        if os.path.exists(path):
            os.unlink(path)
        os.rmdir(directory)


class _Bare(StreamPort):
    """A port whose family binds a UNIX socket the kernel names."""

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind("")  # Linux picks a free abstract name
        sock.listen(1)
        return sock

    def _addressFor(self, sockaddr: Any) -> Any:
        return sockaddr

    def _describe(self) -> str:
        return "an unnamed socket"


def test_a_port_dropped_while_listening_warns_and_closes(reactor: Any) -> None:
    """A listening port collected without stopListening gives a
    ResourceWarning and its descriptor back."""
    port = _Bare(ClientFactory(), 5, reactor)
    port.startListening()
    sock = port.socket
    assert sock is not None
    reactor.removeReader(port)
    with pytest.warns(ResourceWarning, match="stopListening"):
        del port
        gc.collect()
    assert sock.fileno() == -1


def test_a_stopped_port_is_dropped_quietly(reactor: Any) -> None:
    """A port that stopped listening is collected without a warning."""
    port = _Bare(ClientFactory(), 5, reactor)
    port.startListening()
    port.stopListening()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        del port
        gc.collect()
