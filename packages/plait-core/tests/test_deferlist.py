"""DeferredList and gatherResults: waiting for several Deferreds at once."""

from __future__ import annotations

import gc
import logging
from typing import Any

import pytest

from plait.core import (
    Deferred,
    DeferredList,
    Failure,
    FirstError,
    fail,
    gatherResults,
    succeed,
)
from plait.errors import CancelledError


def _unhandled(caplog: pytest.LogCaptureFixture) -> int:
    return sum("Unhandled error in Deferred" in r.getMessage() for r in caplog.records)


def test_empty_list_fires_at_once() -> None:
    """A DeferredList of nothing fires with an empty list."""
    assert DeferredList([]).result == []


def test_empty_list_with_fire_on_one_callback_waits() -> None:
    """With fireOnOneCallback, an empty list never fires (no member can)."""
    assert not DeferredList([], fireOnOneCallback=True).called


def test_results_come_in_input_order() -> None:
    """Members firing out of order still give (True, result) pairs in input order."""
    a: Deferred[str] = Deferred()
    b: Deferred[str] = Deferred()
    dl = DeferredList([a, b])
    b.callback("b")
    assert not dl.called
    a.callback("a")
    assert dl.result == [(True, "a"), (True, "b")]


def test_failures_are_listed() -> None:
    """A failed member gives a (False, failure) pair."""
    a = succeed(1)
    b = fail(KeyError("k"))
    dl = DeferredList([a, b], consumeErrors=True)
    (ok, one), (bad, failure) = dl.result
    assert (ok, one, bad) == (True, 1, False)
    assert isinstance(failure, Failure)
    assert failure.type is KeyError


def test_failures_stay_in_members_without_consume_errors() -> None:
    """Without consumeErrors, a member keeps its failure after the list saw it."""
    b = fail(KeyError("k"))
    DeferredList([b])
    assert isinstance(b.result, Failure)
    b.addErrback(lambda f: None)


def test_consume_errors_takes_failures_out_of_members(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """consumeErrors leaves None in failed members, so nothing is logged."""
    caplog.set_level(logging.ERROR, logger="plait.core")
    b = fail(KeyError("k"))
    dl = DeferredList([b], consumeErrors=True)
    assert b.result is None
    del b, dl
    gc.collect()
    assert _unhandled(caplog) == 0


def test_fire_on_one_callback() -> None:
    """fireOnOneCallback fires with (result, index) at the first success."""
    a: Deferred[str] = Deferred()
    b: Deferred[str] = Deferred()
    dl = DeferredList([a, b], fireOnOneCallback=True)
    b.callback("second")
    assert dl.result == ("second", 1)
    a.callback("first")
    assert dl.result == ("second", 1)


def test_fire_on_one_callback_ignores_failures() -> None:
    """With only fireOnOneCallback, failures are collected and the list waits."""
    a: Deferred[str] = Deferred()
    b: Deferred[str] = Deferred()
    dl = DeferredList([a, b], fireOnOneCallback=True, consumeErrors=True)
    a.errback(KeyError())
    assert not dl.called
    b.errback(KeyError())
    assert [ok for ok, _ in dl.result] == [False, False]


def test_fire_on_one_errback() -> None:
    """fireOnOneErrback fails with a FirstError at the first failure."""
    a: Deferred[str] = Deferred()
    b: Deferred[str] = Deferred()
    dl = DeferredList([a, b], fireOnOneErrback=True, consumeErrors=True)
    b.errback(KeyError("b failed"))
    failures: list[Failure] = []
    dl.addErrback(failures.append)
    error = failures[0].value
    assert isinstance(error, FirstError)
    assert error.index == 1
    assert error.subFailure.type is KeyError
    a.callback("late")  # a member firing afterwards changes nothing
    assert dl.result is None


def test_cancel_cancels_pending_members_only() -> None:
    """Cancelling the list cancels the members still pending, not fired ones."""
    cancelled: list[str] = []
    done: Deferred[str] = Deferred(lambda d: cancelled.append("done"))
    pending: Deferred[str] = Deferred(lambda d: cancelled.append("pending"))
    dl = DeferredList([done, pending], consumeErrors=True)
    done.callback("ok")
    dl.cancel()
    assert cancelled == ["pending"]
    (ok1, r1), (ok2, r2) = dl.result
    assert (ok1, r1, ok2) == (True, "ok", False)
    assert r2.type is CancelledError


def test_first_error_text() -> None:
    """FirstError names the index and the failure it carries."""
    error = FirstError(Failure(KeyError("k")), 3)
    assert "#3" in str(error)
    assert "KeyError" in str(error)
    assert "#3" in repr(error)
    assert error.args[1] == 3


def test_gather_results_lists_values_in_order() -> None:
    """gatherResults fires with the members' values in input order."""
    a: Deferred[int] = Deferred()
    b: Deferred[int] = Deferred()
    gathered = gatherResults([a, b])
    b.callback(2)
    a.callback(1)
    assert gathered.result == [1, 2]


def test_gather_results_of_nothing() -> None:
    """gatherResults of an empty list gives an empty list."""
    assert gatherResults([]).result == []


def test_gather_results_fails_on_the_first_failure() -> None:
    """The first failing member makes gatherResults fail with a FirstError."""
    a: Deferred[int] = Deferred()
    b: Deferred[int] = Deferred()
    gathered = gatherResults([a, b], consumeErrors=True)
    b.errback(OSError("second failed"))
    failures: list[Failure] = []
    gathered.addErrback(failures.append)
    assert failures[0].check(FirstError)
    error = failures[0].value
    assert isinstance(error, FirstError)
    assert error.index == 1
    assert error.subFailure.type is OSError
    a.callback(1)


def test_gather_results_consume_errors(caplog: pytest.LogCaptureFixture) -> None:
    """With consumeErrors the failed member itself is not reported later."""
    caplog.set_level(logging.ERROR, logger="plait.core")
    bad = fail(OSError("x"))
    gathered = gatherResults([bad], consumeErrors=True)
    gathered.addErrback(lambda f: None)
    assert bad.result is None
    del bad, gathered
    gc.collect()
    assert _unhandled(caplog) == 0


def test_gather_results_cancel_cancels_members() -> None:
    """Cancelling gatherResults' Deferred cancels the pending members."""
    cancelled: list[Any] = []
    a: Deferred[int] = Deferred(cancelled.append)
    b = succeed(2)
    gathered = gatherResults([a, b], consumeErrors=True)
    gathered.cancel()
    assert cancelled == [a]
    failures: list[Failure] = []
    gathered.addErrback(failures.append)
    error = failures[0].value
    assert isinstance(error, FirstError)
    assert error.subFailure.type is CancelledError


def test_many_members() -> None:
    """A list of 100,000 members fires once, in order, without recursion."""
    members = [Deferred[int]() for _ in range(100_000)]
    gathered = gatherResults(members)
    for n, d in enumerate(members):
        d.callback(n)
    assert gathered.result == list(range(100_000))
