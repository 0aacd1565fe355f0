"""The kqueue(2) backend: the BSDs' and macOS's readiness interface.

Kernel facts that shaped this module:

- kqueue watches (fd, filter) pairs: reading and writing are two separate
  registrations (EVFILT_READ, EVFILT_WRITE), so a mask change is expressed
  as adding or deleting single filters.  The poller keeps each fd's mask to
  compute that difference.
- Unlike epoll, knotes belong to the fd number: close() drops them all, so
  deleting a filter of a closed fd fails with EBADF or ENOENT, which means
  "already gone" and is ignored.
- End of file is not its own event: the read (or write) filter fires with
  EV_EOF set.  It is reported as readiness plus POLLHUP so that the reader's
  recv sees the EOF.  EV_ERROR on a returned event carries an errno for a
  failed change; it is reported as POLLERR on that fd.
- A kqueue is not inherited by a child after fork().
- kevent() interrupted by a signal is retried by CPython (PEP 475).

This module imports on every platform; the poller exists only where
``select.kqueue`` does.  plait's test suite runs on Linux, where it is not
exercised.
"""

from __future__ import annotations

import errno
import select
import sys

from ._poller import READ, WRITE, Poller

__all__ = ["AVAILABLE", "openPoller"]

AVAILABLE: bool = hasattr(select, "kqueue")

_GONE = (errno.EBADF, errno.ENOENT)


def openPoller() -> Poller:
    """Return a new kqueue poller; OSError where kqueue does not exist."""
    if sys.platform != "linux" and sys.platform != "win32":
        return KqueuePoller()
    raise OSError(errno.ENOSYS, "kqueue is not available on this platform")


if sys.platform != "linux" and sys.platform != "win32":

    class KqueuePoller:
        """A :class:`~plait.core._poller.Poller` over one kqueue."""

        name = "kqueue"

        def __init__(self) -> None:
            self._kq = select.kqueue()
            self._masks: dict[int, int] = {}

        def _change(self, fd: int, filt: int, flags: int) -> None:
            try:
                self._kq.control([select.kevent(fd, filt, flags)], 0, 0)
            except OSError as e:
                if flags != select.KQ_EV_DELETE or e.errno not in _GONE:
                    raise

        def register(self, fd: int, events: int) -> None:
            self._masks[fd] = 0
            self.modify(fd, events)

        def modify(self, fd: int, events: int) -> None:
            old = self._masks.get(fd, 0)
            for bit, filt in (
                (READ, select.KQ_FILTER_READ),
                (WRITE, select.KQ_FILTER_WRITE),
            ):
                if events & bit and not old & bit:
                    self._change(fd, filt, select.KQ_EV_ADD)
                elif old & bit and not events & bit:
                    self._change(fd, filt, select.KQ_EV_DELETE)
            self._masks[fd] = events & (READ | WRITE)

        def unregister(self, fd: int) -> None:
            if fd in self._masks:
                self.modify(fd, 0)
                del self._masks[fd]

        def poll(self, timeout: float | None) -> list[tuple[int, int]]:
            # Each fd yields at most two kevents (one per filter).
            changes = self._kq.control(None, 2 * len(self._masks) or 1, timeout)
            masks: dict[int, int] = {}
            for kev in changes:
                fd = kev.ident
                mask = READ if kev.filter == select.KQ_FILTER_READ else WRITE
                if kev.flags & select.KQ_EV_EOF:
                    mask |= select.POLLHUP
                if kev.flags & select.KQ_EV_ERROR:
                    mask |= select.POLLERR
                masks[fd] = masks.get(fd, 0) | mask
            return list(masks.items())

        def close(self) -> None:
            self._kq.close()
            self._masks.clear()

        def fileno(self) -> int:
            """The kqueue fd itself."""
            return self._kq.fileno()
