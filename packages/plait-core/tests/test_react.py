"""react(): running main on a real reactor and choosing the exit status."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from plait.core import Deferred, Reactor, _react, deferLater, fail, react
from plait.core._react import STOPPED_EARLY
from plait.errors import CancelledError


@pytest.fixture
def quiet_reactor() -> Iterator[Reactor]:
    """A reactor without extensions, closed after the test."""
    r = Reactor(extensions=[])
    yield r
    r.close()


def exit_status(main: Callable[..., object], reactor: Reactor, *argv: object) -> Any:
    """Run react() and return the code of the SystemExit it raises."""
    with pytest.raises(SystemExit) as raised:
        react(main, argv, reactor=reactor)
    return raised.value.code


def test_plain_value_exits_zero(quiet_reactor: Reactor) -> None:
    """A main returning a plain value exits with status 0."""
    assert exit_status(lambda r: 42, quiet_reactor) == 0
    assert not quiet_reactor.running


def test_argv_is_passed_after_the_reactor(quiet_reactor: Reactor) -> None:
    """main receives the reactor, then the items of argv."""
    seen: list[object] = []
    exit_status(lambda *a: seen.extend(a), quiet_reactor, "a", "b")
    assert seen == [quiet_reactor, "a", "b"]


def test_deferred_result_keeps_the_reactor_running(quiet_reactor: Reactor) -> None:
    """react runs the reactor until main's Deferred fires, then exits 0."""
    fired: list[bool] = []

    def main(reactor: Reactor) -> Deferred[None]:
        return deferLater(reactor, 0.01, lambda: fired.append(reactor.running))

    assert exit_status(main, quiet_reactor) == 0
    assert fired == [True]


def test_coroutine_main_is_awaited(quiet_reactor: Reactor) -> None:
    """A coroutine main runs to completion on the reactor."""
    steps: list[str] = []

    async def main(reactor: Reactor) -> None:
        steps.append("start")
        await deferLater(reactor, 0.01)
        steps.append("end")

    assert exit_status(main, quiet_reactor) == 0
    assert steps == ["start", "end"]


def test_exception_exits_one_and_is_logged(
    quiet_reactor: Reactor, caplog: pytest.LogCaptureFixture
) -> None:
    """main raising an error exits with 1 and logs the error with its traceback."""

    def main(reactor: Reactor) -> None:
        raise LookupError("no such thing")

    with caplog.at_level(logging.ERROR, logger="plait.core"):
        assert exit_status(main, quiet_reactor) == 1
    records = [r for r in caplog.records if r.name == "plait.core"]
    assert records and records[0].exc_info is not None
    assert "no such thing" in caplog.text


def test_failed_deferred_exits_one(quiet_reactor: Reactor) -> None:
    """A Deferred that fails makes the status 1."""
    assert exit_status(lambda r: fail(ValueError("bad")), quiet_reactor) == 1


@pytest.mark.parametrize("code", [0, 3, "message"])
def test_system_exit_code_is_kept(quiet_reactor: Reactor, code: object) -> None:
    """SystemExit raised by main sets the exit status to its code."""

    def main(reactor: Reactor) -> None:
        raise SystemExit(code)

    assert exit_status(main, quiet_reactor) == code


def test_system_exit_from_coroutine_is_kept(quiet_reactor: Reactor) -> None:
    """SystemExit raised after an await also reaches sys.exit."""

    async def main(reactor: Reactor) -> None:
        await deferLater(reactor, 0)
        raise SystemExit(7)

    assert exit_status(main, quiet_reactor) == 7


def test_early_stop_cancels_main(quiet_reactor: Reactor) -> None:
    """Stopping the reactor first cancels main, whose finally runs; status 0."""
    cleaned: list[bool] = []

    async def main(reactor: Reactor) -> None:
        reactor.callLater(0.01, reactor.stop)
        try:
            await Deferred()
        finally:
            cleaned.append(True)

    assert exit_status(main, quiet_reactor) == STOPPED_EARLY
    assert cleaned == [True]


