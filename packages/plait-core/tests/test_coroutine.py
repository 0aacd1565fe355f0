"""Coroutines on Deferreds (ensureDeferred, await) and maybeDeferred."""

from __future__ import annotations

import gc
import logging
from collections.abc import Generator
from typing import Any

import pytest

from plait.core import Deferred, Failure, ensureDeferred, fail, maybeDeferred, succeed
from plait.errors import CancelledError

MANY = 100_000


def _failures(d: Deferred[Any]) -> list[Failure]:
    seen: list[Failure] = []
    d.addErrback(seen.append)
    return seen


def test_returned_value_fires_the_deferred() -> None:
    """A coroutine's return value becomes the Deferred's result."""

    async def work() -> int:
        return 5

    assert ensureDeferred(work()).result == 5


def test_await_of_a_fired_deferred_gives_its_result() -> None:
    """await on a fired Deferred returns its result synchronously."""

    async def work() -> str:
        return await succeed("now") + "!"

    assert ensureDeferred(work()).result == "now!"


def test_await_parks_until_the_deferred_fires() -> None:
    """await on an unfired Deferred suspends the coroutine until it fires."""
    gate: Deferred[int] = Deferred()
    steps: list[str] = []

    async def work() -> int:
        steps.append("before")
        value = await gate
        steps.append("after")
        return value * 2

    d = ensureDeferred(work())
    assert steps == ["before"]
    assert not d.called
    gate.callback(21)
    assert steps == ["before", "after"]
    assert d.result == 42
    assert gate.result is None


def test_failed_await_raises_inside_the_coroutine() -> None:
    """Awaiting a failed Deferred raises its exception, catchable as usual."""
    gate: Deferred[int] = Deferred()

    async def work() -> str:
        try:
            await gate
        except KeyError as e:
            return f"caught {e.args[0]}"
        return "no error"

    d = ensureDeferred(work())
    gate.errback(KeyError("k"))
    assert d.result == "caught k"


def test_failed_fired_await_raises_the_same_exception() -> None:
    """Awaiting an already-failed Deferred raises the wrapped exception object."""
    exc = ValueError("fired failure")
    seen: list[BaseException] = []

    async def work() -> None:
        try:
            await fail(exc)
        except ValueError as e:
            seen.append(e)

    ensureDeferred(work())
    assert seen == [exc]


def test_exception_becomes_a_failure() -> None:
    """An exception escaping the coroutine fails its Deferred."""

    async def work() -> None:
        raise OSError("escaped")

    failures = _failures(ensureDeferred(work()))
    assert failures[0].type is OSError


def test_awaited_failure_is_not_reported_unhandled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failure raised into a coroutine counts as handled by the await."""
    caplog.set_level(logging.ERROR, logger="plait.core")

    def scenario() -> None:
        gate: Deferred[int] = Deferred()
        already = fail(KeyError("fired"))

        async def work() -> None:
            try:
                await gate
            except KeyError:
                pass
            try:
                await already
            except KeyError:
                pass

        ensureDeferred(work())
        gate.errback(KeyError("later"))

    scenario()
    gc.collect()
    assert not [r for r in caplog.records if "Unhandled" in r.getMessage()]


def test_many_fired_awaits_do_not_recurse() -> None:
    """100,000 awaits of fired Deferreds in a loop run without recursion."""

    async def work() -> int:
        total = 0
        for i in range(MANY):
            total += await succeed(i)
        return total

    assert ensureDeferred(work()).result == sum(range(MANY))


def test_many_later_fired_awaits_do_not_recurse() -> None:
    """Awaiting 100,000 Deferreds fired one after another stays flat."""
    gates = [Deferred[int]() for _ in range(MANY)]

    async def work() -> int:
        total = 0
        for gate in gates:
            total += await gate
        return total

    d = ensureDeferred(work())
    for n, gate in enumerate(gates):
        gate.callback(n)
    assert d.result == sum(range(MANY))


def test_awaits_of_chained_deferreds() -> None:
    """await waits for a Deferred that is itself waiting on an inner one."""
    inner: Deferred[str] = Deferred()
    outer = succeed(0).addCallback(lambda _: inner)

    async def work() -> str:
        return await outer

    d = ensureDeferred(work())
    assert not d.called
    inner.callback("deep")
    assert d.result == "deep"


def test_nested_coroutines() -> None:
    """A coroutine awaiting another coroutine that awaits Deferreds works."""
    gate: Deferred[int] = Deferred()

    async def inner() -> int:
        return await gate + 1

    async def outer() -> int:
        return await inner() * 10

    d = ensureDeferred(outer())
    gate.callback(1)
    assert d.result == 20


def test_cancel_cancels_the_awaited_deferred() -> None:
    """Cancelling ensureDeferred's Deferred cancels what the coroutine awaits."""
    cancelled: list[object] = []
    gate: Deferred[int] = Deferred(cancelled.append)

    async def work() -> int:
        return await gate

    d = ensureDeferred(work())
    d.cancel()
    assert cancelled == [gate]
    assert _failures(d)[0].type is CancelledError


def test_cancel_throws_into_the_coroutine() -> None:
    """The CancelledError is raised at the await; handling it decides the result."""
    gate: Deferred[int] = Deferred()

    async def work() -> str:
        try:
            await gate
        except CancelledError:
            return "cleaned up"
        return "not cancelled"

    d = ensureDeferred(work())
    d.cancel()
    assert d.result == "cleaned up"


