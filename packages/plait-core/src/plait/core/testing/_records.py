"""The records a :class:`~plait.core.testing.MemoryReactor` keeps of its calls.

Each record is a named tuple with one field per argument of the call, in
the order of the call's signature: ``reactor.tcpClients[0].port`` and
``reactor.tcpClients[0][1]`` are the same, and a record equals the plain
tuple of those arguments.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = [
    "SSLClient",
    "SSLServer",
    "TCPClient",
    "TCPServer",
    "UDPPort",
    "UNIXClient",
    "UNIXServer",
]


class TCPServer(NamedTuple):
    """One ``listenTCP`` call."""

    port: int
    factory: Any
    backlog: int
    interface: str


class TCPClient(NamedTuple):
    """One ``connectTCP`` call."""

    host: str
    port: int
    factory: Any
    timeout: float
    bindAddress: tuple[str, int] | None


class SSLServer(NamedTuple):
    """One ``listenSSL`` call."""

    port: int
    factory: Any
    contextFactory: Any
    backlog: int
    interface: str


class SSLClient(NamedTuple):
    """One ``connectSSL`` call."""

    host: str
    port: int
    factory: Any
    contextFactory: Any
    timeout: float
    bindAddress: tuple[str, int] | None


class UNIXServer(NamedTuple):
    """One ``listenUNIX`` call."""

    address: str | bytes
    factory: Any
    backlog: int
    mode: int
    wantPID: int


class UNIXClient(NamedTuple):
    """One ``connectUNIX`` call."""

    address: str | bytes
    factory: Any
    timeout: float
    checkPID: int


class UDPPort(NamedTuple):
    """One ``listenUDP`` call."""

    port: int
    protocol: Any
    interface: str
    maxPacketSize: int
