"""A listening UNIX stream port: plait-core's stream port bound to a path
or an abstract name.

Facts that shaped this module:

- The socket file gets exactly ``mode``, whatever the umask: it is bound,
  ``chmod``-ed, and only then put in listening state, so no connection can
  arrive while it still has the umask's bits.
- With ``wantPID`` the lock file is taken before anything at the path is
  touched: the lock decides who may clear a stale socket.
- ``stopListening`` removes the socket file only while it is still the one
  this port bound (same device and inode), and the lock only while it
  holds our pid.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from plait.address import UNIXAddress
from plait.core import StreamPort
from plait.errors import CannotListenError

from ._lock import releaseLock, takeLock
from ._paths import Path, PathArg, addressFor, checkAddress, clearStale, isAbstract
from ._transport import Server

__all__ = ["Port", "bindUNIX", "forgetPath"]


def checkMode(mode: object) -> int:
    """``mode`` if it is a permission mask."""
    if isinstance(mode, bool) or not isinstance(mode, int):
        raise TypeError(f"mode must be an int such as 0o666, not {mode!r}")
    if not 0 <= mode <= 0o7777:
        raise ValueError(f"mode {mode:#o} is not a permission mask")
    return mode


def bindUNIX(sock: socket.socket, address: Path, mode: int) -> tuple[int, int] | None:
    """Bind ``sock`` at ``address`` with exactly ``mode``; the socket file's
    (device, inode), None for an abstract name.

    :raises plait.errors.CannotListenError: the kernel refused.
    """
    try:
        sock.bind(address)
        if isAbstract(address):
            return None
        os.chmod(address, mode)
        info = os.lstat(address)
    except OSError as e:
        raise CannotListenError(None, address, e) from e
    return info.st_dev, info.st_ino


def forgetPath(address: Path, identity: tuple[int, int] | None) -> None:
    """Remove the socket file at ``address`` if it is still ``identity``."""
    if identity is None:
        return
    try:
        info = os.lstat(address)
    except OSError:
        return
    if (info.st_dev, info.st_ino) == identity:
        os.unlink(address)


class Port(StreamPort):
    """Listens on the UNIX socket ``address`` and serves ``factory``."""

    transport = Server
    _log = logging.getLogger("plait.unix")

    def __init__(
        self,
        address: PathArg,
        factory: Any,
        backlog: int = 50,
        mode: int = 0o666,
        wantPID: bool = False,
        reactor: Any = None,
    ) -> None:
        address = checkAddress(address)
        if wantPID and isAbstract(address):
            raise ValueError("an abstract name has no file to put a lock beside")
        super().__init__(factory, backlog, reactor)
        self.address = address
        self.mode = checkMode(mode)
        self.wantPID = bool(wantPID)
        self._identity: tuple[int, int] | None = None
        self._lock: Path | None = None

    def _describe(self) -> str:
        return f"UNIX socket {self.address!r}"

    def _bind(self) -> socket.socket:
        lock = takeLock(self.address) if self.wantPID else None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            clearStale(self.address, socket.SOCK_STREAM)
            identity = bindUNIX(sock, self.address, self.mode)
            try:
                sock.listen(self.backlog)
            except OSError as e:
                forgetPath(self.address, identity)
                raise CannotListenError(None, self.address, e) from e
        except BaseException:
            sock.close()
            if lock is not None:
                releaseLock(lock)
            raise
        sock.setblocking(False)
        self._identity = identity
        self._lock = lock
        return sock

    def _released(self) -> None:
        identity, self._identity = self._identity, None
        lock, self._lock = self._lock, None
        try:
            forgetPath(self.address, identity)
        finally:
            if lock is not None:
                releaseLock(lock)

    def _addressFor(self, sockaddr: Any) -> UNIXAddress:
        return addressFor(sockaddr)

    def getHost(self) -> UNIXAddress:
        """The address the port listens on."""
        return UNIXAddress(self.address)
