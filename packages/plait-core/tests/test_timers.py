"""callLater, DelayedCall and the timer queue, on a fake clock."""

from __future__ import annotations

import gc
import logging
import math
import time
import weakref

import pytest
from zope.interface.verify import verifyObject

from plait.core import DelayedCall, Reactor
from plait.core._timers import TimerQueue
from plait.errors import AlreadyCalled, AlreadyCancelled
from plait.interfaces import IDelayedCall


def test_call_later_returns_delayed_call(clocked_reactor: Reactor) -> None:
    """callLater returns a DelayedCall that verifies against IDelayedCall."""
    call = clocked_reactor.callLater(1, print)
    assert isinstance(call, DelayedCall)
    assert verifyObject(IDelayedCall, call)


def test_call_runs_when_due_not_before(clocked_reactor: Reactor, clock) -> None:
    """A call runs once its time has come, and not a pass earlier."""
    ran = []
    clocked_reactor.callLater(5, ran.append, 1)
    clocked_reactor.iterate()
    clock.advance(4.9)
    clocked_reactor.iterate()
    assert ran == []
    clock.advance(0.1)
    clocked_reactor.iterate()
    assert ran == [1]


def test_arguments_are_passed(clocked_reactor: Reactor) -> None:
    """Positional and keyword arguments reach the callable."""
    got = []
    clocked_reactor.callLater(0, lambda *a, **k: got.append((a, k)), 1, 2, x=3)
    clocked_reactor.iterate()
    assert got == [((1, 2), {"x": 3})]


@pytest.mark.parametrize("delay", [-1, -0.001, math.nan])
def test_bad_delay_is_value_error(clocked_reactor: Reactor, delay: float) -> None:
    """A negative or NaN delay is refused with ValueError."""
    with pytest.raises(ValueError, match="delay"):
        clocked_reactor.callLater(delay, print)


def test_non_callable_is_type_error(clocked_reactor: Reactor) -> None:
    """Scheduling something that cannot be called is a TypeError."""
    with pytest.raises(TypeError, match="callable"):
        clocked_reactor.callLater(1, "not callable")  # type: ignore[arg-type]


def test_get_time_is_due_time(clocked_reactor: Reactor, clock) -> None:
    """getTime() is seconds() at scheduling plus the delay."""
    call = clocked_reactor.callLater(2.5, print)
    assert call.getTime() == clock.now + 2.5
    assert clocked_reactor.seconds() == clock.now


def test_seconds_is_epoch_time_on_a_monotonic_clock(reactor: Reactor) -> None:
    """Without a fake clock seconds() is time since the epoch, moving with
    time.monotonic, and a call's getTime() is on that scale."""
    assert abs(reactor.seconds() - time.time()) < 5
    # A fixed distance from time.monotonic: it moves exactly as that does.
    first = reactor.seconds() - time.monotonic()
    sum(range(100_000))
    assert abs((reactor.seconds() - time.monotonic()) - first) < 0.01
    call = reactor.callLater(10, print)
    assert abs(call.getTime() - (time.time() + 10)) < 5
    call.cancel()


def test_attributes_describe_the_call(clocked_reactor: Reactor) -> None:
    """func, args, kw, called and cancelled describe the call's state."""
    call = clocked_reactor.callLater(1, print, 1, sep="-")
    assert (call.func, call.args, call.kw) == (print, (1,), {"sep": "-"})
    assert (call.called, call.cancelled, call.active()) == (False, False, True)


def test_called_flag_after_run(clocked_reactor: Reactor) -> None:
    """After running, a call is called and no longer active."""
    call = clocked_reactor.callLater(0, lambda: None)
    clocked_reactor.iterate()
    assert call.called
    assert not call.active()
    assert not call.cancelled


def test_cancel_prevents_the_call(clocked_reactor: Reactor, clock) -> None:
    """A cancelled call never runs and reports itself cancelled."""
    ran = []
    call = clocked_reactor.callLater(1, ran.append, 1)
    call.cancel()
    clock.advance(2)
    clocked_reactor.iterate()
    assert ran == []
    assert call.cancelled
    assert not call.active()


def test_cancel_after_filing_prevents_the_call(clocked_reactor, clock) -> None:
    """Cancelling a call that waited through earlier passes still works."""
    ran = []
    call = clocked_reactor.callLater(1, ran.append, 1)
    clocked_reactor.iterate()
    call.cancel()
    clock.advance(2)
    clocked_reactor.iterate()
    assert ran == []


