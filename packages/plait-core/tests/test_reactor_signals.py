"""SIGINT and SIGTERM stop a reactor running in the main thread."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from plait.core import Reactor

pytestmark = pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(),
    reason="signal handlers need the main thread",
)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_run_cleanly(reactor: Reactor, signum: int) -> None:
    """The signal makes run() return after the shutdown triggers ran."""
    shutdown = []
    reactor.addSystemEventTrigger("after", "shutdown", shutdown.append, True)
    reactor.callLater(0, os.kill, os.getpid(), signum)
    reactor.run()
    assert shutdown == [True]
    assert not reactor.running


def test_previous_handlers_are_restored(reactor: Reactor) -> None:
    """After run() returns, SIGINT and SIGTERM have their old handlers."""
    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    during = []
    reactor.callWhenRunning(lambda: during.append(signal.getsignal(signal.SIGINT)))
    reactor.callWhenRunning(reactor.stop)
    reactor.run()
    assert during[0] is not before[0]
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_handlers_left_alone_when_disabled(poller_name: str) -> None:
    """installSignalHandlers=False leaves the process's handlers untouched."""
    r = Reactor(poller=poller_name, extensions=[], installSignalHandlers=False)
    before = signal.getsignal(signal.SIGINT)
    during = []
    r.callWhenRunning(lambda: during.append(signal.getsignal(signal.SIGINT)))
    r.callWhenRunning(r.stop)
    r.run()
    r.close()
    assert during == [before]


def test_second_signal_while_stopping_is_ignored(reactor: Reactor) -> None:
    """A signal arriving during shutdown does not raise or restart anything."""
    reactor.addSystemEventTrigger(
        "before", "shutdown", os.kill, os.getpid(), signal.SIGINT
    )
    reactor.callLater(0, os.kill, os.getpid(), signal.SIGINT)
    reactor.run()
    assert not reactor.running
