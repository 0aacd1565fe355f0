"""Deferred cancellation, timeouts, and the logging of unhandled failures."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from typing import Any

import pytest

from plait.core import Deferred, Failure, fail, succeed
from plait.errors import AlreadyCalledError, CancelledError, TimeoutError


class _Call:
    """A call scheduled on :class:`_FakeClock`."""

    def __init__(self, clock: _FakeClock, when: float, f: Callable[[], object]):
        self.clock = clock
        self.when = when
        self.f = f
        self.state = "pending"

    def active(self) -> bool:
        return self.state == "pending"

    def cancel(self) -> None:
        assert self.state == "pending", "cancelled a call that is not pending"
        self.state = "cancelled"


class _FakeClock:
    """Just enough of IReactorTime for addTimeout: time moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0
        self.calls: list[_Call] = []

    def seconds(self) -> float:
        return self.now

    def callLater(self, delay: float, f: Callable[..., object], *a: Any) -> _Call:
        call = _Call(self, self.now + delay, lambda: f(*a))
        self.calls.append(call)
        return call

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for call in list(self.calls):
            if call.active() and call.when <= self.now:
                call.state = "called"
                call.f()


@pytest.fixture
def clock() -> _FakeClock:
    """A fresh fake clock."""
    return _FakeClock()


# -- cancel ---------------------------------------------------------------


def test_cancel_calls_the_canceller_then_fails() -> None:
    """cancel() calls the canceller with the Deferred, then errbacks it."""
    given: list[Deferred[Any]] = []
    d: Deferred[int] = Deferred(given.append)
    failures: list[Failure] = []
    d.addErrback(failures.append)
    d.cancel()
    assert given == [d]
    assert failures[0].type is CancelledError


def test_canceller_may_fire_the_deferred_itself() -> None:
    """A canceller that fires the Deferred decides its result."""
    d: Deferred[str] = Deferred(lambda d: d.callback("stopped"))
    d.cancel()
    assert d.result == "stopped"


def test_canceller_may_fail_with_its_own_error() -> None:
    """A canceller's own errback wins over the default CancelledError."""
    d: Deferred[str] = Deferred(lambda d: d.errback(KeyError("mine")))
    d.cancel()
    failures: list[Failure] = []
    d.addErrback(failures.append)
    assert failures[0].type is KeyError


def test_cancel_without_canceller_ignores_one_late_firing() -> None:
    """Without a canceller, the one late callback() is swallowed; a second raises."""
    d: Deferred[int] = Deferred()
    d.addErrback(lambda f: f.trap(CancelledError) and None)
    d.cancel()
    d.callback(1)
    assert d.result is None
    with pytest.raises(AlreadyCalledError):
        d.callback(2)


def test_cancel_with_canceller_does_not_swallow_late_firing() -> None:
    """With a canceller that did not fire, a late callback() raises."""
    d: Deferred[int] = Deferred(lambda d: None)
    d.addErrback(lambda f: None)
    d.cancel()
    with pytest.raises(AlreadyCalledError):
        d.callback(1)


def test_canceller_exception_propagates_after_failing() -> None:
    """A raising canceller's error reaches the caller; the Deferred still fails."""

    def broken(d: Deferred[Any]) -> None:
        raise RuntimeError("canceller broke")

    d: Deferred[int] = Deferred(broken)
    failures: list[Failure] = []
    d.addErrback(failures.append)
    with pytest.raises(RuntimeError, match="canceller broke"):
        d.cancel()
    assert failures[0].type is CancelledError


def test_cancel_of_a_fired_deferred_does_nothing() -> None:
    """Cancelling a Deferred that fired and waits on nothing changes nothing."""
    called: list[object] = []
    d: Deferred[int] = Deferred(called.append)
    d.callback(3)
    d.cancel()
    assert called == []
    assert d.result == 3


def test_cancel_while_waiting_cancels_the_inner_deferred() -> None:
    """A fired Deferred waiting on an inner one passes cancel() to it."""
    cancelled: list[object] = []
    inner: Deferred[int] = Deferred(cancelled.append)
    outer = succeed(0).addCallback(lambda _: inner)
    failures: list[Failure] = []
    outer.addErrback(failures.append)
    outer.cancel()
    assert cancelled == [inner]
    assert failures[0].type is CancelledError


def test_cancel_of_a_paused_fired_deferred_does_nothing() -> None:
    """A fired Deferred paused by the user is not cancelled."""
    d = succeed(5)
    d.pause()
    d.cancel()
    d.unpause()
    assert d.result == 5


# -- addTimeout -------------------------------------------------------------


def test_timeout_fails_with_timeout_error(clock: _FakeClock) -> None:
    """When time runs out, the Deferred is cancelled and fails with TimeoutError."""
    cancelled: list[object] = []
    d: Deferred[int] = Deferred(cancelled.append)
    assert d.addTimeout(5, clock) is d
    failures: list[Failure] = []
    d.addErrback(failures.append)
    clock.advance(4.9)
    assert failures == []
    clock.advance(0.2)
    assert cancelled == [d]
    assert failures[0].type is TimeoutError
    assert isinstance(failures[0].value, TimeoutError)
    assert "5" in failures[0].getErrorMessage()


