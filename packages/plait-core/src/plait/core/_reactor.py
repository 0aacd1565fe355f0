"""The reactor: one event loop over a poller, timers and a thread queue.

Each pass of the loop

1. works out how long it may sleep: zero if calls from other threads are
   queued, else until the earliest timer, else without limit;
2. waits in the poller and dispatches the ready descriptors;
3. runs the calls queued by ``callFromThread`` (only those queued before
   this step began, so a call that queues another cannot starve I/O);
4. runs the timers that are due (same rule for calls they schedule).

Life cycle (``_State``)::

    NEW -> STARTING -> RUNNING -> STOPPING -> SHUTTING_DOWN -> STOPPED
              any looping state --crash()--> CRASHED --run()--> STARTING

``running`` is true in RUNNING and STOPPING: from the "during" phase of
startup to the "during" phase of shutdown.  A stopped reactor cannot run
again; a crashed one can, and then fires startup again.

Shutdown, at the start of its "during" phase, closes every connection and
listening port still registered: each descriptor hears ``connectionLost``
with ``ConnectionLost``, so protocols and factories are told before ``run``
returns.  The thread pool is stopped next.

Thread safety: only ``callFromThread`` may be called from other threads.
While a loop runs, ``callLater`` and the four FD-set mutators check the
calling thread and raise RuntimeError from a foreign one.  The check costs
one attribute read when no loop runs and a ``get_ident()`` call when one
does: measured at about 40 ns of a 500 ns ``callLater``, kept because a
heap corrupted from another thread fails far from its cause.  Other
methods are not checked.
"""

from __future__ import annotations

import enum
import logging
import time
import warnings
from collections import deque
from collections.abc import Callable, Sequence
from threading import get_ident
from typing import Any, ParamSpec, TypeVar

from zope.interface import implementer

from plait.errors import (
    ConnectionLost,
    MissingCapability,
    ReactorAlreadyRunning,
    ReactorNotRestartable,
    ReactorNotRunning,
)
from plait.interfaces import (
    IConnector,
    IListeningPort,
    IReactorCore,
    IReactorFDSet,
    IReactorPluggableResolver,
    IReactorThreads,
    IReactorTime,
    _IReactorArbitrary,
)

from ._events import EventsMixin, SystemEvents
from ._extensions import (
    ExtensionFactory,
    applyExtensions,
    discoverExtensions,
    distributionFor,
)
from ._failure import Failure
from ._fdset import FDSetMixin, _wrongThread
from ._poller import READ, createPoller
from ._resolver import ResolverMixin, ThreadedResolver
from ._signals import installStopHandlers
from ._threads import ThreadsMixin
from ._timers import DelayedCall, TimerQueue
from ._waker import Waker

__all__ = ["Reactor"]

log = logging.getLogger("plait.core")

_P = ParamSpec("_P")
_T = TypeVar("_T")

_callable = callable

_monotonic = time.monotonic
#: Added to the monotonic clock so that reactor time reads as seconds since
#: the epoch (what ``IDelayedCall.getTime`` promises) yet never jumps when
#: the wall clock is set.
_EPOCH_OFFSET = time.time() - _monotonic()


def epochMonotonic() -> float:
    """A monotonic clock that started out equal to ``time.time()``."""
    return _monotonic() + _EPOCH_OFFSET


#: The longest single wait in the poller.  epoll and poll take a timeout in
#: milliseconds that must fit a C int (about 24.8 days); a timer further
#: away than this is simply waited for in several sleeps.
MAX_WAIT = 86400.0


class _State(enum.Enum):
    NEW = "new"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    SHUTTING_DOWN = "shutting down"
    STOPPED = "stopped"
    CRASHED = "crashed"


_S = _State
_TRANSITIONS: dict[_State, frozenset[_State]] = {
    _S.NEW: frozenset({_S.STARTING}),
    _S.STARTING: frozenset({_S.RUNNING, _S.STOPPING, _S.SHUTTING_DOWN, _S.CRASHED}),
    _S.RUNNING: frozenset({_S.STOPPING, _S.SHUTTING_DOWN, _S.CRASHED}),
    _S.STOPPING: frozenset({_S.SHUTTING_DOWN, _S.CRASHED}),
    _S.SHUTTING_DOWN: frozenset({_S.STOPPED, _S.CRASHED}),
    _S.CRASHED: frozenset({_S.STARTING}),
    _S.STOPPED: frozenset(),
}
_LOOPING = frozenset({_S.STARTING, _S.RUNNING, _S.STOPPING})
_RUNNING = frozenset({_S.RUNNING, _S.STOPPING})


