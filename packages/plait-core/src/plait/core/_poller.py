"""The one interface every readiness mechanism (epoll, kqueue, poll, select) offers.

A poller only waits: it is told which file descriptors to watch for which
events, and :meth:`Poller.poll` reports the ready ones.  It knows nothing of
readers, writers or transports; the reactor does the dispatching.
"""

from __future__ import annotations

import select
from typing import Protocol

__all__ = ["ERROR", "READ", "WRITE", "Poller", "availablePollers", "createPoller"]

# The event bits are poll(2)'s; on Linux epoll uses the same values, so the
# epoll and poll backends hand the kernel's masks through without translation.
READ: int = select.POLLIN
WRITE: int = select.POLLOUT
ERROR: int = select.POLLERR | select.POLLHUP | select.POLLNVAL

#: Every mechanism plait knows, best first.
_PREFERENCE: tuple[str, ...] = ("epoll", "kqueue", "poll", "select")


class Poller(Protocol):
    """Waits for readiness on a set of file descriptors.

    Event masks are made of :data:`READ`, :data:`WRITE` and :data:`ERROR`.
    A poller may report :data:`ERROR` bits for a descriptor that did not ask
    for them (hang-up and error conditions are always reported).
    """

    #: The mechanism's name, as accepted by :func:`createPoller`.
    name: str

    def register(self, fd: int, events: int) -> None:
        """Start watching *fd* for *events* (READ and/or WRITE)."""

    def modify(self, fd: int, events: int) -> None:
        """Replace the events watched on an already registered *fd*."""

    def unregister(self, fd: int) -> None:
        """Stop watching *fd*; a descriptor that is not watched is ignored."""

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        """Wait at most *timeout* seconds (``None``: no limit) for readiness.

        Returns ``(fd, events)`` pairs; the list is empty when the time ran
        out or a signal interrupted the wait.
        """

    def close(self) -> None:
        """Release the kernel object behind the poller; idempotent."""


def availablePollers() -> list[str]:
    """Names of the mechanisms this platform offers, best first."""
    from . import _poller_epoll, _poller_kqueue, _poller_poll, _poller_select

    present = {
        "epoll": _poller_epoll.AVAILABLE,
        "kqueue": _poller_kqueue.AVAILABLE,
        "poll": _poller_poll.AVAILABLE,
        "select": _poller_select.AVAILABLE,
    }
    return [name for name in _PREFERENCE if present[name]]


def createPoller(name: str | None = None) -> Poller:
    """Build the poller called *name*, or the best available one for ``None``.

    :raises ValueError: *name* is not a mechanism this platform offers; the
        message lists the ones it does.
    """
    from . import _poller_epoll, _poller_kqueue, _poller_poll, _poller_select

    valid = availablePollers()
    if name is None:
        name = valid[0]
    if name not in valid:
        raise ValueError(
            f"unknown poller {name!r}; this platform offers: {', '.join(valid)}"
        )
    if name == "epoll":
        return _poller_epoll.openPoller()
    if name == "kqueue":
        return _poller_kqueue.openPoller()
    if name == "poll":
        return _poller_poll.openPoller()
    return _poller_select.openPoller()
