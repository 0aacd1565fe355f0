"""Protocol, Factory and their relatives, and connectProtocol."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from zope.interface import implementer
from zope.interface.verify import verifyClass, verifyObject

from plait.address import IPv4Address
from plait.core import (
    ClientFactory,
    Deferred,
    Factory,
    Protocol,
    ServerFactory,
    connectProtocol,
    succeed,
)
from plait.core.testing import StringTransport
from plait.interfaces import (
    ILoggingContext,
    IProtocol,
    IProtocolFactory,
    IStreamClientEndpoint,
)

ADDR = IPv4Address("TCP", "127.0.0.1", 1234)


class Recorder(Protocol):
    """Counts connectionMade calls."""

    def __init__(self) -> None:
        self.made = 0

    def connectionMade(self) -> None:
        self.made += 1


class CountingFactory(Factory):
    """Counts startFactory and stopFactory calls."""

    protocol = Recorder

    def __init__(self, label: str = "") -> None:
        self.label = label
        self.started = 0
        self.stopped = 0

    def startFactory(self) -> None:
        self.started += 1

    def stopFactory(self) -> None:
        self.stopped += 1


def test_protocol_provides_iprotocol_and_ilogging_context() -> None:
    """Protocol instances verify against IProtocol and ILoggingContext."""
    assert verifyObject(IProtocol, Protocol())
    assert verifyObject(ILoggingContext, Protocol())


def test_make_connection_sets_transport_and_calls_connection_made() -> None:
    """makeConnection stores the transport, marks connected, runs connectionMade."""
    protocol = Recorder()
    transport = StringTransport()
    assert protocol.connected is False and protocol.transport is None
    protocol.makeConnection(transport)
    assert protocol.transport is transport
    assert protocol.connected is True
    assert protocol.made == 1


def test_default_hooks_do_nothing() -> None:
    """dataReceived and connectionLost of the base class accept and ignore."""
    protocol = Protocol()
    protocol.makeConnection(StringTransport())
    assert protocol.dataReceived(b"ignored") is None
    assert protocol.connectionLost(None) is None


def test_log_prefix_is_the_class_name() -> None:
    """logPrefix names the protocol's and the factory's class."""
    assert Recorder().logPrefix() == "Recorder"
    assert CountingFactory().logPrefix() == "CountingFactory"


def test_factory_classes_provide_iprotocol_factory() -> None:
    """Factory, ServerFactory and ClientFactory verify against IProtocolFactory."""
    for cls in (Factory, ServerFactory, ClientFactory):
        assert verifyClass(IProtocolFactory, cls)
        assert verifyClass(ILoggingContext, cls)


def test_build_protocol_sets_factory() -> None:
    """buildProtocol calls the protocol class and points it at the factory."""
    factory = CountingFactory()
    protocol = factory.buildProtocol(ADDR)
    assert isinstance(protocol, Recorder)
    assert protocol.factory is factory


def test_build_protocol_without_protocol_is_type_error() -> None:
    """A factory with no protocol set says so when asked to build one."""
    with pytest.raises(TypeError, match="protocol is not set"):
        Factory().buildProtocol(ADDR)


def test_for_protocol_passes_arguments_to_the_factory() -> None:
    """forProtocol builds an instance of the class it is called on."""
    factory = CountingFactory.forProtocol(Protocol, "named")
    assert isinstance(factory, CountingFactory)
    assert factory.label == "named"
    assert factory.protocol is Protocol
    assert type(factory.buildProtocol(ADDR)) is Protocol


def test_for_protocol_accepts_any_callable() -> None:
    """forProtocol takes a plain function returning a protocol."""
    made = Recorder()
    factory = Factory.forProtocol(lambda: made)
    assert factory.buildProtocol(ADDR) is made


def test_first_start_and_last_stop_reach_the_hooks() -> None:
    """startFactory runs on the first doStart, stopFactory on the last doStop."""
    factory = CountingFactory()
    factory.doStart()
    factory.doStart()
    assert (factory.started, factory.numPorts) == (1, 2)
    factory.doStop()
    assert factory.stopped == 0
    factory.doStop()
    assert (factory.stopped, factory.numPorts) == (1, 0)
    factory.doStart()
    assert factory.started == 2


def test_unbalanced_do_stop_only_warns(caplog: pytest.LogCaptureFixture) -> None:
    """doStop with no port using the factory logs a warning and stops nothing."""
    factory = CountingFactory()
    with caplog.at_level(logging.WARNING, logger="plait.core"):
        factory.doStop()
    assert "more often than doStart" in caplog.text
    assert factory.numPorts == 0 and factory.stopped == 0


def test_noisy_factory_logs_start_and_stop(caplog: pytest.LogCaptureFixture) -> None:
    """A noisy factory logs its start and stop at DEBUG on plait.core."""
    caplog.set_level(logging.DEBUG, logger="plait.core")
    factory = CountingFactory()
    factory.doStart()
    factory.doStop()
    messages = [r.getMessage() for r in caplog.records if r.name == "plait.core"]
    assert any(m.startswith("Starting factory") for m in messages)
    assert any(m.startswith("Stopping factory") for m in messages)


def test_client_factory_hooks_are_no_ops() -> None:
    """ClientFactory's connection hooks accept their arguments and do nothing."""
    factory = ClientFactory()
    assert factory.startedConnecting(object()) is None
    assert factory.clientConnectionFailed(object(), None) is None
    assert factory.clientConnectionLost(object(), None) is None


@implementer(IStreamClientEndpoint)
class FakeEndpoint:
    """Builds a protocol from the given factory and fires with it."""

    def __init__(self) -> None:
        self.factories: list[Any] = []

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        self.factories.append(protocolFactory)
        return succeed(protocolFactory.buildProtocol(ADDR))


def test_connect_protocol_fires_with_the_given_protocol() -> None:
    """connectProtocol hands the endpoint a factory yielding the protocol."""
    endpoint = FakeEndpoint()
    protocol = Recorder()
    results: list[object] = []
    connectProtocol(endpoint, protocol).addCallback(results.append)
    assert results == [protocol]
    assert verifyObject(IProtocolFactory, endpoint.factories[0])


def test_connect_protocol_factory_is_one_shot() -> None:
    """The factory behind connectProtocol refuses a second connection."""
    endpoint = FakeEndpoint()
    protocol = Recorder()
    connectProtocol(endpoint, protocol)
    factory = endpoint.factories[0]
    assert factory.buildProtocol(ADDR) is None
