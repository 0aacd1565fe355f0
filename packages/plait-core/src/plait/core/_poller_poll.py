"""The poll(2) backend: no fd-number limit, but the kernel rescans every fd.

Kernel facts that shaped this module:

- poll() has no per-process state: the set lives in the Python poll object
  and is handed to the kernel on each call, so registering is a dict update
  and costs no system call.  The price is O(n) work per wait.
- POLLERR, POLLHUP and POLLNVAL are reported even if not requested.  POLLNVAL
  means the fd was closed while still registered; the reactor lets the
  descriptor find out (its own syscall fails) and drops it.
- The timeout is in whole milliseconds.  It is rounded *up*: rounding a
  0.4 ms timer down to 0 would spin the loop until the timer is due.
- EINTR is retried by CPython (PEP 475) with the remaining timeout.
"""

from __future__ import annotations

import math
import select

from ._poller import Poller

__all__ = ["AVAILABLE", "openPoller"]

AVAILABLE: bool = hasattr(select, "poll")


def openPoller() -> Poller:
    """Return a new poll(2) poller."""
    return PollPoller()


class PollPoller:
    """A :class:`~plait.core._poller.Poller` over ``select.poll``."""

    name = "poll"

    def __init__(self) -> None:
        self._poll = select.poll()

    def register(self, fd: int, events: int) -> None:
        self._poll.register(fd, events)

    def modify(self, fd: int, events: int) -> None:
        # register() on a known fd replaces its mask; modify() would raise
        # ENOENT for an fd this object does not hold, which is never useful.
        self._poll.register(fd, events)

    def unregister(self, fd: int) -> None:
        try:
            self._poll.unregister(fd)
        except KeyError:
            pass

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        if timeout is None:
            return self._poll.poll()
        return self._poll.poll(math.ceil(timeout * 1000.0))

    def close(self) -> None:
        # Nothing in the kernel to release; forget the set so that a closed
        # poller reports nothing.
        self._poll = select.poll()
