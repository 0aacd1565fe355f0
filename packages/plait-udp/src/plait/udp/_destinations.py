"""Checking where a UDP port may send, once per destination.

A destination is a ``(host, port)`` pair whose host is an IP literal of the
port's family (``"<broadcast>"`` too, on IPv4) and whose port is in
1-65535. A host name would need a blocking lookup, and an address of the
other family fails in the kernel in ways that are hard to read, so both are
refused with a reason. An IPv6 literal with a zone (``fe80::1%eth0``) is
turned into the 4-tuple that carries its scope id.

A server answers the same clients over and over, so what was checked is
remembered: ``known`` maps a destination as given to its socket address,
and the port looks there first. It holds at most ``REMEMBERED`` entries
and starts afresh when full; a list given as a destination cannot be a
key, and is checked each time.
"""

from __future__ import annotations

import socket
from typing import Any

from plait.core import isIPLiteral, sockaddrFor
from plait.errors import InvalidAddressError

__all__ = ["REMEMBERED", "Destinations"]

REMEMBERED = 1024

Address = tuple[str, int]


class Destinations:
    """The destinations one port of ``family`` has checked."""

    __slots__ = ("family", "known")

    def __init__(self, family: int) -> None:
        self.family = family
        #: Destination as given -> socket address, for those checked.
        self.known: dict[Any, Any] = {}

    def sockaddrFor(self, addr: Any) -> Any:
        """Check ``addr`` and remember it; its socket address."""
        sockaddr = self._sockaddr(self.check(addr))
        known = self.known
        if len(known) >= REMEMBERED:
            known.clear()
        try:
            known[addr] = sockaddr
        except TypeError:
            pass  # unhashable: checked each time
        return sockaddr

    def check(self, addr: Any) -> Address:
        """``addr`` as a ``(host, port)`` pair, if it may be sent to.

        :raises plait.errors.InvalidAddressError: it may not; the message
            says why.
        """
        try:
            host, port = addr
        except (TypeError, ValueError):
            raise InvalidAddressError(addr, "expected a (host, port) pair") from None
        if not isinstance(host, str):
            raise InvalidAddressError(addr, "the host must be a str")
        if not isinstance(port, int) or isinstance(port, bool):
            raise InvalidAddressError(addr, "the port must be an int")
        if not 0 < port <= 65535:
            raise InvalidAddressError(addr, "the port must be in 1-65535")
        family = self.family
        if host == "<broadcast>" and family == socket.AF_INET:
            return host, port
        if not isIPLiteral(host, family):
            other = socket.AF_INET if family == socket.AF_INET6 else socket.AF_INET6
            if isIPLiteral(host, other):
                why = f"an IPv{4 if other == socket.AF_INET else 6} address, "
                why += f"but this port is IPv{6 if other == socket.AF_INET else 4}"
            else:
                why = "not an IP address: resolve names before sending"
            raise InvalidAddressError(host, why)
        if "%" in host:
            try:
                self._sockaddr((host, port))
            except OSError:
                raise InvalidAddressError(
                    host, "no network interface has that zone"
                ) from None
        return host, port

    def _sockaddr(self, addr: Address) -> Any:
        return sockaddrFor(self.family, socket.SOCK_DGRAM, addr[0], addr[1])
