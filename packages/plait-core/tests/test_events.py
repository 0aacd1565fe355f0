"""System events: triggers, phases, Deferreds from 'before', removal."""

from __future__ import annotations

import logging

import pytest

from plait.core import Deferred, Failure, Reactor, fail, succeed


def test_phases_run_in_order(reactor: Reactor) -> None:
    """fireSystemEvent runs before, then during, then after triggers."""
    ran = []
    for phase in ("after", "during", "before"):
        reactor.addSystemEventTrigger(phase, "custom", ran.append, phase)
    reactor.fireSystemEvent("custom")
    assert ran == ["before", "during", "after"]


def test_triggers_of_a_phase_run_in_registration_order(reactor: Reactor) -> None:
    """Triggers of one phase run in the order they were added."""
    ran = []
    for i in range(4):
        reactor.addSystemEventTrigger("during", "custom", ran.append, i)
    reactor.fireSystemEvent("custom")
    assert ran == [0, 1, 2, 3]


def test_arguments_reach_the_trigger(reactor: Reactor) -> None:
    """Positional and keyword arguments are passed to the trigger."""
    got = []
    reactor.addSystemEventTrigger(
        "during", "custom", lambda *a, **k: got.append((a, k)), 1, tag="x"
    )
    reactor.fireSystemEvent("custom")
    assert got == [((1,), {"tag": "x"})]


def test_firing_an_event_without_triggers(reactor: Reactor) -> None:
    """Firing an event nobody registered for does nothing."""
    reactor.fireSystemEvent("nobody-listens")
    assert not reactor.running


def test_triggers_run_once(reactor: Reactor) -> None:
    """A trigger is consumed when it runs: a second firing runs only newer ones."""
    ran = []
    reactor.addSystemEventTrigger("before", "custom", ran.append, "b1")
    reactor.addSystemEventTrigger("during", "custom", ran.append, "d1")
    reactor.addSystemEventTrigger("after", "custom", ran.append, "a1")
    reactor.fireSystemEvent("custom")
    reactor.addSystemEventTrigger("during", "custom", ran.append, "d2")
    reactor.fireSystemEvent("custom")
    assert ran == ["b1", "d1", "a1", "d2"]


def test_removing_a_trigger_that_ran(reactor: Reactor) -> None:
    """Removing a trigger after it ran raises ValueError, as a second removal does."""
    trigger = reactor.addSystemEventTrigger("during", "custom", lambda: None)
    reactor.fireSystemEvent("custom")
    with pytest.raises(ValueError, match="has run"):
        reactor.removeSystemEventTrigger(trigger)


def test_trigger_added_while_its_phase_runs(reactor: Reactor) -> None:
    """A trigger added to the phase that is running runs in that same firing."""
    ran = []

    def first() -> None:
        ran.append("first")
        reactor.addSystemEventTrigger("during", "custom", ran.append, "added")

    reactor.addSystemEventTrigger("during", "custom", first)
    reactor.fireSystemEvent("custom")
    assert ran == ["first", "added"]


def test_invalid_phase(reactor: Reactor) -> None:
    """A phase outside before/during/after is a KeyError (and a ValueError)."""
    with pytest.raises(KeyError):
        reactor.addSystemEventTrigger("sometime", "custom", print)
    with pytest.raises(ValueError, match="sometime"):
        reactor.addSystemEventTrigger("sometime", "custom", print)


def test_non_callable_trigger(reactor: Reactor) -> None:
    """A trigger that is not callable is refused with TypeError."""
    with pytest.raises(TypeError):
        reactor.addSystemEventTrigger("during", "custom", 42)  # type: ignore[arg-type]


def test_removed_trigger_does_not_run(reactor: Reactor) -> None:
    """removeSystemEventTrigger keeps the trigger from running."""
    ran = []
    tid = reactor.addSystemEventTrigger("during", "custom", ran.append, 1)
    reactor.addSystemEventTrigger("during", "custom", ran.append, 2)
    reactor.removeSystemEventTrigger(tid)
    reactor.fireSystemEvent("custom")
    assert ran == [2]


def test_remove_twice_is_value_error(reactor: Reactor) -> None:
    """Removing a trigger a second time raises ValueError."""
    tid = reactor.addSystemEventTrigger("during", "custom", print)
    reactor.removeSystemEventTrigger(tid)
    with pytest.raises(ValueError):
        reactor.removeSystemEventTrigger(tid)


@pytest.mark.parametrize("bogus", [None, 42, "id", ("during", "custom", print)])
def test_remove_malformed_id_is_type_error(reactor: Reactor, bogus: object) -> None:
    """An argument that is no trigger id at all raises TypeError."""
    with pytest.raises(TypeError):
        reactor.removeSystemEventTrigger(bogus)


def test_remove_id_of_another_reactor(reactor: Reactor, poller_name: str) -> None:
    """An id for an event this reactor never had raises KeyError."""
    other = Reactor(poller=poller_name, extensions=[])
    try:
        tid = other.addSystemEventTrigger("during", "only-there", print)
        with pytest.raises(KeyError):
            reactor.removeSystemEventTrigger(tid)
    finally:
        other.close()


def test_remove_during_firing_skips_the_trigger(reactor: Reactor) -> None:
    """A trigger removed by an earlier trigger of the same firing is skipped."""
    ran = []
    ids = []
    reactor.addSystemEventTrigger(
        "during", "custom", lambda: reactor.removeSystemEventTrigger(ids[0])
    )
    ids.append(reactor.addSystemEventTrigger("during", "custom", ran.append, "x"))
    reactor.addSystemEventTrigger("after", "custom", ran.append, "after")
    reactor.fireSystemEvent("custom")
    assert ran == ["after"]
    with pytest.raises(ValueError):
        reactor.removeSystemEventTrigger(ids[0])


