"""Driving a real reactor from a test: with a bound instead of a hang, and
closed afterwards whatever the test left open."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from plait.errors import ConnectionDone

from .._failure import Failure

__all__ = ["closeReactor", "iterateUntil"]


def iterateUntil(
    reactor: Any, condition: Callable[[], object], timeout: float = 10.0
) -> None:
    """Run ``reactor.iterate()`` until ``condition()`` is true.

    :raises AssertionError: ``timeout`` seconds passed first; the message
        names the condition.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{condition!r} did not become true in {timeout} s")
        reactor.iterate(0.01)


def closeReactor(reactor: Any) -> None:
    """Drop every descriptor a test left watched (each hears
    ``connectionLost`` with ConnectionDone), then close the reactor."""
    reason = Failure(ConnectionDone("the test is over"))
    for leftover in reactor.removeAll():
        leftover.connectionLost(reason)
    reactor.close()
