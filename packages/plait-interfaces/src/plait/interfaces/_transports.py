"""Interfaces of stream transports: plain, TCP, TLS and child processes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from zope.interface import Attribute, Interface

from ._address import IAddress


class ITransport(Interface):
    """The connection a protocol writes its bytes to.

    A transport stands for one connected byte stream.  Calls on it are
    requests: a write may reach the peer now or later, and a close happens
    once pending output has gone.  Every write is kept until it is sent or
    the connection dies.
    """

    __module__ = "plait.interfaces"

    def write(data: bytes) -> None:
        """Queue *data* for sending, after everything written before it.

        Never blocks: what the kernel does not take at once is buffered and
        flushed when the socket becomes writable.

        :param data: the bytes to send.
        """

    def writeSequence(data: Iterable[bytes]) -> None:
        """Queue several chunks for sending, in order.

        Equivalent to calling :meth:`write` on each element, but lets the
        transport hand them to the kernel together (scatter-gather) instead
        of joining them first.

        :param data: the chunks to send.
        """

    def loseConnection() -> None:
        """Close the connection once all buffered output has been sent.

        While a producer is registered the close waits until it has been
        unregistered.  The protocol hears ``connectionLost`` afterwards.
        """

    def getPeer() -> IAddress:
        """Describe the remote end of the connection.

        The value reflects what the socket layer reports; proxies and
        address translation mean it need not identify the real client.

        :returns: an :class:`IAddress` provider.
        """

    def getHost() -> IAddress:
        """Describe the local end of the connection.

        :returns: an :class:`IAddress` provider.
        """


class ITCPTransport(ITransport):
    """A transport over a TCP socket."""

    __module__ = "plait.interfaces"

    def loseWriteConnection() -> None:
        """Shut down the sending direction (send FIN) and keep receiving.

        Like :meth:`ITransport.loseConnection` this waits until buffered
        output is flushed and no producer is registered.  A protocol that
        provides :class:`IHalfCloseableProtocol` is told when the shutdown
        has happened.
        """

    def getTcpNoDelay() -> bool:
        """Report whether ``TCP_NODELAY`` is set on the socket."""

    def setTcpNoDelay(enabled: bool) -> None:
        """Set or clear ``TCP_NODELAY``.

        With it set Nagle's algorithm is off: small segments leave at once,
        which lowers latency and may cost throughput.

        :param enabled: the new state of the option.
        """

    def getTcpKeepAlive() -> bool:
        """Report whether ``SO_KEEPALIVE`` is set on the socket."""

    def setTcpKeepAlive(enabled: bool) -> None:
        """Set or clear ``SO_KEEPALIVE``.

        With it set the kernel probes a connection that has been idle for
        a long while (two hours by default), so a vanished peer is noticed
        eventually instead of never.

        :param enabled: the new state of the option.
        """

    def getHost() -> IAddress:
        """Give the local address, an :class:`plait.address.IPv4Address` or
        :class:`plait.address.IPv6Address`."""

    def getPeer() -> IAddress:
        """Give the remote address, an :class:`plait.address.IPv4Address` or
        :class:`plait.address.IPv6Address`."""


class ITLSTransport(ITCPTransport):
    """A stream over TCP able to switch to TLS partway through.

    After :meth:`startTLS` the transport also provides
    :class:`ISSLTransport`.
    """

    __module__ = "plait.interfaces"

    def startTLS(contextFactory: Any) -> None:
        """Begin a TLS handshake over this connection.

        Bytes written before this call are sent in clear first; bytes
        written after it are encrypted.

        :param contextFactory: the TLS options object (see plait-tcp) that
            decides the role, certificates and verification.
        """


class ISSLTransport(ITCPTransport):
    """A TCP transport carrying TLS."""

    __module__ = "plait.interfaces"

    def getPeerCertificate() -> Any:
        """Return the certificate the peer presented, or ``None`` if none yet."""


class IProcessTransport(ITransport):
    """The transport joining a process protocol to a child process.

    ``write`` goes to the child's standard input.
    """

    __module__ = "plait.interfaces"

    pid = Attribute(
        "The child's process id as an int from just before the protocol's "
        "makeConnection until just before its processEnded; None outside "
        "that span (before spawning and once the child has been reaped)."
    )

    def closeStdin() -> None:
        """Close the child's standard input once pending writes are sent."""

    def closeStdout() -> None:
        """Close our end of the pipe from the child's standard output."""

    def closeStderr() -> None:
        """Close our end of the pipe from the child's standard error."""

    def closeChildFD(descriptor: int) -> None:
        """Close our end of the pipe joined to the child's descriptor *descriptor*.

        :param descriptor: the descriptor number as the child sees it.
        """

    def writeToChild(childFD: int, data: bytes) -> None:
        """Send *data* into the pipe joined to the child's descriptor *childFD*.

        Like :meth:`ITransport.write`, but the target descriptor is chosen
        by the caller.  Not every platform supports it.

        :param childFD: the descriptor number as the child sees it.
        :param data: the bytes to send.
        """

    def loseConnection() -> None:
        """Close every pipe to the child: stdin, stdout and stderr."""

    def signalProcess(signalID: str | int) -> None:
        """Deliver a signal to the child.

        :param signalID: ``"KILL"``, ``"TERM"`` or ``"INT"``, which work the
            same on every platform and should be preferred; or a POSIX
            signal number.
        :raises plait.errors.ProcessExitedAlready: when the child has
            already exited.
        """
