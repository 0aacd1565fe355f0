"""Reactor interfaces for stream sockets: TCP, TLS over TCP, UNIX sockets.

Each is provided by the reactor only when the distribution implementing it
is installed (plait-tcp, plait-tcp[tls], plait-unix); otherwise its methods
raise :class:`plait.errors.MissingCapability`.
"""

from __future__ import annotations

from typing import Any

from zope.interface import Interface

from ._ports import IConnector, IListeningPort
from ._protocols import IProtocolFactory


class IReactorTCP(Interface):
    """Listening on and connecting to TCP ports."""

    __module__ = "plait.interfaces"

    def listenTCP(
        port: int, factory: IProtocolFactory, backlog: int = 50, interface: str = ""
    ) -> IListeningPort:
        """Accept TCP connections on *port*, one protocol from *factory* each.

        :param port: the port number; 0 lets the kernel choose a free one.
        :param factory: builds the protocol of every accepted connection
            (usually a ``plait.core.ServerFactory``).
        :param backlog: how many connections the kernel may queue before
            they are accepted.
        :param interface: the local address to bind; ``""`` means every
            IPv4 interface, ``"::"`` every IPv6 one.
        :returns: the port, already listening.
        :raises plait.errors.CannotListenError: when the socket cannot be
            bound or set listening (for instance, the port is in use).
        """

    def connectTCP(
        host: str,
        port: int,
        factory: IProtocolFactory,
        timeout: float = 30,
        bindAddress: tuple[str, int] | None = None,
    ) -> IConnector:
        """Open a TCP connection to *host* on *port*.

        The outcome is reported to *factory* (usually a
        ``plait.core.ClientFactory``): its ``clientConnectionFailed`` or,
        after a connection was made, ``clientConnectionLost``.

        :param host: a host name or a literal IP address.
        :param port: the remote port.
        :param factory: builds the protocol once connected.
        :param timeout: seconds to wait for the connection before failing
            with :class:`plait.errors.TimeoutError`.
        :param bindAddress: an optional local ``(host, port)`` to bind the
            socket to before connecting.
        :returns: the connector managing the attempt.
        """


class IReactorSSL(Interface):
    """Listening on and connecting to TCP ports with TLS on top."""

    __module__ = "plait.interfaces"

    def connectSSL(
        host: str,
        port: int,
        factory: IProtocolFactory,
        contextFactory: Any,
        timeout: float = 30,
        bindAddress: tuple[str, int] | None = None,
    ) -> IConnector:
        """Open a TCP connection to *host* on *port* and run TLS over it.

        :param host: a host name or a literal IP address.
        :param port: the remote port.
        :param factory: builds the protocol once connected.
        :param contextFactory: the client TLS options (plait-tcp), which
            set the trust roots and the name the certificate must match.
        :param timeout: seconds to wait for the TCP connection.
        :param bindAddress: an optional local ``(host, port)`` to bind to.
        :returns: the connector managing the attempt.
        """

    def listenSSL(
        port: int,
        factory: IProtocolFactory,
        contextFactory: Any,
        backlog: int = 50,
        interface: str = "",
    ) -> IListeningPort:
        """Accept TLS connections on the TCP port *port*.

        Every accepted connection runs a TLS handshake configured by
        *contextFactory* before its protocol sees any data.

        :param port: the port number; 0 lets the kernel choose.
        :param factory: builds the protocol of every accepted connection.
        :param contextFactory: the server TLS options (plait-tcp), with the
            certificate and private key.
        :param backlog: how many connections the kernel may queue.
        :param interface: the local address to bind; ``""`` means all.
        :returns: the port, already listening.
        :raises plait.errors.CannotListenError: when the port cannot be
            bound or set listening.
        """


class IReactorUNIX(Interface):
    """Listening on and connecting to UNIX stream sockets."""

    __module__ = "plait.interfaces"

    def connectUNIX(
        address: str | bytes,
        factory: IProtocolFactory,
        timeout: float = 30,
        checkPID: int = 0,
    ) -> IConnector:
        """Connect to the UNIX stream socket at *address*.

        :param address: a filesystem path, or on Linux an abstract name
            starting with a NUL byte.
        :param factory: builds the protocol once connected.
        :param timeout: seconds to wait for the connection.
        :param checkPID: when true, first read the lock file next to the
            socket and fail unless the server process it names is alive.
            Must be false for an abstract name, which has no file.
        :returns: the connector managing the attempt.
        """

    def listenUNIX(
        address: str | bytes,
        factory: IProtocolFactory,
        backlog: int = 50,
        mode: int = 0o666,
        wantPID: int = 0,
    ) -> IListeningPort:
        """Accept connections on a UNIX stream socket bound at *address*.

        :param address: a filesystem path, or on Linux an abstract name
            starting with a NUL byte.
        :param factory: builds the protocol of every accepted connection.
        :param backlog: how many connections the kernel may queue.
        :param mode: the permission bits given to the socket file itself
            (not a umask); whether they restrict connecting depends on the
            operating system.
        :param wantPID: when true, write a lock file holding our process id
            next to the socket.  Must be false for an abstract name.
        :returns: the port, already listening.
        :raises plait.errors.CannotListenError: when the socket cannot be
            bound (for instance the path exists and a live server holds it).
        """
