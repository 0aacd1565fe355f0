"""Deferred: a result that is not there yet, and the callbacks waiting for it.

The state and the loop that runs the chain live in :mod:`._defercore`; this
module is the typed face of it, plus the small constructors (``succeed``,
``fail``, ``maybeDeferred``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Generator
from types import FunctionType
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from plait.errors import CancelledError, TimeoutError
from plait.interfaces import IReactorTime

from ._defercore import _bind, _DeferredCore, _disarm, _notCallable
from ._failure import Failure, _ChainSignal

__all__ = ["Deferred", "fail", "maybeDeferred", "succeed"]

_T = TypeVar("_T")
_S = TypeVar("_S")
_R = TypeVar("_R")
_P = ParamSpec("_P")


class Deferred(_DeferredCore, Generic[_T]):
    """A result of type ``_T`` that arrives later, and what to do with it.

    Add callbacks (run with the result) and errbacks (run with a
    :class:`Failure`); each one's return value becomes the result the next one
    sees, and raising switches to the errback side.  A callback may return
    another Deferred: the chain then waits for it and goes on with its result.

    :param canceller: called with this Deferred by :meth:`cancel` while it
        has not fired; it should stop the work that would have fired it.

    :ivar called: whether :meth:`callback` or :meth:`errback` has been called.
    :ivar result: the current result (only meaningful once ``called``); a
        :class:`Failure` on the error side; the inner Deferred while waiting
        for one; ``None`` once an outer Deferred or an ``await`` took it.
    """

    __slots__ = ()

    # -- adding callbacks -------------------------------------------------

    # Each adder has two typed forms: a function returning a Deferred[_S]
    # (the chain waits for it) and one returning a plain _S (or a Failure).

    @overload
    def addCallbacks(
        self,
        callback: Callable[..., Deferred[_S]],
        errback: Callable[..., Deferred[_S]] | None = None,
        callbackArgs: tuple[Any, ...] = (),
        callbackKeywords: dict[str, Any] | None = None,
        errbackArgs: tuple[Any, ...] = (),
        errbackKeywords: dict[str, Any] | None = None,
    ) -> Deferred[_S]: ...

    @overload
    def addCallbacks(
        self,
        callback: Callable[..., Failure | _S],
        errback: Callable[..., Failure | _S] | None = None,
        callbackArgs: tuple[Any, ...] = (),
        callbackKeywords: dict[str, Any] | None = None,
        errbackArgs: tuple[Any, ...] = (),
        errbackKeywords: dict[str, Any] | None = None,
    ) -> Deferred[_S]: ...

    def addCallbacks(
        self,
        callback: Callable[..., Any],
        errback: Callable[..., Any] | None = None,
        callbackArgs: tuple[Any, ...] = (),
        callbackKeywords: dict[str, Any] | None = None,
        errbackArgs: tuple[Any, ...] = (),
        errbackKeywords: dict[str, Any] | None = None,
    ) -> Deferred[Any]:
        """Add a callback and an errback at the same level of the chain: one
        of the two runs, depending on which side the result is on."""
        if not callable(callback):
            raise _notCallable("callback", callback)
        if errback is not None and not callable(errback):
            raise _notCallable("errback", errback)
        if callbackArgs or callbackKeywords:
            callback = _bind(callback, callbackArgs, callbackKeywords)
        if errback is not None and (errbackArgs or errbackKeywords):
            errback = _bind(errback, errbackArgs, errbackKeywords)
        self._add(callback, errback)
        return self

    @overload
    def addCallback(
        self,
        callback: Callable[Concatenate[_T, _P], Deferred[_S]],
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> Deferred[_S]: ...

    @overload
    def addCallback(
        self,
        callback: Callable[Concatenate[_T, _P], Failure | _S],
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> Deferred[_S]: ...

    def addCallback(
        self,
        callback: Callable[..., Any],
        /,
        *args: Any,
        **kwargs: Any,
    ) -> Deferred[Any]:
        """Add *callback*, called as ``callback(result, *args, **kwargs)`` on
        success; failures pass it by."""
        if args or kwargs:
            if not callable(callback):
                raise _notCallable("callback", callback)
            callback = _bind(callback, args, kwargs)
        elif callback.__class__ is not FunctionType and not callable(callback):
            raise _notCallable("callback", callback)
        if not self._ready:
            chain = self._chain
            if chain is None:
                self._chain = [callback]
            else:
                chain.append(callback)
            return self
        # Fired and idle: run it at once, skipping the list.  Marked busy
        # meanwhile so that anything the callback adds to us is queued.
        result = self.result
        if isinstance(result, Failure):
            return self
        self._ready = False
        self._running = True
        try:
            result = callback(result)
        except BaseException:
            result = Failure()
        self.result = result
        self._running = False
        if self._chain or self._pauses or isinstance(result, _ChainSignal):
            self._run()
        else:
            self._ready = True
        return self

    @overload
    def addErrback(
        self,
        errback: Callable[Concatenate[Failure, _P], Deferred[_S]],
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> Deferred[_T | _S]: ...

    @overload
    def addErrback(
        self,
        errback: Callable[Concatenate[Failure, _P], Failure | _S],
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> Deferred[_T | _S]: ...

    def addErrback(
        self,
        errback: Callable[..., Any],
        /,
        *args: Any,
        **kwargs: Any,
    ) -> Deferred[Any]:
        """Add *errback*, called as ``errback(failure, *args, **kwargs)`` when
        the result is a failure; successful results pass it by."""
        if not callable(errback):
            raise _notCallable("errback", errback)
        fn: Any = _bind(errback, args, kwargs) if args or kwargs else errback
        self._add(None, fn)
        return self

    @overload
    def addBoth(
        self,
        callback: Callable[Concatenate[_T | Failure, _P], Deferred[_S]],
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> Deferred[_S]: ...

    @overload
    def addBoth(
        self,
        callback: Callable[Concatenate[_T | Failure, _P], Failure | _S],
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> Deferred[_S]: ...

    def addBoth(
        self,
        callback: Callable[..., Any],
        /,
        *args: Any,
        **kwargs: Any,
    ) -> Deferred[Any]:
        """Add *callback* on both sides: it runs with whatever the result is."""
        if not callable(callback):
            raise _notCallable("callback", callback)
        fn: Any = _bind(callback, args, kwargs) if args or kwargs else callback
        self._add(fn, fn)
        return self

    def chainDeferred(self, d: Deferred[_T]) -> Deferred[None]:
        """Fire *d* with this Deferred's result (success or failure); this
        chain goes on with ``None``."""
        return self.addCallbacks(d.callback, d.errback)

    # -- firing -----------------------------------------------------------

    def callback(self, result: _T) -> None:
        """Fire the chain with a successful *result*.

        :raises plait.errors.AlreadyCalledError: if this Deferred has fired.
        :raises TypeError: for a Deferred: return it from a callback instead.
        """
        if self.called:
            self._firedAgain()
            return
        if isinstance(result, _ChainSignal):
            if isinstance(result, _DeferredCore):
                raise TypeError(
                    "callback() needs a final result, not a Deferred; return "
                    "the Deferred from a callback to wait for it"
                )
            # A Failure: the chain goes down the error side.
            self.called = True
            self.result = result
            self._run()
            return
        self.called = True
        self.result = result
        if self._chain is not None or self._pauses:
            self._run()
        else:
            self._ready = True

    def addTimeout(
        self,
        timeout: float,
        clock: IReactorTime,
        onTimeoutCancel: Callable[[Any, float], Any] | None = None,
    ) -> Deferred[_T]:
        """Cancel this Deferred if it has not fired *timeout* seconds from now
        on *clock*; the resulting CancelledError becomes a
        :class:`plait.errors.TimeoutError`.

        :param onTimeoutCancel: replaces that conversion: called with the
            result after a timeout and *timeout*; its return value goes on.
        :returns: this Deferred.
        """
        timedOut = False

        def onTimeout() -> None:
            nonlocal timedOut
            timedOut = True
            self.cancel()

        call = clock.callLater(timeout, onTimeout)

        def afterFiring(result: Any) -> Any:
            if call.active():
                call.cancel()
            if not timedOut:
                return result
            if onTimeoutCancel is not None:
                return onTimeoutCancel(result, timeout)
            if isinstance(result, Failure) and result.check(CancelledError):
                raise TimeoutError(
                    string=f"the Deferred did not fire within {timeout} seconds"
                ) from result.value
            return result

        self._add(afterFiring, afterFiring)
        return self

    # -- coroutines -------------------------------------------------------

    def __await__(self) -> Generator[Deferred[Any], Any, _T]:
        if not self._ready:
            # plait's coroutine driver resumes us with the result, or throws
            # the failure's exception in.
            sent: _T = yield self
            return sent
        result = self.result
        self.result = None
        if isinstance(result, Failure):
            _disarm(self)
            raise result.value.with_traceback(result.tb)
        value: _T = result  # a fired Deferred[_T] holds a _T
        return value

    @classmethod
    def fromCoroutine(cls, coro: Coroutine[Any, Any, _R]) -> Deferred[_R]:
        """Run *coro* and give a Deferred for its outcome (see
        :func:`plait.core.ensureDeferred`)."""
        from ._coroutine import ensureDeferred

        return ensureDeferred(coro)


def succeed(result: _T) -> Deferred[_T]:
    """A Deferred that has already fired with *result*."""
    d: Deferred[_T] = Deferred()
    if isinstance(result, _ChainSignal):
        d.callback(result)  # a Failure, or a Deferred to refuse
    else:
        d.called = True
        d.result = result
        d._ready = True
    return d


def fail(result: Failure | BaseException | None = None) -> Deferred[Any]:
    """A Deferred that has already failed with *result* (a Failure, an
    exception, or ``None`` for the exception being handled)."""
    d: Deferred[Any] = Deferred()
    d.errback(result)
    return d


@overload
def maybeDeferred(
    f: Callable[_P, Deferred[_T]], /, *args: _P.args, **kwargs: _P.kwargs
) -> Deferred[_T]: ...


@overload
def maybeDeferred(
    f: Callable[_P, Coroutine[Any, Any, _T]], /, *args: _P.args, **kwargs: _P.kwargs
) -> Deferred[_T]: ...


@overload
def maybeDeferred(
    f: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs
) -> Deferred[_T]: ...


def maybeDeferred(
    f: Callable[_P, Any], /, *args: _P.args, **kwargs: _P.kwargs
) -> Deferred[Any]:
    """Call ``f(*args, **kwargs)`` and give its outcome as a Deferred.

    A Deferred it returns is passed through; a coroutine is run with
    :func:`plait.core.ensureDeferred`; a raised exception (or a returned
    Failure) gives a failed Deferred; any other value a fired one.
    """
    try:
        result = f(*args, **kwargs)
    except BaseException:
        return fail(Failure())
    if isinstance(result, Deferred):
        return result
    if isinstance(result, Failure):
        return fail(result)
    if isinstance(result, Coroutine):
        from ._coroutine import ensureDeferred

        return ensureDeferred(result)
    return succeed(result)
