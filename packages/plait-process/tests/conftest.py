"""Fixtures of plait-process's tests; every child is a real process.

- ``reactor``: a Reactor per available poller with the pidfd watcher (where
  the kernel has pidfds), plus one with the SIGCHLD watcher; processes a
  test leaves running are killed and collected.
- ``Recorder``: a process protocol that keeps every event in order.
- ``finish(reactor, recorder)``: iterate until ``processEnded``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from plait.core import Reactor, availablePollers
from plait.core.testing import closeReactor, iterateUntil
from plait.process import ProcessExtension, ProcessProtocol
from plait.process._reap import pidfdWorks

PYTHON = sys.executable


def _variants() -> list[tuple[str, str]]:
    pollers = availablePollers()
    watchers = [(p, "pidfd") for p in pollers] if pidfdWorks() else []
    return [*watchers, (pollers[0], "sigchld")]


@pytest.fixture(params=_variants(), ids=lambda v: f"{v[0]}-{v[1]}")
def reactor(request: pytest.FixtureRequest) -> Iterator[Reactor]:
    """A reactor over each poller and child watcher."""
    poller, watcher = request.param
    r = Reactor(poller=poller, extensions=[ProcessExtension.using(watcher)])
    yield r
    closeReactor(r)


@pytest.fixture
def fastReactor() -> Iterator[Reactor]:
    """One reactor with the default poller and watcher, for the heavy tests."""
    r = Reactor(extensions=[ProcessExtension])
    yield r
    closeReactor(r)


class Recorder(ProcessProtocol):
    """Keeps the output per descriptor and every event, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.data: dict[int, bytearray] = {}
        self.exited: Any = None
        self.ended: Any = None
        self.pidAtMade: int | None = None

    def connectionMade(self) -> None:
        self.pidAtMade = self.transport.pid
        self.events.append(("made",))

    def childDataReceived(self, childFD: int, data: bytes) -> None:
        self.data.setdefault(childFD, bytearray()).extend(data)

    def childConnectionLost(self, childFD: int) -> None:
        self.events.append(("lost", childFD))

    def processExited(self, reason: Any) -> None:
        self.exited = reason
        self.events.append(("exited",))

    def processEnded(self, reason: Any) -> None:
        self.ended = reason
        self.events.append(("ended", self.transport.pid))

    def out(self, fd: int = 1) -> bytes:
        return bytes(self.data.get(fd, b""))


def finish(reactor: Reactor, recorder: Recorder, timeout: float = 20.0) -> None:
    """Run the reactor until the recorder has heard ``processEnded``."""
    iterateUntil(reactor, lambda: recorder.ended is not None, timeout)


def openFds() -> set[int]:
    """The descriptors this test process holds open (Linux's /proc)."""
    names = os.listdir("/proc/self/fd")
    fds = set()
    for name in names:
        try:
            os.fstat(int(name))
        except OSError:
            continue  # the listing's own descriptor, closed by now
        fds.add(int(name))
    return fds


@pytest.fixture
def recorder() -> Recorder:
    """A fresh recording protocol."""
    return Recorder()


@pytest.fixture
def newRecorder() -> type[Recorder]:
    """The recording protocol class, for tests that need several."""
    return Recorder


@pytest.fixture(name="finish")
def finishFixture() -> Any:
    """``finish(reactor, recorder)``: iterate until the process has ended."""
    return finish


@pytest.fixture
def run() -> Any:
    """``run(reactor, executable, args, **kw)``: spawn with a new Recorder,
    iterate until it has ended, and return the Recorder."""

    def run(reactor: Reactor, executable: str, args: Any = (), **kw: Any) -> Recorder:
        rec = Recorder()
        reactor.spawnProcess(rec, executable, args, **kw)
        finish(reactor, rec)
        return rec

    return run


@pytest.fixture(name="openFds")
def openFdsFixture() -> Any:
    """``openFds()``: the descriptors this test process holds open."""
    return openFds


@pytest.fixture(params=[None, "/"], ids=["posix_spawn", "fork_exec"])
def cwd(request: pytest.FixtureRequest) -> str | None:
    """No working directory (spawned with posix_spawn) or "/" (fork_exec)."""
    return request.param  # type: ignore[no-any-return]
