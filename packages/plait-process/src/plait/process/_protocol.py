"""The base class of process protocols, with the hooks Twisted users know."""

from __future__ import annotations

from typing import Any

from zope.interface import implementer

from plait.core import BaseProtocol
from plait.interfaces import IProcessProtocol

__all__ = ["ProcessProtocol"]


@implementer(IProcessProtocol)
class ProcessProtocol(BaseProtocol):
    """Hears everything about one child process; override what you need.

    Order of events: ``connectionMade`` (with ``transport.pid`` set, before
    ``spawnProcess`` returns), then output through ``childDataReceived``
    and the closing of each pipe through ``childConnectionLost``, then
    ``processExited`` once the child has exited and ``processEnded`` once
    it has exited *and* every pipe is closed, each exactly once.

    ``childDataReceived`` sends descriptor 1 to ``outReceived`` and 2 to
    ``errReceived``; ``childConnectionLost`` sends 0, 1 and 2 to
    ``inConnectionLost``, ``outConnectionLost`` and ``errConnectionLost``.
    Override the general hooks to see other descriptors.
    """

    transport: Any = None

    def childDataReceived(self, childFD: int, data: bytes) -> None:
        """The child wrote *data* on its descriptor *childFD*."""
        if childFD == 1:
            self.outReceived(data)
        elif childFD == 2:
            self.errReceived(data)

    def outReceived(self, data: bytes) -> None:
        """The child wrote *data* on its standard output."""

    def errReceived(self, data: bytes) -> None:
        """The child wrote *data* on its standard error."""

    def childConnectionLost(self, childFD: int) -> None:
        """Our end of the child's descriptor *childFD* is closed."""
        if childFD == 0:
            self.inConnectionLost()
        elif childFD == 1:
            self.outConnectionLost()
        elif childFD == 2:
            self.errConnectionLost()

    def inConnectionLost(self) -> None:
        """The child's standard input is closed."""

    def outConnectionLost(self) -> None:
        """The child's standard output is closed."""

    def errConnectionLost(self) -> None:
        """The child's standard error is closed."""

    def processExited(self, reason: Any) -> None:
        """The child exited; *reason* is a Failure of ProcessDone or
        ProcessTerminated.  Some pipes may still be open."""

    def processEnded(self, reason: Any) -> None:
        """The child exited and every pipe to it is closed; *reason* as in
        ``processExited``."""
