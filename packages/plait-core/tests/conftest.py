"""Shared fixtures of plait-core's tests.

- ``reactor``: a fresh Reactor for each poller this platform offers (ids
  "epoll", "poll", "select", "kqueue"), without extensions, closed after
  the test.
- ``clock`` / ``clocked_reactor``: a reactor whose ``seconds()`` is a fake
  clock the test advances by hand.
- ``socket_pair``: two connected, non-blocking stream sockets, closed after.
- ``spin``: drive a reactor with ``iterate()`` until a condition holds, with
  a bound, so that a broken test fails instead of hanging.
- an fd-leak check around every test module (Linux: /proc/self/fd).
"""

from __future__ import annotations

import contextlib
import gc
import os
import socket
from collections.abc import Callable, Iterator

import pytest

from plait.core import Reactor, availablePollers

_FD_DIR = "/proc/self/fd"


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(params=availablePollers())
def poller_name(request: pytest.FixtureRequest) -> str:
    """Each poller name available here, in turn."""
    name: str = request.param
    return name


@pytest.fixture
def reactor(poller_name: str) -> Iterator[Reactor]:
    """A reactor over each available poller, closed after the test."""
    r = Reactor(poller=poller_name, extensions=[])
    yield r
    r.close()


@pytest.fixture
def clock() -> FakeClock:
    """A hand-driven clock."""
    return FakeClock()


@pytest.fixture
def clocked_reactor(poller_name: str, clock: FakeClock) -> Iterator[Reactor]:
    """A reactor (each poller) whose time is the ``clock`` fixture."""
    r = Reactor(poller=poller_name, extensions=[], _clock=clock)
    yield r
    r.close()


@pytest.fixture
def socket_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """Two connected non-blocking sockets, closed after the test."""
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    yield a, b
    a.close()
    b.close()


Spin = Callable[..., int]


@pytest.fixture
def spin() -> Spin:
    """``spin(reactor, condition, limit=2000, delay=0.01)``: iterate until
    ``condition()`` is true; fail after *limit* passes.  Returns the number
    of passes it took."""

    def run(
        reactor: Reactor,
        condition: Callable[[], object],
        limit: int = 2000,
        delay: float = 0.01,
    ) -> int:
        for passes in range(limit):
            if condition():
                return passes
            reactor.iterate(delay)
        raise AssertionError(f"condition still false after {limit} passes")

    return run


def _open_fds() -> dict[str, str]:
    fds = {}
    for name in os.listdir(_FD_DIR):
        # The fd of the listing itself is closed by now: skip it.
        with contextlib.suppress(OSError):
            fds[name] = os.readlink(os.path.join(_FD_DIR, name))
    return fds


@pytest.fixture(scope="module", autouse=True)
def _no_fd_leaks() -> Iterator[None]:
    """Fail a test module that leaves file descriptors open."""
    if not os.path.isdir(_FD_DIR):
        yield
        return
    gc.collect()
    before = _open_fds()
    yield
    gc.collect()
    after = _open_fds()
    leaked = {fd: target for fd, target in after.items() if before.get(fd) != target}
    assert not leaked, f"file descriptors leaked by this module: {leaked}"