def test_trigger_added_to_the_running_phase_runs(reactor: Reactor) -> None:
    """A trigger added to the phase being run is run in that phase."""
    ran = []
    reactor.addSystemEventTrigger(
        "before",
        "custom",
        lambda: reactor.addSystemEventTrigger("before", "custom", ran.append, "late"),
    )
    reactor.fireSystemEvent("custom")
    assert ran == ["late"]


def test_exception_in_trigger_is_logged(
    reactor: Reactor, caplog: pytest.LogCaptureFixture
) -> None:
    """A raising trigger is logged; the other triggers still run."""
    ran = []
    reactor.addSystemEventTrigger("during", "custom", lambda: 1 / 0)
    reactor.addSystemEventTrigger("during", "custom", ran.append, 1)
    with caplog.at_level(logging.ERROR, logger="plait.core"):
        reactor.fireSystemEvent("custom")
    assert ran == [1]
    assert any(
        r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records
    )


def test_during_waits_for_before_deferreds(reactor: Reactor) -> None:
    """'during' runs only once every Deferred from 'before' has fired."""
    first: Deferred[None] = Deferred()
    second: Deferred[None] = Deferred()
    ran = []
    reactor.addSystemEventTrigger("before", "custom", lambda: first)
    reactor.addSystemEventTrigger("before", "custom", lambda: second)
    reactor.addSystemEventTrigger("during", "custom", ran.append, "during")
    reactor.addSystemEventTrigger("after", "custom", ran.append, "after")
    reactor.fireSystemEvent("custom")
    assert ran == []
    first.callback(None)
    assert ran == []
    second.callback(None)
    assert ran == ["during", "after"]


def test_already_fired_deferred_does_not_wait(reactor: Reactor) -> None:
    """A 'before' trigger returning a fired Deferred lets 'during' run at once."""
    ran = []
    reactor.addSystemEventTrigger("before", "custom", lambda: succeed(1))
    reactor.addSystemEventTrigger("during", "custom", ran.append, 1)
    reactor.fireSystemEvent("custom")
    assert ran == [1]


def test_failed_before_deferred_is_logged_and_counts(
    reactor: Reactor, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing 'before' Deferred is logged and 'during' still runs."""
    ran = []
    reactor.addSystemEventTrigger(
        "before", "custom", lambda: fail(Failure(RuntimeError("no good")))
    )
    reactor.addSystemEventTrigger("during", "custom", ran.append, 1)
    with caplog.at_level(logging.ERROR, logger="plait.core"):
        reactor.fireSystemEvent("custom")
    assert ran == [1]
    assert "no good" in caplog.text


def test_refiring_while_waiting_is_refused(reactor: Reactor) -> None:
    """Firing an event again while it waits on 'before' raises RuntimeError."""
    pending: Deferred[None] = Deferred()
    reactor.addSystemEventTrigger("before", "custom", lambda: pending)
    reactor.fireSystemEvent("custom")
    with pytest.raises(RuntimeError, match="custom"):
        reactor.fireSystemEvent("custom")
    pending.callback(None)
    reactor.fireSystemEvent("custom")


def test_call_when_running_before_start(reactor: Reactor) -> None:
    """callWhenRunning before run() returns an id and calls at startup."""
    ran = []
    tid = reactor.callWhenRunning(ran.append, 1)
    assert tid is not None
    assert ran == []
    reactor.callWhenRunning(reactor.stop)
    reactor.run()
    assert ran == [1]


def test_call_when_running_id_can_be_removed(reactor: Reactor) -> None:
    """The id from callWhenRunning cancels the call."""
    ran = []
    reactor.removeSystemEventTrigger(reactor.callWhenRunning(ran.append, 1))
    reactor.callWhenRunning(reactor.stop)
    reactor.run()
    assert ran == []


def test_call_when_running_while_running(reactor: Reactor) -> None:
    """callWhenRunning on a running reactor calls at once and returns None."""
    results = []

    def check() -> None:
        ran = []
        results.append((reactor.callWhenRunning(ran.append, 1), ran))
        reactor.stop()

    reactor.callLater(0, check)
    reactor.run()
    assert results == [(None, [1])]


def test_startup_before_deferred_delays_running(reactor: Reactor) -> None:
    """A Deferred from a 'before' startup trigger holds 'running' back."""
    gate: Deferred[None] = Deferred()
    seen = []
    reactor.addSystemEventTrigger("before", "startup", lambda: gate)
    reactor.callLater(0, lambda: seen.append(reactor.running))
    reactor.callLater(0, gate.callback, None)
    reactor.callWhenRunning(lambda: seen.append(reactor.running))
    reactor.callWhenRunning(reactor.stop)
    reactor.run()
    assert seen == [False, True]


def test_shutdown_before_deferred_keeps_loop_running(reactor: Reactor) -> None:
    """Shutdown waits for a 'before' Deferred; the loop runs meanwhile."""
    gate: Deferred[None] = Deferred()
    ticks = []
    ended = []

    def tick(n: int) -> None:
        ticks.append(n)
        if n == 3:
            gate.callback(None)
        else:
            reactor.callLater(0, tick, n + 1)

    reactor.addSystemEventTrigger("before", "shutdown", lambda: gate)
    reactor.addSystemEventTrigger("before", "shutdown", reactor.callLater, 0, tick, 0)
    reactor.addSystemEventTrigger("after", "shutdown", ended.append, True)
    reactor.callWhenRunning(reactor.stop)
    reactor.run()
    assert ticks == [0, 1, 2, 3]
    assert ended == [True]