@implementer(
    IReactorCore,
    IReactorTime,
    IReactorThreads,
    IReactorFDSet,
    IReactorPluggableResolver,
    _IReactorArbitrary,
)
class Reactor(FDSetMixin, EventsMixin, ThreadsMixin, ResolverMixin):
    """An event loop; build as many as needed, one per thread at most.

    :param poller: ``"epoll"``, ``"kqueue"``, ``"poll"``, ``"select"``, or
        ``None`` for the best one available.
    :param extensions: factories of reactor extensions; ``None`` loads the
        installed ones (entry point group ``plait.reactor``), a list uses
        exactly those.
    :param installSignalHandlers: when ``run()`` is called in the main
        thread, let SIGINT and SIGTERM stop the reactor cleanly.
    :param _clock: the time source, for tests; ``epochMonotonic`` otherwise.
    """

    running: bool

    def __init__(
        self,
        poller: str | None = None,
        *,
        extensions: Sequence[ExtensionFactory] | None = None,
        installSignalHandlers: bool = True,
        _clock: Callable[[], float] = epochMonotonic,
    ) -> None:
        self._poller = createPoller(poller)
        self._clock = _clock
        self._timers = TimerQueue(_clock)
        self._readers = {}
        self._writers = {}
        self._threadCalls = deque()
        self._waker = Waker()
        self._readers[self._waker.fileno()] = self._waker
        self._poller.register(self._waker.fileno(), READ)
        self._events = SystemEvents()
        self._state = _S.NEW
        self.running = False
        self._looping = False
        self._inLoop = False
        self._loopThread = 0
        self._closed = False
        self._threadPool = None
        self._threadPoolSize = 10
        self._resolver = ThreadedResolver(self)
        self._installSignalHandlers = installSignalHandlers
        if extensions is None:
            extensions = discoverExtensions()
        self._missingMethods = applyExtensions(self, extensions)

    @property
    def pollerName(self) -> str:
        """The name of the poller this reactor waits in (``"epoll"``, ...)."""
        return self._poller.name

    def __repr__(self) -> str:
        return f"<Reactor poller={self._poller.name} state={self._state.value}>"

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup failed: a capability method no
        # extension supplied.  Typed Any so that extension methods type-check
        # at call sites; use the interfaces for precise types.
        dist = self.__dict__.get("_missingMethods", {}).get(name) or distributionFor(
            name
        )
        if dist is not None:
            raise MissingCapability(name, dist)
        raise AttributeError(f"'Reactor' object has no attribute {name!r}", name=name)

    # -- life cycle ----------------------------------------------------------

    def _moveTo(self, new: _State) -> None:
        if new not in _TRANSITIONS[self._state]:
            raise RuntimeError(
                f"reactor cannot go from {self._state.value} to {new.value}"
            )
        self._state = new
        self._looping = new in _LOOPING
        self.running = new in _RUNNING

    # The reactor's own work in the "during" phase of startup and shutdown,
    # run before the triggers of that phase, however the event was fired.

    def fireSystemEvent(self, eventType: str) -> None:
        """Run the triggers of *eventType*; for ``"startup"`` and
        ``"shutdown"`` the reactor's own work comes first in "during"."""
        if eventType == "startup":
            self._events.fire(eventType, self._startupDuring)
        elif eventType == "shutdown":
            self._events.fire(eventType, self._shutdownDuring)
        else:
            self._events.fire(eventType)

    def _startupDuring(self) -> None:
        if self._state is _S.STARTING:
            self._moveTo(_S.RUNNING)
            self._startThreadPool()

    def _shutdownDuring(self) -> None:
        if self._state in (_S.STARTING, _S.RUNNING, _S.STOPPING):
            self._moveTo(_S.SHUTTING_DOWN)
        self._disconnectAll()
        self._stopThreadPool()

    def _disconnectAll(self) -> None:
        reason = Failure(ConnectionLost("the reactor shut down"))
        for descriptor in self.removeAll():
            try:
                descriptor.connectionLost(reason)
            except Exception:  # noqa: PERF203  # each one is told, whatever the others do
                log.exception("Unhandled error in %r.connectionLost", descriptor)

    def run(self) -> None:
        """Fire startup, then loop until ``stop()`` or ``crash()``.

        :raises plait.errors.ReactorAlreadyRunning: a loop is running (also
            when called from inside it).
        :raises plait.errors.ReactorNotRestartable: it ran and stopped.
        """
        state = self._state
        if state is _S.SHUTTING_DOWN or state is _S.STOPPED or self._closed:
            raise ReactorNotRestartable()
        if self._inLoop or state in _LOOPING:
            raise ReactorAlreadyRunning()
        self._inLoop = True
        self._loopThread = get_ident()
        restore = None
        try:
            if self._installSignalHandlers:
                restore = installStopHandlers(self._onStopSignal)
            self._moveTo(_S.STARTING)
            self.fireSystemEvent("startup")
            self._loop(None, False)
        except BaseException:
            # Something escaped a callback (SystemExit, KeyboardInterrupt):
            # leave the reactor resumable, as after crash().
            if self._state in _LOOPING or self._state is _S.SHUTTING_DOWN:
                self._moveTo(_S.CRASHED)
            raise
        finally:
            self._inLoop = False
            self._loopThread = 0
            if restore is not None:
                restore()
        if self._state is _S.SHUTTING_DOWN:
            self._moveTo(_S.STOPPED)

    def stop(self) -> None:
        """Fire shutdown; the loop ends once its triggers have run.

        :raises plait.errors.ReactorNotRunning: it is not running, or is
            stopping already.
        """
        if self._state is not _S.RUNNING and self._state is not _S.STARTING:
            raise ReactorNotRunning()
        self.callLater(0, self.fireSystemEvent, "shutdown")
        self._moveTo(_S.STOPPING)

    def crash(self) -> None:
        """End the loop after the current pass, firing no system events."""
        if self._state in _LOOPING or self._state is _S.SHUTTING_DOWN:
            self._moveTo(_S.CRASHED)

    def _onStopSignal(self, signum: int) -> None:
        # In a signal handler: queue only.
        self.callFromThread(self._stopForSignal, signum)

    def _stopForSignal(self, signum: int) -> None:
        if self._state is _S.RUNNING or self._state is _S.STARTING:
            log.info("Received signal %d, stopping the reactor", signum)
            self.stop()

    def iterate(self, delay: float = 0) -> None:
        """Run one pass of the loop, sleeping at most *delay* seconds.

        :raises plait.errors.ReactorAlreadyRunning: from inside a loop.
        """
        if self._inLoop:
            raise ReactorAlreadyRunning("iterate() cannot be called from the loop")
        if self._closed:
            raise RuntimeError("iterate() on a closed reactor")
        self._inLoop = True
        self._loopThread = get_ident()
        try:
            self._loop(min(max(0.0, delay), MAX_WAIT), True)
        finally:
            self._inLoop = False
            self._loopThread = 0

    def _loop(self, cap: float | None, once: bool) -> None:
        # Everything used per pass is a local: attribute lookups add up.
        poll = self._poller.poll
        dispatch = self._dispatch
        timers = self._timers
        nextTime = timers.nextTime
        runDue = timers.runDue
        clock = self._clock
        threadCalls = self._threadCalls
        runThreadCalls = self._runThreadCalls
        while once or self._looping:
            if threadCalls:
                timeout: float | None = 0.0
            else:
                due = nextTime()
                if due is None:
                    timeout = cap
                else:
                    timeout = due - clock()
                    if timeout < 0.0:
                        timeout = 0.0
                    elif timeout > MAX_WAIT:
                        timeout = MAX_WAIT
                    if cap is not None and timeout > cap:
                        timeout = cap
            events = poll(timeout)
            if events:
                dispatch(events)
            if threadCalls:
                runThreadCalls()
            runDue(clock())
            if once:
                return

    def close(self) -> None:
        """Release the poller, the waker and the thread pool.  Idempotent.

        :raises RuntimeError: the loop is running.
        """
        if self._inLoop:
            raise RuntimeError("a running reactor cannot be closed; stop it first")
        if self._closed:
            return
        self._closed = True
        self._stopThreadPool()
        self._readers.clear()
        self._writers.clear()
        self._poller.close()
        self._waker.close()

    # -- time ----------------------------------------------------------------

    def seconds(self) -> float:
        """Seconds since the epoch, on a clock that never goes backwards."""
        return self._clock()

    def callLater(
        self,
        delay: float,
        callable: Callable[_P, object],
        *args: _P.args,
        **kw: _P.kwargs,
    ) -> DelayedCall:
        """Run ``callable(*args, **kw)`` in *delay* seconds (0: next pass).

        :raises ValueError: *delay* is negative (or NaN).
        :raises TypeError: *callable* cannot be called.
        :raises RuntimeError: called from a thread other than the running
            loop's.
        """
        thread = self._loopThread
        if thread and thread != get_ident():
            raise _wrongThread("callLater")
        if not delay >= 0:
            raise ValueError(f"callLater() delay must be >= 0, not {delay!r}")
        if not _callable(callable):
            raise TypeError(f"callLater() needs a callable, not {callable!r}")
        return DelayedCall(self._timers, self._clock() + delay, callable, args, kw)

    def getDelayedCalls(self) -> tuple[DelayedCall, ...]:
        """The calls scheduled and neither run nor cancelled, earliest first."""
        return tuple(self._timers.active())

    # -- deprecated: IReactorArbitrary ---------------------------------------

    def listenWith(
        self, portType: Callable[..., Any], *args: Any, **kw: Any
    ) -> IListeningPort:
        """Deprecated: build ``portType(*args, **kw)`` and start listening."""
        _warnArbitrary("listenWith")
        port = portType(*args, **kw)
        port.startListening()
        return port  # type: ignore[no-any-return]  # caller-supplied type

    def connectWith(
        self, connectorType: Callable[..., Any], *args: Any, **kw: Any
    ) -> IConnector:
        """Deprecated: build ``connectorType(*args, **kw)`` and connect it."""
        _warnArbitrary("connectWith")
        connector = connectorType(*args, **kw)
        connector.connect()
        return connector  # type: ignore[no-any-return]  # caller-supplied type


def _warnArbitrary(method: str) -> None:
    # Every call warns; the warnings filters decide how often it is shown
    # (once per calling line by default).
    warnings.warn(
        f"Reactor.{method}() is deprecated: build the port or connector "
        "yourself and start it",
        DeprecationWarning,
        stacklevel=3,
    )
