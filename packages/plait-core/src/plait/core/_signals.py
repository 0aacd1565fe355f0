"""SIGINT and SIGTERM handling for a reactor that runs in the main thread.

Facts that shaped this module:

- Python runs signal handlers in the main thread only, between bytecodes;
  a handler can fire in the middle of any reactor code.  So it does not
  stop the reactor itself: it queues the stop with ``callFromThread``
  (an atomic deque append plus a waker write), and the loop performs it
  at a safe point.
- While the loop sleeps in epoll_wait/poll/select, the signal interrupts
  the wait (EINTR); CPython runs the handler and then resumes the wait,
  which the waker's write ends at once.
- ``signal.set_wakeup_fd`` is not used: it writes single bytes, which an
  eventfd rejects, and the handler wakes the loop anyway.
- Handlers are process-wide.  The previous ones are saved when the
  reactor starts and put back when ``run()`` returns, so a reactor run in
  a test or inside another program leaves no trace.

Child processes: SIGCHLD handling belongs to the process distribution,
which adds its own watcher (pidfd where the kernel offers it) through its
reactor extension; nothing here needs to change for it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

__all__ = ["STOP_SIGNALS", "installStopHandlers"]

STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)


def _noop() -> None:
    pass


def installStopHandlers(onSignal: Callable[[int], None]) -> Callable[[], None]:
    """Route SIGINT and SIGTERM to ``onSignal(signum)``.

    Does nothing outside the main thread (Python allows handlers only
    there).  *onSignal* runs inside the signal handler and must only queue
    work.

    :returns: a function that restores the previous handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        return _noop

    def handler(signum: int, frame: FrameType | None) -> None:
        onSignal(signum)

    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}

    def restore() -> None:
        for sig, old in previous.items():
            # None: the old handler was installed from C; the default is the
            # closest thing Python can put back.
            signal.signal(sig, signal.SIG_DFL if old is None else old)

    return restore
