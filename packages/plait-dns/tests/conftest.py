"""Fixtures of plait-dns's tests; all traffic stays on loopback.

- ``reactor``: a Reactor per available poller, with the installed
  extensions (plait-udp and plait-tcp); ports a test leaves open are closed.
- ``spin(reactor, condition)``: iterate until ``condition()`` is true, or
  fail after a bound instead of hanging.
- ``ipv6``: "::1", or the test is skipped where it cannot be bound.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from plait.core import Reactor, availablePollers
from plait.core.testing import closeReactor, iterateUntil


@pytest.fixture(params=availablePollers())
def reactor(request: pytest.FixtureRequest) -> Iterator[Reactor]:
    """A reactor over each poller, extensions found through entry points."""
    r = Reactor(poller=request.param)
    yield r
    closeReactor(r)


@pytest.fixture
def spin() -> Callable[[Reactor, Callable[[], object]], None]:
    """``spin(reactor, condition)``: iterate until the condition holds."""
    return iterateUntil


@pytest.fixture
def ipv6() -> str:
    """The IPv6 loopback address; the test is skipped where ::1 is unusable."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
    except OSError as e:
        pytest.skip(f"the IPv6 loopback address ::1 cannot be bound here: {e}")
    return "::1"
