"""Clock, LoopingCall and deferLater, all on the fake clock."""

from __future__ import annotations

import math
from typing import Any

import pytest
from zope.interface.verify import verifyObject

from plait.core import Clock, Deferred, Failure, LoopingCall, deferLater
from plait.errors import AlreadyCalled, AlreadyCancelled, CancelledError
from plait.interfaces import IDelayedCall, IReactorTime

# -- Clock ----------------------------------------------------------------


def test_clock_provides_ireactor_time() -> None:
    """Clock verifies against IReactorTime and its calls against IDelayedCall."""
    clock = Clock()
    assert verifyObject(IReactorTime, clock)
    assert verifyObject(IDelayedCall, clock.callLater(1, print))


def test_clock_starts_where_told_and_moves_only_on_advance() -> None:
    """seconds() is the start time until advance() moves it."""
    clock = Clock(5.0)
    assert clock.seconds() == 5.0
    clock.advance(2.5)
    assert clock.seconds() == 7.5


def test_calls_run_when_due_in_time_then_schedule_order() -> None:
    """advance() runs due calls by time, ties in the order they were scheduled."""
    clock = Clock()
    ran: list[str] = []
    clock.callLater(2, ran.append, "late")
    clock.callLater(1, ran.append, "first")
    clock.callLater(1, ran.append, "second")
    clock.advance(0.5)
    assert ran == []
    clock.advance(0.5)
    assert ran == ["first", "second"]
    clock.advance(1)
    assert ran == ["first", "second", "late"]


def test_arguments_and_keywords_reach_the_call() -> None:
    """callLater passes positional and keyword arguments through."""
    clock = Clock()
    got: list[Any] = []
    clock.callLater(0, lambda *a, **k: got.append((a, k)), 1, wait=2)
    clock.advance(0)
    assert got == [((1,), {"wait": 2})]


def test_call_later_takes_its_parameters_by_name() -> None:
    """delay and callable may be passed by keyword, as the interface names them."""
    clock = Clock()
    got: list[int] = []
    call = clock.callLater(delay=1, callable=lambda: got.append(1))
    assert call.getTime() == 1
    clock.advance(1)
    assert got == [1]


def test_zero_delay_calls_scheduled_while_advancing_run_too() -> None:
    """A call scheduled by a running call with no delay runs in the same advance."""
    clock = Clock()
    ran: list[int] = []
    clock.callLater(1, lambda: clock.callLater(0, ran.append, 2))
    clock.advance(1)
    assert ran == [2]


def test_exceptions_propagate_and_later_calls_stay_pending() -> None:
    """An exception from a call escapes advance(); the next call waits."""
    clock = Clock()
    ran: list[int] = []
    clock.callLater(1, lambda: 1 / 0)
    clock.callLater(1, ran.append, 1)
    with pytest.raises(ZeroDivisionError):
        clock.advance(1)
    assert ran == []
    clock.advance(0)
    assert ran == [1]


def test_cancel_reset_and_delay() -> None:
    """cancel drops a call, reset and delay move it."""
    clock = Clock()
    ran: list[str] = []
    dropped = clock.callLater(1, ran.append, "dropped")
    reset = clock.callLater(1, ran.append, "reset")
    delayed = clock.callLater(1, ran.append, "delayed")
    dropped.cancel()
    reset.reset(5)
    delayed.delay(2)
    assert [c.getTime() for c in clock.getDelayedCalls()] == [3, 5]
    clock.advance(3)
    assert ran == ["delayed"]
    clock.advance(2)
    assert ran == ["delayed", "reset"]
    assert dropped.cancelled and reset.called
    assert not reset.active()


def test_final_calls_refuse_changes() -> None:
    """Cancelling or moving a call that ran or was cancelled raises."""
    clock = Clock()
    ran = clock.callLater(0, print)
    clock.advance(0)
    gone = clock.callLater(1, print)
    gone.cancel()
    with pytest.raises(AlreadyCalled):
        ran.cancel()
    with pytest.raises(AlreadyCalled):
        ran.reset(1)
    with pytest.raises(AlreadyCancelled):
        gone.cancel()
    with pytest.raises(AlreadyCancelled):
        gone.delay(1)


@pytest.mark.parametrize("delay", [-1, math.nan])
def test_bad_delay_is_value_error(delay: float) -> None:
    """callLater refuses a negative or NaN delay."""
    with pytest.raises(ValueError, match="delay"):
        Clock().callLater(delay, print)


def test_uncallable_is_type_error() -> None:
    """callLater refuses something it cannot call."""
    with pytest.raises(TypeError):
        Clock().callLater(1, "print")  # type: ignore[arg-type]  # the point of the test


