"""Worker threads: a pool for blocking calls, and deferToThread.

The pool is a thin layer over :class:`concurrent.futures.ThreadPoolExecutor`:
threads start on demand, up to ``max``, and idle ones wait for work.  What
it adds is what a reactor needs: errors are logged instead of kept in
futures nobody reads, a result can be handed to a callback, the size can
change while running, and stopping never blocks for long.

An executor's size is fixed when it is made, so the pool keeps its own queue
and counts the workers draining it: at most ``max`` run at once, whatever
the executors behind them, and a smaller ``max`` takes effect as soon as
running calls return.

Stopping drops the work that has not started and waits a bounded time for
the running calls.  A call stuck forever is left behind (and logged): its
thread cannot be killed.  The standard library joins executor threads at
interpreter exit, so such a thread still delays the end of the process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from plait.interfaces import IReactorThreads

from ._defer import Deferred
from ._failure import Failure
from ._waker import Waker

__all__ = ["ThreadPool", "ThreadsMixin", "deferToThread"]

log = logging.getLogger("plait.core")

_P = ParamSpec("_P")
_T = TypeVar("_T")

#: The callback of ``callInThreadWithCallback``: ``(succeeded, result)``,
#: where result is the return value or a Failure.
OnResult = Callable[[bool, Any], object]
#: A queued call: its result callback, the callable and its arguments.
_Work = tuple[OnResult | None, Callable[..., object], tuple[Any, ...], dict[str, Any]]

_callable = callable


class ThreadPool:
    """Runs blocking callables on up to ``max`` worker threads.

    ``min`` is kept for familiarity: threads are started when work arrives,
    so fewer than ``min`` may exist while the pool is idle.

    ``started`` is true from :meth:`start` (or the first call handed to the
    pool) until :meth:`stop`.  The reactor starts its pool when it starts
    running and stops it during shutdown; a pool can be started again after
    it stopped.
    """

    def __init__(
        self, minthreads: int = 0, maxthreads: int = 10, name: str = "plait-worker"
    ) -> None:
        if maxthreads < 1 or minthreads < 0 or minthreads > maxthreads:
            raise ValueError(f"bad pool size: min={minthreads}, max={maxthreads}")
        self.min = minthreads
        self.max = maxthreads
        self.name = name
        self.joined = False
        self.started = False
        self._executor: ThreadPoolExecutor | None = None
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._queue: deque[_Work] = deque()
        self._draining = 0  # workers running _drain now

    def __repr__(self) -> str:
        return f"<ThreadPool {self.name!r} max={self.max} threads={len(self.threads)}>"

    @property
    def threads(self) -> list[threading.Thread]:
        """The worker threads alive now."""
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            return list(self._threads)

    @property
    def workers(self) -> int:
        """How many worker threads are alive now."""
        return len(self.threads)

    def start(self) -> None:
        """Accept work (again, after :meth:`stop`); threads start on demand."""
        self.joined = False
        self.started = True

    def _started(self) -> None:
        # Runs first in each new worker thread (the executor's initializer).
        with self._lock:
            self._threads.append(threading.current_thread())

    def _getExecutor(self) -> ThreadPoolExecutor:
        executor = self._executor
        if executor is None:
            if self.joined:
                raise RuntimeError(f"{self!r} was stopped; it takes no more work")
            executor = self._executor = ThreadPoolExecutor(
                self.max, thread_name_prefix=self.name, initializer=self._started
            )
            self.started = True
        return executor

    def callInThread(
        self, func: Callable[_P, object], *args: _P.args, **kw: _P.kwargs
    ) -> None:
        """Run ``func(*args, **kw)`` on a worker; an exception is logged."""
        self._submit((None, func, args, kw))

    def _submit(self, work: _Work) -> None:
        if not _callable(work[1]):
            raise TypeError(f"a thread pool runs callables, not {work[1]!r}")
        executor = self._getExecutor()
        with self._lock:
            self._queue.append(work)
            if self._draining >= self.max:
                return
            self._draining += 1
        executor.submit(self._drain)

    def _drain(self) -> None:
        # One worker's share: run queued calls until the queue is empty or
        # the pool has more workers than its (possibly lowered) maximum.
        while True:
            with self._lock:
                if not self._queue or self._draining > self.max:
                    self._draining -= 1
                    return
                work = self._queue.popleft()
            _work(*work)

    def callInThreadWithCallback(
        self,
        onResult: OnResult | None,
        func: Callable[_P, object],
        *args: _P.args,
        **kw: _P.kwargs,
    ) -> None:
        """Run ``func(*args, **kw)`` on a worker, then ``onResult(ok, value)``.

        *onResult* runs on the worker thread too, with ``(True, result)``
        or ``(False, Failure)``.  An exception it raises is logged.
        """
        self._submit((onResult, func, args, kw))

    def adjustPoolsize(
        self, minthreads: int | None = None, maxthreads: int | None = None
    ) -> None:
        """Change the bounds; work already queued is not disturbed.

        A lower maximum is reached as running calls return; a higher one
        puts more workers on the queued work at once.  The executor's size
        is fixed at creation, so a new maximum also retires the current
        executor: its threads exit once their work is done, and the next
        worker comes from an executor of the new size.
        """
        new_min = self.min if minthreads is None else minthreads
        new_max = self.max if maxthreads is None else maxthreads
        if new_max < 1 or new_min < 0 or new_min > new_max:
            raise ValueError(f"bad pool size: min={new_min}, max={new_max}")
        self.min = new_min
        if new_max == self.max:
            return
        self.max = new_max
        old, self._executor = self._executor, None
        if old is not None:
            old.shutdown(wait=False)
        if self.joined:
            return
        with self._lock:
            extra = min(len(self._queue), new_max - self._draining)
            self._draining += max(0, extra)
        if extra > 0:
            executor = self._getExecutor()
            for _ in range(extra):
                executor.submit(self._drain)

    def stop(self, timeout: float = 5.0) -> None:
        """Take no more work, drop what has not started, wait for the rest.

        Waits at most *timeout* seconds in all; threads still busy then are
        logged and left to finish on their own.
        """
        self.joined = True
        self.started = False
        with self._lock:
            self._queue.clear()
        executor, self._executor = self._executor, None
        if executor is not None:
            # Calls already handed to workers find the queue empty and return.
            executor.shutdown(wait=False)
        deadline = time.monotonic() + timeout
        busy = []
        for thread in self.threads:
            if thread is threading.current_thread():
                continue
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                busy.append(thread.name)
        if busy:
            log.warning(
                "%r stopped while %d worker(s) were still busy after %.1fs: %s",
                self,
                len(busy),
                timeout,
                ", ".join(busy),
            )


def _work(
    onResult: OnResult | None,
    func: Callable[..., object],
    args: tuple[Any, ...],
    kw: dict[str, Any],
) -> None:
    try:
        result: object = func(*args, **kw)
        ok = True
    except BaseException:
        result = Failure()
        ok = False
        if onResult is None:
            log.exception("Unhandled error in %r, run in a thread", func)
            return
    if onResult is None:
        return
    try:
        onResult(ok, result)
    except Exception:
        log.exception("Unhandled error in the result callback %r", onResult)


def deferToThread(
    reactor: IReactorThreads,
    f: Callable[_P, _T],
    *args: _P.args,
    **kwargs: _P.kwargs,
) -> Deferred[_T]:
    """Run ``f(*args, **kwargs)`` in *reactor*'s thread pool.

    :returns: a Deferred that fires, in the reactor thread, with the result
        or with the Failure of the exception.
    """
    d: Deferred[_T] = Deferred()

    def deliver(ok: bool, result: Any) -> None:
        if d.called:
            return  # cancelled meanwhile
        if ok:
            d.callback(result)
        else:
            d.errback(result)

    def onResult(ok: bool, result: Any) -> None:
        reactor.callFromThread(deliver, ok, result)

    reactor.getThreadPool().callInThreadWithCallback(onResult, f, *args, **kwargs)
    return d


class ThreadsMixin:
    """IReactorThreads for the reactor, which supplies the attributes below."""

    #: Calls queued by other threads: (callable, args, kw).
    _threadCalls: deque[tuple[Callable[..., object], tuple[Any, ...], dict[str, Any]]]
    _waker: Waker
    _threadPool: ThreadPool | None
    _threadPoolSize: int
    running: bool

    def callFromThread(
        self, callable: Callable[_P, object], *args: _P.args, **kw: _P.kwargs
    ) -> None:
        """Queue ``callable(*args, **kw)`` for the reactor thread; thread-safe."""
        if not _callable(callable):
            raise TypeError(f"callFromThread() needs a callable, not {callable!r}")
        self._threadCalls.append((callable, args, kw))
        waker = self._waker
        if not waker.pending:
            waker.wake()

    def _runThreadCalls(self) -> None:
        calls = self._threadCalls
        popleft = calls.popleft
        for _ in range(len(calls)):
            func, args, kw = popleft()
            try:
                func(*args, **kw)
            except Exception:
                log.exception("Unhandled error in %r, called from a thread", func)

    def getThreadPool(self) -> ThreadPool:
        """The pool behind ``callInThread``, created on first use.

        It is stopped during shutdown (see :meth:`ThreadPool.stop`).
        """
        pool = self._threadPool
        if pool is None:
            pool = self._threadPool = ThreadPool(maxthreads=self._threadPoolSize)
            if self.running:
                pool.start()
        return pool

    def _startThreadPool(self) -> None:
        if self._threadPool is not None:
            self._threadPool.start()

    def _stopThreadPool(self) -> None:
        pool, self._threadPool = self._threadPool, None
        if pool is not None:
            pool.stop()

    def callInThread(
        self, callable: Callable[_P, object], *args: _P.args, **kwargs: _P.kwargs
    ) -> None:
        """Run ``callable(*args, **kwargs)`` on a pool thread; errors are logged."""
        self.getThreadPool().callInThread(callable, *args, **kwargs)

    def suggestThreadPoolSize(self, size: int) -> None:
        """Let the pool use at most *size* threads.

        :raises TypeError: *size* is not an int.
        :raises ValueError: *size* is below 1.
        """
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"thread pool size must be an int, not {size!r}")
        if size < 1:
            raise ValueError(f"thread pool size must be at least 1, not {size}")
        self._threadPoolSize = size
        if self._threadPool is not None:
            self._threadPool.adjustPoolsize(maxthreads=size)
