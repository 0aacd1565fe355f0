"""The base classes of datagram protocols, for every datagram family.

A datagram protocol is attached to one port at a time in the common case,
but the same instance may serve several ports: ``doStart``/``doStop`` count
them, and ``startProtocol``/``stopProtocol`` run on the first start and the
last stop, the way a factory's ``startFactory``/``stopFactory`` do.

:class:`DatagramProtocol` hears each datagram with the address it came
from; :class:`ConnectedDatagramProtocol` serves a port connected to one
peer, so it hears the datagram alone.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["AbstractDatagramProtocol", "ConnectedDatagramProtocol", "DatagramProtocol"]

log = logging.getLogger("plait.core")


class AbstractDatagramProtocol:
    """The life cycle every datagram protocol shares.

    :attr transport: the port while the protocol is attached, else None.
    :attr numPorts: how many ports use this protocol now.
    """

    transport: Any = None
    numPorts: int = 0
    #: Log a line at DEBUG level when the protocol starts and stops.
    noisy: bool = True

    def logPrefix(self) -> str:
        """The name log messages about this protocol carry: its class name."""
        return type(self).__name__

    def makeConnection(self, transport: Any) -> None:
        """Attach to ``transport`` (a port) and start.

        :raises RuntimeError: the protocol is attached to a transport already.
        """
        if self.transport is not None:
            raise RuntimeError(
                f"{self!r} is attached to {self.transport!r} already; "
                "a datagram protocol serves one port at a time"
            )
        self.transport = transport
        try:
            self.doStart()
        except BaseException:
            self.transport = None
            raise

    def doStart(self) -> None:
        """A port started using the protocol; the first one starts it.

        The port is counted before ``startProtocol`` runs, so that a
        ``startProtocol`` that stops the port again is balanced; if it
        raises, the port is not counted.
        """
        self.numPorts += 1
        if self.numPorts == 1:
            if self.noisy:
                log.debug("Starting protocol %r", self)
            try:
                self.startProtocol()
            except BaseException:
                self.numPorts -= 1
                raise

    def doStop(self) -> None:
        """A port stopped using the protocol; the last one stops it.

        Called with no port using it, it only logs a warning.
        """
        if self.numPorts <= 0:
            log.warning("%r: doStop() called more often than doStart()", self)
            return
        self.numPorts -= 1
        self.transport = None
        if not self.numPorts:
            if self.noisy:
                log.debug("Stopping protocol %r", self)
            self.stopProtocol()

    def startProtocol(self) -> None:
        """Called once the protocol is listening; override to set up."""

    def stopProtocol(self) -> None:
        """Called once the protocol no longer listens; override to clean up."""


class DatagramProtocol(AbstractDatagramProtocol):
    """Receives datagrams from a port; subclasses override the hooks."""

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        """A datagram arrived from ``addr`` (a ``(host, port)`` pair for
        UDP, a path for a UNIX socket)."""

    def connectionRefused(self) -> None:
        """On a connected port: nothing listens at the peer's address (for
        UDP an ICMP port unreachable came back). Datagrams may still be
        lost without this being called."""


class ConnectedDatagramProtocol(AbstractDatagramProtocol):
    """Serves a port connected to one peer; subclasses override the hooks."""

    def datagramReceived(self, datagram: bytes) -> None:
        """A datagram arrived from the peer."""

    def connectionFailed(self, failure: Any) -> None:
        """The port could not be connected, or lost its peer (a
        :class:`plait.core.Failure` says why)."""

    def connectionRefused(self) -> None:
        """Nothing listens at the peer's address (any more)."""