def test_negative_advance_is_value_error() -> None:
    """Time does not go backwards."""
    with pytest.raises(ValueError):
        Clock().advance(-1)


def test_pump_advances_step_by_step() -> None:
    """pump() advances by each amount, running calls as they come due."""
    clock = Clock()
    seen: list[float] = []
    for when in (1, 2, 3):
        clock.callLater(when, lambda: seen.append(clock.seconds()))
    clock.pump([1, 1, 1])
    assert seen == [1, 2, 3]


# -- LoopingCall ------------------------------------------------------------


def looping(f: Any, *a: Any, **kw: Any) -> tuple[LoopingCall, Clock]:
    loop = LoopingCall(f, *a, **kw)
    loop.clock = Clock()
    return loop, loop.clock


def test_looping_call_runs_now_and_every_interval() -> None:
    """start(interval) calls at once, then once per interval."""
    ran: list[float] = []
    loop, clock = looping(lambda: ran.append(clock.seconds()))
    loop.start(1.0)
    clock.pump([1, 1, 1])
    assert ran == [0, 1, 2, 3]
    assert loop.running and loop.interval == 1.0


def test_looping_call_now_false_waits_one_interval() -> None:
    """start(now=False) makes the first call one interval later."""
    ran: list[int] = []
    loop, clock = looping(ran.append, 1)
    loop.start(2, now=False)
    assert ran == []
    clock.advance(2)
    assert ran == [1]


def test_stop_fires_the_start_deferred_with_the_loop() -> None:
    """stop() ends the loop and fires start()'s Deferred with the LoopingCall."""
    loop, clock = looping(lambda: None)
    results: list[object] = []
    loop.start(1).addCallback(results.append)
    loop.stop()
    assert results == [loop]
    assert not loop.running
    assert clock.getDelayedCalls() == ()


def test_stop_from_inside_the_function() -> None:
    """The function may stop its own loop; the Deferred then fires."""
    results: list[object] = []
    count = [0]

    def tick() -> None:
        count[0] += 1
        if count[0] == 3:
            loop.stop()

    loop, clock = looping(tick)
    loop.start(1).addCallback(results.append)
    clock.pump([1] * 5)
    assert count[0] == 3
    assert results == [loop]


def test_function_error_stops_the_loop_and_fails_the_deferred() -> None:
    """An exception from the function ends the loop and errbacks start()."""
    failures: list[Failure] = []
    loop, clock = looping(lambda: 1 / 0)
    loop.start(1).addErrback(failures.append)
    assert not loop.running
    assert failures[0].check(ZeroDivisionError)
    assert clock.getDelayedCalls() == ()


def test_deferred_result_delays_the_next_call() -> None:
    """When the function returns a Deferred, the loop waits for it."""
    pending: list[Deferred[None]] = []

    def tick() -> Deferred[None]:
        d: Deferred[None] = Deferred()
        pending.append(d)
        return d

    loop, clock = looping(tick)
    loop.start(1)
    clock.advance(5)
    assert len(pending) == 1
    clock.advance(0.5)
    pending[0].callback(None)
    # The grid holds: the next call comes at the next whole second.
    clock.advance(0.5)
    assert len(pending) == 2


def test_stop_while_a_deferred_is_pending_fires_after_it() -> None:
    """stop() during a pending call fires start()'s Deferred once it finishes."""
    pending: Deferred[None] = Deferred()
    results: list[object] = []
    loop, _ = looping(lambda: pending)
    loop.start(1).addCallback(results.append)
    loop.stop()
    assert results == []
    with pytest.raises(RuntimeError, match="not finished"):
        loop.start(1)
    pending.callback(None)
    assert results == [loop]


def test_failing_deferred_result_fails_the_loop() -> None:
    """A Deferred from the function that fails ends the loop with its error."""
    pending: Deferred[None] = Deferred()
    failures: list[Failure] = []
    loop, _ = looping(lambda: pending)
    loop.start(1).addErrback(failures.append)
    pending.errback(Failure(KeyError("k")))
    assert failures[0].check(KeyError)
    assert not loop.running


def test_zero_interval_runs_on_every_advance() -> None:
    """Interval 0 reschedules with no delay: once per advance() pass."""
    ran: list[int] = []

    def tick() -> None:
        ran.append(1)
        if len(ran) == 5:
            loop.stop()

    loop, clock = looping(tick)
    loop.start(0)
    clock.advance(0)
    assert len(ran) == 5


def test_negative_interval_is_value_error() -> None:
    """start() refuses a negative interval."""
    loop, _ = looping(lambda: None)
    with pytest.raises(ValueError, match="interval"):
        loop.start(-1)
    assert not loop.running


