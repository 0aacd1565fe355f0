"""Implementations can be verified against every interface with zope's checks.

A dummy class is generated for each interface from its declared signatures,
which proves the declarations are well-formed and implementable; a few
hand-written implementations check the interfaces the way real plait code
will use them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

import pytest
from zope.interface import Interface, implementer, providedBy
from zope.interface.exceptions import BrokenImplementation, BrokenMethodImplementation
from zope.interface.interface import InterfaceClass, Method
from zope.interface.verify import verifyClass, verifyObject

import plait.interfaces
from plait.address import IPv4Address
from plait.errors import AlreadyCalled, AlreadyCancelled
from plait.interfaces import (
    IAddress,
    IConsumer,
    IDelayedCall,
    IProducer,
    IProtocol,
    IProtocolFactory,
    IPushProducer,
    IReadWriteDescriptor,
    IStreamClientEndpointStringParser,
    ITransport,
)

INTERFACES: list[InterfaceClass] = [
    getattr(plait.interfaces, name) for name in plait.interfaces.__all__
] + [plait.interfaces._IReactorArbitrary]


def _signature(method: Method) -> dict[str, Any]:
    """zope's signature summary of *method* (zope's own API is untyped)."""
    info: dict[str, Any] = cast(Any, method).getSignatureInfo()
    return info


def _parameter_source(method: Method) -> str:
    """Rebuild the parameter list of *method*, after ``self``, as source text."""
    info = _signature(method)
    params = ["self"]
    for name in info["positional"]:
        if name in info["optional"]:
            params.append(f"{name}=_defaults[{name!r}]")
        else:
            params.append(name)
    if info["varargs"]:
        params.append(f"*{info['varargs']}")
    if info["kwargs"]:
        params.append(f"**{info['kwargs']}")
    return ", ".join(params)


def _make_method(method: Method) -> Callable[..., None]:
    """Create a no-op function with exactly the signature *method* declares."""
    namespace: dict[str, Any] = {"_defaults": _signature(method)["optional"]}
    source = f"def {method.__name__}({_parameter_source(method)}):\n    return None\n"
    exec(source, namespace)  # noqa: S102 - source built from our own declarations
    function: Callable[..., None] = namespace[method.__name__]
    return function


def make_dummy(iface: InterfaceClass) -> type:
    """Build a class implementing *iface*, inherited declarations included."""
    members: dict[str, Any] = {}
    for name in iface.names(all=True):
        description = iface.getDescriptionFor(name)
        if isinstance(description, Method):
            members[name] = _make_method(description)
    cls: type = implementer(iface)(type(f"Dummy{iface.__name__}", (), members))
    return cls


def _instance_with_attributes(iface: InterfaceClass, cls: type) -> object:
    """Instantiate *cls* and set every non-method attribute *iface* declares."""
    instance = cls()
    for name in iface.names(all=True):
        if not isinstance(iface.getDescriptionFor(name), Method):
            setattr(instance, name, None)
    return instance


@pytest.mark.parametrize("iface", INTERFACES, ids=lambda i: i.__name__)
def test_generated_dummy_verifies(iface: InterfaceClass) -> None:
    """A class with the declared signatures passes verifyClass and verifyObject."""
    cls = make_dummy(iface)
    assert verifyClass(iface, cls)
    assert verifyObject(iface, _instance_with_attributes(iface, cls))


@pytest.mark.parametrize(
    "iface",
    [i for i in INTERFACES if list(i.names(all=True))],
    ids=lambda i: i.__name__,
)
def test_incomplete_dummy_is_rejected(iface: InterfaceClass) -> None:
    """Removing any one declared method makes verification fail."""
    for name in iface.names(all=True):
        if not isinstance(iface.getDescriptionFor(name), Method):
            continue
        cls = make_dummy(iface)
        namespace = dict(vars(cls))
        del namespace[name]
        broken = implementer(iface)(type("Broken", (), namespace))
        with pytest.raises(BrokenImplementation):
            verifyClass(iface, broken)


def test_missing_attribute_is_rejected() -> None:
    """An object without a declared Attribute fails verifyObject."""
    iface = plait.interfaces.IReactorCore
    with pytest.raises(BrokenImplementation):
        verifyObject(iface, make_dummy(iface)())


# --- hand-written implementations -------------------------------------------


@implementer(IDelayedCall)
class FakeDelayedCall:
    """A delayed call on a fake clock, enough to exercise the interface."""

    def __init__(self, when: float) -> None:
        self.when = when
        self.state = "pending"

    def getTime(self) -> float:
        return self.when

    def _require_pending(self) -> None:
        if self.state == "called":
            raise AlreadyCalled()
        if self.state == "cancelled":
            raise AlreadyCancelled()

    def cancel(self) -> None:
        self._require_pending()
        self.state = "cancelled"

    def delay(self, secondsLater: float) -> None:
        self._require_pending()
        self.when += secondsLater

    def reset(self, secondsFromNow: float) -> None:
        self._require_pending()
        self.when = secondsFromNow

    def active(self) -> bool:
        return self.state == "pending"


@implementer(ITransport, IConsumer)
class ListTransport:
    """A transport that records writes in a list."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.producer: IProducer | None = None
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        self.written.extend(data)

    def loseConnection(self) -> None:
        self.closed = True

    def getPeer(self) -> IAddress:
        return IPv4Address("TCP", "192.0.2.2", 4000)

    def getHost(self) -> IAddress:
        return IPv4Address("TCP", "192.0.2.1", 80)

    def registerProducer(self, producer: IProducer, streaming: bool) -> None:
        if self.producer is not None:
            raise RuntimeError("a producer is already registered")
        self.producer = producer

    def unregisterProducer(self) -> None:
        self.producer = None


