"""callFromThread, callInThread, the thread pool and deferToThread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import pytest

from plait.core import Failure, Reactor, ThreadPool, deferToThread


def test_call_from_many_threads(reactor: Reactor, spin) -> None:
    """Calls from many threads all run, in the reactor thread, in order per thread."""
    got: dict[int, list[int]] = {}
    loop_threads = set()
    n_threads, n_calls = 8, 300

    def record(sender: int, i: int) -> None:
        loop_threads.add(threading.get_ident())
        got.setdefault(sender, []).append(i)

    def produce(sender: int) -> None:
        for i in range(n_calls):
            reactor.callFromThread(record, sender, i)

    threads = [threading.Thread(target=produce, args=(s,)) for s in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    spin(reactor, lambda: sum(map(len, got.values())) == n_threads * n_calls)
    assert all(calls == list(range(n_calls)) for calls in got.values())
    assert loop_threads == {threading.get_ident()}


def test_call_from_thread_wakes_a_sleeping_loop(reactor: Reactor) -> None:
    """A loop with nothing to do wakes up for a call from another thread."""
    started = threading.Event()
    reactor.callWhenRunning(started.set)
    t = threading.Thread(
        target=lambda: started.wait(30) and reactor.callFromThread(reactor.stop)
    )
    t.start()
    reactor.run()  # would block forever without the wake-up
    t.join(30)
    assert not reactor.running


def test_call_from_thread_before_run(reactor: Reactor) -> None:
    """Calls queued before run() happen once the loop runs."""
    ran = []
    reactor.callFromThread(ran.append, 1)
    reactor.callFromThread(reactor.stop)
    reactor.run()
    assert ran == [1]


def test_call_from_thread_needs_a_callable(reactor: Reactor) -> None:
    """callFromThread refuses a non-callable with TypeError."""
    with pytest.raises(TypeError, match="callable"):
        reactor.callFromThread(None)  # type: ignore[arg-type]


def test_thread_call_queued_by_thread_call_waits_a_pass(reactor: Reactor) -> None:
    """A call queued by a running thread call runs in the next pass."""
    ran = []

    def first() -> None:
        ran.append("first")
        reactor.callFromThread(ran.append, "second")

    reactor.callFromThread(first)
    reactor.iterate()
    assert ran == ["first"]
    reactor.iterate()
    assert ran == ["first", "second"]


def test_call_in_thread_runs_elsewhere(reactor: Reactor, spin) -> None:
    """callInThread runs the callable on a worker thread."""
    where = []
    reactor.callInThread(
        lambda: reactor.callFromThread(where.append, threading.get_ident())
    )
    spin(reactor, lambda: where)
    assert where[0] != threading.get_ident()


def test_get_thread_pool_is_lazy_and_stable(reactor: Reactor) -> None:
    """getThreadPool makes a pool once and returns it thereafter."""
    pool = reactor.getThreadPool()
    assert isinstance(pool, ThreadPool)
    assert reactor.getThreadPool() is pool


def test_suggest_thread_pool_size(reactor: Reactor) -> None:
    """suggestThreadPoolSize sets the pool's maximum, before or after creation."""
    reactor.suggestThreadPoolSize(3)
    assert reactor.getThreadPool().max == 3
    reactor.suggestThreadPoolSize(5)
    assert reactor.getThreadPool().max == 5


def test_suggest_thread_pool_size_rejects_bad_sizes(reactor: Reactor) -> None:
    """A size below 1 is a ValueError, a non-int a TypeError, both at once."""
    with pytest.raises(ValueError, match="at least 1"):
        reactor.suggestThreadPoolSize(0)
    with pytest.raises(TypeError):
        reactor.suggestThreadPoolSize("4")  # type: ignore[arg-type]
    assert reactor.getThreadPool().max == 10


def test_thread_pool_started_follows_the_reactor(reactor: Reactor) -> None:
    """The pool is not started before run(), is while running, is not after."""
    pool = reactor.getThreadPool()
    assert not pool.started
    during = []
    reactor.callWhenRunning(lambda: during.append(pool.started))
    reactor.callWhenRunning(reactor.stop)
    reactor.run()
    assert during == [True]
    assert not pool.started


def test_pool_made_while_running_is_started(reactor: Reactor) -> None:
    """getThreadPool() called while the reactor runs returns a started pool."""
    seen = []

    def look() -> None:
        seen.append(reactor.getThreadPool().started)
        reactor.stop()

    reactor.callWhenRunning(look)
    reactor.run()
    assert seen == [True]


