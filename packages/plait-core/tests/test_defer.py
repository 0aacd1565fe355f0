"""Deferred: adding callbacks, firing, errors, pausing and chaining."""

from __future__ import annotations

from typing import Any

import pytest

from plait.core import Deferred, Failure, NoCurrentExceptionError, fail, succeed
from plait.errors import AlreadyCalledError


def _boom(_: object) -> None:
    raise ValueError("boom")


def test_callbacks_run_in_order_with_each_result() -> None:
    """Each callback gets the previous one's return value."""
    seen: list[int] = []
    d: Deferred[int] = Deferred()
    d.addCallback(lambda x: x + 1).addCallback(lambda x: seen.append(x) or x * 10)
    assert seen == []
    d.callback(1)
    assert seen == [2]
    assert d.called
    assert d.result == 20


def test_callbacks_get_extra_arguments() -> None:
    """Extra positional and keyword arguments reach the callback."""
    d: Deferred[int] = Deferred()
    d.addCallback(lambda x, y, *, z: (x, y, z), "y", z="z")
    d.callback(1)
    assert d.result == (1, "y", "z")


def test_errbacks_get_extra_arguments() -> None:
    """addErrback passes its extra arguments after the failure."""
    d: Deferred[int] = Deferred()
    d.addErrback(lambda f, tag, *, n: (f.type, tag, n), "t", n=3)
    d.errback(KeyError("k"))
    assert d.result == (KeyError, "t", 3)


def test_add_callbacks_passes_each_side_its_own_arguments() -> None:
    """addCallbacks binds callbackArgs/Keywords and errbackArgs/Keywords apart."""
    ok: Deferred[int] = Deferred()
    ok.addCallbacks(
        lambda r, a, b: ("cb", r, a, b),
        lambda f, a: ("eb", a),
        callbackArgs=(1,),
        callbackKeywords={"b": 2},
        errbackArgs=(3,),
    )
    ok.callback(0)
    assert ok.result == ("cb", 0, 1, 2)
    bad: Deferred[int] = Deferred()
    bad.addCallbacks(
        lambda r: "cb",
        lambda f, a, *, k: ("eb", f.type, a, k),
        errbackArgs=(3,),
        errbackKeywords={"k": 4},
    )
    bad.errback(OSError())
    assert bad.result == ("eb", OSError, 3, 4)


def test_raising_switches_to_the_errback_side() -> None:
    """An exception in a callback skips callbacks until an errback."""
    skipped: list[object] = []
    d: Deferred[int] = Deferred()
    d.addCallback(_boom)
    d.addCallback(skipped.append)
    d.addErrback(lambda f: f.getErrorMessage())
    d.callback(0)
    assert skipped == []
    assert d.result == "boom"


def test_errback_return_value_switches_back() -> None:
    """An errback that returns a value puts the chain back on success."""
    d: Deferred[int] = Deferred()
    d.addErrback(lambda f: 7).addCallback(lambda x: x * 2)
    d.errback(RuntimeError())
    assert d.result == 14


def test_errback_returning_a_failure_stays_on_the_error_side() -> None:
    """Returning a Failure from a callback keeps the chain failing."""
    d: Deferred[int] = Deferred()
    d.addCallback(lambda _: Failure(KeyError("k")))
    d.addCallback(lambda _: "not reached")
    failures: list[Failure] = []
    d.addErrback(failures.append)
    d.callback(1)
    assert failures[0].type is KeyError


def test_add_both_sees_success_and_failure() -> None:
    """addBoth runs on either side."""
    seen: list[object] = []
    good: Deferred[int] = Deferred()
    good.addBoth(seen.append)
    good.callback(5)
    bad: Deferred[int] = Deferred()
    bad.addBoth(lambda r: seen.append(type(r)))
    bad.errback(ValueError())
    assert seen == [5, Failure]


def test_errback_passes_success_by() -> None:
    """Errbacks do not run for successful results."""
    d = succeed(3)
    d.addErrback(lambda f: pytest.fail("errback ran"))
    assert d.result == 3


def test_callbacks_added_after_firing_run_at_once() -> None:
    """On a fired Deferred, addCallback runs the callback immediately."""
    d = succeed(2)
    seen: list[int] = []
    d.addCallback(seen.append)
    assert seen == [2]
    assert d.result is None


