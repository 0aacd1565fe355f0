"""A reactor that opens nothing: it records what it is asked to do.

Code under test calls ``listenTCP``, ``connectTCP`` and friends on a
:class:`MemoryReactor`; each call is appended, as a record, to a list named
after it (``tcpServers``, ``tcpClients``, ...) and answered with a
:class:`MemoryPort` or :class:`MemoryConnector`.  The test then plays the
network itself: it takes the factory from the record, builds a protocol
and connects it to a :class:`~plait.core.testing.StringTransport`.

Records are dataclasses that also unpack like tuples, in field order::

    host, port, factory, timeout, bindAddress = reactor.tcpClients[0]

:class:`MemoryReactorClock` adds the time functions of
:class:`~plait.core.Clock`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from zope.interface import implementer

from plait.address import IPv4Address, IPv6Address, UNIXAddress
from plait.errors import (
    DNSLookupError,
    NotConnectingError,
    ReactorAlreadyRunning,
    ReactorNotRunning,
)
from plait.interfaces import (
    IAddress,
    IConnector,
    IListeningPort,
    IReactorCore,
    IReactorFDSet,
    IReactorSSL,
    IReactorTCP,
    IReactorUDP,
    IReactorUNIX,
)

from .._defer import Deferred, fail, succeed
from .._events import SystemEvents, TriggerID
from .._failure import Failure
from .._task import Clock
from ._records import (
    SSLClient,
    SSLServer,
    TCPClient,
    TCPServer,
    UDPPort,
    UNIXClient,
    UNIXServer,
)

__all__ = ["MemoryConnector", "MemoryPort", "MemoryReactor", "MemoryReactorClock"]


def _ipAddress(kind: Any, host: str, port: int) -> IAddress:
    try:
        version = ipaddress.ip_address(host).version
    except ValueError:
        version = 4  # a host name, or '' for every interface
    if version == 6:
        return IPv6Address(kind, host, port)
    return IPv4Address(kind, host or "0.0.0.0", port)  # noqa: S104  # the wildcard is what '' means


@implementer(IListeningPort)
class MemoryPort:
    """What the memory reactor's ``listen*`` methods return.

    ``listening`` is true from creation until :meth:`stopListening`.
    """

    def __init__(self, address: IAddress, factory: Any) -> None:
        self.address = address
        self.factory = factory
        self.listening = True

    def startListening(self) -> None:
        """Mark the port listening again."""
        self.listening = True

    def stopListening(self) -> Deferred[None]:
        """Mark the port closed; the Deferred has already fired."""
        self.listening = False
        return succeed(None)

    def getHost(self) -> IAddress:
        """The address the port was asked to listen on."""
        return self.address


@implementer(IConnector)
class MemoryConnector:
    """What the memory reactor's ``connect*`` methods return.

    ``reactor`` is the memory reactor (so a ReconnectingClientFactory finds
    its clock there); ``connectAttempts`` counts :meth:`connect` calls after
    the first attempt; ``stoppedConnecting`` and ``disconnected`` record the
    other two calls.
    """

    def __init__(self, destination: IAddress, factory: Any, reactor: Any) -> None:
        self.destination = destination
        self.factory = factory
        self.reactor = reactor
        self.connectAttempts = 0
        self.stoppedConnecting = False
        self.disconnected = False

    def connect(self) -> None:
        """Record a new attempt and tell a client factory it has started."""
        self.connectAttempts += 1
        self.stoppedConnecting = False
        _started(self.factory, self)

    def stopConnecting(self) -> None:
        """Record that the attempt was abandoned.

        :raises plait.errors.NotConnectingError: it was abandoned already
            (and not started again with :meth:`connect`).
        """
        if self.stoppedConnecting:
            raise NotConnectingError("the memory connector is not connecting")
        self.stoppedConnecting = True

    def disconnect(self) -> None:
        """Record that the connection was dropped."""
        self.disconnected = True

    def getDestination(self) -> IAddress:
        """The address the connector was asked to reach."""
        return self.destination


def _started(factory: Any, connector: MemoryConnector) -> None:
    started = getattr(factory, "startedConnecting", None)
    if started is not None:
        started(connector)


@implementer(IReactorCore, IReactorTCP, IReactorSSL, IReactorUNIX, IReactorUDP)
@implementer(IReactorFDSet)
class MemoryReactor:
    """Records listen/connect calls and core calls; runs nothing.

    ``run()`` does not loop: it fires the ``startup`` event (so the calls
    given to ``callWhenRunning`` run), sets ``running`` and ``hasRun`` and
    returns.  ``stop()`` fires ``shutdown`` and sets ``hasStopped``;
    ``crash()`` only sets ``hasCrashed``.  System events behave as the real
    reactor's (phases, Deferreds from "before" triggers, removal errors).
    ``resolve`` answers IP addresses with themselves and fails every other
    name with ``DNSLookupError``.
    """

    def __init__(self) -> None:
        self.tcpServers: list[TCPServer] = []
        self.tcpClients: list[TCPClient] = []
        self.sslServers: list[SSLServer] = []
        self.sslClients: list[SSLClient] = []
        self.unixServers: list[UNIXServer] = []
        self.unixClients: list[UNIXClient] = []
        self.udpPorts: list[UDPPort] = []
        self.ports: list[MemoryPort] = []
        self.connectors: list[MemoryConnector] = []
        self.readers: set[Any] = set()
        self.writers: set[Any] = set()
        self.running = False
        self.hasRun = False
        self.hasStopped = False
        self.hasCrashed = False
        self.iterations = 0
        self._events = SystemEvents()

    # -- helpers ---------------------------------------------------------

    def _port(self, address: IAddress, factory: Any) -> MemoryPort:
        port = MemoryPort(address, factory)
        self.ports.append(port)
        return port

    def _connector(self, address: IAddress, factory: Any) -> MemoryConnector:
        connector = MemoryConnector(address, factory, self)
        self.connectors.append(connector)
        _started(factory, connector)
        return connector

    # -- IReactorTCP / IReactorSSL / IReactorUNIX / IReactorUDP -------------

    def listenTCP(
        self, port: int, factory: Any, backlog: int = 50, interface: str = ""
    ) -> MemoryPort:
        """Record the call; return a port listening on *interface*:*port*."""
        self.tcpServers.append(TCPServer(port, factory, backlog, interface))
        return self._port(_ipAddress("TCP", interface, port), factory)

    def connectTCP(
        self,
        host: str,
        port: int,
        factory: Any,
        timeout: float = 30,
        bindAddress: tuple[str, int] | None = None,
    ) -> MemoryConnector:
        """Record the call; return a connector towards *host*:*port*."""
        self.tcpClients.append(TCPClient(host, port, factory, timeout, bindAddress))
        return self._connector(_ipAddress("TCP", host, port), factory)

    def listenSSL(
        self,
        port: int,
        factory: Any,
        contextFactory: Any,
        backlog: int = 50,
        interface: str = "",
    ) -> MemoryPort:
        """Record the call; return a port listening on *interface*:*port*."""
        record = SSLServer(port, factory, contextFactory, backlog, interface)
        self.sslServers.append(record)
        return self._port(_ipAddress("TCP", interface, port), factory)

    def connectSSL(
        self,
        host: str,
        port: int,
        factory: Any,
        contextFactory: Any,
        timeout: float = 30,
        bindAddress: tuple[str, int] | None = None,
    ) -> MemoryConnector:
        """Record the call; return a connector towards *host*:*port*."""
        record = SSLClient(host, port, factory, contextFactory, timeout, bindAddress)
        self.sslClients.append(record)
        return self._connector(_ipAddress("TCP", host, port), factory)

    def listenUNIX(
        self,
        address: str | bytes,
        factory: Any,
        backlog: int = 50,
        mode: int = 0o666,
        wantPID: int = 0,
    ) -> MemoryPort:
        """Record the call; return a port listening on *address*."""
        self.unixServers.append(UNIXServer(address, factory, backlog, mode, wantPID))
        return self._port(UNIXAddress(address), factory)

    def connectUNIX(
        self,
        address: str | bytes,
        factory: Any,
        timeout: float = 30,
        checkPID: int = 0,
    ) -> MemoryConnector:
        """Record the call; return a connector towards *address*."""
        self.unixClients.append(UNIXClient(address, factory, timeout, checkPID))
        return self._connector(UNIXAddress(address), factory)

    def listenUDP(
        self,
        port: int,
        protocol: Any,
        interface: str = "",
        maxPacketSize: int = 8192,
    ) -> MemoryPort:
        """Record the call; return a port bound to *interface*:*port*."""
        self.udpPorts.append(UDPPort(port, protocol, interface, maxPacketSize))
        return self._port(_ipAddress("UDP", interface, port), protocol)

    # -- IReactorCore ------------------------------------------------------

    def resolve(self, name: str, timeout: float = 10) -> Deferred[str]:
        """Answer an IP address with itself; fail any other name."""
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return fail(Failure(DNSLookupError(string=f"{name!r} (memory reactor)")))
        return succeed(name)

    def run(self) -> None:
        """Fire ``startup`` (running the ``callWhenRunning`` calls), then
        mark the reactor running; nothing loops.

        :raises plait.errors.ReactorAlreadyRunning: it is running already.
        """
        if self.running:
            raise ReactorAlreadyRunning("the memory reactor is running already")
        self.running = True
        self.hasRun = True
        self._events.fire("startup")

    def stop(self) -> None:
        """Fire ``shutdown`` and mark the reactor stopped.

        :raises plait.errors.ReactorNotRunning: it is not running.
        """
        if not self.running:
            raise ReactorNotRunning("the memory reactor is not running")
        self.hasStopped = True
        self._events.fire("shutdown")
        self.running = False

    def crash(self) -> None:
        """Mark the reactor crashed (and no longer running); no triggers run."""
        self.running = False
        self.hasCrashed = True

    def iterate(self, delay: float = 0) -> None:
        """Count the call; there is nothing to run."""
        self.iterations += 1

    def callWhenRunning(
        self, callable: Callable[..., object], *args: Any, **kw: Any
    ) -> TriggerID | None:
        """Call now if running (returning None), else at ``run()``
        (returning the id of the startup trigger it became)."""
        if self.running:
            callable(*args, **kw)
            return None
        return self._events.add("after", "startup", callable, args, kw)

    def addSystemEventTrigger(
        self,
        phase: str,
        eventType: str,
        callable: Callable[..., object],
        *args: Any,
        **kw: Any,
    ) -> TriggerID:
        """Register ``callable(*args, **kw)`` for *phase* of *eventType*.

        :raises KeyError: *phase* is not before/during/after.
        """
        return self._events.add(phase, eventType, callable, args, kw)

    def removeSystemEventTrigger(self, triggerID: Any) -> None:
        """Unregister a trigger by the id ``addSystemEventTrigger`` returned.

        :raises TypeError: *triggerID* is not a trigger id.
        :raises KeyError: it belongs to no event of this reactor.
        :raises ValueError: it was removed already, or has run.
        """
        self._events.remove(triggerID)

    def fireSystemEvent(self, eventType: str) -> None:
        """Run the triggers of *eventType*: before (waiting for the Deferreds
        they return), during, after; each trigger runs once."""
        self._events.fire(eventType)

    # -- IReactorFDSet -----------------------------------------------------

    def addReader(self, reader: Any) -> None:
        """Add *reader* to ``readers``."""
        self.readers.add(reader)

    def addWriter(self, writer: Any) -> None:
        """Add *writer* to ``writers``."""
        self.writers.add(writer)

    def removeReader(self, reader: Any) -> None:
        """Remove *reader* from ``readers`` (if there)."""
        self.readers.discard(reader)

    def removeWriter(self, writer: Any) -> None:
        """Remove *writer* from ``writers`` (if there)."""
        self.writers.discard(writer)

    def removeAll(self) -> list[Any]:
        """Empty both sets; return what they held."""
        removed = list(self.readers | self.writers)
        self.readers.clear()
        self.writers.clear()
        return removed

    def getReaders(self) -> list[Any]:
        """The readers, as a list."""
        return list(self.readers)

    def getWriters(self) -> list[Any]:
        """The writers, as a list."""
        return list(self.writers)


class MemoryReactorClock(MemoryReactor, Clock):
    """A :class:`MemoryReactor` with a :class:`~plait.core.Clock` for its time."""

    def __init__(self, now: float = 0.0) -> None:
        MemoryReactor.__init__(self)
        Clock.__init__(self, now)
