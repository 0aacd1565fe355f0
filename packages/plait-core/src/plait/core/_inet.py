"""Internet sockets for the transport distributions: which family an
interface string means, binding a listening socket, and plait addresses of
socket addresses.

Facts that shaped this module:

- An interface is IPv6 exactly when it is an IPv6 literal, possibly with a
  zone (``fe80::1%eth0``); anything else, names included, is IPv4.
- ``""`` means every interface of the family.
- An IPv6 literal with a zone only binds once getaddrinfo has turned the
  zone into a scope id, so IPv6 addresses always go through it (numeric
  only: no name lookup happens here).
- Python reports a link-local address without its zone; the zone is put
  back into ``host`` so that ``(host, port)`` can be used as it is.
"""

from __future__ import annotations

import errno
import socket
from typing import Any, Literal

from plait.address import IPv4Address, IPv6Address
from plait.errors import CannotListenError

__all__ = [
    "IPAddress",
    "anyAddress",
    "bindInet",
    "familyForInterface",
    "inetAddress",
    "isIPLiteral",
    "sockaddrFor",
]

IPAddress = IPv4Address | IPv6Address

# interface "" means every interface of the family.
_ANY: dict[int, str] = {socket.AF_INET: "0.0.0.0", socket.AF_INET6: "::"}  # noqa: S104


def familyForInterface(interface: str) -> int:
    """``AF_INET6`` for an IPv6 literal (a zone allowed), else ``AF_INET``."""
    if ":" in interface and isIPLiteral(interface, socket.AF_INET6):
        return socket.AF_INET6
    return socket.AF_INET


def isIPLiteral(host: str, family: int) -> bool:
    """Whether ``host`` is an IP address of ``family`` (a zone allowed on IPv6)."""
    text = host.split("%", 1)[0] if family == socket.AF_INET6 else host
    try:
        socket.inet_pton(family, text)
    except (OSError, TypeError, ValueError):
        return False
    return True


def sockaddrFor(family: int, kind: int, host: str, port: int) -> Any:
    """The socket address of an IP literal: ``(host, port)``, or for an IPv6
    literal with a zone (``fe80::1%eth0``) the 4-tuple carrying its scope id.

    :raises OSError: the zone names no interface (``socket.gaierror``).
    """
    if family == socket.AF_INET6 and "%" in host:
        infos = socket.getaddrinfo(host, port, family, kind, 0, socket.AI_NUMERICHOST)
        return infos[0][4]
    return host, port


def anyAddress(family: int) -> str:
    """The wildcard address of ``family``: ``0.0.0.0`` or ``::``."""
    return _ANY[family]


def bindInet(
    kind: int,
    interface: str,
    port: int,
    *,
    reuseAddress: bool = False,
    reusePort: bool = False,
) -> socket.socket:
    """A non-blocking socket of ``kind`` bound to ``interface:port``.

    ``reuseAddress`` sets SO_REUSEADDR; ``reusePort`` sets SO_REUSEPORT too
    (where the system has it), so that several sockets can bind the same
    address and port.

    :raises CannotListenError: the address cannot be bound (in use, not
        local, a port out of range...); no socket is left open.
    """
    family = familyForInterface(interface)
    host = interface or _ANY[family]
    sock = socket.socket(family, kind)
    try:
        if reuseAddress or reusePort:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reusePort and hasattr(socket, "SO_REUSEPORT"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(sockaddrFor(family, kind, host, port))
        sock.setblocking(False)
    except (OSError, OverflowError) as e:
        sock.close()
        err = e if isinstance(e, OSError) else OSError(errno.EINVAL, str(e))
        error = CannotListenError(interface, port, err)
        raise error from e
    return sock


def inetAddress(transport: Literal["TCP", "UDP"], sockaddr: Any) -> IPAddress:
    """The plait address of a socket address: an IPv6Address for a 4-tuple,
    an IPv4Address for a pair; ``transport`` is ``"TCP"`` or ``"UDP"``."""
    if len(sockaddr) == 4:
        host, port, flowInfo, scopeID = sockaddr
        if scopeID and "%" not in host:
            host = f"{host}%{_zoneName(scopeID)}"
        return IPv6Address(transport, host, port, flowInfo, scopeID)
    host, port = sockaddr
    return IPv4Address(transport, host, port)


def _zoneName(scopeID: int) -> str:
    try:
        return socket.if_indextoname(scopeID)
    except OSError:
        return str(scopeID)
