"""The TCP transport: the shared stream transport plus TCP's own knobs.

``TCP_NODELAY`` is switched on for every connection, as asyncio does:
plait sends each ``write`` at once, so Nagle's algorithm would only hold a
small reply back until the previous segment is acknowledged (up to 40 ms
with delayed ACKs). Bulk senders lose nothing measurable, since their
segments are full anyway. ``setTcpNoDelay(False)`` restores Nagle.

``startTLS`` layers TLS over a live connection (see ``_tls_start``): the
bytes already written leave in clear first, because they are ahead of any
ciphertext in the same write buffer.
"""

from __future__ import annotations

import socket
from typing import Any

from zope.interface import classImplements, implementer

from plait.address import IPv4Address, IPv6Address
from plait.core import Failure, StreamTransport, inetAddress
from plait.errors import MissingCapability
from plait.interfaces import ITCPTransport, ITLSTransport

from ._tlssupport import tlsAvailable

__all__ = [
    "Client",
    "Server",
    "TCPTransport",
    "addressFor",
    "declareTLS",
    "enableNoDelay",
]

IPAddress = IPv4Address | IPv6Address


def addressFor(sockaddr: Any) -> IPAddress:
    """The plait address of a TCP socket address (a pair or a 4-tuple)."""
    return inetAddress("TCP", sockaddr)


def declareTLS() -> None:
    """Declare that TCP transports can ``startTLS`` (the extra is present)."""
    if not ITLSTransport.implementedBy(TCPTransport):
        classImplements(TCPTransport, ITLSTransport)


def enableNoDelay(sock: socket.socket) -> None:
    """Switch Nagle's algorithm off on ``sock`` (see the module comment)."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass  # not a TCP socket after all; nothing to tune


@implementer(ITCPTransport)
class TCPTransport(StreamTransport):
    """A connected TCP socket as a transport.

    It provides ITLSTransport too once :func:`declareTLS` has run, which the
    reactor extension does when the ``tls`` extra is installed.

    :param peer: the remote address, known from ``accept``/``connect``.
    """

    #: True for the connecting side: it plays the TLS client in startTLS.
    isClientSide = False
    _tls: Any = None

    def __init__(
        self, sock: socket.socket, protocol: Any, reactor: Any, peer: IPAddress
    ) -> None:
        super().__init__(sock, protocol, reactor)
        self._peer = peer
        self._host: IPAddress | None = None

    def getPeer(self) -> IPAddress:
        """The remote end: an IPv4Address or IPv6Address of type TCP."""
        return self._peer

    def getHost(self) -> IPAddress:
        """The local end: an IPv4Address or IPv6Address of type TCP."""
        host = self._host
        if host is None:
            host = self._host = addressFor(self.socket.getsockname())
        return host

    def getTcpNoDelay(self) -> bool:
        """Whether Nagle's algorithm is off (it is by default)."""
        return bool(self.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    def setTcpNoDelay(self, enabled: bool) -> None:
        """Switch ``TCP_NODELAY`` on or off."""
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, int(enabled))

    def getTcpKeepAlive(self) -> bool:
        """Whether the kernel probes this connection when it is idle."""
        return bool(self.socket.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE))

    def setTcpKeepAlive(self, enabled: bool) -> None:
        """Switch ``SO_KEEPALIVE`` on or off."""
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, int(enabled))

    # -- TLS --------------------------------------------------------------

    def startTLS(self, contextFactory: Any) -> None:
        """Begin TLS now; earlier writes are sent in clear before it starts.

        The role comes from ``contextFactory`` when it says (``isClient``),
        else from this side of the connection. Raises MissingCapability
        when the ``tls`` extra of plait-tcp is not installed.
        """
        if not tlsAvailable():
            raise MissingCapability("startTLS", "plait-tcp[tls]")
        from ._tls_start import startTLS

        startTLS(self, contextFactory)

    def getPeerCertificate(self) -> Any:
        """The peer's certificate once TLS runs (an OpenSSL X509), else None."""
        tls = self._tls
        return None if tls is None else tls.getPeerCertificate()

    @property
    def negotiatedProtocol(self) -> bytes | None:
        """The ALPN protocol agreed on after startTLS, or None."""
        tls = self._tls
        return None if tls is None else tls.negotiatedProtocol

    @property
    def tlsVersion(self) -> str | None:
        """The TLS version in use after startTLS, such as ``"TLSv1.3"``."""
        tls = self._tls
        return None if tls is None else tls.tlsVersion

    def logPrefix(self) -> str:
        """The protocol's class name, for log messages."""
        return type(self.protocol).__name__


class Server(TCPTransport):
    """The transport of a connection accepted by a listening port."""


class Client(TCPTransport):
    """The transport of a connection made by a connector."""

    isClientSide = True

    def __init__(
        self,
        sock: socket.socket,
        protocol: Any,
        reactor: Any,
        peer: IPAddress,
        connector: Any,
    ) -> None:
        super().__init__(sock, protocol, reactor, peer)
        self.connector = connector

    def _closed(self, reason: Failure) -> None:
        # A wrapping protocol (TLS) may have told its inner protocol a more
        # precise reason than the socket's; pass that one to the factory.
        wrapped = getattr(self.protocol, "wrappedReason", None)
        self.connector.connectionLost(wrapped if wrapped is not None else reason)
