"""UNIX connectors: plait-core's stream connector aimed at a socket path.

With ``checkPID`` the lock file beside the socket must name a live
process; a missing or stale lock fails the attempt, through the factory's
``clientConnectionFailed`` like every other failure, before any connect.
A missing socket file is a ``BadFileError``; a socket nobody listens on,
a ``ConnectionRefusedError``.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
from typing import Any

from plait.address import UNIXAddress
from plait.core import StreamConnector, connectErrorFor
from plait.errors import BadFileError

from ._lock import lockPathFor, pidAlive, readLock
from ._paths import PathArg, addressFor, checkAddress, isAbstract
from ._transport import Client

__all__ = ["Connector"]

_NO_SOCKET = frozenset({errno.ENOENT, errno.ENOTDIR})


class Connector(StreamConnector):
    """Connects ``factory`` to the UNIX socket ``address``, and again later."""

    transport: Client | None
    _log = logging.getLogger("plait.unix")

    def __init__(
        self,
        address: PathArg,
        factory: Any,
        timeout: float | None = 30,
        checkPID: bool = False,
        reactor: Any = None,
    ) -> None:
        address = checkAddress(address)
        if checkPID and isAbstract(address):
            raise ValueError("an abstract name has no lock file to check")
        super().__init__(factory, timeout, reactor)
        self.address = address
        self.checkPID = bool(checkPID)

    def _describe(self) -> str:
        return f"UNIX socket {self.address!r}"

    def getDestination(self) -> UNIXAddress:
        """The address this connector connects to."""
        return UNIXAddress(self.address)

    def _target(self) -> tuple[int, Any]:
        if self.checkPID:
            lockPath = lockPathFor(self.address)
            holder = readLock(lockPath)
            if holder is None:
                raise BadFileError(
                    string=f"no lock file {os.fsdecode(lockPath)!r}: "
                    "nothing claims to listen there"
                )
            if not pidAlive(holder):
                raise BadFileError(
                    string=f"the lock {os.fsdecode(lockPath)!r} names pid "
                    f"{holder}, which no longer runs"
                )
        return socket.AF_UNIX, self.address

    def _connectErrorFor(self, err: OSError) -> Exception:
        if err.errno in _NO_SOCKET:
            error = BadFileError(err.errno, f"{self.address!r}: {err.strerror}")
            error.__cause__ = err
            return error
        return connectErrorFor(err)

    def _peerFor(self, sock: socket.socket, sockaddr: Any) -> UNIXAddress:
        return addressFor(sockaddr)

    def _transportFor(self, sock: socket.socket, protocol: Any, peer: Any) -> Client:
        return Client(sock, protocol, self.reactor, peer, self)
