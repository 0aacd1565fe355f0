"""Address values: immutable, hashable records providing ``IAddress``.

Transports return these from ``getHost()``/``getPeer()`` and factories
receive them in ``buildProtocol``.  They compare by value, so they work as
dictionary keys and in sets.  Constructors check their arguments and raise
:class:`TypeError` or :class:`ValueError` on a bad one, so a malformed
address fails where it is made rather than deep inside a transport.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from zope.interface import implementer

from plait.interfaces import IAddress

__all__ = ["HostnameAddress", "IPv4Address", "IPv6Address", "UNIXAddress"]

_TRANSPORT_TYPES = ("TCP", "UDP")


def _check_type(value: object) -> None:
    """Require *value* to be one of the transport type names."""
    if value not in _TRANSPORT_TYPES:
        raise ValueError(f"address type must be 'TCP' or 'UDP', not {value!r}")


def _check_int(field: str, value: object, low: int, high: int) -> None:
    """Require *value* to be an int (not a bool) between *low* and *high*."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{field} must be an int, not {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{field} must be between {low} and {high}, not {value}")


def _check_str(field: str, value: object) -> None:
    """Require *value* to be a str."""
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a str, not {type(value).__name__}")


@implementer(IAddress)
@dataclass(frozen=True, slots=True)
class IPv4Address:
    """An IPv4 endpoint of a TCP connection or a UDP socket.

    :param type: ``"TCP"`` or ``"UDP"``.
    :param host: the address in dotted-quad form, such as ``"127.0.0.1"``.
    :param port: the port number, 0 to 65535.
    :raises ValueError: for an unknown *type* or a port out of range.
    :raises TypeError: for a *host* that is not a ``str`` or a *port*
        that is not an ``int``.
    """

    type: Literal["TCP", "UDP"]
    host: str
    port: int

    def __post_init__(self) -> None:
        _check_type(self.type)
        _check_str("host", self.host)
        _check_int("port", self.port, 0, 0xFFFF)


@implementer(IAddress)
@dataclass(frozen=True, slots=True)
class IPv6Address:
    """An IPv6 endpoint of a TCP connection or a UDP socket.

    :param type: ``"TCP"`` or ``"UDP"``.
    :param host: the address in textual form, such as ``"::1"``.
    :param port: the port number, 0 to 65535.
    :param flowInfo: the flow label and traffic class field (20 bits used).
    :param scopeID: the interface index for link-local addresses, 0 if none.
    :raises ValueError: for an unknown *type* or a number out of range.
    :raises TypeError: for arguments of the wrong type.
    """

    type: Literal["TCP", "UDP"]
    host: str
    port: int
    flowInfo: int = 0
    scopeID: int = 0

    def __post_init__(self) -> None:
        _check_type(self.type)
        _check_str("host", self.host)
        _check_int("port", self.port, 0, 0xFFFF)
        _check_int("flowInfo", self.flowInfo, 0, 0xFFFFFFFF)
        _check_int("scopeID", self.scopeID, 0, 0xFFFFFFFF)


@implementer(IAddress)
@dataclass(frozen=True, slots=True, eq=False)
class UNIXAddress:
    """The address of a UNIX-domain socket.

    :param name: the socket's filesystem path, a Linux abstract name (which
        starts with a NUL character or byte), or ``None`` for an unnamed
        socket such as either end of a ``socketpair``.  Both ``str`` and
        ``bytes`` are accepted and kept as given.
    :raises TypeError: when *name* is of another type.

    Two addresses are equal when they name the same socket spelled the
    same way: ``str`` and ``bytes`` spellings of one path compare equal
    (through :func:`os.fsencode`), but no symbolic links or relative paths
    are resolved.  All unnamed addresses are equal to each other.
    """

    name: bytes | str | None

    def __post_init__(self) -> None:
        if self.name is not None and not isinstance(self.name, (bytes, str)):
            raise TypeError(
                f"name must be bytes, str or None, not {type(self.name).__name__}"
            )

    def _key(self) -> bytes | None:
        """The spelling-independent form used for equality and hashing."""
        return None if self.name is None else os.fsencode(self.name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UNIXAddress):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((UNIXAddress, self._key()))


def _encodeHostname(name: str) -> bytes:
    """The ASCII form of a host name: itself if ASCII, else its IDNA form."""
    if name.isascii():
        return name.encode("ascii")
    try:
        return name.encode("idna")
    except UnicodeError as e:
        raise ValueError(f"host name {name!r} cannot be IDNA-encoded: {e}") from e


@implementer(IAddress)
@dataclass(frozen=True, slots=True, init=False)
class HostnameAddress:
    """A host name and port, before (or instead of) resolving the name.

    Used by endpoints that connect by name, where the peer's IP address is
    not the address the user asked for.

    :param hostname: the name: ``bytes`` are kept as they are; a ``str`` is
        stored as its IDNA-encoded ASCII bytes, so ``"example.test"`` and
        ``b"example.test"`` make equal addresses.
    :param port: the port number, 0 to 65535.
    :raises TypeError: for a *hostname* that is neither ``str`` nor
        ``bytes``, or a *port* that is not an ``int``.
    :raises ValueError: for a port out of range, or a ``str`` name that
        cannot be IDNA-encoded.
    """

    hostname: bytes
    port: int

    def __init__(self, hostname: bytes | str, port: int) -> None:
        if isinstance(hostname, str):
            hostname = _encodeHostname(hostname)
        elif not isinstance(hostname, bytes):
            raise TypeError(
                f"hostname must be str or bytes, not {type(hostname).__name__}"
            )
        object.__setattr__(self, "hostname", hostname)
        object.__setattr__(self, "port", port)
        _check_int("port", self.port, 0, 0xFFFF)
