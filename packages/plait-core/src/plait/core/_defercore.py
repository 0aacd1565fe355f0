"""The engine under Deferred: its state and the loop that runs its chain.

:class:`_DeferredCore` holds everything that does not depend on the result
type; :class:`plait.core.Deferred` adds the typed public methods on top.

How the chain runs (the part worth reading before changing anything):

- Callbacks sit in a list of ``(callback, errback)`` pairs (``None`` in a slot
  passes the result through) or, for a bare callback, the callable itself.
  Extra arguments are bound into a small closure when the callback is added,
  so the loop itself only ever calls ``fn(result)`` and, on the common path,
  makes one ``isinstance`` test on what it returns.
- :meth:`_DeferredCore._run` is one loop for the whole graph of chained
  Deferreds.  When a callback returns a Deferred that already has its result,
  that result is taken over in place.  When it returns one that has not fired,
  the outer Deferred parks: a :class:`_Handoff` entry goes on the inner chain
  and the loop moves on.  When a running chain reaches that entry, the entry
  gives the result to the outer Deferred and the loop switches to it,
  remembering the inner one on an explicit stack if it still has callbacks
  left.  Nothing recurses, so chain length and nesting depth are bounded by
  memory only.
- The loop does not look for a pause after each callback.  While it runs, the
  Deferred holds the loop's list iterator in ``_iter``; a ``pause()`` from a
  callback moves the entries not yet run out of that iterator into a new
  list, so the loop simply finds nothing more to run.
- ``_ready`` caches "fired, not paused, not waiting, not running": the state
  in which a new callback can run at once.  It is the one test on the hot
  paths, which is why the state is a handful of slots rather than an enum
  object; every place that changes one of the underlying facts updates it.
- A failure left at the end of a chain is handed to a tiny
  :class:`_UnhandledFailure` object whose ``__del__`` logs it.  Only failed
  Deferreds pay for it; the object is disarmed as soon as anything takes the
  failure (an errback, an outer Deferred, an ``await``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from plait.errors import AlreadyCalledError, CancelledError

from ._failure import Failure, _ChainSignal

log = logging.getLogger("plait.core")

# A chain entry: a bare callable (a callback with no errback, the most common
# kind, stored without a tuple) or a ``(callback, errback)`` pair.
_Entry = Callable[[Any], Any] | tuple[Any, Any]


class _UnhandledFailure:
    """Holds a Deferred's final failure; logs it if nobody ever took it."""

    __slots__ = ("failure",)

    def __init__(self, failure: Failure) -> None:
        self.failure: Failure | None = failure

    def __del__(self) -> None:
        failure = self.failure
        if failure is None:
            return
        self.failure = None
        try:
            log.error("Unhandled error in Deferred:\n%s", failure.getTraceback())
        except Exception:  # noqa: S110 - interpreter shutdown; nowhere to report
            pass


def _disarm(d: _DeferredCore) -> None:
    """Mark *d*'s final failure (if any) as taken care of."""
    info = d._debugInfo
    if info is not None:
        info.failure = None
        d._debugInfo = None


def _bind(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any] | None
) -> Callable[[Any], Any]:
    """Fold extra arguments into a one-argument callable for the chain."""
    if kwargs:

        def boundWithKeywords(result: Any) -> Any:
            return fn(result, *args, **kwargs)

        return boundWithKeywords

    def bound(result: Any) -> Any:
        return fn(result, *args)

    return bound


def _notCallable(what: str, obj: object) -> TypeError:
    return TypeError(f"{what} must be callable, not {obj!r}")


class _Handoff(_ChainSignal):
    """The entry a parked Deferred leaves on the chain it waits for."""

    __slots__ = ("outer",)

    def __init__(self, outer: _DeferredCore) -> None:
        self.outer = outer

    def __call__(self, result: object) -> _Handoff:
        outer = self.outer
        outer.result = result
        outer._waiting = None
        return self


def _same(result: object) -> object:
    return result


_RECHECK = (_same, _same)


def _lateFiringExpected(d: object) -> None:
    """Stands in for the canceller once cancel() found none (see there)."""


_NO_ENTRIES: list[_Entry] = []


