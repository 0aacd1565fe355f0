"""Learning that a child exited, and collecting its status, per reactor.

Facts that shaped this module:

- ``waitpid(-1)`` would collect any child of the program, including those
  of ``subprocess`` or of another reactor, and steal their exit status.
  Each watcher therefore waits only on the pids it was given.
- Linux 5.3 and later hand out a pidfd for a child; it becomes readable
  when the child exits, so the reactor's poller learns of the exit like of
  any other event, with no signal handler and no polling.  A pidfd can be
  opened for a child that has already exited (it is a zombie until
  reaped), so there is no race between spawning and watching.
- Elsewhere SIGCHLD says that some child changed state.  A handler can
  only be installed from the main thread and is shared by the whole
  program, so one handler (chained to whatever handler was there before)
  wakes every reactor that waits on children; each then asks ``waitpid``
  about its own pids with ``WNOHANG``.  A slow timer backs the signal up,
  for programs that started their first child from another thread or
  whose SIGCHLD handler was replaced.
- When a reactor shuts down with children still running, a small daemon
  thread waits for each of them, so none is left a zombie.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import weakref
from collections.abc import Callable
from types import FrameType
from typing import Any, Protocol

from zope.interface import implementer

from plait.interfaces import IReadDescriptor

__all__ = [
    "WATCHERS",
    "ChildWatcher",
    "PidfdWatcher",
    "SigchldWatcher",
    "createWatcher",
    "reapInBackground",
]

#: The names ``createWatcher`` accepts.
WATCHERS = ("pidfd", "sigchld")

log = logging.getLogger("plait.process")

#: Called with the raw wait status, or None when another waiter took it.
ExitCallback = Callable[[int | None], None]

_BACKSTOP = 0.5


class ChildWatcher(Protocol):
    """Tells a reactor when each of its children exits."""

    def watch(self, pid: int, onExit: ExitCallback) -> None:
        """Call ``onExit(status)`` in the reactor thread once *pid* exits."""


def _tryReap(pid: int) -> tuple[bool, int | None]:
    """Collect *pid* if it exited: ``(exited, status)``."""
    try:
        reaped, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        # Someone else collected it (a waitpid(-1) elsewhere in the
        # program): it is gone, its status lost.
        return True, None
    if reaped == 0:
        return False, None
    return True, status


def _forgotten(status: int | None) -> None:
    """Stands for an exit callback already called (and let go of)."""


def reapInBackground(pid: int) -> None:
    """Wait for *pid* on a daemon thread so it never stays a zombie."""

    def wait() -> None:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass

    threading.Thread(target=wait, name=f"plait-reap-{pid}", daemon=True).start()


# -- pidfd ---------------------------------------------------------------------


@implementer(IReadDescriptor)
class _PidfdReader:
    """One child's pidfd, watched for readability by the reactor."""

    def __init__(self, reactor: Any, pid: int, pidfd: int, onExit: ExitCallback):
        self.reactor = reactor
        self.pid = pid
        self.pidfd = pidfd
        self.onExit = onExit
        # The reactor asks for fileno() on every event: answer from C.
        self.fileno = pidfd.__index__  # type: ignore[method-assign]  # same contract

    def fileno(self) -> int:
        return self.pidfd

    def logPrefix(self) -> str:
        return f"pidfd of process {self.pid}"

    def doRead(self) -> None:
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            pid, status = self.pid, None  # collected by someone else
        if pid == 0:
            return
        self._close()
        onExit, self.onExit = self.onExit, _forgotten
        onExit(status)

    def _close(self) -> None:
        if self.pidfd >= 0:
            self.reactor.removeReader(self)
            os.close(self.pidfd)
            self.pidfd = -1

    def connectionLost(self, reason: object) -> None:
        # The reactor dropped every descriptor (shutdown or close): nobody
        # will hear of this child any more, but it must still be reaped.
        if self.pidfd >= 0:
            os.close(self.pidfd)
            self.pidfd = -1
        exited, _ = _tryReap(self.pid)
        if not exited:
            reapInBackground(self.pid)


class PidfdWatcher:
    """Watches each child through its own pidfd (Linux 5.3+)."""

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor

    def watch(self, pid: int, onExit: ExitCallback) -> None:
        """Open the child's pidfd and let the reactor watch it."""
        # Never read: readability only says the child exited.
        pidfd = os.pidfd_open(pid)
        self.reactor.addReader(_PidfdReader(self.reactor, pid, pidfd, onExit))


def pidfdWorks() -> bool:
    """Whether this kernel hands out pidfds."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return False
    try:
        os.close(opener(os.getpid()))
    except OSError:
        return False
    return True


# -- SIGCHLD -------------------------------------------------------------------


class _SigchldHub:
    """The program's one SIGCHLD handler, waking every watcher that waits."""

    def __init__(self) -> None:
        self.watchers: weakref.WeakSet[SigchldWatcher] = weakref.WeakSet()
        self.installed = False
        self.previous: Any = None

    def add(self, watcher: SigchldWatcher) -> None:
        self.watchers.add(watcher)
        if self.installed or threading.current_thread() is not threading.main_thread():
            return
        self.previous = signal.signal(signal.SIGCHLD, self._handle)
        self.installed = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        # In a signal handler: only queue work for each reactor.
        for watcher in list(self.watchers):
            watcher.wake()
        previous = self.previous
        if callable(previous):
            previous(signum, frame)


_HUB = _SigchldHub()


class SigchldWatcher:
    """Watches children through SIGCHLD and ``waitpid(pid, WNOHANG)``."""

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor
        self.children: dict[int, ExitCallback] = {}
        self._timer: Any = None
        self._shutdownTrigger: Any = None

    def watch(self, pid: int, onExit: ExitCallback) -> None:
        """Remember *pid*; it may have exited already, so look on the next turn."""
        self.children[pid] = onExit
        _HUB.add(self)
        if self._shutdownTrigger is None:
            self._shutdownTrigger = self.reactor.addSystemEventTrigger(
                "after", "shutdown", self._abandon
            )
        self.reactor.callLater(0, self.check)

    def wake(self) -> None:
        """Ask the reactor to look at its children (safe in a handler)."""
        self.reactor.callFromThread(self.check)

    def check(self) -> None:
        """Collect every child of ours that has exited."""
        for pid in list(self.children):
            exited, status = _tryReap(pid)
            if exited:
                onExit = self.children.pop(pid)
                onExit(status)
        self._arm()

    def _arm(self) -> None:
        timer = self._timer
        if self.children:
            if timer is None or not timer.active():
                self._timer = self.reactor.callLater(_BACKSTOP, self.check)
        elif timer is not None and timer.active():
            timer.cancel()
            self._timer = None

    def _abandon(self) -> None:
        self._shutdownTrigger = None
        for pid in list(self.children):
            del self.children[pid]
            exited, _ = _tryReap(pid)
            if not exited:
                reapInBackground(pid)


def createWatcher(reactor: Any, kind: str | None = None) -> ChildWatcher:
    """The best watcher here, or the one named: ``"pidfd"``, ``"sigchld"``."""
    if kind is None:
        kind = "pidfd" if pidfdWorks() else "sigchld"
    if kind == "pidfd":
        return PidfdWatcher(reactor)
    if kind == "sigchld":
        return SigchldWatcher(reactor)
    raise ValueError(f"unknown child watcher {kind!r}; use 'pidfd' or 'sigchld'")
