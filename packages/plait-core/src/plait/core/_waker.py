"""Waking a loop that sleeps in its poller, from any thread or a signal handler.

Kernel facts that shaped this module:

- An eventfd (Linux) is one kernel counter behind one fd: writing adds to
  it, one 8-byte read returns it and resets it to zero, and the fd is
  readable while it is non-zero.  One fd, one drain syscall.  Elsewhere a
  non-blocking pipe does the job: any byte makes the read end readable;
  when the pipe is full the loop is awake anyway, so EAGAIN on write is
  ignored.
- eventfd only accepts 8-byte writes, so it cannot serve as
  ``signal.set_wakeup_fd`` (which writes single bytes); signal handlers wake
  the loop through :meth:`Waker.wake` instead.

A wake costs a syscall only when none is already pending: ``pending`` is
set before writing and cleared after the loop drained the fd.  The drain
happens before the flag is cleared, so a wake racing with the drain either
sees the flag still set (and its queued work is picked up by the loop's
processing right after the drain) or writes again.
"""

from __future__ import annotations

import os
import sys
import threading

from zope.interface import implementer

from plait.interfaces import IReadDescriptor

__all__ = ["Waker"]


if sys.platform == "linux":

    def _openEventfd() -> int | None:
        return os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)

else:

    def _openEventfd() -> int | None:
        return None


@implementer(IReadDescriptor)
class Waker:
    """A read descriptor that the loop watches and other threads poke.

    It is registered with the reactor like any reader; the reactor hides it
    from ``getReaders()`` and ``removeAll()``.
    """

    __slots__ = ("_closed", "_fd", "_lock", "_token", "_wfd", "pending")

    def __init__(self) -> None:
        fd = _openEventfd()
        if fd is not None:
            self._fd = self._wfd = fd
            self._token = (1).to_bytes(8, sys.byteorder)
        else:
            self._fd, self._wfd = os.pipe()
            os.set_blocking(self._fd, False)
            os.set_blocking(self._wfd, False)
            self._token = b"\0"
        #: True while a wake-up is written but not yet drained.
        self.pending = False
        self._closed = False
        self._lock = threading.Lock()

    def fileno(self) -> int:
        return self._fd

    def logPrefix(self) -> str:
        return "Waker"

    def wake(self) -> None:
        """Make the loop's next (or current) poll return promptly."""
        if self.pending:
            return
        # The lock orders a write against close(): without it a thread could
        # write into an fd number that close() freed and the process reused.
        # Only the syscall path takes it, so its cost hides behind write().
        with self._lock:
            if self._closed:
                return
            self.pending = True
            try:
                os.write(self._wfd, self._token)
            except BlockingIOError:
                pass  # full pipe: already readable

    def doRead(self) -> None:
        """Drain the wake-ups, then accept new ones."""
        try:
            while len(os.read(self._fd, 4096)) == 4096:
                pass
        except BlockingIOError:
            pass
        self.pending = False

    def connectionLost(self, reason: object) -> None:
        """The reactor never drops its waker; nothing to do."""

    def __del__(self) -> None:
        # A reactor that is dropped without close() must not take its wake-up
        # fd with it to the grave: a test suite building a reactor per test
        # would otherwise run out of descriptors.
        if not getattr(self, "_closed", True):
            self.close()

    def close(self) -> None:
        """Close the fd(s); later wakes are ignored.  Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            os.close(self._fd)
            if self._wfd != self._fd:
                os.close(self._wfd)