def test_cancel_lets_go_of_the_arguments(clocked_reactor: Reactor) -> None:
    """A cancelled call no longer keeps its callable or arguments alive."""

    class Payload:
        def method(self, *args: object, **kw: object) -> None:
            pass

    payload = Payload()
    ref = weakref.ref(payload)
    call = clocked_reactor.callLater(60, payload.method, payload, key=payload)
    clocked_reactor.iterate()  # filed in the heap, where it stays for now
    call.cancel()
    del payload
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize("operation", ["cancel", "delay", "reset"])
def test_operations_after_cancel_raise(clocked_reactor, operation: str) -> None:
    """cancel/delay/reset of a cancelled call raise AlreadyCancelled."""
    call = clocked_reactor.callLater(1, print)
    call.cancel()
    args = () if operation == "cancel" else (1,)
    with pytest.raises(AlreadyCancelled):
        getattr(call, operation)(*args)


@pytest.mark.parametrize("operation", ["cancel", "delay", "reset"])
def test_operations_after_run_raise(clocked_reactor, operation: str) -> None:
    """cancel/delay/reset of a call that ran raise AlreadyCalled."""
    call = clocked_reactor.callLater(0, lambda: None)
    clocked_reactor.iterate()
    args = () if operation == "cancel" else (1,)
    with pytest.raises(AlreadyCalled):
        getattr(call, operation)(*args)


def test_already_errors_are_value_errors() -> None:
    """AlreadyCalled and AlreadyCancelled are ValueErrors, as documented."""
    assert issubclass(AlreadyCalled, ValueError)
    assert issubclass(AlreadyCancelled, ValueError)


@pytest.mark.parametrize("filed", [False, True])
def test_delay_postpones(clocked_reactor, clock, filed: bool) -> None:
    """delay(n) moves the due time n seconds later, whether or not filed."""
    ran = []
    call = clocked_reactor.callLater(1, ran.append, 1)
    if filed:
        clocked_reactor.iterate()
    call.delay(2)
    assert call.getTime() == clock.now + 3
    clock.advance(1)
    clocked_reactor.iterate()
    assert ran == []
    clock.advance(2)
    clocked_reactor.iterate()
    assert ran == [1]


@pytest.mark.parametrize("filed", [False, True])
def test_negative_delay_advances(clocked_reactor, clock, filed: bool) -> None:
    """delay() with a negative amount makes the call due sooner."""
    ran = []
    call = clocked_reactor.callLater(10, ran.append, 1)
    if filed:
        clocked_reactor.iterate()
    call.delay(-9)
    clock.advance(1)
    clocked_reactor.iterate()
    assert ran == [1]


@pytest.mark.parametrize("filed", [False, True])
def test_reset_later_and_earlier(clocked_reactor, clock, filed: bool) -> None:
    """reset(n) makes the call due n seconds from now, earlier or later."""
    ran = []
    late = clocked_reactor.callLater(1, ran.append, "late")
    early = clocked_reactor.callLater(10, ran.append, "early")
    if filed:
        clocked_reactor.iterate()
    late.reset(5)
    early.reset(2)
    assert (late.getTime(), early.getTime()) == (clock.now + 5, clock.now + 2)
    clock.advance(2)
    clocked_reactor.iterate()
    assert ran == ["early"]
    clock.advance(3)
    clocked_reactor.iterate()
    assert ran == ["early", "late"]


def test_reset_twice_runs_once(clocked_reactor, clock) -> None:
    """A call moved earlier then later again still runs exactly once."""
    ran = []
    call = clocked_reactor.callLater(10, ran.append, 1)
    clocked_reactor.iterate()
    call.reset(1)
    clocked_reactor.iterate()
    call.reset(10)
    for _ in range(12):
        clock.advance(1)
        clocked_reactor.iterate()
    assert ran == [1]


def test_same_time_runs_in_scheduling_order(clocked_reactor, clock) -> None:
    """Calls due at the same moment run in the order they were scheduled."""
    ran = []
    for i in range(5):
        clocked_reactor.callLater(1, ran.append, i)
    clocked_reactor.iterate()
    for i in range(5, 10):
        clocked_reactor.callLater(1 - 0.0, ran.append, i)
    clock.advance(1)
    clocked_reactor.iterate()
    assert ran == list(range(10))


