"""Time-driven helpers: a hand-driven clock, repeating calls, delayed results.

``Clock`` is a stand-in for a reactor's time functions in tests.  It keeps
its own small list of calls rather than reusing the reactor's timer queue,
because a test clock wants different rules: ``advance()`` runs every call
that has become due, including zero-delay calls scheduled by the calls it
runs, and an exception raised by a call propagates out of ``advance()`` so
the test sees it instead of a log line.

``LoopingCall`` keeps its calls on a grid of ``starttime + n * interval``.
A call that comes late (slow code, a blocked loop) does not shift the grid;
the missed slots are skipped, and ``withCount`` tells the function how many
slots went by.
"""

from __future__ import annotations

import enum
import math
from bisect import insort
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec, TypeVar, overload

from zope.interface import implementer

from plait.errors import AlreadyCalled, AlreadyCancelled
from plait.interfaces import IDelayedCall, IReactorTime

from ._defer import Deferred, maybeDeferred
from ._failure import Failure

__all__ = ["Clock", "LoopingCall", "deferLater"]

_P = ParamSpec("_P")
_T = TypeVar("_T")

# Relative slack when deciding whether a time sits on a LoopingCall grid
# point: float division turns 0.3 / 0.1 into 2.9999999999999996.
_GRID_SLACK = 1e-9


class _CallState(enum.Enum):
    PENDING = "pending"
    CALLED = "called"
    CANCELLED = "cancelled"


_TRANSITIONS: dict[_CallState, frozenset[_CallState]] = {
    _CallState.PENDING: frozenset(_CallState),
    _CallState.CALLED: frozenset(),
    _CallState.CANCELLED: frozenset(),
}


def _sortKey(call: _ClockCall) -> tuple[float, int]:
    return (call.time, call._seq)


@implementer(IDelayedCall)
class _ClockCall:
    """A call scheduled on a :class:`Clock`."""

    __slots__ = ("_clock", "_seq", "_state", "args", "func", "kw", "time")

    def __init__(
        self,
        clock: Clock,
        time: float,
        seq: int,
        func: Callable[..., object],
        args: tuple[Any, ...],
        kw: dict[str, Any],
    ) -> None:
        self._clock = clock
        self._seq = seq
        self._state = _CallState.PENDING
        self.time = time
        self.func = func
        self.args = args
        self.kw = kw

    @property
    def called(self) -> bool:
        """Whether the call has run."""
        return self._state is _CallState.CALLED

    @property
    def cancelled(self) -> bool:
        """Whether the call was cancelled."""
        return self._state is _CallState.CANCELLED

    def _move(self, new: _CallState) -> None:
        if new not in _TRANSITIONS[self._state]:
            if self._state is _CallState.CALLED:
                raise AlreadyCalled(f"{self!r} has already run")
            raise AlreadyCancelled(f"{self!r} was already cancelled")
        self._state = new

    def getTime(self) -> float:
        """When the call is due, on the clock's time."""
        return self.time

    def active(self) -> bool:
        """True until the call has run or been cancelled."""
        return self._state is _CallState.PENDING

    def cancel(self) -> None:
        """Drop the call.  Raises AlreadyCalled / AlreadyCancelled when final."""
        self._move(_CallState.CANCELLED)
        self._clock._calls.remove(self)

    def delay(self, secondsLater: float) -> None:
        """Move the due time by *secondsLater*."""
        self._move(_CallState.PENDING)
        self._clock._reschedule(self, self.time + secondsLater)

    def reset(self, secondsFromNow: float) -> None:
        """Make the call due *secondsFromNow* after the clock's present."""
        self._move(_CallState.PENDING)
        self._clock._reschedule(self, self._clock.seconds() + secondsFromNow)

    def __repr__(self) -> str:
        func = getattr(self.func, "__qualname__", None) or repr(self.func)
        return f"<ClockCall {self._state.value} at {self.time!r}: {func}>"