def test_pool_can_start_again_after_stop() -> None:
    """ThreadPool.start() after stop() makes it accept work again."""
    pool = ThreadPool(maxthreads=2)
    pool.start()
    pool.stop()
    assert not pool.started
    pool.start()
    done = threading.Event()
    pool.callInThread(done.set)
    assert done.wait(5)
    assert pool.workers >= 1
    pool.stop()
    assert pool.workers == 0


def test_thread_pool_stops_at_shutdown(reactor: Reactor) -> None:
    """Shutdown stops the pool: it takes no more work and its threads end."""
    pool = reactor.getThreadPool()
    pool.callInThread(lambda: None)
    reactor.callWhenRunning(reactor.stop)
    reactor.run()
    assert pool.joined
    assert pool.threads == []
    with pytest.raises(RuntimeError, match="stopped"):
        pool.callInThread(print)


def test_defer_to_thread_result(reactor: Reactor, spin) -> None:
    """deferToThread fires, in the reactor thread, with the function's result."""
    results = []
    d = deferToThread(reactor, lambda a, b=0: (a + b, threading.get_ident()), 1, b=2)
    d.addCallback(lambda r: results.append((r, threading.get_ident())))
    spin(reactor, lambda: results)
    ((value, worker), loop) = results[0]
    assert value == 3
    assert worker != loop == threading.get_ident()


def test_defer_to_thread_failure(reactor: Reactor, spin) -> None:
    """deferToThread fails with a Failure of the exception raised."""
    failures = []

    def boom() -> None:
        raise KeyError("missing")

    deferToThread(reactor, boom).addErrback(failures.append)
    spin(reactor, lambda: failures)
    assert isinstance(failures[0], Failure)
    assert failures[0].check(KeyError)


def test_pool_call_with_callback() -> None:
    """callInThreadWithCallback reports (True, result) or (False, Failure)."""
    pool = ThreadPool(maxthreads=2)
    got = []
    done = threading.Event()

    def on_result(ok: bool, value: object) -> None:
        got.append((ok, value))
        if len(got) == 2:
            done.set()

    pool.callInThreadWithCallback(on_result, lambda: 42)
    pool.callInThreadWithCallback(on_result, lambda: 1 / 0)
    assert done.wait(30)
    pool.stop()
    outcomes = dict(got)
    assert outcomes[True] == 42
    assert outcomes[False].check(ZeroDivisionError)


def test_pool_logs_unhandled_errors(caplog: pytest.LogCaptureFixture) -> None:
    """An exception in callInThread, or in a result callback, is logged."""
    pool = ThreadPool(maxthreads=1)
    reached = threading.Event()

    def bad_callback(ok: bool, result: object) -> None:
        reached.set()
        raise RuntimeError("in the callback")

    with caplog.at_level(logging.ERROR, logger="plait.core"):
        pool.callInThread(lambda: 1 / 0)
        pool.callInThreadWithCallback(bad_callback, lambda: None)
        assert reached.wait(30)
        pool.stop()
    errors = [r for r in caplog.records if r.exc_info]
    assert len(errors) == 2


def test_pool_stop_does_not_wait_forever(caplog: pytest.LogCaptureFixture) -> None:
    """stop() gives up on a stuck call after its timeout and says so."""
    pool = ThreadPool(maxthreads=1)
    release = threading.Event()
    started = threading.Event()
    pool.callInThread(lambda: (started.set(), release.wait(30)))
    assert started.wait(30)
    with caplog.at_level(logging.WARNING, logger="plait.core"):
        pool.stop(timeout=0.05)
    release.set()
    assert "still busy" in caplog.text
    for t in pool.threads:
        t.join(30)


def test_pool_adjust_size() -> None:
    """adjustPoolsize changes the bounds and keeps working; bad sizes raise."""
    pool = ThreadPool(maxthreads=2)
    done = threading.Event()
    pool.callInThread(lambda: None)
    pool.adjustPoolsize(maxthreads=4)
    assert pool.max == 4
    pool.callInThread(done.set)
    assert done.wait(30)
    with pytest.raises(ValueError):
        pool.adjustPoolsize(maxthreads=0)
    with pytest.raises(ValueError):
        pool.adjustPoolsize(minthreads=5)
    pool.stop()


