"""The lock file beside a UNIX socket: ``<address>.lock`` holds the pid of
the process that listens there.

Facts that shaped this module:

- The lock appears whole or not at all: the pid is written to a private
  temporary file, which is then hard-linked to the lock's name. ``link``
  fails if the name exists, so two listeners cannot both win.
- A lock whose pid no longer runs (``kill(pid, 0)`` says ESRCH) is stale:
  the process died without cleaning up. It is removed and taking the lock
  is tried once more. A pid that runs under another user (EPERM) is alive.
- A lock that cannot be read as a pid was not written by us; it is left
  alone and counts as held.
- Releasing removes the lock only while it still names our pid.
"""

from __future__ import annotations

import errno
import os

from plait.errors import CannotListenError

from ._paths import Path

__all__ = ["lockPathFor", "pidAlive", "readLock", "releaseLock", "takeLock"]


def lockPathFor(address: Path) -> Path:
    """The lock file's name for the socket at ``address``."""
    if isinstance(address, bytes):
        return address + b".lock"
    return address + ".lock"


def readLock(lockPath: Path) -> int | None:
    """The pid in the lock file, None if it is missing or not a pid."""
    try:
        with open(lockPath, "rb") as f:
            text = f.read(32)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    try:
        pid = int(text.strip())
    except ValueError:
        return None
    return pid if pid > 0 else None


def pidAlive(pid: int) -> bool:
    """Whether a process with this pid runs."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it runs, as another user
    return True


def takeLock(address: Path) -> Path:
    """Write our pid to ``address``'s lock file; its name.

    :raises plait.errors.CannotListenError: a live process holds the lock,
        or it cannot be written.
    """
    lockPath = lockPathFor(address)
    pid = os.getpid()
    temporary = os.fsencode(lockPath) + f".{pid}.tmp".encode()
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as e:
        raise CannotListenError(None, address, e) from e
    try:
        os.write(fd, f"{pid}\n".encode())
    finally:
        os.close(fd)
    try:
        for _ in range(2):
            try:
                os.link(temporary, lockPath)
            except FileExistsError:
                holder = readLock(lockPath)
                if holder is None or pidAlive(holder):
                    who = "an unreadable lock" if holder is None else f"pid {holder}"
                    raise CannotListenError(
                        None, address, f"{os.fsdecode(lockPath)} is held by {who}"
                    ) from None
                _removeStale(lockPath, holder)
                continue
            except OSError as e:
                raise CannotListenError(None, address, e) from e
            return lockPath
        raise CannotListenError(
            None, address, f"{os.fsdecode(lockPath)} keeps being taken by others"
        )
    finally:
        os.unlink(temporary)


def _removeStale(lockPath: Path, holder: int) -> None:
    # Only if it still names the dead holder: another process may have
    # replaced it with its own since it was read.
    if readLock(lockPath) == holder:
        try:
            os.unlink(lockPath)
        except FileNotFoundError:
            pass


def releaseLock(lockPath: Path) -> None:
    """Remove the lock file if it still holds our pid."""
    if readLock(lockPath) == os.getpid():
        try:
            os.unlink(lockPath)
        except OSError as e:
            if e.errno != errno.ENOENT:
                raise