@implementer(IReactorTime)
class Clock:
    """A fake :class:`~plait.interfaces.IReactorTime` whose time moves on request.

    Time starts at *now* (0 by default) and only changes through
    :meth:`advance` and :meth:`pump`.
    """

    def __init__(self, now: float = 0.0) -> None:
        self._now = now
        self._calls: list[_ClockCall] = []
        self._seq = 0

    def seconds(self) -> float:
        """The clock's current time."""
        return self._now

    # The same signature as the reactor's (and the interface's).
    def callLater(
        self,
        delay: float,
        callable: Callable[_P, object],
        *args: _P.args,
        **kw: _P.kwargs,
    ) -> _ClockCall:
        """Schedule ``callable(*args, **kw)`` *delay* seconds from now.

        :raises ValueError: *delay* is negative or NaN.
        :raises TypeError: *callable* cannot be called.
        """
        if not delay >= 0:
            raise ValueError(f"callLater() delay must be >= 0, not {delay!r}")
        if not _isCallable(callable):
            raise TypeError(f"callLater() needs a callable, not {callable!r}")
        self._seq += 1
        call = _ClockCall(self, self._now + delay, self._seq, callable, args, kw)
        insort(self._calls, call, key=_sortKey)
        return call

    def _reschedule(self, call: _ClockCall, when: float) -> None:
        self._calls.remove(call)
        call.time = when
        insort(self._calls, call, key=_sortKey)

    def getDelayedCalls(self) -> tuple[_ClockCall, ...]:
        """The pending calls, earliest first."""
        return tuple(self._calls)

    def advance(self, amount: float) -> None:
        """Move time forward by *amount* and run every call now due.

        Calls run in time order, ties in scheduling order.  An exception
        from a call propagates; the calls after it stay pending.

        :raises ValueError: *amount* is negative.
        """
        if not amount >= 0:
            raise ValueError(f"advance() needs an amount >= 0, not {amount!r}")
        self._now += amount
        calls = self._calls
        while calls and calls[0].time <= self._now:
            call = calls.pop(0)
            call._move(_CallState.CALLED)
            call.func(*call.args, **call.kw)

    def pump(self, timings: Iterable[float]) -> None:
        """``advance()`` by each amount of *timings* in turn."""
        for amount in timings:
            self.advance(amount)


_isCallable = callable


