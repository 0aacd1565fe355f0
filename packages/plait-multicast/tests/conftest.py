"""Fixtures of plait-multicast's tests.

Datagrams only travel over the loopback interface: every port sends
through 127.0.0.1 and joins its groups there, so no multicast traffic (and
no group membership report) leaves the machine.

- ``reactor``: a Reactor per available poller with the installed extensions.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plait.core import Reactor, availablePollers
from plait.core.testing import closeReactor


@pytest.fixture(params=availablePollers())
def reactor(request: pytest.FixtureRequest) -> Iterator[Reactor]:
    """A reactor over each poller; ports a test leaves open are closed."""
    r = Reactor(poller=request.param)
    yield r
    closeReactor(r)