def test_coroutine_that_ignores_cancel_keeps_running() -> None:
    """If the coroutine goes on after cancel, its late result is dropped quietly."""
    first: Deferred[int] = Deferred()
    second: Deferred[int] = Deferred()
    steps: list[str] = []

    async def work() -> int:
        try:
            await first
        except CancelledError:
            steps.append("cancelled")
        value = await second
        steps.append("finished")
        return value

    d = ensureDeferred(work())
    d.cancel()
    assert steps == ["cancelled"]
    assert _failures(d)[0].type is CancelledError
    second.callback(3)  # must not raise AlreadyCalledError
    assert steps == ["cancelled", "finished"]


def test_late_error_after_cancel_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A coroutine that fails after its Deferred was cancelled has the error logged."""
    caplog.set_level(logging.ERROR, logger="plait.core")
    first: Deferred[int] = Deferred()
    second: Deferred[int] = Deferred()

    async def work() -> None:
        try:
            await first
        except CancelledError:
            pass
        await second
        raise RuntimeError("after cancel")

    d = ensureDeferred(work())
    d.cancel()
    d.addErrback(lambda f: None)
    second.callback(0)
    assert any("after cancel" in r.getMessage() for r in caplog.records)


def test_from_coroutine() -> None:
    """Deferred.fromCoroutine runs the coroutine like ensureDeferred."""

    async def work() -> int:
        return await succeed(2) * 3

    d = Deferred.fromCoroutine(work())
    assert isinstance(d, Deferred)
    assert d.result == 6


def test_ensure_deferred_passes_a_deferred_through() -> None:
    """ensureDeferred of a Deferred returns that Deferred."""
    d: Deferred[int] = Deferred()
    assert ensureDeferred(d) is d


def test_ensure_deferred_accepts_other_awaitables() -> None:
    """An object with __await__ is driven too."""

    class Awaitable:
        def __await__(self) -> Generator[Any, Any, int]:
            return (yield from succeed(11).__await__())

    assert ensureDeferred(Awaitable()).result == 11


def test_hand_yielded_fired_deferred_is_resolved_by_the_driver() -> None:
    """An awaitable yielding a fired Deferred by hand gets its result sent back."""
    fired = succeed(3)

    class ByHand:
        def __await__(self) -> Generator[Any, Any, int]:
            value: int = yield fired
            return value + 1

    async def work() -> int:
        return await ByHand()

    assert ensureDeferred(work()).result == 4
    assert fired.result is None


def test_await_of_a_paused_deferred_waits_for_unpause() -> None:
    """Awaiting a fired but paused Deferred resumes only after unpause()."""
    held = succeed("held")
    held.pause()

    async def work() -> str:
        return await held

    d = ensureDeferred(work())
    assert not d.called
    held.unpause()
    assert d.result == "held"


def test_ensure_deferred_rejects_what_cannot_be_awaited() -> None:
    """ensureDeferred of a plain value raises TypeError."""
    with pytest.raises(TypeError, match="coroutine"):
        ensureDeferred(42)  # type: ignore[call-overload]  # deliberate misuse


def test_awaiting_a_foreign_awaitable_fails_inside() -> None:
    """Awaiting something that yields a non-Deferred raises TypeError at the await."""

    class Foreign:
        def __await__(self) -> Generator[Any, Any, None]:
            yield "not a Deferred"

    async def work() -> str:
        try:
            await Foreign()
        except TypeError as e:
            return str(e)
        return "accepted"

    assert "Deferred" in ensureDeferred(work()).result


def test_coroutine_returning_a_deferred_is_chained() -> None:
    """A coroutine returning a Deferred makes the result wait for it."""
    later: Deferred[str] = Deferred()

    async def work() -> Deferred[str]:
        return later

    d = ensureDeferred(work())
    assert not d.called
    later.callback("chained")
    assert d.result == "chained"


def test_maybe_deferred_sync_value() -> None:
    """maybeDeferred of a function returning a value gives a fired Deferred."""
    assert maybeDeferred(lambda a, b=0: a + b, 1, b=2).result == 3


def test_maybe_deferred_exception() -> None:
    """maybeDeferred of a raising function gives a failed Deferred."""

    def broken() -> None:
        raise KeyError("sync")

    assert _failures(maybeDeferred(broken))[0].type is KeyError


def test_maybe_deferred_failure_result() -> None:
    """maybeDeferred of a function returning a Failure gives a failed Deferred."""
    failure = Failure(OSError())
    assert _failures(maybeDeferred(lambda: failure))[0] is failure


def test_maybe_deferred_passes_a_deferred_through() -> None:
    """maybeDeferred returns a Deferred the function returned as it is."""
    d: Deferred[int] = Deferred()
    assert maybeDeferred(lambda: d) is d


def test_maybe_deferred_runs_a_coroutine() -> None:
    """maybeDeferred of a coroutine function runs it with ensureDeferred."""
    gate: Deferred[int] = Deferred()

    async def work(n: int) -> int:
        return await gate + n

    d = maybeDeferred(work, 1)
    gate.callback(2)
    assert d.result == 3