def test_callback_added_from_a_callback_runs_after_it() -> None:
    """A callback that adds a callback to its own Deferred keeps the order."""
    order: list[str] = []
    d = succeed(0)

    def first(r: int) -> int:
        d.addCallback(lambda x: order.append(f"second {x}"))
        order.append("first")
        return r + 1

    d.addCallback(first)
    assert order == ["first", "second 1"]


def test_callback_added_while_running_is_queued() -> None:
    """Callbacks added during a run go after the ones already queued."""
    order: list[str] = []
    d: Deferred[None] = Deferred()
    d.addCallback(lambda _: d.addCallback(lambda _: order.append("late")) and None)
    d.addCallback(lambda _: order.append("queued"))
    d.callback(None)
    assert order == ["queued", "late"]


@pytest.mark.parametrize("method", ["addCallback", "addErrback", "addBoth"])
def test_non_callable_is_rejected_when_added(method: str) -> None:
    """Adding something that cannot be called raises TypeError at once."""
    d: Deferred[int] = Deferred()
    with pytest.raises(TypeError, match="callable"):
        getattr(d, method)(42)
    with pytest.raises(TypeError, match="callable"):
        getattr(d, method)(42, "extra")


def test_add_callbacks_rejects_non_callables() -> None:
    """addCallbacks checks both its callback and its errback."""
    d: Deferred[int] = Deferred()
    with pytest.raises(TypeError, match="callback"):
        d.addCallbacks(None)  # type: ignore[call-overload]  # deliberate misuse
    with pytest.raises(TypeError, match="errback"):
        d.addCallbacks(print, 3)  # type: ignore[call-overload]  # deliberate misuse


def test_non_callable_is_rejected_on_a_fired_deferred() -> None:
    """The callable check also holds on the already-fired fast path."""
    with pytest.raises(TypeError):
        succeed(1).addCallback("nope")  # type: ignore[call-overload]  # misuse
    failed = fail(ValueError())
    with pytest.raises(TypeError):
        failed.addErrback(None)  # type: ignore[call-overload]  # deliberate misuse
    failed.addErrback(lambda f: None)


def test_firing_twice_raises() -> None:
    """A second callback() or errback() raises AlreadyCalledError."""
    d: Deferred[int] = Deferred()
    d.callback(1)
    with pytest.raises(AlreadyCalledError):
        d.callback(2)
    with pytest.raises(AlreadyCalledError):
        d.errback(ValueError())
    assert d.result == 1


def test_errback_after_errback_raises() -> None:
    """errback() on a failed Deferred raises AlreadyCalledError."""
    d = fail(ValueError())
    d.addErrback(lambda f: None)
    with pytest.raises(AlreadyCalledError):
        d.errback(KeyError())


def test_callback_refuses_a_deferred() -> None:
    """callback() with a Deferred as the result raises TypeError."""
    d: Deferred[Any] = Deferred()
    with pytest.raises(TypeError, match="Deferred"):
        d.callback(Deferred())
    assert not d.called


def test_callback_with_a_failure_goes_to_the_errbacks() -> None:
    """A Failure given to callback() is treated as an error."""
    d: Deferred[Any] = Deferred()
    seen: list[type[BaseException]] = []
    d.addErrback(lambda f: seen.append(f.type))
    d.callback(Failure(KeyError()))
    assert seen == [KeyError]


def test_errback_without_argument_uses_the_current_exception() -> None:
    """errback() inside an except block wraps the exception being handled."""
    d: Deferred[int] = Deferred()
    try:
        raise OSError("current")
    except OSError as e:
        d.errback()
        caught = e
    failures: list[Failure] = []
    d.addErrback(failures.append)
    assert failures[0].value is caught


def test_errback_wraps_an_exception() -> None:
    """errback(exc) wraps the exception into a Failure."""
    d: Deferred[int] = Deferred()
    exc = KeyError("k")
    d.errback(exc)
    assert isinstance(d.result, Failure)
    assert d.result.value is exc
    d.addErrback(lambda f: None)


def test_errback_without_exception_raises() -> None:
    """errback() with nothing to wrap raises NoCurrentExceptionError."""
    d: Deferred[int] = Deferred()
    with pytest.raises(NoCurrentExceptionError):
        d.errback()
    assert not d.called


