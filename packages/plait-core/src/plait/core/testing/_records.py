"""The records a :class:`~plait.core.testing.MemoryReactor` keeps of its calls.

Each record is a dataclass with one field per argument of the call, in the
order of the call's signature, and also unpacks like a tuple of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any, cast

__all__ = [
    "SSLClient",
    "SSLServer",
    "TCPClient",
    "TCPServer",
    "UDPPort",
    "UNIXClient",
    "UNIXServer",
]


class _Record:
    """Lets a dataclass record unpack like the tuple it replaces."""

    __slots__ = ()

    def __iter__(self) -> Iterator[Any]:
        # Every subclass is a dataclass; the base itself is not one.
        return (getattr(self, f.name) for f in fields(cast(Any, self)))


@dataclass(slots=True)
class TCPServer(_Record):
    """One ``listenTCP`` call."""

    port: int
    factory: Any
    backlog: int
    interface: str


@dataclass(slots=True)
class TCPClient(_Record):
    """One ``connectTCP`` call."""

    host: str
    port: int
    factory: Any
    timeout: float
    bindAddress: tuple[str, int] | None


@dataclass(slots=True)
class SSLServer(_Record):
    """One ``listenSSL`` call."""

    port: int
    factory: Any
    contextFactory: Any
    backlog: int
    interface: str


@dataclass(slots=True)
class SSLClient(_Record):
    """One ``connectSSL`` call."""

    host: str
    port: int
    factory: Any
    contextFactory: Any
    timeout: float
    bindAddress: tuple[str, int] | None


@dataclass(slots=True)
class UNIXServer(_Record):
    """One ``listenUNIX`` call."""

    address: str | bytes
    factory: Any
    backlog: int
    mode: int
    wantPID: int


@dataclass(slots=True)
class UNIXClient(_Record):
    """One ``connectUNIX`` call."""

    address: str | bytes
    factory: Any
    timeout: float
    checkPID: int


@dataclass(slots=True)
class UDPPort(_Record):
    """One ``listenUDP`` call."""

    port: int
    protocol: Any
    interface: str
    maxPacketSize: int