def test_handled_cancellation_returning_exits_zero(quiet_reactor: Reactor) -> None:
    """A main that catches the cancellation and returns at once exits with 0."""
    caught: list[str] = []

    async def main(reactor: Reactor) -> None:
        reactor.callLater(0.01, reactor.stop)
        try:
            await Deferred()
        except CancelledError:
            caught.append("cancelled")

    assert exit_status(main, quiet_reactor) == 0
    assert caught == ["cancelled"]


def test_awaiting_after_cancellation_is_not_waited_for(
    quiet_reactor: Reactor,
) -> None:
    """Work awaited after catching the cancellation does not delay the exit."""
    steps: list[str] = []

    async def main(reactor: Reactor) -> None:
        reactor.callLater(0.01, reactor.stop)
        try:
            await Deferred()
        except CancelledError:
            steps.append("caught")
            await Deferred()  # never fires
            steps.append("never reached")

    assert exit_status(main, quiet_reactor) == STOPPED_EARLY
    assert steps == ["caught"]


def test_early_stop_of_plain_deferred_runs_its_canceller(
    quiet_reactor: Reactor,
) -> None:
    """A Deferred returned by main is cancelled (its canceller runs) on early stop."""
    cancelled: list[bool] = []

    def main(reactor: Reactor) -> Deferred[None]:
        reactor.callLater(0.01, reactor.stop)
        return Deferred(lambda d: cancelled.append(True))

    assert exit_status(main, quiet_reactor) == STOPPED_EARLY
    assert cancelled == [True]


def test_sigint_stops_react_with_stopped_early(quiet_reactor: Reactor) -> None:
    """SIGINT while main waits stops the reactor; the status is STOPPED_EARLY."""

    def main(reactor: Reactor) -> Deferred[None]:
        reactor.callLater(0.01, os.kill, os.getpid(), signal.SIGINT)
        return Deferred()

    assert exit_status(main, quiet_reactor) == STOPPED_EARLY


def test_crash_leaves_main_unfinished(quiet_reactor: Reactor) -> None:
    """A crashed reactor ends react with STOPPED_EARLY."""

    def main(reactor: Reactor) -> Deferred[None]:
        reactor.callLater(0.01, reactor.crash)
        return Deferred()

    assert exit_status(main, quiet_reactor) == STOPPED_EARLY


def test_default_reactor_is_built_and_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without reactor=, react builds a Reactor and closes it before exiting."""
    built: list[Reactor] = []
    closes: list[int] = []

    class Recording(Reactor):
        def __init__(self) -> None:
            super().__init__(extensions=[])
            built.append(self)

        def close(self) -> None:
            closes.append(1)
            super().close()

    monkeypatch.setattr(_react, "Reactor", Recording)
    with pytest.raises(SystemExit) as raised:
        react(lambda r: None)
    assert raised.value.code == 0
    assert len(built) == 1 and closes == [1]


def test_injected_reactor_is_left_open() -> None:
    """A reactor passed in is not closed by react (its owner closes it)."""
    closes: list[int] = []

    class Recording(Reactor):
        def close(self) -> None:
            closes.append(1)
            super().close()

    reactor = Recording(extensions=[])
    try:
        exit_status(lambda r: None, reactor)
        assert closes == []
    finally:
        reactor.close()


_SIGNALLED_PROGRAM = """
import sys
from plait.core import Deferred, Reactor, react

async def main(reactor):
    # react calls main once the loop runs: a signal from now on is a stop.
    print("ready", flush=True)
    try:
        await Deferred()
    finally:
        print("cleaned up", flush=True)

react(main, reactor=Reactor(extensions=[]))
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_to_a_react_program_exits_zero_quietly(signum: int) -> None:
    """A real react() program stopped by SIGINT or SIGTERM runs its finally
    blocks, prints nothing on stderr and exits 0."""
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-c", _SIGNALLED_PROGRAM],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == b"ready\n"
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert out == b"cleaned up\n"
    assert err == b""
