"""Fixtures of plait-udp's tests; all traffic stays on loopback.

- ``reactor``: a Reactor per available poller, with the installed
  extensions (so plait-udp's own); ports a test leaves open are closed.
- ``spin(reactor, condition)``: iterate until ``condition()`` is true, or
  fail after a bound instead of hanging.
- ``ipv6``: "::1", or the test is skipped where it cannot be bound.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest

from plait.core import Failure, Reactor, availablePollers
from plait.errors import ConnectionDone

BOUND = 10.0


@pytest.fixture(params=availablePollers())
def reactor(request: pytest.FixtureRequest) -> Iterator[Reactor]:
    """A reactor over each poller, extensions found through entry points."""
    r = Reactor(poller=request.param)
    yield r
    for leftover in r.removeAll():
        leftover.connectionLost(Failure(ConnectionDone("the test is over")))
    r.close()


Spin = Callable[[Reactor, Callable[[], object]], None]


@pytest.fixture
def spin() -> Spin:
    """``spin(reactor, condition)``."""

    def run(reactor: Reactor, condition: Callable[[], object]) -> None:
        deadline = time.monotonic() + BOUND
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"not reached within {BOUND} s")
            reactor.iterate(0.01)

    return run


@pytest.fixture
def ipv6() -> str:
    """The IPv6 loopback address; the test is skipped where ::1 is unusable."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
    except OSError as e:
        pytest.skip(f"the IPv6 loopback address ::1 cannot be bound here: {e}")
    return "::1"