def test_firing_first_cancels_the_timer(clock: _FakeClock) -> None:
    """A result before the timeout passes through and unschedules the call."""
    d: Deferred[int] = Deferred()
    d.addTimeout(5, clock)
    d.callback(8)
    assert d.result == 8
    assert clock.calls[0].state == "cancelled"
    clock.advance(10)
    assert d.result == 8


def test_failure_before_timeout_is_left_alone(clock: _FakeClock) -> None:
    """An error before the timeout is not turned into a TimeoutError."""
    d: Deferred[int] = Deferred()
    d.addTimeout(5, clock)
    d.errback(KeyError("early"))
    failures: list[Failure] = []
    d.addErrback(failures.append)
    assert failures[0].type is KeyError
    assert not clock.calls[0].active()


def test_timeout_on_a_fired_deferred_unschedules_at_once(clock: _FakeClock) -> None:
    """addTimeout on a Deferred that has fired cancels its own call right away."""
    d = succeed(1).addTimeout(5, clock)
    assert d.result == 1
    assert clock.calls[0].state == "cancelled"


def test_on_timeout_cancel_replaces_the_conversion(clock: _FakeClock) -> None:
    """onTimeoutCancel gets the result and the timeout and decides the outcome."""
    seen: list[tuple[type[BaseException] | None, float]] = []

    def onTimeout(result: Any, timeout: float) -> str:
        seen.append((result.type if isinstance(result, Failure) else None, timeout))
        return "gave up"

    d: Deferred[str] = Deferred()
    d.addTimeout(2, clock, onTimeoutCancel=onTimeout)
    clock.advance(2)
    assert seen == [(CancelledError, 2)]
    assert d.result == "gave up"


def test_canceller_result_survives_a_timeout(clock: _FakeClock) -> None:
    """A canceller that succeeds on timeout keeps its value (no TimeoutError)."""
    d: Deferred[str] = Deferred(lambda d: d.callback("partial"))
    d.addTimeout(1, clock)
    clock.advance(1)
    assert d.result == "partial"


# -- unhandled failures -------------------------------------------------------


def _errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "plait.core" and "Unhandled error in Deferred" in r.getMessage()
    ]


def _raiser() -> None:
    raise ValueError("nobody handled me")


def test_unhandled_failure_is_logged_when_collected(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A Deferred dropped with a failure logs it, with its traceback, at ERROR."""
    caplog.set_level(logging.ERROR, logger="plait.core")
    d: Deferred[int] = Deferred()
    d.addCallback(lambda _: _raiser())
    d.callback(0)
    del d
    gc.collect()
    records = _errors(caplog)
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR
    text = records[0].getMessage()
    assert text.startswith("Unhandled error in Deferred:")
    assert "Traceback (most recent call last):" in text
    assert "_raiser" in text
    assert "ValueError: nobody handled me" in text


def test_unhandled_failure_in_a_cycle_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failed Deferred kept alive only by a reference cycle is logged by gc."""
    caplog.set_level(logging.ERROR, logger="plait.core")
    d: Deferred[int] = Deferred()
    d.addCallback(lambda _, me=d: _raiser())  # the frame holds d: a cycle
    d.callback(0)
    del d
    gc.collect()
    assert len(_errors(caplog)) == 1


def test_handled_failure_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A failure an errback consumed leaves None and logs nothing."""
    caplog.set_level(logging.ERROR, logger="plait.core")
    d = fail(KeyError("handled"))
    d.addErrback(lambda f: None)
    assert d.result is None
    del d
    gc.collect()
    assert _errors(caplog) == []


def test_failure_handled_by_an_outer_deferred_is_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failure taken over by an outer Deferred is logged for neither."""
    caplog.set_level(logging.ERROR, logger="plait.core")

    def scenario() -> None:
        inner = fail(KeyError("passed on"))
        outer = succeed(0).addCallback(lambda _: inner)
        outer.addErrback(lambda f: None)

    scenario()
    gc.collect()
    assert _errors(caplog) == []


def test_failure_passing_more_callbacks_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failure that only passes callbacks by stays unhandled, logged once."""
    caplog.set_level(logging.ERROR, logger="plait.core")
    d = fail(KeyError("still unhandled"))
    d.addCallback(lambda x: x)
    d.addBoth(lambda r: r)
    del d
    gc.collect()
    assert len(_errors(caplog)) == 1


def test_successful_deferred_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """A Deferred that ends in success logs nothing when collected."""
    caplog.set_level(logging.ERROR, logger="plait.core")
    d = succeed(1).addCallback(lambda x: x + 1)
    del d
    gc.collect()
    assert _errors(caplog) == []


def test_recovered_failure_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """A failure that was logged as pending and then handled is not logged."""
    caplog.set_level(logging.ERROR, logger="plait.core")
    d = fail(KeyError("late handling"))
    assert isinstance(d.result, Failure)
    d.addErrback(lambda f: "recovered")
    assert d.result == "recovered"
    del d
    gc.collect()
    assert _errors(caplog) == []