class LoopingCall:
    """Calls ``f(*a, **kw)`` every ``interval`` seconds on :attr:`clock`.

    Set :attr:`clock` (a reactor or a :class:`Clock`) before :meth:`start`:
    plait has no default reactor.  When ``f`` returns a Deferred, the next
    call is scheduled only after it fires.  The Deferred from :meth:`start`
    fires with this object when :meth:`stop` ends the loop, and fails with
    the error when ``f`` raises or its Deferred fails (the loop ends then).
    """

    call: IDelayedCall | None = None
    running: bool = False
    interval: float | None = None
    starttime: float | None = None
    clock: IReactorTime | None = None

    def __init__(self, f: Callable[..., object], *a: Any, **kw: Any) -> None:
        self.f = f
        self.a = a
        self.kw = kw
        self._deferred: Deferred[LoopingCall] | None = None
        self._runAtStart = False
        self._lastCountTime: float | None = None

    @classmethod
    def withCount(cls, countCallable: Callable[[int], object]) -> LoopingCall:
        """A loop calling ``countCallable(n)``, n being the slots since the last call.

        n is 1 when every call came on time and larger when slots were
        missed; a zero interval always gives 1.
        """
        loop: LoopingCall

        def counted() -> object:
            return loop._callWithCount(countCallable)

        loop = cls(counted)
        return loop

    def _slot(self, when: float) -> int:
        """The index of the last grid point at or before *when*."""
        assert self.starttime is not None and self.interval
        ratio = (when - self.starttime) / self.interval
        nearest = round(ratio)
        if abs(ratio - nearest) <= _GRID_SLACK * max(1.0, abs(ratio)):
            return nearest
        return math.floor(ratio)

    def _callWithCount(self, countCallable: Callable[[int], object]) -> object:
        assert self.clock is not None and self.interval is not None
        now = self.clock.seconds()
        if self.interval == 0:
            self._lastCountTime = now
            return countCallable(1)
        last = self._lastCountTime
        if last is None:
            assert self.starttime is not None
            last = self.starttime
            if self._runAtStart:
                # The call made by start() itself counts as one slot.
                last -= self.interval
        count = self._slot(now) - self._slot(last)
        if count <= 0:
            return None
        self._lastCountTime = now
        return countCallable(count)

    def start(self, interval: float, now: bool = True) -> Deferred[LoopingCall]:
        """Begin calling every *interval* seconds, at once too if *now*.

        :raises ValueError: *interval* is negative.
        :raises RuntimeError: it is running already, a call from a stopped
            run is still pending, or :attr:`clock` is not set.
        """
        if self.running:
            raise RuntimeError(f"{self!r} is already running")
        if self._deferred is not None:
            raise RuntimeError(
                f"{self!r} was stopped but its last call has not finished yet"
            )
        if not interval >= 0:
            raise ValueError(f"LoopingCall interval must be >= 0, not {interval!r}")
        clock = self.clock
        if clock is None:
            raise RuntimeError(
                "LoopingCall.clock is not set: assign a reactor or a Clock "
                "before calling start()"
            )
        self.running = True
        self.interval = interval
        self.starttime = clock.seconds()
        self._runAtStart = now
        self._lastCountTime = None
        finished = self._deferred = Deferred()
        if now:
            self._run()
        else:
            self._scheduleAfter(self.starttime)
        return finished

    def stop(self) -> None:
        """End the loop; the Deferred from start() fires once no call is running.

        :raises RuntimeError: it is not running.
        """
        if not self.running:
            raise RuntimeError(f"{self!r} is not running")
        self.running = False
        call, self.call = self.call, None
        if call is not None:
            call.cancel()
            self._finish()

    def reset(self) -> None:
        """Restart the grid from now: the next call comes one interval later.

        :raises RuntimeError: it is not running.
        """
        if not self.running:
            raise RuntimeError(f"{self!r} is not running")
        call, self.call = self.call, None
        if call is not None:
            call.cancel()
            assert self.clock is not None
            self.starttime = self.clock.seconds()
            self._scheduleAfter(self.starttime)

    def _scheduleAfter(self, when: float) -> None:
        assert self.clock is not None and self.interval is not None
        if self.interval == 0:
            delay = 0.0
        else:
            assert self.starttime is not None
            target = self.starttime + (self._slot(when) + 1) * self.interval
            delay = max(0.0, target - when)
        self.call = self.clock.callLater(delay, self._run)

    def _run(self) -> None:
        self.call = None
        result = maybeDeferred(self.f, *self.a, **self.kw)
        result.addCallbacks(self._ran, self._failed)

    def _ran(self, result: object) -> None:
        if self.running:
            assert self.clock is not None
            self._scheduleAfter(self.clock.seconds())
        else:
            self._finish()

    def _failed(self, failure: Failure) -> None:
        self.running = False
        finished, self._deferred = self._deferred, None
        if finished is not None:
            finished.errback(failure)

    def _finish(self) -> None:
        finished, self._deferred = self._deferred, None
        if finished is not None:
            finished.callback(self)

    def __repr__(self) -> str:
        func = getattr(self.f, "__qualname__", None) or repr(self.f)
        return f"<LoopingCall {func} interval={self.interval!r} running={self.running}>"


@overload
def deferLater(clock: IReactorTime, delay: float) -> Deferred[None]: ...


@overload
def deferLater(
    clock: IReactorTime,
    delay: float,
    callable: Callable[_P, Deferred[_T]],
    *args: _P.args,
    **kw: _P.kwargs,
) -> Deferred[_T]: ...


@overload
def deferLater(
    clock: IReactorTime,
    delay: float,
    callable: Callable[_P, _T],
    *args: _P.args,
    **kw: _P.kwargs,
) -> Deferred[_T]: ...


def deferLater(
    clock: IReactorTime,
    delay: float,
    callable: Callable[..., Any] | None = None,
    *args: Any,
    **kw: Any,
) -> Deferred[Any]:
    """A Deferred firing *delay* seconds from now on *clock*.

    With *callable*, it fires with ``callable(*args, **kw)`` (waiting for it
    when that is a Deferred) or fails with its exception; without, it fires
    with ``None``.  Cancelling the Deferred cancels the scheduled call.
    """

    def cancel(_: Deferred[Any]) -> None:
        if call.active():
            call.cancel()

    later: Deferred[Any] = Deferred(cancel)
    if callable is not None:
        func = callable
        later.addCallback(lambda _: func(*args, **kw))
    call = clock.callLater(delay, later.callback, None)
    return later
