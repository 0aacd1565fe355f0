"""Who is at the other end of a UNIX socket, as the kernel knows it.

Linux answers ``SO_PEERCRED`` with a ``struct ucred`` (pid, uid, gid),
taken when the connection was made (or the socket pair created): a peer
that later changes user or exits does not change the answer.
"""

from __future__ import annotations

import socket
import struct
from typing import NamedTuple

__all__ = ["PeerCredentials", "peerCredentials"]

_UCRED = struct.Struct("3i")


class PeerCredentials(NamedTuple):
    """The process at the other end of a UNIX socket."""

    pid: int
    uid: int
    gid: int


def peerCredentials(sock: socket.socket) -> PeerCredentials:
    """The peer's credentials.

    :raises NotImplementedError: this system has no ``SO_PEERCRED``.
    """
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        raise NotImplementedError("this system does not report peer credentials")
    raw = sock.getsockopt(socket.SOL_SOCKET, option, _UCRED.size)
    pid, uid, gid = _UCRED.unpack(raw)
    return PeerCredentials(pid, uid, gid)
