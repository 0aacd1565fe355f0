"""The epoll(7) backend: Linux's scalable readiness interface.

Kernel facts that shaped this module:

- epoll watches an open file *description*, not an fd number.  Closing the
  last fd of a description drops it from the set silently (no event is
  reported); while a dup() of it stays open, events keep coming for the
  old number.  So ``unregister`` of an fd that was closed first fails with
  EBADF (or ENOENT when the number now names another file): both mean "not
  watched any more" and are ignored.
- An fd number closed without unregistering and then reused may still be in
  the set, so ``register`` answers EEXIST: the registration is replaced.
- EPOLLERR and EPOLLHUP are always reported, whether asked for or not; the
  reactor treats them as read/write readiness so that the descriptor's own
  recv/send sees the error.
- The event bits equal poll(2)'s (EPOLLIN == POLLIN ...), so masks pass
  through untranslated.  Level-triggered mode: an unserved fd is reported
  again on the next wait.
- epoll_wait interrupted by a signal (EINTR) is retried by CPython (PEP 475)
  with the remaining timeout, after the Python-level handler ran; a handler
  that wants the loop back wakes it through the reactor's waker.
"""

from __future__ import annotations

import errno
import select
import sys
from collections.abc import Callable

from ._poller import Poller

__all__ = ["AVAILABLE", "openPoller"]

AVAILABLE: bool = hasattr(select, "epoll")

_GONE = (errno.EBADF, errno.ENOENT)


def openPoller() -> Poller:
    """Return a new epoll poller; OSError where epoll does not exist."""
    if sys.platform == "linux":
        return EpollPoller()
    raise OSError(errno.ENOSYS, "epoll is only available on Linux")


if sys.platform == "linux":

    class EpollPoller:
        """A :class:`~plait.core._poller.Poller` over one epoll instance."""

        name = "epoll"

        #: epoll's own method: it takes seconds and None means no limit,
        #: exactly the Poller contract, so no Python frame sits in between.
        poll: Callable[[float | None], list[tuple[int, int]]]

        def __init__(self) -> None:
            self._epoll = select.epoll()
            self.poll = self._epoll.poll

        def register(self, fd: int, events: int) -> None:
            try:
                self._epoll.register(fd, events)
            except FileExistsError:
                self._epoll.modify(fd, events)

        def modify(self, fd: int, events: int) -> None:
            try:
                self._epoll.modify(fd, events)
            except FileNotFoundError:
                # The kernel forgot the fd (it was closed and reopened under
                # the same number): watch the new file.
                self._epoll.register(fd, events)

        def unregister(self, fd: int) -> None:
            try:
                self._epoll.unregister(fd)
            except OSError as e:
                if e.errno not in _GONE:
                    raise

        def close(self) -> None:
            self._epoll.close()

        def fileno(self) -> int:
            """The epoll fd itself, so that tests can count it among open fds."""
            return self._epoll.fileno()
