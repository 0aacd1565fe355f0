"""The reactor's life cycle: run, stop, crash, iterate, close, interfaces."""

from __future__ import annotations

import gc
import logging
import os
import socket
import threading

import pytest
from zope.interface.verify import verifyObject

from plait.core import Failure, Reactor, availablePollers
from plait.errors import (
    ConnectionLost,
    ReactorAlreadyRunning,
    ReactorNotRestartable,
    ReactorNotRunning,
)
from plait.interfaces import (
    IReactorCore,
    IReactorFDSet,
    IReactorPluggableResolver,
    IReactorThreads,
    IReactorTime,
    IReactorWin32Events,
    _IReactorArbitrary,
)

DECLARED = [
    IReactorCore,
    IReactorTime,
    IReactorThreads,
    IReactorFDSet,
    IReactorPluggableResolver,
    _IReactorArbitrary,
]


@pytest.mark.parametrize("iface", DECLARED, ids=lambda i: i.__name__)
def test_reactor_verifies_against_interface(reactor: Reactor, iface) -> None:
    """The reactor provides, and fully implements, each declared interface."""
    assert iface.providedBy(reactor)
    assert verifyObject(iface, reactor)


def test_win32_events_never_provided(reactor: Reactor) -> None:
    """IReactorWin32Events is not provided on POSIX."""
    assert not IReactorWin32Events.providedBy(reactor)


def test_run_then_stop(reactor: Reactor) -> None:
    """run() returns after stop(); running is True only in between."""
    seen = []
    reactor.callWhenRunning(lambda: seen.append(reactor.running))
    reactor.callWhenRunning(reactor.stop)
    assert not reactor.running
    reactor.run()
    assert seen == [True]
    assert not reactor.running


def test_running_flag_across_phases(reactor: Reactor) -> None:
    """running flips in the 'during' phases of startup and of shutdown."""
    seen = []
    for event in ("startup", "shutdown"):
        for phase in ("before", "during", "after"):
            reactor.addSystemEventTrigger(
                phase,
                event,
                lambda e=event, p=phase: seen.append((e, p, reactor.running)),
            )
    reactor.callWhenRunning(reactor.stop)
    reactor.run()
    assert seen == [
        ("startup", "before", False),
        ("startup", "during", True),
        ("startup", "after", True),
        ("shutdown", "before", True),
        ("shutdown", "during", False),
        ("shutdown", "after", False),
    ]


def test_run_while_running_is_refused(reactor: Reactor) -> None:
    """run() from inside the running loop raises ReactorAlreadyRunning."""
    errors = []

    def again() -> None:
        try:
            reactor.run()
        except ReactorAlreadyRunning as e:
            errors.append(e)
        reactor.stop()

    reactor.callLater(0, again)
    reactor.run()
    assert len(errors) == 1


def test_run_after_stop_is_refused(reactor: Reactor) -> None:
    """A stopped reactor cannot run again: ReactorNotRestartable."""
    reactor.callWhenRunning(reactor.stop)
    reactor.run()
    with pytest.raises(ReactorNotRestartable):
        reactor.run()


def test_stop_when_not_running(reactor: Reactor) -> None:
    """stop() before run() raises ReactorNotRunning."""
    with pytest.raises(ReactorNotRunning):
        reactor.stop()


def test_stop_twice(reactor: Reactor) -> None:
    """The second stop() raises ReactorNotRunning; the first still works."""
    errors = []

    def twice() -> None:
        reactor.stop()
        try:
            reactor.stop()
        except ReactorNotRunning as e:
            errors.append(e)

    reactor.callWhenRunning(twice)
    reactor.run()
    assert len(errors) == 1


def test_stop_after_run_returned(reactor: Reactor) -> None:
    """stop() on a reactor whose run() has returned raises ReactorNotRunning."""
    reactor.callWhenRunning(reactor.stop)
    reactor.run()
    with pytest.raises(ReactorNotRunning):
        reactor.stop()


def test_crash_skips_shutdown_and_can_resume(reactor: Reactor) -> None:
    """crash() ends run() without shutdown triggers; run() then resumes."""
    shutdown = []
    started = []
    reactor.addSystemEventTrigger("before", "shutdown", shutdown.append, 1)
    reactor.callWhenRunning(started.append, 1)
    reactor.callLater(0, reactor.crash)
    reactor.run()
    assert shutdown == []
    assert not reactor.running
    reactor.callLater(0, reactor.stop)
    reactor.run()
    assert started == [1]
    assert shutdown == [1]


def test_run_after_crash_fires_startup_again(reactor: Reactor) -> None:
    """run() after crash() fires startup anew, so callWhenRunning works again."""
    events: list[object] = []

    def crash() -> None:
        events.append("crash")
        reactor.crash()

    def stop() -> None:
        events.append(("stop", reactor.running))
        reactor.stop()

    reactor.callWhenRunning(crash)
    reactor.run()
    reactor.callWhenRunning(stop)
    reactor.run()
    assert events == ["crash", ("stop", True)]