@implementer(IProtocol)
class EchoProtocol:
    """Writes back whatever it receives."""

    transport: ITransport | None = None

    def makeConnection(self, transport: ITransport) -> None:
        self.transport = transport
        self.connectionMade()

    def connectionMade(self) -> None:
        pass

    def dataReceived(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    def connectionLost(self, reason: Any) -> None:
        self.transport = None


@implementer(IProtocolFactory)
class EchoFactory:
    """Builds EchoProtocol instances."""

    def buildProtocol(self, addr: IAddress) -> IProtocol | None:
        return EchoProtocol()

    def doStart(self) -> None:
        pass

    def doStop(self) -> None:
        pass


@implementer(IPushProducer)
class CountingProducer:
    """Counts pause and resume calls."""

    def __init__(self) -> None:
        self.pauses = 0
        self.resumes = 0
        self.stopped = False

    def pauseProducing(self) -> None:
        self.pauses += 1

    def resumeProducing(self) -> None:
        self.resumes += 1

    def stopProducing(self) -> None:
        self.stopped = True


@implementer(IReadWriteDescriptor)
class PipeEnd:
    """A descriptor wrapper with nothing to do."""

    def fileno(self) -> int:
        return -1

    def doRead(self) -> object:
        return None

    def doWrite(self) -> object:
        return None

    def connectionLost(self, reason: Any) -> None:
        pass

    def logPrefix(self) -> str:
        return "PipeEnd"


@implementer(IStreamClientEndpointStringParser)
class EchoParser:
    """A parser whose only declared attribute is its prefix."""

    prefix = "echo"

    def parseStreamClient(self, reactor: Any, *args: Any, **kwargs: Any) -> Any:
        return (reactor, args, kwargs)


HANDWRITTEN: list[tuple[InterfaceClass, object]] = [
    (IDelayedCall, FakeDelayedCall(1.0)),
    (ITransport, ListTransport()),
    (IConsumer, ListTransport()),
    (IProtocol, EchoProtocol()),
    (IProtocolFactory, EchoFactory()),
    (IPushProducer, CountingProducer()),
    (IProducer, CountingProducer()),
    (IReadWriteDescriptor, PipeEnd()),
    (IStreamClientEndpointStringParser, EchoParser()),
]


@pytest.mark.parametrize(
    ("iface", "obj"), HANDWRITTEN, ids=[i.__name__ for i, _ in HANDWRITTEN]
)
def test_handwritten_implementation_verifies(
    iface: InterfaceClass, obj: object
) -> None:
    """A hand-written implementation passes verifyObject for its interface."""
    assert verifyObject(iface, obj)
    assert providedBy(obj).isOrExtends(iface)


def test_read_write_descriptor_extends_both_directions() -> None:
    """A read-write descriptor is also a read, a write and a logging descriptor."""
    end = PipeEnd()
    for iface in (
        plait.interfaces.IReadDescriptor,
        plait.interfaces.IWriteDescriptor,
        plait.interfaces.IFileDescriptor,
        plait.interfaces.ILoggingContext,
    ):
        assert iface.providedBy(end)


def test_echo_over_list_transport() -> None:
    """Interfaces compose: a factory's protocol writes through its transport."""
    transport = ListTransport()
    protocol = EchoFactory().buildProtocol(transport.getPeer())
    assert protocol is not None
    protocol.makeConnection(transport)
    protocol.dataReceived(b"ping")
    assert transport.written == [b"ping"]


def test_fake_delayed_call_follows_contract() -> None:
    """After cancel, rescheduling raises AlreadyCancelled and active() is False."""
    call = FakeDelayedCall(5.0)
    call.delay(1.0)
    assert call.getTime() == 6.0
    call.cancel()
    assert not call.active()
    with pytest.raises(AlreadyCancelled):
        call.reset(1.0)


def test_wrong_signature_is_rejected() -> None:
    """A method whose parameters disagree with the declaration fails verifyClass."""

    @implementer(IDelayedCall)
    class Broken(FakeDelayedCall):
        def delay(self, secondsLater: float, extra: int) -> None:  # type: ignore[override]  # broken on purpose
            pass

    with pytest.raises(BrokenMethodImplementation):
        verifyClass(IDelayedCall, Broken)


def test_second_producer_registration_is_refused() -> None:
    """The consumer side of the interface refuses a second producer."""
    transport = ListTransport()
    transport.registerProducer(CountingProducer(), True)
    with pytest.raises(RuntimeError):
        transport.registerProducer(CountingProducer(), True)


def test_interfaces_are_interfaces() -> None:
    """Everything exported is a zope interface extending Interface."""
    for iface in INTERFACES:
        assert isinstance(iface, InterfaceClass)
        assert iface.extends(Interface)