def test_start_twice_is_runtime_error() -> None:
    """A running loop cannot be started again."""
    loop, _ = looping(lambda: None)
    loop.start(1)
    with pytest.raises(RuntimeError, match="already running"):
        loop.start(1)


def test_stop_when_not_running_is_runtime_error() -> None:
    """Stopping a loop that is not running raises RuntimeError."""
    loop, _ = looping(lambda: None)
    with pytest.raises(RuntimeError, match="not running"):
        loop.stop()


def test_start_without_a_clock_is_runtime_error() -> None:
    """A LoopingCall has no default clock; start() says to set one."""
    loop = LoopingCall(lambda: None)
    assert loop.clock is None
    with pytest.raises(RuntimeError, match="clock"):
        loop.start(1)


def test_late_calls_skip_missed_slots() -> None:
    """A call that comes late keeps the grid: missed slots are skipped."""
    ran: list[float] = []
    loop, clock = looping(lambda: ran.append(clock.seconds()))
    loop.start(1)
    clock.advance(3.5)  # slots 1, 2 and 3 missed; runs once, late
    clock.advance(0.5)  # the next slot is 4
    assert ran == [0, 3.5, 4]


def test_with_count_reports_elapsed_slots() -> None:
    """withCount passes how many intervals went by since the last call."""
    counts: list[int] = []
    loop = LoopingCall.withCount(counts.append)
    clock = Clock()
    loop.clock = clock
    loop.start(1)
    clock.advance(1)
    clock.advance(3)
    clock.advance(1)
    assert counts == [1, 1, 3, 1]


def test_with_count_now_false_and_float_interval() -> None:
    """withCount counts grid slots even for intervals float division blurs."""
    counts: list[int] = []
    loop = LoopingCall.withCount(counts.append)
    clock = Clock()
    loop.clock = clock
    loop.start(0.1, now=False)
    clock.pump([0.1] * 3)
    clock.advance(0.3)
    assert counts == [1, 1, 1, 3]


def test_with_count_zero_interval_counts_one() -> None:
    """With interval 0 every call is passed a count of 1."""
    counts: list[int] = []

    def record(n: int) -> None:
        counts.append(n)
        if len(counts) == 3:
            loop.stop()

    loop = LoopingCall.withCount(record)
    loop.clock = Clock()
    loop.start(0)
    loop.clock.advance(0)
    assert counts == [1, 1, 1]


def test_reset_restarts_the_grid_from_now() -> None:
    """reset() makes the next call one full interval after the reset."""
    ran: list[float] = []
    loop, clock = looping(lambda: ran.append(clock.seconds()))
    loop.start(2)
    clock.advance(1.5)
    loop.reset()
    clock.advance(1.5)
    assert ran == [0]
    clock.advance(0.5)
    assert ran == [0, 3.5]


def test_looping_call_can_restart_after_stop() -> None:
    """A stopped loop may be started again with a new interval."""
    ran: list[float] = []
    loop, clock = looping(lambda: ran.append(clock.seconds()))
    loop.start(1)
    loop.stop()
    loop.start(3, now=False)
    clock.advance(3)
    assert ran == [0, 3]


# -- deferLater --------------------------------------------------------------


def test_defer_later_fires_with_the_callable_result() -> None:
    """deferLater fires after the delay with what the callable returns."""
    clock = Clock()
    results: list[object] = []
    deferLater(clock, 2, lambda a, b: a + b, 1, b=2).addCallback(results.append)
    clock.advance(1.9)
    assert results == []
    clock.advance(0.1)
    assert results == [3]


def test_defer_later_without_callable_fires_none() -> None:
    """With no callable the Deferred fires with None."""
    clock = Clock()
    results: list[object] = []
    deferLater(clock, 1).addCallback(results.append)
    clock.advance(1)
    assert results == [None]


def test_defer_later_callable_error_fails_the_deferred() -> None:
    """An exception from the callable becomes the Deferred's failure."""
    clock = Clock()
    failures: list[Failure] = []
    deferLater(clock, 1, lambda: 1 / 0).addErrback(failures.append)
    clock.advance(1)
    assert failures[0].check(ZeroDivisionError)


def test_defer_later_cancel_cancels_the_call() -> None:
    """Cancelling deferLater's Deferred drops the call and fails with CancelledError."""
    clock = Clock()
    called: list[int] = []
    failures: list[Failure] = []
    d = deferLater(clock, 1, called.append, 1)
    d.addErrback(failures.append)
    d.cancel()
    assert clock.getDelayedCalls() == ()
    clock.advance(5)
    assert called == []
    assert failures[0].check(CancelledError)
