"""Deferred chaining: callbacks returning Deferreds, and deep chains."""

from __future__ import annotations

import sys
from typing import Any

from plait.core import Deferred, Failure, succeed

DEEP = 100_000


def test_chained_deferred_is_waited_for() -> None:
    """A callback returning an unfired Deferred makes the chain wait for it."""
    inner: Deferred[str] = Deferred()
    seen: list[str] = []
    outer: Deferred[int] = Deferred()
    outer.addCallback(lambda _: inner).addCallback(seen.append)
    outer.callback(1)
    assert seen == []
    assert outer.result is inner
    assert outer.paused == 1
    inner.callback("inner")
    assert seen == ["inner"]
    assert inner.result is None
    assert outer.paused == 0


def test_chained_fired_deferred_result_is_taken() -> None:
    """A callback returning a fired Deferred continues with its result."""
    inner = succeed("ready")
    outer = succeed(0).addCallback(lambda _: inner)
    assert outer.result == "ready"
    assert inner.result is None


def test_chained_failure_reaches_the_outer_errbacks() -> None:
    """A failed inner Deferred makes the outer chain fail."""
    inner: Deferred[int] = Deferred()
    outer = succeed(0).addCallback(lambda _: inner)
    inner.errback(KeyError("inner"))
    failures: list[Failure] = []
    outer.addErrback(failures.append)
    assert failures[0].type is KeyError
    assert inner.result is None


def test_chained_deferred_callbacks_before_the_handoff_run_first() -> None:
    """The inner Deferred's own earlier callbacks run before the outer resumes."""
    order: list[str] = []
    inner: Deferred[int] = Deferred()
    inner.addCallback(lambda x: order.append("inner") or x + 1)
    outer = succeed(0).addCallback(lambda _: inner)
    outer.addCallback(lambda x: order.append(f"outer {x}"))
    inner.addCallback(lambda x: order.append(f"after {x}"))
    inner.callback(1)
    assert order == ["inner", "outer 2", "after None"]


def test_two_outers_on_one_inner() -> None:
    """The first Deferred chained to an inner one gets its result, later ones None."""
    inner: Deferred[int] = Deferred()
    first = succeed(0).addCallback(lambda _: inner)
    second = succeed(0).addCallback(lambda _: inner)
    inner.callback(9)
    assert first.result == 9
    assert second.result is None


def test_paused_outer_waits_for_unpause_after_inner_fires() -> None:
    """An outer Deferred paused by the user stays held after the handoff."""
    inner: Deferred[int] = Deferred()
    outer = succeed(0).addCallback(lambda _: inner)
    outer.pause()
    seen: list[int] = []
    outer.addCallback(seen.append)
    inner.callback(3)
    assert seen == []
    outer.unpause()
    assert seen == [3]


def test_deferred_returned_from_a_fast_path_callback_is_chained() -> None:
    """On a fired Deferred, a callback returning an unfired one still chains."""
    inner: Deferred[int] = Deferred()
    outer = succeed(1).addCallback(lambda _: inner)
    seen: list[int] = []
    outer.addCallback(seen.append)
    assert seen == []
    inner.callback(5)
    assert seen == [5]


def test_returning_the_same_deferred_fails_cleanly() -> None:
    """A callback returning its own Deferred fails it with a clear message."""
    d: Deferred[Any] = Deferred()
    d.addCallback(lambda _: d)
    failures: list[Failure] = []
    d.addErrback(failures.append)
    d.callback(1)
    assert failures[0].type is ValueError
    assert "same" in failures[0].getErrorMessage()


def test_returning_the_same_fired_deferred_fails_cleanly() -> None:
    """The fast path also refuses a callback that returns its own Deferred."""
    d: Deferred[Any] = succeed(1)
    d.addCallback(lambda _: d)
    assert isinstance(d.result, Failure)
    assert d.result.type is ValueError
    d.addErrback(lambda f: None)


def test_chain_deferred_fires_the_other() -> None:
    """chainDeferred() passes the result on and leaves None behind."""
    a: Deferred[int] = Deferred()
    b: Deferred[int] = Deferred()
    a.chainDeferred(b)
    a.callback(4)
    assert b.result == 4
    assert a.result is None


def test_long_chain_does_not_recurse() -> None:
    """A chain of 100,000 callbacks runs without nearing the recursion limit."""
    d: Deferred[int] = Deferred()
    for _ in range(DEEP):
        d.addCallback(lambda x: x + 1)
    d.callback(0)
    assert d.result == DEEP


def test_long_chain_on_the_error_side_does_not_recurse() -> None:
    """100,000 errbacks, each re-raising, also run in one loop."""
    d: Deferred[int] = Deferred()
    for _ in range(DEEP):
        d.addErrback(lambda f: f.raiseException())
    d.errback(KeyError("deep"))
    failures: list[Failure] = []
    d.addErrback(failures.append)
    assert failures[0].type is KeyError


def test_many_fired_inner_deferreds_do_not_recurse() -> None:
    """100,000 callbacks each returning a fired Deferred run flat."""
    d: Deferred[int] = Deferred()
    for _ in range(DEEP):
        d.addCallback(lambda x: succeed(x + 1))
    d.callback(0)
    assert d.result == DEEP


def test_deep_nesting_fired_innermost_last_does_not_recurse() -> None:
    """100,000 Deferreds, each waiting on the next, unwind without recursion."""
    chain = [Deferred[int]() for _ in range(DEEP + 1)]
    for i in range(DEEP):
        chain[i].addCallback(lambda _, nxt=chain[i + 1]: nxt)
    for d in chain[:DEEP]:
        d.callback(0)  # each one now waits on the next
    assert all(d.paused == 1 for d in chain[:DEEP])
    chain[DEEP].callback(42)
    assert chain[0].result == 42
    assert all(d.result is None for d in chain[1:])
    assert all(d.paused == 0 for d in chain)


def test_deep_nesting_fired_outermost_last_does_not_recurse() -> None:
    """Firing the inner Deferreds first, then the outermost, also runs flat."""
    chain = [Deferred[int]() for _ in range(DEEP + 1)]
    for i in range(DEEP):
        chain[i].addCallback(lambda _, nxt=chain[i + 1]: nxt)
    for d in reversed(chain):
        d.callback(1)
    assert chain[0].result == 1


def test_deep_nesting_of_later_fired_deferreds_does_not_recurse() -> None:
    """Each callback returns an unfired Deferred whose callback returns the next."""
    last: Deferred[int] = Deferred()
    outers: list[Deferred[None]] = []
    current: Deferred[Any] = last
    for _ in range(DEEP):
        outer: Deferred[None] = Deferred()
        outer.addCallback(lambda _, inner=current: inner)
        outers.append(outer)
        current = outer
    seen: list[int] = []
    current.addCallback(seen.append)
    for outer in reversed(outers):  # outermost first: each parks on the next
        outer.callback(None)
    assert seen == []
    last.callback(7)
    assert seen == [7]


def test_recursion_limit_is_not_touched() -> None:
    """Deep chains work even with a tiny recursion limit."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        inners = [Deferred[int]() for _ in range(1000)]
        d: Deferred[int] = Deferred()
        for inner in inners:
            d.addCallback(lambda _, i=inner: i)
        d.callback(0)
        for n, inner in enumerate(inners):
            inner.callback(n)
    finally:
        sys.setrecursionlimit(old)
    assert d.result == 999
