"""UNIX socket addresses: checking them, naming them, and what lies at a path.

Facts that shaped this module:

- A socket address holds at most ``sizeof(sun_path)`` bytes (108 on Linux):
  a filesystem path needs one of them for its terminating NUL, so it may be
  107 bytes long once encoded; a Linux abstract name (a leading NUL, no
  file) may use all 108. The kernel's own error for a longer one says
  nothing of the limit, so the length is checked here first.
- An abstract name has no file: no mode, no lock file, nothing to remove.
- Before binding a path, whatever is there is looked at without following
  a symbolic link. Only a socket nobody answers on (a connect is refused)
  is stale and removed; a regular file, a directory, a link, or a socket
  with a live listener is left alone and the listen fails saying why.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
from typing import Any

from plait.address import UNIXAddress
from plait.errors import CannotListenError, InvalidAddressError

__all__ = [
    "SUN_PATH_MAX",
    "Path",
    "PathArg",
    "addressFor",
    "checkAddress",
    "clearStale",
    "isAbstract",
]

#: The size of ``sun_path`` in ``struct sockaddr_un`` on Linux.
SUN_PATH_MAX = 108

Path = str | bytes
#: What the public methods take: a ``Path``, or a path object such as
#: ``pathlib.Path`` (used as its ``os.fspath``).
PathArg = str | bytes | os.PathLike[str] | os.PathLike[bytes]


def isAbstract(address: Path) -> bool:
    """Whether ``address`` is a Linux abstract name (a leading NUL)."""
    return address[:1] in ("\0", b"\0")


def checkAddress(address: object) -> Path:
    """``address`` if it can name a UNIX socket.

    :raises TypeError: it is neither ``str`` nor ``bytes`` (nor a path
        object such as ``pathlib.Path``, which is taken as its ``str``).
    :raises plait.errors.InvalidAddressError: it is empty, holds a NUL
        inside a path, or is longer than ``sun_path`` allows (the message
        gives the limit).
    """
    if isinstance(address, bytearray):
        address = bytes(address)
    elif isinstance(address, os.PathLike):
        address = os.fspath(address)
    if not isinstance(address, (str, bytes)):
        raise TypeError(
            f"a UNIX socket address is a str, bytes or os.PathLike path, not "
            f"{type(address).__name__}"
        )
    try:
        encoded = os.fsencode(address)
    except UnicodeError as e:
        raise InvalidAddressError(address, f"cannot be encoded: {e}") from None
    if not encoded:
        raise InvalidAddressError(address, "an empty path names no socket")
    if encoded[:1] == b"\0":
        if len(encoded) > SUN_PATH_MAX:
            raise InvalidAddressError(
                address,
                f"an abstract name is {len(encoded)} bytes long; the kernel's "
                f"sun_path holds at most {SUN_PATH_MAX}",
            )
        return address
    if b"\0" in encoded:
        raise InvalidAddressError(address, "a path cannot hold a NUL byte")
    if len(encoded) >= SUN_PATH_MAX:
        raise InvalidAddressError(
            address,
            f"the path is {len(encoded)} bytes long; the kernel's sun_path holds "
            f"at most {SUN_PATH_MAX - 1} bytes of path (and its terminating NUL)",
        )
    return address


def addressFor(sockaddr: Any) -> UNIXAddress:
    """The plait address of a socket address ``getsockname`` or ``accept``
    gave: an unnamed socket (``""``) is ``UNIXAddress(None)``."""
    if not sockaddr:
        return UNIXAddress(None)
    return UNIXAddress(sockaddr)


def _answers(address: Path, kind: int) -> bool:
    """Whether a process is bound to the socket at ``address``."""
    probe = socket.socket(socket.AF_UNIX, kind)
    try:
        probe.setblocking(False)
        code = probe.connect_ex(address)
    finally:
        probe.close()
    # Only a refusal means nobody is there: any other answer (a full queue,
    # a live socket of the other type, a datagram socket connected to
    # someone else, which answers EPERM) is a socket in use.
    return code != errno.ECONNREFUSED


def clearStale(address: Path, kind: int) -> None:
    """Make room at ``address`` for a new socket of ``kind``, removing only
    a stale socket.

    :raises plait.errors.CannotListenError: something else is there; the
        error's ``socketError`` says what.
    """
    if isAbstract(address):
        return
    try:
        info = os.lstat(address)
    except FileNotFoundError:
        return
    except OSError as e:
        raise CannotListenError(None, address, e) from e
    if not stat.S_ISSOCK(info.st_mode):
        what = (
            "a directory"
            if stat.S_ISDIR(info.st_mode)
            else "a symbolic link"
            if stat.S_ISLNK(info.st_mode)
            else "a file that is not a socket"
        )
        raise CannotListenError(
            None, address, f"{what} is in the way; it was left untouched"
        )
    if _answers(address, kind):
        raise CannotListenError(
            None, address, "a process is listening on that socket already"
        )
    try:
        os.unlink(address)
    except FileNotFoundError:
        pass  # someone else cleared it meanwhile
    except OSError as e:
        raise CannotListenError(None, address, e) from e
