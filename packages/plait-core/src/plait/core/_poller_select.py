"""The select(2) backend: available everywhere, limited to small fd numbers.

Kernel facts that shaped this module:

- select() works on fixed-size bitmaps of FD_SETSIZE bits (1024 with glibc
  and on the BSDs); an fd number at or above it cannot be watched at all,
  and writing past the bitmap is undefined behaviour in C.  CPython refuses
  such fds with a terse ValueError at wait time; this poller refuses them at
  ``register`` with a message that says what to use instead.
- Errors and hang-ups are not a separate condition: the fd just becomes
  readable (and writable), and the next recv/send reports the error.  The
  "exceptional" set means out-of-band data, which plait does not use.
- One closed fd in the sets makes the whole call fail with EBADF.  The
  poller then finds the closed fds itself and reports them with POLLNVAL, so
  the reactor can drop their descriptors instead of spinning.
- EINTR is retried by CPython (PEP 475) with the remaining timeout.
"""

from __future__ import annotations

import errno
import os
import select

from ._poller import READ, WRITE, Poller

__all__ = ["AVAILABLE", "FD_SETSIZE", "openPoller"]

AVAILABLE: bool = hasattr(select, "select")

#: The bitmap size of the C library's ``fd_set``; Python does not expose it.
FD_SETSIZE = 1024


def openPoller() -> Poller:
    """Return a new select(2) poller."""
    return SelectPoller()


def _isClosed(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError as e:
        return e.errno == errno.EBADF
    return False


class SelectPoller:
    """A :class:`~plait.core._poller.Poller` over ``select.select``."""

    name = "select"

    def __init__(self) -> None:
        self._readers: set[int] = set()
        self._writers: set[int] = set()

    def register(self, fd: int, events: int) -> None:
        if not 0 <= fd < FD_SETSIZE:
            raise ValueError(
                f"file descriptor {fd} cannot be watched by select(), which "
                f"handles only descriptors below FD_SETSIZE ({FD_SETSIZE}); "
                "use the epoll, kqueue or poll poller instead"
            )
        self.modify(fd, events)

    def modify(self, fd: int, events: int) -> None:
        if events & READ:
            self._readers.add(fd)
        else:
            self._readers.discard(fd)
        if events & WRITE:
            self._writers.add(fd)
        else:
            self._writers.discard(fd)

    def unregister(self, fd: int) -> None:
        self._readers.discard(fd)
        self._writers.discard(fd)

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        try:
            readable, writable, _ = select.select(
                self._readers, self._writers, (), timeout
            )
        except OSError as e:
            if e.errno != errno.EBADF:
                raise
            watched = self._readers | self._writers
            return [(fd, select.POLLNVAL) for fd in watched if _isClosed(fd)]
        if not writable:
            return [(fd, READ) for fd in readable]
        masks = dict.fromkeys(readable, READ)
        for fd in writable:
            masks[fd] = masks.get(fd, 0) | WRITE
        return list(masks.items())

    def close(self) -> None:
        self._readers.clear()
        self._writers.clear()
