"""Running coroutines on Deferreds: ``ensureDeferred`` and its driver.

The driver steps the coroutine by hand.  ``await d`` on a Deferred that has
its result returns at once inside ``Deferred.__await__`` (no trip through the
driver, so a loop of awaits on fired Deferreds costs no stack); only a
Deferred still waiting is yielded out, and the driver parks the coroutine on
it with one callback.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar, overload

from plait.errors import CancelledError

from ._defer import Deferred
from ._defercore import _disarm
from ._failure import Failure

__all__ = ["ensureDeferred"]

log = logging.getLogger("plait.core")

_T = TypeVar("_T")


class _CoroutineDriver:
    """Steps one coroutine and reports its outcome on :attr:`deferred`."""

    __slots__ = ("_coro", "_waiting", "deferred")

    def __init__(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._coro = coro
        self._waiting: Deferred[Any] | None = None
        self.deferred: Deferred[Any] = Deferred(self._cancel)

    def _cancel(self, _: Deferred[Any]) -> None:
        # Cancelling what the coroutine awaits throws the CancelledError in
        # at its await; the coroutine may handle it and go on.
        waiting = self._waiting
        if waiting is not None:
            waiting.cancel()

    def _resume(self, result: Any) -> None:
        self._waiting = None
        self.step(result)
        # Returning None: the coroutine has taken the result over.

    def _resolve(self, outcome: Any) -> None:
        self._waiting = None
        self._finish(outcome)

    def step(self, result: Any) -> None:
        """Run the coroutine until it waits on an unfired Deferred or ends.

        :param result: what the last await gives: sent in, or thrown in
            when it is a Failure.
        """
        coro = self._coro
        while True:
            try:
                if isinstance(result, Failure):
                    yielded = coro.throw(result.value)
                else:
                    yielded = coro.send(result)
            except StopIteration as stop:
                self._finish(stop.value)
                return
            except BaseException:
                self._finish(Failure())
                return
            if not isinstance(yielded, Deferred):
                result = Failure(
                    TypeError(
                        f"a coroutine run by plait awaited {yielded!r}; only "
                        "Deferreds (and coroutines awaiting them) can be awaited"
                    )
                )
                continue
            if yielded._ready:
                # Yielded by hand after firing: take its result here.
                result = yielded.result
                yielded.result = None
                _disarm(yielded)
                continue
            self._waiting = yielded
            yielded.addBoth(self._resume)
            return

    def _finish(self, outcome: Any) -> None:
        d = self.deferred
        if not d.called:
            if isinstance(outcome, Deferred):
                # Returned a Deferred: ours fires when that one does.
                self._waiting = outcome
                outcome.addBoth(self._resolve)
            else:
                d.callback(outcome)
            return
        # cancel() failed the Deferred while the coroutine kept running (it
        # handled the CancelledError): its late outcome has nowhere to go.
        if isinstance(outcome, Failure) and not outcome.check(CancelledError):
            log.error(
                "Unhandled error in a coroutine whose Deferred was cancelled:\n%s",
                outcome.getTraceback(),
            )


async def _awaitAny(awaitable: Awaitable[_T]) -> _T:
    return await awaitable


@overload
def ensureDeferred(coro: Deferred[_T]) -> Deferred[_T]: ...


@overload
def ensureDeferred(coro: Coroutine[Any, Any, _T]) -> Deferred[_T]: ...


@overload
def ensureDeferred(coro: Awaitable[_T]) -> Deferred[_T]: ...


def ensureDeferred(coro: Awaitable[Any]) -> Deferred[Any]:
    """Run a coroutine and give a Deferred that fires with its return value
    (or fails with what it raised).

    Inside it, ``await`` works on Deferreds.  Cancelling the returned
    Deferred cancels the Deferred the coroutine is waiting on, so a
    :class:`plait.errors.CancelledError` is raised at that ``await``.  A
    Deferred is returned as it is; another awaitable is wrapped in a
    coroutine first.

    :raises TypeError: for something that cannot be awaited.
    """
    if isinstance(coro, Deferred):
        return coro
    if not isinstance(coro, Coroutine):
        if not isinstance(coro, Awaitable):
            raise TypeError(
                f"ensureDeferred() needs a coroutine or a Deferred, not {coro!r}"
            )
        coro = _awaitAny(coro)
    driver = _CoroutineDriver(coro)
    driver.step(None)
    return driver.deferred
