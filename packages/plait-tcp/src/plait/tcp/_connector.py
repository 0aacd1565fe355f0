"""TCP connectors: plait-core's stream connector aimed at a host and port.

The host is resolved through the reactor unless it is an IP literal; an
IPv6 literal gets an AF_INET6 socket. A ``bindAddress`` is bound before
connecting (a zoned IPv6 literal with its scope id). Every failure, the
lookup's included, reaches the factory through the core connector's one
funnel (see :mod:`plait.core`'s connector).
"""

from __future__ import annotations

import errno
import logging
import socket
from typing import Any

from plait.core import (
    ConnectorState,
    Deferred,
    StreamConnector,
    bindErrorFor,
    sockaddrFor,
)
from plait.errors import DNSLookupError, ServiceNameUnknownError

from ._tcp import Client, IPAddress, addressFor, enableNoDelay

__all__ = ["Connector", "ConnectorState", "destinationFor"]


def _numeric(host: str, port: int) -> tuple[int, Any] | None:
    """(family, sockaddr) for an IP literal, None for a host name."""
    try:
        infos = socket.getaddrinfo(
            host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST
        )
    except (socket.gaierror, UnicodeError, OverflowError):
        return None
    family, _, _, _, sockaddr = infos[0]
    return family, sockaddr


def destinationFor(host: str, port: int) -> IPAddress:
    """The address a connector aims at, with the host as given."""
    if ":" in host:
        return addressFor((host, port, 0, 0))
    return addressFor((host, port))


def _servicePort(name: str) -> int:
    """The port of a TCP service named like ``"http"``, from the services
    database."""
    try:
        return socket.getservbyname(name, "tcp")
    except OSError as e:
        raise ServiceNameUnknownError(string=f"{name!r}: {e}") from None


def _bindable(family: int, bindAddress: Any) -> Any:
    """The socket address to bind for ``bindAddress`` (a zoned IPv6 literal
    needs its scope id)."""
    host, port = bindAddress
    if not isinstance(host, str):
        return bindAddress  # let bind() say what is wrong with it
    return sockaddrFor(family, socket.SOCK_STREAM, host, port)


class Connector(StreamConnector):
    """Connects ``factory`` to ``host:port`` and can do so again later."""

    transport: Client | None
    _log = logging.getLogger("plait.tcp")

    def __init__(
        self,
        host: str | bytes,
        port: int | str,
        factory: Any,
        timeout: float | None = 30,
        bindAddress: tuple[str, int] | None = None,
        reactor: Any = None,
    ) -> None:
        if isinstance(host, bytes):
            host = host.decode("idna")
        if isinstance(port, str):
            port = _servicePort(port)
        if isinstance(port, bool) or not isinstance(port, int):
            raise TypeError(f"a TCP port is an int, not {type(port).__name__}")
        if not 0 < port <= 65535:
            raise ValueError(f"TCP port {port} is outside 1-65535")
        super().__init__(factory, timeout, reactor)
        self.host = host
        self.port = port
        self.bindAddress = bindAddress

    def _describe(self) -> str:
        return f"{self.host}:{self.port}"

    def __repr__(self) -> str:
        return f"<Connector to {self.host}:{self.port} {self.state.name}>"

    def getDestination(self) -> IPAddress:
        """The address this connector connects to (host as given)."""
        return destinationFor(self.host, self.port)

    # -- the family's part of an attempt ------------------------------------

    def _target(self) -> tuple[int, Any] | Deferred[tuple[int, Any]]:
        numeric = _numeric(self.host, self.port)
        if numeric is not None:
            return numeric
        try:
            resolving: Deferred[str] = self.reactor.resolve(self.host)
        except Exception as e:
            raise self._lookupErrorFor(e) from e
        return resolving.addCallback(self._fromLookup)

    def _fromLookup(self, address: str) -> tuple[int, Any]:
        numeric = _numeric(address, self.port)
        if numeric is None:
            raise DNSLookupError(string=f"{address!r} is not an IP address")
        return numeric

    def _lookupErrorFor(self, error: BaseException) -> BaseException:
        if isinstance(error, DNSLookupError):
            return error
        return DNSLookupError(string=f"{self.host!r} could not be resolved: {error}")

    def _prepare(self, sock: socket.socket, family: int) -> None:
        bindAddress = self.bindAddress
        if bindAddress is None:
            return
        try:
            sock.bind(_bindable(family, bindAddress))
        except (OSError, OverflowError, TypeError) as e:
            err = e if isinstance(e, OSError) else OSError(errno.EINVAL, str(e))
            raise bindErrorFor(err, bindAddress) from e

    def _configure(self, sock: socket.socket) -> None:
        enableNoDelay(sock)

    def _peerFor(self, sock: socket.socket, sockaddr: Any) -> IPAddress:
        return addressFor(sockaddr)

    def _transportFor(self, sock: socket.socket, protocol: Any, peer: Any) -> Client:
        return Client(sock, protocol, self.reactor, peer, self)