def test_succeed_and_fail() -> None:
    """succeed() and fail() give Deferreds that have fired."""
    assert succeed("x").result == "x"
    failed = fail(KeyError("k"))
    assert failed.called
    assert failed.result.type is KeyError
    failed.addErrback(lambda f: None)


def test_fail_without_argument_uses_the_current_exception() -> None:
    """fail() in an except block wraps that exception."""
    try:
        raise OSError("now")
    except OSError:
        d = fail()
    assert d.result.type is OSError
    d.addErrback(lambda f: None)


def test_generic_alias_can_be_instantiated() -> None:
    """Deferred[int]() builds an ordinary Deferred."""
    d = Deferred[int]()
    d.callback(3)
    assert type(d) is Deferred
    assert d.result == 3


def test_repr_tells_the_state() -> None:
    """repr() shows pending, fired and waiting Deferreds differently."""
    d: Deferred[int] = Deferred()
    assert "result" not in repr(d)
    inner: Deferred[int] = Deferred()
    d.addCallback(lambda _: inner)
    d.callback(1)
    assert "waiting on Deferred" in repr(d)
    inner.callback(2)
    assert "current result: 2" in repr(d)
    assert str(d) == repr(d)


def test_pause_holds_the_chain_until_unpause() -> None:
    """No callback runs while paused; unpause runs the ones waiting."""
    seen: list[int] = []
    d: Deferred[int] = Deferred()
    d.pause()
    d.addCallback(seen.append)
    d.callback(1)
    assert seen == []
    assert d.paused == 1
    d.unpause()
    assert seen == [1]
    assert d.paused == 0


def test_pauses_are_counted() -> None:
    """Two pauses need two unpauses."""
    seen: list[int] = []
    d = succeed(1)
    d.pause()
    d.pause()
    d.addCallback(seen.append)
    d.unpause()
    assert seen == []
    d.unpause()
    assert seen == [1]


def test_pause_from_a_callback_holds_the_rest() -> None:
    """A callback pausing its own Deferred stops the chain after it."""
    seen: list[str] = []
    d: Deferred[str] = Deferred()
    d.addCallback(lambda r: (d.pause(), r)[1])
    d.addCallback(seen.append)
    d.callback("x")
    assert seen == []
    d.unpause()
    assert seen == ["x"]


def test_pause_and_unpause_inside_a_callback_go_on() -> None:
    """Pausing and unpausing within one callback does not stop the chain."""
    seen: list[int] = []
    d: Deferred[int] = Deferred()

    def both(r: int) -> int:
        d.pause()
        d.unpause()
        return r

    d.addCallback(both).addCallback(seen.append)
    d.callback(4)
    assert seen == [4]


def test_pause_from_a_callback_keeps_callbacks_added_meanwhile() -> None:
    """Callbacks added after a pause from inside the chain run after the rest."""
    seen: list[str] = []
    d: Deferred[str] = Deferred()

    def pauser(r: str) -> str:
        d.pause()
        d.addCallback(lambda x: seen.append(f"added {x}"))
        return r

    d.addCallback(pauser).addCallback(lambda x: seen.append(x) or x)
    d.callback("r")
    assert seen == []
    d.unpause()
    assert seen == ["r", "added r"]


def test_pause_from_another_deferred_holds_the_chain() -> None:
    """A Deferred paused by a callback elsewhere stops after the current one."""
    seen: list[int] = []
    other: Deferred[None] = Deferred()
    d: Deferred[int] = Deferred()
    other.addCallback(lambda _: d.pause())
    d.addCallback(lambda x: other.callback(None) or x)
    d.addCallback(seen.append)
    d.callback(1)
    assert seen == []
    assert d.paused == 1
    d.unpause()
    assert seen == [1]


def test_paused_in_a_callback_that_returns_an_unfired_deferred() -> None:
    """Pausing and chaining at once: both must clear before the chain goes on."""
    seen: list[int] = []
    inner: Deferred[int] = Deferred()
    d: Deferred[int] = Deferred()
    d.addCallback(lambda _: (d.pause(), inner)[1])
    d.addCallback(seen.append)
    d.callback(0)
    inner.callback(5)
    assert seen == []
    d.unpause()
    assert seen == [5]


def test_unpause_without_pause_does_nothing() -> None:
    """unpause() on a Deferred that is not paused changes nothing."""
    d = succeed(1)
    d.unpause()
    assert d.paused == 0
    assert d.addCallback(lambda x: x + 1).result == 2