class _Concurrency:
    """Counts how many calls run at once, each held until released."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0
        self.done = 0
        self.release = threading.Event()

    def work(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        self.release.wait(30)
        with self.lock:
            self.now -= 1
            self.done += 1


def _waitFor(condition: Callable[[], bool]) -> None:
    finished = threading.Event()
    for _ in range(3000):
        if condition():
            return
        finished.wait(0.01)
    raise AssertionError("the pool did not get there in time")


def test_lowering_the_pool_size_caps_running_calls() -> None:
    """After adjustPoolsize lowers the maximum, queued work never runs on
    more workers than the new maximum, even while the old calls finish."""
    pool = ThreadPool(maxthreads=4)
    first = _Concurrency()
    for _ in range(4):
        pool.callInThread(first.work)
    _waitFor(lambda: first.now == 4)
    pool.adjustPoolsize(maxthreads=2)
    second = _Concurrency()
    for _ in range(8):
        pool.callInThread(second.work)
    threading.Event().wait(0.05)
    # Four calls still run under the old maximum: nothing new may start.
    assert second.now == 0
    first.release.set()
    _waitFor(lambda: second.now == 2)
    threading.Event().wait(0.05)
    assert second.now == 2
    second.release.set()
    _waitFor(lambda: second.done == 8)
    assert second.peak == 2
    pool.stop()


def test_raising_the_pool_size_starts_more_workers_on_queued_work() -> None:
    """A higher maximum puts queued calls to work at once."""
    pool = ThreadPool(maxthreads=1)
    probe = _Concurrency()
    for _ in range(3):
        pool.callInThread(probe.work)
    _waitFor(lambda: probe.now == 1)
    pool.adjustPoolsize(maxthreads=3)
    _waitFor(lambda: probe.now == 3)
    probe.release.set()
    _waitFor(lambda: probe.done == 3)
    assert probe.peak == 3
    pool.stop()


def test_call_in_thread_needs_a_callable(reactor: Reactor) -> None:
    """callInThread refuses a non-callable at once, with TypeError."""
    with pytest.raises(TypeError):
        reactor.callInThread(3)  # type: ignore[arg-type]  # on purpose
    with pytest.raises(TypeError):
        ThreadPool().callInThreadWithCallback(None, "not callable")  # type: ignore[arg-type]


def test_pool_threads_are_named_and_bounded() -> None:
    """Workers carry the pool's name and never exceed its maximum."""
    pool = ThreadPool(maxthreads=2, name="tpool")
    barrier = threading.Barrier(2, timeout=30)
    finished = threading.Event()
    count = []

    def work() -> None:
        barrier.wait()
        count.append(1)
        if len(count) == 4:
            finished.set()

    for _ in range(4):
        pool.callInThread(work)
    assert finished.wait(30)
    threads = pool.threads
    assert 1 <= len(threads) <= 2
    assert all(t.name.startswith("tpool") for t in threads)
    pool.stop()


def test_foreign_thread_call_later_is_refused(reactor: Reactor) -> None:
    """callLater/addReader from another thread while running raise RuntimeError."""
    errors: list[Exception] = []

    def attempt(call: Callable[[], object]) -> None:
        try:
            call()
        except RuntimeError as e:
            errors.append(e)

    def intruder() -> None:
        attempt(lambda: reactor.callLater(0, print))
        attempt(lambda: reactor.addReader(reactor))  # type: ignore[arg-type]
        attempt(lambda: reactor.addWriter(reactor))  # type: ignore[arg-type]
        reactor.callFromThread(reactor.stop)

    reactor.callWhenRunning(lambda: threading.Thread(target=intruder).start())
    reactor.run()
    assert len(errors) == 3
    assert all("callFromThread" in str(e) for e in errors)


def test_foreign_thread_may_schedule_when_not_running(reactor: Reactor) -> None:
    """With no loop running, another thread may prepare calls with callLater."""
    calls = []
    t = threading.Thread(target=lambda: calls.append(reactor.callLater(0, print)))
    t.start()
    t.join(30)
    assert reactor.getDelayedCalls() == tuple(calls)


def test_shutdown_fired_before_run_stops_the_pool(reactor: Reactor) -> None:
    """Firing shutdown by hand, even on a reactor never run, releases its pool."""
    pool = reactor.getThreadPool()
    reactor.fireSystemEvent("shutdown")
    assert pool.joined
    assert reactor.getThreadPool() is not pool