def test_run_from_an_after_shutdown_trigger(reactor: Reactor) -> None:
    """Once shutdown's during phase began, run() raises ReactorNotRestartable."""
    errors: list[BaseException] = []

    def runAgain() -> None:
        try:
            reactor.run()
        except BaseException as e:
            errors.append(e)

    reactor.addSystemEventTrigger("after", "shutdown", runAgain)
    reactor.callWhenRunning(reactor.stop)
    reactor.run()
    assert len(errors) == 1
    assert isinstance(errors[0], ReactorNotRestartable)


class _Descriptor:
    """A reader over one end of a socket pair that records its end."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.lost: list[Failure] = []

    def fileno(self) -> int:
        return self.sock.fileno()

    def doRead(self) -> None:
        self.sock.recv(100)

    def doWrite(self) -> None:
        pass

    def connectionLost(self, reason: Failure) -> None:
        self.lost.append(reason)
        self.sock.close()

    def logPrefix(self) -> str:
        return "descriptor"


def test_shutdown_disconnects_every_descriptor(reactor: Reactor) -> None:
    """Shutdown removes each reader and writer and tells it ConnectionLost."""
    a, b = socket.socketpair()
    reader, writer = _Descriptor(a), _Descriptor(b)
    reactor.addReader(reader)
    reactor.addWriter(writer)
    seen = []
    reactor.addSystemEventTrigger(
        "during", "shutdown", lambda: seen.append((reader.lost, writer.lost))
    )
    reactor.callWhenRunning(reactor.stop)
    reactor.run()
    assert reactor.getReaders() == [] and reactor.getWriters() == []
    for descriptor in (reader, writer):
        assert len(descriptor.lost) == 1
        assert descriptor.lost[0].check(ConnectionLost)
    # The descriptors were told before the user's "during" triggers ran.
    assert seen == [([reader.lost[0]], [writer.lost[0]])]


def test_crash_when_not_running_does_nothing(reactor: Reactor) -> None:
    """crash() on an idle reactor is harmless."""
    reactor.crash()
    reactor.callWhenRunning(reactor.stop)
    reactor.run()
    assert not reactor.running


def test_exception_escaping_run_leaves_reactor_resumable(reactor: Reactor) -> None:
    """A BaseException from a callback ends run(); the reactor may run again."""

    def interrupt() -> None:
        raise KeyboardInterrupt

    reactor.callLater(0, interrupt)
    with pytest.raises(KeyboardInterrupt):
        reactor.run()
    assert not reactor.running
    reactor.callLater(0, reactor.stop)
    reactor.run()


def test_iterate_runs_timers_and_thread_calls(reactor: Reactor) -> None:
    """iterate() performs one pass: due timers and queued thread calls run."""
    ran = []
    reactor.callLater(0, ran.append, "timer")
    reactor.callFromThread(ran.append, "thread")
    reactor.iterate()
    assert sorted(ran) == ["thread", "timer"]


def test_iterate_from_the_loop_is_refused(reactor: Reactor) -> None:
    """iterate() inside a callback of the loop raises ReactorAlreadyRunning."""
    errors = []

    def nested() -> None:
        try:
            reactor.iterate()
        except ReactorAlreadyRunning as e:
            errors.append(e)

    reactor.callLater(0, nested)
    reactor.iterate()
    reactor.callLater(0, nested)
    reactor.callLater(0, reactor.stop)
    reactor.run()
    assert len(errors) == 2


def test_run_from_iterate_is_refused(reactor: Reactor) -> None:
    """run() inside a callback of iterate() raises ReactorAlreadyRunning."""
    errors = []

    def nested() -> None:
        try:
            reactor.run()
        except ReactorAlreadyRunning as e:
            errors.append(e)

    reactor.callLater(0, nested)
    reactor.iterate()
    assert len(errors) == 1


def test_timer_further_than_the_poller_can_wait_does_not_break_the_loop(
    reactor: Reactor,
) -> None:
    """With only a call 30 days (or an infinite delay) away, the loop still
    sleeps, and a stop from another thread still ends it."""
    far = reactor.callLater(30 * 86400, lambda: None)
    never = reactor.callLater(float("inf"), lambda: None)
    waker = threading.Timer(0.05, reactor.callFromThread, [reactor.stop])
    waker.start()
    try:
        reactor.run()
    finally:
        waker.join()
    assert far.active() and never.active()
    far.cancel()
    never.cancel()


def test_iterate_with_a_huge_delay_returns(reactor: Reactor) -> None:
    """iterate() given a delay no poller can wait sleeps until woken."""
    ran: list[int] = []
    waker = threading.Timer(0.05, reactor.callFromThread, [ran.append, 1])
    waker.start()
    try:
        reactor.iterate(1e12)
    finally:
        waker.join()
    assert ran == [1]


def test_iterate_delay_bounds_the_wait(reactor: Reactor) -> None:
    """iterate(delay) returns after at most delay, not at the next timer."""
    call = reactor.callLater(3600, print)
    reactor.iterate(0.001)
    assert reactor.getDelayedCalls() == (call,)


def test_exception_in_thread_call_is_logged(
    reactor: Reactor, caplog: pytest.LogCaptureFixture
) -> None:
    """A raising callFromThread call is logged and the next one still runs."""
    ran = []
    reactor.callFromThread(lambda: 1 / 0)
    reactor.callFromThread(ran.append, 1)
    with caplog.at_level(logging.ERROR, logger="plait.core"):
        reactor.iterate()
    assert ran == [1]
    assert any(
        r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records
    )


def test_run_in_a_thread(poller_name: str) -> None:
    """A reactor can run in a non-main thread (no signal handlers there)."""
    ran = []
    errors = []
    r = Reactor(poller=poller_name, extensions=[])

    def body() -> None:
        try:
            r.callWhenRunning(ran.append, threading.get_ident())
            r.callWhenRunning(r.stop)
            r.run()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    t = threading.Thread(target=body)
    t.start()
    t.join(30)
    r.close()
    assert not errors
    assert ran and ran[0] != threading.get_ident()


def test_many_reactors_coexist() -> None:
    """Several reactors live side by side; there is no global one."""
    reactors = [Reactor(poller=name, extensions=[]) for name in availablePollers()]
    try:
        ran = []
        for i, r in enumerate(reactors):
            r.callLater(0, ran.append, i)
        for r in reactors:
            r.iterate()
        assert sorted(ran) == list(range(len(reactors)))
    finally:
        for r in reactors:
            r.close()


def test_close_releases_descriptors(poller_name: str) -> None:
    """close() frees the poller and waker fds and may be repeated."""
    before = len(os.listdir("/proc/self/fd"))
    r = Reactor(poller=poller_name, extensions=[])
    assert len(os.listdir("/proc/self/fd")) > before
    r.close()
    r.close()
    assert len(os.listdir("/proc/self/fd")) == before


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_dropped_reactors_release_their_descriptors(poller_name: str) -> None:
    """50 reactors run, stopped and dropped without close() leave no fd behind."""
    gc.collect()
    before = _open_fds()
    for _ in range(50):
        r = Reactor(poller=poller_name, extensions=[])
        r.callLater(0, r.stop)
        r.run()
        del r
    gc.collect()
    assert _open_fds() == before


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_dropped_reactor_that_never_ran_releases_its_descriptors(
    poller_name: str,
) -> None:
    """A reactor built and dropped without running closes its waker and poller."""
    gc.collect()
    before = _open_fds()
    for _ in range(50):
        Reactor(poller=poller_name, extensions=[])
    gc.collect()
    assert _open_fds() == before


def test_close_while_running_is_refused(reactor: Reactor) -> None:
    """close() from inside the loop raises RuntimeError."""
    errors = []

    def close() -> None:
        try:
            reactor.close()
        except RuntimeError as e:
            errors.append(e)
        reactor.stop()

    reactor.callLater(0, close)
    reactor.run()
    assert len(errors) == 1


def test_run_after_close_is_refused(poller_name: str) -> None:
    """A closed reactor can neither run nor iterate."""
    r = Reactor(poller=poller_name, extensions=[])
    r.close()
    with pytest.raises(ReactorNotRestartable):
        r.run()
    with pytest.raises(RuntimeError, match="closed"):
        r.iterate()


def test_unknown_poller_name() -> None:
    """Reactor(poller=...) with an unknown name raises ValueError."""
    with pytest.raises(ValueError, match="unknown poller"):
        Reactor(poller="carrier-pigeon", extensions=[])


def test_repr_shows_poller_and_state(reactor: Reactor, poller_name: str) -> None:
    """repr names the poller and the life-cycle state."""
    assert f"poller={poller_name}" in repr(reactor)
    assert "state=new" in repr(reactor)


class _Port:
    def __init__(self, *args: object, **kw: object) -> None:
        self.made = (args, kw)
        self.started = False

    def startListening(self) -> None:
        self.started = True

    def connect(self) -> None:
        self.started = True


@pytest.mark.parametrize("method", ["listenWith", "connectWith"])
def test_arbitrary_builds_starts_and_warns(reactor: Reactor, method: str) -> None:
    """listenWith/connectWith build and start the object, and each call warns
    with a DeprecationWarning that points at the caller."""
    for _ in range(2):
        with pytest.warns(DeprecationWarning, match=method) as record:
            port = getattr(reactor, method)(_Port, 1, x=2)
        assert record[0].filename == __file__
    assert port.made == ((1,), {"x": 2})
    assert port.started


def test_stop_during_startup(reactor: Reactor) -> None:
    """stop() from a 'before' startup trigger shuts down without running."""
    seen = []
    reactor.addSystemEventTrigger("before", "startup", reactor.stop)
    reactor.addSystemEventTrigger("after", "shutdown", lambda: seen.append("down"))
    reactor.run()
    assert seen == ["down"]
    assert not reactor.running
    with pytest.raises(ReactorNotRestartable):
        reactor.run()
