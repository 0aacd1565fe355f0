"""A listening TCP port: plait-core's stream port bound to an IP address.

SO_REUSEADDR lets a restarted server bind while old connections to its
port linger in TIME_WAIT; it does not let two servers share a port.
Every accepted connection gets ``TCP_NODELAY`` (see ``_tcp``).
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from plait.core import (
    PortState,
    StreamPort,
    anyAddress,
    bindInet,
    familyForInterface,
)
from plait.errors import CannotListenError

from ._tcp import IPAddress, Server, addressFor, enableNoDelay

__all__ = ["Port", "PortState"]


class Port(StreamPort):
    """Listens on ``interface:port`` and serves ``factory``'s protocols.

    ``port`` 0 lets the kernel pick a free port (see ``getHost``).
    ``reusePort=True`` sets SO_REUSEPORT where the system has it, so that
    several processes can each listen on the same port and the kernel
    spreads the connections among them.
    """

    transport = Server
    _log = logging.getLogger("plait.tcp")

    def __init__(
        self,
        port: int,
        factory: Any,
        backlog: int = 50,
        interface: str | bytes = "",
        reactor: Any = None,
        *,
        reusePort: bool = False,
    ) -> None:
        if not isinstance(port, int) or isinstance(port, bool):
            raise TypeError(f"port must be an int, not {port!r}")
        super().__init__(factory, backlog, reactor)
        self.port = port
        if isinstance(interface, (bytes, bytearray)):
            interface = bytes(interface).decode("ascii")
        self.interface = interface
        self.reusePort = reusePort
        self.family = familyForInterface(interface)

    def _describe(self) -> str:
        where = self._host.port if self._host is not None else self.port
        return f"TCP port {where}"

    def _bind(self) -> socket.socket:
        sock = bindInet(
            socket.SOCK_STREAM,
            self.interface,
            self.port,
            reuseAddress=True,
            reusePort=self.reusePort,
        )
        try:
            sock.listen(self.backlog)
        except OSError as e:
            sock.close()
            raise CannotListenError(self.interface, self.port, e) from e
        return sock

    def _addressFor(self, sockaddr: Any) -> IPAddress:
        return addressFor(sockaddr)

    def _configure(self, conn: socket.socket) -> None:
        enableNoDelay(conn)

    def getHost(self) -> IPAddress:
        """The bound address; its port is the real one when 0 was asked for."""
        if self._host is None:
            wildcard = anyAddress(self.family)
            if self.family == socket.AF_INET6:
                return addressFor((wildcard, self.port, 0, 0))
            return addressFor((wildcard, self.port))
        host: IPAddress = self._host
        return host