class _DeferredCore(_ChainSignal):
    """State and chain loop shared by every Deferred (see the module notes)."""

    __slots__ = (
        "__weakref__",
        "_canceller",
        "_chain",
        "_debugInfo",
        "_iter",
        "_pauses",
        "_ready",
        "_running",
        "_waiting",
        "called",
        "result",
    )

    called: bool
    result: Any

    def __init__(self, canceller: Callable[[Any], object] | None = None) -> None:
        self.called = False
        self.result = None
        self._chain: list[_Entry] | None = None
        self._pauses = 0
        self._ready = False
        self._running = False
        self._waiting: _DeferredCore | None = None
        self._canceller = canceller
        self._iter: Iterator[_Entry] | None = None
        self._debugInfo: _UnhandledFailure | None = None

    def _add(self, callback: Any, errback: Any) -> None:
        chain = self._chain
        if chain is None:
            self._chain = [(callback, errback)]
        else:
            chain.append((callback, errback))
        if self._ready:
            self._ready = False
            self._run()

    def errback(self, fail: Failure | BaseException | None = None) -> None:
        """Fire the chain on the error side.

        :param fail: a Failure, an exception (wrapped into one), or ``None``
            for the exception being handled right now.
        :raises plait.errors.AlreadyCalledError: if this Deferred has fired.
        """
        if not isinstance(fail, Failure):
            fail = Failure(fail)
        if self.called:
            self._firedAgain()
            return
        self.called = True
        self.result = fail
        self._run()

    def _firedAgain(self) -> None:
        if self._canceller is _lateFiringExpected:
            # The first late firing of a Deferred cancelled without a
            # canceller is expected: the work it waited for went on.
            self._canceller = None
            return
        raise AlreadyCalledError(repr(self))

    @property
    def paused(self) -> int:
        """How many reasons hold the chain: :meth:`pause` calls not yet
        undone, plus one while waiting for an inner Deferred."""
        return self._pauses + (self._waiting is not None)

    def pause(self) -> None:
        """Hold the chain: no callback runs until :meth:`unpause`."""
        self._pauses += 1
        self._ready = False
        entries = self._iter
        if entries is not None:
            # Paused by one of its own running callbacks: take the entries
            # not run yet out of the loop's hands, which ends it at once.
            self._iter = None
            self._chain = list(entries) or None

    def unpause(self) -> None:
        """Undo one :meth:`pause`; the chain goes on when none is left.
        Unpausing a Deferred that is not paused does nothing."""
        if not self._pauses:
            return
        self._pauses -= 1
        if not self._pauses and self.called and not self._running:
            # (While running, the active loop carries on by itself.)
            self._run()

    def cancel(self) -> None:
        """Give up on the result.

        Before firing: call the canceller, then, unless it fired this
        Deferred itself, fail it with :class:`plait.errors.CancelledError`.
        Without a canceller, the one late :meth:`callback`/:meth:`errback`
        that the abandoned work will make is silently ignored.  After firing,
        while waiting for an inner Deferred: cancel that one.  Otherwise
        nothing happens.
        """
        if not self.called:
            canceller = self._canceller
            try:
                if canceller is None:
                    self._canceller = _lateFiringExpected
                else:
                    canceller(self)
            finally:
                if not self.called:
                    self.errback(Failure(CancelledError()))
        elif self._waiting is not None:
            self._waiting.cancel()

    def _run(self) -> None:
        """Run the callbacks of this Deferred and of every Deferred its
        results are handed to, in one loop (see the module docstring)."""
        d: _DeferredCore = self
        stack: list[_DeferredCore] | None = None
        while True:
            # Whatever brings a Deferred here has cleared its _ready flag.
            d._running = True
            if d._pauses or d._waiting is not None:
                d._running = False
            else:
                if d._debugInfo is not None:
                    _disarm(d)  # its failure is about to be handled
                chain = d._chain
                result = d.result
                failed = False
                if isinstance(result, _ChainSignal):
                    failed = isinstance(result, Failure)
                    if not failed:
                        # A Deferred left by a callback that ran outside
                        # this loop: have it chained like any other result.
                        if chain is None:
                            chain = d._chain = [_RECHECK]
                        else:
                            chain.insert(0, _RECHECK)
                if chain is None:
                    chain = _NO_ENTRIES  # nothing can be added while none runs
                resume: _DeferredCore | None = None
                # A list iterator also yields entries appended meanwhile.
                # pause() may empty it (see there), so nothing here has to
                # test for a pause after every callback.
                entries = d._iter = iter(chain)
                rest: Iterator[_Entry] | None = entries
                fn: Any
                for fn in entries:
                    if fn.__class__ is tuple:
                        fn = fn[1] if failed else fn[0]
                        if fn is None:
                            continue
                    elif failed:
                        continue
                    try:
                        result = fn(result)
                    except BaseException:
                        result = Failure()
                        failed = True
                    else:
                        if not isinstance(result, _ChainSignal):
                            failed = False
                        elif isinstance(result, Failure):
                            failed = True
                        elif isinstance(result, _Handoff):
                            # Reached a parked outer Deferred: it has taken
                            # the result over; go and run it.
                            outer = result.outer
                            result = None
                            failed = False
                            if not outer._pauses:
                                resume = outer
                                break
                        elif not isinstance(result, _DeferredCore):
                            failed = False  # a bare signal object: a value
                        elif result is d:
                            result = Failure(
                                ValueError(
                                    f"a callback of the Deferred at {id(d):#x} "
                                    "returned that same Deferred, which can "
                                    "never fire"
                                )
                            )
                            failed = True
                        elif result._ready:
                            # Fired already: take its result in place.
                            inner = result
                            result = inner.result
                            inner.result = None
                            _disarm(inner)
                            failed = isinstance(result, Failure)
                        else:
                            # Not fired yet: park until it hands over.
                            d._waiting = result
                            marker = _Handoff(d)
                            innerChain = result._chain
                            if innerChain is None:
                                result._chain = [(marker, marker)]
                            else:
                                innerChain.append((marker, marker))
                            break
                else:
                    rest = None
                if d._iter is not None:
                    d._iter = None
                    # Stopped early (parked, switched): keep the rest.
                    d._chain = None if rest is None else list(rest) or None
                # (Otherwise pause() has kept the rest in d._chain.)
                d.result = result
                d._running = False
                if resume is not None:
                    if d._chain is not None:
                        d._running = True
                        if stack is None:
                            stack = [d]
                        else:
                            stack.append(d)
                    else:
                        d._ready = True
                    d = resume
                    continue
                if not d._pauses and d._waiting is None:
                    if d._chain is not None:
                        continue  # paused and unpaused in one callback
                    d._ready = True
                    if failed:
                        d._debugInfo = _UnhandledFailure(result)
            if not stack:
                return
            d = stack.pop()

    def __repr__(self) -> str:
        where = f"<{type(self).__name__} at {id(self):#x}"
        inner = self._waiting
        if inner is not None:
            return f"{where} waiting on {type(inner).__name__} at {id(inner):#x}>"
        if self.called:
            result = self.result
            if isinstance(result, _DeferredCore):  # never recurse into one
                shown = f"<{type(result).__name__} at {id(result):#x}>"
            else:
                shown = repr(result)
            return f"{where} current result: {shown}>"
        return where + ">"

    __str__ = __repr__