def test_calls_run_in_time_order(clocked_reactor, clock) -> None:
    """Due calls run by due time, whatever order they were scheduled in."""
    ran = []
    for d in (3, 1, 2):
        clocked_reactor.callLater(d, ran.append, d)
    clocked_reactor.iterate()
    clocked_reactor.callLater(1.5, ran.append, 1.5)
    clock.advance(3)
    clocked_reactor.iterate()
    assert ran == [1, 1.5, 2, 3]


def test_zero_delay_from_a_timer_waits_for_next_pass(clocked_reactor) -> None:
    """A call scheduled with delay 0 by a running timer runs a pass later."""
    ran = []

    def first() -> None:
        ran.append("first")
        clocked_reactor.callLater(0, ran.append, "second")

    clocked_reactor.callLater(0, first)
    clocked_reactor.iterate()
    assert ran == ["first"]
    clocked_reactor.iterate()
    assert ran == ["first", "second"]


def test_timer_cancelling_a_later_due_one(clocked_reactor, clock) -> None:
    """A call cancelled by an earlier call of the same pass does not run."""
    ran = []
    second = clocked_reactor.callLater(2, ran.append, "second")
    clocked_reactor.callLater(1, second.cancel)
    clock.advance(3)
    clocked_reactor.iterate()
    assert ran == []


def test_timer_postponing_a_due_one(clocked_reactor, clock) -> None:
    """A due call postponed by an earlier call of the pass waits its new time."""
    ran = []
    second = clocked_reactor.callLater(2, ran.append, "second")
    clocked_reactor.callLater(1, second.reset, 5)
    clock.advance(3)
    clocked_reactor.iterate()
    assert ran == []
    clock.advance(5)
    clocked_reactor.iterate()
    assert ran == ["second"]


def test_exception_in_timer_is_logged_and_loop_goes_on(
    clocked_reactor, caplog: pytest.LogCaptureFixture
) -> None:
    """A raising call is logged on plait.core and later calls still run."""
    ran = []

    def boom() -> None:
        raise RuntimeError("boom")

    clocked_reactor.callLater(0, boom)
    clocked_reactor.callLater(0, ran.append, "after")
    with caplog.at_level(logging.ERROR, logger="plait.core"):
        clocked_reactor.iterate()
    assert ran == ["after"]
    assert any("boom" in r.getMessage() or r.exc_info for r in caplog.records)
    assert all(r.name == "plait.core" for r in caplog.records)


def test_keyboard_interrupt_keeps_the_rest(clocked_reactor) -> None:
    """A BaseException escaping a call propagates; the other due calls keep."""
    ran = []

    def interrupt() -> None:
        raise KeyboardInterrupt

    clocked_reactor.callLater(0, interrupt)
    clocked_reactor.callLater(0, ran.append, "kept")
    with pytest.raises(KeyboardInterrupt):
        clocked_reactor.iterate()
    clocked_reactor.iterate()
    assert ran == ["kept"]


def test_get_delayed_calls_lists_active_only(clocked_reactor) -> None:
    """getDelayedCalls omits cancelled and run calls, earliest first."""
    later = clocked_reactor.callLater(3, print)
    sooner = clocked_reactor.callLater(2, print)
    cancelled = clocked_reactor.callLater(1, print)
    done = clocked_reactor.callLater(0, lambda: None)
    cancelled.cancel()
    clocked_reactor.iterate()
    assert done.called
    assert clocked_reactor.getDelayedCalls() == (sooner, later)


def test_repr_names_function_and_state(clocked_reactor) -> None:
    """repr shows the function, its arguments and the call's state."""
    call = clocked_reactor.callLater(1, print, 7, sep=",")
    text = repr(call)
    assert "print(7, sep=',')" in text
    assert "pending" in text
    call.cancel()
    assert "cancelled" in repr(call)


def test_cancelled_entries_are_compacted(clock) -> None:
    """Mass cancellation does not leave the heap full of dead entries."""
    queue = TimerQueue(clock)
    calls = [DelayedCall(queue, clock.now + 10 + i, print, (), {}) for i in range(2000)]
    queue.runDue(clock.now)  # files them all
    for call in calls[:1900]:
        call.cancel()
    assert len(queue) <= 1000
    assert queue.active() == calls[1900:]


def test_next_time_skips_dead_and_postponed(clock) -> None:
    """nextTime reports the earliest live due time."""
    queue = TimerQueue(clock)
    first = DelayedCall(queue, 5.0, print, (), {})
    second = DelayedCall(queue, 7.0, print, (), {})
    queue.runDue(0.0)
    first.cancel()
    second.delay(1)
    assert queue.nextTime() == 8.0
    assert TimerQueue(clock).nextTime() is None
