"""UNIX endpoints: listen and connect as Deferred-returning calls.

A client endpoint fires its Deferred once the protocol is connected (after
its ``connectionMade``); a failure to connect fails it, with the error the
connector reported. Cancelling it abandons the attempt (or closes the
fresh connection) and fails it with ConnectingCancelledError.
"""

from __future__ import annotations

from typing import Any

from zope.interface import implementer

from plait.core import Deferred, Failure, connectEndpoint, fail, succeed
from plait.interfaces import IStreamClientEndpoint, IStreamServerEndpoint

from ._paths import PathArg

__all__ = ["UNIXClientEndpoint", "UNIXServerEndpoint"]


@implementer(IStreamServerEndpoint)
class UNIXServerEndpoint:
    """Listens on a UNIX socket (see ``listenUNIX`` for the arguments)."""

    def __init__(
        self,
        reactor: Any,
        address: PathArg,
        backlog: int = 50,
        mode: int = 0o666,
        wantPID: bool = False,
    ) -> None:
        self._reactor = reactor
        self._address = address
        self._backlog = backlog
        self._mode = mode
        self._wantPID = wantPID

    def listen(self, protocolFactory: Any) -> Deferred[Any]:
        """A Deferred of the listening port, or of the reason it cannot listen."""
        try:
            port = self._reactor.listenUNIX(
                self._address, protocolFactory, self._backlog, self._mode, self._wantPID
            )
        except Exception:
            # CannotListenError, and bad arguments too: an endpoint reports
            # through its Deferred.
            return fail(Failure())
        return succeed(port)

    def __repr__(self) -> str:
        return f"<UNIXServerEndpoint {self._address!r}>"


@implementer(IStreamClientEndpoint)
class UNIXClientEndpoint:
    """Connects to a UNIX socket (see ``connectUNIX`` for the arguments)."""

    def __init__(
        self,
        reactor: Any,
        path: PathArg,
        timeout: float | None = 30,
        checkPID: bool = False,
    ) -> None:
        self._reactor = reactor
        self._path = path
        self._timeout = timeout
        self._checkPID = checkPID

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """A Deferred of the connected protocol, or of the ConnectError."""
        return connectEndpoint(
            lambda wrapped: self._reactor.connectUNIX(
                self._path, wrapped, self._timeout, self._checkPID
            ),
            protocolFactory,
        )

    def __repr__(self) -> str:
        return f"<UNIXClientEndpoint {self._path!r}>"
